#include "httpparserreference.h"

#include <http_parser.h>

namespace {

struct Context
{
    ReferenceParse *result;
    bool headersDone = false;
    bool complete = false;
    bool lastWasValue = true;
};

Context *contextOf(http_parser *parser)
{
    return static_cast<Context *>(parser->data);
}

} // namespace

ReferenceParse referenceParse(const QByteArray &bytes)
{
    ReferenceParse result;
    Context context{&result};
    http_parser_settings settings;
    http_parser_settings_init(&settings);
    settings.on_url = [](http_parser *p, const char *at, size_t length) {
        contextOf(p)->result->url.append(at, qsizetype(length));
        return 0;
    };
    settings.on_header_field = [](http_parser *p, const char *at, size_t length) {
        Context *c = contextOf(p);
        if (c->headersDone)
            return 0; // trailer fields
        if (c->lastWasValue)
            c->result->headers.append(QPair<QByteArray, QByteArray>());
        c->result->headers.last().first.append(at, qsizetype(length));
        c->lastWasValue = false;
        return 0;
    };
    settings.on_header_value = [](http_parser *p, const char *at, size_t length) {
        Context *c = contextOf(p);
        if (c->headersDone)
            return 0;
        c->result->headers.last().second.append(at, qsizetype(length));
        c->lastWasValue = true;
        return 0;
    };
    settings.on_headers_complete = [](http_parser *p) {
        Context *c = contextOf(p);
        c->headersDone = true;
        c->result->keepAlive = http_should_keep_alive(p) != 0;
        c->result->method = QByteArray(http_method_str(static_cast<http_method>(p->method)));
        return 0;
    };
    settings.on_body = [](http_parser *p, const char *at, size_t length) {
        contextOf(p)->result->body.append(at, qsizetype(length));
        return 0;
    };
    settings.on_message_complete = [](http_parser *p) {
        contextOf(p)->complete = true;
        http_parser_pause(p, 1); // stop after the first request, as our parser does
        return 0;
    };
    http_parser parser;
    http_parser_init(&parser, HTTP_REQUEST);
    parser.data = &context;
    const size_t parsed = http_parser_execute(&parser, &settings, bytes.constData(), size_t(bytes.size()));
    const auto error = HTTP_PARSER_ERRNO(&parser);
    if (error != HPE_OK && error != HPE_PAUSED) {
        result.error = http_errno_name(error);
        return result;
    }
    if (!context.complete) {
        result.error = "incomplete";
        return result;
    }
    result.ok = true;
    result.consumed = qsizetype(parsed);
    for (auto &[name, value] : result.headers)
        value = value.trimmed(); // OWS around a value is not part of it (RFC 9110 §5.5)
    return result;
}
