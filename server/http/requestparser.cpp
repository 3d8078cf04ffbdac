#include "requestparser.h"

#include "bytetable.h"

#include <array>
#include <cctype>
#include <cstring>

namespace organizer::http {

namespace {

// RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
constexpr std::array<bool, 256> kToken = byteTable({true, true, "!#$%&'*+-.^_`|~"});

// field-value bytes (RFC 9110 §5.5): HTAB, SP, VCHAR and obs-text; never CR, LF, NUL or another control.
constexpr std::array<bool, 256> makeFieldValueTable()
{
    std::array<bool, 256> table{};
    table['\t'] = true;
    for (int c = 0x20; c <= 0xff; ++c)
        table[c] = c != 0x7f;
    return table;
}
constexpr std::array<bool, 256> kFieldValue = makeFieldValueTable();

// Host = uri-host [ ":" port ]: reg-name, IPv4 or an IP-literal in brackets (RFC 3986 §3.2.2).
constexpr std::array<bool, 256> kHost = byteTable({true, true, "-._~!$&'()*+,;=:[]%"});

// True when every byte is allowed in a field value. Eight bytes at a time: a word with no byte below
// 0x20, none equal to 0x7f and none at or above 0x80 is plain visible ASCII and needs no table (long
// values such as a 650-byte bearer token are nearly all such words).
bool isFieldValue(QByteArrayView value)
{
    constexpr quint64 ones = 0x0101010101010101ULL;
    constexpr quint64 highs = 0x8080808080808080ULL;
    qsizetype i = 0;
    for (; i + 8 <= value.size(); i += 8) {
        quint64 word;
        std::memcpy(&word, value.data() + i, 8);
        const quint64 below20 = (word - 0x20 * ones) & ~word & highs; // a byte < 0x20 (or >= 0x80)
        const quint64 del = word ^ (0x7f * ones);
        const quint64 isDel = (del - ones) & ~del & highs; // a byte == 0x7f
        if ((below20 | isDel | (word & highs)) != 0) {
            for (qsizetype j = i; j < i + 8; ++j) {
                if (!kFieldValue[static_cast<unsigned char>(value[j])])
                    return false;
            }
        }
    }
    for (; i < value.size(); ++i) {
        if (!kFieldValue[static_cast<unsigned char>(value[i])])
            return false;
    }
    return true;
}

bool isToken(QByteArrayView text)
{
    if (text.isEmpty())
        return false;
    for (const char c : text) {
        if (!kToken[static_cast<unsigned char>(c)])
            return false;
    }
    return true;
}

QByteArrayView trimmedOws(QByteArrayView text)
{
    qsizetype begin = 0;
    qsizetype end = text.size();
    while (begin < end && (text[begin] == ' ' || text[begin] == '\t'))
        ++begin;
    while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t'))
        --end;
    return text.sliced(begin, end - begin);
}

bool equalsIgnoringCase(QByteArrayView a, QByteArrayView b)
{
    return a.size() == b.size() && a.compare(b, Qt::CaseInsensitive) == 0;
}

// Calls `visit` with each non-empty element of a comma-separated list (RFC 9110 §5.6.1).
template <typename Visit>
void forEachListElement(QByteArrayView list, Visit visit)
{
    qsizetype start = 0;
    while (start <= list.size()) {
        qsizetype comma = list.indexOf(',', start);
        if (comma < 0)
            comma = list.size();
        const QByteArrayView element = trimmedOws(list.sliced(start, comma - start));
        if (!element.isEmpty())
            visit(element);
        start = comma + 1;
    }
}

QByteArray lowerCased(QByteArrayView name)
{
    QByteArray out(name.size(), Qt::Uninitialized);
    char *o = out.data();
    for (qsizetype i = 0; i < name.size(); ++i) {
        const char c = name[i];
        o[i] = (c >= 'A' && c <= 'Z') ? char(c + 32) : c;
    }
    return out;
}

bool isImplementedMethod(QByteArrayView method)
{
    for (const char *known : {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"}) {
        if (method == QByteArrayView(known))
            return true;
    }
    return false;
}

// Splits one header line "name: value" (without CRLF). Returns an error text or nullptr.
const char *splitField(QByteArrayView line, QByteArrayView *name, QByteArrayView *value)
{
    if (line.front() == ' ' || line.front() == '\t')
        return "a header line starts with whitespace (obsolete line folding is not accepted)";
    const qsizetype colon = line.indexOf(':');
    if (colon < 0)
        return "a header line has no colon";
    *name = line.first(colon);
    if (name->isEmpty())
        return "a header line has an empty field name";
    if (!isToken(*name)) {
        if (name->back() == ' ' || name->back() == '\t')
            return "a header field name is followed by whitespace before its colon";
        return "a header field name has characters RFC 9110 does not allow";
    }
    *value = trimmedOws(line.sliced(colon + 1));
    if (!isFieldValue(*value))
        return "a header field value holds a control character";
    return nullptr;
}

} // namespace

void RequestParser::reset()
{
    m_state = State::Head;
    m_request = {};
    m_failure = {};
    m_scanned = 0;
    m_lineStart = 0;
    m_targetStart = -1;
    m_targetEnd = -1;
    m_remaining = 0;
    m_trailerBytes = 0;
    m_trailerFields = 0;
}

RequestParser::Status RequestParser::fail(int status, QString description)
{
    m_state = State::Error;
    m_failure = {status, std::move(description)};
    return Status::Failed;
}

RequestParser::Status RequestParser::parse(QByteArrayView input, qsizetype *consumed)
{
    *consumed = 0;
    if (m_state == State::Error)
        return Status::Failed;
    if (m_state == State::Done)
        return Status::Complete;

    const char *origin = input.data();
    const qsizetype size = input.size();
    qsizetype pos = 0;

    if (m_state == State::Head) {
        // RFC 9112 §2.2: empty lines before a request line are ignored (clients add CRLF after a body).
        if (m_scanned == 0) {
            while (size - pos >= 2 && origin[pos] == '\r' && origin[pos + 1] == '\n')
                pos += 2;
            *consumed = pos;
            if (pos == size || (size - pos == 1 && origin[pos] == '\r'))
                return Status::NeedMore;
        }
        // Head offsets count from the request line's first byte: `pos` now, 0 on later calls (the
        // caller has dropped the blank lines by then).
        const char *head = origin + pos;
        const qsizetype available = size - pos;
        qsizetype scan = m_scanned;
        qsizetype headEnd = -1;
        while (scan < available) {
            const void *found = std::memchr(head + scan, '\n', std::size_t(available - scan));
            if (!found) {
                scan = available;
                break;
            }
            const qsizetype newline = static_cast<const char *>(found) - head;
            // Before the LF check, so that the verdict on a long line is the one its pieces got.
            if (m_lineStart == 0 && checkRequestLineLength(QByteArrayView(head, newline), m_scanned) == Status::Failed)
                return Status::Failed;
            if (newline == 0 || head[newline - 1] != '\r')
                return fail(400, QStringLiteral("a line ends with LF alone; HTTP/1.1 lines end with CRLF"));
            if (newline - 1 == m_lineStart && m_lineStart > 0) {
                headEnd = newline + 1;
                break;
            }
            m_lineStart = newline + 1;
            scan = newline + 1;
        }
        if (headEnd < 0) {
            if (m_lineStart == 0) {
                if (checkRequestLineLength(QByteArrayView(head, scan), m_scanned) == Status::Failed)
                    return Status::Failed;
            } else if (scan > m_limits.maxHeaderBytes) {
                return fail(431, QStringLiteral("the request headers exceed %1 bytes").arg(m_limits.maxHeaderBytes));
            }
            m_scanned = scan;
            return Status::NeedMore; // everything from the request line on is kept
        }
        if (headEnd - 2 > m_limits.maxHeaderBytes)
            return fail(431, QStringLiteral("the request headers exceed %1 bytes").arg(m_limits.maxHeaderBytes));
        m_scanned = headEnd;
        if (const Status status = parseHead(QByteArrayView(head, m_lineStart)); status == Status::Failed)
            return status;
        pos += headEnd;
        *consumed = pos;
        if (m_state == State::Done)
            return Status::Complete;
    }

    while (pos < size) {
        switch (m_state) {
        case State::FixedBody: {
            const qsizetype take = std::min(m_remaining, size - pos);
            m_request.body.append(origin + pos, take);
            pos += take;
            m_remaining -= take;
            *consumed = pos;
            if (m_remaining == 0) {
                m_state = State::Done;
                return Status::Complete;
            }
            return Status::NeedMore;
        }
        case State::ChunkSize:
        case State::Trailer: {
            const qsizetype window = std::min(size - pos, m_limits.maxChunkLineBytes + 2);
            const void *found = std::memchr(origin + pos, '\n', std::size_t(window));
            if (!found) {
                if (window > m_limits.maxChunkLineBytes + 1)
                    return fail(400,
                                m_state == State::ChunkSize ? QStringLiteral("a chunk-size line is longer than %1 bytes").arg(m_limits.maxChunkLineBytes)
                                                            : QStringLiteral("a trailer field is longer than %1 bytes").arg(m_limits.maxChunkLineBytes));
                return Status::NeedMore;
            }
            const qsizetype newline = static_cast<const char *>(found) - origin;
            if (newline == pos || origin[newline - 1] != '\r')
                return fail(400, QStringLiteral("a line of the chunked body ends with LF alone; it must end with CRLF"));
            const QByteArrayView line(origin + pos, newline - 1 - pos);
            const Status status = m_state == State::ChunkSize ? parseChunkSize(line) : parseTrailerLine(line);
            if (status == Status::Failed)
                return status;
            pos = newline + 1;
            *consumed = pos;
            if (m_state == State::Done)
                return Status::Complete;
            break;
        }
        case State::ChunkData: {
            const qsizetype take = std::min(m_remaining, size - pos);
            m_request.body.append(origin + pos, take);
            pos += take;
            m_remaining -= take;
            *consumed = pos;
            if (m_remaining == 0)
                m_state = State::ChunkDataEnd;
            break;
        }
        case State::ChunkDataEnd: {
            if (origin[pos] != '\r')
                return fail(400, QStringLiteral("a chunk's data is longer than its size says (no CRLF after it)"));
            if (pos + 1 == size)
                return Status::NeedMore;
            if (origin[pos + 1] != '\n')
                return fail(400, QStringLiteral("a chunk's data is followed by CR without LF"));
            pos += 2;
            *consumed = pos;
            m_state = State::ChunkSize;
            break;
        }
        case State::Done:
            return Status::Complete;
        case State::Head:
        case State::Error:
            return Status::Failed; // unreachable: the head is parsed above, errors return at once
        }
    }
    return Status::NeedMore;
}

// RFC 9112 §3: a target longer than the server parses gets 414, not the 431 a head too large gets.
// The target limit is the head's own: the target is part of the head, so a smaller limit would refuse
// /authorize URLs (long state, id_token_hint, request objects) that the head limit is sized to carry,
// and a larger one could never be reached. Called with the request line seen so far, on every read
// until its CRLF, and the checks are monotone in the bytes seen: a long target is refused on the byte
// that passes the limit, never after more of it is buffered, and any split of the line gives the
// verdict the whole line gives. While the target is still arriving, the line may pass the head limit
// by the method's length (the method itself is held to the limit): whether that is a 414 or a 431 is
// only known when the target ends.
RequestParser::Status RequestParser::checkRequestLineLength(QByteArrayView lineSoFar, qsizetype alreadySearched)
{
    const qsizetype limit = m_limits.maxHeaderBytes;
    if (lineSoFar.endsWith('\r'))
        lineSoFar.chop(1); // the CR of the line's CRLF, or one that is refused later: never target
    if (m_targetStart < 0) {
        const qsizetype space = lineSoFar.indexOf(' ', alreadySearched);
        if (space < 0 ? lineSoFar.size() > limit : space > limit)
            return fail(431, QStringLiteral("the request line is longer than %1 bytes before its target").arg(limit));
        if (space < 0)
            return Status::NeedMore;
        m_targetStart = space + 1;
    }
    if (m_targetEnd < 0) {
        // A target holds no space (it is refused when it does), so the next space ends it.
        const qsizetype space = lineSoFar.indexOf(' ', std::max(alreadySearched, m_targetStart));
        if (space >= 0)
            m_targetEnd = space;
    }
    const qsizetype targetBytes = (m_targetEnd >= 0 ? m_targetEnd : lineSoFar.size()) - m_targetStart;
    if (targetBytes > limit)
        return fail(414, QStringLiteral("the request target is longer than %1 bytes").arg(limit));
    if (m_targetEnd >= 0 && lineSoFar.size() > limit)
        return fail(431, QStringLiteral("the request headers exceed %1 bytes").arg(limit));
    return Status::NeedMore;
}

RequestParser::Status RequestParser::parseHead(QByteArrayView head)
{
    // `head` is every line of the head, each with its CRLF, without the blank line that ends it.
    qsizetype lineEnd = head.indexOf("\r\n");
    if (const Status status = parseRequestLine(head.first(lineEnd)); status == Status::Failed)
        return status;
    qsizetype start = lineEnd + 2;
    m_request.headers.reserve(16);
    while (start < head.size()) {
        lineEnd = head.indexOf("\r\n", start);
        const QByteArrayView line = head.sliced(start, lineEnd - start);
        start = lineEnd + 2;
        if (line.contains('\r'))
            return fail(400, QStringLiteral("a header line holds a CR that does not end it"));
        QByteArrayView name;
        QByteArrayView value;
        if (const char *problem = splitField(line, &name, &value))
            return fail(400, QString::fromLatin1(problem));
        if (m_request.headers.size() >= m_limits.maxHeaderFields)
            return fail(431, QStringLiteral("the request has more than %1 header fields").arg(m_limits.maxHeaderFields));
        m_request.headers.append(qMakePair(lowerCased(name), value.toByteArray()));
    }
    return applyFraming();
}

RequestParser::Status RequestParser::parseRequestLine(QByteArrayView line)
{
    // request-line = method SP request-target SP HTTP-version (RFC 9112 §3), single spaces only.
    const qsizetype firstSpace = line.indexOf(' ');
    const qsizetype lastSpace = line.lastIndexOf(' ');
    if (firstSpace <= 0 || lastSpace == firstSpace)
        return fail(400, QStringLiteral("the request line is not \"METHOD target HTTP/1.1\""));
    const QByteArrayView method = line.first(firstSpace);
    const QByteArrayView target = line.sliced(firstSpace + 1, lastSpace - firstSpace - 1);
    const QByteArrayView version = line.sliced(lastSpace + 1);
    if (!isToken(method))
        return fail(400, QStringLiteral("the request method is not a token"));
    if (version.size() != 8 || !version.startsWith("HTTP/") || version[6] != '.' || !std::isdigit(static_cast<unsigned char>(version[5]))
        || !std::isdigit(static_cast<unsigned char>(version[7])))
        return fail(400, QStringLiteral("the request line does not end with an HTTP version such as HTTP/1.1"));
    if (version[5] != '1')
        return fail(505, QStringLiteral("HTTP/%1.%2 is not supported; use HTTP/1.1").arg(QLatin1Char(version[5])).arg(QLatin1Char(version[7])));
    m_request.minorVersion = version[7] == '0' ? 0 : 1;
    if (target.isEmpty())
        return fail(400, QStringLiteral("the request target is empty"));
    for (const char c : target) {
        if (c <= 0x20 || c >= 0x7f)
            return fail(400, QStringLiteral("the request target holds a space, a control character or a non-ASCII byte; percent-encode it"));
        if (c == '#')
            return fail(400, QStringLiteral("the request target holds a fragment ('#'), which is never sent to a server"));
    }
    if (!isImplementedMethod(method))
        return fail(501, QStringLiteral("the method %1 is not implemented").arg(QString::fromLatin1(method.first(std::min<qsizetype>(method.size(), 20)))));
    m_request.method = method.toByteArray();

    if (target.front() == '/') {
        m_request.target = target.toByteArray();
    } else if (target == "*" && method == "OPTIONS") {
        m_request.target = "*";
    } else {
        // absolute-form (RFC 9112 §3.2.2), which a server must accept: keep the path and query.
        qsizetype schemeEnd = -1;
        if (target.size() > 7 && equalsIgnoringCase(target.first(7), "http://"))
            schemeEnd = 7;
        else if (target.size() > 8 && equalsIgnoringCase(target.first(8), "https://"))
            schemeEnd = 8;
        if (schemeEnd < 0)
            return fail(400, QStringLiteral("the request target must be a path starting with '/' or an absolute http(s) URL"));
        qsizetype pathStart = schemeEnd;
        while (pathStart < target.size() && target[pathStart] != '/' && target[pathStart] != '?')
            ++pathStart;
        if (pathStart == schemeEnd)
            return fail(400, QStringLiteral("the absolute request target has no host"));
        const QByteArrayView rest = target.sliced(pathStart);
        m_request.target = rest.startsWith('/') ? rest.toByteArray() : QByteArray("/") + rest.toByteArray();
    }
    return Status::NeedMore;
}

RequestParser::Status RequestParser::applyFraming()
{
    int hostCount = 0;
    int contentLengthCount = 0;
    QByteArrayView contentLength;
    QByteArray transferEncoding; // every Transfer-Encoding line, joined as one list
    bool hasTransferEncoding = false;
    int expectCount = 0;
    QByteArrayView expect;
    bool close = false;
    bool keepAlive = false;
    for (const auto &[name, value] : std::as_const(m_request.headers)) {
        switch (name.size()) {
        case 4:
            if (name == "host") {
                ++hostCount;
                for (const char c : value) {
                    if (!kHost[static_cast<unsigned char>(c)])
                        return fail(400, QStringLiteral("the Host header is not a host name with an optional port"));
                }
            }
            break;
        case 6:
            if (name == "expect") {
                ++expectCount;
                expect = value;
            }
            break;
        case 10:
            if (name == "connection") {
                forEachListElement(value, [&](QByteArrayView option) {
                    close = close || equalsIgnoringCase(option, "close");
                    keepAlive = keepAlive || equalsIgnoringCase(option, "keep-alive");
                });
            }
            break;
        case 14:
            if (name == "content-length") {
                ++contentLengthCount;
                contentLength = value;
            }
            break;
        case 17:
            if (name == "transfer-encoding") {
                if (hasTransferEncoding)
                    transferEncoding += ',';
                transferEncoding += value;
                hasTransferEncoding = true;
            }
            break;
        default:
            break;
        }
    }
    const bool http11 = m_request.minorVersion >= 1;
    m_request.keepAlive = http11 ? !close : (keepAlive && !close);

    // RFC 9112 §3.2: exactly one Host in HTTP/1.1, never more than one.
    if (hostCount > 1)
        return fail(400, QStringLiteral("the request has more than one Host header"));
    if (hostCount == 0 && http11)
        return fail(400, QStringLiteral("an HTTP/1.1 request needs a Host header"));

    // RFC 9112 §6.1 and §6.3: every way two parsers could disagree on where the body ends is refused.
    if (hasTransferEncoding) {
        if (!http11)
            return fail(400, QStringLiteral("Transfer-Encoding is not allowed in an HTTP/1.0 request"));
        if (contentLengthCount > 0)
            return fail(400, QStringLiteral("the request has both Content-Length and Transfer-Encoding, so its length is ambiguous"));
        QList<QByteArrayView> codings;
        forEachListElement(transferEncoding, [&](QByteArrayView coding) { codings.append(coding); });
        if (codings.isEmpty())
            return fail(400, QStringLiteral("the Transfer-Encoding header is empty"));
        // Lists may hold empty elements (RFC 9110 §5.6.1), but parsers differ on them exactly here
        // (http-parser refuses "chunked,"): the framing header gets no such latitude.
        if (transferEncoding.count(',') != codings.size() - 1)
            return fail(400, QStringLiteral("the Transfer-Encoding list has an empty element"));
        qsizetype chunkedCount = 0;
        for (const QByteArrayView coding : codings) {
            const qsizetype semicolon = coding.indexOf(';');
            const QByteArrayView codingName = trimmedOws(semicolon < 0 ? coding : coding.first(semicolon));
            if (!isToken(codingName))
                return fail(400, QStringLiteral("the Transfer-Encoding header is not a list of codings"));
            if (equalsIgnoringCase(codingName, "chunked")) {
                if (semicolon >= 0)
                    return fail(400, QStringLiteral("the chunked transfer coding takes no parameters"));
                ++chunkedCount;
            }
        }
        if (chunkedCount > 1)
            return fail(400, QStringLiteral("the chunked transfer coding is applied more than once"));
        if (!equalsIgnoringCase(codings.last(), "chunked"))
            return fail(400, QStringLiteral("chunked is not the final transfer coding, so the request's length cannot be determined"));
        if (codings.size() > 1) {
            return fail(501,
                        QStringLiteral("the transfer coding %1 is not implemented; send the body with chunked alone")
                            .arg(QString::fromLatin1(codings.first().first(std::min<qsizetype>(codings.first().size(), 40)))));
        }
    }
    if (contentLengthCount > 1)
        return fail(400, QStringLiteral("the request has more than one Content-Length header"));
    qsizetype bodyLength = 0;
    if (contentLengthCount == 1) {
        if (contentLength.isEmpty())
            return fail(400, QStringLiteral("the Content-Length header is empty"));
        for (const char c : contentLength) {
            if (c < '0' || c > '9')
                return fail(400, QStringLiteral("Content-Length must be a decimal number of bytes"));
        }
        if (contentLength.size() > 15)
            return fail(413, QStringLiteral("the request body is larger than %1 bytes").arg(m_limits.maxBodyBytes));
        bodyLength = contentLength.toLongLong();
        if (bodyLength > m_limits.maxBodyBytes)
            return fail(413, QStringLiteral("the request body is %1 bytes; at most %2 are accepted").arg(bodyLength).arg(m_limits.maxBodyBytes));
    }

    if (expectCount > 1 || (expectCount == 1 && !equalsIgnoringCase(expect, "100-continue")))
        return fail(417, QStringLiteral("the only expectation this server meets is Expect: 100-continue"));
    // RFC 9110 §10.1.1: a 100-continue expectation in HTTP/1.0 is ignored.
    m_request.expectsContinue = expectCount == 1 && http11 && (hasTransferEncoding || bodyLength > 0);

    if (hasTransferEncoding) {
        m_state = State::ChunkSize;
    } else if (bodyLength > 0) {
        m_remaining = bodyLength;
        m_request.body.reserve(bodyLength);
        m_state = State::FixedBody;
    } else {
        m_state = State::Done;
    }
    return Status::NeedMore;
}

RequestParser::Status RequestParser::parseChunkSize(QByteArrayView line)
{
    // chunk = chunk-size [ chunk-ext ] CRLF (RFC 9112 §7.1); chunk-size = 1*HEXDIG.
    qsizetype digits = 0;
    qint64 size = 0;
    while (digits < line.size() && std::isxdigit(static_cast<unsigned char>(line[digits]))) {
        const char c = line[digits];
        const int value = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
        if (size > (qint64(1) << 40))
            return fail(413, QStringLiteral("the request body is larger than %1 bytes").arg(m_limits.maxBodyBytes));
        size = size * 16 + value;
        ++digits;
    }
    if (digits == 0)
        return fail(400, QStringLiteral("a chunk does not start with its size in hexadecimal digits"));
    const QByteArrayView extension = line.sliced(digits);
    if (!extension.isEmpty()) {
        // chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ): ignored, but only ever after ';'.
        const QByteArrayView trimmed = trimmedOws(extension);
        if (!trimmed.startsWith(';'))
            return fail(400, QStringLiteral("a chunk size is followed by something other than a chunk extension"));
        for (const char c : extension) {
            if (!kFieldValue[static_cast<unsigned char>(c)])
                return fail(400, QStringLiteral("a chunk extension holds a control character"));
        }
    }
    if (m_request.body.size() + size > m_limits.maxBodyBytes)
        return fail(413, QStringLiteral("the request body is larger than %1 bytes").arg(m_limits.maxBodyBytes));
    if (size == 0) {
        m_state = State::Trailer;
        return Status::NeedMore;
    }
    m_remaining = size;
    m_state = State::ChunkData;
    return Status::NeedMore;
}

RequestParser::Status RequestParser::parseTrailerLine(QByteArrayView line)
{
    if (line.isEmpty()) {
        m_state = State::Done;
        return Status::NeedMore;
    }
    // Trailer fields are checked like header fields, then dropped: nothing here reads them.
    if (line.contains('\r'))
        return fail(400, QStringLiteral("a trailer line holds a CR that does not end it"));
    QByteArrayView name;
    QByteArrayView value;
    if (const char *problem = splitField(line, &name, &value))
        return fail(400, QStringLiteral("trailer: %1").arg(QString::fromLatin1(problem)));
    m_trailerBytes += line.size() + 2;
    if (++m_trailerFields > m_limits.maxHeaderFields || m_trailerBytes > m_limits.maxHeaderBytes)
        return fail(431, QStringLiteral("the request's trailer fields exceed the header limits"));
    return Status::NeedMore;
}

} // namespace organizer::http
