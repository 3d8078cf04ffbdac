#pragma once

#include "httpmessage.h"

#include <QAbstractHttpServer>
#include <QElapsedTimer>
#include <QHash>
#include <QLoggingCategory>
#include <QTimer>

namespace organizer::http {

Q_DECLARE_LOGGING_CATEGORY(lcAccess)

// QHttpServer 6.4 never closes an idle connection, reads headers without bound and ignores slow
// clients; these limits are ours.
struct ConnectionLimits
{
    int maxConnections = 512;       // beyond: 503 and close
    int idleTimeoutMs = 30'000;     // a keep-alive connection with no request in progress
    int requestTimeoutMs = 10'000;  // from a request's first byte to its end (slowloris)
    qsizetype maxHeaderBytes = 32 * 1024; // request line + headers (big Auth0 tokens fit): beyond, 431
};

// The one place that touches QHttpServer: it turns Qt's request into our Request value, hands it to a
// Handler, and writes the Response to the socket itself. Keeping the adapter this thin is what lets the
// rest survive QHttpServer's incompatible API change in Qt 6.8.
class Server : public QAbstractHttpServer
{
    Q_OBJECT

public:
    explicit Server(Handler handler, QObject *parent = nullptr);

    // Bodies larger than this are answered with 413 before any handler sees them.
    void setMaxBodySize(qsizetype bytes) { m_maxBodySize = bytes; }
    qsizetype maxBodySize() const { return m_maxBodySize; }

    void setLimits(const ConnectionLimits &limits) { m_limits = limits; }
    const ConnectionLimits &limits() const { return m_limits; }
    int openConnections() const { return int(m_connections.size()); }

    // Listens on exactly `address` (never all interfaces by accident); port 0 picks a free port.
    // Returns the bound port, or 0 with `error` set.
    quint16 listenOn(const QHostAddress &address, quint16 port, QString *error);

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    friend class GuardedTcpServer;
    struct Connection
    {
        qint64 lastActivityMs = 0;
        qint64 requestStartedMs = -1; // -1: between requests
        qsizetype requestBytes = 0;
        bool headersComplete = false;
        QByteArray head; // the request's first bytes, up to the end of its headers
        qint64 availableAfterParse = 0; // left in the socket after QHttpServer's last read
    };
    void adopt(QTcpSocket *socket);
    void onBytes(QTcpSocket *socket);
    void sweep();
    void refuse(QTcpSocket *socket, int status, const QString &description);

    Handler m_handler;
    qsizetype m_maxBodySize = 64 * 1024;
    ConnectionLimits m_limits;
    QHash<QTcpSocket *, Connection> m_connections;
    QElapsedTimer m_clock;
    QTimer m_sweeper;
};

// Serializes a response as HTTP/1.1 bytes (status line, headers, Content-Length, body).
QByteArray serializeResponse(const Response &response, bool includeBody, bool closeConnection);

} // namespace organizer::http
