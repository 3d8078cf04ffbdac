#include "tokenminter.h"

#include "base64url.h"
#include "grantedscopes.h"
#include "passwordhash.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>

namespace organizer::authorization {

QByteArray accessTokenHash(const QByteArray &accessToken)
{
    const QByteArray digest = QCryptographicHash::hash(accessToken, QCryptographicHash::Sha256);
    return jose::base64UrlEncode(digest.left(digest.size() / 2));
}

QJsonObject userClaims(const User &user, const QStringList &scopes)
{
    QJsonObject claims;
    if (scopes.contains(QStringLiteral("profile"))) {
        claims.insert(QStringLiteral("name"), user.name);
        claims.insert(QStringLiteral("nickname"), user.nickname);
    }
    if (scopes.contains(QStringLiteral("email"))) {
        claims.insert(QStringLiteral("email"), user.email);
        claims.insert(QStringLiteral("email_verified"), user.emailVerified);
    }
    return claims;
}

jose::Result<TokenMinter::AccessToken> TokenMinter::accessToken(const Api *api, const QString &subject, const QString &clientId, const QStringList &scopes,
                                                                bool machineToMachine, const QString &grantType) const
{
    return prepareAccessToken(api, subject, clientId, scopes, machineToMachine, grantType).sign();
}

TokenMinter::UnsignedAccessToken TokenMinter::prepareAccessToken(const Api *api, const QString &subject, const QString &clientId, const QStringList &scopes,
                                                                 bool machineToMachine, const QString &grantType) const
{
    const qint64 now = m_clock();
    const qint64 lifetime = api ? api->tokenLifetimeSeconds : 86400;
    QJsonObject claims{{QStringLiteral("iss"), m_issuer},
                       {QStringLiteral("sub"), subject},
                       {QStringLiteral("iat"), now},
                       {QStringLiteral("exp"), now + lifetime},
                       {QStringLiteral("scope"), scopes.join(QLatin1Char(' '))}};
    // Auth0: with openid the token also opens /userinfo, so it carries both audiences.
    if (!api)
        claims.insert(QStringLiteral("aud"), userinfoAudience());
    else if (scopes.contains(QStringLiteral("openid")))
        claims.insert(QStringLiteral("aud"), QJsonArray{api->identifier, userinfoAudience()});
    else
        claims.insert(QStringLiteral("aud"), api->identifier);
    if (machineToMachine)
        claims.insert(QStringLiteral("gty"), QStringLiteral("client-credentials"));
    else if (!grantType.isEmpty())
        claims.insert(QStringLiteral("gty"), grantType);
    if (api && api->rbac && api->addPermissionsToAccessToken)
        claims.insert(QStringLiteral("permissions"), QJsonArray::fromStringList(apiScopesOf(scopes, api)));

    QJsonObject header{{QStringLiteral("typ"), QStringLiteral("JWT")}};
    if (api && api->profile == TokenProfile::Rfc9068) {
        header.insert(QStringLiteral("typ"), QStringLiteral("at+jwt"));
        claims.insert(QStringLiteral("client_id"), clientId);
        claims.insert(QStringLiteral("jti"), QString::fromLatin1(randomToken(16)));
    } else if (!clientId.isEmpty()) { // a test token from the command line has no client
        claims.insert(QStringLiteral("azp"), clientId);
    }
    return {header, QJsonDocument(claims).toJson(QJsonDocument::Compact), m_activeKey(), lifetime};
}

jose::Result<TokenMinter::AccessToken> TokenMinter::UnsignedAccessToken::sign() const
{
    auto token = jose::signCompactJws(header, payload, key.key, key.kid);
    if (!token)
        return Unexpected<jose::Error>(token.error());
    return AccessToken{token.value(), expiresIn};
}

jose::Result<QByteArray> TokenMinter::idToken(const IdTokenClaims &input) const
{
    const qint64 now = m_clock();
    QJsonObject claims = userClaims(*input.user, input.scopes);
    claims.insert(QStringLiteral("iss"), m_issuer);
    claims.insert(QStringLiteral("sub"), input.user->subject());
    claims.insert(QStringLiteral("aud"), input.clientId);
    claims.insert(QStringLiteral("iat"), now);
    claims.insert(QStringLiteral("exp"), now + input.lifetime);
    if (input.authTime > 0)
        claims.insert(QStringLiteral("auth_time"), input.authTime);
    if (!input.nonce.isEmpty())
        claims.insert(QStringLiteral("nonce"), input.nonce);
    if (!input.accessToken.isEmpty())
        claims.insert(QStringLiteral("at_hash"), QString::fromLatin1(accessTokenHash(input.accessToken)));
    const jose::SigningKey &key = m_activeKey();
    return jose::signCompactJws({{QStringLiteral("typ"), QStringLiteral("JWT")}}, QJsonDocument(claims).toJson(QJsonDocument::Compact), key.key, key.kid);
}

} // namespace organizer::authorization
