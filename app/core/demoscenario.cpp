#include "demoscenario.h"

#include "catalogue.h"

#include "profiles.h"

#include <QJsonArray>
#include <QJsonObject>

namespace organizer::app {

DemoScenario::DemoScenario(AppController *app, LoginBrowser *browser, DemoOptions options, QObject *parent)
    : QObject(parent), m_app(app), m_server(app->server()), m_session(app->session()), m_api(app->api()), m_browser(browser), m_automation(browser),
      m_options(std::move(options))
{
    m_timeout.setSingleShot(true);
    connect(&m_timeout, &QTimer::timeout, this,
            [this] { finish(false, QStringLiteral("the demo did not finish within %1 seconds").arg(m_options.timeoutMs / 1000)); });
}

void DemoScenario::say(const QString &text)
{
    m_report.append(text);
    Q_EMIT line(text);
}

void DemoScenario::run()
{
    m_clock.start();
    m_timeout.start(m_options.timeoutMs);
    say(QStringLiteral("Organizer demo: %1 logs in with the %2 flow and calls both APIs")
            .arg(m_options.user, m_options.flow == Flow::Implicit ? QStringLiteral("implicit (id_token token)") : QStringLiteral("authorization code + PKCE")));
    m_automation.expect(m_options.user, m_options.password);
    connect(&m_automation, &LoginAutomation::failed, this, [this](const QString &reason) { finish(false, QStringLiteral("login failed: %1").arg(reason)); });
    connect(&m_automation, &LoginAutomation::consentAccepted, this, [this] { say(QStringLiteral("  consent     accepted on the consent page")); });
    // Once the controller handed the token to the API client.
    connect(m_app, &AppController::loggedIn, this, &DemoScenario::onLoggedIn);
    connect(m_session, &LoginSession::authorizeWithBrowser, this, [this] {
        if (m_loginStartedMs < 0)
            m_loginStartedMs = m_clock.elapsed();
    });
    connect(m_session, &LoginSession::failed, this, [this](const LoginError &error) { finish(false, QStringLiteral("login failed: %1").arg(error.message)); });
    if (m_options.startsLogin)
        connect(m_session, &LoginSession::authorizeWithBrowser, m_browser, &LoginBrowser::open);
    connect(m_api, &ApiClient::finished, this, &DemoScenario::onCall);
    if (!m_options.profile.local) {
        const QUrl apiBase = m_options.profile.apiBaseUrl.isEmpty() ? m_options.profile.issuer : m_options.profile.apiBaseUrl;
        say(QStringLiteral("  provider    %1 (%2)").arg(m_options.profile.issuer.toString(), m_options.profile.name));
        say(QStringLiteral("  APIs        %1").arg(apiBase.toString()));
        begin(m_options.profile.issuer, apiBase);
        return;
    }
    // Only the Local profile uses the bundled server (the window may run one for itself anyway).
    connect(m_server, &ServerLauncher::stateChanged, this, &DemoScenario::onServerState);
    if (m_server->state() == ServerLauncher::State::Running)
        onServerState(ServerLauncher::State::Running);
    else
        m_server->start();
}

void DemoScenario::onServerState(ServerLauncher::State state)
{
    if (m_done)
        return;
    if (state == ServerLauncher::State::Failed)
        return finish(false, QStringLiteral("the bundled server is unreachable: %1").arg(m_server->errorString()));
    if (state != ServerLauncher::State::Running)
        return;
    if (const auto &ca = m_server->trustedCa())
        say(QStringLiteral("  server      %1 (bundled organizer-server, HTTPS: its local CA \"%2\" trusted for it alone)")
                .arg(m_server->url().toString(), ca->commonName()));
    else
        say(QStringLiteral("  server      %1 (bundled organizer-server)").arg(m_server->url().toString()));
    begin(m_server->url(), m_server->url());
}

void DemoScenario::begin(const QUrl &issuer, const QUrl &apiBase)
{
    Profile profile = m_options.profile;
    profile.flow = m_options.flow;
    profile.scopes = m_options.scopes;
    m_api->setBaseUrl(apiBase);
    if (m_options.startsLogin)
        m_session->start(profile.loginSettings(issuer));
}

void DemoScenario::onLoggedIn(const LoginResult &result)
{
    if (m_done)
        return;
    Q_EMIT loggedIn(result);
    m_granted = result.grantedScopes;
    say(QStringLiteral("  user        %1 (%2)")
            .arg(result.idTokenClaims.value(QLatin1String("name")).toString(m_options.user), result.idTokenClaims.value(QLatin1String("sub")).toString()));
    say(QStringLiteral("  requested   %1").arg(result.requestedScopes.join(QLatin1Char(' '))));
    say(QStringLiteral("  granted     %1").arg(result.grantedScopes.join(QLatin1Char(' '))));
    say(QStringLiteral("  id token    verified: RS256 signature (kid %1), iss, aud, exp, nonce%2")
            .arg(result.idTokenHeader.value(QLatin1String("kid")).toString().left(12),
                 result.idTokenClaims.contains(QLatin1String("at_hash")) ? QStringLiteral(", at_hash") : QString()));
    say(QStringLiteral("  login took  %1 ms").arg(m_clock.elapsed()));
    // Every API's list, one call each: what the granted scopes predict is checked for each.
    m_pendingCalls.clear();
    for (const catalogue::ApiSpec &api : catalogue::organizerService().apis)
        m_pendingCalls.append(m_api->send("GET", api.path()));
}

void DemoScenario::onCall(const ApiCall &call)
{
    if (m_done || !m_pendingCalls.contains(call.id))
        return;
    m_pendingCalls.removeAll(call.id);
    if (m_firstAnswerMs < 0 && m_loginStartedMs >= 0) {
        m_firstAnswerMs = m_clock.elapsed();
        say(QStringLiteral("  round trip  %1 ms from opening the login page to the first API answer").arg(m_firstAnswerMs - m_loginStartedMs));
    }
    const QString scope = requiredScope(call.method, call.url.path());
    const int expected = m_granted.contains(scope) ? 200 : 403;
    const bool asPredicted = call.status == expected;
    m_callsOk = m_callsOk && asPredicted;
    QString detail;
    const QJsonObject body = call.json().object();
    if (call.succeeded()) {
        const QString collection = call.url.path().section(QLatin1Char('/'), -1);
        detail = QStringLiteral("%1 %2").arg(body.value(collection).toArray().size()).arg(collection);
    } else {
        detail = call.summary();
    }
    say(QStringLiteral("  %1 %2 -> %3  %4  (expected %5 from the granted scopes: %6)")
            .arg(QString::fromLatin1(call.method), call.url.path().leftJustified(18), QString::number(call.status), detail, QString::number(expected),
                 asPredicted ? QStringLiteral("as predicted") : QStringLiteral("NOT as predicted")));
    if (m_pendingCalls.isEmpty())
        finish(m_callsOk, m_callsOk ? QString() : QStringLiteral("an API answered differently from what the granted scopes predict"));
}

void DemoScenario::finish(bool passed, const QString &why)
{
    if (m_done)
        return;
    m_done = true;
    m_timeout.stop();
    m_passed = passed;
    say(passed ? QStringLiteral("result: ok (%1 ms)").arg(m_clock.elapsed()) : QStringLiteral("result: FAILED: %1").arg(why));
    Q_EMIT finished(passed);
}

} // namespace organizer::app
