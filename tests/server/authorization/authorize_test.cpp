// GET /authorize end to end: the response types and modes, the checks made before anything is
// redirected (client, redirect URI, audience, prompt and max_age), and the login transactions it holds.

#include "authorizationfixture.h"
#include "formencoding.h"
#include "tokenminter.h"

#include <QDir>
#include <QFile>
#include <QHostAddress>
#include <QJsonArray>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::test;

TEST_F(Authorization, ImplicitFlowReturnsTheTutorialFragment)
{
    TestBrowser browser(port());
    const auto outcome = browser.authorize(query(QStringLiteral("id_token token"), QStringLiteral("openid profile read:contacts read:calendar")),
                                           QStringLiteral("bob@example.com"), kPassword);
    ASSERT_TRUE(outcome.redirect.isValid()) << outcome.failure.toStdString();
    EXPECT_TRUE(outcome.sawConsent);
    EXPECT_EQ(outcome.redirect.toString(QUrl::RemoveFragment), kCallback);
    EXPECT_TRUE(outcome.redirect.query().isEmpty()); // tokens only in the fragment
    const QUrlQuery fragment = outcome.parameters();
    EXPECT_EQ(value(fragment, "token_type"), QStringLiteral("Bearer"));
    EXPECT_EQ(value(fragment, "expires_in"), QStringLiteral("86400"));
    EXPECT_EQ(value(fragment, "scope"), QStringLiteral("openid profile read:contacts")); // bob has no calendar permission
    EXPECT_EQ(value(fragment, "state"), QStringLiteral("state-123"));
    EXPECT_FALSE(fragment.hasQueryItem(QStringLiteral("refresh_token")));

    const QString accessToken = value(fragment, "access_token");
    const QJsonObject access = claimsOf(accessToken);
    EXPECT_EQ(access.value(QLatin1String("iss")).toString(), m_server.issuer());
    EXPECT_EQ(access.value(QLatin1String("sub")).toString(), QStringLiteral("auth0|bob"));
    EXPECT_EQ(access.value(QLatin1String("aud")).toArray(), (QJsonArray{QStringLiteral("organize"), m_server.issuer() + QStringLiteral("userinfo")}));
    EXPECT_EQ(access.value(QLatin1String("azp")).toString(), QStringLiteral("organizer-desktop"));
    EXPECT_EQ(access.value(QLatin1String("permissions")).toArray(), QJsonArray{QStringLiteral("read:contacts")});

    const QJsonObject id = claimsOf(value(fragment, "id_token"));
    EXPECT_EQ(id.value(QLatin1String("aud")).toString(), QStringLiteral("organizer-desktop"));
    EXPECT_EQ(id.value(QLatin1String("nonce")).toString(), QStringLiteral("nonce-456"));
    EXPECT_EQ(id.value(QLatin1String("at_hash")).toString().toLatin1(), authorization::accessTokenHash(accessToken.toLatin1()));
    EXPECT_EQ(id.value(QLatin1String("name")).toString(), QStringLiteral("Bob Brown"));
    EXPECT_FALSE(id.contains(QLatin1String("email"))); // email scope not asked
    EXPECT_EQ(id.value(QLatin1String("exp")).toInteger() - id.value(QLatin1String("iat")).toInteger(), 36000); // Auth0's default

    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", accessToken).status, 200);
    const HttpReply calendar = callApi(port(), "GET", "/api/appointments", accessToken);
    EXPECT_EQ(calendar.status, 403);
    EXPECT_EQ(calendar.json("error"), "insufficient_scope");
}

struct UserCase
{
    const char *login;
    int contacts;
    int calendar;
    int createContact;
};
void PrintTo(const UserCase &c, std::ostream *os)
{
    *os << c.login;
}

class AuthorizationPerUser : public Authorization, public ::testing::WithParamInterface<UserCase>
{};

