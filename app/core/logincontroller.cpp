#include "logincontroller.h"

namespace organizer::app {

LoginController::LoginController(LoginSession *session, ApiClient *api, QObject *parent) : QObject(parent), m_session(session), m_api(api)
{
    connect(m_session, &LoginSession::step, this,
            [this](Lane from, Lane to, const QString &label, FlowStep::Outcome outcome, const QString &detail) { record(from, to, label, outcome, detail); });
    connect(m_session, &LoginSession::succeeded, this, [this] { m_loggedIn = true; });
    connect(m_api, &ApiClient::finished, this, [this](const ApiCall &call) {
        if (!m_loggedIn)
            return;
        record(Lane::App, laneForApiPath(call.url.path()),
               QStringLiteral("%1 %2 → %3")
                   .arg(QString::fromLatin1(call.method), call.url.path())
                   .arg(call.status == 0 ? QStringLiteral("no answer") : QString::number(call.status)),
               call.succeeded() ? FlowStep::Outcome::Ok : FlowStep::Outcome::Failed, call.summary(), qint64(call.durationMs + 0.5));
    });
}

Expected<LoginController::Browser, QString> LoginController::start(Profile profile, const QUrl &localIssuer)
{
    m_loggedIn = false;
    m_timeline = FlowTimeline(QStringLiteral("%1 login to %2")
                                  .arg(profile.flow == Flow::AuthorizationCodePkce ? QStringLiteral("Code + PKCE") : QStringLiteral("Implicit"),
                                       profile.local ? QStringLiteral("the bundled server") : profile.name));
    m_timeline.start();
    Q_EMIT timelineChanged(m_timeline);
    m_api->setBaseUrl(profile.local ? localIssuer : profile.apiBaseUrl);
    LoginSettings settings = profile.loginSettings(localIssuer);
    m_loopback.reset();
    m_browser = browserFor(profile);
    if (m_browser == Browser::System) {
        // RFC 8252 §7.3: the system browser, and a loopback redirect to a port picked now; the
        // fragment of an implicit answer never reaches a server, so always Code + PKCE.
        m_loopback = std::make_unique<LoopbackReceiver>();
        QString error;
        if (!m_loopback->listen(&error))
            return Unexpected<QString>(QStringLiteral("cannot listen on a loopback port: %1").arg(error));
        connect(m_loopback.get(), &LoopbackReceiver::redirectReceived, m_session, &LoginSession::handleRedirect);
        settings.redirectUri = m_loopback->redirectUri();
        settings.flow = Flow::AuthorizationCodePkce;
    }
    m_session->start(settings);
    return m_browser;
}

void LoginController::record(Lane from, Lane to, const QString &label, FlowStep::Outcome outcome, const QString &detail, qint64 durationMs)
{
    if (!m_timeline.isStarted())
        return;
    m_timeline.add(from, to, label, outcome, detail, durationMs);
    Q_EMIT timelineChanged(m_timeline);
}

} // namespace organizer::app
