// POST /oauth/revoke (RFC 7009).
#include "authorizationserver.h"

#include "endpointsupport.h"

namespace organizer::authorization {

using namespace endpoint;

// RFC 7009 (Auth0's POST /oauth/revoke): a refresh token takes its whole family and the access tokens
// it issued along; one of our access tokens is refused by the bundled APIs until it would expire.
void AuthorizationServer::revoke(const http::Request &request, http::Responder respond)
{
    const auto read = readEndpointParameters(request);
    if (!read)
        return respond(read.error());
    const FormData &parameters = read.value();
    authenticateClient(request, parameters, [this, parameters, respond](const Expected<ClientAuthentication, http::Response> &authenticated) {
        respond(authenticated ? revokeFor(*authenticated->client, parameters) : authenticated.error());
    });
}

http::Response AuthorizationServer::revokeFor(const Client &client, const FormData &parameters)
{
    const QByteArray token = param(parameters, QStringLiteral("token")).toLatin1();
    if (token.isEmpty())
        return tokenError(400, oauth::ErrorCode::InvalidRequest, QStringLiteral("the token parameter is missing"));
    auto done = [] {
        http::Response response;
        response.status = 200; // RFC 7009 §2.2: also for a token that is unknown or already invalid
        response.setHeader("cache-control", "no-store");
        return response;
    };
    switch (m_refresh.revoke(token, client.clientId)) {
    case RefreshTokens::Revocation::Revoked:
        qCInfo(lcAuthorization).noquote() << "refresh token family revoked by" << client.clientId;
        return done();
    case RefreshTokens::Revocation::OtherClient:
        return tokenError(400, oauth::ErrorCode::UnauthorizedClient, QStringLiteral("the token was issued to another client"));
    case RefreshTokens::Revocation::Unknown:
        break;
    }
    // One of our access tokens? Only a token we signed goes on the list, until it would expire.
    if (auto parsed = jose::parseCompactJws(token)) {
        const QJsonObject claims = QJsonDocument::fromJson(parsed->payload).object();
        const QJsonValue aud = claims.value(QLatin1String("aud"));
        const QString audience = aud.isArray() ? aud.toArray().first().toString() : aud.toString();
        const jose::JwtVerifier verifier({m_minter->issuer(), audience, 0}, m_clock);
        const auto published = jose::JwkSet::fromJson(m_publishedKeys());
        if (auto verified = published ? verifier.verify(token, published.value()) : jose::fail(jose::ErrorCode::InvalidKey, QString())) {
            const QString holder = verified->claims.value(QLatin1String("azp")).toString(verified->claims.value(QLatin1String("client_id")).toString());
            if (holder != client.clientId)
                return tokenError(400, oauth::ErrorCode::UnauthorizedClient, QStringLiteral("the token was issued to another client"));
            m_state.revokeAccessToken(resource::TokenRevocations::fingerprint(token), verified->expiresAt);
            qCInfo(lcAuthorization).noquote() << "access token revoked by" << client.clientId;
        }
    }
    return done();
}

} // namespace organizer::authorization
