#include "token.h"

#include "clientauthentication.h"
#include "endpointparameters.h"

namespace organizer::authorization {

using oauth::OAuthError;

TokenEndpoint::TokenEndpoint(AuthorizationContext &context, std::vector<std::unique_ptr<TokenGrant>> grants) : m_context(context), m_grants(std::move(grants))
{}

TokenGrant *TokenEndpoint::grantFor(const QString &type)
{
    for (const std::unique_ptr<TokenGrant> &grant : m_grants) {
        if (grant->type() == type)
            return grant.get();
    }
    return nullptr;
}

void TokenEndpoint::token(const http::Request &request, http::Responder respond)
{
    const auto read = readEndpointParameters(request);
    if (!read)
        return respond(tokenErrorResponse(read.error()));
    const FormData &parameters = read.value();
    const QString grantType = parameters.value(QStringLiteral("grant_type"));
    if (grantType.isEmpty())
        return respond(tokenErrorResponse(OAuthError::invalidRequest(QStringLiteral("the grant_type parameter is missing"))));
    const QHostAddress peer = request.peer;
    m_context.clients().authenticate(request, parameters, [this, parameters, grantType, peer, respond](const ClientAuthentication::Outcome &authenticated) {
        if (!authenticated)
            return respond(refusalResponse(authenticated.error()));
        const Client &client = *authenticated->client;
        TokenGrant *grant = grantFor(grantType);
        if (!grant)
            return respond(tokenErrorResponse(OAuthError::unsupportedGrantType(QStringLiteral("grant_type \"%1\" is not supported").arg(grantType.left(60)))));
        if (!client.allowsGrant(grantType))
            return respond(
                tokenErrorResponse(OAuthError::unauthorizedClient(QStringLiteral("Grant type '%1' not allowed for the client.").arg(grantType), 403)));
        grant->issue({authenticated->tenant, client, parameters, peer}, [respond](const TokenGrant::Result &issued) {
            if (!issued) {
                http::Response refused = tokenErrorResponse(issued.error().error);
                if (issued.error().retryAfter > 0)
                    refused.setHeader("retry-after", QByteArray::number(issued.error().retryAfter));
                return respond(refused);
            }
            http::Response response = http::Response::json(200, *issued);
            response.setHeader("cache-control", "no-store");
            response.setHeader("pragma", "no-cache");
            respond(response);
        });
    });
}

} // namespace organizer::authorization
