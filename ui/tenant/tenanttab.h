#pragma once

#include "tenantcontroller.h"

#include <QWidget>

#include <optional>

class QComboBox;
class QLabel;
class QListWidget;
class QStackedWidget;

namespace organizer::ui {

namespace tenant {
class TenantPage;
class WalkthroughPage;
} // namespace tenant

// The tutorial's dashboard steps, in the Auth0 dashboard's order: APIs (create one) → its Settings
// (token lifetime, RBAC, offline access) → Scopes (add with a description, remove) → Machine to
// Machine applications (authorize a client, pick its scopes) → Users and Roles (permissions per
// user, roles) — and a walkthrough that follows the tutorial on an empty tenant. Each page lives in
// a file of its own (tenant/*page.*) and presents TenantAdmin's typed values; this tab picks the
// API they show and hands their intents to the app's TenantController, which decides what each does
// and says how it went. It never speaks HTTP itself.
class TenantTab : public QWidget
{
    Q_OBJECT

public:
    enum class Page { Walkthrough, Apis, Settings, Scopes, MachineToMachine, UsersAndRoles };

    TenantTab(app::TenantController *tenant, QWidget *parent = nullptr);

    void showPage(Page page);
    // The API the Settings, Scopes and Machine to Machine pages show (by identifier).
    void selectApi(const QString &identifier);
    QString selectedApi() const;
    // What the walkthrough's last two steps wait for: a login with these scopes, and answers from the APIs.
    void setLogin(const std::optional<QStringList> &grantedScopes);
    void noteApiAnswered(const QString &apiName, int status);

Q_SIGNALS:
    void loginRequested(const QStringList &scopes);
    void callApisRequested();

private:
    void refresh();
    void presentApi();
    void connectPages();
    void showProblem(const QString &message);
    void showDone(const QString &message);

    app::TenantController *m_tenant;
    const app::TenantAdmin *m_admin; // what the pages present
    QLabel *m_target = nullptr;
    QLabel *m_status = nullptr;
    QComboBox *m_apiBox = nullptr;
    QListWidget *m_nav = nullptr;
    QStackedWidget *m_pages = nullptr;
    QList<tenant::TenantPage *> m_pageList; // in Page order
    tenant::WalkthroughPage *m_walkthrough = nullptr;
};

} // namespace organizer::ui
