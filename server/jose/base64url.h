#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <optional>

namespace organizer::jose {

// RFC 7515 §2 base64url without padding.
QByteArray base64UrlEncode(QByteArrayView data);

// Strict decoding: only the URL-safe alphabet, no padding, no whitespace, and canonical trailing bits,
// so one value has exactly one encoding (a tampered signature segment cannot decode to the same bytes).
std::optional<QByteArray> base64UrlDecode(QByteArrayView text);

} // namespace organizer::jose
