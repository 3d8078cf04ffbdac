// The HTTP/1.1 request parser on its own: framing (RFC 9112 §6), the request-smuggling catalogue,
// limits counted on decoded bytes, and incremental parsing that gives the same answer whatever way the
// bytes are split. The differential half compares it with Node's http-parser (Debian's
// libhttp-parser), a parser nobody here wrote: wherever both accept, they agree byte for byte.

#include "httpparserreference.h"
#include "requestparser.h"

#include <gtest/gtest.h>

using organizer::http::ParsedRequest;
using organizer::http::ParserLimits;
using organizer::http::RequestParser;
using Status = RequestParser::Status;

namespace {

struct Outcome
{
    Status status = Status::NeedMore;
    int failureStatus = 0;
    QString description;
    ParsedRequest request;
    qsizetype consumed = 0; // bytes of the input the request took
};

// Feeds `bytes` in pieces of `step` (0: all at once), the way a socket delivers them, keeping what the
// parser does not consume, until it completes or fails.
Outcome parse(const QByteArray &bytes, qsizetype step = 0, ParserLimits limits = {})
{
    RequestParser parser(limits);
    QByteArray buffer;
    qsizetype fed = 0;
    qsizetype consumedTotal = 0;
    Outcome outcome;
    while (true) {
        const qsizetype take = step == 0 ? bytes.size() - fed : std::min(step, bytes.size() - fed);
        buffer += bytes.mid(fed, take);
        fed += take;
        qsizetype consumed = 0;
        outcome.status = parser.parse(buffer, &consumed);
        buffer.remove(0, consumed);
        consumedTotal += consumed;
        if (outcome.status != Status::NeedMore || fed == bytes.size())
            break;
    }
    outcome.consumed = consumedTotal;
    if (outcome.status == Status::Failed) {
        outcome.failureStatus = parser.failure().status;
        outcome.description = parser.failure().description;
    } else if (outcome.status == Status::Complete) {
        outcome.request = parser.takeRequest();
    }
    return outcome;
}

QByteArray header(const ParsedRequest &request, const QByteArray &name)
{
    for (const auto &[key, value] : request.headers) {
        if (key == name)
            return value;
    }
    return {};
}

} // namespace

TEST(RequestParser, ReadsASimpleRequest)
{
    const Outcome o = parse("GET /api/contacts?x=1 HTTP/1.1\r\nHost: localhost:3001\r\nAuthorization: Bearer abc \r\n\r\n");
    ASSERT_EQ(o.status, Status::Complete) << o.description.toStdString();
    EXPECT_EQ(o.request.method, "GET");
    EXPECT_EQ(o.request.target, "/api/contacts?x=1");
    EXPECT_EQ(o.request.minorVersion, 1);
    EXPECT_TRUE(o.request.keepAlive);
    EXPECT_EQ(header(o.request, "authorization"), "Bearer abc"); // names lower-cased, OWS trimmed
    EXPECT_EQ(header(o.request, "host"), "localhost:3001");
    EXPECT_TRUE(o.request.body.isEmpty());
}

