#include "loginautomation.h"

namespace organizer::app {

namespace {

constexpr int kRetryMs = 250;

} // namespace

QString PageShape::kind() const
{
    if (identifierField && passwordField)
        return QStringLiteral("login page");
    if (identifierField)
        return QStringLiteral("identifier page");
    if (passwordField)
        return QStringLiteral("password page");
    if (acceptButton)
        return QStringLiteral("consent page");
    return QStringLiteral("unrecognised page");
}

LoginAutomation::LoginAutomation(LoginBrowser *browser, QObject *parent) : QObject(parent), m_browser(browser)
{
    m_retry.setSingleShot(true);
    m_retry.setInterval(kRetryMs);
    connect(&m_retry, &QTimer::timeout, this, &LoginAutomation::inspectNow);
    connect(m_browser, &LoginBrowser::pageLoaded, this, &LoginAutomation::onPage);
}

void LoginAutomation::expect(const QString &login, const QString &password)
{
    m_login = login;
    m_password = password;
    m_lastAnswered.clear();
    m_byHand = false;
    m_armed = true;
}

void LoginAutomation::expectByHand(const QString &login)
{
    expect(login, QString());
    m_byHand = true;
    m_personAsked = false;
}

void LoginAutomation::disarm()
{
    m_armed = false;
    m_retry.stop();
    ++m_pageGeneration;
}

void LoginAutomation::onPage(const QUrl &, bool)
{
    if (!m_armed)
        return;
    // A refused login may answer 401 with the form again: the page is read whatever its status.
    ++m_pageGeneration;
    m_attempts = 0;
    m_retry.stop();
    inspectNow();
}

void LoginAutomation::inspectNow()
{
    if (!m_armed)
        return;
    const quint64 generation = m_pageGeneration;
    ++m_attempts;
    m_browser->inspect([this, generation](const PageShape &page) {
        if (!m_armed || generation != m_pageGeneration)
            return; // another page has loaded since
        if (!page.recognised() && m_attempts * kRetryMs < kRecogniseWithinMs) {
            m_retry.start(); // scripts may still be building the page
            return;
        }
        act(page);
    });
}

void LoginAutomation::act(const PageShape &page)
{
    const QString where = page.url.toString(QUrl::RemoveQuery | QUrl::RemoveFragment);
    if (m_byHand && !page.acceptButton) {
        if (!m_personAsked) {
            m_personAsked = true;
            Q_EMIT step(Lane::AuthorizationServer, Lane::Browser, QStringLiteral("%1: waiting for %2 to log in by hand").arg(page.kind(), m_login),
                        FlowStep::Outcome::Info, where);
            Q_EMIT personNeeded(m_login, where);
        }
        return;
    }
    if (!page.recognised()) {
        const QString title = page.title.isEmpty() ? QString() : QStringLiteral(" (\"%1\")").arg(page.title.left(80));
        const QString says = page.errorText.isEmpty() ? QString() : QStringLiteral("; it says \"%1\"").arg(page.errorText.left(200));
        fail(page.loaded
                 ? QStringLiteral("the page %1%2 has no login form, password field or consent button that Organizer recognises%3").arg(where, title, says)
                 : QStringLiteral("the page %1 did not load%2").arg(where, page.errorText.isEmpty() ? QString() : QStringLiteral(": ") + page.errorText));
        return;
    }
    const QString kind = page.kind();
    Q_EMIT step(Lane::AuthorizationServer, Lane::Browser, kind, FlowStep::Outcome::Info, page.url.toString());
    const QString sent = page.formAction.isEmpty() ? QStringLiteral("send the form") : page.formAction;
    if (page.acceptButton) {
        Q_EMIT step(Lane::Browser, Lane::AuthorizationServer, QStringLiteral("%1: Accept").arg(sent), FlowStep::Outcome::Ok, where);
        Q_EMIT consentAccepted();
        m_lastAnswered = kind;
        m_browser->answerConsent(true);
        return;
    }
    // The same credential page again right after it was answered: the provider refused it.
    if (kind == m_lastAnswered) {
        const QString shown = page.errorText.isEmpty() ? QString() : QStringLiteral(": \"%1\"").arg(page.errorText.left(160));
        fail(QStringLiteral("the %1 came back (wrong email or password for %2?)%3").arg(kind, m_login, shown));
        return;
    }
    m_lastAnswered = kind;
    const QString login = page.identifierField ? m_login : QString();
    const QString password = page.passwordField ? m_password : QString();
    Q_EMIT step(Lane::Browser, Lane::AuthorizationServer, QStringLiteral("%1 as %2").arg(sent, m_login), FlowStep::Outcome::Info,
                page.passwordField ? QStringLiteral("password=%1").arg(m_password) : QString());
    m_browser->submitLogin(login, password);
}

void LoginAutomation::fail(const QString &reason)
{
    disarm();
    Q_EMIT step(Lane::AuthorizationServer, Lane::Browser, QStringLiteral("login stopped: %1").arg(reason), FlowStep::Outcome::Failed, {});
    Q_EMIT failed(reason);
}

} // namespace organizer::app
