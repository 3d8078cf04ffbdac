#include "loopbackreceiver.h"

#include <QTcpSocket>
#include <QTimer>

namespace organizer::app {

namespace {

constexpr qsizetype kMaxRequest = 16 * 1024;

QByteArray answer(int status, const QByteArray &title, const QByteArray &text)
{
    const QByteArray body = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>" + title
        + "</title><body style=\"font-family:sans-serif;margin:3em\"><h1>" + title + "</h1><p>" + text + "</p></body></html>";
    return "HTTP/1.1 " + QByteArray::number(status) + (status == 200 ? " OK" : " Not Found")
        + "\r\nContent-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: " + QByteArray::number(body.size())
        + "\r\n\r\n" + body;
}

} // namespace

LoopbackReceiver::LoopbackReceiver(QObject *parent) : QObject(parent)
{
    connect(&m_server, &QTcpServer::newConnection, this, [this] {
        while (QTcpSocket *socket = m_server.nextPendingConnection())
            serve(socket);
    });
}

bool LoopbackReceiver::listen(QString *error)
{
    if (m_server.listen(QHostAddress::LocalHost, 0))
        return true;
    if (error)
        *error = m_server.errorString();
    return false;
}

QUrl LoopbackReceiver::redirectUri() const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1/callback").arg(m_server.serverPort()));
}

void LoopbackReceiver::serve(QTcpSocket *socket)
{
    connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    QTimer::singleShot(10'000, socket, [socket] { socket->abort(); }); // a silent client does not hold us
    connect(socket, &QTcpSocket::readyRead, this, [this, socket] {
        if (socket->bytesAvailable() > kMaxRequest) {
            socket->abort();
            return;
        }
        if (!socket->canReadLine())
            return;
        const QList<QByteArray> requestLine = socket->readLine().trimmed().split(' ');
        const QUrl target(QString::fromLatin1(requestLine.value(1)));
        if (requestLine.value(0) != "GET" || target.path() != QLatin1String("/callback") || m_received) {
            socket->write(answer(404, "Not found", "This address only receives one login answer for Organizer."));
        } else {
            m_received = true;
            QUrl full = redirectUri();
            full.setQuery(target.query(QUrl::FullyEncoded), QUrl::StrictMode);
            socket->write(answer(200, "Organizer", "The login answer reached Organizer. You can close this tab and return to the app."));
            Q_EMIT redirectReceived(full);
        }
        socket->disconnectFromHost();
    });
}

} // namespace organizer::app
