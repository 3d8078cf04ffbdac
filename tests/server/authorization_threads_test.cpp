// The authorization server and the Management API on the HTTP workers: an organizer-server in this
// process, so the test can hold the server's own (main) thread and see who still answers, and change
// the tenant from several workers at once while tokens are issued from it.
#include "inprocessserver.h"
#include "testhttp.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrlQuery>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

using namespace organizer;
using namespace organizer::test;
using namespace std::chrono_literals;

namespace {

const QByteArray kAdminCredentials = "Basic " + QByteArray("organizer-admin:organizer-admin-secret").toBase64();
const QByteArray kCliCredentials = "Basic " + QByteArray("organizer-cli:organizer-cli-secret").toBase64();

HttpReply post(quint16 port, const QByteArray &path, const QByteArray &body, const QByteArray &contentType, const QByteArray &authorization = {},
               int timeoutMs = 10000)
{
    HttpCall call{"POST", path, {{"content-type", contentType}}, body};
    if (!authorization.isEmpty())
        call.headers.append({"authorization", authorization});
    return sendHttp(port, call, timeoutMs);
}

HttpReply clientCredentials(quint16 port, const QByteArray &basic, const QString &audience, int timeoutMs = 10000)
{
    QUrlQuery form;
    form.addQueryItem(QStringLiteral("grant_type"), QStringLiteral("client_credentials"));
    form.addQueryItem(QStringLiteral("audience"), QString::fromLatin1(QUrl::toPercentEncoding(audience)));
    return post(port, "/oauth/token", form.query(QUrl::FullyEncoded).toLatin1(), "application/x-www-form-urlencoded", basic, timeoutMs);
}

QByteArray accessTokenOf(const HttpReply &reply)
{
    return reply.json("access_token");
}

HttpReply createRole(quint16 port, const QByteArray &managementToken, const QString &name, int timeoutMs = 10000)
{
    const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("name"), name}, {QStringLiteral("description"), QStringLiteral("made by a test")}})
                                .toJson(QJsonDocument::Compact);
    return post(port, "/api/v2/roles", body, "application/json", bearer(managementToken), timeoutMs);
}

// Waits for `future` while the main thread's event loop runs (the server's own thread is this one).
template <typename T>
T awaitWhileServing(std::future<T> &future)
{
    while (future.wait_for(0ms) != std::future_status::ready)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
    return future.get();
}

// A Management API token for the demo tenant's admin client. The first check of a secret reports back on
// the server's thread (it is rare and slow by design), so the test's thread serves meanwhile; the
// verified secret then costs one HMAC on a worker.
QByteArray askManagementToken(const InProcessServer &server)
{
    auto asked = std::async(std::launch::async,
                            [&server] { return clientCredentials(server.port(), kAdminCredentials, server.issuer() + QStringLiteral("api/v2/")); });
    const HttpReply admin = awaitWhileServing(asked);
    EXPECT_EQ(admin.status, 200) << admin.body.toStdString();
    return admin.status == 200 ? accessTokenOf(admin) : QByteArray();
}

} // namespace

// Before, every authorization route was posted to the server's own thread: one slow step there held
// up every login and token. Now they answer while that thread is blocked outright.
TEST(AuthorizationOnWorkers, EveryRouteAnswersWhileTheServersOwnThreadIsBlocked)
{
    InProcessServer server;
    ASSERT_TRUE(server.error().isEmpty()) << server.error().toStdString();
    const quint16 port = server.port();
    const QByteArray managementToken = askManagementToken(server);
    ASSERT_FALSE(managementToken.isEmpty());

    // From here on the main thread only waits: nothing posted to it could run.
    auto calls = std::async(std::launch::async, [&] {
        QStringList failures;
        const auto expect = [&failures](const char *what, const HttpReply &reply, int status) {
            if (reply.status != status)
                failures.append(QStringLiteral("%1: %2 %3 (expected %4)").arg(QLatin1String(what)).arg(reply.status).arg(reply.error).arg(status));
        };
        constexpr int timeoutMs = 5000;
        expect("discovery", sendHttp(port, {"GET", "/.well-known/openid-configuration", {}, {}}, timeoutMs), 200);
        expect("jwks", sendHttp(port, {"GET", "/.well-known/jwks.json", {}, {}}, timeoutMs), 200);
        expect("authorize",
               sendHttp(port,
                        {"GET",
                         "/authorize?client_id=organizer-desktop&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&response_type=code&scope=openid"
                         "&state=s&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
                         {},
                         {}},
                        timeoutMs),
               302);
        expect("client credentials again", clientCredentials(port, kAdminCredentials, server.issuer() + QStringLiteral("api/v2/"), timeoutMs), 200);
        expect("management read", sendHttp(port, {"GET", "/api/v2/roles", {{"authorization", bearer(managementToken)}}, {}}, timeoutMs), 200);
        expect("management change", createRole(port, managementToken, QStringLiteral("made-while-blocked"), timeoutMs), 200);
        expect("userinfo (a token for another audience)", sendHttp(port, {"GET", "/userinfo", {{"authorization", bearer(managementToken)}}, {}}, timeoutMs),
               401);
        expect("revoke", post(port, "/oauth/revoke", "token=unknown", "application/x-www-form-urlencoded", kAdminCredentials, timeoutMs), 200);
        expect("logout", sendHttp(port, {"GET", "/v2/logout", {}, {}}, timeoutMs), 200);
        return failures;
    });
    ASSERT_EQ(calls.wait_for(60s), std::future_status::ready);
    const QStringList failures = calls.get();
    EXPECT_TRUE(failures.isEmpty()) << failures.join(QLatin1Char('\n')).toStdString();
}

