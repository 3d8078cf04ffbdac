#include "userinfo.h"

#include "bearerguard.h"
#include "oautherror.h"

namespace organizer::authorization {

void UserinfoEndpoint::userinfo(const http::Request &request, http::Responder respond)
{
    // The same bearer guard as the APIs'; only the decision after it is /userinfo's own.
    const QString realm = m_context.issuer();
    resource::BearerGuard(m_context.userinfoVerifier())
        .authenticate(request, [this, realm, respond](const http::Request &, const resource::BearerGuard::Outcome &outcome) {
            if (!outcome)
                return respond(oauth::bearerResponse(realm, outcome.error()));
            const TenantSnapshot tenant = m_context.tenant();
            const User *user = tenant->userBySubject(outcome->subject());
            if (!user || !outcome->hasScope(u"openid"))
                return respond(
                    oauth::bearerResponse(realm, oauth::OAuthError::insufficientScope(QStringLiteral("userinfo needs a user's token with the openid scope")),
                                          QStringLiteral("openid")));
            QJsonObject claims = userClaims(*user, outcome->scopes());
            claims.insert(QStringLiteral("sub"), user->subject());
            http::Response response = http::Response::json(200, claims);
            response.setHeader("cache-control", "no-store");
            respond(response);
        });
}

} // namespace organizer::authorization
