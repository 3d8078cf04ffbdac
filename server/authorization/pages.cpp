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
    QString html = QString::fromUtf8(pageAsset(page));
    for (auto it = values.constBegin(); it != values.constEnd(); ++it) {
        html.replace(QStringLiteral("{{{%1}}}").arg(it.key()), it.value());
        html.replace(QStringLiteral("{{%1}}").arg(it.key()), htmlEscape(it.value()));
    }
    return html.toUtf8();
}

} // namespace organizer::authorization
