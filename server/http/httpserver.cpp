#include "httpserver.h"

#include <QElapsedTimer>
#include <QHttpServerRequest>
#include <QJsonObject>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>

namespace organizer::http {

Q_LOGGING_CATEGORY(lcAccess, "organizer.server.access")

namespace {

QByteArray methodName(QHttpServerRequest::Method method)
{
    switch (method) {
    case QHttpServerRequest::Method::Get: return "GET";
    case QHttpServerRequest::Method::Put: return "PUT";
    case QHttpServerRequest::Method::Delete: return "DELETE";
    case QHttpServerRequest::Method::Post: return "POST";
    case QHttpServerRequest::Method::Head: return "HEAD";
    case QHttpServerRequest::Method::Options: return "OPTIONS";
    case QHttpServerRequest::Method::Patch: return "PATCH";
    case QHttpServerRequest::Method::Connect: return "CONNECT";
    case QHttpServerRequest::Method::Trace: return "TRACE";
    default: return "UNKNOWN";
    }
}

bool wantsClose(const Request &request)
{
    const QByteArray connection = request.header("connection").toLower();
    return connection.split(',').contains("close") || connection.trimmed() == "close";
}

} // namespace

Server::Server(Handler handler, QObject *parent) : QAbstractHttpServer(parent), m_handler(std::move(handler)) {}

quint16 Server::listenOn(const QHostAddress &address, quint16 port, QString *error)
{
    auto *tcpServer = new QTcpServer(this);
    if (!tcpServer->listen(address, port)) {
        if (error)
            *error = QStringLiteral("cannot listen on %1:%2: %3").arg(address.toString()).arg(port).arg(tcpServer->errorString());
        delete tcpServer;
        return 0;
    }
    bind(tcpServer);
    return tcpServer->serverPort();
}

QByteArray serializeResponse(const Response &response, bool includeBody, bool closeConnection)
{
    QByteArray out;
    out.reserve(256 + response.body.size());
    out += "HTTP/1.1 " + QByteArray::number(response.status) + ' ' + reasonPhrase(response.status) + "\r\n";
    for (const auto &[name, value] : response.headers) {
        // A header value can never end the header block: CR and LF are stripped (no response splitting).
        QByteArray safe = value;
        safe.replace('\r', "").replace('\n', "");
        out += name + ": " + safe + "\r\n";
    }
    out += "content-length: " + QByteArray::number(response.body.size()) + "\r\n";
    if (closeConnection)
        out += "connection: close\r\n";
    out += "\r\n";
    if (includeBody)
        out += response.body;
    return out;
}

bool Server::handleRequest(const QHttpServerRequest &qtRequest, QTcpSocket *socket)
{
    Request request;
    request.method = methodName(qtRequest.method());
    request.path = qtRequest.url().path(QUrl::FullyDecoded);
    request.query = qtRequest.query();
    for (const auto &[name, value] : qtRequest.headers())
        request.headers.append(qMakePair(name.toLower(), value));
    request.body = qtRequest.body();
    request.peer = qtRequest.remoteAddress();

    QElapsedTimer timer;
    timer.start();
    const bool close = wantsClose(request);
    const bool includeBody = request.method != "HEAD";
    // The path is logged without its query: nothing that could carry a credential reaches the log.
    Responder respond = [socket = QPointer<QTcpSocket>(socket), timer, close, includeBody, method = request.method,
                         path = request.path](Response response) {
        qCInfo(lcAccess).noquote() << method << path.left(200) << response.status << QStringLiteral("%1ms").arg(timer.nsecsElapsed() / 1e6, 0, 'f', 2);
        if (!socket || socket->state() != QAbstractSocket::ConnectedState)
            return; // the client went away while we were working
        socket->write(serializeResponse(response, includeBody, close));
        if (close)
            socket->disconnectFromHost();
    };

    if (request.body.size() > m_maxBodySize) {
        respond(Response::json(413, QJsonObject{
            {QStringLiteral("error"), QStringLiteral("invalid_request")},
            {QStringLiteral("error_description"),
             QStringLiteral("the request body is %1 bytes; at most %2 are accepted").arg(request.body.size()).arg(m_maxBodySize)},
        }));
        return true;
    }
    m_handler(request, std::move(respond));
    return true;
}

void Server::missingHandler(const QHttpServerRequest &request, QTcpSocket *socket)
{
    // Unreachable: handleRequest() accepts every request. Kept because the base class requires it.
    handleRequest(request, socket);
}

} // namespace organizer::http
