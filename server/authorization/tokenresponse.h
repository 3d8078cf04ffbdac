#pragma once

#include "authorizationcontext.h"
#include "expected.h"
#include "oautherror.h"

#include <QJsonObject>

namespace organizer::authorization {

// A user's tokens from the token endpoint (RFC 6749 §5.1), for the authorization code and refresh
// token grants: the access token, an ID token when openid is granted, the refresh token if any.
struct IssuedTokens
{
    QJsonObject body;
    QByteArray accessToken;
    qint64 accessExpiresAt = 0;
};

// RBAC again at issuance: a scope the API lost, or a permission the user lost since the consent or the
// last refresh, is not in the new token; a user blocked since gets none. `refreshToken` goes into the
// body as it is; `grantType` is the access token's `gty` (TokenMinter::accessToken).
Expected<IssuedTokens, oauth::OAuthError> issueUserTokens(AuthorizationContext &context, const Tenant &tenant, const Api *api, const QString &subject,
                                                          const Client &client, const QStringList &consented, const QString &nonce, qint64 authTime,
                                                          const RefreshTokens::Issued *refreshToken, const QString &grantType = {});

} // namespace organizer::authorization
