// Connection limits QHttpServer 6.4 does not have: idle and slow connections are closed, excess
// connections are refused cleanly, and normal requests keep being served throughout.

#include "serverprocess.h"
#include "testhttp.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QHostAddress>
#include <QTcpSocket>
#include <QThread>

#include <gtest/gtest.h>

#include <memory>
#include <vector>

using namespace organizer::test;

namespace {

std::unique_ptr<QTcpSocket> openIdle(quint16 port)
{
    auto socket = std::make_unique<QTcpSocket>();
    socket->connectToHost(QHostAddress::LocalHost, port);
    socket->waitForConnected(5000);
    return socket;
}

// Waits until the server closes `socket`, collecting what it sent.
QByteArray readUntilClosed(QTcpSocket &socket, int timeoutMs)
{
    QByteArray received;
    QDeadlineTimer deadline(timeoutMs);
    while (socket.state() == QAbstractSocket::ConnectedState && !deadline.hasExpired()) {
        socket.waitForReadyRead(50);
        received += socket.readAll();
    }
    return received + socket.readAll();
}

} // namespace

TEST(ConnectionLimits, IdleConnectionsUpToTheCapDoNotStopNormalRequests)
{
    // The default cap is 512: all but one slot is held by connections that send nothing.
    ServerProcess server;
    ASSERT_TRUE(server.start());
    std::vector<std::unique_ptr<QTcpSocket>> idle;
    for (int i = 0; i < 511; ++i) {
        idle.push_back(openIdle(server.port()));
        ASSERT_EQ(idle.back()->state(), QAbstractSocket::ConnectedState) << "idle connection " << i << " did not connect";
    }
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(sendHttp(server.port(), {"GET", "/healthz", {}, {}}).status, 200);
    // Each idle connection was taken by the server and kept: none was refused (a 503 and a close).
    QDeadlineTimer settle(300);
    while (!settle.hasExpired())
        QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
    int open = 0;
    for (auto &socket : idle) {
        socket->waitForReadyRead(0);
        EXPECT_TRUE(socket->readAll().isEmpty());
        open += socket->state() == QAbstractSocket::ConnectedState ? 1 : 0;
    }
    EXPECT_EQ(open, 511);
}

TEST(ConnectionLimits, ExcessConnectionsAreRefusedAndIdleOnesReleased)
{
    ServerProcess server;
    ASSERT_TRUE(server.start({QStringLiteral("--max-connections"), QStringLiteral("20"), QStringLiteral("--idle-timeout"), QStringLiteral("1")}));
    std::vector<std::unique_ptr<QTcpSocket>> idle;
    for (int i = 0; i < 20; ++i)
        idle.push_back(openIdle(server.port()));
    QThread::msleep(200);
    const HttpReply refused = sendHttp(server.port(), {"GET", "/healthz", {}, {}});
    EXPECT_EQ(refused.status, 503);
    EXPECT_EQ(refused.json("error"), "temporarily_unavailable");

    // The idle ones are closed after --idle-timeout, which frees room for real requests.
    for (auto &socket : idle)
        readUntilClosed(*socket, 4000);
    for (auto &socket : idle)
        EXPECT_NE(socket->state(), QAbstractSocket::ConnectedState);
    EXPECT_EQ(sendHttp(server.port(), {"GET", "/healthz", {}, {}}).status, 200);
}

TEST(ConnectionLimits, SlowRequestsTimeOutWith408)
{
    ServerProcess server;
    ASSERT_TRUE(server.start({QStringLiteral("--request-timeout"), QStringLiteral("1")}));
    QTcpSocket slow;
    slow.connectToHost(QHostAddress::LocalHost, server.port());
    ASSERT_TRUE(slow.waitForConnected(5000));
    slow.write("GET /api/contacts HTTP/1.1\r\nHost: x\r\nX-Slow: 1");
    slow.flush();
    const QByteArray received = readUntilClosed(slow, 5000);
    EXPECT_TRUE(received.startsWith("HTTP/1.1 408")) << received.toStdString();
    EXPECT_NE(slow.state(), QAbstractSocket::ConnectedState);
    EXPECT_EQ(sendHttp(server.port(), {"GET", "/healthz", {}, {}}).status, 200);
}

TEST(ConnectionLimits, BadFlagValuesAreRefused)
{
    QTemporaryDir dir;
    for (const QStringList &flag : {QStringList{QStringLiteral("--max-connections"), QStringLiteral("0")},
                                    QStringList{QStringLiteral("--idle-timeout"), QStringLiteral("forever")},
                                    QStringList{QStringLiteral("--request-timeout"), QStringLiteral("-1")}}) {
        const CommandResult result = runServerCommand(QStringList{QStringLiteral("--data-dir"), dir.path()} + flag);
        EXPECT_NE(result.exitCode, 0);
        EXPECT_TRUE(result.err.contains(flag.first().toUtf8())) << result.err.toStdString();
    }
}
