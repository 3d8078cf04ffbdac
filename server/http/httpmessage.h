#pragma once

#include <QByteArray>
#include <QHash>
#include <QHostAddress>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>
#include "formencoding.h"

#include <functional>

namespace organizer::http {

using HeaderList = QList<QPair<QByteArray, QByteArray>>;

// A request as handlers see it: a plain value with no socket behind it, so every handler can be
// called and tested directly. The server builds it from the parsed bytes (httpwire.h).
struct Request
{
    QByteArray method; // upper case, as sent
    QString path; // percent-decoded path, no query (for messages and logs)
    QString rawPath; // the path as sent, still percent-encoded: routing splits it before decoding
    FormData query; // application/x-www-form-urlencoded: '+' is a space
    HeaderList headers; // names lower-cased
    QByteArray body;
    QHostAddress peer;
    QHash<QString, QString> pathParameters; // filled by the router

    // First value of a header (case-insensitive name), empty if absent.
    QByteArray header(QByteArrayView name) const;
    qsizetype headerCount(QByteArrayView name) const;
};

struct Response
{
    int status = 200;
    HeaderList headers;
    QByteArray body;

    static Response json(int status, const QJsonObject &object);
    static Response json(int status, const QJsonDocument &document);
    static Response noContent();

    // Replaces any header of the same name (case-insensitive).
    void setHeader(const QByteArray &name, const QByteArray &value);
    QByteArray header(QByteArrayView name) const;
};

// Called exactly once per request, now or later (e.g. after fetching an issuer's keys).
using Responder = std::function<void(Response)>;
using Handler = std::function<void(const Request &, Responder)>;

// A request the HTTP layer answers itself, before a handler or instead of one. The layer knows why, not
// how to word it: the application gives the wording once (organizer-server answers in the OAuth error
// shape, oauth::refusalResponse), so this layer has no error vocabulary of its own. Without one, the
// answer is the description as plain text.
enum class Refusal {
    BadRequest, // one it cannot take: unreadable, too large or too slow (400, 408, 413, 414, 431, 501, 505)
    Unavailable, // no room for the connection (503)
    NoRoute, // nothing at the path (404)
    MethodNotAllowed, // the path takes other methods (405; the router adds Allow)
};
using RefusalWriter = std::function<Response(Refusal refusal, int status, const QString &description)>;
Response plainRefusal(Refusal refusal, int status, const QString &description);

// What one client is counted as wherever the server budgets per client: an IPv4 address ("192.0.2.7",
// also when it arrives IPv4-mapped), or an IPv6 /64 ("2001:db8:1:2::/64"), since one host usually gets a
// whole /64 and could otherwise take a fresh address for every request.
QString addressGroup(const QHostAddress &address);

// RFC 6749 §5.2 / RFC 6750 §3 allow only %x20-21 / %x23-5B / %x5D-7E in error_description, in JSON
// bodies, WWW-Authenticate challenges and redirect parameters alike. Every description a server
// writes passes through here: '"' becomes '\'', '\\' becomes '/', anything else outside the set
// (control characters, DEL, non-ASCII) becomes '?'. Strict clients reject anything else.
QString errorDescriptionText(QStringView text);
bool isErrorDescriptionText(QStringView text);

} // namespace organizer::http
