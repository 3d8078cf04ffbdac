#include "apiclient.h"

#include "catalogue.h"

#include <QElapsedTimer>
#include <QJsonObject>
#include <QRegularExpression>

namespace organizer::app {

Q_LOGGING_CATEGORY(lcApi, "organizer.app.api")

QString ApiCall::summary() const
{
    if (status == 0)
        return QStringLiteral("No answer: %1").arg(error);
    const QJsonObject object = json().object();
    const QString description = object.value(QLatin1String("error_description")).toString();
    if (status == 403 && object.value(QLatin1String("error")).toString() == QLatin1String("insufficient_scope"))
        return QStringLiteral("403: this token lacks %1").arg(object.value(QLatin1String("scope")).toString());
    if (status == 401 && description.isEmpty())
        return QStringLiteral("401: no access token was sent");
    if (!description.isEmpty())
        return QStringLiteral("%1: %2").arg(status).arg(description);
    return QStringLiteral("%1 %2").arg(status).arg(status < 300 ? QStringLiteral("OK") : QStringLiteral("error"));
}

QString requiredScope(const QByteArray &method, const QString &path)
{
    // /api/<segment> or /api/<segment>/<id>, the segment naming a catalogue API (or an alias).
    static const QRegularExpression route(QStringLiteral("^/api/([^/]+)(/[^/]+)?/?$"));
    const auto match = route.match(path);
    if (!match.hasMatch())
        return {};
    const catalogue::ApiSpec *api = catalogue::organizerService().apiServedAt(match.captured(1));
    if (!api)
        return {};
    const bool item = !match.captured(2).isEmpty();
    if (method == "GET")
        return api->scope(catalogue::Action::Read);
    if (method == "POST" && !item)
        return api->scope(catalogue::Action::Create);
    if (method == "PUT" && item)
        return api->scope(catalogue::Action::Update);
    if (method == "DELETE" && item)
        return api->scope(catalogue::Action::Delete);
    return {};
}

ApiClient::ApiClient(QObject *parent) : QObject(parent) {}

int ApiClient::send(const QByteArray &method, const QString &path, const QJsonDocument &body)
{
    const int id = m_nextId++;
    HttpRequest request;
    request.method = method;
    request.url = m_baseUrl.resolved(QUrl(path.startsWith(QLatin1Char('/')) ? path.mid(1) : path));
    request.bearerToken = m_token;
    if (method == "POST" || method == "PUT") {
        request.contentType = "application/json";
        request.body = body.toJson(QJsonDocument::Compact);
    }
    m_http.send(request, this, [this, id, method, url = request.url](const HttpReply &reply) {
        ApiCall call;
        call.id = id;
        call.method = method;
        call.url = url;
        call.status = reply.status;
        call.wwwAuthenticate = reply.wwwAuthenticate;
        call.body = reply.body;
        call.durationMs = reply.durationMs;
        call.error = reply.networkError;
        qCInfo(lcApi).noquote() << method << url.path() << call.status; // never the token
        Q_EMIT finished(call);
    });
    return id;
}

} // namespace organizer::app
