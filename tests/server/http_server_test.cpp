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
#include <QSemaphore>
#include <QTcpSocket>
#include <QTemporaryFile>
#include <QThread>
#include <QTimer>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <memory>
#include <set>
#include <thread>

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace organizer;
using namespace organizer::test;

namespace {

// An http::Server owned by a thread of its own, as organizer-server's is owned by its main thread
// (the workers run on theirs): the test's thread only blocks in socket calls.
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
    QList<int> connectionsPerWorker() const { return m_server->connectionsPerWorker(); }
    QList<quint64> acceptedPerWorker() const { return m_server->acceptedPerWorker(); }
    bool alsoListenOn(const QHostAddress &address)
    {
        bool listening = false;
        QMetaObject::invokeMethod(
            &m_context, [&] { listening = m_server->alsoListenOn(address, nullptr); }, Qt::BlockingQueuedConnection);
        return listening;
    }
    void stopAccepting()
    {
        QMetaObject::invokeMethod(
            &m_context, [&] { m_server->stopAcceptingAndCloseAfterAnswers(); }, Qt::BlockingQueuedConnection);
    }
    // GET /hold?n=N keeps the worker that took it busy (blocked in the handler) until release(N).
    QString holder(int n) const
    {
        QMutexLocker lock(&m_mutex);
        return m_holders[n];
    }
    void release(int n) { m_holds[n].release(); }
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
        } else if (request.path == QLatin1String("/hold")) {
            const int n = request.query.value(u"n").toInt();
            {
                QMutexLocker lock(&m_mutex);
                m_holders[n] = QThread::currentThread()->objectName();
            }
            m_holds[n].acquire();
            response.body = "held";
        } else if (request.path == QLatin1String("/where")) {
            response.body = QThread::currentThread()->objectName().toUtf8();
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
    std::array<QString, 4> m_holders;
    std::array<QSemaphore, 4> m_holds;
};

// A blocking client on a plain descriptor, usable from any thread (QTcpSocket belongs to one) and to
// either loopback address.
class RawClient
{
public:
    RawClient(const QHostAddress &to, quint16 port)
    {
        const bool v6 = to.protocol() == QAbstractSocket::IPv6Protocol;
        m_fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (m_fd < 0)
            return;
        if (!connectTo(to, port)) {
            ::close(m_fd);
            m_fd = -1;
        }
    }
    // An unconnected socket, made now so that connecting later needs no new descriptor.
    explicit RawClient(int family) : m_fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) {}
    ~RawClient()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    RawClient(const RawClient &) = delete;
    RawClient &operator=(const RawClient &) = delete;

    bool connectTo(const QHostAddress &to, quint16 port)
    {
        sockaddr_storage address{};
        socklen_t length = 0;
        if (to.protocol() == QAbstractSocket::IPv6Protocol) {
            auto *v6 = reinterpret_cast<sockaddr_in6 *>(&address);
            v6->sin6_family = AF_INET6;
            v6->sin6_port = htons(port);
            const Q_IPV6ADDR bytes = to.toIPv6Address();
            std::memcpy(&v6->sin6_addr, bytes.c, 16);
            length = sizeof *v6;
        } else {
            auto *v4 = reinterpret_cast<sockaddr_in *>(&address);
            v4->sin_family = AF_INET;
            v4->sin_port = htons(port);
            v4->sin_addr.s_addr = htonl(to.toIPv4Address());
            length = sizeof *v4;
        }
        return ::connect(m_fd, reinterpret_cast<const sockaddr *>(&address), length) == 0;
    }
    bool connected() const { return m_fd >= 0; }
    bool send(const QByteArray &bytes) { return m_fd >= 0 && ::send(m_fd, bytes.constData(), size_t(bytes.size()), MSG_NOSIGNAL) == bytes.size(); }
    // Reads until one whole answer has arrived, the server closes, or the timeout; returns what arrived.
    QByteArray readAnswer(int timeoutMs = 5000)
    {
        RawExchange exchange;
        QDeadlineTimer deadline(timeoutMs);
        while (m_fd >= 0 && exchange.statuses().isEmpty() && !deadline.hasExpired()) {
            pollfd ready{m_fd, POLLIN, 0};
            if (::poll(&ready, 1, int(std::max<qint64>(1, deadline.remainingTime()))) <= 0)
                continue;
            char buffer[4096];
            const ssize_t got = ::recv(m_fd, buffer, sizeof buffer, 0);
            if (got <= 0)
                break; // closed (or reset) by the server
            exchange.received.append(buffer, got);
        }
        m_received = exchange.received;
        return m_received;
    }
    int status() const
    {
        RawExchange exchange;
        exchange.received = m_received;
        const QList<int> statuses = exchange.statuses();
        return statuses.isEmpty() ? 0 : statuses.constFirst();
    }
    QByteArray body() const { return m_received.mid(m_received.indexOf("\r\n\r\n") + 4); }
    const QByteArray &received() const { return m_received; }

private:
    int m_fd = -1;
    QByteArray m_received;
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