// Management calls on several workers at once are taken one at a time, each on the tenant the one
// before left: none is lost, none is refused as a conflict with itself.
TEST(AuthorizationOnWorkers, ManagementChangesFromManyConnectionsAtOnceAreAllKept)
{
    InProcessServer server;
    ASSERT_TRUE(server.error().isEmpty()) << server.error().toStdString();
    const quint16 port = server.port();
    const QByteArray token = askManagementToken(server);
    ASSERT_FALSE(token.isEmpty());

    constexpr int kWriters = 8;
    std::vector<std::future<HttpReply>> writes;
    for (int i = 0; i < kWriters; ++i)
        writes.push_back(std::async(std::launch::async, [port, token, i] { return createRole(port, token, QStringLiteral("concurrent-%1").arg(i)); }));
    for (auto &write : writes) {
        const HttpReply reply = awaitWhileServing(write);
        EXPECT_EQ(reply.status, 200) << reply.body.toStdString();
    }
    auto list = std::async(std::launch::async, [port, token] { return sendHttp(port, {"GET", "/api/v2/roles", {{"authorization", bearer(token)}}, {}}); });
    const HttpReply roles = awaitWhileServing(list);
    ASSERT_EQ(roles.status, 200);
    QStringList names;
    for (const QJsonValue &role : QJsonDocument::fromJson(roles.body).array())
        names.append(role.toObject().value(QLatin1String("name")).toString());
    for (int i = 0; i < kWriters; ++i)
        EXPECT_TRUE(names.contains(QStringLiteral("concurrent-%1").arg(i))) << names.join(QLatin1Char(' ')).toStdString();
}

// Tokens are issued from a snapshot of the tenant while the Management API replaces it on another
// worker: every answer is a whole one (the sanitizer build checks that no request reads a tenant
// that is gone).
TEST(AuthorizationOnWorkers, TokensAreIssuedWhileTheTenantIsReplacedBesideThem)
{
    InProcessServer server;
    ASSERT_TRUE(server.error().isEmpty()) << server.error().toStdString();
    const quint16 port = server.port();
    const QByteArray token = askManagementToken(server);
    ASSERT_FALSE(token.isEmpty());
    auto cliFirst = std::async(std::launch::async, [port] { return clientCredentials(port, kCliCredentials, QStringLiteral("organize")); });
    ASSERT_EQ(awaitWhileServing(cliFirst).status, 200);

    std::atomic<bool> changing{true};
    auto changes = std::async(std::launch::async, [&] {
        int made = 0;
        for (; made < 25; ++made) {
            if (createRole(port, token, QStringLiteral("churn-%1").arg(made)).status != 200)
                break;
        }
        changing = false;
        return made;
    });
    auto tokens = std::async(std::launch::async, [&] {
        QList<int> statuses;
        while (changing || statuses.size() < 50)
            statuses.append(clientCredentials(port, kCliCredentials, QStringLiteral("organize")).status);
        return statuses;
    });
    EXPECT_EQ(awaitWhileServing(changes), 25);
    const QList<int> statuses = awaitWhileServing(tokens);
    EXPECT_GE(statuses.size(), 50);
    EXPECT_EQ(statuses.count(200), statuses.size());
}
