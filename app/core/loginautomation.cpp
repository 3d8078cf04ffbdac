#include "loginautomation.h"

#include <QUrlQuery>

namespace organizer::app {


LoginAutomation::LoginAutomation(LoginBrowser *browser, QObject *parent) : QObject(parent), m_browser(browser)
{
    connect(m_browser, &LoginBrowser::pageLoaded, this, &LoginAutomation::onPage);
}

void LoginAutomation::expect(const QString &login, const QString &password)
{
    m_login = login;
    m_password = password;
    m_loginPagesSeen = 0;
    m_armed = true;
}

void LoginAutomation::onPage(const QUrl &url, bool ok)
{
    // A failed login answers 401 with the login page again, which the browser reports as not ok.
    if (!m_armed || (!ok && url.path() != QLatin1String("/login")))
        return;
    if (url.path() == QLatin1String("/login")) {
        Q_EMIT step(Lane::AuthorizationServer, Lane::Browser, QStringLiteral("login page"), FlowStep::Outcome::Info, url.toString());
        if (++m_loginPagesSeen > 1) {
            m_armed = false;
            Q_EMIT step(Lane::AuthorizationServer, Lane::Browser, QStringLiteral("login refused: the login page came back"), FlowStep::Outcome::Failed, {});
            Q_EMIT failed(QStringLiteral("the login page came back (wrong email or password for %1?)").arg(m_login));
            return;
        }
        Q_EMIT step(Lane::Browser, Lane::AuthorizationServer, QStringLiteral("POST /login as %1").arg(m_login), FlowStep::Outcome::Info,
                    QStringLiteral("password=%1").arg(m_password));
        m_browser->submitLogin(m_login, m_password);
    } else if (url.path() == QLatin1String("/consent")) {
        Q_EMIT step(Lane::AuthorizationServer, Lane::Browser, QStringLiteral("consent page"), FlowStep::Outcome::Info, {});
        Q_EMIT step(Lane::Browser, Lane::AuthorizationServer, QStringLiteral("POST /consent: Accept"), FlowStep::Outcome::Ok, {});
        Q_EMIT consentAccepted();
        m_browser->answerConsent(true);
    }
}

} // namespace organizer::app
