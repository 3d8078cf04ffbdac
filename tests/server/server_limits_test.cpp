// Connection limits on the real server process: idle and slow connections are closed, at the cap the
// oldest idle connection makes room and otherwise newcomers get 503, the open-file limit sizes the cap,
// bodies are counted as they arrive, and normal requests keep being served throughout.

#include "serverprocess.h"
#include "testhttp.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QDeadlineTimer>
#include <QHostAddress>
#include <QTcpSocket>
#include <QThread>

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

using namespace organizer::test;

namespace {

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

std::unique_ptr<QTcpSocket> openFrom(quint16 port, const QString &source)
{
    auto socket = std::make_unique<QTcpSocket>();
    socket->bind(QHostAddress(source), 0);
    socket->connectToHost(QHostAddress::LocalHost, port);
    socket->waitForConnected(5000);
    return socket;
}

qint64 statusValueKiB(qint64 pid, const char *field)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith(field))
            return line.mid(qstrlen(field)).trimmed().split(' ').first().toLongLong();
    }
    return -1;
}

TEST(ConnectionLimits, SixHundredIdleAndFiftySlowlorisConnectionsDoNotStopANormalRequest)
{
    // Default settings. The attackers come from 127.0.0.2-9 (each under the per-address cap), the
    // normal client from 127.0.0.1.
    ServerProcess server;
    ASSERT_TRUE(server.start());
    std::vector<std::unique_ptr<QTcpSocket>> idle;
    for (int i = 0; i < 600; ++i) {
        idle.push_back(openFrom(server.port(), QStringLiteral("127.0.0.%1").arg(2 + i % 6)));
        ASSERT_EQ(idle.back()->state(), QAbstractSocket::ConnectedState) << "idle connection " << i;
    }
    std::vector<std::unique_ptr<QTcpSocket>> slow;
    const QByteArray head = "GET /api/contacts HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    for (int i = 0; i < 50; ++i) {
        slow.push_back(openFrom(server.port(), QStringLiteral("127.0.0.%1").arg(8 + i % 2)));
        slow.back()->write(head);
        slow.back()->flush();
    }
    for (int round = 0; round < 3; ++round) {
        for (auto &socket : slow) { // one more byte now and then, never the end of the headers
            socket->write("a");
            socket->flush();
        }
        QElapsedTimer clock;
        clock.start();
        const HttpReply reply = sendHttp(server.port(), {"GET", "/healthz", {}, {}}, 5000);
        EXPECT_EQ(reply.status, 200) << reply.error.toStdString();
        EXPECT_LT(clock.elapsed(), 2000) << "a normal request waited behind the attackers";
        QThread::msleep(300); // the attack's pace between rounds: wall time is what it is about
    }
    int open = 0;
    for (auto &socket : idle) {
        socket->waitForReadyRead(0);
        EXPECT_TRUE(socket->readAll().isEmpty());
        open += socket->state() == QAbstractSocket::ConnectedState ? 1 : 0;
    }
    EXPECT_EQ(open, 600) << "idle connections were refused or dropped below the cap";
    server.log(); // keep the server's stderr pipe drained
}

TEST(ConnectionLimits, TheOpenFileLimitIsRaisedAndSizesTheCap)
{
    ServerProcess server;
    ASSERT_TRUE(server.start());
    QFile limits(QStringLiteral("/proc/%1/limits").arg(server.pid()));
    ASSERT_TRUE(limits.open(QIODevice::ReadOnly));
    for (const QByteArray &line : limits.readAll().split('\n')) {
        if (!line.startsWith("Max open files"))
            continue;
        const QList<QByteArray> fields = line.mid(14).simplified().split(' ');
        ASSERT_GE(fields.size(), 2);
        EXPECT_EQ(fields.at(0), fields.at(1)) << "the soft limit was not raised to the hard one: " << line.constData();
        const int soft = fields.at(0).toInt();
        const QByteArray log = server.log();
        const QByteArray expected
            = "at most " + QByteArray::number(std::clamp(soft / 4 * 3, 64, 65536)) + " connections (open-file limit " + QByteArray::number(soft) + ")";
        EXPECT_TRUE(log.contains(expected)) << log.toStdString();
    }
}

