#include "httpwire.h"

namespace organizer::http {

SerializeOptions framingFor(const ParsedRequest &request, bool closing)
{
    SerializeOptions framing;
    framing.includeBody = request.method != "HEAD";
    framing.closeConnection = !request.keepAlive || closing;
    framing.keepAliveHttp10 = request.keepAlive && request.minorVersion == 0;
    return framing;
}

QByteArray serializeResponse(const Response &response, const SerializeOptions &options)
{
    const QByteArray reason = reasonPhrase(response.status);
    qsizetype size = 96 + reason.size() + (options.includeBody ? response.body.size() : 0);
    for (const auto &[name, value] : response.headers)
        size += name.size() + value.size() + 4;
    QByteArray out;
    out.reserve(size);
    out += "HTTP/1.1 ";
    out += QByteArray::number(response.status);
    out += ' ';
    out += reason;
    out += "\r\n";
    for (const auto &[name, value] : response.headers) {
        out += name;
        out += ": ";
        // A header value can never end the header block: CR and LF are dropped (no response splitting).
        if (value.contains('\r') || value.contains('\n')) {
            QByteArray safe = value;
            out += safe.replace('\r', "").replace('\n', "");
        } else {
            out += value;
        }
        out += "\r\n";
    }
    // Every answer, error or not: browsers must never sniff a JSON or text body into HTML.
    out += "x-content-type-options: nosniff\r\ncontent-length: ";
    out += QByteArray::number(response.body.size());
    out += "\r\n";
    if (options.closeConnection)
        out += "connection: close\r\n";
    else if (options.keepAliveHttp10)
        out += "connection: keep-alive\r\n";
    out += "\r\n";
    if (options.includeBody)
        out += response.body;
    return out;
}

QByteArray continueResponse()
{
    return QByteArrayLiteral("HTTP/1.1 100 Continue\r\n\r\n");
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Content Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Status";
    }
}

Request requestFrom(ParsedRequest parsed, const QHostAddress &peer)
{
    Request request;
    request.method = std::move(parsed.method);
    const qsizetype query = parsed.target.indexOf('?');
    const QByteArray rawPath = query < 0 ? parsed.target : parsed.target.left(query);
    request.rawPath = QString::fromLatin1(rawPath); // the parser let only printable ASCII through
    request.path = rawPath.contains('%') ? QString::fromUtf8(QByteArray::fromPercentEncoding(rawPath)) : request.rawPath;
    if (query >= 0)
        request.query = FormData::parse(QByteArrayView(parsed.target).sliced(query + 1).toByteArray());
    request.headers = std::move(parsed.headers);
    request.body = std::move(parsed.body);
    request.peer = peer;
    return request;
}

} // namespace organizer::http
