#pragma once

#include "httpmessage.h"

#include <QPointer>
#include <QStringList>

namespace organizer::http {

// Maps "METHOD /path/{param}" to handlers. A path that exists with another method answers 405
// with an Allow header; a path that does not exist answers 404.
class Router
{
public:
    // Where a route's handler runs. The HTTP server calls dispatch() on its worker threads; a handler
    // that keeps state without locks (the authorization server's sessions, transactions…) runs on the
    // owner's thread, one that is safe to call concurrently runs on whichever worker read the request.
    enum class Affinity { OwnerThread, AnyThread };

    void add(const QByteArray &method, const QString &pattern, Handler handler, Affinity affinity = Affinity::OwnerThread);
    // The object whose thread runs OwnerThread handlers (the one that built the routes).
    void setOwner(QObject *owner) { m_owner = owner; }
    // How the router words its own 404 and 405 (see Refusal); plain text until one is set.
    void setRefusalWriter(RefusalWriter writer) { m_refuse = std::move(writer); }
    // The answer for a path no route has (also the CORS preflight's, which does not dispatch).
    Response noRoute(const Request &request) const;

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
        Affinity affinity = Affinity::OwnerThread;
    };
    static bool match(const Route &route, const QStringList &segments, QHash<QString, QString> *parameters);

    QList<Route> m_routes;
    RefusalWriter m_refuse = plainRefusal;
    QObject *m_owner = nullptr;
};

} // namespace organizer::http
