#include "tenanttab.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QStackedWidget>
#include <QTableWidget>
#include <QVBoxLayout>

namespace organizer::ui {

namespace {

QString text(const QJsonObject &object, const char *member)
{
    return object.value(QLatin1String(member)).toString();
}

QTableWidget *table(const QStringList &headers, QWidget *parent)
{
    auto *widget = new QTableWidget(0, int(headers.size()), parent);
    widget->setHorizontalHeaderLabels(headers);
    widget->setSelectionBehavior(QAbstractItemView::SelectRows);
    widget->setSelectionMode(QAbstractItemView::SingleSelection);
    widget->setEditTriggers(QAbstractItemView::NoEditTriggers);
    widget->verticalHeader()->hide();
    widget->horizontalHeader()->setStretchLastSection(true);
    widget->setAlternatingRowColors(true);
    return widget;
}

void setRow(QTableWidget *widget, int row, const QStringList &cells, const QString &key)
{
    for (int column = 0; column < cells.size(); ++column) {
        auto *item = new QTableWidgetItem(cells.at(column));
        item->setData(Qt::UserRole, key);
        widget->setItem(row, column, item);
    }
}

// Keeps the selection (by key) across a refill.
QString selectedKey(const QTableWidget *widget)
{
    const auto items = widget->selectedItems();
    return items.isEmpty() ? QString() : items.first()->data(Qt::UserRole).toString();
}

void reselect(QTableWidget *widget, const QString &key)
{
    for (int row = 0; row < widget->rowCount(); ++row) {
        if (widget->item(row, 0) && widget->item(row, 0)->data(Qt::UserRole).toString() == key) {
            widget->selectRow(row);
            return;
        }
    }
}

QPushButton *button(const QString &label, QWidget *parent, std::function<void()> run)
{
    auto *widget = new QPushButton(label, parent);
    QObject::connect(widget, &QPushButton::clicked, parent, std::move(run));
    return widget;
}

QLabel *lead(const QString &html, QWidget *parent)
{
    auto *label = new QLabel(html, parent);
    label->setWordWrap(true);
    label->setTextFormat(Qt::RichText);
    return label;
}

} // namespace

TenantTab::TenantTab(app::TenantAdmin *admin, QWidget *parent) : QWidget(parent), m_admin(admin)
{
    auto *layout = new QVBoxLayout(this);
    auto *bar = new QHBoxLayout;
    m_target = new QLabel(this);
    m_target->setTextInteractionFlags(Qt::TextSelectableByMouse);
    bar->addWidget(m_target, 1);
    bar->addWidget(new QLabel(tr("API:"), this));
    m_apiBox = new QComboBox(this);
    m_apiBox->setMinimumWidth(220);
    bar->addWidget(m_apiBox);
    bar->addWidget(button(tr("Reload"), this, [this] { m_admin->reload(); }));
    layout->addLayout(bar);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    layout->addWidget(m_status);

    auto *body = new QHBoxLayout;
    m_nav = new QListWidget(this);
    m_nav->addItems({tr("Walkthrough"), tr("APIs"), tr("Settings"), tr("Scopes"), tr("Machine to Machine"), tr("Users and Roles")});
    m_nav->setFixedWidth(180);
    m_nav->setSpacing(3);
    m_pages = new QStackedWidget(this);
    m_pages->addWidget(buildWalkthrough());
    m_pages->addWidget(buildApis());
    m_pages->addWidget(buildSettings());
    m_pages->addWidget(buildScopes());
    m_pages->addWidget(buildMachineToMachine());
    m_pages->addWidget(buildUsersAndRoles());
    body->addWidget(m_nav);
    body->addWidget(m_pages, 1);
    layout->addLayout(body, 1);
    connect(m_nav, &QListWidget::currentRowChanged, m_pages, &QStackedWidget::setCurrentIndex);
    m_nav->setCurrentRow(0);

    connect(m_apiBox, &QComboBox::currentIndexChanged, this, [this] {
        refreshSettings();
        refreshScopes();
        refreshMachineToMachine();
    });
    connect(m_admin, &app::TenantAdmin::changed, this, &TenantTab::refresh);
    connect(m_admin, &app::TenantAdmin::failed, this, [this](const QString &message) {
        m_status->setStyleSheet(QStringLiteral("color: #b42318"));
        m_status->setText(message);
    });
    connect(m_admin, &app::TenantAdmin::busyChanged, this, [this](bool busy) {
        if (busy) {
            m_status->setStyleSheet({});
            m_status->setText(tr("⏳ talking to the Management API…"));
        } else if (m_status->text().startsWith(QStringLiteral("⏳"))) {
            m_status->clear();
        }
    });
    refresh();
}

app::TenantAdmin::Done TenantTab::report(const QString &done)
{
    return [this, done](bool ok, const QString &) {
        if (ok) {
            m_status->setStyleSheet(QStringLiteral("color: #1f8a4c"));
            m_status->setText(done);
        }
    };
}

void TenantTab::showPage(Page page)
{
    m_nav->setCurrentRow(int(page));
}

void TenantTab::selectApi(const QString &identifier)
{
    const int index = m_apiBox->findData(identifier);
    if (index >= 0)
        m_apiBox->setCurrentIndex(index);
}

QString TenantTab::selectedApi() const
{
    return m_apiBox->currentData().toString();
}

QJsonObject TenantTab::currentApi() const
{
    return m_admin->resourceServer(selectedApi());
}

void TenantTab::refresh()
{
    const app::ManagementTarget &target = m_admin->target();
    m_target->setText(m_admin->hasTarget()
                          ? tr("Management API <b>%1</b> as <b>%2</b>").arg(target.apiBase.toString().toHtmlEscaped(), target.clientId.toHtmlEscaped())
                          : tr("No management client: a profile names one to administer its tenant here."));
    const QString keep = selectedApi();
    {
        const QSignalBlocker blocker(m_apiBox);
        m_apiBox->clear();
        for (const QJsonValue &value : m_admin->resourceServers()) {
            const QJsonObject api = value.toObject();
            if (!api.value(QLatin1String("is_system")).toBool())
                m_apiBox->addItem(text(api, "name"), text(api, "identifier"));
        }
        const int index = m_apiBox->findData(keep.isEmpty() ? QStringLiteral("organize") : keep);
        m_apiBox->setCurrentIndex(index >= 0 ? index : 0);
    }
    refreshWalkthrough();
    refreshApis();
    refreshSettings();
    refreshScopes();
    refreshMachineToMachine();
    refreshUsersAndRoles();
}

// ---------------------------------------------------------------- walkthrough

QWidget *TenantTab::buildWalkthrough()
{
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    layout->addWidget(lead(tr("<h3>The tutorial, step by step</h3>"
                              "<p>One resource server, <b>Organizer Service</b> (identifier <code>organize</code>), stands for several APIs. "
                              "Each scope is one API and one action: <code>read:contacts</code> opens the contacts API for reading, "
                              "<code>read:calendar</code> the calendar API. Configure it here, then use it: log in and call both APIs. "
                              "<code>organizer --tutorial</code> starts on an empty tenant.</p>"),
                           page));
    const catalogue::ResourceServerSpec &service = catalogue::organizerService();
    const QList<std::pair<QString, std::function<void()>>> steps{
        {tr("Create the API “%1”: identifier %2, signing algorithm %3").arg(service.name, service.identifier, service.signingAlgorithm),
         [this, &service] { m_admin->createApi(service.name, service.identifier, service.signingAlgorithm, report(tr("Created %1.").arg(service.name))); }},
        {tr("Add the scope read:contacts (“Read your contacts”)"),
         [this, &service] {
             const catalogue::ApiSpec &api = service.apis.at(0);
             m_admin->addScope(text(m_admin->resourceServer(service.identifier), "id"), api.scope(catalogue::Action::Read),
                               api.scopeDescription(catalogue::Action::Read), report(tr("Added %1.").arg(api.scope(catalogue::Action::Read))));
         }},
        {tr("Add the scope read:calendar (“Read your appointments”)"),
         [this, &service] {
             const catalogue::ApiSpec &api = service.apis.at(1);
             m_admin->addScope(text(m_admin->resourceServer(service.identifier), "id"), api.scope(catalogue::Action::Read),
                               api.scopeDescription(catalogue::Action::Read), report(tr("Added %1.").arg(api.scope(catalogue::Action::Read))));
         }},
        {tr("Log in asking for read:contacts and read:calendar"),
         [this] {
             Q_EMIT loginRequested({QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("read:contacts"), QStringLiteral("read:calendar")});
         }},
        {tr("Call both APIs with the token"), [this] { Q_EMIT callApisRequested(); }},
    };
    auto *grid = new QGridLayout;
    for (int i = 0; i < steps.size(); ++i) {
        auto *label = new QLabel(page);
        label->setTextFormat(Qt::RichText);
        auto *go = button(tr("Do it"), page, steps.at(i).second);
        label->setProperty("step", steps.at(i).first);
        grid->addWidget(label, i, 0);
        grid->addWidget(go, i, 1);
        m_steps.append({label, go});
    }
    grid->setColumnStretch(0, 1);
    layout->addLayout(grid);
    layout->addStretch(1);
    return page;
}

void TenantTab::refreshWalkthrough()
{
    const catalogue::ResourceServerSpec &service = catalogue::organizerService();
    const QJsonObject api = m_admin->resourceServer(service.identifier);
    const QStringList scopes = m_admin->scopes(service.identifier);
    const bool granted = m_granted && m_granted->contains(QStringLiteral("read:contacts")) && m_granted->contains(QStringLiteral("read:calendar"));
    const QList<bool> done{!api.isEmpty(), scopes.contains(QStringLiteral("read:contacts")), scopes.contains(QStringLiteral("read:calendar")), granted,
                           granted && m_answered.contains(QStringLiteral("contacts")) && m_answered.contains(QStringLiteral("calendar"))};
    bool before = m_admin->hasTarget();
    for (int i = 0; i < m_steps.size(); ++i) {
        const auto &[label, go] = m_steps.at(i);
        const QString step = label->property("step").toString().toHtmlEscaped();
        label->setText(done.at(i) ? QStringLiteral("<span style='color:#1f8a4c'>✔</span> %1").arg(step)
                                  : QStringLiteral("<span style='color:#6b7386'>%1.</span> <b>%2</b>").arg(i + 1).arg(step));
        go->setEnabled(before && !done.at(i));
        before = before && done.at(i);
    }
}

void TenantTab::setLogin(const std::optional<QStringList> &grantedScopes)
{
    m_granted = grantedScopes;
    m_answered.clear();
    refreshWalkthrough();
}

void TenantTab::noteApiAnswered(const QString &apiName, int status)
{
    if (status == 200)
        m_answered.insert(apiName);
    refreshWalkthrough();
}

// ---------------------------------------------------------------- APIs

QWidget *TenantTab::buildApis()
{
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    layout->addWidget(lead(tr("<h3>APIs</h3><p>Each API is a resource server: its identifier is the <code>audience</code> tokens are asked for.</p>"), page));
    m_apis = table({tr("Name"), tr("Identifier"), tr("Signing algorithm"), tr("Type")}, page);
    layout->addWidget(m_apis, 1);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(button(tr("Create API…"), page, [this] { createApi(); }));
    m_deleteApi = button(tr("Delete"), page, [this] {
        const QJsonObject api = m_admin->resourceServer(selectedKey(m_apis));
        if (api.isEmpty()
            || QMessageBox::question(this, tr("Delete API"), tr("Delete the API “%1”? Its grants and permissions go with it.").arg(text(api, "name")))
                != QMessageBox::Yes)
            return;
        m_admin->deleteApi(text(api, "id"), report(tr("Deleted %1.").arg(text(api, "name"))));
    });
    buttons->addWidget(m_deleteApi);
    buttons->addStretch(1);
    layout->addLayout(buttons);
    connect(m_apis, &QTableWidget::itemSelectionChanged, this, [this] {
        const QJsonObject api = m_admin->resourceServer(selectedKey(m_apis));
        m_deleteApi->setEnabled(!api.isEmpty() && !api.value(QLatin1String("is_system")).toBool());
        if (!api.value(QLatin1String("is_system")).toBool())
            selectApi(text(api, "identifier"));
    });
    connect(m_apis, &QTableWidget::cellDoubleClicked, this, [this] { showPage(Page::Settings); });
    return page;
}

void TenantTab::refreshApis()
{
    const QString keep = selectedKey(m_apis);
    m_apis->setRowCount(0);
    for (const QJsonValue &value : m_admin->resourceServers()) {
        const QJsonObject api = value.toObject();
        const int row = m_apis->rowCount();
        m_apis->insertRow(row);
        setRow(m_apis, row,
               {text(api, "name"), text(api, "identifier"), text(api, "signing_alg"),
                api.value(QLatin1String("is_system")).toBool() ? tr("System API") : tr("Custom API")},
               text(api, "identifier"));
    }
    m_apis->resizeColumnsToContents();
    reselect(m_apis, keep);
    m_deleteApi->setEnabled(!selectedKey(m_apis).isEmpty() && !m_admin->resourceServer(selectedKey(m_apis)).value(QLatin1String("is_system")).toBool());
}

void TenantTab::createApi()
{
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Create API"));
    auto *form = new QFormLayout(&dialog);
    auto *name = new QLineEdit(&dialog);
    name->setPlaceholderText(QStringLiteral("Organizer Service"));
    auto *identifier = new QLineEdit(&dialog);
    identifier->setPlaceholderText(QStringLiteral("organize"));
    auto *algorithm = new QComboBox(&dialog);
    algorithm->addItem(QStringLiteral("RS256"));
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
        m_status->setStyleSheet(QStringLiteral("color: #b42318"));
        m_status->setText(tr("An API needs a name and an identifier."));
        return;
    }
    const QString wanted = identifier->text().trimmed();
    m_admin->createApi(name->text().trimmed(), wanted, algorithm->currentText(), [this, wanted](bool ok, const QString &) {
        if (!ok)
            return;
        selectApi(wanted);
        showPage(Page::Scopes);
        m_status->setStyleSheet(QStringLiteral("color: #1f8a4c"));
        m_status->setText(tr("Created. Now add its scopes: one per API and action, like read:contacts."));
    });
}