TEST_P(AuthorizationPerUser, TokenOpensExactlyTheApisTheUserMayUse)
{
    TestBrowser browser(port());
    const auto outcome = browser.authorize(query(QStringLiteral("token"), QStringLiteral("openid read:contacts create:contacts read:calendar")),
                                           QLatin1String(GetParam().login), kPassword);
    ASSERT_TRUE(outcome.redirect.isValid()) << outcome.failure.toStdString();
    const QString token = value(outcome.parameters(), "access_token");
    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", token).status, GetParam().contacts);
    EXPECT_EQ(callApi(port(), "GET", "/api/appointments", token).status, GetParam().calendar);
    EXPECT_EQ(callApi(port(), "POST", "/api/contacts", token, R"({"name":"Via Login","email":"login@example.com"})").status, GetParam().createContact);
}

INSTANTIATE_TEST_SUITE_P(DemoUsers, AuthorizationPerUser,
                         ::testing::Values(UserCase{"alice@example.com", 200, 200, 201}, UserCase{"bob@example.com", 200, 403, 403},
                                           UserCase{"carol@example.com", 403, 200, 403}, UserCase{"dave@example.com", 403, 403, 403}),
                         [](const auto &row) { return QString::fromLatin1(row.param.login).section(QLatin1Char('@'), 0, 0).toStdString(); });

TEST_F(Authorization, PromptLoginAsksAgainDespiteTheSession)
{
    TestBrowser browser(port());
    ASSERT_TRUE(browser.authorize(query(QStringLiteral("token"), QStringLiteral("openid")), QStringLiteral("dave@example.com"), kPassword).redirect.isValid());
    const HttpReply reply
        = browser.get("/authorize?" + query(QStringLiteral("token"), QStringLiteral("openid"), {{QStringLiteral("prompt"), QStringLiteral("login")}}).toUtf8());
    EXPECT_EQ(reply.status, 302);
    EXPECT_TRUE(reply.header("location").startsWith("/login?"));
}

TEST_F(Authorization, UntrustedClientOrRedirectGetsAPageNeverARedirect)
{
    TestBrowser browser(port());
    for (const QByteArray &bad : {QByteArray("/authorize?client_id=unknown&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&response_type=token"),
                                  QByteArray("/authorize?client_id=organizer-desktop&redirect_uri=https%3A%2F%2Fevil.example%2F&response_type=token")}) {
        const HttpReply reply = browser.get(bad);
        EXPECT_EQ(reply.status, 400);
        EXPECT_TRUE(reply.header("location").isEmpty());
        EXPECT_TRUE(reply.header("content-type").startsWith("text/html"));
        EXPECT_FALSE(reply.body.contains("<script"));
    }
}

TEST_F(Authorization, UnknownAudienceIsAccessDeniedServiceNotFound)
{
    TestBrowser browser(port());
    QString q = query(QStringLiteral("token"), QStringLiteral("openid"));
    q.replace(QStringLiteral("audience=organize"), QStringLiteral("audience=https%3A%2F%2Fnope.example"));
    const HttpReply reply = browser.get("/authorize?" + q.toUtf8());
    ASSERT_EQ(reply.status, 302);
    const QUrlQuery fragment(QUrl(QString::fromUtf8(reply.header("location"))).fragment(QUrl::FullyEncoded));
    EXPECT_EQ(value(fragment, "error"), QStringLiteral("access_denied"));
    EXPECT_EQ(value(fragment, "error_description"), QStringLiteral("Service not found: https://nope.example"));
    EXPECT_EQ(value(fragment, "state"), QStringLiteral("state-123"));
}

TEST_F(Authorization, FormPostAnswersWithAnAutoSubmittingPage)
{
    TestBrowser browser(port());
    const auto outcome
        = browser.authorize(query(QStringLiteral("id_token"), QStringLiteral("openid"), {{QStringLiteral("response_mode"), QStringLiteral("form_post")}}),
                            QStringLiteral("dave@example.com"), kPassword);
    ASSERT_EQ(outcome.lastReply.status, 200) << outcome.failure.toStdString();
    EXPECT_TRUE(outcome.lastReply.body.contains("action=\"http://localhost:3000/callback\""));
    EXPECT_FALSE(TestBrowser::hiddenField(outcome.lastReply.body, QStringLiteral("id_token")).isEmpty());
    EXPECT_EQ(TestBrowser::hiddenField(outcome.lastReply.body, QStringLiteral("state")), QStringLiteral("state-123"));
    EXPECT_TRUE(outcome.lastReply.header("content-security-policy").contains("form-action http://localhost:3000"));
}

