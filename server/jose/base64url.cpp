#include "base64url.h"

namespace organizer::jose {

namespace {
constexpr auto kOptions = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

bool isUrlSafeAlphabet(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}
} // namespace

QByteArray base64UrlEncode(QByteArrayView data)
{
    return data.toByteArray().toBase64(kOptions);
}

std::optional<QByteArray> base64UrlDecode(QByteArrayView text)
{
    if (text.size() % 4 == 1)
        return std::nullopt;
    for (char c : text) {
        if (!isUrlSafeAlphabet(c))
            return std::nullopt;
    }
    auto decoded = QByteArray::fromBase64Encoding(text.toByteArray(), kOptions | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return std::nullopt;
    if (base64UrlEncode(*decoded) != text)
        return std::nullopt; // non-canonical trailing bits
    return std::move(*decoded);
}

} // namespace organizer::jose
