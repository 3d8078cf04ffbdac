// Client secrets at the token endpoint: unknown clients cost as much as wrong secrets, guessing is
// throttled per client without slowing anyone else, and a right secret is never turned away.

#include "authorizationfixture.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QHostAddress>
#include <QMap>
#include <QTcpSocket>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::test;

namespace {
HttpReply clientCredentials(quint16 port, const QString &clientId, const QString &secret)
{
    return tokenRequest(port,
                        {{QStringLiteral("grant_type"), QStringLiteral("client_credentials")},
                         {QStringLiteral("client_id"), clientId},
                         {QStringLiteral("client_secret"), secret},
                         {QStringLiteral("audience"), QStringLiteral("organize")}});
}
} // namespace

TEST_F(Authorization, AnUnknownClientTakesAsLongAsAWrongSecret)
{
    // A decoy hash for unknown client IDs: timing does not tell which IDs exist.
    auto timed = [this](const QString &clientId) {
        QElapsedTimer timer;
        timer.start();
        const HttpReply reply = clientCredentials(port(), clientId, QStringLiteral("wrong"));
        EXPECT_EQ(reply.status, 401);
        EXPECT_EQ(reply.json("error_description"), "unknown client or wrong secret");
        return timer.elapsed();
    };
    // Fastest of three each, and a wide margin: without the decoy an unknown ID answers ~50 times faster.
    const qint64 wrongSecret
        = std::min({timed(QStringLiteral("organizer-cli")), timed(QStringLiteral("organizer-cli")), timed(QStringLiteral("organizer-cli"))});
    const qint64 unknown
        = std::min({timed(QStringLiteral("no-such-client")), timed(QStringLiteral("no-such-client-2")), timed(QStringLiteral("no-such-client-3"))});
    EXPECT_GE(wrongSecret, 20) << "the KDF should cost something";
    EXPECT_GE(unknown * 4, wrongSecret) << "unknown " << unknown << " ms vs wrong secret " << wrongSecret << " ms";
}

TEST_F(Authorization, SecretGuessingIsThrottledPerClient)
{
    int throttled = 0;
    QByteArray retryAfter;
    for (int i = 0; i < 9; ++i) {
        const HttpReply reply = clientCredentials(port(), QStringLiteral("organizer-cli"), QStringLiteral("guess-%1").arg(i));
        if (reply.status == 429) {
            ++throttled;
            EXPECT_EQ(reply.json("error"), "too_many_attempts");
            retryAfter = reply.header("retry-after");
        } else {
            EXPECT_EQ(reply.status, 401);
        }
    }
    EXPECT_GT(throttled, 0);
    EXPECT_GT(retryAfter.toInt(), 0);
    // Other clients are not affected.
    EXPECT_EQ(tokenRequest(port(),
                           {{QStringLiteral("grant_type"), QStringLiteral("authorization_code")},
                            {QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                            {QStringLiteral("code"), QStringLiteral("x")},
                            {QStringLiteral("redirect_uri"), kCallback}})
                  .json("error"),
              "invalid_grant");
}

TEST_F(Authorization, AFloodOfSecretGuessesDoesNotDelayOtherRequests)
{
    // Each guess costs a slow KDF; on the event loop twenty of them would hold every other request.
    std::vector<std::unique_ptr<QTcpSocket>> guesses;
    for (int i = 0; i < 20; ++i) {
        const QByteArray body = "grant_type=client_credentials&audience=organize&client_secret=guess&client_id=guesser-" + QByteArray::number(i);
        auto socket = std::make_unique<QTcpSocket>();
        socket->connectToHost(QHostAddress::LocalHost, port());
        ASSERT_TRUE(socket->waitForConnected(5000));
        socket->write("POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: "
                      + QByteArray::number(body.size()) + "\r\n\r\n" + body);
        socket->waitForBytesWritten(1000);
        guesses.push_back(std::move(socket));
    }
    QElapsedTimer timer;
    timer.start();
    EXPECT_EQ(sendHttp(port(), {"GET", "/healthz", {}, {}}).status, 200);
    EXPECT_EQ(sendHttp(port(), {"GET", "/.well-known/openid-configuration", {}, {}}).status, 200);
    const qint64 elapsed = timer.elapsed();
    EXPECT_LT(elapsed, 400) << "two cheap requests took " << elapsed << " ms behind the guesses";
    // Every guess is still answered (refused), none dropped.
    int answered = 0;
    for (auto &socket : guesses) {
        QByteArray received;
        QDeadlineTimer deadline(60'000);
        while (!received.contains("\r\n\r\n") && !deadline.hasExpired()) {
            socket->waitForReadyRead(100);
            received += socket->readAll();
        }
        answered += received.startsWith("HTTP/1.1 401") || received.startsWith("HTTP/1.1 429") || received.startsWith("HTTP/1.1 503") ? 1 : 0;
    }
    EXPECT_EQ(answered, 20);
}

TEST_F(Authorization, ARightSecretIsNeverThrottledHoweverManyPresentItAtOnce)
{
    // Eight CI jobs fetching machine-to-machine tokens at once, 25 times each: every one gets a token.
    // The secret is checked with the KDF once; after that a right secret costs an HMAC.
    const QByteArray body = "grant_type=client_credentials&audience=organize&client_id=organizer-cli&client_secret=organizer-cli-secret";
    const QByteArray request = "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: "
        + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    int tokens = 0;
    QMap<int, int> others;
    for (int round = 0; round < 25; ++round) {
        std::vector<std::unique_ptr<QTcpSocket>> jobs;
        for (int i = 0; i < 8; ++i) {
            auto socket = std::make_unique<QTcpSocket>();
            socket->connectToHost(QHostAddress::LocalHost, port());
            ASSERT_TRUE(socket->waitForConnected(5000));
            socket->write(request);
            jobs.push_back(std::move(socket));
        }
        for (auto &socket : jobs) {
            QByteArray received;
            QDeadlineTimer deadline(30'000);
            while (!received.contains("\r\n\r\n") && !deadline.hasExpired()) {
                socket->waitForReadyRead(50);
                received += socket->readAll();
            }
            const int status = received.mid(9, 3).toInt();
            if (status == 200)
                ++tokens;
            else
                ++others[status];
        }
        if (round == 0) {
            // A wrong secret in between is refused, and does not turn the right one away either.
            EXPECT_EQ(clientCredentials(port(), QStringLiteral("organizer-cli"), QStringLiteral("wrong")).status, 401);
        }
    }
    EXPECT_EQ(tokens, 200) << "other answers (status → count): " << [&] {
        std::string text;
        for (auto it = others.constBegin(); it != others.constEnd(); ++it)
            text += std::to_string(it.key()) + "→" + std::to_string(it.value()) + " ";
        return text;
    }();
    // Guessing is still throttled: wrong secrets run into 429 while the right one still works.
    int throttled = 0;
    for (int i = 0; i < 9; ++i)
        throttled += clientCredentials(port(), QStringLiteral("organizer-cli"), QStringLiteral("guess-%1").arg(i)).status == 429 ? 1 : 0;
    EXPECT_GT(throttled, 0);
    EXPECT_EQ(clientCredentials(port(), QStringLiteral("organizer-cli"), QStringLiteral("organizer-cli-secret")).status, 200);
}