TEST_F(Authorization, MaxAgeZeroAsksForTheLoginEvenWithinTheSameSecond)
{
    // OpenID Connect Core §3.1.2.1: max_age=0 is prompt=login, however fresh the session.
    TestBrowser browser(port());
    const auto first
        = browser.authorize(query(QStringLiteral("id_token token"), QStringLiteral("openid read:contacts")), QStringLiteral("alice@example.com"), kPassword);
    ASSERT_TRUE(first.redirect.isValid()) << first.failure.toStdString();
    for (int i = 0; i < 3; ++i) {
        const HttpReply again = browser.get(
            "/authorize?"
            + query(QStringLiteral("id_token token"), QStringLiteral("openid read:contacts"), {{QStringLiteral("max_age"), QStringLiteral("0")}}).toLatin1());
        ASSERT_EQ(again.status, 302);
        EXPECT_TRUE(again.header("location").startsWith("/login?")) << again.header("location").constData();
    }
    // prompt=none with max_age=0 cannot log in silently.
    const HttpReply silent = browser.get("/authorize?"
                                         + query(QStringLiteral("id_token token"), QStringLiteral("openid read:contacts"),
                                                 {{QStringLiteral("max_age"), QStringLiteral("0")}, {QStringLiteral("prompt"), QStringLiteral("none")}})
                                               .toLatin1());
    ASSERT_EQ(silent.status, 302);
    EXPECT_TRUE(silent.header("location").contains("error=login_required")) << silent.header("location").constData();
    // Without max_age the session still answers at once (the consent page for a loopback redirect).
    const HttpReply plain = browser.get("/authorize?" + query(QStringLiteral("id_token token"), QStringLiteral("openid read:contacts")).toLatin1());
    EXPECT_TRUE(plain.header("location").startsWith("/consent?")) << plain.header("location").constData();
}

TEST_F(Authorization, HostileInputGetsAClearErrorNotACrash)
{
    TestBrowser browser(port());
    const HttpReply huge = browser.get("/authorize?" + query(QStringLiteral("token"), QStringLiteral("openid")).toUtf8() + "&state=" + QByteArray(20000, 'x'));
    EXPECT_EQ(huge.status, 400);
    EXPECT_TRUE(huge.header("location").isEmpty());
    EXPECT_TRUE(huge.body.contains("longer than"));

    // A real login form (transaction, CSRF token and cookie all valid) whose username is not UTF-8.
    const HttpReply start = browser.get("/authorize?" + query(QStringLiteral("token"), QStringLiteral("openid")).toUtf8());
    ASSERT_EQ(start.status, 302);
    const HttpReply loginPage = browser.get(start.header("location"));
    ASSERT_EQ(loginPage.status, 200);
    const QByteArray transaction = TestBrowser::hiddenField(loginPage.body, QStringLiteral("transaction")).toLatin1();
    const QByteArray csrf = TestBrowser::hiddenField(loginPage.body, QStringLiteral("csrf")).toLatin1();
    ASSERT_FALSE(transaction.isEmpty());
    const HttpReply bad
        = browser.postRaw("/login", "application/x-www-form-urlencoded", "transaction=" + transaction + "&csrf=" + csrf + "&username=%FF%FE&password=z");
    EXPECT_EQ(bad.status, 400);
    EXPECT_TRUE(bad.body.contains("UTF-8"));
    // The refused form did not use the transaction up: the person can still log in with it.
    const HttpReply good = browser.postForm("/login",
                                            {{QStringLiteral("transaction"), QString::fromLatin1(transaction)},
                                             {QStringLiteral("csrf"), QString::fromLatin1(csrf)},
                                             {QStringLiteral("username"), QStringLiteral("alice@example.com")},
                                             {QStringLiteral("password"), QStringLiteral("organizer")}});
    EXPECT_EQ(good.status, 302) << good.body.constData();
    const HttpReply unknownTransaction = browser.get("/login?transaction=nope");
    EXPECT_EQ(unknownTransaction.status, 400);
    EXPECT_EQ(sendHttp(port(), {"GET", "/health", {}, {}}).status, 404);
    EXPECT_EQ(sendHttp(port(), {"GET", "/healthz", {}, {}}).status, 200); // still serving
}