TEST(RequestParser, SplittingTheBytesAnywhereGivesTheSameRequest)
{
    const QByteArray requests[] = {
        "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 27\r\n\r\ngrant_type=client_credential",
        "PUT /api/contacts/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n1A\r\n "
        "abcdefghijklmnopqrstuvwxy\r\n0\r\nX-Trailer: t\r\n\r\n",
        "\r\n\r\nGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    };
    for (const QByteArray &bytes : requests) {
        const Outcome whole = parse(bytes);
        ASSERT_EQ(whole.status, Status::Complete) << bytes.constData() << whole.description.toStdString();
        for (qsizetype step : {1, 2, 3, 7, 64}) {
            const Outcome pieces = parse(bytes, step);
            ASSERT_EQ(pieces.status, Status::Complete) << "step " << step;
            EXPECT_EQ(pieces.request.method, whole.request.method);
            EXPECT_EQ(pieces.request.target, whole.request.target);
            EXPECT_EQ(pieces.request.headers, whole.request.headers);
            EXPECT_EQ(pieces.request.body, whole.request.body) << "step " << step;
            EXPECT_EQ(pieces.consumed, whole.consumed);
        }
    }
    EXPECT_EQ(parse(requests[1]).request.body, "hello abcdefghijklmnopqrstuvwxy");
}

TEST(RequestParser, PipelinedRequestsAreTakenOneAtATime)
{
    const QByteArray first = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
    const QByteArray second = "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
    RequestParser parser;
    QByteArray buffer = first + second + "GET /c";
    qsizetype consumed = 0;
    ASSERT_EQ(parser.parse(buffer, &consumed), Status::Complete);
    EXPECT_EQ(consumed, first.size());
    EXPECT_EQ(parser.takeRequest().target, "/a");
    buffer.remove(0, consumed);
    parser.reset();
    ASSERT_EQ(parser.parse(buffer, &consumed), Status::Complete);
    EXPECT_EQ(consumed, second.size());
    EXPECT_EQ(parser.request().body, "abc");
    buffer.remove(0, consumed);
    parser.reset();
    EXPECT_EQ(parser.parse(buffer, &consumed), Status::NeedMore);
    EXPECT_EQ(consumed, 0); // the partial request line is kept for the next read
    EXPECT_FALSE(parser.idle());
}

TEST(RequestParser, ConnectionPersistenceFollowsTheVersion)
{
    EXPECT_TRUE(parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n").request.keepAlive);
    EXPECT_FALSE(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").request.keepAlive);
    EXPECT_FALSE(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, CLOSE\r\n\r\n").request.keepAlive);
    EXPECT_FALSE(parse("GET / HTTP/1.0\r\n\r\n").request.keepAlive); // no Host needed in 1.0
    EXPECT_TRUE(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").request.keepAlive);
    EXPECT_EQ(parse("GET / HTTP/1.0\r\n\r\n").request.minorVersion, 0);
    EXPECT_EQ(parse("GET / HTTP/1.2\r\nHost: x\r\n\r\n").request.minorVersion, 1); // a later 1.x is read as 1.1
}

TEST(RequestParser, AbsoluteFormTargetsAreReducedToOriginForm)
{
    EXPECT_EQ(parse("GET http://localhost:3001/api/contacts?a=b HTTP/1.1\r\nHost: localhost:3001\r\n\r\n").request.target, "/api/contacts?a=b");
    EXPECT_EQ(parse("GET HTTPS://example.org HTTP/1.1\r\nHost: example.org\r\n\r\n").request.target, "/");
    EXPECT_EQ(parse("GET http://example.org?q HTTP/1.1\r\nHost: example.org\r\n\r\n").request.target, "/?q");
}

TEST(RequestParser, ExpectContinueIsRecognisedOnlyWhereItMeansSomething)
{
    EXPECT_TRUE(parse("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\na").request.expectsContinue);
    EXPECT_FALSE(parse("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n").request.expectsContinue);
    EXPECT_FALSE(parse("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\na").request.expectsContinue);
    RequestParser parser;
    qsizetype consumed = 0;
    EXPECT_EQ(parser.parse("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n", &consumed), Status::NeedMore);
    EXPECT_TRUE(parser.awaitingBody());
    EXPECT_TRUE(parser.request().expectsContinue);
}

// ---------------------------------------------------------------------------------------------
// The smuggling catalogue: framing two parsers could read differently is refused, never guessed.

struct FramingCase
{
    const char *name;
    QByteArray bytes;
    int status;
};

class Framing : public ::testing::TestWithParam<FramingCase>
{};

TEST_P(Framing, IsRefused)
{
    const FramingCase &c = GetParam();
    const Outcome whole = parse(c.bytes);
    ASSERT_EQ(whole.status, Status::Failed) << c.name << " was accepted";
    EXPECT_EQ(whole.failureStatus, c.status) << c.name << ": " << whole.description.toStdString();
    EXPECT_FALSE(whole.description.isEmpty());
    // The same verdict however the bytes arrive.
    const Outcome bytewise = parse(c.bytes, 1);
    EXPECT_EQ(bytewise.status, Status::Failed) << c.name;
    EXPECT_EQ(bytewise.failureStatus, c.status) << c.name;
}

namespace {

QByteArray post(const QByteArray &headers, const QByteArray &body = "0\r\n\r\n")
{
    return "POST /oauth/token HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n" + body;
}

} // namespace

const FramingCase kFramingCases[] = {
    {"cl_te", post("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n"), 400},
    {"te_cl", post("Transfer-Encoding: chunked\r\nContent-Length: 4\r\n"), 400},
    {"duplicate_content_length", post("Content-Length: 0\r\nContent-Length: 36\r\n"), 400},
    {"same_content_length_twice", post("Content-Length: 5\r\nContent-Length: 5\r\n", "hello"), 400},
    {"content_length_list", post("Content-Length: 0, 36\r\n"), 400},
    {"negative_content_length", post("Content-Length: -1\r\n"), 400},
    {"hex_content_length", post("Content-Length: 0x24\r\n"), 400},
    {"signed_content_length", post("Content-Length: +36\r\n"), 400},
    {"empty_content_length", post("Content-Length:\r\n"), 400},
    {"content_length_with_inner_space", post("Content-Length: 3 6\r\n"), 400},
    {"te_chunked_then_identity", post("Transfer-Encoding: chunked, identity\r\n"), 400},
    {"te_gzip_then_chunked", post("Transfer-Encoding: gzip, chunked\r\n"), 501},
    {"te_space_before_colon", post("Transfer-Encoding : chunked\r\n"), 400},
    {"te_xchunked", post("Transfer-Encoding: xchunked\r\n"), 400},
    {"te_chunked_twice", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), 400},
    {"te_split_over_two_lines", post("Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n"), 400},
    {"te_empty", post("Transfer-Encoding:\r\n"), 400},
    {"te_empty_list_element", post("Transfer-Encoding: , chunked\r\n"), 400},
    {"te_trailing_comma", post("Transfer-Encoding: chunked,\r\n"), 400},
    {"te_identity_alone", post("Transfer-Encoding: identity\r\n", "x"), 400},
    {"te_chunked_with_parameter", post("Transfer-Encoding: chunked;q=1\r\n"), 400},
    {"te_in_http_1_0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
    {"te_obs_fold", post("Transfer-Encoding:\r\n chunked\r\n"), 400},
    {"leading_space_header", post(" Transfer-Encoding: chunked\r\n"), 400},
    {"te_vertical_tab",
     post("Transfer-Encoding:\x0b"
          "chunked\r\n"),
     400},
    {"te_bare_lf_before", "POST / HTTP/1.1\r\nHost: x\r\nX: y\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
    {"bare_lf_request_line", "GET / HTTP/1.1\nHost: x\r\n\r\n", 400},
    {"bare_cr_in_header", "GET / HTTP/1.1\r\nHost: x\rX-Injected: 1\r\n\r\n", 400},
    {"nul_in_header", QByteArray("GET / HTTP/1.1\r\nHost: x\r\nX: a\0b\r\n\r\n", 35), 400},
    {"missing_host", "GET / HTTP/1.1\r\n\r\n", 400},
    {"duplicate_host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
    {"duplicate_host_http_1_0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400},
    {"host_with_path", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
    {"host_with_userinfo", "GET / HTTP/1.1\r\nHost: evil@a\r\n\r\n", 400},
    {"chunk_size_hex_prefix", post("Transfer-Encoding: chunked\r\n", "0x5\r\nhello\r\n0\r\n\r\n"), 400},
    {"chunk_size_missing", post("Transfer-Encoding: chunked\r\n", "\r\nhello\r\n0\r\n\r\n"), 400},
    {"chunk_size_trailing_garbage", post("Transfer-Encoding: chunked\r\n", "5 x\r\nhello\r\n0\r\n\r\n"), 400},
    {"chunk_size_bare_lf", post("Transfer-Encoding: chunked\r\n", "5\nhello\r\n0\r\n\r\n"), 400},
    {"chunk_data_longer_than_size", post("Transfer-Encoding: chunked\r\n", "3\r\nhello\r\n0\r\n\r\n"), 400},
    {"chunk_data_bare_lf", post("Transfer-Encoding: chunked\r\n", "5\r\nhello\n0\r\n\r\n"), 400},
    {"chunk_size_overflow", post("Transfer-Encoding: chunked\r\n", "ffffffffffffffffffff\r\n"), 413},
    {"chunk_extension_control", post("Transfer-Encoding: chunked\r\n", "5;a=\x01\r\nhello\r\n0\r\n\r\n"), 400},
    {"trailer_obs_fold", post("Transfer-Encoding: chunked\r\n", "0\r\nX: a\r\n b\r\n\r\n"), 400},
    {"space_in_target", "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400},
    {"double_space_after_method", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
    {"tab_separator", "GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n", 400},
    {"non_ascii_target", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 400},
    {"fragment_in_target", "GET /a#b HTTP/1.1\r\nHost: x\r\n\r\n", 400},
    {"relative_target", "GET api/contacts HTTP/1.1\r\nHost: x\r\n\r\n", 400},
    {"http_2_request_line", "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
    {"http_0_9", "GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505},
    {"lowercase_version", "GET / http/1.1\r\nHost: x\r\n\r\n", 400},
    {"missing_version", "GET /\r\nHost: x\r\n\r\n", 400},
    {"unknown_method", "BREW / HTTP/1.1\r\nHost: x\r\n\r\n", 501},
    {"lowercase_method", "get / HTTP/1.1\r\nHost: x\r\n\r\n", 501},
    {"method_with_separator", "GE(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
    {"header_name_with_space", "GET / HTTP/1.1\r\nHost: x\r\nX Y: z\r\n\r\n", 400},
    {"header_without_colon", "GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400},
    {"empty_header_name", "GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n", 400},
    {"unknown_expectation", post("Content-Length: 1\r\nExpect: 200-ok\r\n", "a"), 417},
};

INSTANTIATE_TEST_SUITE_P(Smuggling, Framing, ::testing::ValuesIn(kFramingCases), [](const auto &row) { return std::string(row.param.name); });

TEST(RequestParser, LimitsAreExactAndCountDecodedBytes)
{
    ParserLimits limits;
    limits.maxBodyBytes = 100;
    limits.maxHeaderBytes = 200;
    const auto fixed = [](int n) { return "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + QByteArray::number(n) + "\r\n\r\n" + QByteArray(n, 'a'); };
    EXPECT_EQ(parse(fixed(100), 0, limits).status, Status::Complete);
    EXPECT_EQ(parse(fixed(101), 0, limits).failureStatus, 413);
    const auto chunked = [](int n) {
        QByteArray body;
        for (int i = 0; i < n; ++i)
            body += "1\r\na\r\n";
        return "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body + "0\r\n\r\n";
    };
    EXPECT_EQ(parse(chunked(100), 0, limits).status, Status::Complete);
    EXPECT_EQ(parse(chunked(100), 0, limits).request.body.size(), 100);
    EXPECT_EQ(parse(chunked(101), 0, limits).failureStatus, 413);

    // 413 as soon as the decoded size passes the limit: nothing after is needed or buffered.
    const QByteArray head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    QByteArray flood = head;
    for (int i = 0; i < 200; ++i)
        flood += "10\r\n" + QByteArray(16, 'z') + "\r\n";
    RequestParser parser(limits);
    qsizetype consumed = 0;
    ASSERT_EQ(parser.parse(flood, &consumed), Status::Failed);
    EXPECT_EQ(parser.failure().status, 413);
    EXPECT_LE(parser.request().body.size(), limits.maxBodyBytes);

    // The head: exactly 200 bytes before the blank line pass, 201 do not.
    const QByteArray line = "GET / HTTP/1.1\r\nHost: x\r\n";
    const auto withPadding = [&](int total) { return line + "X: " + QByteArray(total - line.size() - 5, 'p') + "\r\n" + "\r\n"; };
    EXPECT_EQ(parse(withPadding(200), 0, limits).status, Status::Complete);
    EXPECT_EQ(parse(withPadding(201), 0, limits).failureStatus, 431);
    EXPECT_EQ(parse("GET /" + QByteArray(300, 'a'), 0, limits).failureStatus, 414);
    limits.maxHeaderFields = 3;
    EXPECT_EQ(parse("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 0, limits).failureStatus, 431);
}

TEST(RequestParser, ATargetLongerThanTheLimitIs414AndLongFieldsAre431)
{
    // RFC 9112 §3: 414 for the target alone, 431 only when the header fields make the head too large;
    // the same answer whether the head arrives whole, byte by byte or in odd pieces.
    ParserLimits limits;
    limits.maxHeaderBytes = 200;
    const auto request = [](int targetBytes, const QByteArray &fields = "Host: x\r\n") {
        return "GET /" + QByteArray(targetBytes - 1, 'a') + " HTTP/1.1\r\n" + fields + "\r\n";
    };
    for (const qsizetype step : {0, 1, 3, 64}) {
        EXPECT_EQ(parse(request(201), step, limits).failureStatus, 414) << "step " << step;
        EXPECT_EQ(parse(request(300), step, limits).failureStatus, 414) << "step " << step;
        EXPECT_EQ(parse(request(300, "Host: x\r\nX: " + QByteArray(300, 'p') + "\r\n"), step, limits).failureStatus, 414) << "step " << step;
        // A target within the limit: the fields are what is too large.
        EXPECT_EQ(parse(request(200), step, limits).failureStatus, 431) << "step " << step;
        EXPECT_EQ(parse(request(10, "Host: x\r\nX: " + QByteArray(300, 'p') + "\r\n"), step, limits).failureStatus, 431) << "step " << step;
        EXPECT_EQ(parse(request(150), step, limits).status, Status::Complete) << "step " << step;
        // Not the target: a method that alone passes the limit.
        EXPECT_EQ(parse(QByteArray(300, 'M') + " / HTTP/1.1\r\nHost: x\r\n\r\n", step, limits).failureStatus, 431) << "step " << step;
    }
    // The default limit, and the 40 kB target the issue was filed with.
    EXPECT_EQ(parse(request(40 * 1000)).failureStatus, 414);
    EXPECT_EQ(parse(request(40 * 1000), 1).failureStatus, 414);
    EXPECT_EQ(parse(request(30 * 1000)).status, Status::Complete);

    // Decided on the byte that passes the limit: nothing more is asked for or kept.
    RequestParser parser(limits);
    qsizetype consumed = 0;
    const QByteArray atTheLimit = "GET /" + QByteArray(199, 'a');
    EXPECT_EQ(parser.parse(atTheLimit, &consumed), Status::NeedMore);
    EXPECT_EQ(parser.parse(atTheLimit + 'a', &consumed), Status::Failed);
    EXPECT_EQ(parser.failure().status, 414);
    EXPECT_TRUE(parser.failure().description.contains(QStringLiteral("target"))) << parser.failure().description.toStdString();
}

// ---------------------------------------------------------------------------------------------
// Differential: Node's http-parser (libhttp-parser 2.9) reads the same bytes.

TEST(RequestParserDifferential, AgreesWithHttpParserOnEveryRequestBothAccept)
{
    const QByteArray accepted[] = {
        "GET /api/contacts?x=%20y HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer a.b.c\r\n\r\n",
        "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world",
        "PUT /api/contacts/7 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n5\r\npedia\r\nE\r\n "
        "in\r\n\r\nchunks.\r\n0\r\nTrailer: x\r\n\r\n",
        "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
        "DELETE /api/appointments/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
        "HEAD /healthz HTTP/1.1\r\nHost: [::1]:3001\r\nX-Empty:\r\nX-Tab:\tvalue\t\r\n\r\n",
    };
    for (const QByteArray &bytes : accepted) {
        const Outcome ours = parse(bytes);
        const ReferenceParse theirs = referenceParse(bytes);
        ASSERT_EQ(ours.status, Status::Complete) << bytes.constData() << ours.description.toStdString();
        ASSERT_TRUE(theirs.ok) << bytes.constData() << theirs.error;
        EXPECT_EQ(ours.request.method, theirs.method);
        EXPECT_EQ(ours.request.target, theirs.url);
        EXPECT_EQ(ours.request.body, theirs.body);
        EXPECT_EQ(ours.request.keepAlive, theirs.keepAlive);
        EXPECT_EQ(ours.consumed, theirs.consumed);
        ASSERT_EQ(ours.request.headers.size(), theirs.headers.size());
        for (qsizetype i = 0; i < theirs.headers.size(); ++i) {
            EXPECT_EQ(ours.request.headers.at(i).first, theirs.headers.at(i).first.toLower());
            EXPECT_EQ(ours.request.headers.at(i).second, theirs.headers.at(i).second);
        }
    }
}

TEST(RequestParserDifferential, AgreesWithHttpParserOnEveryMutationBothAccept)
{
    // Every single-byte change (replace, insert, delete) of a few valid requests with the bytes that
    // framing hinges on. Wherever both parsers accept, they must read the same request; what only
    // one accepts is counted, and every case of the smuggling catalogue must be refused by us.
    const QByteArray seeds[] = {
        "POST /t HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET",
        "POST /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET",
        "GET /a?b=c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    };
    const char interesting[] = {' ', '\t', '\r', '\n', ':', ',', ';', '0', '1', 'a', 'F', '\0', '\x0b', '\x7f', '\x80'};
    int bothAccepted = 0;
    int onlyReferenceAccepted = 0;
    int onlyOursAccepted = 0;
    const auto compare = [&](const QByteArray &bytes) {
        const Outcome ours = parse(bytes);
        const ReferenceParse theirs = referenceParse(bytes);
        const bool oursOk = ours.status == Status::Complete;
        if (oursOk && theirs.ok) {
            ++bothAccepted;
            SCOPED_TRACE(QByteArray(bytes).replace("\r", "\\r").replace("\n", "\\n").toStdString());
            EXPECT_EQ(ours.request.method, theirs.method);
            EXPECT_EQ(ours.request.target, theirs.url);
            EXPECT_EQ(ours.request.body, theirs.body);
            EXPECT_EQ(ours.consumed, theirs.consumed);
            // Persistence is not compared here: http-parser misses "close" in "Connection: ,close" and
            // "close<TAB>", which RFC 9110 §5.6.1 lists allow; we close there, which is the safe reading.
        } else if (theirs.ok) {
            ++onlyReferenceAccepted;
        } else if (oursOk) {
            ++onlyOursAccepted;
            if (qEnvironmentVariableIsSet("ORGANIZER_SHOW_DIFFERENCES"))
                std::printf("only ours: %s (http-parser: %s)\n", QByteArray(bytes).replace("\r", "\\r").replace("\n", "\\n").constData(), theirs.error.c_str());
        }
    };
    for (const QByteArray &seed : seeds) {
        for (qsizetype i = 0; i < seed.size(); ++i) {
            compare(QByteArray(seed).remove(i, 1));
            for (const char c : interesting) {
                compare(QByteArray(seed).replace(i, 1, QByteArray(1, c)));
                compare(QByteArray(seed).insert(i, c));
            }
        }
    }
    std::printf("mutations both accepted: %d, only http-parser accepted: %d, only ours accepted: %d\n", bothAccepted, onlyReferenceAccepted, onlyOursAccepted);
    EXPECT_GT(bothAccepted, 500); // the comparison really ran on many requests
    for (const FramingCase &c : kFramingCases)
        EXPECT_EQ(parse(c.bytes).status, Status::Failed) << c.name;
}
