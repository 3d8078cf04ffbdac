#include "apispage.h"

#include "tenantwidgets.h"

#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QMessageBox>
#include <QVBoxLayout>

namespace organizer::ui::tenant {

ApisPage::ApisPage(const app::TenantAdmin *admin, QWidget *parent) : TenantPage(admin, parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(lead(tr("<h3>APIs</h3><p>Each API is a resource server: its identifier is the <code>audience</code> tokens are asked for.</p>"), this));
    m_apis = table({tr("Name"), tr("Identifier"), tr("Signing algorithm"), tr("Type")}, this);
    layout->addWidget(m_apis, 1);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(button(tr("Create API…"), this, [this] { askForNewApi(); }));
    m_deleteApi = button(tr("Delete"), this, [this] {
        const auto api = m_admin->resourceServer(selectedKey(m_apis));
        if (!api
            || QMessageBox::question(this, tr("Delete API"), tr("Delete the API “%1”? Its grants and permissions go with it.").arg(api->name))
                != QMessageBox::Yes)
            return;
        Q_EMIT deleteApiRequested(api->id, api->name);
    });
    buttons->addWidget(m_deleteApi);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    connect(m_apis, &QTableWidget::itemSelectionChanged, this, [this] {
        const auto api = m_admin->resourceServer(selectedKey(m_apis));
        updateDeleteButton();
        if (!api || !api->isSystem)
            Q_EMIT apiPicked(api ? api->identifier : QString());
    });
    connect(m_apis, &QTableWidget::cellDoubleClicked, this, [this] { Q_EMIT settingsRequested(); });
}

void ApisPage::updateDeleteButton()
{
    const auto api = m_admin->resourceServer(selectedKey(m_apis));
    m_deleteApi->setEnabled(api && !api->isSystem);
}

void ApisPage::present(const QString &apiIdentifier)
{
    m_api = apiIdentifier;
    const QString keep = selectedKey(m_apis);
    m_apis->setRowCount(0);
    for (const app::ResourceServer &api : m_admin->resourceServers()) {
        const int row = m_apis->rowCount();
        m_apis->insertRow(row);
        setRow(m_apis, row, {api.name, api.identifier, api.signingAlgorithm, api.isSystem ? tr("System API") : tr("Custom API")}, api.identifier);
    }
    m_apis->resizeColumnsToContents();
    reselect(m_apis, keep);
    updateDeleteButton();
}

void ApisPage::askForNewApi()
{
    const catalogue::ResourceServerSpec &service = catalogue::organizerService();
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Create API"));
    auto *form = new QFormLayout(&dialog);
    auto *name = new QLineEdit(&dialog);
    name->setPlaceholderText(service.name);
    auto *identifier = new QLineEdit(&dialog);
    identifier->setPlaceholderText(service.identifier);
    auto *algorithm = new QComboBox(&dialog);
    algorithm->addItem(service.signingAlgorithm);
    algorithm->setToolTip(tr("Organizer signs and accepts RS256 only: an asymmetric key, so the APIs hold no secret."));
    form->addRow(tr("Name"), name);
    form->addRow(tr("Identifier (audience)"), identifier);
    form->addRow(tr("Signing algorithm"), algorithm);
    form->addRow(lead(tr("<small>The identifier cannot be changed later: tokens carry it as their <code>aud</code>.</small>"), &dialog));
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Create"));
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    form->addRow(buttons);
    if (dialog.exec() != QDialog::Accepted)
        return;
    if (name->text().trimmed().isEmpty() || identifier->text().trimmed().isEmpty()) {
        Q_EMIT problem(tr("An API needs a name and an identifier."));
        return;
    }
    Q_EMIT createApiRequested(name->text().trimmed(), identifier->text().trimmed(), algorithm->currentText());
}

} // namespace organizer::ui::tenant
