#pragma once

#include "appcontroller.h"
#include "demooptions.h"
#include "loginautomation.h"

#include <QElapsedTimer>
#include <QObject>
#include <QTimer>

namespace organizer::app {

// `organizer --demo`: start the bundled server, log in through the real browser (filling the login
// and consent pages), call every API, and compare each answer with what the granted scopes predict.
class DemoScenario : public QObject
{
    Q_OBJECT

public:
    // The login and the calls go through `app`, which hands the login's token to the API client.
    DemoScenario(AppController *app, LoginBrowser *browser, DemoOptions options, QObject *parent = nullptr);

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

    AppController *m_app;
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
