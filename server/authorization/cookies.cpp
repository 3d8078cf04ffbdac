#include "cookies.h"

#include "tenant.h"

namespace organizer::authorization {

QHash<QByteArray, QByteArray> cookiesOf(const http::Request &request)
{
    QHash<QByteArray, QByteArray> cookies;
    for (const auto &[name, value] : request.headers) {
        if (name != "cookie")
            continue;
        for (const QByteArray &pair : value.split(';')) {
            const qsizetype eq = pair.indexOf('=');
            if (eq > 0)
                cookies.insert(pair.left(eq).trimmed(), pair.mid(eq + 1).trimmed());
        }
    }
    return cookies;
}

CookieSites cookieSitesFor(const QString &issuer)
{
    return issuer.startsWith(QLatin1String("https://"), Qt::CaseInsensitive) ? CookieSites::CrossSite : CookieSites::SameSite;
}

void setCookie(http::Response &response, CookieSites sites, const QByteArray &name, const QByteArray &value, qint64 maxAge)
{
    const QByteArray sameSite = sites == CookieSites::CrossSite ? QByteArray("Secure; SameSite=None") : QByteArray("SameSite=Lax");
    for (const QString &path : sessionCookiePaths())
        response.headers.append(
            qMakePair(QByteArray("set-cookie"),
                      name + '=' + value + "; Path=" + path.toLatin1() + "; HttpOnly; " + sameSite + "; Max-Age=" + QByteArray::number(maxAge)));
}

} // namespace organizer::authorization