// ---------------------------------------------------------------- Settings

QWidget *TenantTab::buildSettings()
{
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    layout->addWidget(lead(tr("<h3>Settings</h3><p>How tokens for the selected API are made and what they may hold.</p>"), page));
    auto *form = new QFormLayout;
    m_lifetime = new QSpinBox(page);
    m_lifetime->setRange(60, 2'592'000);
    m_lifetime->setSuffix(tr(" s"));
    m_lifetime->setMaximumWidth(160);
    form->setFieldGrowthPolicy(QFormLayout::FieldsStayAtSizeHint);
    m_rbac = new QCheckBox(tr("Enable RBAC: grant only the scopes the user holds as permissions"), page);
    m_permissionsInToken = new QCheckBox(tr("Add permissions in the access token (a permissions claim)"), page);
    m_offline = new QCheckBox(tr("Allow offline access (refresh tokens)"), page);
    form->addRow(tr("Token lifetime"), m_lifetime);
    form->addRow(QString(), m_rbac);
    form->addRow(QString(), m_permissionsInToken);
    form->addRow(QString(), m_offline);
    layout->addLayout(form);
    m_saveSettings = button(tr("Save"), page, [this] {
        const QJsonObject api = currentApi();
        if (api.isEmpty())
            return;
        m_admin->updateApiSettings(text(api, "id"),
                                   QJsonObject{{QStringLiteral("token_lifetime"), m_lifetime->value()},
                                               {QStringLiteral("enforce_policies"), m_rbac->isChecked()},
                                               {QStringLiteral("token_dialect"),
                                                m_permissionsInToken->isChecked() ? QStringLiteral("access_token_authz") : QStringLiteral("access_token")},
                                               {QStringLiteral("allow_offline_access"), m_offline->isChecked()}},
                                   report(tr("Saved the settings of %1.").arg(text(api, "name"))));
    });
    auto *row = new QHBoxLayout;
    row->addWidget(m_saveSettings);
    row->addStretch(1);
    layout->addLayout(row);
    layout->addStretch(1);
    connect(m_rbac, &QCheckBox::toggled, m_permissionsInToken, &QWidget::setEnabled);
    return page;
}

