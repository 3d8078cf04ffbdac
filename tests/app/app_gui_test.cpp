// The app end to end: the real embedded web view (Qt WebEngine) against a real organizer-server
// started by the app's own launcher. Runs under Xvfb in ./scripts/test (offscreen without a display).

#include "demoscenario.h"
#include "mainwindow.h"
#include "serverprocess.h"
#include "weblogin.h"

#include <QDir>
#include <QEventLoop>
#include <QLabel>
#include <QPushButton>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTimer>
#include <QTreeWidget>

#include <gtest/gtest.h>

using namespace organizer;

namespace {

bool waitFor(const std::function<bool()> &condition, int timeoutMs = 30000)
{
    QElapsedTimer timer;
    timer.start();
    while (!condition()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QEventLoop loop;
        QTimer::singleShot(20, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return true;
}

QString screenshotDir()
{
    const QString dir = QStringLiteral(ORGANIZER_SCREENSHOT_DIR);
    QDir().mkpath(dir);
    return dir;
}

class AppEndToEnd : public ::testing::Test
{
protected:
    static void SetUpTestSuite() { qputenv("ORGANIZER_SERVER_BINARY", test::serverBinary().toLocal8Bit()); }

    void SetUp() override
    {
        m_server.start(m_dataDir.path());
        ASSERT_TRUE(waitFor([this] { return m_server.state() != app::ServerLauncher::State::Starting; }));
        ASSERT_EQ(m_server.state(), app::ServerLauncher::State::Running) << m_server.errorString().toStdString();
    }

    struct DemoRun
    {
        bool passed = false;
        QString report;
    };
    DemoRun runDemo(const QString &user, app::Flow flow)
    {
        app::OidcClient oidc;
        app::LoginSession session(&oidc);
        app::ApiClient api;
        ui::WebLoginView view;
        view.resize(800, 600);
        view.show();
        ui::WebLoginBrowser browser(&view, &session);
        app::DemoOptions options;
        options.user = user;
        options.flow = flow;
        app::DemoScenario scenario(&m_server, &session, &api, &browser, options);
        bool done = false;
        QObject::connect(&scenario, &app::DemoScenario::finished, [&done] { done = true; });
        scenario.run();
        EXPECT_TRUE(waitFor([&done] { return done; }, 60000));
        return {scenario.passed(), scenario.report()};
    }

    QTemporaryDir m_dataDir;
    app::ServerLauncher m_server;
};

} // namespace

TEST_F(AppEndToEnd, ImplicitFlowForAliceOpensBothApis)
{
    const DemoRun run = runDemo(QStringLiteral("alice@example.com"), app::Flow::Implicit);
    EXPECT_TRUE(run.passed) << run.report.toStdString();
    EXPECT_TRUE(run.report.contains(QLatin1String("granted     openid profile read:contacts read:calendar"))) << run.report.toStdString();
    EXPECT_TRUE(run.report.contains(QLatin1String("GET /api/contacts      -> 200")));
    EXPECT_TRUE(run.report.contains(QLatin1String("GET /api/appointments  -> 200")));
    EXPECT_TRUE(run.report.contains(QLatin1String("at_hash")));
}

TEST_F(AppEndToEnd, ImplicitFlowForBobGets403FromTheCalendar)
{
    const DemoRun run = runDemo(QStringLiteral("bob@example.com"), app::Flow::Implicit);
    EXPECT_TRUE(run.passed) << run.report.toStdString(); // a 403 for a scope the token lacks is the correct outcome
    EXPECT_TRUE(run.report.contains(QLatin1String("GET /api/appointments  -> 403  403: this token lacks read:calendar"))) << run.report.toStdString();
}

TEST_F(AppEndToEnd, CodeFlowWithPkceForCarol)
{
    const DemoRun run = runDemo(QStringLiteral("carol@example.com"), app::Flow::AuthorizationCodePkce);
    EXPECT_TRUE(run.passed) << run.report.toStdString();
    EXPECT_TRUE(run.report.contains(QLatin1String("GET /api/contacts      -> 403"))) << run.report.toStdString();
    EXPECT_TRUE(run.report.contains(QLatin1String("GET /api/appointments  -> 200")));
}

TEST_F(AppEndToEnd, CodeFlowForAlice)
{
    const DemoRun run = runDemo(QStringLiteral("alice@example.com"), app::Flow::AuthorizationCodePkce);
    EXPECT_TRUE(run.passed) << run.report.toStdString();
}

TEST_F(AppEndToEnd, DenyingConsentIsReportedPlainly)
{
    app::OidcClient oidc;
    app::LoginSession session(&oidc);
    ui::WebLoginView view;
    ui::WebLoginBrowser browser(&view, &session);
    QObject::connect(&session, &app::LoginSession::authorizeWithBrowser, &browser, &app::LoginBrowser::open);
    QObject::connect(&browser, &app::LoginBrowser::pageLoaded, [&browser](const QUrl &url, bool) {
        if (url.path() == QLatin1String("/login"))
            browser.runScript(QStringLiteral("document.getElementById('username').value='dave@example.com';"
                                             "document.getElementById('password').value='organizer';document.querySelector('form').submit();"));
        else if (url.path() == QLatin1String("/consent"))
            browser.runScript(QStringLiteral("document.querySelector('button[value=deny]').click();"));
    });
    std::optional<app::LoginError> failure;
    bool succeeded = false;
    QObject::connect(&session, &app::LoginSession::failed, [&failure](const app::LoginError &error) { failure = error; });
    QObject::connect(&session, &app::LoginSession::succeeded, [&succeeded] { succeeded = true; });
    app::Profile profile = app::Profile::localProfile();
    session.start(profile.loginSettings(m_server.url()));
    ASSERT_TRUE(waitFor([&] { return failure.has_value() || succeeded; }, 60000));
    ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->kind, app::LoginError::Kind::ProviderError);
    EXPECT_EQ(failure->providerError, QStringLiteral("access_denied"));
    EXPECT_TRUE(failure->message.startsWith(QLatin1String("Access was denied")));
}

TEST_F(AppEndToEnd, MainWindowScreenshots)
{
    QSettings settings;
    app::ProfileStore profiles(&settings);
    app::OidcClient oidc;
    app::LoginSession session(&oidc);
    app::ApiClient api;
    ui::MainWindow window(&m_server, &session, &api, &profiles);
    window.resize(1024, 700);
    window.show();
    ASSERT_TRUE(waitFor([&window] { return window.isVisible(); }));
    QEventLoop settle;
    QTimer::singleShot(300, &settle, &QEventLoop::quit);
    settle.exec();
    const QString dir = screenshotDir();
    ASSERT_TRUE(window.grab().save(dir + QStringLiteral("/1-logged-out.png")));

    window.login();
    ASSERT_NE(window.loginView(), nullptr);
    ui::WebLoginBrowser browser(window.loginView(), &session);
    bool loginPageShot = false;
    QObject::connect(&browser, &app::LoginBrowser::pageLoaded, [&](const QUrl &url, bool) {
        if (url.path() == QLatin1String("/login")) {
            if (!loginPageShot) {
                loginPageShot = window.loginView()->window()->grab().save(dir + QStringLiteral("/2-login-page.png"));
            }
            browser.runScript(QStringLiteral("document.getElementById('username').value='bob@example.com';"
                                             "document.getElementById('password').value='organizer';document.querySelector('form').submit();"));
        } else if (url.path() == QLatin1String("/consent")) {
            window.loginView()->window()->grab().save(dir + QStringLiteral("/3-consent-page.png"));
            browser.runScript(QStringLiteral("document.querySelector('button[value=accept]').click();"));
        }
    });
    bool loggedIn = false;
    QObject::connect(&session, &app::LoginSession::succeeded, [&loggedIn] { loggedIn = true; });
    ASSERT_TRUE(waitFor([&loggedIn] { return loggedIn; }, 60000));
    EXPECT_TRUE(loginPageShot);
    auto *contacts = window.tabs()->widget(0)->findChild<QTableView *>();
    ASSERT_NE(contacts, nullptr);
    ASSERT_TRUE(waitFor([contacts] { return contacts->model()->rowCount() > 0; }));
    // Bob lacks read:calendar: the calendar stays empty and the 403 is shown plainly.
    ASSERT_TRUE(waitFor([&window] { return window.statusBar()->currentMessage().contains(QLatin1String("lacks read:calendar")); }, 10000))
        << window.statusBar()->currentMessage().toStdString();
    QTimer::singleShot(300, &settle, &QEventLoop::quit);
    settle.exec();
    EXPECT_TRUE(window.grab().save(dir + QStringLiteral("/4-logged-in-contacts.png")));
    window.tabs()->setCurrentIndex(2);
    auto *tree = window.tabs()->widget(2)->findChild<QTreeWidget *>();
    ASSERT_NE(tree, nullptr);
    EXPECT_EQ(tree->topLevelItemCount(), 2);
    EXPECT_TRUE(tree->topLevelItem(0)->text(1).contains(QLatin1String("verified")));
    EXPECT_TRUE(window.grab().save(dir + QStringLiteral("/5-token-inspector.png")));
    window.tabs()->setCurrentIndex(3);
    EXPECT_TRUE(window.grab().save(dir + QStringLiteral("/6-responses.png")));
    for (const char *name : {"1-logged-out.png", "2-login-page.png", "3-consent-page.png", "4-logged-in-contacts.png", "5-token-inspector.png"})
        EXPECT_GT(QFileInfo(dir + QLatin1Char('/') + QLatin1String(name)).size(), 5000) << name;
}