namespace {
qint64 residentKiB(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    }
    return -1;
}
} // namespace

TEST_F(Authorization, AFloodOfUnfinishedLoginsNeverLocksOthersOut)
{
    // Five local addresses start logins with 4,000-character state, nonce and login_hint and never finish
    // them: about 24 KB each, well past the 4 MiB each address may hold and the 16 MiB in total. The
    // flood pushes out only the oldest logins of whoever holds most; everyone else still logs in.
    const qint64 before = residentKiB(m_server.pid());
    ASSERT_GT(before, 0);
    const QString large(4000, QLatin1Char('n'));
    auto start = [&](const QHostAddress &from, int i) {
        FormData form{{QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                      {QStringLiteral("redirect_uri"), kCallback},
                      {QStringLiteral("response_type"), QStringLiteral("id_token token")},
                      {QStringLiteral("scope"), QStringLiteral("openid")},
                      {QStringLiteral("state"), large},
                      {QStringLiteral("login_hint"), large},
                      {QStringLiteral("nonce"), large + QString::number(i)}};
        return sendHttpFrom(from, port(), {"GET", "/authorize?" + form.encode(), {}, {}});
    };
    // A login a person started before the flood, from an address of their own.
    TestBrowser person(port());
    const HttpReply begun = person.get("/authorize?" + query(QStringLiteral("id_token token"), QStringLiteral("openid read:contacts")).toLatin1());
    ASSERT_EQ(begun.status, 302);
    QList<QByteArray> firstOfEach;
    for (int i = 0; i < 1000; ++i) {
        const QHostAddress from(QStringLiteral("127.0.0.%1").arg(11 + i % 5));
        const HttpReply reply = start(from, i);
        if (i % 100 == 0)
            m_server.log(); // drain the server's log pipe: a full pipe would stall it
        ASSERT_EQ(reply.status, 302) << "request " << i << ": " << reply.body.left(200).constData() << reply.error.toStdString();
        if (i < 5)
            firstOfEach.append(reply.header("location"));
    }
    // The flood's own oldest went to make room for it ...
    for (const QByteArray &location : firstOfEach) {
        const HttpReply page = sendHttp(port(), {"GET", location, {}, {}});
        EXPECT_EQ(page.status, 400) << location.constData();
        EXPECT_TRUE(page.body.contains("expired")) << page.body.left(300).constData();
    }
    // ... while the person's login, started before it, and a new one from a sixth address go through.
    const HttpReply loginPage = person.get(begun.header("location"));
    EXPECT_EQ(loginPage.status, 200) << loginPage.body.left(300).constData();
    TestBrowser newcomer(port());
    const auto outcome
        = newcomer.authorize(query(QStringLiteral("id_token token"), QStringLiteral("openid read:contacts")), QStringLiteral("alice@example.com"), kPassword);
    ASSERT_TRUE(outcome.redirect.isValid()) << outcome.failure.toStdString();
    EXPECT_FALSE(value(outcome.parameters(), "access_token").isEmpty());

    // What is held stays within the bounds, and the counters /authorize reads agree with the table.
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("flood-check"));
    db.setDatabaseName(QDir(m_server.dataDir()).filePath(QStringLiteral("organizer.sqlite")));
    db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
    ASSERT_TRUE(db.open()) << db.lastError().text().toStdString();
    {
        QSqlQuery held(db);
        ASSERT_TRUE(held.exec(QStringLiteral("SELECT COUNT(*), SUM(bytes), MAX(address_bytes) FROM auth_transactions, "
                                             "(SELECT MAX(b) AS address_bytes FROM (SELECT SUM(bytes) AS b FROM auth_transactions GROUP BY address))")));
        ASSERT_TRUE(held.next());
        EXPECT_LE(held.value(0).toLongLong(), 20'000);
        EXPECT_LE(held.value(1).toLongLong(), 16 * 1024 * 1024);
        EXPECT_GT(held.value(1).toLongLong(), 12 * 1024 * 1024) << "the flood should have filled most of the budget";
        EXPECT_LE(held.value(2).toLongLong(), 4 * 1024 * 1024);
        QSqlQuery counted(db);
        ASSERT_TRUE(
            counted.exec(QStringLiteral("SELECT b.address, b.count, b.bytes, COUNT(t.id), COALESCE(SUM(t.bytes), 0) FROM auth_transaction_budget b "
                                        "LEFT JOIN auth_transactions t ON t.address = b.address WHERE b.address <> '*' GROUP BY b.address, b.count, b.bytes")));
        int groups = 0;
        while (counted.next()) {
            ++groups;
            EXPECT_EQ(counted.value(1).toLongLong(), counted.value(3).toLongLong()) << counted.value(0).toString().toStdString();
            EXPECT_EQ(counted.value(2).toLongLong(), counted.value(4).toLongLong()) << counted.value(0).toString().toStdString();
        }
        EXPECT_GE(groups, 5);
    }
    db.close();
    db = QSqlDatabase();
    QSqlDatabase::removeDatabase(QStringLiteral("flood-check"));

    const qint64 growth = residentKiB(m_server.pid()) - before;
    EXPECT_LT(growth, 32 * 1024) << "resident memory grew by " << growth << " KiB";
    EXPECT_EQ(sendHttp(port(), {"GET", "/healthz", {}, {}}).status, 200);
}

// An application's jwt_configuration.lifetime_in_seconds, changed through the Management API, is how long the ID
// tokens /authorize gives it live, from the next login on; another application keeps Auth0's default.
TEST_F(Authorization, AnApplicationsIdTokenLifetimeIsItsJwtConfigurations)
{
    const QString admin
        = QString::fromUtf8(managementClientCredentials(port(), m_server.issuer(), QStringLiteral("organizer-admin"), QStringLiteral("organizer-admin-secret"))
                                .json("access_token"));
    ASSERT_FALSE(admin.isEmpty());
    const HttpReply patched = callApi(port(), "PATCH", "/api/v2/clients/organizer-desktop", admin, R"({"jwt_configuration":{"lifetime_in_seconds":120}})");
    ASSERT_EQ(patched.status, 200) << patched.body.constData();

    TestBrowser browser(port());
    const auto outcome = browser.authorize(query(QStringLiteral("id_token token"), QStringLiteral("openid")), QStringLiteral("alice@example.com"), kPassword);
    ASSERT_TRUE(outcome.redirect.isValid()) << outcome.failure.toStdString();
    const QJsonObject id = claimsOf(value(outcome.parameters(), "id_token"));
    EXPECT_EQ(id.value(QLatin1String("exp")).toInteger() - id.value(QLatin1String("iat")).toInteger(), 120);
    // The access token keeps its API's lifetime: jwt_configuration is about ID tokens.
    EXPECT_EQ(value(outcome.parameters(), "expires_in"), QStringLiteral("86400"));

    const HttpReply other = tokenRequest(port(),
                                         {{QStringLiteral("grant_type"), QStringLiteral("password")},
                                          {QStringLiteral("client_id"), QStringLiteral("organizer-tests")},
                                          {QStringLiteral("client_secret"), QStringLiteral("organizer-tests-secret")},
                                          {QStringLiteral("username"), QStringLiteral("alice@example.com")},
                                          {QStringLiteral("password"), kPassword},
                                          {QStringLiteral("scope"), QStringLiteral("openid")}});
    ASSERT_EQ(other.status, 200) << other.body.constData();
    const QJsonObject otherId = claimsOf(QString::fromUtf8(other.json("id_token")));
    EXPECT_EQ(otherId.value(QLatin1String("exp")).toInteger() - otherId.value(QLatin1String("iat")).toInteger(), 36000);
}
