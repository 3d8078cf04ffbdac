#include "router.h"

#include <QJsonObject>

namespace organizer::http {

namespace {

QStringList splitPath(const QString &path)
{
    return path.split(QLatin1Char('/'), Qt::SkipEmptyParts);
}

bool isParameter(const QString &segment)
{
    return segment.size() > 2 && segment.startsWith(QLatin1Char('{')) && segment.endsWith(QLatin1Char('}'));
}

} // namespace

void Router::add(const QByteArray &method, const QString &pattern, Handler handler)
{
    m_routes.append(Route{method, splitPath(pattern), std::move(handler)});
}

bool Router::match(const Route &route, const QStringList &segments, QHash<QString, QString> *parameters)
{
    if (route.segments.size() != segments.size())
        return false;
    for (qsizetype i = 0; i < segments.size(); ++i) {
        const QString &expected = route.segments.at(i);
        if (isParameter(expected)) {
            if (parameters)
                parameters->insert(expected.mid(1, expected.size() - 2), segments.at(i));
        } else if (expected != segments.at(i)) {
            return false;
        }
    }
    return true;
}

QByteArrayList Router::allowedMethods(const QString &path) const
{
    const QStringList segments = splitPath(path);
    QByteArrayList methods;
    for (const Route &route : m_routes) {
        if (match(route, segments, nullptr) && !methods.contains(route.method))
            methods.append(route.method);
    }
    if (methods.contains("GET") && !methods.contains("HEAD"))
        methods.append("HEAD");
    return methods;
}

void Router::dispatch(const Request &request, Responder respond) const
{
    const QStringList segments = splitPath(request.path);
    // HEAD is GET without a body (RFC 9110 §9.3.2); the server layer drops the body.
    const QByteArray method = request.method == "HEAD" ? QByteArray("GET") : request.method;
    bool pathKnown = false;
    for (const Route &route : m_routes) {
        QHash<QString, QString> parameters;
        if (!match(route, segments, &parameters))
            continue;
        pathKnown = true;
        if (route.method != method)
            continue;
        Request routed = request;
        routed.pathParameters = std::move(parameters);
        route.handler(routed, std::move(respond));
        return;
    }
    if (pathKnown) {
        const QByteArrayList allowed = allowedMethods(request.path);
        Response response = Response::json(405, QJsonObject{
            {QStringLiteral("error"), QStringLiteral("method_not_allowed")},
            {QStringLiteral("error_description"),
             QStringLiteral("%1 is not supported on %2; use %3")
                 .arg(QString::fromLatin1(request.method.left(16)), request.path, QString::fromLatin1(allowed.join(", ")))},
        });
        response.setHeader("allow", allowed.join(", "));
        respond(std::move(response));
        return;
    }
    if (m_notFound) {
        m_notFound(request, std::move(respond));
        return;
    }
    respond(Response::json(404, QJsonObject{
        {QStringLiteral("error"), QStringLiteral("not_found")},
        {QStringLiteral("error_description"), QStringLiteral("no resource at %1").arg(request.path.left(200))},
    }));
}

} // namespace organizer::http
