#pragma once

#include "flowtimeline.h"

#include <QObject>
#include <QUrl>

namespace organizer::app {

// What shows a login page: the embedded web view in the app (ui/ implements it). Automation only
// loads URLs and runs a line of script to fill in a form, as a person would type.
class LoginBrowser : public QObject
{
    Q_OBJECT

public:
    using QObject::QObject;
    virtual void open(const QUrl &url) = 0;
    virtual void runScript(const QString &script) = 0;
    // Forgets the login server's session cookie, so the next /authorize asks who is there.
    virtual void clearSession() = 0;

Q_SIGNALS:
    void pageLoaded(const QUrl &url, bool ok);
};

// Types into the hosted login and consent pages like a person would: the email and password once,
// then "Accept" on the consent page. Used by the demo and the scope QA run.
class LoginAutomation : public QObject
{
    Q_OBJECT

public:
    explicit LoginAutomation(LoginBrowser *browser, QObject *parent = nullptr);

    // Arms the automation for one login; pages seen while disarmed are left alone.
    void expect(const QString &login, const QString &password);
    void disarm() { m_armed = false; }

Q_SIGNALS:
    // The login page came back after the form was sent (wrong email or password).
    void failed(const QString &reason);
    void consentAccepted();
    void step(organizer::app::Lane from, organizer::app::Lane to, const QString &label, organizer::app::FlowStep::Outcome outcome,
              const QString &detail);

private:
    void onPage(const QUrl &url, bool ok);

    LoginBrowser *m_browser;
    QString m_login;
    QString m_password;
    int m_loginPagesSeen = 0;
    bool m_armed = false;
};

} // namespace organizer::app
