#include "webmessage.h"

#include "authorizationcontext.h"
#include "pages.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

namespace organizer::authorization {

QString browserOrigin(const QUrl &url)
{
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || (scheme != QLatin1String("http") && scheme != QLatin1String("https")))
        return {};
    const QString host = url.host(QUrl::FullyEncoded).toLower();
    if (host.isEmpty())
        return {};
    QString origin = scheme + QLatin1String("://") + (host.contains(QLatin1Char(':')) ? QLatin1Char('[') + host + QLatin1Char(']') : host);
    const int port = url.port();
    if (port != -1 && port != (scheme == QLatin1String("https") ? 443 : 80))
        origin += QLatin1Char(':') + QString::number(port);
    // The origin goes into a header and a script as it is: only what an origin can hold gets there.
    static const QRegularExpression shape(QStringLiteral("^https?://([a-z0-9._-]+|\\[[0-9a-f:.]+\\])(:[0-9]{1,5})?$"));
    return shape.match(origin).hasMatch() ? origin : QString();
}

QStringList exactWebOrigins(const Client &client)
{
    QStringList origins;
    for (const QString &entry : client.webOrigins) {
        if (entry.contains(QLatin1Char('*')))
            continue;
        const QUrl url(entry, QUrl::StrictMode);
        const QString path = url.path();
        if (!url.isValid() || !url.userInfo().isEmpty() || url.hasQuery() || url.hasFragment() || (!path.isEmpty() && path != QLatin1String("/")))
            continue;
        const QString origin = browserOrigin(url);
        if (!origin.isEmpty() && !origins.contains(origin))
            origins.append(origin);
    }
    return origins;
}

QString webMessageRefusal(const Client &client, const QUrl &redirectUri)
{
    const QString origin = browserOrigin(redirectUri);
    if (origin.isEmpty())
        return QStringLiteral("response_mode=web_message needs an http or https redirect_uri");
    if (!exactWebOrigins(client).contains(origin))
        return QStringLiteral("response_mode=web_message answers only to an allowed web origin: add %1 to the Allowed Web Origins (web_origins) of "
                              "application %2")
            .arg(origin, client.name);
    return {};
}

QString scriptSafeJson(const QByteArray &compactJson)
{
    const QString json = QString::fromUtf8(compactJson);
    QString out;
    out.reserve(json.size() + 16);
    for (const QChar c : json) {
        const char16_t unit = c.unicode();
        // Outside strings JSON holds none of these, so escaping them changes no value.
        if (unit == u'<' || unit == u'>' || unit == u'&' || unit == 0x2028 || unit == 0x2029)
            out += QStringLiteral("\\u%1").arg(unsigned(unit), 4, 16, QLatin1Char('0'));
        else
            out += c;
    }
    return out;
}

http::Response webMessagePage(const Client *client, const QUrl &redirectUri, const QList<QPair<QString, QString>> &parameters)
{
    // Checked again here, against the tenant as it is now: the application may have lost the origin
    // (or gone) while the person was on the login page.
    if (!client)
        return errorPage(400, QStringLiteral("This login request cannot be completed"), QStringLiteral("The application no longer exists."));
    if (const QString refusal = webMessageRefusal(*client, redirectUri); !refusal.isNull()) {
        qCInfo(lcAuthorization).noquote() << "web_message answer withheld:" << refusal;
        return errorPage(400, QStringLiteral("This login request cannot be completed"), refusal);
    }
    QJsonObject response;
    for (const auto &[name, value] : parameters) {
        if (value.isEmpty())
            continue;
        bool number = false;
        const qint64 seconds = name == QLatin1String("expires_in") ? value.toLongLong(&number) : 0;
        if (number)
            response.insert(name, seconds);
        else
            response.insert(name, value);
    }
    const QJsonObject message{{QStringLiteral("type"), QStringLiteral("authorization_response")}, {QStringLiteral("response"), response}};
    // browserOrigin() lets through only [a-z0-9._-:[]/]: the origin needs no escaping in a string literal.
    // An iframe (getTokenSilently, checkSession) answers its parent, a popup (loginWithPopup) its opener.
    const QString script = QStringLiteral("\n(function () {\n  var targetOrigin = \"") + browserOrigin(redirectUri) + QStringLiteral("\";\n  var message = ")
        + scriptSafeJson(QJsonDocument(message).toJson(QJsonDocument::Compact))
        + QStringLiteral(";\n  (window.opener || window.parent).postMessage(message, targetOrigin);\n})();\n");
    const QByteArray scriptHash = QCryptographicHash::hash(script.toUtf8(), QCryptographicHash::Sha256).toBase64();

    http::Response page;
    page.status = 200;
    page.body = QStringLiteral("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Authorization response</title></head>\n"
                               "<body><script>%1</script></body></html>\n")
                    .arg(script)
                    .toUtf8();
    page.setHeader("content-type", "text/html; charset=utf-8");
    page.setHeader("cache-control", "no-store");
    // Framed only by the application's own origins (getTokenSilently's iframe); no X-Frame-Options, which
    // would forbid that frame. The one script runs by its hash; nothing else loads.
    page.setHeader("content-security-policy",
                   "default-src 'none'; script-src 'sha256-" + scriptHash + "'; frame-ancestors " + exactWebOrigins(*client).join(QLatin1Char(' ')).toUtf8()
                       + "; base-uri 'none'; form-action 'none'");
    page.setHeader("referrer-policy", "no-referrer");
    return page;
}

} // namespace organizer::authorization
