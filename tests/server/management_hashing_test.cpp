// The Management API's calls that store a password or a client secret: the slow KDF runs on a hashing
// thread of its own, not on the HTTP worker that read the call nor under the Management API's lock, so
// what else that worker and the Management API serve goes on meanwhile; at most so many such calls wait,
// more are answered 429 as Auth0 rate-limits; and a server going away while they hash touches nothing freed.
// Against an organizer-server in this process (its own thread), so the test sets its workers and bound.

#include "authorizationfixture.h"
#include "inprocessserver.h"
#include "managementfixture.h"
#include "passwordhash.h"
#include "testdatabase.h"

#include <QJsonDocument>
#include <QSemaphore>
#include <QTcpSocket>

#include <gtest/gtest.h>

#include <atomic>

using namespace organizer;
using namespace organizer::test;

namespace {

const QString kPasswordOfNewUsers = QStringLiteral("Correct-Horse-9");

QJsonObject newUser(const QString &email, const QString &password = kPasswordOfNewUsers)
{
    return {{QStringLiteral("connection"), QStringLiteral("Username-Password-Authentication")},
            {QStringLiteral("email"), email},
            {QStringLiteral("password"), password}};
}

HttpReply passwordGrant(quint16 port, const QString &login, const QString &password)
{
    return tokenRequest(port,
                        {{QStringLiteral("grant_type"), QStringLiteral("password")},
                         {QStringLiteral("client_id"), QStringLiteral("organizer-tests")},
                         {QStringLiteral("client_secret"), QStringLiteral("organizer-tests-secret")},
                         {QStringLiteral("username"), login},
                         {QStringLiteral("password"), password},
                         {QStringLiteral("audience"), QStringLiteral("organize")}});
}

InProcessServer::Settings oneWorker(std::function<void(server::ServerOptions &)> configure = {})
{
    InProcessServer::Settings settings;
    settings.home = InProcessServer::Home::OwnThread;
    settings.workers = 1;
    settings.configure = std::move(configure);
    return settings;
}

} // namespace

