// The app end to end: the real embedded web view (Qt WebEngine) against a real organizer-server
// started by the app's own launcher. Runs under Xvfb in ./scripts/test (offscreen without a display).

#include "demoscenario.h"
#include "loopbackreceiver.h"
#include "profiledialog.h"
#include "recorddialog.h"
#include "testbrowser.h"
#include "mainwindow.h"
#include "qagridmodel.h"
#include "qatab.h"

#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QGuiApplication>
#include "tenanttab.h"
#include "timelinepainter.h"
#include "tlstestsupport.h"
#include "tutorialscenario.h"
#include "serverprocess.h"
#include "waitfor.h"
#include "weblogin.h"

#include <QDir>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSettings>
#include <QEventLoop>
#include <QImage>
#include <QJsonDocument>
#include <QLabel>
#include <QRegularExpression>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QToolButton>
#include <QMenu>
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTimer>
#include <QTreeWidget>
#include <QWebEngineView>

#include <gtest/gtest.h>

using namespace organizer;

namespace {

using organizer::test::waitFor;

QString screenshotDir()
{
    const QString dir = QStringLiteral(ORGANIZER_SCREENSHOT_DIR);
    QDir().mkpath(dir);
    return dir;
}

// Writes build/screenshots/<name> afresh: a file an earlier run left behind never passes for this
// run's picture. True only when the new file is there, reads back as an image, and is not trivial.
template <typename Picture>
bool saveScreenshot(const Picture &picture, const QString &name)
{
    const QString path = screenshotDir() + QLatin1Char('/') + name;
    QFile::remove(path);
    if (QFileInfo::exists(path) || !picture.save(path))
        return false;
    const QImage back(path);
    return !back.isNull() && back.width() >= 200 && back.height() >= 100 && QFileInfo(path).size() > 5000;
}

// The texts of one column of a model, sorted: what a table shows, whatever order it sorts in.
QStringList columnTexts(const QAbstractItemModel *model, const QString &header)
{
    int column = -1;
    for (int c = 0; c < model->columnCount(); ++c) {
        if (model->headerData(c, Qt::Horizontal).toString() == header)
            column = c;
    }
    if (column < 0)
        return {QStringLiteral("(no column %1)").arg(header)};
    QStringList texts;
    for (int row = 0; row < model->rowCount(); ++row)
        texts.append(model->index(row, column).data().toString());
    texts.sort();
    return texts;
}

// The value the token inspector shows for `claim` under `token` ("ID token", "Access token") and
// `group` ("header", "claims"); empty when it shows none.
QString shownClaim(const QTreeWidget *tree, const QString &token, const QString &group, const QString &claim)
{
    for (int t = 0; t < tree->topLevelItemCount(); ++t) {
        const QTreeWidgetItem *top = tree->topLevelItem(t);
        if (top->text(0) != token)
            continue;
        for (int g = 0; g < top->childCount(); ++g) {
            const QTreeWidgetItem *part = top->child(g);
            for (int c = 0; part->text(0) == group && c < part->childCount(); ++c) {
                if (part->child(c)->text(0) == claim)
                    return part->child(c)->text(1);
            }
        }
    }
    return {};
}

// The seeded records (resources/seed/*.json): what a fresh data directory serves.
const QStringList kSeededContacts{QStringLiteral("Amara Okafor"), QStringLiteral("Diego Hernández"), QStringLiteral("Jane"),
                                  QStringLiteral("John"),         QStringLiteral("Mei Lin"),         QStringLiteral("Sofia Rossi")};
constexpr int kSeededAppointments = 5;

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
        std::optional<app::LoginResult> login;
        QHash<QString, int> statusByPath; // each API call the demo made, and its answer
    };
    DemoRun runDemo(const QString &user, app::Flow flow)
    {
        app::OidcClient oidc;
        app::LoginSession session(&oidc);
        app::ApiClient api;
        app::AppController controller(&m_server, &session, &api);
        ui::WebLoginView view;
        view.resize(800, 600);
        view.show();
        ui::WebLoginBrowser browser(&view, &session);
        app::DemoOptions options;
        options.user = user;
        options.flow = flow;
        app::DemoScenario scenario(&controller, &browser, options);
        bool done = false;
        DemoRun run;
        QObject::connect(&scenario, &app::DemoScenario::finished, [&done] { done = true; });
        QObject::connect(&scenario, &app::DemoScenario::loggedIn, [&run](const app::LoginResult &result) { run.login = result; });
        QObject::connect(&api, &app::ApiClient::finished, [&run](const app::ApiCall &call) { run.statusByPath.insert(call.url.path(), call.status); });
        scenario.run();
        EXPECT_TRUE(waitFor([&done] { return done; }, 60000));
        run.passed = scenario.passed();
        run.report = scenario.report();
        return run;
    }

    QTemporaryDir m_dataDir;
    app::ServerLauncher m_server;
};

// The window with what main() gives it, on the fixture's bundled server.
struct Window
{
    explicit Window(app::ServerLauncher *server, QSize size) : controller(server, &session, &api, &profiles), window(&controller)
    {
        window.resize(size);
        window.show();
    }
    QSettings settings;
    app::ProfileStore profiles{&settings};
    app::OidcClient oidc;
    app::LoginSession session{&oidc};
    app::ApiClient api;
    app::AppController controller;
    ui::MainWindow window;
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
    // What the run did, not only what it printed: who logged in, what was granted, what each API said.
    ASSERT_TRUE(run.login.has_value());
    EXPECT_EQ(run.login->idTokenClaims.value(QLatin1String("sub")).toString(), QStringLiteral("auth0|alice"));
    EXPECT_EQ(run.login->grantedScopes,
              (QStringList{QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("read:contacts"), QStringLiteral("read:calendar")}));
    EXPECT_TRUE(run.login->idTokenClaims.contains(QLatin1String("at_hash")));
    EXPECT_EQ(run.statusByPath, (QHash<QString, int>{{QStringLiteral("/api/contacts"), 200}, {QStringLiteral("/api/appointments"), 200}}));
}

TEST_F(AppEndToEnd, ImplicitFlowForBobGets403FromTheCalendar)
{
    const DemoRun run = runDemo(QStringLiteral("bob@example.com"), app::Flow::Implicit);
    EXPECT_TRUE(run.passed) << run.report.toStdString(); // a 403 for a scope the token lacks is the correct outcome
    EXPECT_TRUE(run.report.contains(QLatin1String("GET /api/appointments  -> 403  403: this token lacks read:calendar"))) << run.report.toStdString();
    ASSERT_TRUE(run.login.has_value());
    EXPECT_EQ(run.login->requestedScopes,
              (QStringList{QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("read:contacts"), QStringLiteral("read:calendar")}));
    EXPECT_EQ(run.login->grantedScopes, (QStringList{QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("read:contacts")}));
    EXPECT_EQ(run.statusByPath, (QHash<QString, int>{{QStringLiteral("/api/contacts"), 200}, {QStringLiteral("/api/appointments"), 403}}));
}

TEST_F(AppEndToEnd, CodeFlowWithPkceForCarol)
{
    const DemoRun run = runDemo(QStringLiteral("carol@example.com"), app::Flow::AuthorizationCodePkce);
    EXPECT_TRUE(run.passed) << run.report.toStdString();
    EXPECT_TRUE(run.report.contains(QLatin1String("GET /api/contacts      -> 403"))) << run.report.toStdString();
    EXPECT_TRUE(run.report.contains(QLatin1String("GET /api/appointments  -> 200")));
    ASSERT_TRUE(run.login.has_value());
    EXPECT_EQ(run.login->idTokenClaims.value(QLatin1String("sub")).toString(), QStringLiteral("auth0|carol"));
    EXPECT_EQ(run.login->grantedScopes, (QStringList{QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("read:calendar")}));
    EXPECT_EQ(run.statusByPath, (QHash<QString, int>{{QStringLiteral("/api/contacts"), 403}, {QStringLiteral("/api/appointments"), 200}}));
}

