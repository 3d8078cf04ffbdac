// The hosted login page: its forms' cookie and CSRF checks, the throttle on wrong passwords and made-up
// names, and the password hashes the tenant accepts.

#include "authorizationfixture.h"
#include "inprocessserver.h"
#include "passwordhash.h"

#include <QJsonArray>
#include <QProcess>

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::test;
using namespace std::chrono_literals;

namespace {
// One attempt on the login page of a fresh /authorize: the answer's status.
int tryLogin(TestBrowser &browser, const QString &username, const QString &password)
{
    const HttpReply start = browser.get("/authorize?" + query(QStringLiteral("token"), QStringLiteral("openid")).toUtf8());
    const HttpReply page = browser.get(start.header("location"));
    return browser
        .postForm("/login",
                  {{QStringLiteral("transaction"), TestBrowser::hiddenField(page.body, QStringLiteral("transaction"))},
                   {QStringLiteral("csrf"), TestBrowser::hiddenField(page.body, QStringLiteral("csrf"))},
                   {QStringLiteral("username"), username},
                   {QStringLiteral("password"), password}})
        .status;
}
} // namespace

TEST_F(Authorization, MadeUpNamesFromOneAddressDoNotLockRealUsersOut)
{
    // Every browser on the loopback setup is 127.0.0.1: a local process failing with invented names
    // must not stop alice, whose correct password still works.
    TestBrowser attacker(port());
    int refused = 0;
    for (int i = 0; i < 40; ++i)
        refused += tryLogin(attacker, QStringLiteral("nobody%1@example.com").arg(i), QStringLiteral("guess")) == 429 ? 1 : 0;
    EXPECT_GT(refused, 0); // the address is throttled for names that do not exist
    TestBrowser alice(port());
    EXPECT_EQ(tryLogin(alice, QStringLiteral("alice@example.com"), kPassword), 302);
    // A wrong password for a real account from that address gets the same answer as a made-up name:
    // nothing tells the two apart.
    EXPECT_EQ(tryLogin(attacker, QStringLiteral("bob@example.com"), QStringLiteral("guess")), 429);
    EXPECT_EQ(tryLogin(attacker, QStringLiteral("nobody-else@example.com"), QStringLiteral("guess")), 429);
}

TEST_F(Authorization, LoginsAreNormalisedOnceForLookupAndThrottle)
{
    m_server.stop();
    const QString config = writeTenant(m_scratch.path(), [](QJsonObject &tenant) {
        QJsonArray users = tenant.value(QLatin1String("users")).toArray();
        QJsonObject sam = users.at(0).toObject();
        sam.insert(QStringLiteral("user_id"), QStringLiteral("sam"));
        sam.insert(QStringLiteral("email"), QStringLiteral("sam@example.com"));
        sam.insert(QStringLiteral("name"), QStringLiteral("Sam Stone"));
        users.append(sam);
        tenant.insert(QStringLiteral("users"), users);
    });
    // On a clock that moves only when told: each backoff is run out to the second, not waited for.
    ManualClock clock;
    InProcessServer server({.home = InProcessServer::Home::OwnThread, .clocks = clock.clocks(), .tenantFile = config});
    ASSERT_TRUE(server.error().isEmpty()) << server.error().toStdString();
    TestBrowser browser(server.port());
    const QString longS = QStringLiteral("\u017Fam@example.com"); // "ſam": case-folds to "sam"
    // ſam is sam: the same account, so the same counter. Five failures are free, whatever the spelling.
    const QString spellings[] = {longS, QStringLiteral("SAM@example.com"), QStringLiteral("Sam@Example.com")};
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(tryLogin(browser, spellings[i % 3], QStringLiteral("wrong")), 401) << "free attempt " << i;
    // Each further failure is only counted once its backoff ran out: 1 s, then 2 s.
    EXPECT_EQ(tryLogin(browser, spellings[2], QStringLiteral("wrong")), 429) << "within the 1 s backoff";
    clock.advance(1s);
    EXPECT_EQ(tryLogin(browser, spellings[2], QStringLiteral("wrong")), 401) << "after the 1 s backoff: the sixth failure counts";
    EXPECT_EQ(tryLogin(browser, spellings[0], QStringLiteral("wrong")), 429) << "within the 2 s backoff";
    clock.advance(1s);
    EXPECT_EQ(tryLogin(browser, spellings[0], QStringLiteral("wrong")), 429) << "1 s into the 2 s backoff";
    clock.advance(1s);
    EXPECT_EQ(tryLogin(browser, spellings[0], QStringLiteral("wrong")), 401) << "after the 2 s backoff: the seventh failure counts";
    // Backing off 4 s now, for every spelling of the account, even with its right password.
    EXPECT_EQ(tryLogin(browser, QStringLiteral("sam@example.com"), QStringLiteral("wrong")), 429);
    EXPECT_EQ(tryLogin(browser, longS, kPassword), 429);
    TestBrowser other(server.port());
    EXPECT_EQ(tryLogin(other, QStringLiteral("alice@example.com"), kPassword), 302); // other accounts unaffected
}

