#pragma once

#include "accesstokenverifier.h"
#include "authorizationstate.h"
#include "authorizerequest.h"
#include "consentstore.h"
#include "loginthrottle.h"
#include "passwordhash.h"
#include "router.h"
#include "refreshtokens.h"
#include "tenant.h"
#include "tokenminter.h"
#include "verifiedsecrets.h"

#include <QLoggingCategory>
#include <QMutex>
#include <QSet>
#include <QThreadPool>
#include <QTimer>

#include <atomic>

namespace organizer::authorization {

Q_DECLARE_LOGGING_CATEGORY(lcAuthorization)

// The bundled, Auth0-compatible authorization server: /authorize with hosted login and consent pages,
// /oauth/token, /userinfo, logout and discovery. Everything it keeps between requests (logins under
// way, sessions, codes, refresh-token families, consents, failed-login counts, revocations) is in the
// server's database, so instances sharing one can each take any step of any login — and the HTTP
// workers of one instance can each take any request at once: the routes run on whichever worker read
// the request, each on its own database connection and its own snapshot of the tenant.
class AuthorizationServer
{
public:
    // The tenant as one request sees it from start to end, however the Management API changes it
    // meanwhile on another thread: a request takes one snapshot and reads only that.
    using TenantSnapshot = std::shared_ptr<const Tenant>;

    // `revocations`: this process's list of access tokens withdrawn before their expiry (the APIs read
    // it); `database`: where the state and the list every instance follows are kept.
    AuthorizationServer(Tenant tenant, TokenMinter *minter, store::ConsentStore *consents, resource::AccessTokenVerifier *userinfoVerifier,
                        std::function<QByteArray()> publishedKeys, std::shared_ptr<store::Database> database, resource::TokenRevocations *revocations,
                        Clock clock = systemClock());

    void registerRoutes(http::Router &router);
    TenantSnapshot tenant() const
    {
        QMutexLocker lock(&m_tenantMutex);
        return m_tenant;
    }
    // The Management API's changes, live: requests already under way finish on the snapshot they took.
    void replaceTenant(Tenant tenant);
    void bindIssuer(const QString &issuer);
    // Takes on what other instances on the same database did that this one caches (revocations).
    void followSharedState();

    // Handlers, public so tests can call them without a socket.
    http::Response authorize(const http::Request &request);
    http::Response loginPage(const http::Request &request);
    void login(const http::Request &request, http::Responder respond);
    http::Response consentPage(const http::Request &request);
    http::Response consent(const http::Request &request);
    void token(const http::Request &request, http::Responder respond);
    void userinfo(const http::Request &request, http::Responder respond);
    http::Response logout(const http::Request &request);
    http::Response oidcLogout(const http::Request &request);
    http::Response confirmOidcLogout(const http::Request &request);
    http::Response discovery() const;

private:
    // Pending logins are bounded, so a flood of /authorize requests cannot grow the store: per address
    // group and in total, by count and by the bytes their parameters hold. At a bound the oldest of the
    // heaviest sender go, never the newcomer: a flood only ever pushes out its own.
    static constexpr PendingLoginLimits kPendingLoginLimits{2'000, 4 * 1024 * 1024, 20'000, 16 * 1024 * 1024};
    struct TokenIssue
    {
        http::Response response;
        QByteArray accessToken;
        qint64 accessExpiresAt = 0;
    };

    // Continues a transaction: login, then consent, then the answer to the client.
    http::Response advance(const Tenant &tenant, const QByteArray &transactionId, const Transaction &transaction);
    http::Response complete(const Tenant &tenant, const QByteArray &transactionId, const Transaction &transaction);
    http::Response answer(const AuthorizeRequest &request, const QList<QPair<QString, QString>> &parameters);
    http::Response answerError(const AuthorizeRequest &request, const QString &error, const QString &description);
    http::Response errorPage(int status, const QString &title, const QString &message) const;
    http::Response renderLogin(const Tenant &tenant, const QByteArray &transactionId, const Transaction &transaction, const QString &username,
                               const QString &error) const;

    // The login `id` continues, or the page that says why it cannot (expired: `expired` is shown;
    // `needsUser`: the user must have logged in already).
    Expected<Transaction, http::Response> pendingTransaction(const QByteArray &id, const QString &expired, bool needsUser = false) const;
    std::optional<Session> currentSession(const Tenant &tenant, const http::Request &request) const;
    // The database could not be used: a 503 page, the reason in the log.
    http::Response storageUnavailable(const QString &reason) const;
    static QStringList grantedFor(const Tenant &tenant, const AuthorizeRequest &request, const User &user);