void TenantTab::refreshSettings()
{
    const QJsonObject api = currentApi();
    const bool editable = !api.isEmpty();
    m_lifetime->setValue(int(api.value(QLatin1String("token_lifetime")).toInteger(86400)));
    m_rbac->setChecked(api.value(QLatin1String("enforce_policies")).toBool());
    m_permissionsInToken->setChecked(text(api, "token_dialect").endsWith(QLatin1String("_authz")));
    m_permissionsInToken->setEnabled(m_rbac->isChecked());
    m_offline->setChecked(api.value(QLatin1String("allow_offline_access")).toBool());
    for (QWidget *widget : std::initializer_list<QWidget *>{m_lifetime, m_rbac, m_offline, m_saveSettings})
        widget->setEnabled(editable);
}

// ---------------------------------------------------------------- Scopes

QWidget *TenantTab::buildScopes()
{
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    layout->addWidget(lead(tr("<h3>Scopes</h3><p>One scope per API and action, <code>action:api</code>: think of each API as a microservice. "
                              "You can create any number of scopes.</p>"),
                           page));
    m_scopes = table({tr("Scope"), tr("Description")}, page);
    layout->addWidget(m_scopes, 1);
    auto *add = new QHBoxLayout;
    m_scopeValue = new QLineEdit(page);
    m_scopeValue->setPlaceholderText(QStringLiteral("read:contacts"));
    m_scopeDescription = new QLineEdit(page);
    m_scopeDescription->setPlaceholderText(tr("Read your contacts"));
    add->addWidget(m_scopeValue);
    add->addWidget(m_scopeDescription, 1);
    add->addWidget(button(tr("Add"), page, [this] {
        const QString value = m_scopeValue->text().trimmed();
        if (value.isEmpty() || value.contains(QLatin1Char(' '))) {
            m_status->setStyleSheet(QStringLiteral("color: #b42318"));
            m_status->setText(tr("A scope is one word without spaces, like read:contacts."));
            return;
        }
        m_admin->addScope(text(currentApi(), "id"), value, m_scopeDescription->text().trimmed(), report(tr("Added %1.").arg(value)));
        m_scopeValue->clear();
        m_scopeDescription->clear();
    }));
    add->addWidget(button(tr("Remove"), page, [this] {
        const QString value = selectedKey(m_scopes);
        if (value.isEmpty())
            return;
        if (QMessageBox::question(this, tr("Remove scope"),
                                  tr("Remove %1? Tokens are no longer granted it, and it opens nothing, even on tokens issued before.").arg(value))
            != QMessageBox::Yes)
            return;
        m_admin->removeScope(text(currentApi(), "id"), value, report(tr("Removed %1.").arg(value)));
    }));
    layout->addLayout(add);
    return page;
}