TEST_F(AppEndToEnd, CodeFlowForAlice)
{
    const DemoRun run = runDemo(QStringLiteral("alice@example.com"), app::Flow::AuthorizationCodePkce);
    EXPECT_TRUE(run.passed) << run.report.toStdString();
    ASSERT_TRUE(run.login.has_value());
    EXPECT_EQ(run.login->grantedScopes,
              (QStringList{QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("read:contacts"), QStringLiteral("read:calendar")}));
    EXPECT_EQ(run.statusByPath, (QHash<QString, int>{{QStringLiteral("/api/contacts"), 200}, {QStringLiteral("/api/appointments"), 200}}));
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
            browser.submitLogin(QStringLiteral("dave@example.com"), QStringLiteral("organizer"));
        else if (url.path() == QLatin1String("/consent"))
            browser.answerConsent(false);
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
    Window fixture(&m_server, QSize(1024, 700));
    ui::MainWindow &window = fixture.window;
    app::LoginSession &session = fixture.session;
    ASSERT_TRUE(waitFor([&window] { return window.isVisible(); }));
    QEventLoop settle;
    QTimer::singleShot(300, &settle, &QEventLoop::quit);
    settle.exec();
    ASSERT_TRUE(saveScreenshot(window.grab(), QStringLiteral("1-logged-out.png")));

    window.login();
    ASSERT_NE(window.loginView(), nullptr);
    ui::WebLoginBrowser browser(window.loginView(), &session, false); // the window delivers the redirect
    bool loginPageShot = false;
    bool consentPageShot = false;
    QObject::connect(&browser, &app::LoginBrowser::pageLoaded, [&](const QUrl &url, bool) {
        if (url.path() == QLatin1String("/login")) {
            if (!loginPageShot) {
                loginPageShot = saveScreenshot(window.loginView()->window()->grab(), QStringLiteral("2-login-page.png"));
            }
            browser.submitLogin(QStringLiteral("bob@example.com"), QStringLiteral("organizer"));
        } else if (url.path() == QLatin1String("/consent")) {
            consentPageShot = consentPageShot || saveScreenshot(window.loginView()->window()->grab(), QStringLiteral("3-consent-page.png"));
            browser.answerConsent(true);
        }
    });
    bool loggedIn = false;
    QObject::connect(&session, &app::LoginSession::succeeded, [&loggedIn] { loggedIn = true; });
    ASSERT_TRUE(waitFor([&loggedIn] { return loggedIn; }, 60000));
    EXPECT_TRUE(loginPageShot);
    EXPECT_TRUE(consentPageShot);
    auto *contacts = window.tabs()->widget(0)->findChild<QTableView *>();
    ASSERT_NE(contacts, nullptr);
    ASSERT_TRUE(waitFor([contacts] { return contacts->model()->rowCount() > 0; }));
    // Bob lacks read:calendar: the calendar stays empty and the 403 is shown plainly.
    ASSERT_TRUE(waitFor([&window] { return window.statusBar()->currentMessage().contains(QLatin1String("lacks read:calendar")); }, 10000))
        << window.statusBar()->currentMessage().toStdString();
    // What the run showed, read from the models: the seeded contacts, an empty calendar, the scopes
    // asked for against those granted, and both answers on the Responses tab.
    EXPECT_EQ(columnTexts(contacts->model(), QStringLiteral("Name")), kSeededContacts);
    auto *calendar = window.tabs()->widget(1)->findChild<QTableView *>();
    ASSERT_NE(calendar, nullptr);
    EXPECT_EQ(calendar->model()->rowCount(), 0);
    ASSERT_TRUE(fixture.controller.login().has_value());
    EXPECT_EQ(fixture.controller.login()->grantedScopes, (QStringList{QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("read:contacts")}));
    const QString summary = window.scopeSummary()->text();
    EXPECT_TRUE(summary.contains(QStringLiteral("✓ read:contacts"))) << summary.toStdString();
    EXPECT_TRUE(summary.contains(QStringLiteral("✗ read:calendar"))) << summary.toStdString();
    EXPECT_TRUE(summary.contains(QStringLiteral("<b>Bob"))) << summary.toStdString();
    QStringList answers;
    for (int row = 0; row < window.responses()->rowCount(); ++row)
        answers << window.responses()->item(row, 0)->text() + QLatin1Char(' ') + window.responses()->item(row, 1)->text() + QLatin1Char(' ')
                + window.responses()->item(row, 2)->text();
    answers.sort();
    EXPECT_EQ(answers, (QStringList{QStringLiteral("GET /api/appointments 403"), QStringLiteral("GET /api/contacts 200")}));
    QTimer::singleShot(300, &settle, &QEventLoop::quit);
    settle.exec();
    EXPECT_TRUE(saveScreenshot(window.grab(), QStringLiteral("4-logged-in-contacts.png")));
    window.tabs()->setCurrentIndex(2);
    auto *tree = window.tabs()->widget(2)->findChild<QTreeWidget *>();
    ASSERT_NE(tree, nullptr);
    EXPECT_EQ(tree->topLevelItemCount(), 2);
    EXPECT_TRUE(tree->topLevelItem(0)->text(1).contains(QLatin1String("verified")));
    // The claims shown are bob's: who, for whom, and what the access token lets him do.
    EXPECT_EQ(shownClaim(tree, QStringLiteral("ID token"), QStringLiteral("claims"), QStringLiteral("sub")), QStringLiteral("auth0|bob"));
    EXPECT_EQ(shownClaim(tree, QStringLiteral("ID token"), QStringLiteral("claims"), QStringLiteral("aud")), QStringLiteral("organizer-desktop"));
    EXPECT_EQ(shownClaim(tree, QStringLiteral("ID token"), QStringLiteral("header"), QStringLiteral("alg")), QStringLiteral("RS256"));
    EXPECT_TRUE(shownClaim(tree, QStringLiteral("Access token"), QStringLiteral("claims"), QStringLiteral("aud")).contains(QLatin1String("organize")));
    EXPECT_EQ(shownClaim(tree, QStringLiteral("Access token"), QStringLiteral("claims"), QStringLiteral("scope")),
              QStringLiteral("openid profile read:contacts"));
    EXPECT_TRUE(shownClaim(tree, QStringLiteral("Access token"), QStringLiteral("claims"), QStringLiteral("exp")).contains(QLatin1String("T")))
        << "times are shown as dates too";
    EXPECT_TRUE(saveScreenshot(window.grab(), QStringLiteral("5-token-inspector.png")));
    window.tabs()->setCurrentIndex(3);
    EXPECT_TRUE(saveScreenshot(window.grab(), QStringLiteral("6-responses.png")));

    // The login's timeline: authorize, the pages, the caught redirect, the id_token checks, each call.
    ASSERT_TRUE(waitFor(
        [&window] {
            for (const app::FlowStep &step : window.loginTimeline().steps()) {
                if (step.to == app::Lane::api(QStringLiteral("calendar")))
                    return true;
            }
            return false;
        },
        10000));
    QStringList labels;
    for (const app::FlowStep &step : window.loginTimeline().steps())
        labels << step.label;
    const QString all = labels.join(QLatin1Char('\n'));
    EXPECT_TRUE(all.contains(QLatin1String("open /authorize"))) << all.toStdString();
    EXPECT_TRUE(all.contains(QLatin1String("login page"))) << all.toStdString();
    EXPECT_TRUE(all.contains(QLatin1String("consent page"))) << all.toStdString();
    EXPECT_TRUE(all.contains(QLatin1String("tokens in the fragment"))) << all.toStdString();
    EXPECT_TRUE(all.contains(QLatin1String("id_token verified"))) << all.toStdString();
    EXPECT_TRUE(all.contains(QStringLiteral("GET /api/contacts → 200"))) << all.toStdString();
    EXPECT_TRUE(all.contains(QStringLiteral("GET /api/appointments → 403"))) << all.toStdString();
    // In the order they happened: the flow's steps, then the calls made with its token.
    const auto firstStep = [&labels](const QString &part) {
        for (qsizetype i = 0; i < labels.size(); ++i) {
            if (labels.at(i).contains(part))
                return i;
        }
        return qsizetype(-1);
    };
    const QStringList order{QStringLiteral("open /authorize"),        QStringLiteral("login page"),        QStringLiteral("consent page"),
                            QStringLiteral("tokens in the fragment"), QStringLiteral("id_token verified"), QStringLiteral("GET /api/")};
    for (qsizetype i = 1; i < order.size(); ++i)
        EXPECT_LT(firstStep(order.at(i - 1)), firstStep(order.at(i))) << order.at(i - 1).toStdString() << " before " << order.at(i).toStdString();
    const QString json = QString::fromUtf8(QJsonDocument(window.loginTimeline().toJson()).toJson());
    EXPECT_TRUE(json.contains(QLatin1String("access_token=eyJ"))) << "the redirect is recorded, masked";
    EXPECT_FALSE(json.contains(QRegularExpression(QStringLiteral("eyJ[A-Za-z0-9_-]{8,}")))) << "a token reached the timeline";
    window.tabs()->setCurrentIndex(4);
    QTimer::singleShot(200, &settle, &QEventLoop::quit);
    settle.exec();
    EXPECT_TRUE(saveScreenshot(window.grab(), QStringLiteral("7-login-timeline.png")));

    // "Copy access token" copies the login's own token; after logging out there is none to copy,
    // and the window shows none of the login.
    const auto copyButton = [&window](const QString &text) {
        for (QPushButton *button : window.findChildren<QPushButton *>()) {
            if (button->text() == text)
                return button;
        }
        return static_cast<QPushButton *>(nullptr);
    };
    ASSERT_NE(copyButton(QStringLiteral("Copy access token")), nullptr);
    copyButton(QStringLiteral("Copy access token"))->click();
    EXPECT_EQ(QGuiApplication::clipboard()->text(), QString::fromLatin1(fixture.controller.login()->accessToken));
    copyButton(QStringLiteral("Copy ID token"))->click();
    EXPECT_EQ(QGuiApplication::clipboard()->text(), QString::fromLatin1(fixture.controller.login()->idToken));
    QGuiApplication::clipboard()->clear();
    window.logout();
    EXPECT_FALSE(fixture.controller.login().has_value());
    EXPECT_EQ(tree->topLevelItemCount(), 0);
    EXPECT_EQ(window.scopeSummary()->text(), QStringLiteral("Not logged in."));
    EXPECT_EQ(contacts->model()->rowCount(), 0);
    copyButton(QStringLiteral("Copy access token"))->click();
    EXPECT_TRUE(QGuiApplication::clipboard()->text().isEmpty());
    EXPECT_TRUE(window.statusBar()->currentMessage().startsWith(QLatin1String("Not logged in"))) << window.statusBar()->currentMessage().toStdString();
}