    struct ClientAuthentication
    {
        TenantSnapshot tenant; // holds `client`
        const Client *client = nullptr;
        bool usedBasic = false;
    };
    using ClientCheck = std::function<void(const Expected<ClientAuthentication, http::Response> &)>;
    // Calls `done` once, later when a secret must be checked (off the event loop).
    void authenticateClient(const http::Request &request, const FormData &parameters, ClientCheck done);
    struct ClientCredentials
    {
        QString clientId;
        QString secret;
        bool usedBasic = false;
        QString addressKey; // the sender's address group, for unknown client IDs
    };
    void checkClientSecret(const ClientCredentials &credentials, ClientCheck done);
    void resumeClientChecks(const QString &clientKey);
    static Unexpected<http::Response> invalidClientError(bool usedBasic, const QString &description);
    static constexpr qsizetype kMaxClientChecksWaiting = 256; // per client ID, behind the one KDF check running
    http::Response tooManyLogins(const Tenant &tenant, const QByteArray &id, const Transaction &transaction, const QString &username, qint64 wait) const;
    http::Response busyPage() const;
    void clientCredentialsGrant(const Tenant &tenant, const Client &client, const FormData &parameters, http::Responder respond);
    http::Response authorizationCodeGrant(const Tenant &tenant, const Client &client, const FormData &parameters);
    http::Response refreshTokenGrant(const Tenant &tenant, const Client &client, const FormData &parameters);
    TokenIssue tokenResponse(const Tenant &tenant, const Api *api, const QString &subject, const Client &client, const QStringList &consented,
                             const QString &nonce, qint64 authTime, const RefreshTokens::Issued *refreshToken);
    void revoke(const http::Request &request, http::Responder respond);
    http::Response revokeFor(const Client &client, const FormData &parameters);
    void prune();
    http::Response loggedOutPage() const;
    // Where RP-initiated logout goes afterwards: the registered post_logout_redirect_uri with state, or
    // the logged-out page; an unregistered target is an error page.
    Expected<http::Response, http::Response> logoutDestination(const Tenant &tenant, const QString &clientId, const QString &target,
                                                               const QString &state) const;
    QByteArray logoutConfirmationToken(const QByteArray &sessionId) const;
    // Forgets the browser's session and tells it to drop the cookie.
    http::Response endSession(const http::Request &request, http::Response response);

    mutable QMutex m_tenantMutex; // guards the pointer only: a snapshot is never changed once published
    TenantSnapshot m_tenant;
    TokenMinter *m_minter;
    store::ConsentStore *m_consents;
    resource::AccessTokenVerifier *m_userinfoVerifier;
    std::function<QByteArray()> m_publishedKeys;
    Clock m_clock;
    LoginThrottle m_throttle; // per account
    LoginThrottle m_unknownNameThrottle; // per address, names that do not exist
    LoginThrottle m_clientThrottle; // per client ID
    LoginThrottle m_unknownClientThrottle; // per address, client IDs that do not exist
    // Client IDs with a KDF check running, each with the requests waiting for its verdict; workers add
    // to it, the check's verdict (on the server's own thread) takes from it.
    QMutex m_clientChecksMutex;
    QHash<QString, QList<QPair<ClientCredentials, ClientCheck>>> m_clientChecksWaiting;
    VerifiedSecrets m_verifiedSecrets;
    BackgroundPasswordCheck m_passwordChecks;
    QObject m_context; // secret checks report back here; gone with the server, so late answers are dropped
    static constexpr int kMaxSigningQueued = 1024;
    std::atomic<int> m_signingQueued{0}; // before the pool: its tasks count down until it has waited for them
    QThreadPool m_signing; // RS256 for machine-to-machine tokens, beside the event loop
    QTimer m_sweeper; // expired transactions, sessions and codes go even when no request comes
    resource::TokenRevocations *m_revocations;
    AuthorizationState m_state;
    QByteArray m_formKey; // keys the logout confirmation's CSRF token to the session; shared by every instance
    RefreshTokens m_refresh;
};

} // namespace organizer::authorization
