#include "oautherrors.h"

namespace organizer::oauth {

QJsonObject oauthErrorObject(const QString &error, const QString &description)
{
    return QJsonObject{{QStringLiteral("error"), error}, {QStringLiteral("error_description"), http::errorDescriptionText(description)}};
}

http::Response oauthError(int status, const QString &error, const QString &description)
{
    http::Response response = http::Response::json(status, oauthErrorObject(error, description));
    response.setHeader("cache-control", "no-store");
    return response;
}

QByteArray quotedHeaderValue(const QString &value)
{
    QByteArray out;
    out.reserve(value.size() + 2);
    out += '"';
    for (const QChar ch : value) {
        const char16_t c = ch.unicode();
        if (c == u'"' || c == u'\\') {
            out += '\\';
            out += char(c);
        } else if (c < 0x20 || c >= 0x7f) {
            out += '?'; // RFC 6750 §3: error_description is limited to printable ASCII
        } else {
            out += char(c);
        }
    }
    out += '"';
    return out;
}

QByteArray formatChallenge(const BearerChallenge &challenge)
{
    QByteArray out = "Bearer realm=" + quotedHeaderValue(challenge.realm);
    if (!challenge.error.isEmpty()) {
        out += ", error=" + quotedHeaderValue(challenge.error);
        if (!challenge.description.isEmpty())
            out += ", error_description=" + quotedHeaderValue(http::errorDescriptionText(challenge.description));
        if (!challenge.scope.isEmpty())
            out += ", scope=" + quotedHeaderValue(challenge.scope);
    }
    return out;
}

http::Response bearerError(int status, const BearerChallenge &challenge)
{
    // Without credentials there is no RFC error code for the challenge, but the body still says what to do.
    const QString bodyError = challenge.error.isEmpty() ? QStringLiteral("unauthorized") : challenge.error;
    http::Response response = http::Response::json(status, oauthErrorObject(bodyError, challenge.description));
    if (!challenge.scope.isEmpty()) {
        QJsonDocument document = QJsonDocument::fromJson(response.body);
        QJsonObject object = document.object();
        object.insert(QStringLiteral("scope"), challenge.scope);
        response.body = QJsonDocument(object).toJson(QJsonDocument::Compact);
    }
    response.setHeader("www-authenticate", formatChallenge(challenge));
    response.setHeader("cache-control", "no-store");
    return response;
}

} // namespace organizer::oauth
