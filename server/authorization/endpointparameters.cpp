#include "endpointparameters.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace organizer::authorization {

using oauth::OAuthError;

Expected<FormData, OAuthError> readEndpointParameters(const http::Request &request)
{
    auto refuse = [](const QString &description) { return Unexpected<OAuthError>(OAuthError::invalidRequest(description)); };
    FormData parameters;
    const QByteArray contentType = request.header("content-type").split(';').first().trimmed().toLower();
    if (contentType == "application/x-www-form-urlencoded") {
        parameters = FormData::parse(request.body);
        if (parameters.hasInvalidUtf8())
            return refuse(QStringLiteral("the body is not valid UTF-8"));
    } else if (contentType == "application/json") {
        QJsonParseError parseError;
        const QJsonDocument document = QJsonDocument::fromJson(request.body, &parseError);
        if (parseError.error != QJsonParseError::NoError || !document.isObject())
            return refuse(QStringLiteral("the body is not a JSON object"));
        const QJsonObject object = document.object();
        for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
            if (!it.value().isString())
                return refuse(QStringLiteral("%1 must be a string").arg(it.key().left(40)));
            parameters.add(it.key(), it.value().toString());
        }
    } else {
        return refuse(QStringLiteral("send the parameters as application/x-www-form-urlencoded or JSON"));
    }
    if (const QString repeated = parameters.firstRepeatedName(); !repeated.isNull())
        return refuse(QStringLiteral("the %1 parameter is repeated").arg(repeated.left(40)));
    return parameters;
}

http::Response tokenErrorResponse(const OAuthError &error)
{
    return oauth::jsonResponse(error, oauth::Caching::NoStoreNoCache);
}

} // namespace organizer::authorization