TEST_F(Authorization, WrongPasswordsAreThrottledWithoutRevealingAccounts)
{
    TestBrowser browser(port());
    HttpReply reply = browser.get("/authorize?" + query(QStringLiteral("token"), QStringLiteral("openid")).toUtf8());
    const QByteArray loginPath = reply.header("location");
    int status = 0;
    QByteArray lastBody;
    for (int attempt = 0; attempt < 7; ++attempt) {
        const HttpReply page = browser.get(loginPath);
        reply = browser.postForm("/login",
                                 {{QStringLiteral("transaction"), TestBrowser::hiddenField(page.body, QStringLiteral("transaction"))},
                                  {QStringLiteral("csrf"), TestBrowser::hiddenField(page.body, QStringLiteral("csrf"))},
                                  {QStringLiteral("username"), QStringLiteral("nobody@example.com")},
                                  {QStringLiteral("password"), QStringLiteral("guess")}});
        status = reply.status;
        lastBody = reply.body;
        if (attempt == 0) {
            EXPECT_EQ(reply.status, 401);
            EXPECT_TRUE(reply.body.contains("Wrong email or password."));
        }
    }
    EXPECT_EQ(status, 429);
    EXPECT_TRUE(lastBody.contains("Too many failed attempts"));
    EXPECT_FALSE(lastBody.contains("does not exist"));
}

TEST_F(Authorization, FormsNeedTheirCookieAndCannotBeReplayed)
{
    TestBrowser browser(port());
    const HttpReply start = browser.get("/authorize?" + query(QStringLiteral("token"), QStringLiteral("openid")).toUtf8());
    const HttpReply page = browser.get(start.header("location"));
    const QList<QPair<QString, QString>> form{{QStringLiteral("transaction"), TestBrowser::hiddenField(page.body, QStringLiteral("transaction"))},
                                              {QStringLiteral("csrf"), TestBrowser::hiddenField(page.body, QStringLiteral("csrf"))},
                                              {QStringLiteral("username"), QStringLiteral("dave@example.com")},
                                              {QStringLiteral("password"), kPassword}};
    TestBrowser cookieless(port());
    EXPECT_EQ(cookieless.postForm("/login", form).status, 400);
    QList<QPair<QString, QString>> forged = form;
    forged[1].second = QStringLiteral("not-the-token");
    EXPECT_EQ(browser.postForm("/login", forged).status, 400);
    EXPECT_EQ(browser.postForm("/login", form).status, 302);
    const HttpReply consentPage = browser.get(browser.get("/consent?transaction=" + form[0].second.toLatin1()).status == 200
                                                  ? QByteArray("/consent?transaction=" + form[0].second.toLatin1())
                                                  : QByteArray("/"));
    const QList<QPair<QString, QString>> accept{{QStringLiteral("transaction"), form[0].second},
                                                {QStringLiteral("csrf"), TestBrowser::hiddenField(consentPage.body, QStringLiteral("csrf"))},
                                                {QStringLiteral("decision"), QStringLiteral("accept")}};
    EXPECT_EQ(browser.postForm("/consent", accept).status, 302);
    const HttpReply replay = browser.postForm("/consent", accept);
    EXPECT_EQ(replay.status, 400);
    EXPECT_TRUE(replay.body.contains("expired or was already used"));
}

TEST(HashPassword, PrintsAHashTheTenantAccepts)
{
    QProcess process;
    process.start(serverBinary(), {QStringLiteral("hash-password")});
    process.write("s3cret pass\n");
    process.closeWriteChannel();
    ASSERT_TRUE(process.waitForFinished(30000));
    EXPECT_EQ(process.exitCode(), 0);
    const QString hash = QString::fromUtf8(process.readAllStandardOutput()).trimmed();
    EXPECT_TRUE(hash.startsWith(QLatin1String("pbkdf2-sha256$600000$")));
    EXPECT_TRUE(authorization::verifyPassword(QStringLiteral("s3cret pass"), hash));
    EXPECT_FALSE(authorization::verifyPassword(QStringLiteral("s3cret pass\n"), hash));
}
