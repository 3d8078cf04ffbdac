#pragma once

#include "joseerror.h"
#include "rsakey.h"

#include <QJsonObject>

namespace organizer::jose {

// A JWS in compact serialization (RFC 7515 §7.1), split and decoded but not yet trusted.
struct CompactJws
{
    QJsonObject header;
    QByteArray payload;
    QByteArray signature;
    QByteArray signingInput; // ASCII(BASE64URL(header) '.' BASE64URL(payload))
};

// Tokens larger than this are refused before any decoding work.
inline constexpr qsizetype kMaxCompactJwsSize = 16 * 1024;

Result<CompactJws> parseCompactJws(QByteArrayView token);

// Signs `payload` with RS256. The header gets "alg":"RS256" and, when not empty, "kid";
// other header members (e.g. "typ") come from `header`.
Result<QByteArray> signCompactJws(QJsonObject header, const QByteArray &payload, const RsaKey &key, const QString &kid);

} // namespace organizer::jose
