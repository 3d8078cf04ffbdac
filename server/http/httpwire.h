#pragma once

// The wire format, both ways: the Request a handler sees, made from what the parser read, and the
// bytes of an answer (status line, headers, Content-Length, body) framed for the connection it goes out
// on (HEAD, keep-alive, close). Apart from the connection code, so every byte the server writes is
// decided in this one file, and can be checked without a socket.

#include "httpmessage.h"
#include "requestparser.h"

#include <QByteArray>
#include <QHostAddress>

namespace organizer::http {

// How one answer is framed, decided from the request it answers before its handler runs.
struct SerializeOptions
{
    bool includeBody = true; // false for HEAD: Content-Length stays, the body goes
    bool closeConnection = false;
    bool keepAliveHttp10 = false; // an HTTP/1.0 client that asked to keep the connection
};

// The framing of the answer to `request`. While the server shuts down (`closing`), every answer ends
// its connection.
SerializeOptions framingFor(const ParsedRequest &request, bool closing);

// An answer to no request (bad framing, a timeout, a refusal at the door): the body is sent, then the
// connection closes.
inline constexpr SerializeOptions kFinalAnswer{true, true, false};

// Serializes a response as HTTP/1.1 bytes (status line, headers, Content-Length, body).
QByteArray serializeResponse(const Response &response, const SerializeOptions &options);

// The interim answer to "Expect: 100-continue": the head was read, the client may send the body.
QByteArray continueResponse();

// The status line's reason phrase (RFC 9110 §15).
QByteArray reasonPhrase(int status);

// The Request handlers see, from what the parser read.
Request requestFrom(ParsedRequest parsed, const QHostAddress &peer);

} // namespace organizer::http
