#include "revoke.h"

#include "clientauthentication.h"
#include "endpointparameters.h"
#include "jwtverifier.h"
#include "tokenrevocations.h"

namespace organizer::authorization {

using oauth::OAuthError;

void RevocationEndpoint::revoke(const http::Request &request, http::Responder respond)
{
    const auto read = readEndpointParameters(request);
    if (!read)
        return respond(tokenErrorResponse(read.error()));
    const FormData &parameters = read.value();
    m_context.clients().authenticate(request, parameters, [this, parameters, respond](const ClientAuthentication::Outcome &authenticated) {
        if (!authenticated)
            return respond(refusalResponse(authenticated.error()));
        if (auto revoked = revokeFor(*authenticated->client, parameters); !revoked)
            return respond(tokenErrorResponse(revoked.error()));
        http::Response response;
        response.status = 200; // RFC 7009 §2.2: also for a token that is unknown or already invalid
        response.setHeader("cache-control", "no-store");
        respond(response);
    });
}

Expected<Done, OAuthError> RevocationEndpoint::revokeFor(const Client &client, const FormData &parameters)
{
    const QByteArray token = parameters.value(QStringLiteral("token")).toLatin1();
    if (token.isEmpty())
        return Unexpected<OAuthError>(OAuthError::invalidRequest(QStringLiteral("the token parameter is missing")));
    const auto otherClient = [] { return Unexpected<OAuthError>(OAuthError::unauthorizedClient(QStringLiteral("the token was issued to another client"))); };
    switch (m_context.refreshTokens().revoke(token, client.clientId)) {
    case RefreshTokens::Revocation::Revoked:
        qCInfo(lcAuthorization).noquote() << "refresh token family revoked by" << client.clientId;
        return Done{};
    case RefreshTokens::Revocation::OtherClient:
        return otherClient();
    case RefreshTokens::Revocation::Unknown:
        break;
    }
    // One of our access tokens, whatever API it is for? Only a token this issuer signed goes on the
    // list, until it would expire; anything else is not ours to revoke, and RFC 7009 §2.2 says 200.
    const jose::JwtVerifier verifier(jose::JwtPolicy::issuedHere(m_context.issuer(), 0), m_context.clock());
    const auto published = m_context.publishedKeySet();
    if (auto verified = published ? verifier.verify(token, published.value()) : jose::fail(jose::ErrorCode::InvalidKey, QString())) {
        const QString holder = verified->claims.value(QLatin1String("azp")).toString(verified->claims.value(QLatin1String("client_id")).toString());
        if (holder != client.clientId)
            return otherClient();
        m_context.state().revokeAccessToken(resource::TokenRevocations::fingerprint(token), verified->expiresAt);
        qCInfo(lcAuthorization).noquote() << "access token revoked by" << client.clientId;
    }
    return Done{};
}

} // namespace organizer::authorization
