#include "pages.h"

#include "oautherror.h"

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

http::Response assetResponse(const http::Request &request)
{
    const QString name = request.pathParameters.value(QStringLiteral("name"));
    const QByteArray asset = name.endsWith(QLatin1String(".html")) ? QByteArray() : pageAsset(name);
    if (asset.isEmpty())
        return oauth::notFoundResponse(QStringLiteral("no such asset"));
    http::Response response;
    response.body = asset;
    response.setHeader("content-type", name.endsWith(QLatin1String(".css")) ? "text/css; charset=utf-8" : "image/svg+xml");
    response.setHeader("cache-control", "public, max-age=3600");
    return response;
}

http::Response page(int status, const QByteArray &html, const QString &formTarget)
{
    http::Response response;
    response.status = status;
    response.body = html;
    response.setHeader("content-type", "text/html; charset=utf-8");
    response.setHeader("cache-control", "no-store");
    const QByteArray formAction = formTarget.isEmpty() ? QByteArray("'self'") : "'self' " + formTarget.toUtf8();
    response.setHeader("content-security-policy",
                       "default-src 'none'; style-src 'self'; img-src 'self'; form-action " + formAction + "; frame-ancestors 'none'; base-uri 'none'");
    response.setHeader("x-frame-options", "DENY");
    response.setHeader("referrer-policy", "no-referrer");
    return response;
}

http::Response errorPage(int status, const QString &title, const QString &message)
{
    return page(status,
                renderPage(QStringLiteral("message.html"),
                           {{QStringLiteral("title"), title},
                            {QStringLiteral("body"),
                             QStringLiteral("<p class=\"error\">%1</p><p class=\"muted\">Go back to the application and start "
                                            "the login again.</p>")
                                 .arg(htmlEscape(message))}}));
}

http::Response redirect(const QUrl &location)
{
    http::Response response;
    response.status = 302;
    response.setHeader("location", location.toString(QUrl::FullyEncoded).toUtf8());
    response.setHeader("cache-control", "no-store");
    return response;
}

std::optional<FormData> parseForm(const QByteArray &body)
{
    FormData form = FormData::parse(body);
    if (form.hasInvalidUtf8())
        return std::nullopt;
    return form;
}

QString originOf(const QUrl &url)
{
    return url.adjusted(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo).toString();
}

} // namespace organizer::authorization
