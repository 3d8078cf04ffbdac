#include "tenanttab.h"

#include "apispage.h"
#include "apisettingspage.h"
#include "machinetomachinepage.h"
#include "scopespage.h"
#include "tenantwidgets.h"
#include "usersandrolespage.h"
#include "walkthroughpage.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QStackedWidget>
#include <QVBoxLayout>

namespace organizer::ui {

using namespace tenant;

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
    m_walkthrough = new WalkthroughPage(m_admin, this);
    m_pageList = {m_walkthrough,
                  new ApisPage(m_admin, this),
                  new ApiSettingsPage(m_admin, this),
                  new ScopesPage(m_admin, this),
                  new MachineToMachinePage(m_admin, this),
                  new UsersAndRolesPage(m_admin, this)};
    for (TenantPage *page : std::as_const(m_pageList))
        m_pages->addWidget(page);
    body->addWidget(m_nav);
    body->addWidget(m_pages, 1);
    layout->addLayout(body, 1);
    connect(m_nav, &QListWidget::currentRowChanged, m_pages, &QStackedWidget::setCurrentIndex);
    m_nav->setCurrentRow(0);
    connectPages();

    connect(m_apiBox, &QComboBox::currentIndexChanged, this, &TenantTab::presentApi);
    connect(m_admin, &app::TenantAdmin::changed, this, &TenantTab::refresh);
    connect(m_admin, &app::TenantAdmin::failed, this, &TenantTab::showProblem);
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

void TenantTab::connectPages()
{
    for (TenantPage *page : std::as_const(m_pageList)) {
        connect(page, &TenantPage::notice, m_status, &QLabel::setText);
        connect(page, &TenantPage::problem, this, &TenantTab::showProblem);
    }
    const catalogue::ResourceServerSpec &service = catalogue::organizerService();
    connect(m_walkthrough, &WalkthroughPage::createServiceRequested, this,
            [this, &service] { m_admin->createApi(service.name, service.identifier, service.signingAlgorithm, report(tr("Created %1.").arg(service.name))); });
    connect(m_walkthrough, &WalkthroughPage::addScopeRequested, this, [this](const QString &apiId, const QString &value, const QString &description) {
        m_admin->addScope(apiId, value, description, report(tr("Added %1.").arg(value)));
    });
    connect(m_walkthrough, &WalkthroughPage::loginRequested, this, &TenantTab::loginRequested);
    connect(m_walkthrough, &WalkthroughPage::callApisRequested, this, &TenantTab::callApisRequested);

    auto *apis = static_cast<ApisPage *>(m_pageList.at(int(Page::Apis)));
    connect(apis, &ApisPage::createApiRequested, this, [this](const QString &name, const QString &identifier, const QString &algorithm) {
        m_admin->createApi(name, identifier, algorithm, [this, identifier](bool ok, const QString &) {
            if (!ok)
                return;
            selectApi(identifier);
            showPage(Page::Scopes);
            m_status->setStyleSheet(QStringLiteral("color: #1f8a4c"));
            m_status->setText(tr("Created. Now add its scopes: one per API and action, like %1.")
                                  .arg(catalogue::organizerService().apis.at(0).scope(catalogue::Action::Read)));
        });
    });
    connect(apis, &ApisPage::deleteApiRequested, this,
            [this](const QString &id, const QString &name) { m_admin->deleteApi(id, report(tr("Deleted %1.").arg(name))); });
    connect(apis, &ApisPage::apiPicked, this, &TenantTab::selectApi);
    connect(apis, &ApisPage::settingsRequested, this, [this] { showPage(Page::Settings); });

    auto *settings = static_cast<ApiSettingsPage *>(m_pageList.at(int(Page::Settings)));
    connect(settings, &ApiSettingsPage::saveRequested, this, [this](const QString &id, const QString &name, const app::ApiSettingsEdit &edit) {
        m_admin->updateApiSettings(id, edit, report(tr("Saved the settings of %1.").arg(name)));
    });

    auto *scopes = static_cast<ScopesPage *>(m_pageList.at(int(Page::Scopes)));
    connect(scopes, &ScopesPage::addScopeRequested, this, [this](const QString &apiId, const QString &value, const QString &description) {
        m_admin->addScope(apiId, value, description, report(tr("Added %1.").arg(value)));
    });
    connect(scopes, &ScopesPage::removeScopeRequested, this,
            [this](const QString &apiId, const QString &value) { m_admin->removeScope(apiId, value, report(tr("Removed %1.").arg(value))); });

    auto *machines = static_cast<MachineToMachinePage *>(m_pageList.at(int(Page::MachineToMachine)));
    connect(machines, &MachineToMachinePage::grantRequested, this,
            [this](const QString &clientId, const QString &audience, bool authorized, const QStringList &granted) {
                m_admin->setClientGrant(clientId, audience, authorized, granted, report(tr("Updated what %1 may ask for.").arg(clientId)));
            });

    auto *people = static_cast<UsersAndRolesPage *>(m_pageList.at(int(Page::UsersAndRoles)));
    connect(people, &UsersAndRolesPage::addUserPermissionsRequested, this, [this](const QString &user, const QString &audience, const QStringList &granted) {
        m_admin->addUserPermissions(user, audience, granted, report(tr("Gave %1 %2.").arg(user, granted.join(QLatin1Char(' ')))));
    });
    connect(people, &UsersAndRolesPage::removeUserPermissionRequested, this, [this](const QString &user, const QString &audience, const QString &scope) {
        m_admin->removeUserPermissions(user, audience, {scope}, report(tr("Removed %1.").arg(scope)));
    });
    connect(people, &UsersAndRolesPage::assignRoleRequested, this, [this](const QString &user, const QString &roleId, const QString &roleName) {
        m_admin->assignRoles(user, {roleId}, report(tr("Gave %1 the role %2.").arg(user, roleName)));
    });
    connect(people, &UsersAndRolesPage::removeRoleRequested, this,
            [this](const QString &user, const QString &roleId) { m_admin->removeRoles(user, {roleId}, report(tr("Removed the role."))); });
    connect(people, &UsersAndRolesPage::createRoleRequested, this,
            [this](const QString &name) { m_admin->createRole(name, QString(), report(tr("Created the role %1.").arg(name))); });
    connect(people, &UsersAndRolesPage::deleteRoleRequested, this,
            [this](const QString &roleId) { m_admin->deleteRole(roleId, report(tr("Deleted the role."))); });
    connect(people, &UsersAndRolesPage::addRolePermissionsRequested, this, [this](const QString &roleId, const QString &audience, const QStringList &granted) {
        m_admin->addRolePermissions(roleId, audience, granted, report(tr("Added %1 to the role.").arg(granted.join(QLatin1Char(' ')))));
    });
    connect(people, &UsersAndRolesPage::removeRolePermissionRequested, this, [this](const QString &roleId, const QString &audience, const QString &scope) {
        m_admin->removeRolePermissions(roleId, audience, {scope}, report(tr("Removed %1 from the role.").arg(scope)));
    });
}

void TenantTab::showProblem(const QString &message)
{
    m_status->setStyleSheet(QStringLiteral("color: #b42318"));
    m_status->setText(message);
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
        for (const app::ResourceServer &api : m_admin->resourceServers()) {
            if (!api.isSystem)
                m_apiBox->addItem(api.name, api.identifier);
        }
        // Organizer Service first, as the tutorial has it.
        const int index = m_apiBox->findData(keep.isEmpty() ? catalogue::organizerService().identifier : keep);
        m_apiBox->setCurrentIndex(index >= 0 ? index : 0);
    }
    for (TenantPage *page : std::as_const(m_pageList))
        page->present(selectedApi());
}

void TenantTab::presentApi()
{
    // The pages that show or change one API.
    for (Page page : {Page::Settings, Page::Scopes, Page::MachineToMachine, Page::UsersAndRoles})
        m_pageList.at(int(page))->present(selectedApi());
}

void TenantTab::setLogin(const std::optional<QStringList> &grantedScopes)
{
    m_walkthrough->setLogin(grantedScopes);
}

void TenantTab::noteApiAnswered(const QString &apiName, int status)
{
    m_walkthrough->noteApiAnswered(apiName, status);
}

} // namespace organizer::ui
