#include "formencoding.h"

#include <QSet>
#include <QStringDecoder>

namespace organizer {

namespace {

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool isUnreservedInForms(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '*' || c == '-' || c == '.' || c == '_';
}

} // namespace

QString FormData::decodeComponent(QByteArrayView encoded, bool *invalidUtf8)
{
    QByteArray bytes;
    bytes.reserve(encoded.size());
    for (qsizetype i = 0; i < encoded.size(); ++i) {
        const char c = encoded.at(i);
        if (c == '+') {
            bytes += ' ';
        } else if (c == '%' && i + 2 < encoded.size() && hexValue(encoded.at(i + 1)) >= 0 && hexValue(encoded.at(i + 2)) >= 0) {
            bytes += char(hexValue(encoded.at(i + 1)) * 16 + hexValue(encoded.at(i + 2)));
            i += 2;
        } else {
            bytes += c;
        }
    }
    QStringDecoder utf8(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    QString text = utf8(bytes);
    if (invalidUtf8)
        *invalidUtf8 = utf8.hasError();
    return text;
}

QByteArray FormData::encodeComponent(const QString &text)
{
    static const char kHex[] = "0123456789ABCDEF";
    const QByteArray bytes = text.toUtf8();
    QByteArray out;
    out.reserve(bytes.size() * 3 / 2);
    for (const char byte : bytes) {
        const auto c = static_cast<unsigned char>(byte);
        if (isUnreservedInForms(c)) {
            out += char(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        }
    }
    return out;
}

FormData FormData::parse(QByteArrayView encoded)
{
    FormData form;
    qsizetype start = 0;
    while (start <= encoded.size()) {
        qsizetype end = encoded.indexOf('&', start);
        if (end < 0)
            end = encoded.size();
        const QByteArrayView pair = encoded.sliced(start, end - start);
        if (!pair.isEmpty()) {
            const qsizetype eq = pair.indexOf('=');
            bool badName = false;
            bool badValue = false;
            const QString name = decodeComponent(eq < 0 ? pair : pair.first(eq), &badName);
            const QString value = eq < 0 ? QString(QLatin1String("")) : decodeComponent(pair.sliced(eq + 1), &badValue);
            form.m_invalidUtf8 = form.m_invalidUtf8 || badName || badValue;
            form.m_items.append({name, value});
        }
        start = end + 1;
    }
    return form;
}

QString FormData::value(QStringView name) const
{
    for (const Item &item : m_items) {
        if (item.first == name)
            return item.second;
    }
    return {};
}

QStringList FormData::values(QStringView name) const
{
    QStringList out;
    for (const Item &item : m_items) {
        if (item.first == name)
            out.append(item.second);
    }
    return out;
}

bool FormData::contains(QStringView name) const
{
    return count(name) > 0;
}

qsizetype FormData::count(QStringView name) const
{
    qsizetype n = 0;
    for (const Item &item : m_items)
        n += item.first == name ? 1 : 0;
    return n;
}

QString FormData::firstRepeatedName() const
{
    QSet<QString> seen;
    for (const Item &item : m_items) {
        if (seen.contains(item.first))
            return item.first;
        seen.insert(item.first);
    }
    return {};
}

void FormData::set(const QString &name, const QString &value)
{
    m_items.removeIf([&](const Item &item) { return item.first == name; });
    m_items.append({name, value});
}

QByteArray FormData::encode() const
{
    QByteArray out;
    for (const Item &item : m_items) {
        if (!out.isEmpty())
            out += '&';
        out += encodeComponent(item.first) + '=' + encodeComponent(item.second);
    }
    return out;
}

} // namespace organizer
