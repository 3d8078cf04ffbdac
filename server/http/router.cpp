#include "router.h"

#include <QThread>
#include <QUrl>

namespace organizer::http {

namespace {

QStringList splitPattern(const QString &pattern)
{
    return pattern.split(QLatin1Char('/'), Qt::SkipEmptyParts);
}

bool isParameter(const QString &segment)
{
    return segment.size() > 2 && segment.startsWith(QLatin1Char('{')) && segment.endsWith(QLatin1Char('}'));
}

} // namespace

void Router::add(const QByteArray &method, const QString &pattern, Handler handler, Affinity affinity)
{
    m_routes.append(Route{method, splitPattern(pattern), std::move(handler), affinity});
}

bool Router::match(const Route &route, const QStringList &segments, QHash<QString, QString> *parameters)
{
    if (route.segments.size() != segments.size())
        return false;
    for (qsizetype i = 0; i < segments.size(); ++i) {
        const QString &expected = route.segments.at(i);
        if (isParameter(expected)) {
            // A parameter is one segment: an encoded '/' ("..%2F..%2Fhealthz") never hides in it.
            if (segments.at(i).contains(QLatin1Char('/')))
                return false;
            if (parameters)
                parameters->insert(expected.mid(1, expected.size() - 2), segments.at(i));
        } else if (expected != segments.at(i)) {
            return false;
        }
    }
    return true;
}

QStringList Router::segmentsOf(const Request &request)
{
    // Requests built in memory (tests) may carry only the decoded path.
    const QString &raw = request.rawPath.isEmpty() ? request.path : request.rawPath;
    if (!raw.startsWith(QLatin1Char('/')))
        return {QString()}; // matches no route
    QStringList segments;
    for (const QStringView segment : QStringView(raw).mid(1).split(QLatin1Char('/')))
        segments.append(request.rawPath.isEmpty() ? segment.toString() : QUrl::fromPercentEncoding(segment.toLatin1())); // '+' is literal in a path
    if (segments.size() == 1 && segments.first().isEmpty())
        segments.clear(); // "/"
    return segments;
}

QByteArrayList Router::allowedMethods(const Request &request) const
{
    const QStringList segments = segmentsOf(request);
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
    const QStringList segments = segmentsOf(request);
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
        if (route.affinity == Affinity::OwnerThread && m_owner && QThread::currentThread() != m_owner->thread()) {
            QMetaObject::invokeMethod(
                m_owner, [handler = route.handler, routed = std::move(routed), respond = std::move(respond)]() mutable { handler(routed, std::move(respond)); },
                Qt::QueuedConnection);
            return;
        }
        route.handler(routed, std::move(respond));
        return;
    }
    if (pathKnown) {
        const QByteArrayList allowed = allowedMethods(request);
        Response response = m_refuse(Refusal::MethodNotAllowed, 405,
                                     QStringLiteral("%1 is not supported on %2; use %3")
                                         .arg(QString::fromLatin1(request.method.left(16)), request.path.left(200), QString::fromLatin1(allowed.join(", "))));
        response.setHeader("allow", allowed.join(", "));
        respond(std::move(response));
        return;
    }
    respond(noRoute(request));
}

Response Router::noRoute(const Request &request) const
{
    return m_refuse(Refusal::NoRoute, 404, QStringLiteral("no resource at %1").arg(request.path.left(200)));
}

} // namespace organizer::http
