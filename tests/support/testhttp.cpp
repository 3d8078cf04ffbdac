#include "testhttp.h"

#include <QDeadlineTimer>
#include <QHostAddress>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>

namespace organizer::test {

QByteArray HttpReply::header(QByteArrayView name) const
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

qsizetype HttpReply::headerCount(QByteArrayView name) const
{
    qsizetype count = 0;
    for (const auto &entry : headers)
        count += entry.first.compare(name, Qt::CaseInsensitive) == 0 ? 1 : 0;
    return count;
}

QByteArray HttpReply::json(const char *member) const
{
    return QJsonDocument::fromJson(body).object().value(QLatin1String(member)).toString().toUtf8();
}

QJsonObject objectOf(const HttpReply &reply)
{
    return QJsonDocument::fromJson(reply.body).object();
}

QJsonArray arrayOf(const HttpReply &reply)
{
    return QJsonDocument::fromJson(reply.body).array();
}

QByteArray compactJson(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QByteArray bearer(const QByteArray &token)
{
    return "Bearer " + token;
}

HttpReply sendRaw(quint16 port, const QByteArray &bytes, int timeoutMs)
{
    return sendRawFrom(QHostAddress(), port, bytes, timeoutMs);
}

HttpReply sendRawFrom(const QHostAddress &from, quint16 port, const QByteArray &bytes, int timeoutMs)
{
    HttpReply reply;
    QTcpSocket socket;
    if (!from.isNull() && !socket.bind(from)) {
        reply.error = QStringLiteral("cannot send from %1: %2").arg(from.toString(), socket.errorString());
        return reply;
    }
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(timeoutMs)) {
        reply.error = socket.errorString();
        return reply;
    }
    socket.write(bytes);
    QByteArray received;
    QDeadlineTimer deadline(timeoutMs);
    qint64 expectedTotal = -1;
    while (!deadline.hasExpired()) {
        if (socket.bytesAvailable() == 0 && !socket.waitForReadyRead(int(std::max<qint64>(1, deadline.remainingTime()))))
            break;
        received += socket.readAll();
        const qsizetype headerEnd = received.indexOf("\r\n\r\n");
        if (headerEnd >= 0 && expectedTotal < 0) {
            for (const QByteArray &line : received.left(headerEnd).split('\n')) {
                if (line.toLower().startsWith("content-length:"))
                    expectedTotal = headerEnd + 4 + line.mid(15).trimmed().toLongLong();
            }
        }
        if (expectedTotal >= 0 && received.size() >= expectedTotal)
            break;
    }
    const qsizetype headerEnd = received.indexOf("\r\n\r\n");
    if (headerEnd < 0) {
        reply.error = QStringLiteral("no complete response (%1 bytes received)").arg(received.size());
        return reply;
    }
    const QList<QByteArray> lines = received.left(headerEnd).split('\n');
    const QList<QByteArray> statusLine = lines.first().trimmed().split(' ');
    reply.status = statusLine.size() > 1 ? statusLine.at(1).toInt() : 0;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines.at(i).trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon > 0)
            reply.headers.append(qMakePair(line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed()));
    }
    reply.body = received.mid(headerEnd + 4);
    return reply;
}

HttpReply sendHttp(quint16 port, const HttpCall &call, int timeoutMs)
{
    return sendHttpFrom(QHostAddress(), port, call, timeoutMs);
}

HttpReply sendHttpFrom(const QHostAddress &from, quint16 port, const HttpCall &call, int timeoutMs)
{
    // Connected to 127.0.0.1, named as browsers name the server: by its canonical host (canonicalhost.h).
    QByteArray bytes = call.method + ' ' + call.path + " HTTP/1.1\r\nHost: localhost:" + QByteArray::number(port) + "\r\nConnection: close\r\n";
    for (const auto &[name, value] : call.headers)
        bytes += name + ": " + value + "\r\n";
    if (!call.body.isEmpty() || call.method == "POST" || call.method == "PUT")
        bytes += "Content-Length: " + QByteArray::number(call.body.size()) + "\r\n";
    bytes += "\r\n" + call.body;
    return sendRawFrom(from, port, bytes, timeoutMs);
}

RawExchange exchangeRaw(quint16 port, const QByteArray &bytes, int timeoutMs)
{
    RawExchange exchange;
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(timeoutMs)) {
        exchange.error = socket.errorString();
        return exchange;
    }
    socket.write(bytes);
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        if (socket.state() != QAbstractSocket::ConnectedState) {
            exchange.closedByServer = true;
            break;
        }
        socket.waitForReadyRead(int(std::min<qint64>(50, std::max<qint64>(1, deadline.remainingTime()))));
        exchange.received += socket.readAll();
    }
    exchange.received += socket.readAll();
    return exchange;
}

QList<int> RawExchange::statuses() const
{
    QList<int> found;
    qsizetype at = 0;
    while (at < received.size()) {
        const qsizetype headEnd = received.indexOf("\r\n\r\n", at);
        if (headEnd < 0 || !received.mid(at, 9).startsWith("HTTP/1.")) // not at a response: stop
            break;
        const QByteArray head = received.mid(at, headEnd - at);
        found.append(head.mid(9, 3).toInt());
        qint64 length = 0;
        for (const QByteArray &line : head.split('\n')) {
            if (line.toLower().startsWith("content-length:"))
                length = line.mid(15).trimmed().toLongLong();
        }
        at = headEnd + 4 + (found.last() >= 200 ? length : 0);
    }
    return found;
}

} // namespace organizer::test
