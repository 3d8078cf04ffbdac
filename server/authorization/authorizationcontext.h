#pragma once

#include "authorizationstate.h"
#include "clock.h"
#include "jwk.h"
#include "loginthrottle.h"
#include "passwordhash.h"
#include "refreshtokens.h"
#include "tenant.h"
#include "tokenminter.h"

#include <QLoggingCategory>
#include <QMutex>
#include <QObject>

#include <functional>
#include <memory>

namespace organizer::store {
class ConsentStore;
class Database;
} // namespace organizer::store

namespace organizer::resource {
class AccessTokenVerifier;
class TokenRevocations;
} // namespace organizer::resource

namespace organizer::authorization {

Q_DECLARE_LOGGING_CATEGORY(lcAuthorization)

class ClientAuthentication;

// The tenant as one request sees it from start to end, however the Management API changes it
// meanwhile on another thread: a request takes one snapshot and reads only that.
using TenantSnapshot = std::shared_ptr<const Tenant>;

// Failed attempts, each counted in the database so guesses spread over instances add up.
struct LoginThrottles
{
    explicit LoginThrottles(const std::shared_ptr<store::Database> &database);

    LoginThrottle account; // per account, known or not
    LoginThrottle unknownName; // per address, names that do not exist
    LoginThrottle client; // per client ID, known or not
    LoginThrottle unknownClient; // per address, client IDs that do not exist
};

// What the authorization server's endpoints share, and the only thing they share: each endpoint is a
// unit of its own over this context, and reaches nothing of another endpoint's. Everything in it is
// safe to use from any HTTP worker at once (the routes run where their request was read); what is
// kept between requests is in the database, so instances sharing one can each take any step.
class AuthorizationContext
{
public:
    struct Services
    {
        TokenMinter *minter = nullptr;
        store::ConsentStore *consents = nullptr;
        resource::AccessTokenVerifier *userinfoVerifier = nullptr; // the bearer guard of /userinfo
        std::function<QByteArray()> publishedKeys; // the JWKS as served at /.well-known/jwks.json
        std::shared_ptr<store::Database> database; // where the state and the list every instance follows are kept
        resource::TokenRevocations *revocations = nullptr; // this process's list of withdrawn access tokens (the APIs read it)
        Clock clock = systemClock();
    };
    AuthorizationContext(Tenant tenant, Services services);
    ~AuthorizationContext();
    AuthorizationContext(const AuthorizationContext &) = delete;
    AuthorizationContext &operator=(const AuthorizationContext &) = delete;

    TenantSnapshot tenant() const
    {
        QMutexLocker lock(&m_tenantMutex);
        return m_tenant;
    }
    // Requests already under way finish on the snapshot they took.
    void replaceTenant(Tenant tenant);
    void bindIssuer(const QString &issuer);

    qint64 now() const { return m_clock(); }
    const Clock &clock() const { return m_clock; }
    QString issuer() const { return m_minter->issuer(); }
    const TokenMinter &minter() const { return *m_minter; }
    store::ConsentStore &consents() const { return *m_consents; }
    resource::AccessTokenVerifier *userinfoVerifier() const { return m_userinfoVerifier; }
    QByteArray publishedKeys() const { return m_publishedKeys(); }
    jose::Result<jose::JwkSet> publishedKeySet() const { return jose::JwkSet::fromJson(m_publishedKeys()); }

    AuthorizationState &state() { return m_state; }
    RefreshTokens &refreshTokens() { return m_refresh; }
    LoginThrottles &throttles() { return m_throttles; }
    // Password and secret checks (the slow KDF) off the event loop; their verdicts come back on the
    // thread of callbacks(), which goes with the context, so late verdicts are dropped.
    BackgroundPasswordCheck &passwordChecks() { return m_passwordChecks; }
    QObject *callbacks() { return &m_callbacks; }
    ClientAuthentication &clients() { return *m_clients; }
    // Keys the logout confirmation's CSRF token to the session; shared by every instance.
    const QByteArray &formKey() const { return m_formKey; }

    // Takes on what other instances on the same database did that this one caches (revocations).
    void followSharedState();
    // Forgets what has expired: logins under way, sessions, codes, refresh families, revocations, throttles.
    void prune();

private:
    mutable QMutex m_tenantMutex; // guards the pointer only: a snapshot is never changed once published
    TenantSnapshot m_tenant;
    TokenMinter *m_minter;
    store::ConsentStore *m_consents;
    resource::AccessTokenVerifier *m_userinfoVerifier;
    std::function<QByteArray()> m_publishedKeys;
    Clock m_clock;
    resource::TokenRevocations *m_revocations;
    LoginThrottles m_throttles;
    AuthorizationState m_state;
    RefreshTokens m_refresh;
    QByteArray m_formKey;
    BackgroundPasswordCheck m_passwordChecks;
    QObject m_callbacks; // after the checks: gone first, so a verdict that lands later is dropped
    std::unique_ptr<ClientAuthentication> m_clients;
};

} // namespace organizer::authorization
