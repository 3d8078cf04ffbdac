#include "clientcredentialsgrant.h"

#include "grantedscopes.h"
#include "passwordhash.h"

namespace organizer::authorization {

using oauth::OAuthError;

ClientCredentialsGrant::~ClientCredentialsGrant()
{
    releaseOpenSslThreadState(m_signing); // RS256 signing draws on OpenSSL's per-thread random generators
}

void ClientCredentialsGrant::issue(const Request &request, Done done)
{
    const Client &client = request.client;
    const FormData &parameters = request.parameters;
    const QString audience = parameters.value(QStringLiteral("audience"));
    if (audience.isEmpty())
        return done(Unexpected<OAuthError>(OAuthError::invalidRequest(QStringLiteral("the audience parameter is required (e.g. organize)"))));
    const Api *api = request.tenant->api(audience);
    if (!api)
        return done(Unexpected<OAuthError>(OAuthError::accessDenied(QStringLiteral("Service not found: %1").arg(audience.left(200)))));
    const ClientGrant *grant = client.grantFor(audience);
    if (!grant)
        return done(Unexpected<OAuthError>(
            OAuthError::accessDenied(QStringLiteral("Client \"%1\" is not authorized to access \"%2\"").arg(client.clientId, audience))));
    QStringList scopes = apiScopesOf(grant->scopes, api); // a scope the API lost is granted no more
    if (parameters.contains(QStringLiteral("scope"))) {
        const QStringList requested = splitScopes(parameters.value(QStringLiteral("scope")));
        QStringList missing;
        for (const QString &scope : requested) {
            if (!grant->scopes.contains(scope) || !api->hasScope(scope))
                missing.append(scope);
        }
        if (!missing.isEmpty())
            return done(Unexpected<OAuthError>(
                OAuthError::accessDenied(QStringLiteral("Client has not been granted scopes: %1").arg(missing.join(QLatin1String(", ")).left(300)))));
        scopes = requested;
    }
    qCInfo(lcAuthorization).noquote() << "client_credentials for" << client.clientId << "scope" << scopes.join(QLatin1Char(' '));
    const TokenMinter::UnsignedAccessToken prepared
        = m_context.minter().prepareAccessToken(api, client.clientId + QStringLiteral("@clients"), client.clientId, scopes, true);
    auto signAndAnswer = [prepared, scope = scopes.join(QLatin1Char(' ')), done] {
        auto minted = prepared.sign();
        if (!minted)
            return done(Unexpected<OAuthError>(OAuthError::serverError(QStringLiteral("the access token could not be signed"))));
        done(QJsonObject{{QStringLiteral("access_token"), QString::fromLatin1(minted->token)},
                         {QStringLiteral("token_type"), QStringLiteral("Bearer")},
                         {QStringLiteral("expires_in"), minted->expiresIn},
                         {QStringLiteral("scope"), scope}});
    };
    // Nothing here needs the tenant any more: past what the pool can queue, the worker signs itself,
    // which slows new requests down instead of queueing without bound.
    if (m_signingQueued.load() >= kMaxSigningQueued)
        return signAndAnswer();
    ++m_signingQueued;
    m_signing.start([this, signAndAnswer] {
        signAndAnswer();
        --m_signingQueued;
    });
}

} // namespace organizer::authorization
