#pragma once

#include "jwtverifier.h"
#include "signingkeystore.h"

namespace organizer::server {

// Mints RS256 access tokens in Auth0's profile (iss with trailing slash, sub, aud, iat, exp, scope)
// with the store's active key.
class AccessTokenIssuer
{
public:
    AccessTokenIssuer(const jose::SigningKeyStore *keys, QString issuer, QString audience, jose::Clock clock = jose::systemClock());

    struct Grant
    {
        QString subject;
        QStringList scopes;
        qint64 lifetimeSeconds = 86400; // Auth0's default for APIs
        QJsonObject extraClaims;       // azp, gty, permissions, …
    };
    jose::Result<QByteArray> mint(const Grant &grant) const;

    QString issuer() const { return m_issuer; }
    void setIssuer(const QString &issuer) { m_issuer = issuer; }

private:
    const jose::SigningKeyStore *m_keys;
    QString m_issuer;
    QString m_audience;
    jose::Clock m_clock;
};

} // namespace organizer::server
