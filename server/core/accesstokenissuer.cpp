#include "accesstokenissuer.h"

#include <QJsonDocument>

namespace organizer::server {

AccessTokenIssuer::AccessTokenIssuer(const jose::SigningKeyStore *keys, QString issuer, QString audience, jose::Clock clock)
    : m_keys(keys), m_issuer(std::move(issuer)), m_audience(std::move(audience)), m_clock(std::move(clock))
{
}

jose::Result<QByteArray> AccessTokenIssuer::mint(const Grant &grant) const
{
    const qint64 now = m_clock();
    QJsonObject claims = grant.extraClaims;
    claims.insert(QStringLiteral("iss"), m_issuer);
    claims.insert(QStringLiteral("sub"), grant.subject);
    claims.insert(QStringLiteral("aud"), m_audience);
    claims.insert(QStringLiteral("iat"), now);
    claims.insert(QStringLiteral("exp"), now + grant.lifetimeSeconds);
    claims.insert(QStringLiteral("scope"), grant.scopes.join(QLatin1Char(' ')));
    const jose::SigningKey &key = m_keys->activeKey();
    return jose::signCompactJws(QJsonObject{{QStringLiteral("typ"), QStringLiteral("JWT")}},
                                QJsonDocument(claims).toJson(QJsonDocument::Compact), key.key, key.kid);
}

} // namespace organizer::server
