#include "httpserver.h"

#include <QElapsedTimer>
#include <QHttpServerRequest>
#include <QJsonObject>
#include <QtGlobal>
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

// Hands every accepted socket to the Server before QAbstractHttpServer sees it, so our slots run first.
class GuardedTcpServer : public QTcpServer
{
public:
    GuardedTcpServer(Server *owner) : QTcpServer(owner), m_owner(owner) {}

protected:
    void incomingConnection(qintptr descriptor) override
    {
        auto *socket = new QTcpSocket(this);
        if (!socket->setSocketDescriptor(descriptor)) {
            delete socket;
            return;
        }
        if (m_owner->openConnections() >= m_owner->limits().maxConnections) {
            socket->write(serializeResponse(Response::error(503, QStringLiteral("temporarily_unavailable"),
                                                            QStringLiteral("too many open connections; try again shortly")),
                                            true, true));
            socket->disconnectFromHost();
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            return;
        }
        m_owner->adopt(socket);
        addPendingConnection(socket);
    }

private:
    Server *m_owner;
};

Server::Server(Handler handler, QObject *parent) : QAbstractHttpServer(parent), m_handler(std::move(handler))
{
    m_clock.start();
    m_sweeper.setInterval(250);
    connect(&m_sweeper, &QTimer::timeout, this, &Server::sweep);
    m_sweeper.start();
}

void Server::adopt(QTcpSocket *socket)
{
    m_connections.insert(socket, Connection{m_clock.elapsed(), -1, 0, false, {}, 0});
    connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onBytes(socket); });
    // QHttpServer connects its own reader when it takes the socket; a slot connected after that one
    // sees what its read left (pipelined requests), so only bytes that really arrived are counted.
    QMetaObject::invokeMethod(this, [this, socket = QPointer<QTcpSocket>(socket)] {
        if (!socket)
            return;
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] {
            if (auto it = m_connections.find(socket); it != m_connections.end())
                it->availableAfterParse = socket->bytesAvailable();
        });
    }, Qt::QueuedConnection);
    connect(socket, &QObject::destroyed, this, [this, socket] { m_connections.remove(socket); });
}

void Server::onBytes(QTcpSocket *socket)
{
    auto it = m_connections.find(socket);
    if (it == m_connections.end())
        return;
    // Runs before QHttpServer reads: what is available beyond what its last read left has just arrived.
    Connection &connection = it.value();
    const qint64 available = socket->bytesAvailable();
    const qint64 arrived = std::max<qint64>(0, available - connection.availableAfterParse);
    connection.availableAfterParse = available;
    if (arrived == 0)
        return; // QHttpServer re-announcing pipelined data it has not parsed yet
    connection.lastActivityMs = m_clock.elapsed();
    if (connection.requestStartedMs < 0)
        connection.requestStartedMs = connection.lastActivityMs;
    connection.requestBytes += arrived;
    if (!connection.headersComplete) {
        // The new bytes sit at the end of the socket's buffer; the headers end at the first blank line.
        connection.head += socket->peek(available).mid(available - arrived, m_limits.maxHeaderBytes + 4 - connection.head.size());
        const qsizetype end = connection.head.indexOf("\r\n\r\n");
        if ((end < 0 ? connection.head.size() : end) > m_limits.maxHeaderBytes)
            return refuse(socket, 431, QStringLiteral("the request headers exceed %1 bytes").arg(m_limits.maxHeaderBytes));
        if (end >= 0) {
            connection.headersComplete = true;
            // Refuse an announced oversized body before receiving it.
            for (const QByteArray &line : connection.head.left(end).split('\n')) {
                if (line.trimmed().toLower().startsWith("content-length:") && line.mid(15).trimmed().toLongLong() > m_maxBodySize)
                    return refuse(socket, 413, QStringLiteral("the request body is larger than %1 bytes").arg(m_maxBodySize));
            }
        }
    }
    // Unparsed bytes are buffered in memory: bound them (pipelined requests included).
    if (available > 16 * (m_limits.maxHeaderBytes + m_maxBodySize))
        return refuse(socket, 413, QStringLiteral("too much unprocessed request data"));
}

void Server::refuse(QTcpSocket *socket, int status, const QString &description)
{
    qCInfo(lcAccess).noquote() << "refused connection from" << socket->peerAddress().toString() << status << description;
    m_connections.remove(socket);
    socket->readAll(); // nothing of this request reaches the parser
    socket->write(serializeResponse(Response::error(status, QStringLiteral("invalid_request"), description), true, true));
    socket->disconnectFromHost();
}

void Server::sweep()
{
    const qint64 now = m_clock.elapsed();
    QList<QPair<QTcpSocket *, int>> expired;
    for (auto it = m_connections.cbegin(); it != m_connections.cend(); ++it) {
        const Connection &c = it.value();
        if (c.requestStartedMs >= 0 && now - c.requestStartedMs > m_limits.requestTimeoutMs)
            expired.append({it.key(), 408});
        else if (c.requestStartedMs < 0 && now - c.lastActivityMs > m_limits.idleTimeoutMs)
            expired.append({it.key(), 0});
    }
    for (const auto &[socket, status] : expired) {
        if (status == 408) {
            refuse(socket, 408, QStringLiteral("the request took longer than %1 ms to arrive").arg(m_limits.requestTimeoutMs));
        } else {
            m_connections.remove(socket);
            socket->disconnectFromHost(); // idle keep-alive connection
        }
    }
}

quint16 Server::listenOn(const QHostAddress &address, quint16 port, QString *error)
{
    auto *tcpServer = new GuardedTcpServer(this);
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
    // Every answer, error or not: browsers must never sniff a JSON or text body into HTML.
    out += "x-content-type-options: nosniff\r\n";
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
    request.rawPath = qtRequest.url().path(QUrl::FullyEncoded);
    request.query = FormData::parse(qtRequest.url().query(QUrl::FullyEncoded).toLatin1());
    for (const auto &[name, value] : qtRequest.headers())
        request.headers.append(qMakePair(name.toLower(), value));
    request.body = qtRequest.body();
    request.peer = qtRequest.remoteAddress();

    if (auto it = m_connections.find(socket); it != m_connections.end()) {
        // A whole request arrived: the next bytes start the next one.
        it->requestStartedMs = -1;
        it->requestBytes = 0;
        it->headersComplete = false;
        it->head.clear();
        it->lastActivityMs = m_clock.elapsed();
    }
    QElapsedTimer timer;
    timer.start();
    const bool close = wantsClose(request);
    const bool includeBody = request.method != "HEAD";
    // The path is logged without its query: nothing that could carry a credential reaches the log.
    Responder respond = [self = QPointer<Server>(this), socket = QPointer<QTcpSocket>(socket), timer, close, includeBody, method = request.method,
                         path = request.path](Response response) {
        qCInfo(lcAccess).noquote() << method << path.left(200) << response.status << QStringLiteral("%1ms").arg(timer.nsecsElapsed() / 1e6, 0, 'f', 2);
        if (!socket || socket->state() != QAbstractSocket::ConnectedState)
            return; // the client went away while we were working
        socket->write(serializeResponse(response, includeBody, close));
        if (self) {
            if (auto it = self->m_connections.find(socket); it != self->m_connections.end())
                it->lastActivityMs = self->m_clock.elapsed(); // idle time counts from the answer
        }
        if (close)
            socket->disconnectFromHost();
    };

    if (request.body.size() > m_maxBodySize) {
        respond(Response::error(413, QStringLiteral("invalid_request"),
                                QStringLiteral("the request body is %1 bytes; at most %2 are accepted").arg(request.body.size()).arg(m_maxBodySize)));
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