void TenantTab::refreshScopes()
{
    const QString keep = selectedKey(m_scopes);
    m_scopes->setRowCount(0);
    for (const QJsonValue &value : currentApi().value(QLatin1String("scopes")).toArray()) {
        const QJsonObject scope = value.toObject();
        const int row = m_scopes->rowCount();
        m_scopes->insertRow(row);
        setRow(m_scopes, row, {text(scope, "value"), text(scope, "description")}, text(scope, "value"));
    }
    m_scopes->resizeColumnToContents(0);
    reselect(m_scopes, keep);
}

// ---------------------------------------------------------------- Machine to Machine

QWidget *TenantTab::buildMachineToMachine()
{
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    layout->addWidget(lead(tr("<h3>Machine to Machine applications</h3><p>Applications that use the client credentials grant, and which of "
                              "the selected API's scopes each may ask for.</p>"),
                           page));
    m_clients = table({tr("Application"), tr("Client ID"), tr("Authorized")}, page);
    layout->addWidget(m_clients, 1);
    m_authorized = new QCheckBox(tr("Authorized for the selected API"), page);
    layout->addWidget(m_authorized);
    m_clientScopes = new QListWidget(page);
    layout->addWidget(m_clientScopes, 1);
    auto *row = new QHBoxLayout;
    row->addWidget(button(tr("Update"), page, [this] {
        const QString clientId = selectedClient();
        if (clientId.isEmpty())
            return;
        QStringList scopes;
        for (int i = 0; i < m_clientScopes->count(); ++i) {
            if (m_clientScopes->item(i)->checkState() == Qt::Checked)
                scopes.append(m_clientScopes->item(i)->text());
        }
        m_admin->setClientGrant(clientId, selectedApi(), m_authorized->isChecked(), scopes, report(tr("Updated what %1 may ask for.").arg(clientId)));
    }));
    row->addStretch(1);
    layout->addLayout(row);
    connect(m_clients, &QTableWidget::itemSelectionChanged, this, &TenantTab::refreshMachineToMachine);
    connect(m_authorized, &QCheckBox::toggled, m_clientScopes, &QWidget::setEnabled);
    return page;
}

