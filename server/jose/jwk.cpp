#include "jwk.h"

#include "base64url.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace organizer::jose {

namespace {

Result<QByteArray> decodeMember(const QJsonObject &object, const char *name, bool required)
{
    const QJsonValue value = object.value(QLatin1String(name));
    if (value.isUndefined()) {
        if (required)
            return fail(ErrorCode::InvalidKey, QStringLiteral("JWK member \"%1\" is missing").arg(QLatin1String(name)));
        return QByteArray();
    }
    if (!value.isString())
        return fail(ErrorCode::InvalidKey, QStringLiteral("JWK member \"%1\" must be a string").arg(QLatin1String(name)));
    auto decoded = base64UrlDecode(value.toString().toLatin1());
    if (!decoded || decoded->isEmpty())
        return fail(ErrorCode::InvalidKey, QStringLiteral("JWK member \"%1\" is not base64url").arg(QLatin1String(name)));
    return *decoded;
}

} // namespace

Result<Jwk> Jwk::fromJson(const QJsonObject &object)
{
    const QJsonValue kty = object.value(QLatin1String("kty"));
    if (!kty.isString())
        return fail(ErrorCode::InvalidKey, QStringLiteral("JWK member \"kty\" is missing"));
    if (kty.toString() != QLatin1String("RSA"))
        return fail(ErrorCode::InvalidKey, QStringLiteral("key type \"%1\" is not supported; only RSA").arg(kty.toString()));
    for (const char *name : {"kid", "use", "alg"}) {
        const QJsonValue value = object.value(QLatin1String(name));
        if (!value.isUndefined() && !value.isString())
            return fail(ErrorCode::InvalidKey, QStringLiteral("JWK member \"%1\" must be a string").arg(QLatin1String(name)));
    }
    Jwk jwk;
    jwk.kid = object.value(QLatin1String("kid")).toString();
    jwk.use = object.value(QLatin1String("use")).toString();
    jwk.alg = object.value(QLatin1String("alg")).toString();

    RsaKey::Components components;
    const std::pair<const char *, QByteArray *> members[] = {
        {"n", &components.n}, {"e", &components.e},   {"d", &components.d},   {"p", &components.p},
        {"q", &components.q}, {"dp", &components.dp}, {"dq", &components.dq}, {"qi", &components.qi},
    };
    for (const auto &[name, target] : members) {
        const bool required = qstrcmp(name, "n") == 0 || qstrcmp(name, "e") == 0;
        auto decoded = decodeMember(object, name, required);
        if (!decoded)
            return Unexpected<Error>(decoded.error());
        *target = std::move(decoded).value();
    }
    auto key = RsaKey::fromComponents(components);
    if (!key)
        return Unexpected<Error>(key.error());
    jwk.key = std::move(key).value();
    return jwk;
}

Jwk Jwk::forSigningKey(const RsaKey &key, const QString &kid)
{
    return Jwk{kid, QStringLiteral("sig"), QStringLiteral("RS256"), key.publicOnly()};
}

QJsonObject Jwk::toPublicJson() const
{
    QJsonObject object{
        {QStringLiteral("kty"), QStringLiteral("RSA")},
        {QStringLiteral("n"), QString::fromLatin1(base64UrlEncode(key.modulus()))},
        {QStringLiteral("e"), QString::fromLatin1(base64UrlEncode(key.publicExponent()))},
    };
    if (!kid.isEmpty())
        object.insert(QStringLiteral("kid"), kid);
    if (!use.isEmpty())
        object.insert(QStringLiteral("use"), use);
    if (!alg.isEmpty())
        object.insert(QStringLiteral("alg"), alg);
    return object;
}

Result<JwkSet> JwkSet::fromJson(const QByteArray &json)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject())
        return fail(ErrorCode::InvalidKey, QStringLiteral("the JWKS is not a JSON object"));
    const QJsonValue keys = document.object().value(QLatin1String("keys"));
    if (!keys.isArray())
        return fail(ErrorCode::InvalidKey, QStringLiteral("the JWKS has no \"keys\" array"));

    JwkSet set;
    const QJsonArray array = keys.toArray();
    for (qsizetype i = 0; i < array.size(); ++i) {
        const QJsonObject object = array.at(i).toObject();
        auto jwk = Jwk::fromJson(object);
        if (!jwk) {
            set.m_skipped.append(QStringLiteral("key %1: %2").arg(i).arg(jwk.error().description));
            continue;
        }
        if (!jwk->use.isEmpty() && jwk->use != QLatin1String("sig")) {
            set.m_skipped.append(QStringLiteral("key %1: use \"%2\" is not for signatures").arg(i).arg(jwk->use));
            continue;
        }
        if (!jwk->alg.isEmpty() && jwk->alg != QLatin1String("RS256")) {
            set.m_skipped.append(QStringLiteral("key %1: alg \"%2\" is not accepted").arg(i).arg(jwk->alg));
            continue;
        }
        set.m_keys.append(std::move(jwk).value());
    }
    return set;
}

QByteArray JwkSet::toJson() const
{
    QJsonArray keys;
    for (const Jwk &jwk : m_keys)
        keys.append(jwk.toPublicJson());
    return QJsonDocument(QJsonObject{{QStringLiteral("keys"), keys}}).toJson(QJsonDocument::Compact);
}

const Jwk *JwkSet::find(const QString &kid) const
{
    for (const Jwk &jwk : m_keys) {
        if (jwk.kid == kid)
            return &jwk;
    }
    return nullptr;
}

} // namespace organizer::jose
