#include "httpmessage.h"

#include <algorithm>

namespace organizer::http {

QByteArray Request::header(QByteArrayView name) const
{
    for (const auto &[key, value] : headers) {
        if (key.size() == name.size() && key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

qsizetype Request::headerCount(QByteArrayView name) const
{
    qsizetype count = 0;
    for (const auto &entry : headers)
        count += entry.first.size() == name.size() && entry.first.compare(name, Qt::CaseInsensitive) == 0 ? 1 : 0;
    return count;
}

Response Response::json(int status, const QJsonObject &object)
{
    return json(status, QJsonDocument(object));
}

Response Response::json(int status, const QJsonDocument &document)
{
    Response response;
    response.status = status;
    response.body = document.toJson(QJsonDocument::Compact);
    response.setHeader("content-type", "application/json");
    return response;
}

Response plainRefusal(Refusal, int status, const QString &description)
{
    Response response;
    response.status = status;
    response.body = description.toUtf8();
    response.setHeader("content-type", "text/plain; charset=utf-8");
    return response;
}

QString errorDescriptionText(QStringView text)
{
    QString out;
    out.reserve(text.size());
    for (const QChar ch : text) {
        const char16_t c = ch.unicode();
        if (c == u'"')
            out += QLatin1Char('\'');
        else if (c == u'\\')
            out += QLatin1Char('/');
        else if (c < 0x20 || c > 0x7e)
            out += QLatin1Char('?');
        else
            out += ch;
    }
    return out;
}

bool isErrorDescriptionText(QStringView text)
{
    for (const QChar ch : text) {
        const char16_t c = ch.unicode();
        if (c < 0x20 || c > 0x7e || c == u'"' || c == u'\\')
            return false;
    }
    return true;
}

Response Response::noContent()
{
    Response response;
    response.status = 204;
    return response;
}

void Response::setHeader(const QByteArray &name, const QByteArray &value)
{
    headers.removeIf([&](const auto &entry) { return entry.first.compare(name, Qt::CaseInsensitive) == 0; });
    // Names are nearly always written in lower case already: then no copy is made.
    const bool lower = std::none_of(name.cbegin(), name.cend(), [](char c) { return c >= 'A' && c <= 'Z'; });
    headers.append(qMakePair(lower ? name : name.toLower(), value));
}

QByteArray Response::header(QByteArrayView name) const
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

QString addressGroup(const QHostAddress &address)
{
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);
    if (isV4)
        return QHostAddress(v4).toString();
    if (address.protocol() != QAbstractSocket::IPv6Protocol)
        return address.toString();
    Q_IPV6ADDR prefix = address.toIPv6Address();
    std::fill(std::begin(prefix.c) + 8, std::end(prefix.c), quint8(0));
    return QHostAddress(prefix).toString() + QStringLiteral("/64");
}

} // namespace organizer::http
