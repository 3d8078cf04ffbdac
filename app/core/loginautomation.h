#pragma once

#include "flowtimeline.h"

#include <QObject>
#include <QUrl>

namespace organizer::app {

// What shows a login page: the embedded web view in the app (ui/ implements it), or in tests a plain
// HTTP client that submits the same forms. Automation asks for what a person would do on the hosted
// pages, never more: open a URL, send the login form, answer the consent page.
class LoginBrowser : public QObject
{
    Q_OBJECT

public:
    using QObject::QObject;
    virtual void open(const QUrl &url) = 0;
    // On the login page: type the email and password and send the form.
    virtual void submitLogin(const QString &login, const QString &password) = 0;
    // On the consent page: press Accept or Deny.
    virtual void answerConsent(bool accept) = 0;
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
