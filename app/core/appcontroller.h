#pragma once

#include "apiclient.h"
#include "expected.h"
#include "logincontroller.h"
#include "loginsession.h"
#include "oidcclient.h"
#include "profiles.h"
#include "recordscontroller.h"
#include "serverlauncher.h"
#include "tenantadmin.h"

#include <QObject>

#include <optional>

namespace organizer::app {

// The app under its windows: it owns the login (LoginController over the session), the records
// client and the hand-off of the access token to it, the tenant's administration (which management
// secret, which target) and what follows from the tenant (the APIs with records, the scopes the
// menu offers, the rules the QA grid predicts from). The window and the demo scenarios ask it and
// listen to it; a token never passes through a widget.
class AppController : public QObject
{
    Q_OBJECT

public:
    using Browser = LoginController::Browser;
    enum class TenantAccess { Connected, NoManagementClient, NeedsSecret };

    AppController(ServerLauncher *server, LoginSession *session, ApiClient *api, QObject *parent = nullptr);

    ServerLauncher *server() const { return m_server; }
    LoginSession *session() const { return m_session; }
    ApiClient *api() const { return m_api; }
    RecordsController *records() const { return m_records; }
    TenantAdmin *tenantAdmin() const { return m_admin; }
    LoginController *loginController() const { return m_loginControl; }

    // The profile the app works with: discovery, the tenant and the records follow it.
    void setProfile(const Profile &profile);
    const Profile &profile() const { return m_profile; }
    // The bundled server for the Local profile, the profile's issuer otherwise (invalid while unknown).
    QUrl issuerOf(const Profile &profile) const;

    // Whether a login can start now (the Local profile waits for the bundled server).
    bool canLogIn(const Profile &profile) const;
    // Starts a login; loginStarting() says first in which browser. The error is one sentence.
    Expected<Browser, QString> startLogin(const Profile &profile);
    // Drops the tokens: the records client holds none afterwards.
    void logout();
    const std::optional<LoginResult> &login() const { return m_login; }
    void refreshAll();

    // The tenant of the current profile, through its management client, with the secret given or
    // the one known without asking (the environment's, or the demo tenant's public one).
    TenantAccess connectTenant(const QString &secret = {});
    static QString knownManagementSecret(const Profile &profile);
    // The bundled server's demo tenant: its management client and its public, loopback-only secret.
    static ManagementTarget demoTenantTarget(const QUrl &issuer);

    // What the Scopes menu offers for `profile` (the current one, as the window holds it now): its
    // own, the catalogue's, what discovery and the tenant list.
    QStringList scopeChoices(const Profile &profile) const;

Q_SIGNALS:
    // Before the session asks for a browser: the window readies its embedded view.
    void loginStarting(organizer::app::AppController::Browser browser);
    void openInEmbeddedView(const QUrl &authorizeUrl);
    void openInSystemBrowser(const QUrl &authorizeUrl, const QUrl &loopbackRedirect);
    // After the records client got the login's access token.
    void loggedIn(const organizer::app::LoginResult &result);
    void loggedOut();
    void scopeChoicesChanged();
    void discoveryFailed(const QString &error);
    // The tenant changed what the app shows: its APIs with records and its rules.
    void tenantFollowed(const QList<organizer::catalogue::ApiSpec> &apis, const QJsonObject &tenantRules);

private:
    void discoverScopes();
    void followTenant();
    void onServerState(ServerLauncher::State state);

    ServerLauncher *m_server;
    LoginSession *m_session;
    ApiClient *m_api;
    LoginController *m_loginControl;
    RecordsController *m_records;
    TenantAdmin *m_admin;
    OidcClient m_discovery; // scopes_supported, for the scope menu
    Profile m_profile = Profile::localProfile();
    // Only once a profile is set (the window) are discovery and the tenant followed: the headless
    // scenarios log in and call, nothing more.
    bool m_followsProfile = false;
    QStringList m_discoveredScopes;
    std::optional<LoginResult> m_login;
};

} // namespace organizer::app
