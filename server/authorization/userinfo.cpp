// GET/POST /userinfo (OpenID Connect Core §5.3), behind the same bearer guard as the APIs.
#include "authorizationserver.h"

#include "endpointsupport.h"

#include "bearerguard.h"

namespace organizer::authorization {

using namespace endpoint;

void AuthorizationServer::userinfo(const http::Request &request, http::Responder respond)
{
    // The same bearer guard as the APIs'; only the decision after it is /userinfo's own.
    const QString realm = m_minter->issuer();
    resource::BearerGuard(m_userinfoVerifier)
        .authenticate(request, [this, realm, respond](const http::Request &, const resource::BearerGuard::Outcome &outcome) {
            if (!outcome) {
                respond(oauth::bearerResponse(realm, outcome.error()));
                return;
            }
            const TenantSnapshot tenant = this->tenant();
            const User *user = tenant->userBySubject(outcome->subject());
            if (!user || !outcome->hasScope(u"openid")) {
                respond(oauth::bearerResponse(realm,
                                              oauth::OAuthError::insufficientScope(QStringLiteral("userinfo needs a user's token with the openid scope")),
                                              QStringLiteral("openid")));
                return;
            }
            QJsonObject claims = userClaims(*user, outcome->scopes());
            claims.insert(QStringLiteral("sub"), user->subject());
            http::Response response = http::Response::json(200, claims);
            response.setHeader("cache-control", "no-store");
            respond(response);
        });
}

} // namespace organizer::authorization
