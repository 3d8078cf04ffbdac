#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

namespace organizer {

// application/x-www-form-urlencoded (WHATWG URL §5, RFC 6749 Appendix B): the encoding of every
// OAuth query string, fragment and form body. '+' is a space, '%XX' a byte, names and values are
// UTF-8. Both servers and the app read and write parameters only through this type, so a value
// means the same on both ends of the wire whichever library encoded it.
class FormData
{
public:
    using Item = QPair<QString, QString>;

    FormData() = default;
    FormData(std::initializer_list<Item> items) : m_items(items) {}

    // Never fails: a '%' not followed by two hex digits stays literal, as in a browser. Invalid UTF-8
    // becomes U+FFFD; hasInvalidUtf8() tells a caller that wants to refuse such input.
    static FormData parse(QByteArrayView encoded);

    QString value(QStringView name) const; // the first value, or a null string
    QStringList values(QStringView name) const;
    bool contains(QStringView name) const;
    qsizetype count(QStringView name) const;
    const QList<Item> &items() const { return m_items; }
    bool isEmpty() const { return m_items.isEmpty(); }
    bool hasInvalidUtf8() const { return m_invalidUtf8; }
    // The first name that appears more than once, or a null string.
    QString firstRepeatedName() const;

    void add(const QString &name, const QString &value) { m_items.append({name, value}); }
    void set(const QString &name, const QString &value);

    // Every byte outside ALPHA / DIGIT / "*-._" percent-encoded, spaces as %20 rather than '+': a
    // form decoder and a plain percent-decoder (decodeURIComponent) read the same value, so the
    // result means one thing in a query string, a fragment and a form body alike.
    QByteArray encode() const;
    QString toString() const { return QString::fromLatin1(encode()); }

    static QByteArray encodeComponent(const QString &text);
    static QString decodeComponent(QByteArrayView encoded, bool *invalidUtf8 = nullptr);

private:
    QList<Item> m_items;
    bool m_invalidUtf8 = false;
};

} // namespace organizer