QString TenantTab::selectedClient() const
{
    return selectedKey(m_clients);
}

void TenantTab::refreshMachineToMachine()
{
    const QString keep = selectedClient();
    {
        const QSignalBlocker blocker(m_clients);
        m_clients->setRowCount(0);
        for (const QJsonValue &value : m_admin->clients()) {
            const QJsonObject client = value.toObject();
            if (!client.value(QLatin1String("grant_types")).toArray().contains(QStringLiteral("client_credentials")))
                continue;
            const int row = m_clients->rowCount();
            m_clients->insertRow(row);
            const bool authorized = !m_admin->clientGrant(text(client, "client_id"), selectedApi()).isEmpty();
            setRow(m_clients, row, {text(client, "name"), text(client, "client_id"), authorized ? tr("yes") : tr("no")}, text(client, "client_id"));
        }
        m_clients->resizeColumnsToContents();
        reselect(m_clients, keep.isEmpty() && m_clients->rowCount() > 0 ? m_clients->item(0, 0)->data(Qt::UserRole).toString() : keep);
    }
    const QJsonObject grant = m_admin->clientGrant(selectedClient(), selectedApi());
    const QJsonArray granted = grant.value(QLatin1String("scope")).toArray();
    m_authorized->setChecked(!grant.isEmpty());
    m_authorized->setEnabled(!selectedClient().isEmpty());
    m_clientScopes->clear();
    for (const QString &scope : m_admin->scopes(selectedApi())) {
        auto *item = new QListWidgetItem(scope, m_clientScopes);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
        item->setCheckState(granted.contains(scope) ? Qt::Checked : Qt::Unchecked);
    }
    m_clientScopes->setEnabled(!grant.isEmpty());
}

