#pragma once

#include "flowtimeline.h"

#include <QObject>
#include <QTimer>
#include <QUrl>

#include <functional>

namespace organizer::app {

// What a page offers a person, as the automation reads it: recognised generically, the way a
// password manager does (autocomplete="username|email", type=email, type=password, a button that
// reads Accept/Allow/Authorize), so Organizer's pages, Auth0's Universal Login (identifier first,
// then password) and a stock provider's pages all work.
struct PageShape
{
    QUrl url;
    QString title;
    bool identifierField = false;
    bool passwordField = false;
    bool acceptButton = false; // only on a page without credential fields
    QString errorText; // a visible alert, if the page shows one
    QString formAction; // how the page's form is sent, e.g. "POST /login" (for the timeline)
    bool loaded = true; // false: the page did not load at all

    bool recognised() const { return identifierField || passwordField || acceptButton; }
    QString kind() const;
};

// What shows a login page: the embedded web view in the app (ui/ implements it), or in tests a plain
// HTTP client that submits the same forms. Automation asks for what a person would do on the hosted
// pages, never more: open a URL, send the login form, answer the consent page.
class LoginBrowser : public QObject
{
    Q_OBJECT

public:
    using QObject::QObject;
    virtual void open(const QUrl &url) = 0;
    // Reads the page now shown (asynchronously: the page may still be running its scripts).
    virtual void inspect(std::function<void(const PageShape &)> done) = 0;
    // Types into the identifier and password fields the page has (an empty value is left out) and
    // sends the form, as a person would.
    virtual void submitLogin(const QString &login, const QString &password) = 0;
    // On a consent page: press Accept (or Deny).
    virtual void answerConsent(bool accept) = 0;
    // Forgets the login server's session cookie, so the next /authorize asks who is there.
    virtual void clearSession() = 0;

Q_SIGNALS:
    void pageLoaded(const QUrl &url, bool ok);
};

// Types into the login and consent pages like a person would: the identifier and password (on one
// page, or identifier first and then the password), then "Accept" on a consent page. A credential
// page that comes back after it was answered means the login was refused; a page it cannot
// recognise is reported by name within seconds. Used by the demo and the scope QA run.
class LoginAutomation : public QObject
{
    Q_OBJECT

public:
    explicit LoginAutomation(LoginBrowser *browser, QObject *parent = nullptr);

    // Arms the automation for one login; pages seen while disarmed are left alone.
    void expect(const QString &login, const QString &password);
    // Arms it for a login a person types by hand: credential pages (and pages it cannot read, such
    // as a second factor) are left to them, announced once with personNeeded(); consent is still
    // answered, so a QA run asks each person to log in once and goes on by itself.
    void expectByHand(const QString &login);
    void disarm();
    // How long a page may take to show something recognisable (pages built by scripts).
    static constexpr int kRecogniseWithinMs = 4000;

Q_SIGNALS:
    // The login page came back after the form was sent (wrong email or password).
    void failed(const QString &reason);
    void consentAccepted();
    void personNeeded(const QString &login, const QString &page);
    void step(organizer::app::Lane from, organizer::app::Lane to, const QString &label, organizer::app::FlowStep::Outcome outcome, const QString &detail);

private:
    void onPage(const QUrl &url, bool ok);
    void inspectNow();
    void act(const PageShape &page);
    void fail(const QString &reason);

    LoginBrowser *m_browser;
    QString m_login;
    QString m_password;
    QString m_lastAnswered; // the kind of credential page last filled in
    QTimer m_retry;
    int m_attempts = 0;
    quint64 m_pageGeneration = 0;
    bool m_armed = false;
    bool m_byHand = false;
    bool m_personAsked = false;
};

} // namespace organizer::app
