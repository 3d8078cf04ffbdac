#include "pages.h"

#include <QFile>

namespace organizer::authorization {

QString htmlEscape(const QString &text)
{
    return text.toHtmlEscaped().replace(QLatin1Char('\''), QLatin1String("&#39;"));
}

QByteArray pageAsset(const QString &name)
{
    if (name.contains(QLatin1Char('/')) || name.startsWith(QLatin1Char('.')))
        return {};
    QFile file(QStringLiteral(":/organizer/pages/") + name);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

QByteArray renderPage(const QString &page, const QHash<QString, QString> &values)
{
    // One pass over the template: a value already inserted is never scanned for placeholders again,
    // so a state "abc{{action}}" or a scope named "{{csrf}}" comes out exactly as sent.
    // {{{name}}} inserts trusted HTML, {{name}} escaped text; an unknown name is left as it is.
    const QString html = QString::fromUtf8(pageAsset(page));
    QString out;
    out.reserve(html.size() + 1024);
    qsizetype at = 0;
    while (at < html.size()) {
        const qsizetype open = html.indexOf(QLatin1String("{{"), at);
        if (open < 0)
            break;
        const bool raw = html.mid(open, 3) == QLatin1String("{{{");
        const qsizetype nameStart = open + (raw ? 3 : 2);
        const qsizetype close = html.indexOf(raw ? QLatin1String("}}}") : QLatin1String("}}"), nameStart);
        if (close < 0)
            break;
        const QString name = html.mid(nameStart, close - nameStart);
        const auto value = values.constFind(name);
        out += QStringView(html).mid(at, open - at);
        if (value == values.cend())
            out += QStringView(html).mid(open, close + (raw ? 3 : 2) - open);
        else
            out += raw ? value.value() : htmlEscape(value.value());
        at = close + (raw ? 3 : 2);
    }
    out += QStringView(html).mid(at);
    return out.toUtf8();
}

} // namespace organizer::authorization
