#include "passwordgrant.h"

#include "grantedscopes.h"
#include "tokenresponse.h"
#include "tokenrevocations.h"

namespace organizer::authorization {

using oauth::ErrorCode;
using oauth::OAuthError;

namespace {

// Auth0's answers (its Authentication API's error list): the same for a wrong password and for a login
// that does not exist, so the answer never tells which.
OAuthError wrongCredentials()
{
    return {ErrorCode::InvalidGrant, QStringLiteral("Wrong email or password."), 403};
}

TokenGrant::Refusal tooManyAttempts(qint64 wait)
{
    return {{ErrorCode::TooManyAttempts,
             QStringLiteral("Too many failed attempts. Try again in %1 second%2.").arg(wait).arg(wait == 1 ? QString() : QStringLiteral("s")), 429},
            wait};
}

OAuthError missing(const char *parameter)
{
    return OAuthError::invalidRequest(QStringLiteral("Missing required parameter: %1").arg(QLatin1String(parameter)));
}

} // namespace

QLatin1StringView PasswordGrant::type() const
{
    return m_variant == Variant::PasswordRealm ? QLatin1StringView(kPasswordRealmGrant) : QLatin1StringView("password");
}

void PasswordGrant::issue(const Request &request, Done done)
{
    const Tenant &tenant = *request.tenant;
    const FormData &parameters = request.parameters;
    auto refuse = [&done](const TokenGrant::Refusal &refusal) { done(Unexpected<TokenGrant::Refusal>(refusal)); };
    // As the login form reads them.
    const QString username = parameters.value(QStringLiteral("username")).trimmed().left(254);
    const QString password = parameters.value(QStringLiteral("password")).left(1024);
    if (username.isEmpty())
        return refuse(missing("username"));
    if (password.isEmpty())
        return refuse(missing("password"));
    // The realm names the connection the user is in. auth0-auth-js sends it with grant_type=password too;
    // either way it must be this tenant's one database connection.
    const QString realm = parameters.value(QStringLiteral("realm"));
    if (m_variant == Variant::PasswordRealm && realm.isEmpty())
        return refuse(missing("realm"));
    if (!realm.isEmpty() && realm != tenant.connection)
        return refuse(OAuthError::invalidRequest(QStringLiteral("the connection was not found")));
    const QString audience = parameters.value(QStringLiteral("audience"));
    if (!audience.isEmpty() && !tenant.api(audience))
        return refuse(OAuthError::accessDenied(QStringLiteral("Service not found: %1").arg(audience.left(200))));

    // The login page's throttles, on the same counters: guesses here and there add up.
    Attempt attempt{QString(type()),
                    request.client.clientId,
                    {},
                    audience,
                    splitScopes(parameters.value(QStringLiteral("scope"))),
                    QStringLiteral("account:") + normalizedLogin(username),
                    QStringLiteral("address:") + http::addressGroup(request.peer),
                    request.peer.toString()};
    if (const qint64 wait = m_context.throttles().account.retryAfter(attempt.accountKey, m_context.now()); wait > 0)
        return refuse(tooManyAttempts(wait));
    const User *user = tenant.userByLogin(username);
    attempt.subject = user ? user->subject() : QString();
    // A login that does not exist costs the same KDF work as a wrong password.
    const bool queued = m_context.passwordChecks().submit(password, user ? user->passwordHash : QString(), m_context.callbacks(),
                                                          [this, attempt, done](bool valid) { done(answer(attempt, valid)); });
    if (!queued)
        refuse({OAuthError::temporarilyUnavailable(QStringLiteral("too many password checks are waiting; try again shortly")), 1});
}

auto PasswordGrant::answer(const Attempt &attempt, bool passwordValid) -> Result
{
    auto refuse = [](const TokenGrant::Refusal &refusal) { return Unexpected<TokenGrant::Refusal>(refusal); };
    // The tenant as it is now: the user, the application or the API may have changed while the KDF ran.
    const TenantSnapshot tenant = m_context.tenant();
    const User *user = attempt.subject.isEmpty() ? nullptr : tenant->userBySubject(attempt.subject);
    const qint64 now = m_context.now();
    LoginThrottles &throttles = m_context.throttles();
    if (!passwordValid || !user) {
        throttles.account.recordFailure(attempt.accountKey, now);
        if (attempt.subject.isEmpty())
            throttles.unknownName.recordFailure(attempt.addressKey, now);
        qCInfo(lcAuthorization).noquote() << "failed password grant for" << attempt.clientId << "from" << attempt.peer;
        // As on the login page: once an address has tried many names that do not exist, every wrong
        // answer from it is "too many", for real accounts too.
        if (const qint64 wait = throttles.unknownName.retryAfter(attempt.addressKey, now); wait > 0)
            return refuse(tooManyAttempts(wait));
        return refuse(wrongCredentials());
    }
    throttles.account.recordSuccess(attempt.accountKey);
    // Said only after the right password, so it tells a guesser nothing.
    if (user->blocked)
        return refuse(OAuthError::unauthorized(QStringLiteral("user is blocked")));
    const Client *client = tenant->client(attempt.clientId);
    if (!client || !client->allowsGrant(attempt.grantType))
        return refuse(OAuthError::unauthorizedClient(QStringLiteral("Grant type '%1' not allowed for the client.").arg(attempt.grantType), 403));
    const Api *api = attempt.audience.isEmpty() ? nullptr : tenant->api(attempt.audience);
    if (!attempt.audience.isEmpty() && !api)
        return refuse(OAuthError::accessDenied(QStringLiteral("Service not found: %1").arg(attempt.audience.left(200))));

    // Consent is implied: what is granted is what the login page's consent would have offered.
    const QStringList granted = grantedScopes(attempt.requested, api, api ? tenant->permissionsOf(*user, api->identifier) : QStringList());
    const bool offline
        = granted.contains(QStringLiteral("offline_access")) && api && api->allowOfflineAccess && client->allowsGrant(QStringLiteral("refresh_token"));
    std::optional<RefreshTokens::Issued> refresh;
    if (offline) {
        auto started = m_context.refreshTokens().start({client->clientId, user->subject(), api->identifier, granted},
                                                       {api->refreshTokenLifetimeSeconds, api->refreshTokenIdleLifetimeSeconds});
        if (!started) {
            qCCritical(lcAuthorization).noquote() << started.error();
            return refuse(OAuthError::temporarilyUnavailable(QStringLiteral("the authorization server cannot reach its database")));
        }
        refresh = std::move(started).value();
    }
    auto issued
        = issueUserTokens(m_context, *tenant, api, user->subject(), *client, granted, {}, now, refresh ? &*refresh : nullptr, QStringLiteral("password"));
    if (!issued)
        return refuse(issued.error());
    if (refresh) // so a revoked family withdraws this access token too
        m_context.refreshTokens().noteAccessToken(refresh->family, resource::TokenRevocations::fingerprint(issued->accessToken), issued->accessExpiresAt);
    qCInfo(lcAuthorization).noquote() << attempt.grantType << "grant to" << client->clientId << "for" << user->subject() << "scope"
                                      << issued->body.value(QStringLiteral("scope")).toString();
    return issued->body;
}

} // namespace organizer::authorization
