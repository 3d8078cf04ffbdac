// The scope QA runner against a real organizer-server, with the same login automation the app uses
// but a form-submitting HTTP browser in place of Chromium: every cell, the clean-up, cancel, re-run
// and the timelines, in a plain process (the sanitizer run includes it).

#include "formloginbrowser.h"
#include "qarunner.h"
#include "serverprocess.h"
#include "waitfor.h"
#include "testhttp.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::test;

namespace {

class QaRunnerTest : public ::testing::Test
{
protected:
    void startServer(const QStringList &arguments = {}) { ASSERT_TRUE(server.start(arguments)) << qPrintable(server.errorText()); }

    // Runs `plan` to the end; false if it did not finish in time.
    bool run(const qa::Plan &plan, app::Flow flow = app::Flow::Implicit)
    {
        minter.setDataDir(server.dataDir());
        runner.setTokenSource(&minter);
        qa::QaTarget target;
        target.issuer = server.url();
        target.apiBaseUrl = server.url();
        target.flow = flow;
        finished = false;
        runner.start(plan, target);
        return waitFor([this] { return finished; }, 120'000);
    }

    QStringList labels(int row) const
    {
        QStringList out;
        for (const app::FlowStep &step : runner.run().rows.at(row).timeline.steps())
            out << step.label;
        return out;
    }

    QJsonArray records(const QString &collection)
    {
        const CommandResult minted
            = runServerCommand({QStringLiteral("token"), QStringLiteral("--data-dir"), server.dataDir(), QStringLiteral("--sub"), QStringLiteral("test|reader"),
                                QStringLiteral("--scope"), QStringLiteral("read:contacts read:calendar")});
        EXPECT_EQ(minted.exitCode, 0) << minted.err.constData();
        const HttpReply reply = sendHttp(server.port(), {"GET", "/api/" + collection.toLatin1(), {{"Authorization", bearer(minted.out.trimmed())}}, {}});
        return QJsonDocument::fromJson(reply.body).object().value(collection).toArray();
    }

    static qa::Plan smallPlan(const char *users)
    {
        const QByteArray json = QByteArray(R"({
          "endpoints": [
            {"method": "GET", "path": "/api/contacts", "scope": "read:contacts"},
            {"method": "POST", "path": "/api/contacts", "scope": "create:contacts", "body": {"name": "QA Probe", "email": "qa@example.com"}},
            {"method": "DELETE", "path": "/api/contacts/{id}", "scope": "delete:contacts"}
          ],
          "users": )")
            + users + R"(,
          "scope_sets": [["read:contacts"], ["read:contacts", "create:contacts", "delete:contacts"]],
          "negative_probes": ["no_token"]
        })";
        auto plan = qa::Plan::parse(json, QStringLiteral("small.json"), QString(), qa::Plan::bundledTenant());
        EXPECT_TRUE(plan) << qPrintable(plan ? QString() : plan.error());
        return plan ? *plan : qa::Plan{};
    }

    ServerProcess server;
    app::OidcClient oidc;
    app::LoginSession session{&oidc};
    FormLoginBrowser browser{&session};
    qa::LocalTokenMinter minter{serverBinary(), QString()};
    qa::QaRunner runner{&oidc, &session, &browser};
    bool finished = false;
    bool passed = false;
    QMetaObject::Connection connection = QObject::connect(&runner, &qa::QaRunner::finished, [this](bool ok) {
        finished = true;
        passed = ok;
    });
};

} // namespace

