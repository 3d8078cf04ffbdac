#include "tokenresponse.h"

#include "grantedscopes.h"

namespace organizer::authorization {

Expected<IssuedTokens, oauth::OAuthError> issueUserTokens(AuthorizationContext &context, const Tenant &tenant, const Api *api, const QString &subject,
                                                          const Client &client, const QStringList &consented, const QString &nonce, qint64 authTime,
                                                          const RefreshTokens::Issued *refreshToken, const QString &grantType)
{
    const User *user = tenant.userBySubject(subject);
    if (user && user->blocked) // Auth0's answer to a blocked user's refresh
        return Unexpected<oauth::OAuthError>(oauth::OAuthError{oauth::ErrorCode::InvalidGrant, QStringLiteral("user is blocked"), 403});
    const QStringList scopes = user ? grantedScopes(consented, api, api ? tenant.permissionsOf(*user, api->identifier) : QStringList()) : QStringList();
    const TokenMinter &minter = context.minter();
    auto minted = minter.accessToken(api, subject, client.clientId, scopes, false, grantType);
    if (!minted)
        return Unexpected<oauth::OAuthError>(oauth::OAuthError::serverError(QStringLiteral("the access token could not be signed")));
    QJsonObject body{{QStringLiteral("access_token"), QString::fromLatin1(minted->token)},
                     {QStringLiteral("token_type"), QStringLiteral("Bearer")},
                     {QStringLiteral("expires_in"), minted->expiresIn},
                     {QStringLiteral("scope"), scopes.join(QLatin1Char(' '))}};
    if (scopes.contains(QStringLiteral("openid")) && user) {
        auto idToken = minter.idToken({user, client.clientId, nonce, scopes, authTime, minted->token, {}, client.idTokenLifetime()});
        if (!idToken)
            return Unexpected<oauth::OAuthError>(oauth::OAuthError::serverError(QStringLiteral("the ID token could not be signed")));
        body.insert(QStringLiteral("id_token"), QString::fromLatin1(*idToken));
    }
    if (refreshToken)
        body.insert(QStringLiteral("refresh_token"), QString::fromLatin1(refreshToken->token));
    return IssuedTokens{body, minted->token, context.now() + minted->expiresIn};
}

} // namespace organizer::authorization
