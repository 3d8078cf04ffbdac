#include "testbrowser.h"

#include <QRegularExpression>

namespace organizer::test {

QUrlQuery TestBrowser::Outcome::parameters() const
{
    return QUrlQuery(redirect.hasFragment() ? redirect.fragment(QUrl::FullyEncoded) : redirect.query(QUrl::FullyEncoded));
}

void TestBrowser::remember(const HttpReply &reply)
{
    for (const auto &[name, value] : reply.headers) {
        if (name != "set-cookie")
            continue;
        const QByteArray pair = value.split(';').first();
        const qsizetype eq = pair.indexOf('=');
        const QByteArray key = pair.left(eq).trimmed();
        if (value.contains("Max-Age=0") || pair.mid(eq + 1).isEmpty())
            m_cookies.remove(key);
        else
            m_cookies.insert(key, pair.mid(eq + 1));
    }
}

QByteArray TestBrowser::cookieHeader() const
{
    QByteArrayList pairs;
    for (auto it = m_cookies.constBegin(); it != m_cookies.constEnd(); ++it)
        pairs.append(it.key() + '=' + it.value());
    return pairs.join("; ");
}

HttpReply TestBrowser::get(const QByteArray &pathAndQuery)
{
    QList<QPair<QByteArray, QByteArray>> headers;
    if (!m_cookies.isEmpty())
        headers.append(qMakePair(QByteArray("cookie"), cookieHeader()));
    HttpReply reply = sendHttp(m_port, {"GET", pathAndQuery, headers, {}});
    remember(reply);
    return reply;
}

HttpReply TestBrowser::postForm(const QByteArray &path, const QList<QPair<QString, QString>> &fields)
{
    QByteArrayList pairs;
    for (const auto &[name, value] : fields)
        pairs.append(QUrl::toPercentEncoding(name) + '=' + QUrl::toPercentEncoding(value));
    QList<QPair<QByteArray, QByteArray>> headers{{"content-type", "application/x-www-form-urlencoded"}};
    if (!m_cookies.isEmpty())
        headers.append(qMakePair(QByteArray("cookie"), cookieHeader()));
    HttpReply reply = sendHttp(m_port, {"POST", path, headers, pairs.join('&')});
    remember(reply);
    return reply;
}

HttpReply TestBrowser::postRaw(const QByteArray &path, const QByteArray &contentType, const QByteArray &body)
{
    QList<QPair<QByteArray, QByteArray>> headers{{"content-type", contentType}};
    if (!m_cookies.isEmpty())
        headers.append(qMakePair(QByteArray("cookie"), cookieHeader()));
    HttpReply reply = sendHttp(m_port, {"POST", path, headers, body});
    remember(reply);
    return reply;
}

QString TestBrowser::hiddenField(const QByteArray &html, const QString &name)
{
    const QRegularExpression pattern(QStringLiteral("name=\"%1\" value=\"([^\"]*)\"").arg(QRegularExpression::escape(name)));
    return pattern.match(QString::fromUtf8(html)).captured(1);
}

TestBrowser::Outcome TestBrowser::authorize(const QString &query, const QString &login, const QString &password, bool accept)
{
    Outcome outcome;
    HttpReply reply = get("/authorize?" + query.toUtf8());
    for (int step = 0; step < 6; ++step) {
        outcome.lastReply = reply;
        if (reply.status != 302) {
            outcome.failure = QStringLiteral("stopped at a %1 page: %2").arg(reply.status).arg(QString::fromUtf8(reply.body.left(300)));
            return outcome;
        }
        const QUrl location(QString::fromUtf8(reply.header("location")));
        if (!location.host().isEmpty() && location.port() != m_port) {
            outcome.redirect = location;
            return outcome;
        }
        const QByteArray target = location.toString(QUrl::RemoveScheme | QUrl::RemoveAuthority | QUrl::FullyEncoded).toUtf8();
        const HttpReply page = get(target);
        if (page.status != 200) {
            outcome.lastReply = page;
            outcome.failure = QStringLiteral("%1 answered %2").arg(QString::fromUtf8(target)).arg(page.status);
            return outcome;
        }
        const QString transaction = hiddenField(page.body, QStringLiteral("transaction"));
        const QString csrf = hiddenField(page.body, QStringLiteral("csrf"));
        if (target.startsWith("/login")) {
            reply = postForm("/login",
                             {{QStringLiteral("transaction"), transaction},
                              {QStringLiteral("csrf"), csrf},
                              {QStringLiteral("username"), login},
                              {QStringLiteral("password"), password}});
        } else if (target.startsWith("/consent")) {
            outcome.sawConsent = true;
            reply = postForm("/consent",
                             {{QStringLiteral("transaction"), transaction},
                              {QStringLiteral("csrf"), csrf},
                              {QStringLiteral("decision"), accept ? QStringLiteral("accept") : QStringLiteral("deny")}});
        } else {
            outcome.failure = QStringLiteral("unexpected page %1").arg(QString::fromUtf8(target));
            return outcome;
        }
    }
    outcome.failure = QStringLiteral("too many steps");
    return outcome;
}

} // namespace organizer::test
