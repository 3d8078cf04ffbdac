#include "jws.h"

#include "base64url.h"

#include <QJsonDocument>

namespace organizer::jose {

Result<CompactJws> parseCompactJws(QByteArrayView token)
{
    if (token.size() > kMaxCompactJwsSize)
        return fail(ErrorCode::TokenTooLarge, QStringLiteral("the token is %1 bytes; at most %2 are accepted").arg(token.size()).arg(kMaxCompactJwsSize));
    const qsizetype firstDot = token.indexOf('.');
    const qsizetype secondDot = firstDot < 0 ? -1 : token.indexOf('.', firstDot + 1);
    if (firstDot < 0 || secondDot < 0 || token.indexOf('.', secondDot + 1) >= 0)
        return fail(ErrorCode::MalformedToken, QStringLiteral("the token is not a compact JWS (three dot-separated parts)"));

    const QByteArrayView headerPart = token.first(firstDot);
    const QByteArrayView payloadPart = token.sliced(firstDot + 1, secondDot - firstDot - 1);
    const QByteArrayView signaturePart = token.sliced(secondDot + 1);

    auto headerBytes = base64UrlDecode(headerPart);
    if (!headerBytes || headerBytes->isEmpty())
        return fail(ErrorCode::MalformedToken, QStringLiteral("the token header is not base64url"));
    QJsonParseError parseError;
    const QJsonDocument header = QJsonDocument::fromJson(*headerBytes, &parseError);
    if (parseError.error != QJsonParseError::NoError || !header.isObject())
        return fail(ErrorCode::MalformedToken, QStringLiteral("the token header is not a JSON object"));
    auto payload = base64UrlDecode(payloadPart);
    if (!payload)
        return fail(ErrorCode::MalformedToken, QStringLiteral("the token payload is not base64url"));
    auto signature = base64UrlDecode(signaturePart);
    if (!signature)
        return fail(ErrorCode::MalformedToken, QStringLiteral("the token signature is not base64url"));

    return CompactJws{header.object(), std::move(*payload), std::move(*signature), token.first(secondDot).toByteArray()};
}

Result<QByteArray> signCompactJws(QJsonObject header, const QByteArray &payload, const RsaKey &key, const QString &kid)
{
    header.insert(QStringLiteral("alg"), QStringLiteral("RS256"));
    if (!kid.isEmpty())
        header.insert(QStringLiteral("kid"), kid);
    const QByteArray signingInput = base64UrlEncode(QJsonDocument(header).toJson(QJsonDocument::Compact)) + '.' + base64UrlEncode(payload);
    auto signature = key.signSha256(signingInput);
    if (!signature)
        return Unexpected<Error>(signature.error());
    return signingInput + '.' + base64UrlEncode(*signature);
}

} // namespace organizer::jose