// Every worker accepts for itself from every listening socket: with one worker held in a handler, the
// other still takes new connections on either address, and then the other way round.
TEST(HttpServer, EveryWorkerAcceptsOnEveryListeningAddress)
{
    ServerThread server({}, 2);
    // The zero-configuration server listens on ::1 beside 127.0.0.1 (ServerCli checks both), so ::1 must be there.
    ASSERT_TRUE(server.alsoListenOn(QHostAddress(QHostAddress::LocalHostIPv6))) << "cannot listen on ::1";
    int hold = 0;
    for (const QHostAddress &address : {QHostAddress(QHostAddress::LocalHost), QHostAddress(QHostAddress::LocalHostIPv6)}) {
        SCOPED_TRACE(address.toString().toStdString());
        RawClient first(QHostAddress(QHostAddress::LocalHost), server.port());
        ASSERT_TRUE(first.send(get("/hold?n=" + QByteArray::number(hold))));
        ASSERT_TRUE(waitFor([&] { return !server.holder(hold).isEmpty(); }, 5000));
        const QString busy = server.holder(hold);

        RawClient toTheOther(address, server.port());
        ASSERT_TRUE(toTheOther.send(get("/where", "Connection: close\r\n")));
        toTheOther.readAnswer();
        EXPECT_EQ(toTheOther.status(), 200) << "the free worker did not accept on " << address.toString().toStdString();
        EXPECT_NE(QString::fromUtf8(toTheOther.body()), busy);

        // Now the other worker is held, and the first one, released, must accept on this address too.
        RawClient second(QHostAddress(QHostAddress::LocalHost), server.port());
        ASSERT_TRUE(second.send(get("/hold?n=" + QByteArray::number(hold + 1))));
        ASSERT_TRUE(waitFor([&] { return !server.holder(hold + 1).isEmpty(); }, 5000));
        EXPECT_NE(server.holder(hold + 1), busy);
        server.release(hold);
        RawClient toTheFirst(address, server.port());
        ASSERT_TRUE(toTheFirst.send(get("/where", "Connection: close\r\n")));
        toTheFirst.readAnswer();
        EXPECT_EQ(toTheFirst.status(), 200) << "the first worker did not accept on " << address.toString().toStdString();
        EXPECT_EQ(QString::fromUtf8(toTheFirst.body()), busy);
        server.release(hold + 1);
        first.readAnswer();
        second.readAnswer();
        EXPECT_EQ(first.status(), 200);
        EXPECT_EQ(second.status(), 200);
        hold += 2;
    }
    const QList<quint64> accepted = server.acceptedPerWorker();
    ASSERT_EQ(accepted.size(), 2);
    EXPECT_GT(accepted[0], 0u) << "worker 0 never accepted a connection itself";
    EXPECT_GT(accepted[1], 0u) << "worker 1 never accepted a connection itself";
}

// Long connections opened at once spread over the workers (whichever accepts them), and every
// connection is accepted exactly once.
TEST(HttpServer, ConnectionsOpenedAtOnceSpreadEvenlyOverTheWorkers)
{
    ServerThread server({}, 2);
    constexpr int kThreads = 4;
    constexpr int kEach = 10;
    std::vector<std::unique_ptr<RawClient>> clients(kThreads * kEach);
    std::atomic<int> answered{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) {
                auto &client = clients[size_t(t * kEach + i)];
                client = std::make_unique<RawClient>(QHostAddress(QHostAddress::LocalHost), server.port());
                client->send(get("/a"));
            }
            for (int i = 0; i < kEach; ++i) {
                auto &client = clients[size_t(t * kEach + i)];
                client->readAnswer();
                if (client->status() == 200)
                    ++answered;
            }
        });
    }
    for (std::thread &thread : threads)
        thread.join();
    EXPECT_EQ(answered.load(), kThreads * kEach);
    const QList<int> perWorker = server.connectionsPerWorker();
    ASSERT_EQ(perWorker.size(), 2);
    EXPECT_EQ(perWorker[0] + perWorker[1], kThreads * kEach);
    // The accepting worker hands a connection over once it serves more than the least busy one plus
    // 2 and an eighth: 40 connections split no worse than 26 / 14.
    EXPECT_GE(std::min(perWorker[0], perWorker[1]), 14) << perWorker[0] << " / " << perWorker[1];
    const QList<quint64> accepted = server.acceptedPerWorker();
    EXPECT_EQ(accepted[0] + accepted[1], quint64(kThreads * kEach));
}

