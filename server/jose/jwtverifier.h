#pragma once

#include "clock.h"
#include "jwk.h"
#include "jws.h"

#include <QJsonObject>
#include <QStringList>

#include <functional>

namespace organizer::jose {

struct JwtPolicy
{
    QString issuer; // compared byte for byte (Auth0 issuers end with '/')
    QString audience; // must equal "aud" or be one element of it
    qint64 leewaySeconds = 30;
    // RFC 7519 §5.1 makes "typ" optional; when present it must be one of these (case-insensitive,
    // an "application/" prefix allowed, RFC 7515 §4.1.9).
    QStringList acceptedTypes{QStringLiteral("JWT"), QStringLiteral("at+jwt")};
    // When not empty, a set of audiences in place of `audience`: "aud" must name one of them.
    QStringList audiences{};
    // "Issued here": the issuer and the signature decide, whatever the token was issued for. Only for a
    // token that comes back to the issuer that signed it (RFC 7009 revocation, RP-Initiated Logout's
    // id_token_hint), where any of its audiences is fine; never for a resource server, which must take
    // only tokens meant for it. "aud" must still name at least one audience.
    bool anyAudience = false;

    static JwtPolicy issuedHere(const QString &issuer, qint64 leewaySeconds)
    {
        JwtPolicy policy{issuer, QString(), leewaySeconds};
        policy.anyAudience = true;
        return policy;
    }
};

struct VerifiedJwt
{
    QJsonObject header;
    QJsonObject claims;
    QString keyId;
    qint64 expiresAt = 0;
    // The "scope" claim as verified, kept as text so that scope checks do not convert it again on
    // every call; empty when not filled in (then hasScope reads the claim).
    QString grantedScope;

    QString subject() const { return claims.value(QLatin1String("sub")).toString(); }
    // The space-separated "scope" claim (RFC 8693 §4.2 / RFC 9068 §2.2.3), split into tokens.
    QStringList scopes() const;
    // Exact token match: "read:contacts" never matches "read:contacts:all" or "xread:contacts".
    bool hasScope(QStringView scope) const;
};

// Verifies a JWT access or ID token: RS256 only (the header's alg is checked against the
// allow-list, never trusted), no unknown "crit", key chosen by "kid", then exp/nbf/iss/aud.
class JwtVerifier
{
public:
    static constexpr qsizetype kMaxKidlessCandidates = 8;

    explicit JwtVerifier(JwtPolicy policy, Clock clock = systemClock());

    Result<VerifiedJwt> verify(QByteArrayView token, const JwkSet &keys) const;

    const JwtPolicy &policy() const { return m_policy; }

private:
    // The keys the signature may be checked with: the one named by "kid", or without a kid every
    // published key, up to kMaxKidlessCandidates.
    Result<QList<const Jwk *>> candidateKeys(const QJsonObject &header, const JwkSet &keys) const;
    Result<qint64> checkClaims(const QJsonObject &claims) const;

    JwtPolicy m_policy;
    Clock m_clock;
};

} // namespace organizer::jose