TEST(ConnectionLimits, AtTheCapIdleConnectionsMakeRoomAndBusyOnesDoNot)
{
    ServerProcess server;
    ASSERT_TRUE(server.start({QStringLiteral("--max-connections"), QStringLiteral("20")}));
    std::vector<std::unique_ptr<QTcpSocket>> idle;
    for (int i = 0; i < 20; ++i) {
        idle.push_back(openFrom(server.port(), QStringLiteral("127.0.0.1")));
        QThread::msleep(10); // distinct ages, whichever worker each lands on
    }
    QThread::msleep(400); // the workers' sweep (every 250 ms) counts them idle; another process: nothing to poll
    EXPECT_EQ(sendHttp(server.port(), {"GET", "/healthz", {}, {}}).status, 200);
    idle.front()->waitForReadyRead(1000);
    EXPECT_NE(idle.front()->state(), QAbstractSocket::ConnectedState) << "the oldest idle connection should have made room";

    // Now every slot holds a request in progress: nothing can be closed for a newcomer.
    idle.clear();
    QThread::msleep(300); // the server notices the closed sockets; another process: nothing to poll
    std::vector<std::unique_ptr<QTcpSocket>> busy;
    for (int i = 0; i < 20; ++i) {
        busy.push_back(openFrom(server.port(), QStringLiteral("127.0.0.1")));
        busy.back()->write("GET /healthz HTTP/1.1\r\n");
        busy.back()->flush();
    }
    QThread::msleep(400); // a sweep after their bytes arrived counts none idle
    const HttpReply refused = sendHttp(server.port(), {"GET", "/healthz", {}, {}});
    EXPECT_EQ(refused.status, 503);
    EXPECT_EQ(refused.json("error"), "temporarily_unavailable");
}

TEST(ConnectionLimits, AChunkedFloodIsRefusedWithoutBeingBuffered)
{
    ServerProcess server;
    ASSERT_TRUE(server.start());
    ASSERT_EQ(sendHttp(server.port(), {"GET", "/healthz", {}, {}}).status, 200);
    const qint64 before = statusValueKiB(server.pid(), "VmHWM:");
    QTcpSocket flood;
    flood.connectToHost(QHostAddress::LocalHost, server.port());
    ASSERT_TRUE(flood.waitForConnected(5000));
    flood.write("POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n");
    const QByteArray chunks = ("4000\r\n" + QByteArray(0x4000, 'a') + "\r\n").repeated(64); // 1 MiB
    QByteArray answer;
    qint64 sent = 0;
    QDeadlineTimer deadline(20000);
    while (sent < 150LL * 1024 * 1024 && flood.state() == QAbstractSocket::ConnectedState && !deadline.hasExpired() && !answer.contains("\r\n\r\n")) {
        if (flood.bytesToWrite() < 1024 * 1024) {
            flood.write(chunks);
            sent += chunks.size();
        }
        flood.waitForBytesWritten(20);
        answer += flood.readAll();
    }
    answer += flood.readAll();
    EXPECT_TRUE(answer.startsWith("HTTP/1.1 413")) << answer.left(100).toStdString();
    const qint64 after = statusValueKiB(server.pid(), "VmHWM:");
    EXPECT_LT(after - before, 16 * 1024) << "peak RSS grew by " << (after - before) << " KiB";
    EXPECT_LT(sent, 64LL * 1024 * 1024) << "the server kept reading far past the limit";
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
    for (const QStringList &flag :
         {QStringList{QStringLiteral("--max-connections"), QStringLiteral("-1")},
          QStringList{QStringLiteral("--max-connections-per-address"), QStringLiteral("0")}, QStringList{QStringLiteral("--workers"), QStringLiteral("two")},
          QStringList{QStringLiteral("--access-log-format"), QStringLiteral("xml")},
          QStringList{QStringLiteral("--access-log"), QStringLiteral("/nonexistent-dir/access.log")},
          QStringList{QStringLiteral("--idle-timeout"), QStringLiteral("forever")}, QStringList{QStringLiteral("--request-timeout"), QStringLiteral("-1")}}) {
        const CommandResult result = runServerCommand(QStringList{QStringLiteral("--data-dir"), dir.path()} + flag);
        EXPECT_NE(result.exitCode, 0);
        EXPECT_TRUE(result.err.contains(flag.first().toUtf8())) << result.err.toStdString();
    }
}

TEST(AccessLogFlags, JsonLinesToAFileOrNothingAtAll)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("access.log"));
    {
        ServerProcess server;
        ASSERT_TRUE(server.start({QStringLiteral("--access-log"), path, QStringLiteral("--access-log-format"), QStringLiteral("json")}));
        EXPECT_EQ(sendHttp(server.port(), {"GET", "/healthz?probe=1", {}, {}}).status, 200);
        server.stop(); // SIGTERM: the log is written out before the process ends
        EXPECT_FALSE(server.log().contains("GET /healthz")) << "the access log went to stderr as well";
    }
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    const QByteArray line = file.readAll().trimmed();
    const QJsonObject entry = QJsonDocument::fromJson(line).object();
    EXPECT_EQ(entry.value(QLatin1String("path")).toString(), QStringLiteral("/healthz")) << line.toStdString();
    EXPECT_EQ(entry.value(QLatin1String("status")).toInt(), 200);

    ServerProcess quiet;
    ASSERT_TRUE(quiet.start({QStringLiteral("--access-log"), QStringLiteral("off")}));
    EXPECT_EQ(sendHttp(quiet.port(), {"GET", "/healthz", {}, {}}).status, 200);
    quiet.stop();
    EXPECT_FALSE(quiet.log().contains("/healthz")) << quiet.log().toStdString();
}