TEST_F(QaRunnerTest, DefaultPlanEveryCellAsPredictedWithTimelinesAndTheDataAsFound)
{
    startServer();
    const qsizetype contacts = records(QStringLiteral("contacts")).size();
    const qsizetype appointments = records(QStringLiteral("appointments")).size();
    ASSERT_TRUE(run(qa::Plan::builtIn()));
    const qa::QaRun &result = runner.run();
    EXPECT_TRUE(passed);
    EXPECT_EQ(result.cellCount(), 650);
    EXPECT_EQ(result.count(qa::Verdict::Pass), 650);
    EXPECT_GT(result.loginMs, 0);
    EXPECT_GT(result.callMs, 0);

    // alice's first row: the whole login; her second: the session is kept, so only consent.
    const QStringList first = labels(0);
    for (const char *step : {"GET /.well-known/openid-configuration", "open /authorize (id_token token)", "login page", "POST /login as alice@example.com",
                             "consent page", "POST /consent: Accept"})
        EXPECT_TRUE(first.contains(QLatin1String(step))) << step << "\n" << qPrintable(first.join(QLatin1Char('\n')));
    EXPECT_TRUE(std::any_of(first.begin(), first.end(), [](const QString &l) { return l.startsWith(QLatin1String("id_token verified")); }));
    EXPECT_EQ(std::count_if(first.begin(), first.end(), [](const QString &l) { return l.contains(QStringLiteral(" → ")); }), 10) << "one step per API call";
    EXPECT_FALSE(labels(1).contains(QStringLiteral("login page")));
    // bob comes after alice: her session was dropped, so he sees the login page.
    const int bob = int(result.plan.scopeSets.size());
    EXPECT_EQ(result.rows.at(bob).label, QStringLiteral("bob@example.com · read:contacts"));
    EXPECT_TRUE(labels(bob).contains(QStringLiteral("POST /login as bob@example.com")));

    // The records the grid made are gone.
    EXPECT_EQ(records(QStringLiteral("contacts")).size(), contacts);
    EXPECT_EQ(records(QStringLiteral("appointments")).size(), appointments);
}

TEST_F(QaRunnerTest, LoggingInByHandAsksEachPersonOnceAndTheRunGoesOn)
{
    startServer();
    runner.setLoginByHand(true);
    // The test is the person: it types the plan's password when asked, and only then.
    QStringList asked;
    QObject::connect(&runner, &qa::QaRunner::personNeeded, [this, &asked](const QString &login, const QString &page) {
        asked << login;
        EXPECT_TRUE(page.endsWith(QLatin1String("/login"))) << page.toStdString();
        QTimer::singleShot(50, &browser, [this, login] { browser.submitLogin(login, QStringLiteral("organizer")); });
    });
    ASSERT_TRUE(run(smallPlan(R"([{"login": "alice@example.com", "password": "not used by hand"}, {"login": "bob@example.com", "password": "x"}])")));
    EXPECT_TRUE(passed);
    EXPECT_EQ(asked, (QStringList{QStringLiteral("alice@example.com"), QStringLiteral("bob@example.com")})); // once per person, not per row
    EXPECT_EQ(runner.run().count(qa::Verdict::Pass), runner.run().cellCount());
    EXPECT_TRUE(labels(0).contains(QStringLiteral("login page: waiting for alice@example.com to log in by hand")));
    EXPECT_TRUE(labels(0).contains(QStringLiteral("POST /consent: Accept"))); // consent still answered by itself
}

TEST_F(QaRunnerTest, TheCodeFlowGivesTheSameVerdicts)
{
    startServer();
    ASSERT_TRUE(run(smallPlan(R"([{"login": "bob@example.com", "password": "organizer"}, {"login": "alice@example.com", "password": "organizer"}])"),
                    app::Flow::AuthorizationCodePkce));
    EXPECT_TRUE(passed);
    EXPECT_EQ(runner.run().count(qa::Verdict::Pass), 5 * 3);
    const QStringList steps = labels(0);
    EXPECT_TRUE(std::any_of(steps.begin(), steps.end(), [](const QString &l) { return l.contains(QLatin1String("authorization_code + code_verifier")); }))
        << qPrintable(steps.join(QLatin1Char('\n')));
}

