// libFuzzer target: the HTTP/1.1 request parser, and a differential against Node's http-parser.
// The first byte picks how the rest is split into reads; the parser must give the same verdict for
// any split, never read past what it was given, never hold a body above the limit, and wherever
// http-parser also reads a whole request, agree with it on method, target, body and length.
#include "httpparserreference.h"
#include "requestparser.h"

#include <cstdint>
#include <cstdlib>

using organizer::http::ParserLimits;
using organizer::http::RequestParser;

namespace {

struct Verdict
{
    RequestParser::Status status = RequestParser::Status::NeedMore;
    int failure = 0;
    qsizetype consumed = 0;
    organizer::http::ParsedRequest request;
};

Verdict run(const QByteArray &bytes, qsizetype step, const ParserLimits &limits)
{
    RequestParser parser(limits);
    QByteArray buffer;
    qsizetype fed = 0;
    Verdict verdict;
    while (true) {
        const qsizetype take = step <= 0 ? bytes.size() - fed : std::min(step, bytes.size() - fed);
        buffer += bytes.mid(fed, take);
        fed += take;
        qsizetype consumed = 0;
        verdict.status = parser.parse(buffer, &consumed);
        if (consumed < 0 || consumed > buffer.size())
            std::abort();
        buffer.remove(0, consumed);
        verdict.consumed += consumed;
        if (parser.request().body.size() > limits.maxBodyBytes)
            std::abort();
        if (verdict.status != RequestParser::Status::NeedMore || fed == bytes.size())
            break;
    }
    if (verdict.status == RequestParser::Status::Failed)
        verdict.failure = parser.failure().status;
    if (verdict.status == RequestParser::Status::Complete)
        verdict.request = parser.takeRequest();
    return verdict;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const qsizetype step = data[0] % 17;
    const QByteArray bytes(reinterpret_cast<const char *>(data + 1), qsizetype(size - 1));
    ParserLimits limits;
    limits.maxBodyBytes = 4096;
    limits.maxHeaderBytes = 8192;
    const Verdict whole = run(bytes, 0, limits);
    const Verdict split = run(bytes, step, limits);
    if (whole.status != split.status || whole.failure != split.failure)
        std::abort(); // the verdict may not depend on how the bytes arrive
    if (whole.status == RequestParser::Status::Complete) {
        if (whole.consumed != split.consumed || whole.request.body != split.request.body || whole.request.target != split.request.target)
            std::abort();
        const ReferenceParse reference = referenceParse(bytes);
        if (reference.ok && reference.url.startsWith('/')) {
            if (reference.method != whole.request.method || reference.url != whole.request.target || reference.body != whole.request.body
                || reference.consumed != whole.consumed)
                std::abort(); // two parsers disagree on a request both accept: a smuggling seed
        }
    }
    return 0;
}
