#pragma once

#include "demoscenario.h"

#include <QLineEdit>
#include <QProgressBar>
#include <QWebEnginePage>
#include <QWidget>

#include <functional>

class QWebEngineProfile;
class QWebEngineView;

namespace organizer::ui {

// A page that stops the navigation to the redirect URI before any request leaves (the tokens in its
// fragment never reach a server) and keeps the browser on the login server's origin.
class InterceptingPage : public QWebEnginePage
{
    Q_OBJECT

public:
    InterceptingPage(QWebEngineProfile *profile, QObject *parent);

    std::function<bool(const QUrl &)> isRedirect;
    QString allowedOrigin; // scheme://host:port of the login server

Q_SIGNALS:
    void redirectCaught(const QUrl &url);
    void navigationBlocked(const QUrl &url);
    // A certificate error was not overridden: why, in a sentence.
    void certificateRefused(const QUrl &url, const QString &reason);

protected:
    bool acceptNavigationRequest(const QUrl &url, NavigationType type, bool isMainFrame) override;
};

// The embedded browser of the login dialog: a fresh off-the-record profile per login, a read-only
// address line (so a person sees where they type their password), and a progress bar.
class WebLoginView : public QWidget
{
    Q_OBJECT

public:
    explicit WebLoginView(QWidget *parent = nullptr);
    ~WebLoginView() override;

    void open(const QUrl &url, const QString &allowedOrigin, std::function<bool(const QUrl &)> isRedirect);
    void runScript(const QString &script);
    void evaluate(const QString &script, const std::function<void(const QVariant &)> &done);
    // Drops every cookie of the login server (its session), so the next login starts afresh.
    void clearCookies();
    QWebEngineView *view() const { return m_view; }
    // Why the certificate of the page opened last was refused; empty when none was.
    QString certificateRefusal() const { return m_certificateRefusal; }

Q_SIGNALS:
    void redirectCaught(const QUrl &url);
    void pageLoaded(const QUrl &url, bool ok);
    void navigationBlocked(const QUrl &url);
    void certificateRefused(const QUrl &url, const QString &reason);

private:
    QWebEngineProfile *m_profile = nullptr;
    InterceptingPage *m_page = nullptr;
    QWebEngineView *m_view = nullptr;
    QLineEdit *m_address = nullptr;
    QProgressBar *m_progress = nullptr;
    bool m_redirected = false;
    QString m_certificateRefusal;
};

// The demo's view of the web view.
class WebLoginBrowser : public app::LoginBrowser
{
    Q_OBJECT

public:
    // `deliverRedirects`: false when the view's owner already hands its redirects to the session
    // (the window's login dialog), so a redirect is never delivered twice.
    WebLoginBrowser(WebLoginView *view, app::LoginSession *session, bool deliverRedirects = true, QObject *parent = nullptr);
    void open(const QUrl &url) override;
    void inspect(std::function<void(const app::PageShape &)> done) override;
    void submitLogin(const QString &login, const QString &password) override;
    void answerConsent(bool accept) override;
    void clearSession() override;

private:
    WebLoginView *m_view;
    app::LoginSession *m_session;
};

QString originOf(const QUrl &url);

} // namespace organizer::ui
