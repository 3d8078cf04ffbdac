#include "clientauthentication.h"

namespace organizer::authorization {

using oauth::ErrorCode;
using oauth::OAuthError;

namespace {

Unexpected<ClientAuthentication::Refusal> malformed(const QString &description)
{
    return Unexpected<ClientAuthentication::Refusal>(ClientAuthentication::Refusal{OAuthError::invalidRequest(description)});
}

Unexpected<ClientAuthentication::Refusal> invalidClient(bool usedBasic, const QString &description)
{
    return Unexpected<ClientAuthentication::Refusal>(ClientAuthentication::Refusal{OAuthError::invalidClient(description), 0, usedBasic});
}

Unexpected<ClientAuthentication::Refusal> tooManyFailures(qint64 wait)
{
    return Unexpected<ClientAuthentication::Refusal>(ClientAuthentication::Refusal{
        {ErrorCode::TooManyAttempts, QStringLiteral("too many failed client authentications; try again in %1 s").arg(wait), 429}, wait});
}

Unexpected<ClientAuthentication::Refusal> busy(const QString &description)
{
    return Unexpected<ClientAuthentication::Refusal>(ClientAuthentication::Refusal{OAuthError::temporarilyUnavailable(description), 1});
}

} // namespace

http::Response refusalResponse(const ClientAuthentication::Refusal &refusal)
{
    http::Response response = oauth::jsonResponse(refusal.error, oauth::Caching::NoStoreNoCache);
    if (refusal.basicChallenge)
        response.setHeader("www-authenticate", "Basic realm=\"organizer\"");
    if (refusal.retryAfter > 0)
        response.setHeader("retry-after", QByteArray::number(refusal.retryAfter));
    return response;
}

void ClientAuthentication::authenticate(const http::Request &request, const FormData &parameters, Done done)
{
    QString clientId = parameters.value(QStringLiteral("client_id"));
    QString secret = parameters.value(QStringLiteral("client_secret"));
    bool usedBasic = false;
    const QByteArray authorization = request.header("authorization");
    if (!authorization.isEmpty()) {
        if (!authorization.startsWith("Basic ") && !authorization.startsWith("basic "))
            return done(malformed(QStringLiteral("the token endpoint accepts Basic client authentication only")));
        if (!secret.isEmpty())
            return done(malformed(QStringLiteral("use one client authentication method, not two")));
        const QByteArray decoded = QByteArray::fromBase64(authorization.mid(6).trimmed());
        const qsizetype colon = decoded.indexOf(':');
        if (colon < 0)
            return done(malformed(QStringLiteral("the Basic credentials are malformed")));
        // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
        const QString basicId = FormData::decodeComponent(decoded.left(colon));
        if (!clientId.isEmpty() && clientId != basicId)
            return done(malformed(QStringLiteral("client_id differs from the Basic credentials")));
        clientId = basicId;
        secret = FormData::decodeComponent(decoded.mid(colon + 1));
        usedBasic = true;
    }
    if (clientId.isEmpty())
        return done(invalidClient(usedBasic, QStringLiteral("the client is not identified: send client_id")));
    TenantSnapshot tenant = m_context.tenant();
    const Client *client = tenant->client(clientId);
    if (client && !client->confidential) {
        if (!secret.isEmpty())
            return done(invalidClient(usedBasic, QStringLiteral("%1 is a public client and has no secret").arg(client->name)));
        return done(Authenticated{std::move(tenant), client, usedBasic});
    }
    checkSecret({clientId, secret, usedBasic, QStringLiteral("client-address:") + http::addressGroup(request.peer)}, std::move(done));
}

void ClientAuthentication::tenantReplaced(const Tenant &before, const Tenant &after)
{
    for (const Client &previous : before.clients) {
        const Client *next = after.client(previous.clientId);
        if (!next || next->secretHash != previous.secretHash)
            m_verifiedSecrets.forget(previous.clientId);
    }
}

void ClientAuthentication::checkSecret(const Credentials &credentials, Done done)
{
    TenantSnapshot tenant = m_context.tenant();
    const Client *client = tenant->client(credentials.clientId);
    // A secret this process has verified already: one HMAC, no KDF, no throttle. Only failures are
    // throttled, so a right secret never gets 429, however many jobs present it at once.
    if (client && m_verifiedSecrets.matches(client->clientId, client->secretHash, credentials.secret))
        return done(Authenticated{std::move(tenant), client, credentials.usedBasic});

    // Secret guessing is throttled per client ID (known or not, so the answer never tells which) and,
    // for IDs that do not exist, per address.
    const QString clientKey = QStringLiteral("client:") + credentials.clientId;
    LoginThrottles &throttles = m_context.throttles();
    if (const qint64 wait = throttles.client.retryAfter(clientKey, m_context.now()); wait > 0)
        return done(tooManyFailures(wait));
    // One KDF check at a time per client, so parallel guesses cannot all slip in before the first
    // failure counts. The others wait for its verdict: a right secret is then one HMAC away.
    {
        QMutexLocker lock(&m_checksMutex);
        if (auto running = m_checksWaiting.find(clientKey); running != m_checksWaiting.end()) {
            if (running->size() >= kMaxChecksWaiting) {
                lock.unlock();
                return done(busy(QStringLiteral("too many authentications of this client are waiting; try again shortly")));
            }
            running->append({credentials, std::move(done)});
            return;
        }
        // The verdict may have landed between the look at the verified secrets and here: look again
        // under the lock the verdict's hand-over takes, so a right secret never starts a second KDF.
        if (client && m_verifiedSecrets.matches(client->clientId, client->secretHash, credentials.secret)) {
            lock.unlock();
            return done(Authenticated{std::move(tenant), client, credentials.usedBasic});
        }
        m_checksWaiting.insert(clientKey, {});
    }
    // An unknown client is checked against a decoy, so it takes as long as a wrong secret.
    const bool known = client != nullptr;
    const QString secretHash = known ? client->secretHash : QString();
    const bool queued = m_context.passwordChecks().submit(
        credentials.secret, secretHash, m_context.callbacks(), [this, credentials, clientKey, known, secretHash, done](bool valid) {
            // The tenant as it is now: the secret checked must still be the client's, a change while
            // the KDF ran decides anew.
            TenantSnapshot now = m_context.tenant();
            const Client *current = now->client(credentials.clientId);
            const qint64 later = m_context.now();
            LoginThrottles &counted = m_context.throttles();
            const bool accepted = valid && known && current && current->secretHash == secretHash;
            if (accepted) {
                counted.client.recordSuccess(clientKey);
                m_verifiedSecrets.remember(current->clientId, current->secretHash, credentials.secret);
                done(Authenticated{std::move(now), current, credentials.usedBasic});
            } else {
                counted.client.recordFailure(clientKey, later);
                if (!known)
                    counted.unknownClient.recordFailure(credentials.addressKey, later);
                if (const qint64 wait = counted.unknownClient.retryAfter(credentials.addressKey, later); wait > 0)
                    done(tooManyFailures(wait));
                else
                    done(invalidClient(credentials.usedBasic, QStringLiteral("unknown client or wrong secret")));
            }
            resumeChecks(clientKey);
        });
    if (!queued) {
        done(busy(QStringLiteral("too many secret checks are waiting; try again shortly")));
        resumeChecks(clientKey);
    }
}

void ClientAuthentication::resumeChecks(const QString &clientKey)
{
    // Each waiter starts over: a right secret now matches what was just verified, a wrong one meets
    // the throttle the failure moved, and the first remaining guess starts the next KDF check.
    QList<QPair<Credentials, Done>> waiting;
    {
        QMutexLocker lock(&m_checksMutex);
        waiting = m_checksWaiting.take(clientKey);
    }
    for (const auto &[credentials, done] : waiting)
        checkSecret(credentials, done);
}

} // namespace organizer::authorization
