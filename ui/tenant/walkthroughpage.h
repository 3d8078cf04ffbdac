#pragma once

#include "tenantpage.h"

#include <QSet>

#include <optional>

class QLabel;
class QPushButton;

namespace organizer::ui::tenant {

// The tutorial, step by step: create Organizer Service, add one read scope per API, log in asking
// for them, call the APIs. Each step waits for the one before it and is ticked off when the tenant
// (or the login, or the APIs' answers) shows it done.
class WalkthroughPage : public TenantPage
{
    Q_OBJECT

public:
    explicit WalkthroughPage(const app::TenantAdmin *admin, QWidget *parent = nullptr);

    void present(const QString &apiIdentifier) override;
    void setLogin(const std::optional<QStringList> &grantedScopes);
    void noteApiAnswered(const QString &apiName, int status);

Q_SIGNALS:
    void createServiceRequested();
    void addScopeRequested(const QString &apiId, const QString &value, const QString &description);
    void loginRequested(const QStringList &scopes);
    void callApisRequested();

private:
    void update();

    QList<QPair<QLabel *, QPushButton *>> m_steps;
    std::optional<QStringList> m_granted;
    QSet<QString> m_answered; // APIs that answered 200 with this login
};

} // namespace organizer::ui::tenant
