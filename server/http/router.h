#pragma once

#include "httpmessage.h"

#include <QStringList>

namespace organizer::http {

// Maps "METHOD /path/{param}" to handlers. A path that exists with another method answers 405
// with an Allow header; a path that does not exist answers 404.
class Router
{
public:
    void add(const QByteArray &method, const QString &pattern, Handler handler);
    void setNotFoundHandler(Handler handler) { m_notFound = std::move(handler); }

    void dispatch(const Request &request, Responder respond) const;

    // Methods registered for the request's path (used for Allow and CORS preflight answers); empty when unknown.
    QByteArrayList allowedMethods(const Request &request) const;

    // The path's segments, split on '/' as sent and only then percent-decoded: "/api%2Fcontacts" is
    // one segment "api/contacts" and "/api//contacts" has an empty one, so neither reaches /api/contacts.
    static QStringList segmentsOf(const Request &request);

private:
    struct Route
    {
        QByteArray method;
        QStringList segments;
        Handler handler;
    };
    static bool match(const Route &route, const QStringList &segments, QHash<QString, QString> *parameters);

    QList<Route> m_routes;
    Handler m_notFound;
};

} // namespace organizer::http
