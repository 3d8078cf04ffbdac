#include "apisettingspage.h"

#include "tenantwidgets.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QSpinBox>
#include <QVBoxLayout>

namespace organizer::ui::tenant {

ApiSettingsPage::ApiSettingsPage(const app::TenantAdmin *admin, QWidget *parent) : TenantPage(admin, parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(lead(tr("<h3>Settings</h3><p>How tokens for the selected API are made and what they may hold.</p>"), this));
    auto *form = new QFormLayout;
    m_lifetime = new QSpinBox(this);
    m_lifetime->setRange(60, 2'592'000);
    m_lifetime->setSuffix(tr(" s"));
    m_lifetime->setMaximumWidth(160);
    form->setFieldGrowthPolicy(QFormLayout::FieldsStayAtSizeHint);
    m_rbac = new QCheckBox(tr("Enable RBAC: grant only the scopes the user holds as permissions"), this);
    m_permissionsInToken = new QCheckBox(tr("Add permissions in the access token (a permissions claim)"), this);
    m_offline = new QCheckBox(tr("Allow offline access (refresh tokens)"), this);
    form->addRow(tr("Token lifetime"), m_lifetime);
    form->addRow(QString(), m_rbac);
    form->addRow(QString(), m_permissionsInToken);
    form->addRow(QString(), m_offline);
    layout->addLayout(form);
    m_save = button(tr("Save"), this, [this] {
        const auto api = m_admin->resourceServer(m_api);
        if (!api)
            return;
        app::ApiSettingsEdit edit;
        edit.tokenLifetimeSeconds = m_lifetime->value();
        edit.rbac = m_rbac->isChecked();
        edit.permissionsInToken = m_permissionsInToken->isChecked();
        edit.allowOfflineAccess = m_offline->isChecked();
        Q_EMIT saveRequested(api->id, api->name, edit);
    });
    auto *row = new QHBoxLayout;
    row->addWidget(m_save);
    row->addStretch(1);
    layout->addLayout(row);
    layout->addStretch(1);
    connect(m_rbac, &QCheckBox::toggled, m_permissionsInToken, &QWidget::setEnabled);
}

void ApiSettingsPage::present(const QString &apiIdentifier)
{
    m_api = apiIdentifier;
    const auto api = m_admin->resourceServer(apiIdentifier);
    const app::ResourceServer shown = api.value_or(app::ResourceServer());
    m_lifetime->setValue(int(shown.tokenLifetimeSeconds));
    m_rbac->setChecked(shown.rbac);
    m_permissionsInToken->setChecked(shown.permissionsInToken);
    m_permissionsInToken->setEnabled(m_rbac->isChecked());
    m_offline->setChecked(shown.allowOfflineAccess);
    for (QWidget *widget : std::initializer_list<QWidget *>{m_lifetime, m_rbac, m_offline, m_save})
        widget->setEnabled(api.has_value());
}

} // namespace organizer::ui::tenant
