// POST /oauth/token (RFC 6749 §3.2, errors per §5.2): client authentication, client credentials, code + PKCE, refresh.
#include "authorizationserver.h"

#include "endpointsupport.h"

#include "grants.h"
#include "passwordhash.h"

#include <QJsonArray>

namespace organizer::authorization {

using namespace endpoint;

void AuthorizationServer::authenticateClient(const http::Request &request, const FormData &parameters, ClientCheck done)
{
    QString clientId = param(parameters, QStringLiteral("client_id"));
    QString secret = param(parameters, QStringLiteral("client_secret"));
    bool usedBasic = false;
    const QByteArray authorization = request.header("authorization");
    if (!authorization.isEmpty()) {
        if (!authorization.startsWith("Basic ") && !authorization.startsWith("basic "))
            return done(Unexpected<http::Response>(
                tokenError(400, oauth::ErrorCode::InvalidRequest, QStringLiteral("the token endpoint accepts Basic client authentication only"))));
        if (!secret.isEmpty())
            return done(
                Unexpected<http::Response>(tokenError(400, oauth::ErrorCode::InvalidRequest, QStringLiteral("use one client authentication method, not two"))));
        const QByteArray decoded = QByteArray::fromBase64(authorization.mid(6).trimmed());
        const qsizetype colon = decoded.indexOf(':');
        if (colon < 0)
            return done(Unexpected<http::Response>(tokenError(400, oauth::ErrorCode::InvalidRequest, QStringLiteral("the Basic credentials are malformed"))));
        // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
        const QString basicId = FormData::decodeComponent(decoded.left(colon));
        if (!clientId.isEmpty() && clientId != basicId)
            return done(
                Unexpected<http::Response>(tokenError(400, oauth::ErrorCode::InvalidRequest, QStringLiteral("client_id differs from the Basic credentials"))));
        clientId = basicId;
        secret = FormData::decodeComponent(decoded.mid(colon + 1));
        usedBasic = true;
    }
    if (clientId.isEmpty())
        return done(invalidClientError(usedBasic, QStringLiteral("the client is not identified: send client_id")));
    TenantSnapshot tenant = this->tenant();
    const Client *client = tenant->client(clientId);
    if (client && !client->confidential) {
        if (!secret.isEmpty())
            return done(invalidClientError(usedBasic, QStringLiteral("%1 is a public client and has no secret").arg(client->name)));
        return done(ClientAuthentication{std::move(tenant), client, usedBasic});
    }
    checkClientSecret({clientId, secret, usedBasic, QStringLiteral("client-address:") + http::addressGroup(request.peer)}, std::move(done));
}

Unexpected<http::Response> AuthorizationServer::invalidClientError(bool usedBasic, const QString &description)
{
    http::Response response = tokenError(401, oauth::ErrorCode::InvalidClient, description);
    if (usedBasic)
        response.setHeader("www-authenticate", "Basic realm=\"organizer\"");
    return Unexpected<http::Response>(response);
}

void AuthorizationServer::checkClientSecret(const ClientCredentials &credentials, ClientCheck done)
{
    TenantSnapshot tenant = this->tenant();
    const Client *client = tenant->client(credentials.clientId);
    // A secret this process has verified already: one HMAC, no KDF, no throttle. Only failures are
    // throttled, so a right secret never gets 429, however many jobs present it at once.
    if (client && m_verifiedSecrets.matches(client->clientId, client->secretHash, credentials.secret))
        return done(ClientAuthentication{std::move(tenant), client, credentials.usedBasic});

    // Secret guessing is throttled per client ID (known or not, so the answer never tells which) and,
    // for IDs that do not exist, per address.
    const QString clientKey = QStringLiteral("client:") + credentials.clientId;
    auto tooMany = [](qint64 wait) {
        http::Response response
            = tokenError(429, oauth::ErrorCode::TooManyAttempts, QStringLiteral("too many failed client authentications; try again in %1 s").arg(wait));
        response.setHeader("retry-after", QByteArray::number(wait));
        return Unexpected<http::Response>(response);
    };
    if (const qint64 wait = m_clientThrottle.retryAfter(clientKey, m_clock()); wait > 0)
        return done(tooMany(wait));
    // One KDF check at a time per client, so parallel guesses cannot all slip in before the first
    // failure counts. The others wait for its verdict: a right secret is then one HMAC away.
    {
        QMutexLocker lock(&m_clientChecksMutex);
        if (auto running = m_clientChecksWaiting.find(clientKey); running != m_clientChecksWaiting.end()) {
            if (running->size() >= kMaxClientChecksWaiting) {
                lock.unlock();
                http::Response busy = tokenError(503, oauth::ErrorCode::TemporarilyUnavailable,
                                                 QStringLiteral("too many authentications of this client are waiting; try again shortly"));
                busy.setHeader("retry-after", "1");
                return done(Unexpected<http::Response>(busy));
            }
            running->append({credentials, std::move(done)});
            return;
        }
        // The verdict may have landed between the look at the verified secrets and here: look again
        // under the lock the verdict's hand-over takes, so a right secret never starts a second KDF.
        if (client && m_verifiedSecrets.matches(client->clientId, client->secretHash, credentials.secret)) {
            lock.unlock();
            return done(ClientAuthentication{std::move(tenant), client, credentials.usedBasic});
        }
        m_clientChecksWaiting.insert(clientKey, {});
    }
    // An unknown client is checked against a decoy, so it takes as long as a wrong secret.
    const bool known = client != nullptr;
    const QString secretHash = known ? client->secretHash : QString();
    const bool queued
        = m_passwordChecks.submit(credentials.secret, secretHash, &m_context, [this, credentials, clientKey, known, secretHash, tooMany, done](bool valid) {
              // The tenant as it is now: a change while the KDF ran decides anew.
              TenantSnapshot now = this->tenant();
              const Client *current = now->client(credentials.clientId);
              const qint64 later = m_clock();
              // The secret checked must still be the client's: a tenant change in between decides anew.
              const bool accepted = valid && known && current && current->secretHash == secretHash;
              if (accepted) {
                  m_clientThrottle.recordSuccess(clientKey);
                  m_verifiedSecrets.remember(current->clientId, current->secretHash, credentials.secret);
                  done(ClientAuthentication{std::move(now), current, credentials.usedBasic});
              } else {
                  m_clientThrottle.recordFailure(clientKey, later);
                  if (!known)
                      m_unknownClientThrottle.recordFailure(credentials.addressKey, later);
                  if (const qint64 wait = m_unknownClientThrottle.retryAfter(credentials.addressKey, later); wait > 0)
                      done(tooMany(wait));
                  else
                      done(invalidClientError(credentials.usedBasic, QStringLiteral("unknown client or wrong secret")));
              }
              resumeClientChecks(clientKey);
          });
    if (!queued) {
        http::Response busy
            = tokenError(503, oauth::ErrorCode::TemporarilyUnavailable, QStringLiteral("too many secret checks are waiting; try again shortly"));
        busy.setHeader("retry-after", "1");
        done(Unexpected<http::Response>(busy));
        resumeClientChecks(clientKey);
    }
}

void AuthorizationServer::resumeClientChecks(const QString &clientKey)
{
    // Each waiter starts over: a right secret now matches what was just verified, a wrong one meets
    // the throttle the failure moved, and the first remaining guess starts the next KDF check.
    QList<QPair<ClientCredentials, ClientCheck>> waiting;
    {
        QMutexLocker lock(&m_clientChecksMutex);
        waiting = m_clientChecksWaiting.take(clientKey);
    }
    for (const auto &[credentials, done] : waiting)
        checkClientSecret(credentials, done);
}

void AuthorizationServer::token(const http::Request &request, http::Responder respond)
{
    const auto read = readEndpointParameters(request);
    if (!read)
        return respond(read.error());
    const FormData &parameters = read.value();
    const QString grantType = param(parameters, QStringLiteral("grant_type"));
    if (grantType.isEmpty())
        return respond(tokenError(400, oauth::ErrorCode::InvalidRequest, QStringLiteral("the grant_type parameter is missing")));
    authenticateClient(request, parameters, [this, parameters, grantType, respond](const Expected<ClientAuthentication, http::Response> &authenticated) {
        if (!authenticated)
            return respond(authenticated.error());
        const Tenant &tenant = *authenticated->tenant;
        const Client &client = *authenticated->client;
        static const QStringList known{QStringLiteral("client_credentials"), QStringLiteral("authorization_code"), QStringLiteral("refresh_token")};
        if (!known.contains(grantType))
            return respond(
                tokenError(400, oauth::ErrorCode::UnsupportedGrantType, QStringLiteral("grant_type \"%1\" is not supported").arg(grantType.left(60))));
        if (!client.allowsGrant(grantType))
            return respond(
                tokenError(403, oauth::ErrorCode::UnauthorizedClient, QStringLiteral("client %1 may not use the %2 grant").arg(client.name, grantType)));
        if (grantType == QLatin1String("client_credentials"))
            return clientCredentialsGrant(tenant, client, parameters, respond);
        if (grantType == QLatin1String("authorization_code"))
            return respond(authorizationCodeGrant(tenant, client, parameters));
        respond(refreshTokenGrant(tenant, client, parameters));
    });
}

void AuthorizationServer::clientCredentialsGrant(const Tenant &tenant, const Client &client, const FormData &parameters, http::Responder respond)
{
    const QString audience = param(parameters, QStringLiteral("audience"));
    if (audience.isEmpty())
        return respond(tokenError(400, oauth::ErrorCode::InvalidRequest, QStringLiteral("the audience parameter is required (e.g. organize)")));
    const Api *api = tenant.api(audience);
    if (!api)
        return respond(tokenError(403, oauth::ErrorCode::AccessDenied, QStringLiteral("Service not found: %1").arg(audience.left(200))));
    const ClientGrant *grant = client.grantFor(audience);
    if (!grant)
        return respond(
            tokenError(403, oauth::ErrorCode::AccessDenied, QStringLiteral("Client \"%1\" is not authorized to access \"%2\"").arg(client.clientId, audience)));
    QStringList scopes = apiScopesOf(grant->scopes, api); // a scope the API lost is granted no more
    if (parameters.contains(QStringLiteral("scope"))) {
        const QStringList requested = splitScopes(param(parameters, QStringLiteral("scope")));
        QStringList missing;
        for (const QString &scope : requested) {
            if (!grant->scopes.contains(scope) || !api->hasScope(scope))
                missing.append(scope);
        }
        if (!missing.isEmpty())
            return respond(tokenError(403, oauth::ErrorCode::AccessDenied,
                                      QStringLiteral("Client has not been granted scopes: %1").arg(missing.join(QLatin1String(", ")).left(300))));
        scopes = requested;
    }
    qCInfo(lcAuthorization).noquote() << "client_credentials for" << client.clientId << "scope" << scopes.join(QLatin1Char(' '));
    const TokenMinter::UnsignedAccessToken prepared
        = m_minter->prepareAccessToken(api, client.clientId + QStringLiteral("@clients"), client.clientId, scopes, true);
    auto signAndAnswer = [prepared, scope = scopes.join(QLatin1Char(' ')), respond] {
        auto minted = prepared.sign();
        if (!minted)
            return respond(tokenError(500, oauth::ErrorCode::ServerError, QStringLiteral("the access token could not be signed")));
        http::Response response = http::Response::json(200,
                                                       QJsonObject{{QStringLiteral("access_token"), QString::fromLatin1(minted->token)},
                                                                   {QStringLiteral("token_type"), QStringLiteral("Bearer")},
                                                                   {QStringLiteral("expires_in"), minted->expiresIn},
                                                                   {QStringLiteral("scope"), scope}});
        response.setHeader("cache-control", "no-store");
        response.setHeader("pragma", "no-cache");
        respond(response);
    };
    // Nothing here needs the tenant any more: the RS256 signature, the costly part, runs beside the
    // event loop, so machine-to-machine clients get every core. Past what the pool can queue, the
    // event loop signs itself, which slows new requests down instead of queueing without bound.
    if (m_signingQueued.load() >= kMaxSigningQueued)
        return signAndAnswer();
    ++m_signingQueued;
    m_signing.start([this, signAndAnswer] {
        signAndAnswer();
        --m_signingQueued;
    });
}

http::Response AuthorizationServer::authorizationCodeGrant(const Tenant &tenant, const Client &client, const FormData &parameters)
{
    const QByteArray code = param(parameters, QStringLiteral("code")).toLatin1();
    if (code.isEmpty())
        return tokenError(400, oauth::ErrorCode::InvalidRequest, QStringLiteral("the code parameter is missing"));
    // Single use: the code is spent whatever happens next (RFC 6749 §4.1.2), on whichever instance is asked first.
    const QByteArray codeHash = hashOf(code);
    auto redeemed = m_state.redeemCode(codeHash);
    if (!redeemed) {
        qCCritical(lcAuthorization).noquote() << redeemed.error();
        return tokenError(503, oauth::ErrorCode::TemporarilyUnavailable, QStringLiteral("the authorization server cannot reach its database"));
    }
    if (redeemed->outcome == AuthorizationState::Redemption::PresentedAgain) {
        // Presented twice: someone else may hold it. What the first redemption issued is withdrawn.
        const Code &spent = redeemed->code;
        if (!spent.refreshFamily.isEmpty())
            m_refresh.revokeFamily(spent.refreshFamily);
        if (!spent.accessFingerprint.isEmpty())
            m_state.revokeAccessToken(spent.accessFingerprint, spent.accessExpiresAt);
        qCWarning(lcAuthorization).noquote() << "an authorization code was presented twice; the tokens issued for it are revoked";
        return tokenError(400, oauth::ErrorCode::InvalidGrant, QStringLiteral("the authorization code was already used; the tokens issued for it are revoked"));
    }
    if (redeemed->outcome == AuthorizationState::Redemption::Unknown)
        return tokenError(400, oauth::ErrorCode::InvalidGrant, QStringLiteral("the authorization code is invalid, expired or already used"));
    const Code stored = redeemed->code;
    if (stored.request.clientId != client.clientId)
        return tokenError(400, oauth::ErrorCode::InvalidGrant, QStringLiteral("the authorization code was issued to another client"));
    if (param(parameters, QStringLiteral("redirect_uri")) != stored.request.redirectUri.toString(QUrl::FullyEncoded))
        return tokenError(400, oauth::ErrorCode::InvalidGrant, QStringLiteral("redirect_uri does not match the authorization request"));
    const QString verifier = param(parameters, QStringLiteral("code_verifier"));
    if (!stored.request.codeChallenge.isEmpty()) {
        static const QRegularExpression syntax(QStringLiteral("^[A-Za-z0-9._~-]{43,128}$"));
        if (!syntax.match(verifier).hasMatch())
            return tokenError(400, oauth::ErrorCode::InvalidGrant, QStringLiteral("code_verifier is missing or not 43-128 unreserved characters"));
        // RFC 7636 §4.6: S256 compares BASE64URL(SHA256(ASCII(verifier))) with the challenge.
        const QByteArray computed = stored.request.codeChallengeMethod == QLatin1String("S256")
            ? jose::base64UrlEncode(QCryptographicHash::hash(verifier.toLatin1(), QCryptographicHash::Sha256))
            : verifier.toLatin1();
        if (!constantTimeEquals(computed, stored.request.codeChallenge.toLatin1()))
            return tokenError(400, oauth::ErrorCode::InvalidGrant, QStringLiteral("code_verifier does not match the code_challenge"));
    } else if (!verifier.isEmpty()) {
        return tokenError(400, oauth::ErrorCode::InvalidGrant, QStringLiteral("a code_verifier was sent but the request had no code_challenge"));
    }
    const Api *api = tenant.api(stored.request.audience);
    const bool offline
        = stored.scopes.contains(QStringLiteral("offline_access")) && api && api->allowOfflineAccess && client.allowsGrant(QStringLiteral("refresh_token"));
    std::optional<RefreshTokens::Issued> refresh;
    if (offline) {
        auto started = m_refresh.start({client.clientId, stored.subject, api->identifier, stored.scopes},
                                       {api->refreshTokenLifetimeSeconds, api->refreshTokenIdleLifetimeSeconds});
        if (!started) {
            qCCritical(lcAuthorization).noquote() << started.error();
            return tokenError(503, oauth::ErrorCode::TemporarilyUnavailable, QStringLiteral("the authorization server cannot reach its database"));
        }
        refresh = std::move(started).value();
    }
    TokenIssue issued = tokenResponse(tenant, api, stored.subject, client, stored.scopes, stored.request.nonce, stored.authTime, refresh ? &*refresh : nullptr);
    if (!issued.accessToken.isEmpty()) {
        const QByteArray fingerprint = resource::TokenRevocations::fingerprint(issued.accessToken);
        if (auto noted = m_state.noteCodeTokens(codeHash, refresh ? refresh->family : QByteArray(), fingerprint, issued.accessExpiresAt); !noted)
            qCWarning(lcAuthorization).noquote() << noted.error();
        if (refresh)
            m_refresh.noteAccessToken(refresh->family, fingerprint, issued.accessExpiresAt);
    }
    return issued.response;
}

http::Response AuthorizationServer::refreshTokenGrant(const Tenant &tenant, const Client &client, const FormData &parameters)
{
    const QByteArray refreshToken = param(parameters, QStringLiteral("refresh_token")).toLatin1();
    if (refreshToken.isEmpty())
        return tokenError(400, oauth::ErrorCode::InvalidRequest, QStringLiteral("the refresh_token parameter is missing"));
    auto unavailable = [](const RefreshTokens::Refusal &refusal) {
        qCCritical(lcAuthorization).noquote() << refusal.reason;
        return tokenError(503, oauth::ErrorCode::TemporarilyUnavailable, QStringLiteral("the authorization server cannot reach its database"));
    };
    auto usable = m_refresh.use(refreshToken, client.clientId);
    if (!usable) {
        if (usable.error().unavailable)
            return unavailable(usable.error());
        qCInfo(lcAuthorization).noquote() << "refresh refused for" << client.clientId << ":" << usable.error().reason;
        return tokenError(400, oauth::ErrorCode::InvalidGrant, usable.error().reason);
    }
    const RefreshGrant grant = usable.value();
    QStringList scopes = grant.scopes;
    if (parameters.contains(QStringLiteral("scope"))) {
        scopes = splitScopes(param(parameters, QStringLiteral("scope")));
        for (const QString &scope : scopes) {
            if (!grant.scopes.contains(scope))
                return tokenError(400, oauth::ErrorCode::InvalidScope, QStringLiteral("'%1' was not granted originally").arg(scope.left(60)));
        }
    }
    if (!tenant.userBySubject(grant.subject))
        return tokenError(400, oauth::ErrorCode::InvalidGrant, QStringLiteral("the user no longer exists"));
    // Only a request that will succeed retires the token: a refused one leaves the client its token.
    auto rotated = m_refresh.rotate(refreshToken);
    if (!rotated) {
        if (rotated.error().unavailable)
            return unavailable(rotated.error());
        qCWarning(lcAuthorization).noquote() << "refresh refused for" << client.clientId << ":" << rotated.error().reason;
        return tokenError(400, oauth::ErrorCode::InvalidGrant, rotated.error().reason);
    }
    const RefreshTokens::Issued next = rotated.value();
    TokenIssue issued = tokenResponse(tenant, tenant.api(grant.audience), grant.subject, client, scopes, {}, 0, &next);
    if (!issued.accessToken.isEmpty())
        m_refresh.noteAccessToken(next.family, resource::TokenRevocations::fingerprint(issued.accessToken), issued.accessExpiresAt);
    return issued.response;
}

AuthorizationServer::TokenIssue AuthorizationServer::tokenResponse(const Tenant &tenant, const Api *api, const QString &subject, const Client &client,
                                                                   const QStringList &consented, const QString &nonce, qint64 authTime,
                                                                   const RefreshTokens::Issued *refreshToken)
{
    // RBAC again at issuance: a scope the API lost, or a permission the user lost since the consent
    // or the last refresh, is not in the new token.
    const User *user = tenant.userBySubject(subject);
    const QStringList scopes = user ? grantedScopes(consented, api, api ? tenant.permissionsOf(*user, api->identifier) : QStringList()) : QStringList();
    auto minted = m_minter->accessToken(api, subject, client.clientId, scopes, false);
    if (!minted)
        return {tokenError(500, oauth::ErrorCode::ServerError, QStringLiteral("the access token could not be signed")), {}, 0};
    QJsonObject body{{QStringLiteral("access_token"), QString::fromLatin1(minted->token)},
                     {QStringLiteral("token_type"), QStringLiteral("Bearer")},
                     {QStringLiteral("expires_in"), minted->expiresIn},
                     {QStringLiteral("scope"), scopes.join(QLatin1Char(' '))}};
    if (scopes.contains(QStringLiteral("openid")) && user) {
        auto idToken = m_minter->idToken({user, client.clientId, nonce, scopes, authTime, minted->token, {}});
        if (!idToken)
            return {tokenError(500, oauth::ErrorCode::ServerError, QStringLiteral("the ID token could not be signed")), {}, 0};
        body.insert(QStringLiteral("id_token"), QString::fromLatin1(*idToken));
    }
    if (refreshToken)
        body.insert(QStringLiteral("refresh_token"), QString::fromLatin1(refreshToken->token));
    http::Response response = http::Response::json(200, body);
    response.setHeader("cache-control", "no-store");
    response.setHeader("pragma", "no-cache");
    return {response, minted->token, m_clock() + minted->expiresIn};
}

} // namespace organizer::authorization