namespace {

// Opens `threads` × `each` connections at once, each sending `request`, and keeps them all open until
// every answer is in; returns the statuses (0: closed unanswered).
std::vector<int> openAtOnce(quint16 port, int threads, int each, const QByteArray &request, int timeoutMs)
{
    std::vector<std::unique_ptr<RawClient>> clients(size_t(threads * each));
    std::vector<int> statuses(clients.size(), 0);
    std::vector<std::thread> running;
    for (int t = 0; t < threads; ++t) {
        running.emplace_back([&, t] {
            for (int i = 0; i < each; ++i) {
                auto &client = clients[size_t(t * each + i)];
                client = std::make_unique<RawClient>(QHostAddress(QHostAddress::LocalHost), port);
                client->send(request);
            }
            for (int i = 0; i < each; ++i) {
                const size_t index = size_t(t * each + i);
                clients[index]->readAnswer(timeoutMs);
                statuses[index] = clients[index]->status();
            }
        });
    }
    for (std::thread &thread : running)
        thread.join();
    return statuses;
}

} // namespace

// The per-address cap holds when several workers accept from the same client at the same moment.
TEST(HttpServer, ThePerAddressCapIsCountedAcrossWorkers)
{
    http::ConnectionLimits limits;
    limits.maxConnectionsPerAddress = 8;
    ServerThread server(limits, 3);
    const std::vector<int> statuses = openAtOnce(server.port(), 3, 8, get("/a"), 5000);
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 200), 8);
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 503), 16);
    EXPECT_TRUE(waitFor([&] { return server.openConnections() == 0; }, 5000)) << server.openConnections();
}

// The same for the cap on all connections: exactly that many are served, whichever workers accept
// them; every other one is refused with 503 (or, counted idle before its request arrived, closed to
// make room for a later one).
TEST(HttpServer, TheConnectionCapIsCountedAcrossWorkers)
{
    http::ConnectionLimits limits;
    limits.maxConnections = 6;
    ServerThread server(limits, 3);
    const std::vector<int> statuses = openAtOnce(server.port(), 3, 6, get("/slow?ms=3000", "Connection: close\r\n"), 8000);
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 200), 6);
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 503) + std::count(statuses.begin(), statuses.end(), 0), 12);
    EXPECT_TRUE(waitFor([&] { return server.openConnections() == 0; }, 5000)) << server.openConnections();
}

// Shutting down while clients keep connecting: nothing crashes or hangs, the port stops accepting,
// and every answer that arrives is a whole 200.
TEST(HttpServer, StoppingWhileConnectionsArriveNeitherCrashesNorHangs)
{
    auto server = std::make_unique<ServerThread>(http::ConnectionLimits{}, 2);
    const quint16 port = server->port();
    std::atomic<bool> stop{false};
    std::atomic<int> ok{0};
    std::atomic<int> wrong{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 3; ++t) {
        clients.emplace_back([&] {
            while (!stop.load()) {
                RawClient client(QHostAddress(QHostAddress::LocalHost), port);
                if (!client.connected() || !client.send(get("/a", "Connection: close\r\n"))) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(1)); // refused: the port is closing
                    continue;
                }
                client.readAnswer(5000);
                if (client.status() == 200)
                    ++ok;
                else if (client.status() != 0 || !client.received().isEmpty())
                    ++wrong; // anything but a whole 200 or a close without a byte
            }
        });
    }
    ASSERT_TRUE(waitFor([&] { return ok.load() >= 50; }, 10000));
    server->stopAccepting();
    EXPECT_TRUE(waitFor([&] { return !RawClient(QHostAddress(QHostAddress::LocalHost), port).connected(); }, 5000)) << "still accepting";
    EXPECT_TRUE(waitFor([&] { return server->openConnections() == 0; }, 5000)) << server->openConnections();
    server.reset(); // while the clients still try
    stop = true;
    for (std::thread &client : clients)
        client.join();
    EXPECT_EQ(wrong.load(), 0);
}

// Out of descriptors, a worker pauses accepting and tries again later instead of spinning on a
// listening socket that stays ready; once descriptors are free, the waiting connection is served.
TEST(HttpServer, OutOfDescriptorsAcceptingPausesWithoutSpinningAndResumes)
{
    ServerThread server({}, 1);
    RawClient client(AF_INET); // made now: connecting takes no descriptor of this process
    ASSERT_TRUE(client.connected());
    rlimit saved{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
    const int lowestFree = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(lowestFree, 0);
    ::close(lowestFree);
    rlimit exhausted = saved;
    exhausted.rlim_cur = rlim_t(lowestFree); // no new descriptor can be made
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &exhausted), 0);
    const bool connected = client.connectTo(QHostAddress(QHostAddress::LocalHost), server.port()); // the kernel's backlog takes it
    rusage before{};
    ::getrusage(RUSAGE_SELF, &before);
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    rusage after{};
    ::getrusage(RUSAGE_SELF, &after);
    const int openMeanwhile = server.openConnections();
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &saved), 0);
    ASSERT_TRUE(connected);
    const auto cpuMs
        = [](const rusage &usage) { return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000 + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000; };
    EXPECT_LT(cpuMs(after) - cpuMs(before), 200) << "the worker spun while it could not accept";
    EXPECT_EQ(openMeanwhile, 0);
    ASSERT_TRUE(client.send(get("/later", "Connection: close\r\n")));
    client.readAnswer(5000);
    EXPECT_EQ(client.status(), 200) << "the connection that waited was not served once descriptors were free";
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
