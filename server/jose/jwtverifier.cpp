#include "jwtverifier.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

namespace organizer::jose {

namespace {

const QString kRs256 = QStringLiteral("RS256");

bool typeAccepted(const QString &typ, const QStringList &accepted)
{
    QString value = typ;
    if (value.startsWith(QLatin1String("application/"), Qt::CaseInsensitive))
        value = value.mid(12);
    return accepted.contains(value, Qt::CaseInsensitive);
}

// NumericDate (RFC 7519 §2): a JSON number of seconds; fractions allowed.
Result<std::optional<qint64>> numericDate(const QJsonObject &claims, const char *name)
{
    const QJsonValue value = claims.value(QLatin1String(name));
    if (value.isUndefined())
        return std::optional<qint64>();
    if (!value.isDouble() || !std::isfinite(value.toDouble()))
        return fail(ErrorCode::InvalidClaim, QStringLiteral("the \"%1\" claim is not a NumericDate").arg(QLatin1String(name)));
    return std::optional<qint64>(qint64(std::floor(value.toDouble())));
}

} // namespace

QStringList VerifiedJwt::scopes() const
{
    return claims.value(QLatin1String("scope")).toString().split(QLatin1Char(' '), Qt::SkipEmptyParts);
}

bool VerifiedJwt::hasScope(QStringView scope) const
{
    if (scope.isEmpty())
        return false;
    QString fromClaims;
    const QString &granted = grantedScope.isEmpty() ? (fromClaims = claims.value(QLatin1String("scope")).toString()) : grantedScope;
    // Walks the space-separated list in place: this runs on every API call.
    qsizetype start = 0;
    while (start <= granted.size()) {
        qsizetype end = granted.indexOf(QLatin1Char(' '), start);
        if (end < 0)
            end = granted.size();
        if (QStringView(granted).sliced(start, end - start) == scope)
            return true;
        start = end + 1;
    }
    return false;
}

JwtVerifier::JwtVerifier(JwtPolicy policy, Clock clock) : m_policy(std::move(policy)), m_clock(std::move(clock)) {}

Result<VerifiedJwt> JwtVerifier::verify(QByteArrayView token, const JwkSet &keys) const
{
    auto jws = parseCompactJws(token);
    if (!jws)
        return Unexpected<Error>(jws.error());
    const QJsonObject &header = jws->header;

    // RFC 8725 §3.1: the algorithm comes from our allow-list, never from the token alone.
    const QJsonValue alg = header.value(QLatin1String("alg"));
    if (!alg.isString())
        return fail(ErrorCode::MalformedToken, QStringLiteral("the token header has no \"alg\""));
    if (alg.toString() != kRs256)
        return fail(ErrorCode::UnsupportedAlgorithm, QStringLiteral("alg \"%1\" is not accepted; only RS256").arg(alg.toString().left(32)));

    // RFC 7515 §4.1.11: a "crit" member we do not understand makes the JWS invalid. We understand none.
    const QJsonValue crit = header.value(QLatin1String("crit"));
    if (!crit.isUndefined()) {
        if (!crit.isArray() || crit.toArray().isEmpty())
            return fail(ErrorCode::MalformedToken, QStringLiteral("\"crit\" must be a non-empty array"));
        const QJsonValue first = crit.toArray().first();
        return fail(ErrorCode::UnsupportedCritical, QStringLiteral("critical header parameter \"%1\" is not supported").arg(first.toString().left(32)));
    }

    const QJsonValue typ = header.value(QLatin1String("typ"));
    if (!typ.isUndefined() && (!typ.isString() || !typeAccepted(typ.toString(), m_policy.acceptedTypes)))
        return fail(
            ErrorCode::UnsupportedType,
            QStringLiteral("token type \"%1\" is not accepted; expected %2").arg(typ.toString().left(32), m_policy.acceptedTypes.join(QLatin1String(" or "))));

    auto candidates = candidateKeys(header, keys);
    if (!candidates)
        return Unexpected<Error>(candidates.error());
    const Jwk *signer = nullptr;
    for (const Jwk *candidate : *candidates) {
        if (candidate->key.verifySha256(jws->signingInput, jws->signature)) {
            signer = candidate;
            break;
        }
    }
    if (!signer)
        return fail(ErrorCode::BadSignature,
                    candidates->size() == 1 ? QStringLiteral("the signature does not verify")
                                            : QStringLiteral("the signature does not verify with any of the issuer's %1 keys").arg(candidates->size()));

    QJsonParseError parseError;
    const QJsonDocument payload = QJsonDocument::fromJson(jws->payload, &parseError);
    if (parseError.error != QJsonParseError::NoError || !payload.isObject())
        return fail(ErrorCode::MalformedToken, QStringLiteral("the token payload is not a JSON object"));
    const QJsonObject claims = payload.object();
    auto expiresAt = checkClaims(claims);
    if (!expiresAt)
        return Unexpected<Error>(expiresAt.error());
    return VerifiedJwt{header, claims, signer->kid, *expiresAt, claims.value(QLatin1String("scope")).toString()};
}

Result<QList<const Jwk *>> JwtVerifier::candidateKeys(const QJsonObject &header, const JwkSet &keys) const
{
    const QJsonValue kid = header.value(QLatin1String("kid"));
    if (kid.isUndefined()) {
        // RFC 7515 §4.1.4: kid is optional. Every RS256 signing key the issuer publishes is a
        // candidate, up to a bound, so a kid-less token cannot make us try an unbounded JWKS.
        if (keys.isEmpty())
            return fail(ErrorCode::UnknownKeyId, QStringLiteral("the issuer publishes no usable signing key"));
        if (keys.keys().size() > kMaxKidlessCandidates)
            return fail(ErrorCode::AmbiguousKey,
                        QStringLiteral("the token has no 'kid' and the issuer publishes %1 keys (at most %2 are tried)")
                            .arg(keys.keys().size())
                            .arg(kMaxKidlessCandidates));
        QList<const Jwk *> all;
        for (const Jwk &jwk : keys.keys())
            all.append(&jwk);
        return all;
    }
    if (!kid.isString())
        return fail(ErrorCode::MalformedToken, QStringLiteral("the \"kid\" header is not a string"));
    const Jwk *jwk = keys.find(kid.toString());
    if (!jwk)
        return fail(ErrorCode::UnknownKeyId, QStringLiteral("no signing key with kid '%1'").arg(kid.toString().left(64)));
    return QList<const Jwk *>{jwk};
}

Result<qint64> JwtVerifier::checkClaims(const QJsonObject &claims) const
{
    const qint64 now = m_clock();
    auto exp = numericDate(claims, "exp");
    if (!exp)
        return Unexpected<Error>(exp.error());
    if (!exp->has_value())
        return fail(ErrorCode::MissingClaim, QStringLiteral("the token has no \"exp\" claim"));
    if (now >= **exp + m_policy.leewaySeconds)
        return fail(ErrorCode::Expired, QStringLiteral("the token expired at %1").arg(QDateTime::fromSecsSinceEpoch(**exp, Qt::UTC).toString(Qt::ISODate)));
    auto nbf = numericDate(claims, "nbf");
    if (!nbf)
        return Unexpected<Error>(nbf.error());
    if (nbf->has_value() && now + m_policy.leewaySeconds < **nbf)
        return fail(ErrorCode::NotYetValid,
                    QStringLiteral("the token is not valid before %1").arg(QDateTime::fromSecsSinceEpoch(**nbf, Qt::UTC).toString(Qt::ISODate)));
    auto iat = numericDate(claims, "iat");
    if (!iat)
        return Unexpected<Error>(iat.error());

    const QJsonValue iss = claims.value(QLatin1String("iss"));
    if (!iss.isString())
        return fail(ErrorCode::MissingClaim, QStringLiteral("the token has no \"iss\" claim"));
    if (iss.toString() != m_policy.issuer)
        return fail(ErrorCode::IssuerMismatch, QStringLiteral("issuer \"%1\" is not trusted; expected \"%2\"").arg(iss.toString().left(128), m_policy.issuer));

    const QJsonValue aud = claims.value(QLatin1String("aud"));
    const auto accepted = [this](const QString &audience) {
        if (m_policy.anyAudience)
            return true;
        return m_policy.audiences.isEmpty() ? audience == m_policy.audience : m_policy.audiences.contains(audience);
    };
    bool audienceFound = false;
    if (aud.isString()) {
        audienceFound = accepted(aud.toString());
    } else if (aud.isArray()) {
        const QJsonArray audiences = aud.toArray();
        for (const QJsonValue &entry : audiences) {
            if (!entry.isString())
                return fail(ErrorCode::InvalidClaim, QStringLiteral("the \"aud\" claim must hold strings"));
            audienceFound = audienceFound || accepted(entry.toString());
        }
    } else if (aud.isUndefined()) {
        return fail(ErrorCode::MissingClaim, QStringLiteral("the token has no \"aud\" claim"));
    } else {
        return fail(ErrorCode::InvalidClaim, QStringLiteral("the \"aud\" claim must be a string or an array"));
    }
    if (!audienceFound && m_policy.anyAudience)
        return fail(ErrorCode::AudienceMismatch, QStringLiteral("the token names no audience"));
    if (!audienceFound && !m_policy.audiences.isEmpty())
        return fail(ErrorCode::AudienceMismatch,
                    QStringLiteral("the token is not meant for any of the audiences \"%1\"").arg(m_policy.audiences.join(QLatin1String("\", \""))));
    if (!audienceFound)
        return fail(ErrorCode::AudienceMismatch, QStringLiteral("the token is not meant for audience \"%1\"").arg(m_policy.audience));

    const QJsonValue scope = claims.value(QLatin1String("scope"));
    if (!scope.isUndefined() && !scope.isString())
        return fail(ErrorCode::InvalidClaim, QStringLiteral("the \"scope\" claim must be a space-separated string"));
    return **exp;
}

} // namespace organizer::jose
