#include "bearertoken.h"

#include "bytetable.h"

#include <array>
#include <string_view>

namespace organizer::resource {

namespace {

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
constexpr std::array<bool, 256> kB64Token = byteTable({true, true, "-._~+/"});

bool isB64Token(QByteArrayView token)
{
    qsizetype i = 0;
    while (i < token.size() && kB64Token[static_cast<unsigned char>(token[i])])
        ++i;
    if (i == 0)
        return false;
    for (; i < token.size(); ++i) {
        if (token[i] != '=')
            return false;
    }
    return true;
}

} // namespace

BearerCredentials readBearerCredentials(const http::Request &request)
{
    using Kind = BearerCredentials::Kind;
    // RFC 6750 §2.3 allows the query string, but it leaks tokens into logs and history; we refuse it
    // even next to a header (§3.1: more than one method is invalid_request).
    if (request.query.contains(u"access_token"))
        return {Kind::Malformed, {}, QStringLiteral("send the access token in the Authorization header, not in the query string")};
    const qsizetype count = request.headerCount("authorization");
    if (count == 0) {
        return {Kind::Missing, {}, QStringLiteral("this API needs an access token: Authorization: Bearer <token>")};
    }
    if (count > 1)
        return {Kind::Malformed, {}, QStringLiteral("the request has more than one Authorization header")};

    const QByteArray value = request.header("authorization").trimmed();
    const qsizetype space = value.indexOf(' ');
    const QByteArray scheme = space < 0 ? value : value.left(space);
    if (scheme.compare("Bearer", Qt::CaseInsensitive) != 0) {
        if (scheme.isEmpty())
            return {Kind::Malformed, {}, QStringLiteral("the Authorization header is empty")};
        return {Kind::OtherScheme,
                {},
                QStringLiteral("the Authorization header uses the %1 scheme; this API accepts Bearer tokens").arg(QString::fromLatin1(scheme.left(20)))};
    }
    const QByteArray token = space < 0 ? QByteArray() : value.mid(space + 1).trimmed();
    if (token.isEmpty())
        return {Kind::Malformed, {}, QStringLiteral("the Bearer scheme is given without a token")};
    if (!isB64Token(token))
        return {Kind::Malformed, {}, QStringLiteral("the bearer token has characters RFC 6750 does not allow")};
    return {Kind::Present, token, {}};
}

} // namespace organizer::resource