TEST_F(QaRunnerTest, AWrongRuleOnTheServerFailsExactlyTheCellsItBreaks)
{
    startServer({QStringLiteral("--route-scope"), QStringLiteral("POST /api/contacts=read:contacts")});
    ASSERT_TRUE(run(smallPlan(R"([{"login": "bob@example.com", "password": "organizer"}, {"login": "alice@example.com", "password": "organizer"}])")));
    EXPECT_FALSE(passed);
    const qa::QaRun &result = runner.run();
    // bob · read:contacts and alice · read:contacts may now create (predicted 403); bob · all may create
    // although his grant lacks create:contacts. alice · all keeps 201 (she has read:contacts too).
    QStringList failures;
    for (const qa::RowResult &row : result.rows) {
        for (qsizetype c = 0; c < row.cells.size(); ++c) {
            if (row.cells.at(c).verdict == qa::Verdict::Fail)
                failures << row.label + QLatin1Char('/') + result.plan.endpoints.at(c).name();
        }
    }
    EXPECT_EQ(failures,
              (QStringList{QStringLiteral("bob@example.com · read:contacts/POST /api/contacts"),
                           QStringLiteral("bob@example.com · read:contacts create:contacts delete:contacts/POST /api/contacts"),
                           QStringLiteral("alice@example.com · read:contacts/POST /api/contacts")}));
    const qa::CellResult &cell = result.rows.at(0).cells.at(1);
    EXPECT_EQ(cell.status, 201);
    EXPECT_TRUE(cell.note.contains(QLatin1String("expected 403 insufficient_scope because create:contacts is not granted, got 201"))) << qPrintable(cell.note);
}

TEST_F(QaRunnerTest, AWrongPasswordFailsTheRowWithTheReason)
{
    startServer();
    ASSERT_TRUE(run(smallPlan(R"([{"login": "bob@example.com", "password": "not-his"}])")));
    EXPECT_FALSE(passed);
    const qa::RowResult &row = runner.run().rows.at(0);
    EXPECT_EQ(row.verdict, qa::Verdict::Fail);
    EXPECT_FALSE(row.tokenObtained);
    EXPECT_TRUE(row.cells.at(0).note.contains(QLatin1String("the login page came back (wrong email or password for bob@example.com?)")))
        << qPrintable(row.cells.at(0).note);
    // The no-token probe row still runs and passes.
    EXPECT_EQ(runner.run().rows.constLast().verdict, qa::Verdict::Pass);
}

