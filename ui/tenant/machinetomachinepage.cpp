#include "machinetomachinepage.h"

#include "tenantwidgets.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QListWidget>
#include <QVBoxLayout>

namespace organizer::ui::tenant {

MachineToMachinePage::MachineToMachinePage(const app::TenantAdmin *admin, QWidget *parent) : TenantPage(admin, parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(lead(tr("<h3>Machine to Machine applications</h3><p>Applications that use the client credentials grant, and which of "
                              "the selected API's scopes each may ask for.</p>"),
                           this));
    m_clients = table({tr("Application"), tr("Client ID"), tr("Authorized")}, this);
    layout->addWidget(m_clients, 1);
    m_authorized = new QCheckBox(tr("Authorized for the selected API"), this);
    layout->addWidget(m_authorized);
    m_scopes = new QListWidget(this);
    layout->addWidget(m_scopes, 1);
    auto *row = new QHBoxLayout;
    row->addWidget(button(tr("Update"), this, [this] {
        const QString clientId = selectedKey(m_clients);
        if (clientId.isEmpty())
            return;
        QStringList scopes;
        for (int i = 0; i < m_scopes->count(); ++i) {
            if (m_scopes->item(i)->checkState() == Qt::Checked)
                scopes.append(m_scopes->item(i)->text());
        }
        Q_EMIT grantRequested(clientId, m_api, m_authorized->isChecked(), scopes);
    }));
    row->addStretch(1);
    layout->addLayout(row);
    connect(m_clients, &QTableWidget::itemSelectionChanged, this, [this] { present(m_api); });
    connect(m_authorized, &QCheckBox::toggled, m_scopes, &QWidget::setEnabled);
}

void MachineToMachinePage::present(const QString &apiIdentifier)
{
    m_api = apiIdentifier;
    const QString keep = selectedKey(m_clients);
    {
        const QSignalBlocker blocker(m_clients);
        m_clients->setRowCount(0);
        for (const app::Client &client : m_admin->clients()) {
            if (!client.usesClientCredentials())
                continue;
            const int row = m_clients->rowCount();
            m_clients->insertRow(row);
            const bool authorized = m_admin->clientGrant(client.clientId, apiIdentifier).has_value();
            setRow(m_clients, row, {client.name, client.clientId, authorized ? tr("yes") : tr("no")}, client.clientId);
        }
        m_clients->resizeColumnsToContents();
        reselect(m_clients, keep.isEmpty() && m_clients->rowCount() > 0 ? m_clients->item(0, 0)->data(Qt::UserRole).toString() : keep);
    }
    const QString clientId = selectedKey(m_clients);
    const auto grant = m_admin->clientGrant(clientId, apiIdentifier);
    const QStringList granted = grant ? grant->scopes : QStringList();
    m_authorized->setChecked(grant.has_value());
    m_authorized->setEnabled(!clientId.isEmpty());
    m_scopes->clear();
    for (const QString &scope : m_admin->scopes(apiIdentifier)) {
        auto *item = new QListWidgetItem(scope, m_scopes);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
        item->setCheckState(granted.contains(scope) ? Qt::Checked : Qt::Unchecked);
    }
    m_scopes->setEnabled(grant.has_value());
}

} // namespace organizer::ui::tenant
