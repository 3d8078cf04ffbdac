#pragma once

// A deliberately small HTTP/1.1 client over a raw socket, so tests can send exactly the bytes they
// mean (duplicate headers, odd schemes, oversized bodies) and see exactly what came back.

#include <QByteArray>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>

namespace organizer::test {

struct HttpReply
{
    int status = 0;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    QString error; // transport failure, empty on success

    QByteArray header(QByteArrayView name) const;
    qsizetype headerCount(QByteArrayView name) const;
    QByteArray json(const char *member) const; // a top-level string member of a JSON body
};

// A reply's JSON body as an object or an array (empty when it is not one), and a body to send.
QJsonObject objectOf(const HttpReply &reply);
QJsonArray arrayOf(const HttpReply &reply);
QByteArray compactJson(const QJsonObject &object);

struct HttpCall
{
    QByteArray method = "GET";
    QByteArray path = "/";
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
};

// Sends one request with "Connection: close" and reads the reply; waits at most `timeoutMs`.
HttpReply sendHttp(quint16 port, const HttpCall &call, int timeoutMs = 10000);
HttpReply sendRaw(quint16 port, const QByteArray &bytes, int timeoutMs = 10000);
// The same from another local address (e.g. 127.0.0.7), as a second client on this machine would be seen.
HttpReply sendHttpFrom(const QHostAddress &from, quint16 port, const HttpCall &call, int timeoutMs = 10000);
HttpReply sendRawFrom(const QHostAddress &from, quint16 port, const QByteArray &bytes, int timeoutMs = 10000);

QByteArray bearer(const QByteArray &token);

// Sends `bytes` on a fresh connection and reads until the server closes it (or `timeoutMs` passes).
struct RawExchange
{
    QByteArray received;
    bool closedByServer = false;
    QString error;
    // The status codes of the responses in `received`, in order (bodies skipped by Content-Length;
    // interim 1xx responses included).
    QList<int> statuses() const;
};
RawExchange exchangeRaw(quint16 port, const QByteArray &bytes, int timeoutMs = 10000);

} // namespace organizer::test