// ---------------------------------------------------------------- Users and Roles

QWidget *TenantTab::buildUsersAndRoles()
{
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    layout->addWidget(lead(tr("<h3>Users and Roles</h3><p>With RBAC on, a user is granted the requested scopes it holds as permissions: "
                              "assigned directly or through its roles.</p>"),
                           page));
    auto *users = new QGroupBox(tr("Users"), page);
    auto *usersLayout = new QHBoxLayout(users);
    m_users = new QListWidget(users);
    m_users->setMaximumWidth(220);
    usersLayout->addWidget(m_users);
    auto *userDetail = new QVBoxLayout;
    m_userPermissions = table({tr("Permission"), tr("API"), tr("From")}, users);
    userDetail->addWidget(m_userPermissions, 1);
    auto *permissionButtons = new QHBoxLayout;
    permissionButtons->addWidget(button(tr("Assign permissions…"), users, [this] {
        const QString user = selectedUser();
        if (user.isEmpty())
            return;
        if (auto scopes = pickScopes(tr("Permissions for %1").arg(user), {}); scopes && !scopes->isEmpty())
            m_admin->addUserPermissions(user, selectedApi(), *scopes, report(tr("Gave %1 %2.").arg(user, scopes->join(QLatin1Char(' ')))));
    }));
    permissionButtons->addWidget(button(tr("Remove permission"), users, [this] {
        const auto items = m_userPermissions->selectedItems();
        if (items.isEmpty() || selectedUser().isEmpty())
            return;
        const int row = items.first()->row();
        if (m_userPermissions->item(row, 2)->text() != tr("direct")) {
            m_status->setText(tr("That permission comes from a role: remove the role, or the permission from the role."));
            return;
        }
        m_admin->removeUserPermissions(selectedUser(), m_userPermissions->item(row, 1)->text(), {m_userPermissions->item(row, 0)->text()},
                                       report(tr("Removed %1.").arg(m_userPermissions->item(row, 0)->text())));
    }));
    permissionButtons->addStretch(1);
    userDetail->addLayout(permissionButtons);
    m_userRoles = new QListWidget(users);
    m_userRoles->setMaximumHeight(80);
    userDetail->addWidget(new QLabel(tr("Roles"), users));
    userDetail->addWidget(m_userRoles);
    auto *roleButtons = new QHBoxLayout;
    roleButtons->addWidget(button(tr("Assign role…"), users, [this] {
        QStringList names;
        for (const QJsonValue &role : m_admin->roles())
            names.append(text(role.toObject(), "name"));
        if (names.isEmpty() || selectedUser().isEmpty())
            return;
        bool ok = false;
        const QString name = QInputDialog::getItem(this, tr("Assign role"), tr("Role"), names, 0, false, &ok);
        if (!ok)
            return;
        for (const QJsonValue &role : m_admin->roles()) {
            if (text(role.toObject(), "name") == name)
                m_admin->assignRoles(selectedUser(), {text(role.toObject(), "id")}, report(tr("Gave %1 the role %2.").arg(selectedUser(), name)));
        }
    }));
    roleButtons->addWidget(button(tr("Remove role"), users, [this] {
        if (!m_userRoles->currentItem() || selectedUser().isEmpty())
            return;
        m_admin->removeRoles(selectedUser(), {m_userRoles->currentItem()->data(Qt::UserRole).toString()}, report(tr("Removed the role.")));
    }));
    roleButtons->addStretch(1);
    userDetail->addLayout(roleButtons);
    usersLayout->addLayout(userDetail, 1);
    layout->addWidget(users, 2);

    auto *roles = new QGroupBox(tr("Roles"), page);
    auto *rolesLayout = new QHBoxLayout(roles);
    m_roles = table({tr("Role"), tr("Description")}, roles);
    rolesLayout->addWidget(m_roles, 1);
    auto *roleDetail = new QVBoxLayout;
    roleDetail->addWidget(new QLabel(tr("Permissions of the selected role"), roles));
    m_rolePermissions = new QListWidget(roles);
    roleDetail->addWidget(m_rolePermissions, 1);
    auto *roleRow = new QHBoxLayout;
    roleRow->addWidget(button(tr("Create role…"), roles, [this] {
        bool ok = false;
        const QString name = QInputDialog::getText(this, tr("Create role"), tr("Name"), QLineEdit::Normal, QString(), &ok).trimmed();
        if (ok && !name.isEmpty())
            m_admin->createRole(name, QString(), report(tr("Created the role %1.").arg(name)));
    }));
    roleRow->addWidget(button(tr("Delete role"), roles, [this] {
        if (!selectedRole().isEmpty())
            m_admin->deleteRole(selectedRole(), report(tr("Deleted the role.")));
    }));
    roleRow->addWidget(button(tr("Add permissions…"), roles, [this] {
        if (selectedRole().isEmpty())
            return;
        if (auto scopes = pickScopes(tr("Permissions of the role"), {}); scopes && !scopes->isEmpty())
            m_admin->addRolePermissions(selectedRole(), selectedApi(), *scopes, report(tr("Added %1 to the role.").arg(scopes->join(QLatin1Char(' ')))));
    }));
    roleRow->addWidget(button(tr("Remove permission"), roles, [this] {
        if (selectedRole().isEmpty() || !m_rolePermissions->currentItem())
            return;
        const QStringList parts = m_rolePermissions->currentItem()->data(Qt::UserRole).toStringList();
        m_admin->removeRolePermissions(selectedRole(), parts.value(0), {parts.value(1)}, report(tr("Removed %1 from the role.").arg(parts.value(1))));
    }));
    roleDetail->addLayout(roleRow);
    rolesLayout->addLayout(roleDetail, 1);
    layout->addWidget(roles, 1);
    connect(m_users, &QListWidget::currentRowChanged, this, &TenantTab::refreshUsersAndRoles);
    connect(m_roles, &QTableWidget::itemSelectionChanged, this, &TenantTab::refreshUsersAndRoles);
    return page;
}

