#pragma once

#include "httpmessage.h"

#include <QByteArray>
#include <QByteArrayView>

namespace organizer::http {

struct ParserLimits
{
    qsizetype maxHeaderBytes = 32 * 1024; // request line and header fields together (big Auth0 tokens fit)
    qsizetype maxBodyBytes = 64 * 1024; // decoded body bytes, whatever the framing
    int maxHeaderFields = 100;
    qsizetype maxChunkLineBytes = 1024; // chunk size with its extensions, or one trailer field
};

// One HTTP/1.x request as it came off the wire, before any percent-decoding.
struct ParsedRequest
{
    QByteArray method;
    QByteArray target; // origin-form "/path?query"; an absolute-form target is reduced to it
    int minorVersion = 1; // HTTP/1.<minor>
    HeaderList headers; // names lower-cased, values without surrounding whitespace
    QByteArray body; // de-chunked
    bool keepAlive = true;
    bool expectsContinue = false;
};

struct ParseFailure
{
    int status = 400; // 400, 413, 414, 417, 431, 501 or 505
    QString description;
};

// A strict, incremental HTTP/1.1 request parser (RFC 9112). Strict where leniency lets two parsers
// disagree about where a request ends: CRLF only, no obs-fold, no whitespace before a colon, one Host
// (HTTP/1.1), one Content-Length of plain digits, Transfer-Encoding only as a final "chunked" and never
// beside Content-Length or in HTTP/1.0. After a failure the connection must be closed: nothing after
// the bad bytes can be trusted to start a request.
class RequestParser
{
public:
    enum class Status {
        NeedMore, // every byte given was used or is kept in view; call again with more
        Complete, // request() holds a whole request; call reset() before the next one
        Failed, // failure() says why
    };

    explicit RequestParser(ParserLimits limits = {}) : m_limits(limits) {}

    // Parses from the start of `input`, which holds the bytes not consumed by earlier calls followed by
    // any new ones. Sets `consumed` to how many leading bytes the caller may drop.
    Status parse(QByteArrayView input, qsizetype *consumed);
    void reset();

    // True once a request's head was parsed and its body has not fully arrived (for 100-continue).
    bool awaitingBody() const
    {
        return m_state == State::FixedBody || m_state == State::ChunkSize || m_state == State::ChunkData || m_state == State::ChunkDataEnd
            || m_state == State::Trailer;
    }
    // True while no byte of a request has been seen (between requests).
    bool idle() const { return m_state == State::Head && m_scanned == 0; }

    const ParsedRequest &request() const { return m_request; }
    ParsedRequest takeRequest() { return std::move(m_request); }
    const ParseFailure &failure() const { return m_failure; }
    void setLimits(const ParserLimits &limits) { m_limits = limits; }

private:
    enum class State { Head, FixedBody, ChunkSize, ChunkData, ChunkDataEnd, Trailer, Done, Error };

    Status fail(int status, QString description);
    Status checkRequestLineLength(QByteArrayView lineSoFar, qsizetype alreadySearched);
    Status parseHead(QByteArrayView head);
    Status parseRequestLine(QByteArrayView line);
    Status applyFraming();
    Status parseChunkSize(QByteArrayView line);
    Status parseTrailerLine(QByteArrayView line);

    ParserLimits m_limits;
    State m_state = State::Head;
    ParsedRequest m_request;
    ParseFailure m_failure;
    qsizetype m_scanned = 0; // head bytes already searched for the blank line
    qsizetype m_lineStart = 0; // where the current head line starts
    qsizetype m_targetStart = -1; // where the request target starts, once the request line's first space is seen
    qsizetype m_targetEnd = -1; // where it ends, once the space after it is seen
    qsizetype m_remaining = 0; // body or chunk bytes still to come
    qsizetype m_trailerBytes = 0;
    int m_trailerFields = 0;
};

} // namespace organizer::http
