// The HTTP server on real sockets: framing failures close the connection (nothing smuggled is
// served), pipelining answers in order, keep-alive and close for 1.0 and 1.1, HEAD, Expect:
// 100-continue, chunked bodies, every connection limit, worker threads, and the access log; and the
// wire format (httpwire.h) without a socket.

#include "accesslog.h"
#include "httpserver.h"
#include "httpwire.h"
#include "oautherror.h"
#include "testhttp.h"
#include "waitfor.h"

#include <QDeadlineTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutex>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTemporaryFile>
#include <QThread>
#include <QTimer>

#include <gtest/gtest.h>

#include <memory>
#include <set>
#include <thread>

#include <sys/socket.h>
#include <unistd.h>

using namespace organizer;
using namespace organizer::test;

namespace {

// An http::Server owned by a thread of its own, as organizer-server's is owned by its main thread
// (the acceptor and the workers run on theirs): the test's thread only blocks in socket calls.
class ServerThread
{
public:
    explicit ServerThread(http::ConnectionLimits limits = {}, int workers = 1, qsizetype maxBody = 64 * 1024, http::AccessLog *log = nullptr)
    {
        m_thread.start();
        m_context.moveToThread(&m_thread);
        QMetaObject::invokeMethod(
            &m_context,
            [&] {
                m_server = new http::Server([this](const http::Request &request, http::Responder respond) { handle(request, std::move(respond)); });
                m_server->setLimits(limits);
                m_server->setWorkers(workers);
                m_server->setMaxBodySize(maxBody);
                m_server->setAccessLog(log);
                m_server->setRefusalWriter(oauth::refusalResponse); // as organizer-server words them
                QString error;
                m_port = m_server->listenOn(QHostAddress::LocalHost, 0, &error);
            },
            Qt::BlockingQueuedConnection);
    }
    ~ServerThread()
    {
        QMetaObject::invokeMethod(
            &m_context, [&] { delete m_server; }, Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
    }

    quint16 port() const { return m_port; }
    int openConnections() const { return m_server->openConnections(); }
    QStringList served() const
    {
        QMutexLocker lock(&m_mutex);
        return m_served;
    }
    std::set<QString> threads() const
    {
        QMutexLocker lock(&m_mutex);
        return m_threads;
    }

private:
    void handle(const http::Request &request, http::Responder respond)
    {
        {
            QMutexLocker lock(&m_mutex);
            m_served.append(request.path);
            m_threads.insert(QThread::currentThread()->objectName());
        }
        http::Response response;
        response.setHeader("content-type", "text/plain");
        if (request.path == QLatin1String("/echo")) {
            response.body = request.body;
            response.setHeader("x-method", request.method);
        } else if (request.path == QLatin1String("/slow")) {
            const int ms = request.query.value(u"ms").toInt();
            response.body = "slow " + QByteArray::number(ms);
            QTimer::singleShot(ms, [respond, response] { respond(response); });
            return;
        } else if (request.path == QLatin1String("/big")) {
            response.body = QByteArray(request.query.value(u"kb").toInt() * 1024, 'b');
        } else if (request.path == QLatin1String("/elsewhere")) {
            // Answered from a thread the server knows nothing of.
            std::thread([respond, response]() mutable {
                QThread::msleep(10);
                response.body = "from another thread";
                respond(response);
            }).detach();
            return;
        } else {
            response.body = request.path.toUtf8();
        }
        respond(response);
    }

    QThread m_thread;
    QObject m_context;
    http::Server *m_server = nullptr;
    quint16 m_port = 0;
    mutable QMutex m_mutex;
    QStringList m_served;
    std::set<QString> m_threads;
};

QByteArray get(const QByteArray &target, const QByteArray &extra = {})
{
    return "GET " + target + " HTTP/1.1\r\nHost: x\r\n" + extra + "\r\n";
}

std::unique_ptr<QTcpSocket> connectFrom(quint16 port, const QHostAddress &source = QHostAddress::LocalHost)
{
    auto socket = std::make_unique<QTcpSocket>();
    socket->bind(source, 0);
    socket->connectToHost(QHostAddress::LocalHost, port);
    socket->waitForConnected(5000);
    return socket;
}

// Reads until `count` responses are complete or the timeout; returns the bytes.
QByteArray readResponses(QTcpSocket &socket, int count, int timeoutMs = 5000)
{
    RawExchange exchange;
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired() && exchange.statuses().size() < count) {
        socket.waitForReadyRead(50);
        exchange.received += socket.readAll();
    }
    return exchange.received;
}

bool waitUntilClosed(QTcpSocket &socket, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (socket.state() == QAbstractSocket::ConnectedState && !deadline.hasExpired()) {
        socket.waitForReadyRead(50);
        socket.readAll();
    }
    return socket.state() != QAbstractSocket::ConnectedState;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Framing: a refused request closes the connection, and whatever followed it is never served.

struct SmugglingCase
{
    const char *name;
    QByteArray prefix; // followed by a smuggled "GET /smuggled"
    int status;
};

class Smuggling : public ::testing::TestWithParam<SmugglingCase>
{
protected:
    static void SetUpTestSuite() { s_server = new ServerThread(); }
    static void TearDownTestSuite() { delete s_server; }
    static inline ServerThread *s_server = nullptr;
};

TEST_P(Smuggling, IsRefusedAndTheConnectionClosed)
{
    const QByteArray smuggled = get("/smuggled");
    const RawExchange exchange = exchangeRaw(s_server->port(), GetParam().prefix + smuggled, 5000);
    ASSERT_TRUE(exchange.error.isEmpty()) << exchange.error.toStdString();
    EXPECT_TRUE(exchange.closedByServer) << GetParam().name << ": the connection stayed open";
    EXPECT_EQ(exchange.statuses(), QList<int>{GetParam().status}) << exchange.received.toStdString();
    EXPECT_FALSE(s_server->served().contains(QStringLiteral("/smuggled"))) << GetParam().name << ": the smuggled request was served";
    EXPECT_TRUE(exchange.received.contains("connection: close\r\n"));
    EXPECT_TRUE(exchange.received.contains("\"error\":\"invalid_request\""));
}

namespace {
QByteArray post(const QByteArray &headers, const QByteArray &body = "0\r\n\r\n")
{
    return "POST /echo HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n" + body;
}
} // namespace

INSTANTIATE_TEST_SUITE_P(Catalogue, Smuggling,
                         ::testing::Values(SmugglingCase{"cl_te", post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"), 400},
                                           SmugglingCase{"te_cl", post("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", "8\r\nSMUGGLED\r\n0\r\n\r\n"),
                                                         400},
                                           SmugglingCase{"duplicate_content_length", post("Content-Length: 0\r\nContent-Length: 36\r\n", ""), 400},
                                           SmugglingCase{"content_length_list", post("Content-Length: 0, 36\r\n", ""), 400},
                                           SmugglingCase{"negative_content_length", post("Content-Length: -1\r\n", ""), 400},
                                           SmugglingCase{"hex_content_length", post("Content-Length: 0x24\r\n", ""), 400},
                                           SmugglingCase{"signed_content_length", post("Content-Length: +36\r\n", ""), 400},
                                           SmugglingCase{"te_chunked_identity", post("Transfer-Encoding: chunked, identity\r\n"), 400},
                                           SmugglingCase{"te_gzip_chunked", post("Transfer-Encoding: gzip, chunked\r\n"), 501},
                                           SmugglingCase{"te_space_before_colon", post("Transfer-Encoding : chunked\r\n"), 400},
                                           SmugglingCase{"te_xchunked", post("Transfer-Encoding: xchunked\r\n"), 400},
                                           SmugglingCase{"te_obs_fold", post("Transfer-Encoding:\r\n chunked\r\n"), 400},
                                           SmugglingCase{"te_in_http_1_0", "POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
                                           SmugglingCase{"missing_host", "GET / HTTP/1.1\r\n\r\n", 400},
                                           SmugglingCase{"duplicate_host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
                                           SmugglingCase{"bare_lf", "GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n", 400},
                                           SmugglingCase{"chunk_longer_than_its_size", post("Transfer-Encoding: chunked\r\n", "3\r\nhello\r\n0\r\n\r\n"), 400},
                                           SmugglingCase{"unknown_method", "BREW / HTTP/1.1\r\nHost: x\r\n\r\n", 501},
                                           SmugglingCase{"http_2_preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505}),
                         [](const auto &row) { return std::string(row.param.name); });

// ---------------------------------------------------------------------------------------------

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrderEvenWhenTheFirstIsSlowest)
{
    ServerThread server;
    auto socket = connectFrom(server.port());
    socket->write(get("/slow?ms=300") + get("/fast") + get("/slow?ms=50") + get("/elsewhere") + get("/last", "Connection: close\r\n"));
    const QByteArray received = readResponses(*socket, 5);
    const qsizetype a = received.indexOf("slow 300");
    const qsizetype b = received.indexOf("/fast");
    const qsizetype c = received.indexOf("slow 50");
    const qsizetype d = received.indexOf("from another thread");
    const qsizetype e = received.indexOf("/last");
    ASSERT_TRUE(a >= 0 && b >= 0 && c >= 0 && d >= 0 && e >= 0) << received.toStdString();
    EXPECT_LT(a, b);
    EXPECT_LT(b, c);
    EXPECT_LT(c, d);
    EXPECT_LT(d, e);
    EXPECT_TRUE(waitUntilClosed(*socket, 2000)) << "Connection: close was not honoured";
}

TEST(HttpServer, KeepAliveAndCloseFollowTheVersion)
{
    ServerThread server;
    {
        auto socket = connectFrom(server.port());
        socket->write("GET /a HTTP/1.0\r\n\r\n");
        EXPECT_TRUE(waitUntilClosed(*socket, 2000)) << "HTTP/1.0 without keep-alive must close";
    }
    {
        auto socket = connectFrom(server.port());
        socket->write("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        const QByteArray first = readResponses(*socket, 1);
        EXPECT_TRUE(first.contains("connection: keep-alive\r\n")) << first.toStdString();
        socket->write("GET /b HTTP/1.0\r\n\r\n");
        EXPECT_TRUE(readResponses(*socket, 1).contains("/b"));
        EXPECT_TRUE(waitUntilClosed(*socket, 2000));
    }
    {
        auto socket = connectFrom(server.port());
        socket->write(get("/a"));
        EXPECT_TRUE(readResponses(*socket, 1).endsWith("/a"));
        socket->write(get("/b"));
        EXPECT_TRUE(readResponses(*socket, 1).endsWith("/b"));
        EXPECT_EQ(socket->state(), QAbstractSocket::ConnectedState) << "HTTP/1.1 keeps the connection";
        socket->write(get("/c", "Connection: close\r\n"));
        EXPECT_TRUE(readResponses(*socket, 1).contains("connection: close\r\n"));
        EXPECT_TRUE(waitUntilClosed(*socket, 2000));
    }
}

TEST(HttpServer, AClientThatStopsSendingStillGetsEveryAnswerOwed)
{
    // The client shuts its sending side right after its requests (as `nc -q`, some HTTP/1.0 clients
    // and health checks do): slow answers and an answer too big for the socket buffers still arrive whole.
    ServerThread server;
    for (const QByteArray &request :
         {get("/slow?ms=200", "Connection: close\r\n"), get("/slow?ms=200") + get("/fast"), get("/big?kb=8192", "Connection: close\r\n")}) {
        auto socket = connectFrom(server.port());
        socket->write(request);
        socket->flush();
        ::shutdown(int(socket->socketDescriptor()), SHUT_WR);
        QThread::msleep(300); // the FIN reaches the server while it still owes (part of) the answer
        QByteArray received;
        QDeadlineTimer deadline(5000);
        while (socket->state() == QAbstractSocket::ConnectedState && !deadline.hasExpired()) {
            socket->waitForReadyRead(50);
            received += socket->readAll();
        }
        received += socket->readAll();
        if (request.contains("/big")) {
            EXPECT_EQ(received.size() - (received.indexOf("\r\n\r\n") + 4), 8192 * 1024) << "the answer was cut short";
        } else {
            EXPECT_TRUE(received.contains("slow 200")) << received.toStdString();
            EXPECT_EQ(received.contains("/fast"), request.contains("/fast"));
        }
        EXPECT_NE(socket->state(), QAbstractSocket::ConnectedState) << "the connection was not closed after the answers";
    }
}

TEST(HttpServer, HeadAnswersWithTheLengthButNoBody)
{
    ServerThread server;
    auto socket = connectFrom(server.port());
    socket->write("HEAD /big?kb=3 HTTP/1.1\r\nHost: x\r\n\r\n" + get("/after"));
    QByteArray received;
    QDeadlineTimer deadline(3000);
    while (!received.contains("/after") && !deadline.hasExpired()) {
        socket->waitForReadyRead(50);
        received += socket->readAll();
    }
    const qsizetype second = received.indexOf("HTTP/1.1", 1);
    ASSERT_GT(second, 0) << received.toStdString();
    const QByteArray headResponse = received.left(second);
    EXPECT_TRUE(headResponse.contains("content-length: 3072\r\n"));
    EXPECT_TRUE(headResponse.endsWith("\r\n\r\n")) << "HEAD carried a body";
    EXPECT_TRUE(received.endsWith("/after"));
}

TEST(HttpServer, ExpectContinueIsAnsweredBeforeTheBodyAndNeverForABodyTooLarge)
{
    ServerThread server({}, 1, 1024);
    auto socket = connectFrom(server.port());
    socket->write("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    QByteArray interim;
    QDeadlineTimer deadline(3000);
    while (!interim.contains("\r\n\r\n") && !deadline.hasExpired()) {
        socket->waitForReadyRead(50);
        interim += socket->readAll();
    }
    EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
    socket->write("hello");
    const QByteArray final = readResponses(*socket, 1);
    EXPECT_TRUE(final.startsWith("HTTP/1.1 200 OK")) << final.toStdString();
    EXPECT_TRUE(final.endsWith("hello"));

    const RawExchange tooLarge = exchangeRaw(server.port(), "POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n", 3000);
    EXPECT_EQ(tooLarge.statuses(), QList<int>{413});
    EXPECT_TRUE(tooLarge.closedByServer);
}

TEST(HttpServer, ChunkedBodiesAreDecodedAndCountedAsTheyArrive)
{
    ServerThread server({}, 1, 1000);
    auto socket = connectFrom(server.port());
    socket->write("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;note=x\r\nhello\r\n");
    socket->flush();
    QThread::msleep(50); // the rest of the body comes in a read of its own
    socket->write("6\r\n world\r\n0\r\nX-Checksum: none\r\n\r\n");
    const QByteArray received = readResponses(*socket, 1);
    EXPECT_TRUE(received.endsWith("hello world")) << received.toStdString();

    // 150 MB announced by nobody: the 413 comes once the decoded body passes the limit, and the
    // connection closes while the client is still sending.
    auto flood = connectFrom(server.port());
    flood->write("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    const QByteArray chunk = "400\r\n" + QByteArray(1024, 'f') + "\r\n";
    QByteArray answer;
    qint64 sent = 0;
    QDeadlineTimer deadline(10000);
    while (sent < 150LL * 1024 * 1024 && !deadline.hasExpired() && flood->state() == QAbstractSocket::ConnectedState && !answer.contains("\r\n\r\n")) {
        if (flood->bytesToWrite() < 256 * 1024) {
            flood->write(chunk.repeated(64));
            sent += chunk.size() * 64;
        }
        flood->waitForBytesWritten(10);
        flood->waitForReadyRead(1);
        answer += flood->readAll();
    }
    answer += flood->readAll();
    EXPECT_TRUE(answer.startsWith("HTTP/1.1 413")) << answer.left(200).toStdString();
    EXPECT_LT(sent, 32LL * 1024 * 1024) << "the server read far past the limit before refusing";
}

TEST(HttpServer, AClientThatDoesNotReadIsNotReadFrom)
{
    http::ConnectionLimits limits;
    limits.maxUnsentBytes = 256 * 1024;
    ServerThread server(limits);
    auto socket = connectFrom(server.port());
    socket->setReadBufferSize(1); // hold what arrives in the kernel: the client "does not read"
    const int requests = 3000;
    QByteArray all;
    for (int i = 0; i < requests; ++i)
        all += get("/big?kb=16");
    socket->write(all);
    QDeadlineTimer settle(1500);
    while (!settle.hasExpired())
        socket->waitForBytesWritten(50);
    const qsizetype servedWhileStalled = server.served().size();
    // Each answer is 16 KiB: without back-pressure all 3000 (48 MB) would be produced and buffered.
    EXPECT_LT(servedWhileStalled, requests / 2) << "served " << servedWhileStalled << " answers nobody read";
    EXPECT_GT(servedWhileStalled, 0);

    socket->setReadBufferSize(0);
    qint64 bodyBytes = 0;
    int responses = 0;
    QByteArray pending;
    QDeadlineTimer deadline(30000);
    while (responses < requests && !deadline.hasExpired()) {
        socket->waitForReadyRead(100);
        pending += socket->readAll();
        while (true) {
            const qsizetype end = pending.indexOf("\r\n\r\n");
            if (end < 0 || pending.size() < end + 4 + 16 * 1024)
                break;
            pending.remove(0, end + 4 + 16 * 1024);
            bodyBytes += 16 * 1024;
            ++responses;
        }
    }
    EXPECT_EQ(responses, requests) << "every answer arrives once the client reads";
}

TEST(HttpServer, ASilentConnectionGetsTheRequestTimeoutAKeepAliveOneTheIdleTimeout)
{
    http::ConnectionLimits limits;
    limits.requestTimeoutMs = 600;
    limits.idleTimeoutMs = 3000;
    ServerThread server(limits);
    auto silent = connectFrom(server.port());
    auto keptAlive = connectFrom(server.port());
    keptAlive->write(get("/a"));
    readResponses(*keptAlive, 1);
    QElapsedTimer clock;
    clock.start();
    EXPECT_TRUE(waitUntilClosed(*silent, 2500));
    EXPECT_LT(clock.elapsed(), 2500);
    EXPECT_EQ(keptAlive->state(), QAbstractSocket::ConnectedState) << "a keep-alive connection is idle, not late";
    EXPECT_TRUE(waitUntilClosed(*keptAlive, 5000));

    // A request that has started must finish within the request timeout: 408.
    auto slow = connectFrom(server.port());
    slow->write("GET /slowloris HTTP/1.1\r\nHost: x\r\n");
    const QByteArray received = readResponses(*slow, 1, 3000);
    EXPECT_TRUE(received.startsWith("HTTP/1.1 408")) << received.toStdString();
    EXPECT_TRUE(waitUntilClosed(*slow, 3000));
}

TEST(HttpServer, AtTheCapTheOldestIdleConnectionMakesRoom)
{
    http::ConnectionLimits limits;
    limits.maxConnections = 10;
    ServerThread server(limits);
    std::vector<std::unique_ptr<QTcpSocket>> idle;
    for (int i = 0; i < 10; ++i) {
        idle.push_back(connectFrom(server.port()));
        // Accepted before the next one connects: the ages follow the vector's order (equal ages go by
        // the order of acceptance).
        waitFor([&] { return server.openConnections() == i + 1; }, 5000);
    }
    QThread::msleep(400); // the workers' sweep (every 250 ms) counts them as idle; it cannot be seen from here
    const HttpReply reply = sendRaw(server.port(), get("/wanted", "Connection: close\r\n"), 5000);
    EXPECT_EQ(reply.status, 200);
    EXPECT_TRUE(waitUntilClosed(*idle.front(), 2000)) << "the oldest idle connection was not closed";
    EXPECT_EQ(idle.back()->state(), QAbstractSocket::ConnectedState);
}

TEST(HttpServer, AtTheCapWithNoIdleConnectionNewOnesAreRefusedWith503)
{
    http::ConnectionLimits limits;
    limits.maxConnections = 5;
    ServerThread server(limits);
    std::vector<std::unique_ptr<QTcpSocket>> busy;
    for (int i = 0; i < 5; ++i) {
        busy.push_back(connectFrom(server.port()));
        busy.back()->write("GET /unfinished HTTP/1.1\r\n"); // a request in progress is not idle
        busy.back()->flush();
    }
    QThread::msleep(400); // a sweep (every 250 ms) after their bytes arrived counts none idle; it cannot be seen from here
    const HttpReply refused = sendRaw(server.port(), get("/wanted"), 5000);
    EXPECT_EQ(refused.status, 503);
    EXPECT_EQ(refused.json("error"), "temporarily_unavailable");
    EXPECT_FALSE(server.served().contains(QStringLiteral("/wanted")));
}

TEST(HttpServer, ConnectionsPerAddressAreCapped)
{
    http::ConnectionLimits limits;
    limits.maxConnectionsPerAddress = 3;
    ServerThread server(limits);
    std::vector<std::unique_ptr<QTcpSocket>> held;
    for (int i = 0; i < 3; ++i)
        held.push_back(connectFrom(server.port(), QHostAddress(QStringLiteral("127.0.0.2"))));
    waitFor([&] { return server.openConnections() == 3; }, 5000);
    auto fourth = connectFrom(server.port(), QHostAddress(QStringLiteral("127.0.0.2")));
    fourth->write(get("/fourth"));
    const QByteArray refused = readResponses(*fourth, 1);
    EXPECT_TRUE(refused.startsWith("HTTP/1.1 503")) << refused.toStdString();
    EXPECT_TRUE(refused.contains("127.0.0.2"));
    // A refused connection is let go at once, even if its client holds on: a flood of refusals must
    // not keep slots.
    EXPECT_TRUE(waitUntilClosed(*fourth, 1500)) << "the refused connection was kept open";
    // Another address is not affected, and a closed connection frees its slot.
    EXPECT_EQ(sendRaw(server.port(), get("/other", "Connection: close\r\n")).status, 200);
    held.front()->disconnectFromHost();
    waitFor([&] { return server.openConnections() == 2; }, 5000); // the refused, the other and the closed one gone
    auto again = connectFrom(server.port(), QHostAddress(QStringLiteral("127.0.0.2")));
    again->write(get("/again", "Connection: close\r\n"));
    EXPECT_TRUE(readResponses(*again, 1).startsWith("HTTP/1.1 200"));
}

TEST(HttpServer, EverySocketCountsUntilItIsClosed)
{
    http::ConnectionLimits limits;
    limits.idleTimeoutMs = 800;
    limits.maxUnsentBytes = 64 * 1024;
    ServerThread server(limits);
    auto stalled = connectFrom(server.port());
    stalled->setReadBufferSize(1);
    QByteArray requests;
    for (int i = 0; i < 2000; ++i)
        requests += get("/big?kb=16");
    stalled->write(requests);
    stalled->waitForBytesWritten(500);
    QThread::msleep(300); // still well within the idle timeout, with the server's answers stuck
    EXPECT_EQ(server.openConnections(), 1) << "a connection whose answers are not read still counts";
    // It makes no progress for longer than the idle timeout: closed, and only then uncounted.
    waitFor([&] { return server.openConnections() == 0; }, 6000);
    EXPECT_EQ(server.openConnections(), 0);
}

TEST(HttpServer, WorkersShareTheLoadAndAnswersMayComeFromAnyThread)
{
    ServerThread server({}, 2);
    std::vector<std::unique_ptr<QTcpSocket>> clients;
    for (int i = 0; i < 8; ++i) {
        clients.push_back(connectFrom(server.port()));
        clients.back()->write(get("/elsewhere") + get("/a"));
    }
    for (auto &client : clients) {
        const QByteArray received = readResponses(*client, 2);
        EXPECT_TRUE(received.contains("from another thread"));
        EXPECT_TRUE(received.endsWith("/a"));
    }
    const std::set<QString> threads = server.threads();
    EXPECT_EQ(threads, (std::set<QString>{QStringLiteral("http-worker-0"), QStringLiteral("http-worker-1")}));
}

// ---------------------------------------------------------------------------------------------

TEST(AccessLog, WritesCombinedLogFormatWithoutQueriesOffTheRequestPath)
{
    QTemporaryFile file;
    ASSERT_TRUE(file.open());
    {
        QString error;
        auto log = http::AccessLog::open(file.fileName(), http::AccessLog::Format::Combined, &error);
        ASSERT_TRUE(log) << error.toStdString();
        {
            ServerThread server({}, 1, 64 * 1024, log.get());
            sendRaw(server.port(),
                    get("/api/contacts?access_token=SECRET",
                        "Referer: http://localhost:3000/callback?code=CODE#frag\r\nUser-Agent: test \"agent\"\r\nConnection: close\r\n"));
            exchangeRaw(server.port(), "GET / HTTP/1.1\r\n\r\n", 2000);
        } // the workers hand over what they batched as they stop
        log->flush();
    }
    const QByteArray text = file.readAll();
    const QList<QByteArray> lines = text.trimmed().split('\n');
    ASSERT_EQ(lines.size(), 2) << text.toStdString();
    // host ident authuser [date] "request" status bytes "referer" "user-agent" (Apache's Combined Log Format)
    const QRegularExpression combined(QStringLiteral(
        R"(^127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET /api/contacts HTTP/1\.1" 200 13 "http://localhost:3000/callback" "test \\"agent\\""$)"));
    EXPECT_TRUE(combined.match(QString::fromLatin1(lines.at(0))).hasMatch()) << lines.at(0).toStdString();
    EXPECT_FALSE(text.contains("SECRET") || text.contains("CODE")) << "a query reached the log";
    EXPECT_TRUE(QRegularExpression(QStringLiteral(R"(^127\.0\.0\.1 - - \[.*\] "-" 400 \d+ "-" "-"$)")).match(QString::fromLatin1(lines.at(1))).hasMatch())
        << lines.at(1).toStdString(); // the missing Host: no request was read
}

TEST(AccessLog, WritesJsonLines)
{
    QTemporaryFile file;
    ASSERT_TRUE(file.open());
    {
        auto log = http::AccessLog::open(file.fileName(), http::AccessLog::Format::Json, nullptr);
        {
            ServerThread server({}, 1, 64 * 1024, log.get());
            sendRaw(server.port(), "POST /echo HTTP/1.1\r\nHost: x\r\nUser-Agent: \xe9t\xe9\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbody");
        }
        log->flush();
    }
    const QByteArray line = file.readAll().trimmed();
    QJsonParseError error;
    const QJsonObject entry = QJsonDocument::fromJson(line, &error).object();
    ASSERT_EQ(error.error, QJsonParseError::NoError) << line.toStdString();
    EXPECT_EQ(entry.value(QLatin1String("method")).toString(), QStringLiteral("POST"));
    EXPECT_EQ(entry.value(QLatin1String("path")).toString(), QStringLiteral("/echo"));
    EXPECT_EQ(entry.value(QLatin1String("status")).toInt(), 200);
    EXPECT_EQ(entry.value(QLatin1String("bytes")).toInt(), 4);
    EXPECT_EQ(entry.value(QLatin1String("remote")).toString(), QStringLiteral("127.0.0.1"));
    EXPECT_EQ(entry.value(QLatin1String("user_agent")).toString(), QStringLiteral("\u00e9t\u00e9")); // header bytes read as Latin-1
    EXPECT_TRUE(
        QRegularExpression(QStringLiteral(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$)")).match(entry.value(QLatin1String("time")).toString()).hasMatch());
    EXPECT_TRUE(entry.value(QLatin1String("duration_us")).isDouble());
}

TEST(AccessLog, DropsRatherThanBlocksWhenItCannotKeepUpAndSaysSo)
{
    int pipe[2];
    ASSERT_EQ(::pipe(pipe), 0);
    // Nobody reads the pipe: the writer thread blocks once it is full, and record() must not.
    auto log = std::make_unique<http::AccessLog>(pipe[1], http::AccessLog::Format::Combined);
    http::AccessLogEntry entry;
    entry.method = "GET";
    entry.rawPath = QByteArray(200, 'p');
    QElapsedTimer clock;
    clock.start();
    for (std::size_t i = 0; i < http::AccessLog::kMaxQueued * 3; ++i)
        log->record(entry);
    EXPECT_LT(clock.elapsed(), 20'000);
    EXPECT_GT(log->dropped(), 0u);
    // Drain the pipe so the writer can finish, then the count of dropped lines is written.
    QByteArray written;
    std::thread reader([fd = pipe[0], &written] {
        char buffer[65536];
        qsizetype n = 0;
        while ((n = ::read(fd, buffer, sizeof buffer)) > 0)
            written.append(buffer, n);
    });
    const quint64 dropped = log->dropped();
    log.reset();
    ::close(pipe[1]);
    reader.join();
    ::close(pipe[0]);
    quint64 reported = 0;
    quint64 entries = 0;
    const QRegularExpression notice(QStringLiteral("^# organizer-server: (\\d+) access log lines dropped"));
    for (const QByteArray &line : written.split('\n')) {
        if (const QRegularExpressionMatch match = notice.match(QString::fromLatin1(line)); match.hasMatch())
            reported += match.captured(1).toULongLong();
        else if (!line.isEmpty())
            ++entries;
    }
    EXPECT_EQ(reported, dropped) << "every dropped line is accounted for in the log itself";
    EXPECT_EQ(entries, http::AccessLog::kMaxQueued * 3 - dropped);
}

TEST(AccessLog, QuotesAndBackslashesInAPathAreEscapedTheApacheWay)
{
    http::AccessLogEntry entry;
    entry.timeMs = 1'764'547'200'000; // 2025-12-01T00:00:00Z
    entry.remoteAddress = "::1";
    entry.method = "GET";
    entry.rawPath = R"(/a"b\c)";
    entry.status = 404;
    entry.userAgent = "ua\x01";
    EXPECT_EQ(http::AccessLog::formatCombined(entry),
              R"(::1 - - [01/Dec/2025:00:00:00 +0000] "GET /a\"b\\c HTTP/1.1" 404 - "-" "ua\x01")"
              "\n");
}

// ---------------------------------------------------------------------------------------------
// The wire format without a socket: the exact bytes of an answer, and the Request made from a parsed one.

TEST(HttpWire, AnAnswerIsItsStatusLineHeadersNosniffLengthAndBody)
{
    http::Response response = http::Response::json(201, QJsonObject{{QStringLiteral("a"), 1}});
    response.setHeader("Location", "/things/1");
    EXPECT_EQ(http::serializeResponse(response, {}),
              "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\nlocation: /things/1\r\n"
              "x-content-type-options: nosniff\r\ncontent-length: 7\r\n\r\n{\"a\":1}");

    http::SerializeOptions head;
    head.includeBody = false;
    head.keepAliveHttp10 = true;
    EXPECT_EQ(http::serializeResponse(response, head),
              "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\nlocation: /things/1\r\n"
              "x-content-type-options: nosniff\r\ncontent-length: 7\r\nconnection: keep-alive\r\n\r\n")
        << "HEAD keeps the length and drops the body";

    EXPECT_EQ(http::serializeResponse(http::Response::noContent(), http::kFinalAnswer),
              "HTTP/1.1 204 No Content\r\nx-content-type-options: nosniff\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    EXPECT_EQ(http::continueResponse(), "HTTP/1.1 100 Continue\r\n\r\n");
}

TEST(HttpWire, AHeaderValueCannotEndTheHeaderBlock)
{
    http::Response response;
    response.status = 299;
    response.setHeader("x-echo", "a\r\nset-cookie: b\r\n\r\nc");
    EXPECT_EQ(http::serializeResponse(response, {}),
              "HTTP/1.1 299 Status\r\nx-echo: aset-cookie: bc\r\nx-content-type-options: nosniff\r\ncontent-length: 0\r\n\r\n");
}

TEST(HttpWire, TheFramingFollowsTheRequestAndTheShutdown)
{
    http::ParsedRequest request;
    request.method = "HEAD";
    request.minorVersion = 0;
    request.keepAlive = true;
    http::SerializeOptions framing = http::framingFor(request, false);
    EXPECT_FALSE(framing.includeBody);
    EXPECT_FALSE(framing.closeConnection);
    EXPECT_TRUE(framing.keepAliveHttp10);
    EXPECT_TRUE(http::framingFor(request, true).closeConnection) << "while shutting down every answer ends its connection";

    request.method = "GET";
    request.minorVersion = 1;
    request.keepAlive = false;
    framing = http::framingFor(request, false);
    EXPECT_TRUE(framing.includeBody);
    EXPECT_TRUE(framing.closeConnection);
    EXPECT_FALSE(framing.keepAliveHttp10);
}

TEST(HttpWire, TheRequestKeepsTheRawPathForRoutingAndDecodesTheRest)
{
    http::ParsedRequest parsed;
    parsed.method = "GET";
    parsed.target = "/api%2Fcontacts/caf%C3%A9?q=a+b&x=%26";
    parsed.headers = {{"host", "example"}};
    parsed.body = "body";
    const http::Request request = http::requestFrom(parsed, QHostAddress::LocalHost);
    EXPECT_EQ(request.method, "GET");
    EXPECT_EQ(request.rawPath, QStringLiteral("/api%2Fcontacts/caf%C3%A9"));
    EXPECT_EQ(request.path, QStringLiteral("/api/contacts/café"));
    EXPECT_EQ(request.query.value(QStringLiteral("q")), QStringLiteral("a b"));
    EXPECT_EQ(request.query.value(QStringLiteral("x")), QStringLiteral("&"));
    EXPECT_EQ(request.header("Host"), "example");
    EXPECT_EQ(request.body, "body");
    EXPECT_EQ(request.peer, QHostAddress(QHostAddress::LocalHost));
}
