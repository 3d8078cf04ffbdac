#pragma once

#include "apiclient.h"
#include "expected.h"
#include "logincontroller.h"
#include "loginsession.h"
#include "oidcclient.h"
#include "profilelist.h"
#include "recordscontroller.h"
#include "serverlauncher.h"
#include "tenantadmin.h"
#include "tenantcontroller.h"

#include <QObject>

#include <optional>

namespace organizer::app {

// The app under its windows: it owns the profiles (which one is in use, saved as they change), the
// login (LoginController over the session), the records client and the hand-off of the access token
// to it, the tenant's administration (which management secret, which target, what a page's intent
// does) and what follows from the tenant (the APIs with records, the scopes the menu offers, the
// rules the QA grid predicts from). The window and the demo scenarios ask it and listen to it; a
// token never passes through a widget, and no widget talks to the login session.
class AppController : public QObject
{
    Q_OBJECT

public:
    using Browser = LoginController::Browser;
    enum class TenantAccess { Connected, NoManagementClient, NeedsSecret };
    enum class Token { Access, Id };

    // `profiles`: where the profiles are saved; without one only Local, in memory (headless runs).
    AppController(ServerLauncher *server, LoginSession *session, ApiClient *api, ProfileStore *profiles = nullptr, QObject *parent = nullptr);

    ServerLauncher *server() const { return m_server; }
    LoginSession *session() const { return m_session; }
    ApiClient *api() const { return m_api; }
    RecordsController *records() const { return m_records; }
    TenantAdmin *tenantAdmin() const { return m_admin; }
    TenantController *tenant() const { return m_tenant; }
    LoginController *loginController() const { return m_loginControl; }
    const ProfileList *profiles() const { return m_profiles; }

    // The profile the app works with: discovery, the tenant and the records follow it once the
    // window picked one (selectProfile or useProfile); the headless scenarios never do.
    const Profile &profile() const { return m_profiles->current(); }
    void selectProfile(const QString &name);
    // A profile from the command line: used now, saved only once edited.
    void useProfile(const Profile &profile);
    // A new profile (replacing empty) or an edited one; saved, and in use afterwards.
    void saveProfile(const Profile &profile, const QString &replacing = {});
    // Any but Local; Local is in use afterwards if the removed one was.
    bool removeProfile(const QString &name);
    void setFlow(Flow flow);
    void setScopeRequested(const QString &scope, bool requested);
    // The bundled server for the Local profile, the profile's issuer otherwise (invalid while unknown).
    QUrl issuerOf(const Profile &profile) const;

    // Whether a login can start now (the Local profile waits for the bundled server).
    bool canLogIn() const { return canLogIn(profile()); }
    bool canLogIn(const Profile &profile) const;
    bool isLoggingIn() const;
    // Starts a login with the current profile; loginStarting() says first in which browser. The
    // error is one sentence.
    Expected<Browser, QString> logIn();
    // The walkthrough's login: the current profile asks for these scopes too from now on (saved).
    Expected<Browser, QString> logInAskingFor(const QStringList &scopes);
    // The embedded view's part of a login: whether a URL it is about to load is the login's redirect
    // (then it must not load it), the redirect itself, each page it loaded, and a person closing it.
    bool isLoginRedirect(const QUrl &url) const;
    void deliverRedirect(const QUrl &url);
    void notePageLoaded(const QUrl &url);
    void cancelLogin();
    // Drops the tokens: the records client holds none afterwards.
    void logout();
    const std::optional<LoginResult> &login() const { return m_login; }
    // What "Copy access token" and "Copy ID token" put on the clipboard: empty while logged out.
    QString copyableToken(Token token) const;
    void refreshAll();

    // The tenant of the current profile, through its management client, with the secret given or
    // the one known without asking (the environment's, or the demo tenant's public one).
    TenantAccess connectTenant(const QString &secret = {});
    static QString knownManagementSecret(const Profile &profile);
    // The bundled server's demo tenant: its management client and its public, loopback-only secret.
    static ManagementTarget demoTenantTarget(const QUrl &issuer);

    // What the Scopes menu offers for the current profile: its own, the catalogue's, what discovery
    // and the tenant list.
    QStringList scopeChoices() const;

Q_SIGNALS:
    // Before the session asks for a browser: the window readies its embedded view.
    void loginStarting(organizer::app::AppController::Browser browser);
    void openInEmbeddedView(const QUrl &authorizeUrl);
    void openInSystemBrowser(const QUrl &authorizeUrl, const QUrl &loopbackRedirect);
    // After the records client got the login's access token.
    void loggedIn(const organizer::app::LoginResult &result);
    void loginFailed(const organizer::app::LoginError &error);
    // A step of the login under way, in a few words for the status line.
    void loginProgress(const QString &step);
    void loggedOut();
    void scopeChoicesChanged();
    void discoveryFailed(const QString &error);
    // The tenant changed what the app shows: its APIs with records and its rules.
    void tenantFollowed(const QList<organizer::catalogue::ApiSpec> &apis, const organizer::app::AccessRules &tenant);

private:
    void followProfile();
    void discoverScopes();
    void followTenant();
    void onServerState(ServerLauncher::State state);

    ServerLauncher *m_server;
    LoginSession *m_session;
    ApiClient *m_api;
    LoginController *m_loginControl;
    RecordsController *m_records;
    TenantAdmin *m_admin;
    TenantController *m_tenant;
    ProfileList *m_profiles;
    OidcClient m_discovery; // scopes_supported, for the scope menu
    // Only once a profile is picked (the window) are discovery and the tenant followed: the headless
    // scenarios log in and call, nothing more.
    bool m_followsProfile = false;
    QStringList m_discoveredScopes;
    std::optional<LoginResult> m_login;
};

} // namespace organizer::app
