#include "appcontroller.h"

#include <QLoggingCategory>

#include <utility>

namespace organizer::app {

namespace {

Q_LOGGING_CATEGORY(lcController, "organizer.app.controller")

const char kManagementSecretVariable[] = "ORGANIZER_MANAGEMENT_CLIENT_SECRET";

} // namespace

AppController::AppController(ServerLauncher *server, LoginSession *session, ApiClient *api, ProfileStore *profiles, QObject *parent)
    : QObject(parent), m_server(server), m_session(session), m_api(api), m_loginControl(new LoginController(session, api, this)),
      m_records(new RecordsController(api, this)), m_admin(new TenantAdmin(this)), m_tenant(new TenantController(m_admin, this)),
      m_profiles(new ProfileList(profiles, this))
{
    // The token goes from the session to the records client here, before anyone hears of the login.
    connect(m_session, &LoginSession::succeeded, this, [this](const LoginResult &result) {
        m_login = result;
        m_api->setAccessToken(result.accessToken);
        Q_EMIT loggedIn(result);
    });
    connect(m_session, &LoginSession::failed, this, &AppController::loginFailed);
    connect(m_session, &LoginSession::progress, this, &AppController::loginProgress);
    connect(m_session, &LoginSession::authorizeWithBrowser, this, [this](const QUrl &url) {
        if (m_loginControl->browser() == Browser::System)
            Q_EMIT openInSystemBrowser(url, m_loginControl->loopbackRedirect());
        else
            Q_EMIT openInEmbeddedView(url);
    });
    connect(m_profiles, &ProfileList::currentChanged, this, [this] {
        if (m_followsProfile)
            followProfile();
    });
    connect(m_admin, &TenantAdmin::changed, this, &AppController::followTenant);
    connect(m_server, &ServerLauncher::stateChanged, this, &AppController::onServerState);
}

QUrl AppController::issuerOf(const Profile &profile) const
{
    return profile.local ? m_server->url() : profile.issuer;
}

void AppController::selectProfile(const QString &name)
{
    const bool first = !std::exchange(m_followsProfile, true);
    if (!m_profiles->select(name) && first)
        followProfile();
}

void AppController::useProfile(const Profile &profile)
{
    m_followsProfile = true;
    m_profiles->use(profile);
}

void AppController::saveProfile(const Profile &profile, const QString &replacing)
{
    m_profiles->put(profile, replacing);
}

bool AppController::removeProfile(const QString &name)
{
    return m_profiles->remove(name);
}

void AppController::setFlow(Flow flow)
{
    m_profiles->setFlow(flow);
}

void AppController::setScopeRequested(const QString &scope, bool requested)
{
    m_profiles->setScope(scope, requested);
}

void AppController::followProfile()
{
    const Profile &profile = m_profiles->current();
    m_discoveredScopes.clear();
    if (profile.local && m_server->state() == ServerLauncher::State::Running)
        m_api->setBaseUrl(m_server->url());
    discoverScopes();
    connectTenant();
    Q_EMIT scopeChoicesChanged();
}

void AppController::onServerState(ServerLauncher::State state)
{
    if (state != ServerLauncher::State::Running || !m_followsProfile || !profile().local)
        return;
    m_api->setBaseUrl(m_server->url());
    discoverScopes();
    connectTenant();
}

bool AppController::canLogIn(const Profile &profile) const
{
    return !profile.local || m_server->state() == ServerLauncher::State::Running;
}

bool AppController::isLoggingIn() const
{
    return m_session->isActive();
}

Expected<AppController::Browser, QString> AppController::logIn()
{
    const Profile &profile = m_profiles->current();
    if (!canLogIn(profile))
        return Unexpected<QString>(tr("The bundled server is not running yet."));
    Q_EMIT loginStarting(LoginController::browserFor(profile));
    return m_loginControl->start(profile, m_server->url());
}

Expected<AppController::Browser, QString> AppController::logInAskingFor(const QStringList &scopes)
{
    if (m_profiles->addScopes(scopes))
        Q_EMIT scopeChoicesChanged();
    return logIn();
}

bool AppController::isLoginRedirect(const QUrl &url) const
{
    return m_session->isRedirect(url);
}

void AppController::deliverRedirect(const QUrl &url)
{
    m_session->handleRedirect(url);
}

void AppController::notePageLoaded(const QUrl &url)
{
    // The pages a person acts on are steps of the timeline; the rest of the navigation is not.
    if (url.path() == QLatin1String("/login"))
        m_loginControl->record(Lane::AuthorizationServer, Lane::Browser, tr("login page"), FlowStep::Outcome::Info, url.toString());
    else if (url.path() == QLatin1String("/consent"))
        m_loginControl->record(Lane::AuthorizationServer, Lane::Browser, tr("consent page"), FlowStep::Outcome::Info, url.toString());
}

void AppController::cancelLogin()
{
    m_session->cancel();
}

void AppController::logout()
{
    m_login.reset();
    m_api->setAccessToken({});
    m_loginControl->endLogin();
    Q_EMIT loggedOut();
}

QString AppController::copyableToken(Token token) const
{
    if (!m_login)
        return {};
    return QString::fromLatin1(token == Token::Id ? m_login->idToken : m_login->accessToken);
}

void AppController::refreshAll()
{
    if (m_login)
        m_records->refreshAll();
}

QString AppController::knownManagementSecret(const Profile &profile)
{
    // The demo tenant's management secret is public (loopback only); any other comes from the
    // environment or is asked for, and is never saved.
    if (qEnvironmentVariableIsSet(kManagementSecretVariable))
        return qEnvironmentVariable(kManagementSecretVariable);
    const ManagementTarget demo = demoTenantTarget(QUrl());
    return profile.local && profile.managementClientId == demo.clientId ? demo.clientSecret : QString();
}

ManagementTarget AppController::demoTenantTarget(const QUrl &issuer)
{
    return ManagementTarget::forIssuer(issuer, Profile::localProfile().managementClientId, QStringLiteral("organizer-admin-secret"));
}

AppController::TenantAccess AppController::connectTenant(const QString &secret)
{
    const Profile &profile = m_profiles->current();
    const QUrl issuer = issuerOf(profile);
    if (profile.managementClientId.isEmpty() || !issuer.isValid() || issuer.isEmpty()) {
        m_admin->setTarget({});
        return TenantAccess::NoManagementClient;
    }
    const QString useSecret = secret.isEmpty() ? knownManagementSecret(profile) : secret;
    if (useSecret.isEmpty()) {
        m_admin->setTarget({});
        return TenantAccess::NeedsSecret;
    }
    const ManagementTarget target = ManagementTarget::forIssuer(issuer, profile.managementClientId, useSecret);
    if (target.apiBase == m_admin->target().apiBase && target.clientId == m_admin->target().clientId && m_admin->hasTarget())
        return TenantAccess::Connected;
    m_admin->setTarget(target);
    m_admin->reload();
    return TenantAccess::Connected;
}

void AppController::discoverScopes()
{
    const QUrl issuer = issuerOf(profile());
    if (!issuer.isValid() || issuer.isEmpty())
        return;
    m_discovery.discover(issuer, [this, name = profile().name](const ProviderMetadata &metadata, const QString &error) {
        if (name != profile().name)
            return; // an answer for a profile no longer shown
        if (!error.isEmpty()) {
            qCInfo(lcController).noquote() << "no scopes from discovery:" << error;
            Q_EMIT discoveryFailed(error);
            return;
        }
        m_discoveredScopes = metadata.scopesSupported;
        Q_EMIT scopeChoicesChanged();
    });
}

QStringList AppController::scopeChoices() const
{
    return app::scopeChoices(profile(), m_discoveredScopes + m_admin->scopes(profile().audience));
}

void AppController::followTenant()
{
    // What the tenant says now reaches the records, the scope menu and the QA grid.
    const QString audience = profile().audience;
    if (!m_admin->hasTarget() || m_admin->resourceServers().isEmpty())
        return;
    m_records->setApis(m_admin->recordApis(audience));
    Q_EMIT scopeChoicesChanged();
    Q_EMIT tenantFollowed(m_admin->recordApis(audience), m_admin->accessRules());
}

} // namespace organizer::app
