#pragma once

#include "apiclient.h"
#include "expected.h"
#include "flowtimeline.h"
#include "loginsession.h"
#include "loopbackreceiver.h"
#include "profiles.h"

#include <QObject>

#include <memory>

namespace organizer::app {

// One login for a profile, as the window runs it: which browser the authorization request opens in
// (the embedded view, or — RFC 8252 — the system browser with a loopback redirect on a port picked
// now), the settings the session starts with, where the APIs are, and the login's timeline, with the
// calls made with its token. The window shows the view and the timeline; it decides none of this.
class LoginController : public QObject
{
    Q_OBJECT

public:
    enum class Browser { Embedded, System };

    LoginController(LoginSession *session, ApiClient *api, QObject *parent = nullptr);

    // The one place that decides: the bundled server's login in the embedded view; another
    // provider's there too unless its profile asks for the system browser.
    static Browser browserFor(const Profile &profile) { return !profile.local && profile.useSystemBrowser ? Browser::System : Browser::Embedded; }

    // `localIssuer`: the bundled server, for the Local profile. The error is one sentence.
    Expected<Browser, QString> start(Profile profile, const QUrl &localIssuer);
    Browser browser() const { return m_browser; }
    QUrl loopbackRedirect() const { return m_loopback ? m_loopback->redirectUri() : QUrl(); }

    const FlowTimeline &timeline() const { return m_timeline; }
    // A step only the window sees (a page of the login loaded in its view).
    void record(Lane from, Lane to, const QString &label, FlowStep::Outcome outcome, const QString &detail = {}, qint64 durationMs = -1);
    // Calls stop being drawn on the timeline (logged out).
    void endLogin() { m_loggedIn = false; }

Q_SIGNALS:
    void timelineChanged(const organizer::app::FlowTimeline &timeline);

private:
    LoginSession *m_session;
    ApiClient *m_api;
    std::unique_ptr<LoopbackReceiver> m_loopback;
    FlowTimeline m_timeline; // the last login and the calls made with its token
    Browser m_browser = Browser::Embedded;
    bool m_loggedIn = false;
};

} // namespace organizer::app
