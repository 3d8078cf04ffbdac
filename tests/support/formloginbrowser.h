#pragma once

// The LoginBrowser the app's automation drives, without Chromium: a cookie-keeping HTTP client that
// submits the hosted login and consent forms the way the web view does. It lets the scope QA runner
// be tested in a plain process, and so under the sanitizers.

#include "loginautomation.h"
#include "loginsession.h"
#include "testbrowser.h"

#include <memory>

namespace organizer::test {

class FormLoginBrowser : public app::LoginBrowser
{
    Q_OBJECT

public:
    explicit FormLoginBrowser(app::LoginSession *session, QObject *parent = nullptr);

    void open(const QUrl &url) override;
    void inspect(std::function<void(const app::PageShape &)> done) override;
    void submitLogin(const QString &login, const QString &password) override;
    void answerConsent(bool accept) override;
    void clearSession() override;

private:
    // Follows redirects on the login server; stops at a page (reported) or at the redirect URI (handed over).
    void follow(HttpReply reply, QUrl at);

    app::LoginSession *m_session;
    std::unique_ptr<TestBrowser> m_browser;
    quint16 m_port = 0;
    QByteArray m_page;
    QUrl m_at; // where m_page came from
};

} // namespace organizer::test