TEST(ManagementHashing, CallsBesideAUserCreationAreAnsweredWhileItsPasswordIsHashed)
{
    InProcessServer server(oneWorker());
    ASSERT_TRUE(server.error().isEmpty()) << server.error().toStdString();
    const QString token = adminToken(server.port(), server.issuer());
    ASSERT_FALSE(token.isEmpty());

    // The creation goes first, on a connection of its own, whole before anything else is sent.
    const QByteArray body = compactJson(newUser(QStringLiteral("beside@example.com")));
    QTcpSocket creation;
    creation.connectToHost(QHostAddress::LocalHost, server.port());
    ASSERT_TRUE(creation.waitForConnected(5000));
    creation.write("POST /api/v2/users HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nAuthorization: Bearer "
                   + token.toLatin1() + "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body);
    ASSERT_TRUE(creation.waitForBytesWritten(5000));
    const auto creationAnswered = [&creation] {
        creation.waitForReadyRead(0);
        return creation.bytesAvailable() > 0 || creation.state() != QAbstractSocket::ConnectedState;
    };

    // Then, on the same (only) worker, a Management call and an ordinary one, again and again: each one
    // answered while the creation still has no answer counts. Before, the worker hashed the password
    // itself, so nothing sent after the creation was answered before it.
    int managementBefore = 0;
    int ordinaryBefore = 0;
    for (int round = 0; round < 2000 && !creationAnswered(); ++round) {
        const HttpReply clients = callApi(server.port(), "GET", "/api/v2/clients", token);
        ASSERT_EQ(clients.status, 200) << clients.body.constData();
        if (creationAnswered())
            break;
        ++managementBefore;
        const HttpReply discovery = sendHttp(server.port(), {"GET", "/.well-known/openid-configuration", {}, {}});
        ASSERT_EQ(discovery.status, 200);
        if (creationAnswered())
            break;
        ++ordinaryBefore;
    }
    EXPECT_GE(managementBefore, 2);
    EXPECT_GE(ordinaryBefore, 2);

    QByteArray answer = creation.readAll();
    while (creation.state() == QAbstractSocket::ConnectedState && creation.waitForReadyRead(10000))
        answer += creation.readAll();
    answer += creation.readAll();
    ASSERT_TRUE(answer.startsWith("HTTP/1.1 201")) << answer.constData();
    // The hash made beside the call is the one stored: the new user logs in with the password.
    const HttpReply login = passwordGrant(server.port(), QStringLiteral("beside@example.com"), kPasswordOfNewUsers);
    EXPECT_EQ(login.status, 200) << login.body.constData();
    EXPECT_EQ(passwordGrant(server.port(), QStringLiteral("beside@example.com"), QStringLiteral("Wrong-Horse-9")).status, 403);
}

TEST(ManagementHashing, BeyondTheBoundACallIsAnsweredTooManyRequestsAndChangesNothing)
{
    // No call may wait for a hash: every call that needs one is beyond the bound.
    InProcessServer server(oneWorker([](server::ServerOptions &options) { options.managementMaxWaitingHashes = 0; }));
    ASSERT_TRUE(server.error().isEmpty()) << server.error().toStdString();
    const QString token = adminToken(server.port(), server.issuer());
    const qint64 revision = organizer::testing::storedTenantRevision(server.dataDir());

    const auto expectTooMany = [](const HttpReply &reply) {
        EXPECT_EQ(reply.status, 429) << reply.body.constData();
        EXPECT_EQ(reply.header("retry-after"), "1");
        const QJsonObject body = objectOf(reply);
        EXPECT_EQ(body.value(QLatin1String("statusCode")).toInt(), 429);
        EXPECT_EQ(body.value(QLatin1String("error")).toString(), QStringLiteral("Too Many Requests"));
        EXPECT_EQ(body.value(QLatin1String("errorCode")).toString(), QStringLiteral("too_many_requests"));
        EXPECT_FALSE(body.value(QLatin1String("message")).toString().isEmpty());
    };
    expectTooMany(callApi(server.port(), "POST", "/api/v2/users", token, compactJson(newUser(QStringLiteral("refused@example.com")))));
    expectTooMany(callApi(server.port(), "PATCH", "/api/v2/users/auth0%7Calice", token,
                          compactJson({{QStringLiteral("password"), QStringLiteral("Battery-Staple-42")}})));
    expectTooMany(callApi(server.port(), "POST", "/api/v2/clients", token,
                          compactJson({{QStringLiteral("name"), QStringLiteral("Job")}, {QStringLiteral("app_type"), QStringLiteral("non_interactive")}})));
    expectTooMany(callApi(server.port(), "POST", "/api/v2/clients/organizer-admin/rotate-secret", token));

    // Nothing was changed: no user, the old secret and password still work, no revision stored.
    EXPECT_EQ(arrayOf(callApi(server.port(), "GET", "/api/v2/users-by-email?email=refused%40example.com", token)).size(), 0);
    EXPECT_FALSE(adminToken(server.port(), server.issuer()).isEmpty());
    EXPECT_EQ(passwordGrant(server.port(), QStringLiteral("alice@example.com"), kPassword).status, 200);
    EXPECT_EQ(organizer::testing::storedTenantRevision(server.dataDir()), revision);

    // A body refused up front costs no hash, so it is answered as ever; so is a call that stores none.
    const HttpReply weak
        = callApi(server.port(), "POST", "/api/v2/users", token, compactJson(newUser(QStringLiteral("weak@example.com"), QStringLiteral("short"))));
    EXPECT_EQ(weak.status, 400) << weak.body.constData();
    EXPECT_EQ(objectOf(weak).value(QLatin1String("message")).toString(), QStringLiteral("PasswordStrengthError: Password is too weak"));
    EXPECT_EQ(callApi(server.port(), "POST", "/api/v2/clients/nobody/rotate-secret", token).status, 404);
    const HttpReply renamed
        = callApi(server.port(), "PATCH", "/api/v2/users/auth0%7Calice", token, compactJson({{QStringLiteral("nickname"), QStringLiteral("al")}}));
    EXPECT_EQ(renamed.status, 200) << renamed.body.constData();
}

TEST(ManagementHashing, AServerGoingAwayWhileUsersAreHashedTouchesNothingFreed)
{
    auto server = std::make_unique<InProcessServer>(oneWorker());
    ASSERT_TRUE(server->error().isEmpty()) << server->error().toStdString();
    const QString token = adminToken(server->port(), server->issuer());
    // Several creations queued behind each other on the hashing thread, then the server goes.
    std::vector<std::unique_ptr<QTcpSocket>> calls;
    for (int i = 0; i < 4; ++i) {
        const QByteArray body = compactJson(newUser(QStringLiteral("going%1@example.com").arg(i)));
        auto socket = std::make_unique<QTcpSocket>();
        socket->connectToHost(QHostAddress::LocalHost, server->port());
        ASSERT_TRUE(socket->waitForConnected(5000));
        socket->write("POST /api/v2/users HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nAuthorization: Bearer "
                      + token.toLatin1() + "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body);
        ASSERT_TRUE(socket->waitForBytesWritten(5000));
        calls.push_back(std::move(socket));
    }
    // Something answered on the worker after the creations were sent: they have all been read.
    EXPECT_EQ(sendHttp(server->port(), {"GET", "/.well-known/openid-configuration", {}, {}}).status, 200);
    server.reset();
    // Each connection got an answer (a creation made, or 503 for one the server had no time for) or was closed.
    for (auto &socket : calls) {
        while (socket->state() == QAbstractSocket::ConnectedState && socket->waitForReadyRead(10000)) {}
        const QByteArray answer = socket->readAll();
        EXPECT_TRUE(answer.isEmpty() || answer.startsWith("HTTP/1.1 201") || answer.startsWith("HTTP/1.1 503")) << answer.constData();
    }
}

TEST(BackgroundSecretHashing, AtMostTheBoundWaitsAndEachHashIsForItsSecret)
{
    authorization::BackgroundSecretHashing hashing(2);
    QSemaphore release;
    QSemaphore done;
    std::atomic<bool> verified{true};
    const auto job = [&](const QString &secret) {
        return [&, secret](std::optional<authorization::BackgroundSecretHashing::Hashes> hashes) {
            verified = verified && hashes && hashes->size() == 1 && authorization::verifyPassword(secret, hashes->value(secret));
            release.acquire();
            done.release();
        };
    };
    ASSERT_TRUE(hashing.submit({QStringLiteral("first")}, job(QStringLiteral("first"))));
    ASSERT_TRUE(hashing.submit({QStringLiteral("second")}, job(QStringLiteral("second"))));
    // Both are queued or under way (held after hashing): a third is refused at once, and never called.
    EXPECT_FALSE(hashing.submit({QStringLiteral("third")}, [](auto) { ADD_FAILURE() << "a refused job ran"; }));
    release.release(2);
    done.acquire(2);
    EXPECT_TRUE(verified);
    // Once they are done, there is room again.
    ASSERT_TRUE(hashing.submit({QStringLiteral("fourth")}, job(QStringLiteral("fourth"))));
    release.release();
    done.acquire();
    EXPECT_TRUE(verified);
}
