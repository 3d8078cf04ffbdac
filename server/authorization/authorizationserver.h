#pragma once

#include "accesstokenverifier.h"
#include "authorizerequest.h"
#include "consentstore.h"
#include "loginthrottle.h"
#include "passwordhash.h"
#include "router.h"
#include "refreshtokens.h"
#include "tenant.h"
#include "tokenminter.h"

#include <QLoggingCategory>
#include <QSet>
#include <QTimer>

namespace organizer::authorization {

Q_DECLARE_LOGGING_CATEGORY(lcAuthorization)

// The bundled, Auth0-compatible authorization server: /authorize with hosted login and consent pages,
// /oauth/token, /userinfo, logout and discovery. Sessions, transactions, codes and refresh tokens
// live in memory; consents are stored.
class AuthorizationServer
{
public:
    // `revocations`: where access tokens withdrawn before their expiry go (shared with the APIs).
    AuthorizationServer(Tenant tenant, TokenMinter *minter, ConsentStore *consents, server::AccessTokenVerifier *userinfoVerifier,
                        std::function<QByteArray()> publishedKeys, server::TokenRevocations *revocations, jose::Clock clock = jose::systemClock());

    void registerRoutes(http::Router &router);
    const Tenant &tenant() const { return m_tenant; }
    // The Management API's changes, live: requests already under way finish on what they read.
    void replaceTenant(Tenant tenant) { m_tenant = std::move(tenant); }
    void bindIssuer(const QString &issuer) { m_tenant.bindIssuer(issuer); }

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
    struct Transaction
    {
        AuthorizeRequest request;
        QByteArray csrf;
        QByteArray browser;
        qint64 expiresAt = 0;
        QString subject; // set once the user logged in for this transaction
        qint64 authTime = 0;
        QString address; // who started it, for the per-address bound
        qsizetype bytes = 0; // roughly what it holds, for the memory bound
    };
    // Pending logins are bounded, so a flood of /authorize requests cannot grow memory: per address
    // and in total, by count and by the bytes their parameters hold.
    struct TransactionBudget
    {
        qsizetype count = 0;
        qsizetype bytes = 0;
    };
    static constexpr qsizetype kMaxTransactions = 20'000;
    static constexpr qsizetype kMaxTransactionBytes = 16 * 1024 * 1024;
    static constexpr qsizetype kMaxTransactionsPerAddress = 2'000;
    static constexpr qsizetype kMaxTransactionBytesPerAddress = 4 * 1024 * 1024;
    struct Session
    {
        QString subject;
        qint64 authTime = 0;
        qint64 expiresAt = 0;
    };
    struct Code
    {
        AuthorizeRequest request;
        QString subject;
        QStringList scopes;
        qint64 authTime = 0;
        qint64 expiresAt = 0;
        // Once presented, the code is spent; what it bought is kept so a second presentation can
        // revoke it (RFC 6749 §4.1.2), until that access token would have expired.
        bool redeemed = false;
        QByteArray refreshFamily;
        QByteArray accessFingerprint;
        qint64 accessExpiresAt = 0;
    };
    struct TokenIssue
    {
        http::Response response;
        QByteArray accessToken;
        qint64 accessExpiresAt = 0;
    };

    // Continues a transaction: login, then consent, then the answer to the client.
    http::Response advance(const QByteArray &transactionId, Transaction &transaction);
    http::Response complete(const QByteArray &transactionId, Transaction &transaction);
    http::Response answer(const AuthorizeRequest &request, const QList<QPair<QString, QString>> &parameters);
    http::Response answerError(const AuthorizeRequest &request, const QString &error, const QString &description);
    http::Response errorPage(int status, const QString &title, const QString &message) const;
    http::Response renderLogin(const QByteArray &transactionId, const Transaction &transaction, const QString &username, const QString &error) const;

    Transaction *findTransaction(const QByteArray &id);
    const Session *currentSession(const http::Request &request) const;
    QStringList grantedFor(const AuthorizeRequest &request, const User &user) const;

    struct ClientAuthentication
    {
        const Client *client = nullptr;
        bool usedBasic = false;
    };
    using ClientCheck = std::function<void(const Expected<ClientAuthentication, http::Response> &)>;
    // Calls `done` once, later when a secret must be checked (off the event loop).
    void authenticateClient(const http::Request &request, const FormData &parameters, ClientCheck done);
    http::Response tooManyLogins(const QByteArray &id, const Transaction &transaction, const QString &username, qint64 wait) const;
    http::Response busyPage() const;
    http::Response clientCredentialsGrant(const Client &client, const FormData &parameters);
    http::Response authorizationCodeGrant(const Client &client, const FormData &parameters);
    http::Response refreshTokenGrant(const Client &client, const FormData &parameters);
    TokenIssue tokenResponse(const Api *api, const QString &subject, const Client &client, const QStringList &consented, const QString &nonce, qint64 authTime,
                             const RefreshTokens::Issued *refreshToken);
    void revoke(const http::Request &request, http::Responder respond);
    http::Response revokeFor(const Client &client, const FormData &parameters);
    void prune();
    http::Response loggedOutPage() const;
    // Where RP-initiated logout goes afterwards: the registered post_logout_redirect_uri with state, or
    // the logged-out page; an unregistered target is an error page.
    Expected<http::Response, http::Response> logoutDestination(const QString &clientId, const QString &target, const QString &state) const;
    QByteArray logoutConfirmationToken(const QByteArray &sessionId) const;
    // Forgets the browser's session and tells it to drop the cookie.
    http::Response endSession(const http::Request &request, http::Response response);

    Tenant m_tenant;
    TokenMinter *m_minter;
    ConsentStore *m_consents;
    server::AccessTokenVerifier *m_userinfoVerifier;
    std::function<QByteArray()> m_publishedKeys;
    jose::Clock m_clock;
    LoginThrottle m_throttle; // per account
    LoginThrottle m_unknownNameThrottle{20}; // per address, names that do not exist
    LoginThrottle m_clientThrottle; // per client ID
    LoginThrottle m_unknownClientThrottle{20}; // per address, client IDs that do not exist
    QSet<QString> m_clientChecksRunning;
    BackgroundPasswordCheck m_passwordChecks;
    QObject m_context; // secret checks report back here; gone with the server, so late answers are dropped
    QHash<QByteArray, Transaction> m_transactions;
    QHash<QString, TransactionBudget> m_transactionsByAddress;
    TransactionBudget m_transactionTotal;
    QByteArray m_formKey = randomToken(32); // keys the logout confirmation's CSRF token to the session
    QTimer m_sweeper; // expired transactions, sessions and codes go even when no request comes
    void storeTransaction(const QByteArray &id, Transaction transaction);
    void dropTransaction(const QByteArray &id);
    QHash<QByteArray, Session> m_sessions;
    QHash<QByteArray, Code> m_codes;
    server::TokenRevocations *m_revocations;
    RefreshTokens m_refresh;
};

} // namespace organizer::authorization
