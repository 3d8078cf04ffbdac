#include "refreshtokengrant.h"

#include "grantedscopes.h"
#include "tokenresponse.h"
#include "tokenrevocations.h"

namespace organizer::authorization {

using oauth::OAuthError;

auto RefreshTokenGrant::refresh(const Request &grant) -> Result
{
    const Tenant &tenant = *grant.tenant;
    const Client &client = grant.client;
    const FormData &parameters = grant.parameters;
    auto refuse = [](const OAuthError &error) { return Unexpected<OAuthError>(error); };
    const QByteArray refreshToken = parameters.value(QStringLiteral("refresh_token")).toLatin1();
    if (refreshToken.isEmpty())
        return refuse(OAuthError::invalidRequest(QStringLiteral("the refresh_token parameter is missing")));
    auto unavailable = [&refuse](const RefreshTokens::Refusal &refusal) {
        qCCritical(lcAuthorization).noquote() << refusal.reason;
        return refuse(OAuthError::temporarilyUnavailable(QStringLiteral("the authorization server cannot reach its database")));
    };
    RefreshTokens &tokens = m_context.refreshTokens();
    auto usable = tokens.use(refreshToken, client.clientId);
    if (!usable) {
        if (usable.error().unavailable)
            return unavailable(usable.error());
        qCInfo(lcAuthorization).noquote() << "refresh refused for" << client.clientId << ":" << usable.error().reason;
        return refuse(OAuthError::invalidGrant(usable.error().reason));
    }
    const RefreshGrant granted = usable.value();
    QStringList scopes = granted.scopes;
    if (parameters.contains(QStringLiteral("scope"))) {
        scopes = splitScopes(parameters.value(QStringLiteral("scope")));
        for (const QString &scope : scopes) {
            if (!granted.scopes.contains(scope))
                return refuse(OAuthError::invalidScope(QStringLiteral("'%1' was not granted originally").arg(scope.left(60))));
        }
    }
    const User *user = tenant.userBySubject(granted.subject);
    if (!user)
        return refuse(OAuthError::invalidGrant(QStringLiteral("the user no longer exists")));
    // Refused before the rotation, so the token works again once the user is unblocked (Auth0's answer).
    if (user->blocked)
        return refuse(OAuthError{oauth::ErrorCode::InvalidGrant, QStringLiteral("user is blocked"), 403});
    // Only a request that will succeed retires the token: a refused one leaves the client its token.
    auto rotated = tokens.rotate(refreshToken);
    if (!rotated) {
        if (rotated.error().unavailable)
            return unavailable(rotated.error());
        qCWarning(lcAuthorization).noquote() << "refresh refused for" << client.clientId << ":" << rotated.error().reason;
        return refuse(OAuthError::invalidGrant(rotated.error().reason));
    }
    const RefreshTokens::Issued next = rotated.value();
    auto issued = issueUserTokens(m_context, tenant, tenant.api(granted.audience), granted.subject, client, scopes, {}, 0, &next);
    if (!issued)
        return refuse(issued.error());
    tokens.noteAccessToken(next.family, resource::TokenRevocations::fingerprint(issued->accessToken), issued->accessExpiresAt);
    return issued->body;
}

} // namespace organizer::authorization
