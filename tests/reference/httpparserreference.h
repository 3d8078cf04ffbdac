#pragma once

// A second HTTP/1.1 request parser for differential tests: Node's http-parser 2.9 (Debian's
// libhttp-parser), which nobody here wrote. Reads the first request of `bytes`.

#include <QByteArray>
#include <QList>
#include <QPair>

#include <string>

struct ReferenceParse
{
    bool ok = false; // a whole request was read
    std::string error; // http-parser's error name when not
    QByteArray method;
    QByteArray url;
    QList<QPair<QByteArray, QByteArray>> headers; // before the body; trailers are left out
    QByteArray body;
    bool keepAlive = false;
    qsizetype consumed = 0; // bytes the first request took
};

ReferenceParse referenceParse(const QByteArray &bytes);