QString TenantTab::selectedUser() const
{
    return m_users->currentItem() ? m_users->currentItem()->data(Qt::UserRole).toString() : QString();
}

QString TenantTab::selectedRole() const
{
    return selectedKey(m_roles);
}

void TenantTab::refreshUsersAndRoles()
{
    const QString keepUser = selectedUser();
    {
        const QSignalBlocker blocker(m_users);
        m_users->clear();
        for (const QJsonValue &value : m_admin->users()) {
            const QJsonObject user = value.toObject();
            auto *item = new QListWidgetItem(QStringLiteral("%1\n%2").arg(text(user, "name"), text(user, "email")), m_users);
            item->setData(Qt::UserRole, text(user, "user_id"));
            if (text(user, "user_id") == keepUser)
                m_users->setCurrentItem(item);
        }
        if (!m_users->currentItem() && m_users->count() > 0)
            m_users->setCurrentRow(0);
    }
    m_userPermissions->setRowCount(0);
    for (const QJsonValue &value : m_admin->userPermissions(selectedUser())) {
        const QJsonObject permission = value.toObject();
        QStringList sources;
        for (const QJsonValue &source : permission.value(QLatin1String("sources")).toArray()) {
            const QJsonObject entry = source.toObject();
            sources.append(text(entry, "source_type") == QLatin1String("ROLE") ? tr("role %1").arg(text(entry, "source_name")) : tr("direct"));
        }
        const int row = m_userPermissions->rowCount();
        m_userPermissions->insertRow(row);
        setRow(m_userPermissions, row,
               {text(permission, "permission_name"), text(permission, "resource_server_identifier"), sources.join(QStringLiteral(", "))},
               text(permission, "permission_name"));
    }
    m_userPermissions->resizeColumnsToContents();
    m_userRoles->clear();
    for (const QJsonValue &value : m_admin->userRoles(selectedUser())) {
        auto *item = new QListWidgetItem(text(value.toObject(), "name"), m_userRoles);
        item->setData(Qt::UserRole, text(value.toObject(), "id"));
    }
    const QString keepRole = selectedRole();
    {
        const QSignalBlocker blocker(m_roles);
        m_roles->setRowCount(0);
        for (const QJsonValue &value : m_admin->roles()) {
            const QJsonObject role = value.toObject();
            const int row = m_roles->rowCount();
            m_roles->insertRow(row);
            setRow(m_roles, row, {text(role, "name"), text(role, "description")}, text(role, "id"));
        }
        reselect(m_roles, keepRole.isEmpty() && m_roles->rowCount() > 0 ? m_roles->item(0, 0)->data(Qt::UserRole).toString() : keepRole);
        m_roles->resizeRowsToContents();
    }
    m_rolePermissions->clear();
    for (const QJsonValue &value : m_admin->rolePermissions(selectedRole())) {
        const QJsonObject permission = value.toObject();
        auto *item = new QListWidgetItem(QStringLiteral("%1  (%2)").arg(text(permission, "permission_name"), text(permission, "resource_server_identifier")),
                                         m_rolePermissions);
        item->setData(Qt::UserRole, QStringList{text(permission, "resource_server_identifier"), text(permission, "permission_name")});
    }
}

std::optional<QStringList> TenantTab::pickScopes(const QString &title, const QStringList &preselected)
{
    const QStringList scopes = m_admin->scopes(selectedApi());
    if (scopes.isEmpty()) {
        m_status->setText(tr("The API %1 has no scopes yet: add some on its Scopes page.").arg(selectedApi()));
        return std::nullopt;
    }
    QDialog dialog(this);
    dialog.setWindowTitle(title);
    auto *layout = new QVBoxLayout(&dialog);
    layout->addWidget(new QLabel(tr("Scopes of %1").arg(selectedApi()), &dialog));
    auto *list = new QListWidget(&dialog);
    for (const QString &scope : scopes) {
        auto *item = new QListWidgetItem(scope, list);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
        item->setCheckState(preselected.contains(scope) ? Qt::Checked : Qt::Unchecked);
    }
    layout->addWidget(list);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    layout->addWidget(buttons);
    if (dialog.exec() != QDialog::Accepted)
        return std::nullopt;
    QStringList picked;
    for (int i = 0; i < list->count(); ++i) {
        if (list->item(i)->checkState() == Qt::Checked)
            picked.append(list->item(i)->text());
    }
    return picked;
}

} // namespace organizer::ui
