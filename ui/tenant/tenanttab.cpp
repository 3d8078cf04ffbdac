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

TenantTab::TenantTab(app::TenantController *tenant, QWidget *parent) : QWidget(parent), m_tenant(tenant), m_admin(tenant->admin())
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
    bar->addWidget(button(tr("Reload"), this, [this] { m_tenant->reload(); }));
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
    connect(m_tenant, &app::TenantController::failed, this, &TenantTab::showProblem);
    connect(m_tenant, &app::TenantController::done, this, &TenantTab::showDone);
    connect(m_tenant, &app::TenantController::apiCreated, this, [this](const QString &identifier) {
        selectApi(identifier);
        showPage(Page::Scopes);
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

void TenantTab::connectPages()
{
    for (TenantPage *page : std::as_const(m_pageList)) {
        connect(page, &TenantPage::notice, m_status, &QLabel::setText);
        connect(page, &TenantPage::problem, this, &TenantTab::showProblem);
    }
    connect(m_walkthrough, &WalkthroughPage::createServiceRequested, m_tenant, &app::TenantController::createOrganizerService);
    connect(m_walkthrough, &WalkthroughPage::addScopeRequested, m_tenant, &app::TenantController::addScope);
    connect(m_walkthrough, &WalkthroughPage::loginRequested, this, &TenantTab::loginRequested);
    connect(m_walkthrough, &WalkthroughPage::callApisRequested, this, &TenantTab::callApisRequested);

    auto *apis = static_cast<ApisPage *>(m_pageList.at(int(Page::Apis)));
    connect(apis, &ApisPage::createApiRequested, m_tenant, &app::TenantController::createApi);
    connect(apis, &ApisPage::deleteApiRequested, m_tenant, &app::TenantController::deleteApi);
    connect(apis, &ApisPage::apiPicked, this, &TenantTab::selectApi);
    connect(apis, &ApisPage::settingsRequested, this, [this] { showPage(Page::Settings); });

    auto *settings = static_cast<ApiSettingsPage *>(m_pageList.at(int(Page::Settings)));
    connect(settings, &ApiSettingsPage::saveRequested, m_tenant, &app::TenantController::saveApiSettings);

    auto *scopes = static_cast<ScopesPage *>(m_pageList.at(int(Page::Scopes)));
    connect(scopes, &ScopesPage::addScopeRequested, m_tenant, &app::TenantController::addScope);
    connect(scopes, &ScopesPage::removeScopeRequested, m_tenant, &app::TenantController::removeScope);

    auto *machines = static_cast<MachineToMachinePage *>(m_pageList.at(int(Page::MachineToMachine)));
    connect(machines, &MachineToMachinePage::grantRequested, m_tenant, &app::TenantController::setClientGrant);

    auto *people = static_cast<UsersAndRolesPage *>(m_pageList.at(int(Page::UsersAndRoles)));
    connect(people, &UsersAndRolesPage::addUserPermissionsRequested, m_tenant, &app::TenantController::addUserPermissions);
    connect(people, &UsersAndRolesPage::removeUserPermissionRequested, m_tenant, &app::TenantController::removeUserPermission);
    connect(people, &UsersAndRolesPage::assignRoleRequested, m_tenant, &app::TenantController::assignRole);
    connect(people, &UsersAndRolesPage::removeRoleRequested, m_tenant, &app::TenantController::removeRole);
    connect(people, &UsersAndRolesPage::createRoleRequested, m_tenant, &app::TenantController::createRole);
    connect(people, &UsersAndRolesPage::deleteRoleRequested, m_tenant, &app::TenantController::deleteRole);
    connect(people, &UsersAndRolesPage::addRolePermissionsRequested, m_tenant, &app::TenantController::addRolePermissions);
    connect(people, &UsersAndRolesPage::removeRolePermissionRequested, m_tenant, &app::TenantController::removeRolePermission);
}

void TenantTab::showProblem(const QString &message)
{
    m_status->setStyleSheet(QStringLiteral("color: #b42318"));
    m_status->setText(message);
}

void TenantTab::showDone(const QString &message)
{
    m_status->setStyleSheet(QStringLiteral("color: #1f8a4c"));
    m_status->setText(message);
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
