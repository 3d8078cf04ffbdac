#pragma once

#include "tenantpage.h"

class QCheckBox;
class QPushButton;
class QSpinBox;

namespace organizer::ui::tenant {

// Settings of the selected API: token lifetime, RBAC, permissions in the access token, offline access.
class ApiSettingsPage : public TenantPage
{
    Q_OBJECT

public:
    explicit ApiSettingsPage(const app::TenantAdmin *admin, QWidget *parent = nullptr);

    void present(const QString &apiIdentifier) override;

Q_SIGNALS:
    void saveRequested(const QString &apiId, const QString &apiName, const organizer::app::ApiSettingsEdit &edit);

private:
    QSpinBox *m_lifetime = nullptr;
    QCheckBox *m_rbac = nullptr;
    QCheckBox *m_permissionsInToken = nullptr;
    QCheckBox *m_offline = nullptr;
    QPushButton *m_save = nullptr;
};

} // namespace organizer::ui::tenant
