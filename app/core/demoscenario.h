#pragma once

#include "apiclient.h"
#include "loginautomation.h"
#include "loginsession.h"
#include "profiles.h"
#include "serverlauncher.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace organizer::app {

struct DemoOptions
{
    QString user = QStringLiteral("alice@example.com");
    QString password = QStringLiteral("organizer");
    Flow flow = Flow::Implicit;
    QStringList scopes = defaultLoginScopes();
    int timeoutMs = 90'000;
    // False when the window already started the login and shows the page (the demo only types).
    bool startsLogin = true;
    // Where to log in and which APIs to call: the bundled server (Local), a saved profile or a
    // provider given on the command line.
    Profile profile = Profile::localProfile();
};

// `organizer --demo`: start the bundled server, log in through the real browser (filling the login
// and consent pages), call every API, and compare each answer with what the granted scopes predict.
class DemoScenario : public QObject
{
    Q_OBJECT

public:
    DemoScenario(ServerLauncher *server, LoginSession *session, ApiClient *api, LoginBrowser *browser, DemoOptions options, QObject *parent = nullptr);

    void run();
    QString report() const { return m_report.join(QLatin1Char('\n')); }
    bool passed() const { return m_passed; }

Q_SIGNALS:
    void line(const QString &text);
    void finished(bool passed);
    void loggedIn(const organizer::app::LoginResult &result);

private:
    void say(const QString &text);
    void finish(bool passed, const QString &why = {});
    void onServerState(ServerLauncher::State state);
    void begin(const QUrl &issuer, const QUrl &apiBase);
    void onLoggedIn(const LoginResult &result);
    void onCall(const ApiCall &call);

    ServerLauncher *m_server;
    LoginSession *m_session;
    ApiClient *m_api;
    LoginBrowser *m_browser;
    LoginAutomation m_automation;
    DemoOptions m_options;
    QStringList m_report;
    QStringList m_granted;
    QList<int> m_pendingCalls;
    QTimer m_timeout;
    QElapsedTimer m_clock;
    qint64 m_loginStartedMs = -1; // when /authorize was opened: the start of the round trip
    qint64 m_firstAnswerMs = -1;
    bool m_passed = false;
    bool m_done = false;
    bool m_callsOk = true;
};

} // namespace organizer::app
