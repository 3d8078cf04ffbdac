#pragma once

#include "tenantpage.h"

class QPushButton;
class QTableWidget;

namespace organizer::ui::tenant {

// APIs: every resource server of the tenant, system ones marked; create one (name, identifier,
// signing algorithm) or delete a custom one. Picking a custom API makes it the tab's API.
class ApisPage : public TenantPage
{
    Q_OBJECT

public:
    explicit ApisPage(const app::TenantAdmin *admin, QWidget *parent = nullptr);

    void present(const QString &apiIdentifier) override;

Q_SIGNALS:
    void createApiRequested(const QString &name, const QString &identifier, const QString &signingAlgorithm);
    void deleteApiRequested(const QString &id, const QString &name);
    void apiPicked(const QString &identifier);
    void settingsRequested();

private:
    void askForNewApi();
    void updateDeleteButton();

    QTableWidget *m_apis = nullptr;
    QPushButton *m_deleteApi = nullptr;
};

} // namespace organizer::ui::tenant
