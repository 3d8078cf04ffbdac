#pragma once

#include "httpmessage.h"

#include <QAbstractHttpServer>
#include <QLoggingCategory>

namespace organizer::http {

Q_DECLARE_LOGGING_CATEGORY(lcAccess)

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

    // Listens on exactly `address` (never all interfaces by accident); port 0 picks a free port.
    // Returns the bound port, or 0 with `error` set.
    quint16 listenOn(const QHostAddress &address, quint16 port, QString *error);

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    Handler m_handler;
    qsizetype m_maxBodySize = 64 * 1024;
};

// Serializes a response as HTTP/1.1 bytes (status line, headers, Content-Length, body).
QByteArray serializeResponse(const Response &response, bool includeBody, bool closeConnection);

} // namespace organizer::http