TEST_F(QaRunnerTest, CancelStopsReportsWhatDidNotRunAndRemovesTheRecords)
{
    startServer();
    const qsizetype contacts = records(QStringLiteral("contacts")).size();
    minter.setDataDir(server.dataDir());
    runner.setTokenSource(&minter);
    qa::QaTarget target;
    target.issuer = server.url();
    target.apiBaseUrl = server.url();
    int rowsDone = 0;
    QObject::connect(&runner, &qa::QaRunner::progress, [&rowsDone](int done, int) { rowsDone = done; });
    runner.start(qa::Plan::builtIn(), target);
    ASSERT_TRUE(waitFor([&rowsDone] { return rowsDone >= 3; }, 120'000));
    runner.cancel();
    ASSERT_TRUE(waitFor([this] { return finished; }, 120'000));
    EXPECT_FALSE(passed);
    EXPECT_TRUE(runner.run().cancelled);
    EXPECT_FALSE(runner.isRunning());
    EXPECT_GT(runner.run().count(qa::Verdict::NotRun), 500);
    EXPECT_EQ(runner.run().count(qa::Verdict::Fail), 0);
    EXPECT_EQ(runner.run().rows.constLast().cells.at(0).note, QStringLiteral("the run was cancelled"));
    EXPECT_EQ(runner.run().rows.constLast().verdict, qa::Verdict::NotRun);
    EXPECT_EQ(records(QStringLiteral("contacts")).size(), contacts);
}

TEST_F(QaRunnerTest, ReRunningARowRunsThatRowAlone)
{
    startServer();
    ASSERT_TRUE(run(smallPlan(R"([{"login": "bob@example.com", "password": "organizer"}])")));
    ASSERT_TRUE(passed);
    QList<int> started;
    QObject::connect(&runner, &qa::QaRunner::rowChanged, [&started, this](int row) {
        if (runner.run().rows.at(row).verdict == qa::Verdict::Running && !started.contains(row))
            started << row;
    });
    int total = 0;
    QObject::connect(&runner, &qa::QaRunner::progress, [&total](int, int all) { total = all; });
    finished = false;
    runner.rerunRow(1);
    ASSERT_TRUE(waitFor([this] { return finished; }, 120'000));
    EXPECT_TRUE(passed);
    EXPECT_EQ(started, QList<int>{1});
    EXPECT_EQ(total, 1);
    EXPECT_EQ(runner.run().rows.at(1).verdict, qa::Verdict::Pass);
    EXPECT_EQ(runner.run().count(qa::Verdict::Pass), 3 * 3);
}

TEST_F(QaRunnerTest, WithoutTheIssuersKeyAUserAllowedEveryScopeCleansUpAfterTheCreates)
{
    // As against another provider: no minted tokens. The records the creates make are removed with
    // a real login of a user the tenant allows every scope (alice), even with no {id} endpoint.
    startServer();
    const qsizetype contacts = records(QStringLiteral("contacts")).size();
    runner.setTokenSource(nullptr);
    qa::QaTarget target;
    target.issuer = server.url();
    target.apiBaseUrl = server.url();
    auto plan = qa::Plan::parse(R"({
      "endpoints": [
        {"method": "GET", "path": "/api/contacts", "scope": "read:contacts"},
        {"method": "POST", "path": "/api/contacts", "scope": "create:contacts", "body": {"name": "QA Probe", "email": "qa@example.com"}}
      ],
      "users": [{"login": "carol@example.com", "password": "organizer"}, {"login": "alice@example.com", "password": "organizer"}],
      "scope_sets": [["read:contacts", "create:contacts"]],
      "negative_probes": ["expired_token"]
    })",
                                QStringLiteral("remote.json"), QString(), qa::Plan::bundledTenant());
    ASSERT_TRUE(plan) << qPrintable(plan.error());
    finished = false;
    runner.start(*plan, target);
    ASSERT_TRUE(waitFor([this] { return finished; }, 120'000));
    EXPECT_TRUE(passed);
    const qa::QaRun &result = runner.run();
    EXPECT_EQ(result.rows.at(1).cells.at(1).status, 201); // alice created one
    EXPECT_EQ(result.rows.at(2).cells.at(0).verdict, qa::Verdict::NotRun);
    EXPECT_TRUE(result.rows.at(2).cells.at(0).note.contains(QLatin1String("issuer's own key"))) << qPrintable(result.rows.at(2).cells.at(0).note);
    EXPECT_EQ(records(QStringLiteral("contacts")).size(), contacts);
}

// The same redirect delivered twice (two listeners on one web view, a reload) is one answer: the
// code is redeemed once, so a provider that revokes on reuse (RFC 6749 §4.1.2) cannot void the login.
TEST(LoginSessionAnswers, ARedirectDeliveredTwiceIsRedeemedOnce)
{
    ServerProcess server;
    ASSERT_TRUE(server.start()) << qPrintable(server.errorText());
    app::OidcClient oidc;
    app::LoginSession session(&oidc);
    int succeeded = 0;
    QStringList failures;
    QObject::connect(&session, &app::LoginSession::succeeded, [&succeeded](const app::LoginResult &) { ++succeeded; });
    QObject::connect(&session, &app::LoginSession::failed, [&failures](const app::LoginError &error) { failures << error.message; });
    QObject::connect(&session, &app::LoginSession::authorizeWithBrowser, [&](const QUrl &url) {
        TestBrowser browser(server.port());
        const auto outcome = browser.authorize(url.query(QUrl::FullyEncoded), QStringLiteral("alice@example.com"), QStringLiteral("organizer"));
        ASSERT_TRUE(outcome.redirect.isValid()) << outcome.failure.toStdString();
        session.handleRedirect(outcome.redirect);
        session.handleRedirect(outcome.redirect);
    });
    app::LoginSettings settings;
    settings.issuer = server.url();
    settings.clientId = QStringLiteral("organizer-desktop");
    settings.audience = QStringLiteral("organize");
    settings.redirectUri = QUrl(QStringLiteral("http://localhost:3000/callback"));
    settings.scopes = {QStringLiteral("openid"), QStringLiteral("read:contacts")};
    settings.flow = app::Flow::AuthorizationCodePkce;
    session.start(settings);
    ASSERT_TRUE(waitFor([&] { return succeeded > 0 || !failures.isEmpty(); }, 30'000));
    waitFor([] { return false; }, 500); // time for a second redemption to arrive, if one was sent
    EXPECT_EQ(succeeded, 1);
    EXPECT_TRUE(failures.isEmpty()) << failures.join(QLatin1Char('\n')).toStdString();
    EXPECT_EQ(server.log().count("POST /oauth/token"), 1) << server.log().constData();
}
