#include "formloginbrowser.h"

#include <QTimer>

namespace organizer::test {

FormLoginBrowser::FormLoginBrowser(app::LoginSession *session, QObject *parent) : app::LoginBrowser(parent), m_session(session) {}

void FormLoginBrowser::open(const QUrl &url)
{
    // Asynchronous, like a real browser: the caller's signal handler returns before the page "loads".
    QTimer::singleShot(0, this, [this, url] {
        if (!m_browser || m_port != url.port()) {
            m_port = quint16(url.port());
            m_browser = std::make_unique<TestBrowser>(m_port);
        }
        const QByteArray target = url.toString(QUrl::RemoveScheme | QUrl::RemoveAuthority | QUrl::FullyEncoded).toUtf8();
        follow(m_browser->get(target), url);
    });
}

void FormLoginBrowser::submitLogin(const QString &login, const QString &password)
{
    QTimer::singleShot(0, this, [this, login, password] {
        follow(m_browser->postForm("/login", {{QStringLiteral("transaction"), TestBrowser::hiddenField(m_page, QStringLiteral("transaction"))},
                                              {QStringLiteral("csrf"), TestBrowser::hiddenField(m_page, QStringLiteral("csrf"))},
                                              {QStringLiteral("username"), login},
                                              {QStringLiteral("password"), password}}),
               QUrl(QStringLiteral("http://127.0.0.1:%1/login").arg(m_port)));
    });
}

void FormLoginBrowser::answerConsent(bool accept)
{
    QTimer::singleShot(0, this, [this, accept] {
        follow(m_browser->postForm("/consent", {{QStringLiteral("transaction"), TestBrowser::hiddenField(m_page, QStringLiteral("transaction"))},
                                                {QStringLiteral("csrf"), TestBrowser::hiddenField(m_page, QStringLiteral("csrf"))},
                                                {QStringLiteral("decision"), accept ? QStringLiteral("accept") : QStringLiteral("deny")}}),
               QUrl(QStringLiteral("http://127.0.0.1:%1/consent").arg(m_port)));
    });
}

void FormLoginBrowser::clearSession()
{
    if (m_browser)
        m_browser->clearCookies();
}

void FormLoginBrowser::follow(HttpReply reply, QUrl at)
{
    for (int hops = 0; hops < 10 && reply.status / 100 == 3; ++hops) {
        const QUrl location = at.resolved(QUrl(QString::fromUtf8(reply.header("location"))));
        if (m_session->isRedirect(location)) {
            // As the web view does: the redirect URI is never requested; the app gets the URL.
            m_session->handleRedirect(location);
            return;
        }
        at = location;
        reply = m_browser->get(location.toString(QUrl::RemoveScheme | QUrl::RemoveAuthority | QUrl::FullyEncoded).toUtf8());
    }
    m_page = reply.body;
    Q_EMIT pageLoaded(at, reply.status == 200);
}

} // namespace organizer::test