TEST_F(AppEndToEnd, ScopeQaTabRunsTheGridExplainsACellAndExportsTheTimeline)
{
    Window fixture(&m_server, QSize(1360, 860));
    ui::MainWindow &window = fixture.window;
    ui::QaTab *qa = window.qaTab();
    ASSERT_NE(qa, nullptr);
    window.tabs()->setCurrentWidget(qa);
    bool finished = false, passed = false;
    QObject::connect(qa, &ui::QaTab::runFinished, [&](bool ok) {
        finished = true;
        passed = ok;
    });
    qa->run();
    ASSERT_TRUE(qa->runner()->isRunning());
    // Progress while it runs: some rows done, others not yet.
    ASSERT_TRUE(waitFor([qa] { return qa->runner()->run().count(qa::Verdict::Pass) > 0; }, 60000));
    EXPECT_TRUE(saveScreenshot(window.grab(), QStringLiteral("8-scope-qa-running.png")));
    ASSERT_TRUE(waitFor([&finished] { return finished; }, 120000));
    EXPECT_TRUE(passed) << qa->summary()->text().toStdString();
    EXPECT_TRUE(qa->summary()->text().contains(QLatin1String("Every cell as predicted"))) << qa->summary()->text().toStdString();
    auto *model = qa->grid()->model();
    ASSERT_EQ(model->rowCount(), 65);
    ASSERT_EQ(model->columnCount(), ui::QaGridModel::kFirstEndpointColumn + 10);

    // bob asking for create:contacts is granted nothing of the API: the POST cell shows the 403 and why.
    int bobCreate = -1;
    for (int row = 0; row < model->rowCount(); ++row) {
        if (model->headerData(row, Qt::Vertical).toString() == QStringLiteral("bob@example.com · create:contacts"))
            bobCreate = row;
    }
    ASSERT_GE(bobCreate, 0);
    const int postContacts = ui::QaGridModel::kFirstEndpointColumn + 1;
    EXPECT_EQ(model->index(bobCreate, postContacts).data().toString(), QStringLiteral("✓ 403"));
    EXPECT_TRUE(model->index(bobCreate, postContacts).data(Qt::ToolTipRole).toString().contains(QLatin1String("403 insufficient_scope")));
    EXPECT_EQ(model->index(bobCreate, 0).data().toString(), QStringLiteral("(no API scope)"));
    EXPECT_EQ(model->headerData(bobCreate - 1, Qt::Vertical).toString(), QStringLiteral("bob@example.com · read:contacts"));
    qa->grid()->setCurrentIndex(model->index(bobCreate, postContacts));
    qa->showCell(bobCreate, postContacts);
    const QString details = qa->details()->toPlainText();
    EXPECT_TRUE(details.contains(QLatin1String("POST http://localhost:"))) << details.toStdString(); // the bundled server by its canonical host
    EXPECT_TRUE(details.contains(QLatin1String("WWW-Authenticate: Bearer realm=\"organize\", error=\"insufficient_scope\""))) << details.toStdString();
    EXPECT_TRUE(details.contains(QLatin1String("\"sub\": \"auth0|bob\""))) << details.toStdString();
    EXPECT_TRUE(details.contains(QLatin1String("Authorization: Bearer eyJ"))) << details.toStdString();
    EXPECT_FALSE(details.contains(QLatin1String("Bearer eyJhb"))) << "the token itself is never shown";
    QEventLoop settle;
    QTimer::singleShot(300, &settle, &QEventLoop::quit);
    settle.exec();
    EXPECT_TRUE(saveScreenshot(window.grab(), QStringLiteral("9-scope-qa-cell.png")));

    // The row's timeline, exported both ways; secrets stay masked in the files.
    QTemporaryDir out;
    ASSERT_EQ(qa->exportTimeline(out.filePath(QStringLiteral("t.png"))), QString());
    ASSERT_EQ(qa->exportTimeline(out.filePath(QStringLiteral("t.svg"))), QString());
    EXPECT_FALSE(qa->exportTimeline(out.filePath(QStringLiteral("t.gif"))).isEmpty());
    QImage png(out.filePath(QStringLiteral("t.png")));
    EXPECT_GT(png.width(), 800);
    QFile svg(out.filePath(QStringLiteral("t.svg")));
    ASSERT_TRUE(svg.open(QIODevice::ReadOnly));
    const QByteArray drawing = svg.readAll();
    for (const char *lane : {"App", "Browser view", "Authorization server", "Contacts API", "Calendar API"})
        EXPECT_TRUE(drawing.contains(lane)) << lane;
    EXPECT_TRUE(drawing.contains("open /authorize"));
    EXPECT_TRUE(drawing.contains("id_token verified"));
    EXPECT_FALSE(QRegularExpression(QStringLiteral("eyJ[A-Za-z0-9_-]{8,}")).match(QString::fromUtf8(drawing)).hasMatch()) << "a token reached the drawing";
    // bob's first row is where he typed his password: the drawing shows the POST, never the password.
    qa->showCell(bobCreate - 1, 0);
    ASSERT_EQ(qa->exportTimeline(out.filePath(QStringLiteral("first.svg"))), QString());
    QFile first(out.filePath(QStringLiteral("first.svg")));
    ASSERT_TRUE(first.open(QIODevice::ReadOnly));
    const QByteArray firstDrawing = first.readAll();
    EXPECT_TRUE(firstDrawing.contains("POST /login as bob@example.com"));
    EXPECT_FALSE(firstDrawing.contains("password=organizer"));
    EXPECT_TRUE(saveScreenshot(ui::TimelinePainter::toImage(qa->timeline()->timeline()), QStringLiteral("10-scope-qa-timeline.png")));
    ASSERT_EQ(qa->exportReport(out.filePath(QStringLiteral("qa.html"))), QString());
    EXPECT_GT(QFileInfo(out.filePath(QStringLiteral("qa.html"))).size(), 50'000);

    // Re-run one row: only that row runs again, and passes again.
    finished = false;
    qa->grid()->setCurrentIndex(model->index(bobCreate, 0));
    qa->rerunSelectedRow();
    ASSERT_TRUE(waitFor([&finished] { return finished; }, 60000));
    EXPECT_TRUE(passed);
    EXPECT_EQ(qa->runner()->run().rows.at(bobCreate).verdict, qa::Verdict::Pass);

    // Cancel: the run stops, what did not run says so, and the tab can run again. This run is
    // watched: the login browser is shown beside the timeline.
    // Logging in by hand needs the browser in view.
    qa->watchButton()->setChecked(false);
    qa->byHandBox()->setChecked(true);
    EXPECT_TRUE(qa->watchButton()->isChecked());
    qa->byHandBox()->setChecked(false);
    qa->watchButton()->setChecked(true);
    ASSERT_TRUE(waitFor([qa] { return qa->findChild<ui::WebLoginView *>()->isVisible(); }, 5000));
    finished = false;
    qa->run();
    ASSERT_TRUE(waitFor([qa] { return qa->runner()->run().count(qa::Verdict::Pass) >= 5; }, 60000));
    EXPECT_TRUE(saveScreenshot(window.grab(), QStringLiteral("11-scope-qa-watching.png")));
    ASSERT_TRUE(waitFor([qa] { return qa->runner()->run().count(qa::Verdict::Pass) >= 10; }, 60000));
    qa->cancel();
    ASSERT_TRUE(waitFor([&finished] { return finished; }, 60000));
    EXPECT_FALSE(passed);
    EXPECT_GT(qa->runner()->run().count(qa::Verdict::NotRun), 0);
    EXPECT_TRUE(qa->summary()->text().contains(QLatin1String("Cancelled"))) << qa->summary()->text().toStdString();
    EXPECT_FALSE(qa->runner()->isRunning());
}

TEST_F(AppEndToEnd, SystemBrowserLoginWithALoopbackRedirect)
{
    // RFC 8252: the "system browser" is played by a cookie-keeping HTTP client; the answer reaches
    // the app's loopback receiver on a port it picked, and the code is redeemed with PKCE.
    app::LoopbackReceiver receiver;
    QString error;
    ASSERT_TRUE(receiver.listen(&error)) << error.toStdString();
    app::OidcClient oidc;
    app::LoginSession session(&oidc);
    QObject::connect(&receiver, &app::LoopbackReceiver::redirectReceived, &session, &app::LoginSession::handleRedirect);
    std::optional<app::LoginResult> result;
    std::optional<app::LoginError> failure;
    QObject::connect(&session, &app::LoginSession::succeeded, [&result](const app::LoginResult &r) { result = r; });
    QObject::connect(&session, &app::LoginSession::failed, [&failure](const app::LoginError &e) { failure = e; });
    QUrl authorizeUrl;
    QObject::connect(&session, &app::LoginSession::authorizeWithBrowser, [&authorizeUrl](const QUrl &url) { authorizeUrl = url; });
    app::Profile profile = app::Profile::localProfile();
    app::LoginSettings settings = profile.loginSettings(m_server.url());
    settings.redirectUri = receiver.redirectUri();
    settings.flow = app::Flow::AuthorizationCodePkce;
    session.start(settings);
    ASSERT_TRUE(waitFor([&authorizeUrl] { return authorizeUrl.isValid(); }));

    test::TestBrowser browser(quint16(m_server.url().port()));
    const auto outcome = browser.authorize(authorizeUrl.query(QUrl::FullyEncoded), QStringLiteral("alice@example.com"), QStringLiteral("organizer"));
    ASSERT_TRUE(outcome.redirect.isValid()) << outcome.failure.toStdString();
    EXPECT_EQ(outcome.redirect.port(), receiver.redirectUri().port());
    // The browser follows the redirect to the loopback receiver.
    QNetworkAccessManager network;
    QNetworkReply *reply = network.get(QNetworkRequest(outcome.redirect));
    ASSERT_TRUE(waitFor([&] { return result.has_value() || failure.has_value(); }, 30000));
    ASSERT_TRUE(result.has_value()) << failure->message.toStdString();
    EXPECT_EQ(result->idTokenClaims.value(QLatin1String("sub")).toString(), QStringLiteral("auth0|alice"));
    ASSERT_TRUE(waitFor([reply] { return reply->isFinished(); }));
    EXPECT_TRUE(reply->readAll().contains("You can close this tab"));
    reply->deleteLater();
}

TEST_F(AppEndToEnd, LauncherSaysWhyTheServerCannotStart)
{
    qputenv("ORGANIZER_SERVER_BINARY", "/nonexistent/organizer-server");
    app::ServerLauncher launcher;
    launcher.start(m_dataDir.path());
    qputenv("ORGANIZER_SERVER_BINARY", test::serverBinary().toLocal8Bit());
    ASSERT_TRUE(waitFor([&launcher] { return launcher.state() == app::ServerLauncher::State::Failed; }, 10000));
    EXPECT_TRUE(launcher.errorString().contains(QLatin1String("could not be started"))) << launcher.errorString().toStdString();
}

// Any provider's pages, read by the real page reader in the web view.
namespace {

// panva/oidc-provider's stock development login page, with its web font import pointed at a host
// that cannot be resolved; the form reports what it would send in the title instead of posting.
QString plainLoginPage(const QString &textInputName, bool withPassword)
{
    return QStringLiteral(R"(<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign-in</title>
<style>@import url(http://fonts.invalid/css?family=Roboto:400,100); body { font-family: 'Roboto', sans-serif; }</style></head>
<body><div class="login-card"><h1>Sign-in</h1>
<form autocomplete="off" action="http://127.0.0.1:9/interaction/x/login" method="post"
      onsubmit="event.preventDefault(); document.title = 'sent ' + [...new FormData(this)].map(([k, v]) => k + '=' + v).join('&');">
  <input type="hidden" name="prompt" value="login"/>
  <input required type="text" name="%1" placeholder="Enter any login" autofocus="on">
  %2
  <button type="submit" class="login login-submit">Sign-in</button>
</form></div></body></html>)")
        .arg(textInputName, withPassword ? QStringLiteral(R"(<input required type="password" name="password" placeholder="and password">)") : QString());
}

struct PlainPage
{
    app::PageShape shape;
    QString sent; // the form's fields as submitted, if it was
};

PlainPage readPlainPage(const QString &html, bool submit)
{
    app::OidcClient oidc;
    app::LoginSession session(&oidc);
    ui::WebLoginView view;
    view.resize(800, 600);
    view.show();
    ui::WebLoginBrowser browser(&view, &session);
    bool loaded = false;
    QObject::connect(&browser, &app::LoginBrowser::pageLoaded, [&loaded](const QUrl &, bool) { loaded = true; });
    browser.open(QUrl(QStringLiteral("data:text/html;charset=utf-8,") + QString::fromLatin1(QUrl::toPercentEncoding(html))));
    EXPECT_TRUE(waitFor([&loaded] { return loaded; }, 30000));
    PlainPage page;
    bool inspected = false;
    browser.inspect([&](const app::PageShape &shape) {
        page.shape = shape;
        inspected = true;
    });
    EXPECT_TRUE(waitFor([&inspected] { return inspected; }, 10000));
    if (submit && page.shape.recognised()) {
        browser.submitLogin(QStringLiteral("alice"), QStringLiteral("secret"));
        waitFor([&view] { return view.view()->title().startsWith(QLatin1String("sent ")); }, 10000);
        page.sent = view.view()->title();
    }
    return page;
}

} // namespace

TEST(AnyProvidersPages, APlainFormWithATextInputAndAPasswordIsALoginPage)
{
    const PlainPage page = readPlainPage(plainLoginPage(QStringLiteral("login"), true), true);
    EXPECT_EQ(page.shape.title, QStringLiteral("Sign-in"));
    EXPECT_TRUE(page.shape.identifierField);
    EXPECT_TRUE(page.shape.passwordField);
    EXPECT_FALSE(page.shape.acceptButton);
    EXPECT_EQ(page.shape.kind(), QStringLiteral("login page"));
    EXPECT_EQ(page.shape.formAction, QStringLiteral("POST /interaction/x/login"));
    EXPECT_EQ(page.sent, QStringLiteral("sent prompt=login&login=alice&password=secret"));
}

TEST(AnyProvidersPages, TheTextInputBesideAPasswordIsTheUserWhateverItsName)
{
    const PlainPage page = readPlainPage(plainLoginPage(QStringLiteral("account"), true), true);
    EXPECT_EQ(page.shape.kind(), QStringLiteral("login page"));
    EXPECT_EQ(page.sent, QStringLiteral("sent prompt=login&account=alice&password=secret"));
}

TEST(AnyProvidersPages, ATextInputWithoutAPasswordIsNoLoginPage)
{
    const PlainPage page = readPlainPage(plainLoginPage(QStringLiteral("account"), false), false);
    EXPECT_FALSE(page.shape.identifierField);
    EXPECT_FALSE(page.shape.passwordField);
    EXPECT_FALSE(page.shape.recognised());
}

namespace {

// panva/oidc-provider's stock development consent page as it renders: the title still "Sign-in", the
// heading `heading`, what is asked in a list, one form with a hidden prompt and the buttons given, and
// "[ Cancel ]" as a link to the abort URL. The form and the link report in the title instead of leaving.
QString stockConsentPage(const QString &heading, const QString &buttons, const QString &extra = {})
{
    return QStringLiteral(R"(<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign-in</title>
<style>@import url(http://fonts.invalid/css?family=Roboto:400,100); body { font-family: 'Roboto', sans-serif; }</style></head>
<body><div class="login-card"><h1>%1</h1>
<div class="login-client-image"></div>
<ul><li>scopes:</li><ul><li>profile</li><li>email</li></ul><li>urn:organizer:organize:</li><ul><li>read:contacts</li></ul></ul>
%3
<form autocomplete="off" action="http://127.0.0.1:9/interaction/x" method="post"
      onsubmit="event.preventDefault(); document.title = 'sent ' + [...new FormData(this)].map(([k, v]) => k + '=' + v).join('&') + ' by ' + event.submitter.textContent;">
  <input type="hidden" name="prompt" value="consent"/>
  %2
</form>
<div class="login-help"><a href="#" onclick="document.title = 'aborted'; return false;">[ Cancel ]</a></div>
</div>
<div class="grant-debug"><details><summary>(Click to expand) DEBUG information</summary><div><strong>uid</strong>: x</div></details></div>
</body></html>)")
        .arg(heading, buttons, extra);
}

const QString kContinueButton = QStringLiteral(R"(<button autofocus type="submit" class="login login-submit">Continue</button>)");

// Reads the page and, when the reader takes it for a consent page, answers it with Accept.
PlainPage answerConsentPage(const QString &html)
{
    app::OidcClient oidc;
    app::LoginSession session(&oidc);
    ui::WebLoginView view;
    view.resize(800, 600);
    view.show();
    ui::WebLoginBrowser browser(&view, &session);
    bool loaded = false;
    QObject::connect(&browser, &app::LoginBrowser::pageLoaded, [&loaded](const QUrl &, bool) { loaded = true; });
    browser.open(QUrl(QStringLiteral("data:text/html;charset=utf-8,") + QString::fromLatin1(QUrl::toPercentEncoding(html))));
    EXPECT_TRUE(waitFor([&loaded] { return loaded; }, 30000));
    PlainPage page;
    bool inspected = false;
    browser.inspect([&](const app::PageShape &shape) {
        page.shape = shape;
        inspected = true;
    });
    EXPECT_TRUE(waitFor([&inspected] { return inspected; }, 10000));
    if (page.shape.acceptButton) {
        browser.answerConsent(true);
        waitFor([&view] { return view.view()->title() != QLatin1String("Sign-in"); }, 10000);
        page.sent = view.view()->title();
    }
    return page;
}

} // namespace

TEST(AnyProvidersPages, AStockProvidersAuthorizePageWithOneContinueButtonIsAConsentPage)
{
    const PlainPage page = answerConsentPage(stockConsentPage(QStringLiteral("Authorize"), kContinueButton));
    EXPECT_EQ(page.shape.title, QStringLiteral("Sign-in"));
    EXPECT_FALSE(page.shape.identifierField);
    EXPECT_FALSE(page.shape.passwordField);
    EXPECT_TRUE(page.shape.acceptButton);
    EXPECT_EQ(page.shape.kind(), QStringLiteral("consent page"));
    EXPECT_EQ(page.shape.formAction, QStringLiteral("POST /interaction/x"));
    EXPECT_EQ(page.sent, QStringLiteral("sent prompt=consent by Continue")); // Continue pressed, the Cancel link left alone
}

TEST(AnyProvidersPages, OnAnAuthorizePageTheCancelAndAbortButtonsAreNeverPressed)
{
    // Cancel first in the page: the one submit button left is Continue.
    const PlainPage page = answerConsentPage(
        stockConsentPage(QStringLiteral("Authorize Organizer Desktop"), QStringLiteral(R"(<button type="submit" name="action" value="cancel">Cancel</button>
<button type="submit" name="action" value="abort">Abort</button>
<button type="submit" name="action" value="continue">Continue</button>)")));
    EXPECT_EQ(page.shape.kind(), QStringLiteral("consent page"));
    EXPECT_EQ(page.sent, QStringLiteral("sent prompt=consent by Continue"));
}

TEST(AnyProvidersPages, AContinueButtonOnAPageThatAsksNothingIsNoConsentPage)
{
    EXPECT_FALSE(answerConsentPage(stockConsentPage(QStringLiteral("Something went wrong"), kContinueButton)).shape.recognised());
}

TEST(AnyProvidersPages, AnAuthorizePageWithTwoPossibleButtonsOrAnErrorOrAFieldIsNoConsentPage)
{
    // Which of two neutral buttons consents is a guess; so is pressing on past an error or a field to fill.
    EXPECT_FALSE(answerConsentPage(stockConsentPage(QStringLiteral("Authorize"), QStringLiteral(R"(<button type="submit" name="a" value="1">Continue</button>
<button type="submit" name="a" value="2">Continue with fewer scopes</button>)")))
                     .shape.recognised());
    EXPECT_FALSE(answerConsentPage(stockConsentPage(QStringLiteral("Authorize"), kContinueButton, QStringLiteral(R"(<p role="alert">Session expired</p>)")))
                     .shape.recognised());
    EXPECT_FALSE(answerConsentPage(stockConsentPage(QStringLiteral("Authorize"), QStringLiteral(R"(<input type="text" name="code">)") + kContinueButton))
                     .shape.recognised());
}

// The web view and the bundled server's local CA: a certificate error is overridden for the bundled
// server's origin when its CA issued the certificate, and refused, saying why, otherwise.
namespace {

test::IssuedCa &localCa()
{
    static test::IssuedCa ca;
    return ca;
}

struct TlsPage
{
    bool loaded = false;
    QString title;
    QString refusal;
    app::PageShape shape;
};

// Opens `server`'s page in a login view while `trusted` is the bundled server's CA (for its origins).
TlsPage openOverTls(test::HttpsResponder &server, const std::optional<app::BundledServerCa> &trusted, const QString &screenshot = {})
{
    if (trusted)
        app::BundledServerTrust::trust(*trusted);
    app::OidcClient oidc;
    app::LoginSession session(&oidc);
    ui::WebLoginView view;
    view.resize(900, 300);
    view.show();
    ui::WebLoginBrowser browser(&view, &session);
    std::optional<bool> loaded;
    QObject::connect(&browser, &app::LoginBrowser::pageLoaded, [&loaded](const QUrl &, bool ok) { loaded = ok; });
    browser.open(server.url(QStringLiteral("localhost")));
    EXPECT_TRUE(waitFor([&loaded] { return loaded.has_value(); }, 30000));
    TlsPage page;
    page.loaded = loaded.value_or(false);
    page.title = view.view()->title();
    page.refusal = view.certificateRefusal();
    bool inspected = false;
    browser.inspect([&](const app::PageShape &shape) {
        page.shape = shape;
        inspected = true;
    });
    EXPECT_TRUE(waitFor([&inspected] { return inspected; }, 10000));
    // The page is loaded before the web view has painted it; a picture taken too soon is blank.
    if (!screenshot.isEmpty()) {
        EXPECT_TRUE(waitFor([&] { return saveScreenshot(view.grab(), screenshot); }, 10000));
    }
    if (trusted)
        app::BundledServerTrust::forget(QUrl(trusted->origins.first()));
    return page;
}

} // namespace

TEST(BundledServerTls, TheWebViewAcceptsTheBundledServersCertificateFromItsLocalCa)
{
    test::HttpsResponder server(localCa().leafPem, localCa().leafKeyPem);
    ASSERT_TRUE(server.listening());
    const TlsPage page = openOverTls(server, localCa().trustedFor(server.url(QStringLiteral("localhost"))), QStringLiteral("tls-1-bundled-ca-accepted.png"));
    EXPECT_TRUE(page.loaded);
    EXPECT_EQ(page.title, QStringLiteral("served over TLS"));
    EXPECT_TRUE(page.refusal.isEmpty()) << page.refusal.toStdString();
    EXPECT_GE(server.requests(), 1);
}

TEST(BundledServerTls, ACertificateFromAnotherCaAtTheBundledOriginIsRefusedSayingWhy)
{
    test::IssuedCa other;
    test::HttpsResponder server(other.leafPem, other.leafKeyPem, "must not show");
    ASSERT_TRUE(server.listening());
    const auto trusted = localCa().trustedFor(server.url(QStringLiteral("localhost")));
    const TlsPage page = openOverTls(server, trusted, QStringLiteral("tls-2-other-ca-refused.png"));
    EXPECT_FALSE(page.loaded);
    EXPECT_NE(page.title, QStringLiteral("must not show"));
    EXPECT_EQ(server.requests(), 0);
    EXPECT_TRUE(page.refusal.startsWith(QStringLiteral("the bundled server's certificate is not issued by its local CA \"%1\"").arg(trusted.commonName())))
        << page.refusal.toStdString();
    // The login automation reports it as the reason the page did not load.
    EXPECT_FALSE(page.shape.loaded);
    EXPECT_EQ(page.shape.errorText, page.refusal);
}

TEST(BundledServerTls, TheLocalCaIsNoLicenceForAnotherOrigin)
{
    // A certificate the local CA issued, on a port that is not the bundled server's: refused as any unknown issuer is.
    test::HttpsResponder server(localCa().leafPem, localCa().leafKeyPem, "must not show");
    ASSERT_TRUE(server.listening());
    const QUrl bundled(QStringLiteral("https://localhost:%1/").arg(server.port() == 65535 ? 65534 : server.port() + 1));
    const TlsPage page = openOverTls(server, localCa().trustedFor(bundled));
    EXPECT_FALSE(page.loaded);
    EXPECT_EQ(server.requests(), 0);
    EXPECT_TRUE(page.refusal.contains(QLatin1String("is not trusted"))) << page.refusal.toStdString();
    EXPECT_FALSE(page.refusal.contains(QLatin1String("bundled server")));
}

// The bundled server started with --tls, end to end: the launcher trusts its local CA once it is up,
// and the demo logs in through the real web view and calls both APIs over HTTPS; a server certificate
// from another CA (--tls-cert) is refused by the HTTP client and the web view, saying why.
class BundledServerOverTls : public ::testing::Test
{
protected:
    static void SetUpTestSuite() { qputenv("ORGANIZER_SERVER_BINARY", test::serverBinary().toLocal8Bit()); }

    bool startServer(const QStringList &extraArguments = {})
    {
        m_server.setTls(true);
        m_server.start(m_dataDir.path(), extraArguments);
        return waitFor([this] { return m_server.state() != app::ServerLauncher::State::Starting; });
    }

    struct DemoRun
    {
        bool passed = false;
        QString report;
    };
    DemoRun runDemo(app::Flow flow, const QString &screenshot = {})
    {
        app::OidcClient oidc;
        app::LoginSession session(&oidc);
        app::ApiClient api;
        app::AppController controller(&m_server, &session, &api);
        ui::WebLoginView view;
        view.resize(800, 600);
        view.show();
        ui::WebLoginBrowser browser(&view, &session);
        app::DemoOptions options;
        options.flow = flow;
        app::DemoScenario scenario(&controller, &browser, options);
        bool done = false;
        QObject::connect(&scenario, &app::DemoScenario::finished, [&done] { done = true; });
        scenario.run();
        EXPECT_TRUE(waitFor([&done] { return done; }, 60000));
        // The last page the view painted, over HTTPS, and the redirect it caught.
        if (!screenshot.isEmpty()) {
            EXPECT_TRUE(waitFor([&] { return saveScreenshot(view.grab(), screenshot); }, 10000));
        }
        return {scenario.passed(), scenario.report()};
    }

    QTemporaryDir m_dataDir;
    app::ServerLauncher m_server;
};

TEST_F(BundledServerOverTls, TheDemoLogsInAndCallsBothApisOverHttpsWithTheLocalCaTrustedForTheServerAlone)
{
    ASSERT_TRUE(startServer());
    ASSERT_EQ(m_server.state(), app::ServerLauncher::State::Running) << m_server.errorString().toStdString();
    EXPECT_EQ(m_server.url().scheme(), QStringLiteral("https"));
    ASSERT_TRUE(m_server.trustedCa().has_value());
    EXPECT_EQ(m_server.trustedCa()->path, QDir(m_dataDir.path()).filePath(QStringLiteral("tls/ca.pem")));
    EXPECT_TRUE(m_server.trustedCa()->covers(m_server.url()));
    EXPECT_EQ(app::BundledServerTrust::forUrl(m_server.url())->certificate, m_server.trustedCa()->certificate);

    const DemoRun run = runDemo(app::Flow::AuthorizationCodePkce, QStringLiteral("tls-3-consent-over-https.png"));
    EXPECT_TRUE(run.passed) << run.report.toStdString();
    EXPECT_TRUE(run.report.contains(QStringLiteral("server      %1 (bundled organizer-server, HTTPS: its local CA \"%2\" trusted for it alone)")
                                        .arg(m_server.url().toString(), m_server.trustedCa()->commonName())))
        << run.report.toStdString();
    EXPECT_TRUE(run.report.contains(QLatin1String("GET /api/contacts      -> 200"))) << run.report.toStdString();
    EXPECT_TRUE(run.report.contains(QLatin1String("GET /api/appointments  -> 200")));

    // Stopped, the server's CA is trusted for nothing any more.
    const QUrl url = m_server.url();
    m_server.stop();
    EXPECT_FALSE(app::BundledServerTrust::forUrl(url).has_value());
}

TEST_F(BundledServerOverTls, AServerCertificateFromAnotherCaIsRefusedSayingWhy)
{
    test::IssuedCa other;
    const QString certificate = QDir(m_dataDir.path()).filePath(QStringLiteral("other.pem"));
    const QString key = QDir(m_dataDir.path()).filePath(QStringLiteral("other-key.pem"));
    for (const auto &[path, contents] : {std::pair{certificate, other.leafPem}, std::pair{key, other.leafKeyPem}}) {
        QFile file(path);
        ASSERT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(contents);
    }
    ASSERT_TRUE(startServer({QStringLiteral("--tls-cert"), certificate, QStringLiteral("--tls-key"), key}));
    ASSERT_EQ(m_server.state(), app::ServerLauncher::State::Running) << m_server.errorString().toStdString();
    ASSERT_TRUE(m_server.trustedCa().has_value());
    const QString refusal
        = QStringLiteral("the bundled server's certificate is not issued by its local CA \"%1\" (%2): it names \"%3\" as its issuer")
              .arg(m_server.trustedCa()->commonName(), m_server.trustedCa()->path, other.ca.subjectInfo(QSslCertificate::CommonName).value(0));

    // The HTTP client: the demo stops at discovery, with the reason.
    const DemoRun run = runDemo(app::Flow::AuthorizationCodePkce);
    EXPECT_FALSE(run.passed);
    EXPECT_TRUE(run.report.contains(QLatin1String("result: FAILED: ")) && run.report.contains(refusal)) << run.report.toStdString();

    // The web view: the login page is not shown, and the view says why.
    ui::WebLoginView view;
    view.resize(900, 300);
    view.show();
    std::optional<bool> loaded;
    QObject::connect(&view, &ui::WebLoginView::pageLoaded, [&loaded](const QUrl &, bool ok) { loaded = ok; });
    view.open(m_server.url().resolved(QUrl(QStringLiteral("authorize"))), ui::originOf(m_server.url()), [](const QUrl &) { return false; });
    ASSERT_TRUE(waitFor([&loaded] { return loaded.has_value(); }, 30000));
    EXPECT_FALSE(*loaded);
    EXPECT_TRUE(view.certificateRefusal().startsWith(refusal)) << view.certificateRefusal().toStdString();
}

TEST(Profiles, PersistWithoutTokensAndValidate)
{
    QTemporaryDir dir;
    QSettings settings(dir.filePath(QStringLiteral("organizer.ini")), QSettings::IniFormat);
    app::ProfileStore store(&settings);
    app::Profile tenant;
    tenant.name = QStringLiteral("My tenant");
    tenant.issuer = QUrl(QStringLiteral("https://example.eu.auth0.com/"));
    tenant.apiBaseUrl = QUrl(QStringLiteral("http://localhost:3001/"));
    tenant.flow = app::Flow::AuthorizationCodePkce;
    tenant.useSystemBrowser = true;
    QList<app::Profile> profiles = store.load();
    ASSERT_EQ(profiles.size(), 1);
    EXPECT_TRUE(profiles.first().local);
    profiles.append(tenant);
    store.save(profiles);
    store.setCurrentName(tenant.name);
    settings.sync();

    QSettings reread(dir.filePath(QStringLiteral("organizer.ini")), QSettings::IniFormat);
    const QList<app::Profile> loaded = app::ProfileStore(&reread).load();
    ASSERT_EQ(loaded.size(), 2);
    EXPECT_EQ(loaded.at(1).issuer, tenant.issuer);
    EXPECT_EQ(loaded.at(1).flow, app::Flow::AuthorizationCodePkce);
    EXPECT_TRUE(loaded.at(1).useSystemBrowser);
    EXPECT_EQ(app::ProfileStore(&reread).currentName(), tenant.name);
    QFile file(dir.filePath(QStringLiteral("organizer.ini")));
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    const QByteArray stored = file.readAll().toLower();
    EXPECT_FALSE(stored.contains("token"));
    EXPECT_FALSE(stored.contains("eyj")); // no JWT

    EXPECT_TRUE(ui::ProfileDialog::validate(tenant, {}).isEmpty());
    app::Profile bad = tenant;
    bad.issuer = QUrl(QStringLiteral("not a url"));
    EXPECT_TRUE(ui::ProfileDialog::validate(bad, {}).contains(QLatin1String("issuer")));
    EXPECT_TRUE(ui::ProfileDialog::validate(tenant, {tenant.name}).contains(QLatin1String("exists")));
    bad = tenant;
    bad.clientId.clear();
    EXPECT_TRUE(ui::ProfileDialog::validate(bad, {}).contains(QLatin1String("client ID")));
}

TEST(RecordForms, CheckFieldsBeforeSending)
{
    EXPECT_TRUE(ui::RecordDialog::validate(*catalogue::organizerService().api(QStringLiteral("contacts")),
                                           {{QStringLiteral("name"), QStringLiteral("Ada")}, {QStringLiteral("email"), QStringLiteral("ada@example.com")}})
                    .isEmpty());
    EXPECT_TRUE(ui::RecordDialog::validate(*catalogue::organizerService().api(QStringLiteral("contacts")), {{QStringLiteral("name"), QStringLiteral("Ada")}})
                    .contains(QLatin1String("Email is required")));
    EXPECT_TRUE(ui::RecordDialog::validate(*catalogue::organizerService().api(QStringLiteral("contacts")),
                                           {{QStringLiteral("name"), QStringLiteral("Ada")}, {QStringLiteral("email"), QStringLiteral("ada")}})
                    .contains(QLatin1String("email address")));
    EXPECT_TRUE(ui::RecordDialog::validate(*catalogue::organizerService().api(QStringLiteral("calendar")),
                                           {{QStringLiteral("title"), QStringLiteral("t")}, {QStringLiteral("time"), QStringLiteral("2026-11-30T14:30:00")}})
                    .contains(QLatin1String("offset")));
    EXPECT_TRUE(ui::RecordDialog::validate(*catalogue::organizerService().api(QStringLiteral("calendar")),
                                           {{QStringLiteral("title"), QStringLiteral("t")}, {QStringLiteral("time"), QStringLiteral("2026-11-30T14:30:00Z")}})
                    .isEmpty());
}

// The Tenant tab on an empty tenant: the walkthrough's configure steps through the Management API,
// then the app follows what changed (record panes, scope menu, QA plan) without a restart, and each
// dashboard page is shown with what the tenant holds. Screenshots go to build/screenshots/tenant-*.
TEST(TenantTab, WalksTheTutorialOnAnEmptyTenantAndTheAppFollows)
{
    qputenv("ORGANIZER_SERVER_BINARY", test::serverBinary().toLocal8Bit());
    QTemporaryDir scratch;
    const auto arguments = app::TutorialScenario::prepareEmptyTenant(scratch.path());
    ASSERT_TRUE(arguments) << arguments.error().toStdString();
    app::ServerLauncher server;
    server.start({}, *arguments);
    ASSERT_TRUE(waitFor([&server] { return server.state() != app::ServerLauncher::State::Starting; }));
    ASSERT_EQ(server.state(), app::ServerLauncher::State::Running) << server.errorString().toStdString();

    Window fixture(&server, QSize(1280, 800));
    ui::MainWindow &window = fixture.window;
    app::TenantAdmin *admin = window.tenantAdmin();
    ui::TenantTab *tab = window.tenantTab();
    window.tabs()->setCurrentWidget(tab);
    tab->showPage(ui::TenantTab::Page::Walkthrough);
    // Only the Management API itself: no API yet.
    ASSERT_TRUE(waitFor([admin] { return admin->resourceServers().size() == 1 && !admin->isBusy(); }, 10000));
    EXPECT_TRUE(admin->resourceServers().at(0).isSystem);
    const auto stepButtons = [tab] {
        QList<QPushButton *> buttons;
        for (QPushButton *button : tab->findChildren<QPushButton *>()) {
            if (button->text() == QLatin1String("Do it"))
                buttons.append(button);
        }
        return buttons;
    };
    ASSERT_EQ(stepButtons().size(), 5);
    EXPECT_TRUE(stepButtons().at(0)->isEnabled());
    EXPECT_FALSE(stepButtons().at(1)->isEnabled()) << "a step waits for the one before it";
    EXPECT_TRUE(saveScreenshot(window.grab(), QStringLiteral("tenant-1-walkthrough-empty.png")));

    // Step 1: create Organizer Service; steps 2 and 3: its two read scopes.
    stepButtons().at(0)->click();
    ASSERT_TRUE(waitFor([admin] { return admin->resourceServer(QStringLiteral("organize")).has_value() && !admin->isBusy(); }, 10000));
    const app::ResourceServer created = *admin->resourceServer(QStringLiteral("organize"));
    EXPECT_EQ(created.name, QStringLiteral("Organizer Service"));
    EXPECT_EQ(created.signingAlgorithm, QStringLiteral("RS256"));
    ASSERT_TRUE(stepButtons().at(1)->isEnabled());
    stepButtons().at(1)->click();
    ASSERT_TRUE(waitFor([admin] { return admin->scopes(QStringLiteral("organize")).contains(QStringLiteral("read:contacts")) && !admin->isBusy(); }, 10000));
    stepButtons().at(2)->click();
    ASSERT_TRUE(waitFor([admin] { return admin->scopes(QStringLiteral("organize")).contains(QStringLiteral("read:calendar")) && !admin->isBusy(); }, 10000));
    EXPECT_EQ(admin->scopes(QStringLiteral("organize")), (QStringList{QStringLiteral("read:contacts"), QStringLiteral("read:calendar")}));
    EXPECT_FALSE(stepButtons().at(0)->isEnabled()) << "done steps are ticked off";
    EXPECT_TRUE(stepButtons().at(3)->isEnabled()) << "next: log in";
    EXPECT_TRUE(saveScreenshot(window.grab(), QStringLiteral("tenant-2-walkthrough-configured.png")));

    // Step 4: log in asking for the two scopes (RBAC is off on a new API: both are granted); step 5
    // follows with the first calls. Every step is then ticked off.
    stepButtons().at(3)->click();
    ASSERT_NE(window.loginView(), nullptr);
    ui::WebLoginBrowser browser(window.loginView(), &fixture.session, false);
    QObject::connect(&browser, &app::LoginBrowser::pageLoaded, [&browser](const QUrl &url, bool) {
        if (url.path() == QLatin1String("/login"))
            browser.submitLogin(QStringLiteral("alice@example.com"), QStringLiteral("organizer"));
        else if (url.path() == QLatin1String("/consent"))
            browser.answerConsent(true);
    });
    std::optional<QStringList> loginScopes;
    QObject::connect(&fixture.session, &app::LoginSession::succeeded, [&loginScopes](const app::LoginResult &result) { loginScopes = result.grantedScopes; });
    ASSERT_TRUE(waitFor([&loginScopes] { return loginScopes.has_value(); }, 60000));
    EXPECT_TRUE(loginScopes->contains(QStringLiteral("read:contacts")) && loginScopes->contains(QStringLiteral("read:calendar")))
        << loginScopes->join(QLatin1Char(' ')).toStdString();
    if (stepButtons().at(4)->isEnabled())
        stepButtons().at(4)->click();
    ASSERT_TRUE(waitFor(
        [&stepButtons] {
            for (QPushButton *button : stepButtons()) {
                if (button->isEnabled())
                    return false;
            }
            return true;
        },
        10000))
        << "both APIs answered 200: the walkthrough is done";
    // What the walkthrough's login and calls showed: every seeded contact and appointment, with the
    // scopes it asked for kept in the profile.
    EXPECT_EQ(columnTexts(window.tabs()->widget(0)->findChild<QTableView *>()->model(), QStringLiteral("Name")), kSeededContacts);
    EXPECT_EQ(window.tabs()->widget(1)->findChild<QTableView *>()->model()->rowCount(), kSeededAppointments);
    EXPECT_TRUE(fixture.controller.profile().scopes.contains(QStringLiteral("read:contacts")));
    EXPECT_TRUE(fixture.controller.profile().scopes.contains(QStringLiteral("read:calendar")));
    window.tabs()->setCurrentWidget(tab);
    EXPECT_TRUE(saveScreenshot(window.grab(), QStringLiteral("tenant-2-walkthrough-done.png")));

    // The dashboard's pages, as they show this tenant.
    tab->showPage(ui::TenantTab::Page::Apis);
    auto *apis = tab->findChildren<QTableWidget *>().value(0);
    ASSERT_NE(apis, nullptr);
    EXPECT_TRUE(saveScreenshot(window.grab(), QStringLiteral("tenant-3-apis.png")));
    tab->selectApi(QStringLiteral("organize"));
    tab->showPage(ui::TenantTab::Page::Settings);
    EXPECT_TRUE(saveScreenshot(window.grab(), QStringLiteral("tenant-4-settings.png")));
    tab->showPage(ui::TenantTab::Page::Scopes);
    EXPECT_TRUE(saveScreenshot(window.grab(), QStringLiteral("tenant-5-scopes.png")));

    // A new API with records, declared on Organizer Service: a tab for it appears, the QA plan
    // gains its five endpoints, the scope menu offers its scopes; no restart.
    const int endpointsBefore = int(window.qaTab()->plan().endpoints.size());
    bool declared = false;
    app::ApiSettingsEdit declaration;
    declaration.scopes = admin->resourceServer(QStringLiteral("organize"))->scopes;
    declaration.scopes->append({QStringLiteral("read:samples"), QStringLiteral("Read samples")});
    declaration.declaredApis = QList<catalogue::ApiSpec>{
        catalogue::declaredApiFromJson(
            QJsonObject{
                {QStringLiteral("name"), QStringLiteral("samples")},
                {QStringLiteral("fields"), QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("title")}, {QStringLiteral("required"), true}}}}},
            QStringLiteral("samples"))
            .value()};
    admin->updateApiSettings(created.id, declaration, [&declared](bool ok, const QString &) { declared = ok; });
    ASSERT_TRUE(waitFor([&declared] { return declared; }, 10000));
    ASSERT_TRUE(waitFor([&window] { return window.tabs()->tabText(2) == QLatin1String("Samples"); }, 5000)) << window.tabs()->tabText(2).toStdString();
    EXPECT_EQ(window.tabs()->tabText(0), QStringLiteral("Contacts"));
    EXPECT_EQ(window.tabs()->tabText(1), QStringLiteral("Calendar"));
    EXPECT_EQ(int(window.qaTab()->plan().endpoints.size()), endpointsBefore + 5)
        << window.qaTab()->findChildren<QLabel *>().value(0)->text().toStdString() << " | "
        << window.qaTab()->findChildren<QLabel *>().value(1)->text().toStdString();
    QToolButton *scopeButton = nullptr;
    for (QToolButton *candidate : window.findChildren<QToolButton *>()) {
        if (candidate->menu())
            scopeButton = candidate;
    }
    ASSERT_NE(scopeButton, nullptr);
    QStringList offered;
    for (QAction *action : scopeButton->menu()->actions())
        offered.append(action->text());
    EXPECT_TRUE(offered.contains(QStringLiteral("read:samples"))) << offered.join(QLatin1Char(' ')).toStdString();

    // Machine to Machine: the management client authorized for Organizer Service with one scope.
    bool granted = false;
    admin->setClientGrant(QStringLiteral("organizer-admin"), QStringLiteral("organize"), true, {QStringLiteral("read:contacts")},
                          [&granted](bool ok, const QString &) { granted = ok; });
    ASSERT_TRUE(waitFor([&granted] { return granted; }, 10000));
    tab->selectApi(QStringLiteral("organize"));
    tab->showPage(ui::TenantTab::Page::MachineToMachine);
    EXPECT_TRUE(saveScreenshot(window.grab(), QStringLiteral("tenant-6-machine-to-machine.png")));

    // Users and Roles: a role with a permission, held by Alice; her permissions say where they come from.
    bool roleMade = false;
    admin->createRole(QStringLiteral("Contacts reader"), QStringLiteral("Reads contacts"), [&roleMade](bool ok, const QString &) { roleMade = ok; });
    ASSERT_TRUE(waitFor([&roleMade] { return roleMade; }, 10000));
    const QString roleId = admin->roles().at(0).id;
    bool assigned = false;
    admin->addRolePermissions(roleId, QStringLiteral("organize"), {QStringLiteral("read:contacts")}, [&](bool ok, const QString &) {
        if (ok)
            admin->assignRoles(QStringLiteral("auth0|alice"), {roleId}, [&assigned](bool done, const QString &) { assigned = done; });
    });
    ASSERT_TRUE(waitFor([&assigned] { return assigned; }, 10000));
    const QList<app::Permission> alice = admin->userPermissions(QStringLiteral("auth0|alice"));
    ASSERT_EQ(alice.size(), 1);
    EXPECT_TRUE(alice.at(0).sources.at(0).fromRole) << "source_type ROLE";
    tab->showPage(ui::TenantTab::Page::UsersAndRoles);
    EXPECT_TRUE(saveScreenshot(window.grab(), QStringLiteral("tenant-7-users-and-roles.png")));
    server.stop();
}

// A profile for another tenant that names a management client: the Tenant tab administers that
// tenant through the same code as the bundled one's (here the bundled server plays the remote
// tenant), with the secret from the environment, never saved.
TEST_F(AppEndToEnd, TenantTabAdministersTheTenantAProfileNames)
{
    qputenv("ORGANIZER_MANAGEMENT_CLIENT_SECRET", "organizer-admin-secret");
    Window fixture(&m_server, QSize(1200, 760));
    ui::MainWindow &window = fixture.window;
    app::Profile remote;
    remote.name = QStringLiteral("Remote tenant");
    remote.issuer = m_server.url();
    remote.apiBaseUrl = m_server.url();
    remote.managementClientId = QStringLiteral("organizer-admin");
    window.useProfile(remote);
    // The window shows the profile the controller uses; one from the command line is not saved.
    EXPECT_EQ(fixture.controller.profile().name, remote.name);
    bool shown = false;
    for (QComboBox *box : window.findChildren<QComboBox *>())
        shown = shown || box->currentText() == remote.name;
    EXPECT_TRUE(shown) << "the profile box names the profile in use";
    fixture.settings.sync();
    for (const app::Profile &saved : fixture.profiles.load())
        EXPECT_NE(saved.name, remote.name);
    app::TenantAdmin *admin = window.tenantAdmin();
    ASSERT_TRUE(waitFor([admin] { return admin->hasTarget() && admin->resourceServer(QStringLiteral("organize")).has_value() && !admin->isBusy(); }, 10000));
    EXPECT_EQ(admin->target().clientId, QStringLiteral("organizer-admin"));
    EXPECT_EQ(admin->target().apiBase, m_server.url().resolved(QUrl(QStringLiteral("api/v2/"))));
    EXPECT_EQ(admin->users().size(), 4);
    EXPECT_EQ(admin->userPermissions(QStringLiteral("auth0|bob")).size(), 1);
    // The secret came from the environment and is not among the saved settings.
    fixture.settings.sync();
    for (const QString &key : fixture.settings.allKeys())
        EXPECT_NE(fixture.settings.value(key).toString(), QStringLiteral("organizer-admin-secret")) << key.toStdString();
    qunsetenv("ORGANIZER_MANAGEMENT_CLIENT_SECRET");
}
