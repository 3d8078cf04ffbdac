#include "httpserver.h"

#include <QDateTime>
#include <QAbstractEventDispatcher>
#include <QElapsedTimer>
#include <QHash>
#include <QMutex>
#include <QPointer>
#include <QTcpServer>
#include <QSocketNotifier>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <limits>
#include <unordered_map>
#include <vector>

#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace organizer::http {

Q_LOGGING_CATEGORY(lcAccess, "organizer.server.access")

namespace {

constexpr qint64 kReadChunk = 64 * 1024;
constexpr qint64 kLingerMs = 2000; // after a final answer, how long unread request bytes are drained
constexpr qint64 kRefusalLingerMs = 250; // a refused connection is let go sooner: a flood of them must not hold slots

// The key connections are counted under: an IPv4 address, or an IPv6 /64 (one host's usual share).
QByteArray addressKey(const QHostAddress &address)
{
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);
    if (isV4)
        return QByteArray::number(v4);
    const Q_IPV6ADDR v6 = address.toIPv6Address();
    return QByteArray(reinterpret_cast<const char *>(v6.c), 8);
}

QHostAddress peerOf(qintptr descriptor)
{
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    if (::getpeername(int(descriptor), reinterpret_cast<sockaddr *>(&storage), &length) != 0)
        return {};
    return QHostAddress(reinterpret_cast<const sockaddr *>(&storage));
}

} // namespace

int raiseOpenFileLimit()
{
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return 1024;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (::setrlimit(RLIMIT_NOFILE, &raised) == 0)
            limit = raised;
    }
    return limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > (1u << 30) ? (1 << 30) : int(limit.rlim_cur);
}

int defaultMaxConnections()
{
    static const int value = std::clamp(raiseOpenFileLimit() / 4 * 3, 64, 65536);
    return value;
}

// What the acceptor and the workers share: settings fixed before listening, and the counters.
class Server::Shared
{
public:
    Handler handler;
    qsizetype maxBodyBytes = 64 * 1024;
    ConnectionLimits limits;
    AccessLog *accessLog = nullptr;
    std::atomic<int> open{0};
    std::atomic<bool> closing{false}; // shutting down: every answer from now on ends its connection

    // Every accepted socket is counted under its address until it is closed, refused ones included.
    void countAddress(const QByteArray &key)
    {
        QMutexLocker lock(&m_mutex);
        ++m_perAddress[key];
    }
    int addressCount(const QByteArray &key)
    {
        QMutexLocker lock(&m_mutex);
        return m_perAddress.value(key);
    }
    void releaseAddress(const QByteArray &key)
    {
        QMutexLocker lock(&m_mutex);
        auto it = m_perAddress.find(key);
        if (it != m_perAddress.end() && --it.value() <= 0)
            m_perAddress.erase(it);
    }

private:
    QMutex m_mutex;
    QHash<QByteArray, int> m_perAddress;
};

// One event loop's connections. Everything here runs on the worker's thread; a Responder called from
// another thread posts its answer here through the link, which outlives the worker. Sockets are plain
// non-blocking descriptors: one recv() per wake-up, answers sent at once
// with send() and only what the kernel does not take is kept (QTcpSocket would copy every byte
// through two buffers and ask the kernel how much is readable before each read). One epoll set per
// worker holds them all.
class Server::Worker : public QObject
{
public:
    struct Link
    {
        QMutex mutex;
        Worker *worker = nullptr;
    };
    enum class Admission { Serve, EvictIdleFirst, Refuse };

    explicit Worker(std::shared_ptr<Shared> shared) : m_shared(std::move(shared)), m_link(std::make_shared<Link>())
    {
        m_link->worker = this;
        m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
        m_sweeper = new QTimer(this);
        m_sweeper->setInterval(250);
        connect(m_sweeper, &QTimer::timeout, this, [this] { sweep(); });
    }
    ~Worker() override
    {
        flushLog();
        detach();
        for (auto &[id, connection] : m_connections) {
            if (connection->fd >= 0) {
                ::close(connection->fd);
                m_shared->releaseAddress(connection->key);
                --m_shared->open;
            }
        }
        delete m_epollNotifier;
        ::close(m_epoll);
    }

    void detach()
    {
        QMutexLocker lock(&m_link->mutex);
        m_link->worker = nullptr;
    }

    void start()
    {
        m_epollNotifier = new QSocketNotifier(m_epoll, QSocketNotifier::Read, this); // on the worker's own thread
        connect(m_epollNotifier, &QSocketNotifier::activated, this, [this] { drainEpoll(); });
        // The access log gets this loop's entries in one batch, when the loop has nothing left to do.
        connect(QThread::currentThread()->eventDispatcher(), &QAbstractEventDispatcher::aboutToBlock, this, [this] { flushLog(); });
        m_clock.start();
        m_clockReference = m_clock.msecsSinceReference();
        m_wallAtStartMs = QDateTime::currentMSecsSinceEpoch();
        m_sweeper->start();
    }

    void adopt(int fd, const QHostAddress &peer, const QByteArray &key, Admission admission, const QString &refusal);
    // Shutting down: connections waiting for their next request go now (the others after their answers).
    void closeIdleConnections()
    {
        tick();
        std::vector<Connection *> idleOnes;
        for (auto &[id, connection] : m_connections) {
            // A request already in the kernel's buffer, not yet read, is served (with "Connection:
            // close") rather than cut off: closing with unread bytes would reset the connection.
            char byte;
            if (isIdle(*connection) && ::recv(connection->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0)
                idleOnes.push_back(connection.get());
        }
        for (Connection *connection : idleOnes)
            closeNow(*connection);
    }

    std::atomic<int> connections{0};
    std::atomic<int> idle{0};
    // When this worker's longest-idle connection last did something, on the clock all threads share
    // (QElapsedTimer's reference): the acceptor asks the worker with the oldest to make room.
    std::atomic<qint64> oldestIdleAt{std::numeric_limits<qint64>::max()};

private:
    struct Pending
    {
        quint64 sequence = 0;
        bool ready = false;
        bool close = false;
        bool head = false;
        bool keepAliveHttp10 = false;
        QByteArray bytes;
        qint64 startedNs = 0;
        AccessLogEntry log;
    };
    struct Connection
    {
        quint64 id = 0;
        int fd = -1;
        quint32 interest = 0; // the epoll events asked for now
        QHostAddress peer;
        QByteArray peerText; // for the access log
        QByteArray key;
        RequestParser parser;
        QByteArray input; // received, not yet parsed
        QByteArray output; // answers the kernel has not taken yet, from outputSent on
        qsizetype outputSent = 0;
        std::deque<Pending> pending;
        quint64 nextSequence = 0;
        qint64 lastActivityMs = 0;
        qint64 requestStartedMs = -1; // the request timeout counts from here; -1 between requests
        qint64 lastWriteProgressMs = 0;
        qint64 lingerSinceMs = -1;
        bool fresh = true; // no byte received yet
        bool refused = false; // turned away at the door (a cap): answered 503, never read
        bool readingStopped = false;
        bool readEof = false;
        bool continueSent = false;
        bool pumping = false;
        bool gone = false;
        qsizetype unsent() const { return output.size() - outputSent; }
    };

    Connection *find(quint64 id)
    {
        auto it = m_connections.find(id);
        return it == m_connections.end() || it->second->gone ? nullptr : it->second.get();
    }
    qsizetype maxBufferedInput() const { return m_shared->limits.maxHeaderBytes + kReadChunk; }
    bool paused(const Connection &c) const
    {
        return qsizetype(c.pending.size()) >= m_shared->limits.maxPipelinedRequests || c.unsent() > m_shared->limits.maxUnsentBytes;
    }
    void onReadable(Connection &c);
    void onWritable(Connection &c);
    void pump(Connection &c);
    void dispatch(Connection &c, ParsedRequest parsed);
    void deliver(quint64 connectionId, quint64 sequence, Response response);
    void queueFinal(Connection &c, int status, const QString &error, const QString &description);
    void flush(Connection &c);
    void send(Connection &c, const QByteArray &bytes);
    void finish(Connection &c);
    void closeNow(Connection &c);
    void sweep();
    bool isIdle(const Connection &c) const
    {
        return !c.gone && c.lingerSinceMs < 0 && !c.readingStopped && c.pending.empty() && c.parser.idle() && c.input.isEmpty() && c.unsent() == 0;
    }
    Responder responderFor(quint64 connectionId, quint64 sequence) const;

    std::shared_ptr<Shared> m_shared;
    std::shared_ptr<Link> m_link;
    std::unordered_map<quint64, std::unique_ptr<Connection>> m_connections;
    QTimer *m_sweeper = nullptr;
    QElapsedTimer m_clock;
    quint64 m_nextId = 1;
    std::array<char, kReadChunk> m_scratch;
    // The clock is read once per wake-up; everything that wake does is stamped with it.
    // Connections are watched by one epoll set per worker, itself watched by a single QSocketNotifier:
    // Qt's poll() then looks at one descriptor however many connections there are, and each wake-up
    // handles every ready connection (up to 64 at a time) without an event per socket.
    void setInterest(Connection &c, bool read, bool write)
    {
        const quint32 wanted = (read ? quint32(EPOLLIN) : 0u) | (write ? quint32(EPOLLOUT) : 0u);
        if (c.gone || wanted == c.interest)
            return;
        epoll_event event{};
        event.events = wanted;
        event.data.u64 = c.id;
        ::epoll_ctl(m_epoll, EPOLL_CTL_MOD, c.fd, &event);
        c.interest = wanted;
    }
    void drainEpoll()
    {
        std::array<epoll_event, 64> events;
        while (true) {
            const int ready = ::epoll_wait(m_epoll, events.data(), int(events.size()), 0);
            if (ready <= 0)
                return;
            tick();
            for (int i = 0; i < ready; ++i) {
                Connection *c = find(events[i].data.u64);
                if (!c)
                    continue;
                const quint32 what = events[i].events;
                if (what & EPOLLOUT)
                    onWritable(*c);
                if (c->gone)
                    continue;
                if (what & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                    if (!(c->interest & EPOLLIN) && (what & (EPOLLHUP | EPOLLERR)))
                        closeNow(*c); // gone both ways while we were not reading: nothing left to do
                    else
                        onReadable(*c);
                }
            }
            if (ready < int(events.size()))
                return;
        }
    }
    int m_epoll = -1;
    QSocketNotifier *m_epollNotifier = nullptr;
    void flushLog()
    {
        if (!m_logBatch.empty() && m_shared->accessLog)
            m_shared->accessLog->record(std::move(m_logBatch));
        m_logBatch.clear();
    }
    std::vector<AccessLogEntry> m_logBatch;
    qint64 tick()
    {
        m_nowMs = m_clock.elapsed();
        return m_nowMs;
    }
    qint64 m_nowMs = 0;
    qint64 m_clockReference = 0;
    qint64 m_wallAtStartMs = 0;
    bool m_inWake = false;
};

void Server::Worker::adopt(int fd, const QHostAddress &peer, const QByteArray &key, Admission admission, const QString &refusal)
{
    const qint64 now = m_clock.elapsed();
    QString refused = admission == Admission::Refuse ? refusal : QString();
    if (admission == Admission::EvictIdleFirst) {
        // At the cap: the connection that has waited longest for a request makes room.
        Connection *oldest = nullptr;
        for (auto &[id, connection] : m_connections) {
            if (isIdle(*connection)
                && (!oldest || connection->lastActivityMs < oldest->lastActivityMs
                    || (connection->lastActivityMs == oldest->lastActivityMs && connection->id < oldest->id)))
                oldest = connection.get();
        }
        if (oldest) {
            qCDebug(lcAccess).noquote() << "closing an idle connection from" << oldest->peer.toString() << "to make room";
            closeNow(*oldest);
        } else {
            refused = refusal;
        }
    }

    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); // an answer goes out whole, at once

    auto connection = std::make_unique<Connection>();
    Connection &c = *connection;
    c.id = m_nextId++;
    c.fd = fd;
    c.peer = peer;
    c.peerText = peer.toString().toLatin1();
    c.key = key;
    c.parser.setLimits({m_shared->limits.maxHeaderBytes, m_shared->maxBodyBytes, 100, 1024});
    c.lastActivityMs = now;
    c.lastWriteProgressMs = now;
    c.requestStartedMs = now; // a new connection owes its first request within the request timeout
    const quint64 id = c.id;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = id;
    if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event) != 0) {
        ::close(fd);
        m_shared->releaseAddress(key);
        --m_shared->open;
        return;
    }
    c.interest = EPOLLIN;
    m_connections.emplace(id, std::move(connection));
    ++connections;
    if (!refused.isEmpty()) {
        qCInfo(lcAccess).noquote() << "refused a connection from" << peer.toString() << ":" << refused;
        c.refused = true;
        queueFinal(c, 503, QStringLiteral("temporarily_unavailable"), refused);
    }
}

void Server::Worker::closeNow(Connection &c)
{
    if (c.gone)
        return;
    c.gone = true;
    // epoll lets go of the descriptor before it is closed and its number reused.
    ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, c.fd, nullptr);
    ::close(c.fd);
    c.fd = -1;
    const quint64 id = c.id;
    m_shared->releaseAddress(c.key);
    --m_shared->open;
    --connections;
    // Removed once the current call chain (which may hold a reference) has unwound.
    QMetaObject::invokeMethod(
        this, [this, id] { m_connections.erase(id); }, Qt::QueuedConnection);
}

void Server::Worker::onReadable(Connection &c)
{
    const qint64 now = tick();
    if (c.lingerSinceMs >= 0 || c.readingStopped) {
        // After the final answer: what the client still sends is read and dropped until it closes.
        char scratch[16 * 1024];
        while (true) {
            const ssize_t n = ::recv(c.fd, scratch, sizeof scratch, 0);
            if (n > 0)
                continue;
            if (n < 0 && errno == EINTR)
                continue;
            if (n == 0 && (!c.pending.empty() || c.unsent() > 0)) {
                // The client is done sending but an answer is still owed (a handler working, or bytes
                // the kernel has not taken yet): it goes out first, then the connection closes.
                c.readEof = true;
                setInterest(c, false, c.unsent() > 0);
                return;
            }
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
                closeNow(c);
            return;
        }
    }
    while (c.input.size() < maxBufferedInput()) {
        // Into the worker's scratch buffer first: most reads are one small request, copied once into
        // an input buffer that keeps its capacity from request to request.
        const ssize_t n = ::recv(c.fd, m_scratch.data(), m_scratch.size(), 0);
        if (n > 0)
            c.input.append(m_scratch.data(), n);
        if (n > 0) {
            if (c.requestStartedMs < 0)
                c.requestStartedMs = now; // a keep-alive connection's next request starts with this byte
            c.fresh = false;
            c.lastActivityMs = now;
            if (n < qsizetype(m_scratch.size()))
                break; // most likely all there was
            continue;
        }
        if (n == 0) {
            c.readEof = true;
            setInterest(c, false, c.unsent() > 0);
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return closeNow(c);
        break;
    }
    m_inWake = true;
    pump(c);
    m_inWake = false;
    if (c.gone)
        return;
    if (c.readEof) {
        // The client closed its side: answer what was asked in full, then close.
        c.readingStopped = true;
        if (c.pending.empty() && c.unsent() == 0)
            closeNow(c);
    }
}

void Server::Worker::onWritable(Connection &c)
{
    while (c.unsent() > 0) {
        const ssize_t n = ::send(c.fd, c.output.constData() + c.outputSent, std::size_t(c.unsent()), MSG_NOSIGNAL);
        if (n > 0) {
            c.outputSent += n;
            c.lastWriteProgressMs = tick();
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return; // the notifier calls again
        return closeNow(c);
    }
    c.output.clear();
    c.outputSent = 0;
    setInterest(c, c.interest & EPOLLIN, false);
    if (c.lingerSinceMs >= 0) {
        if (c.readEof)
            return closeNow(c); // the last answer is out and the client has stopped sending
        ::shutdown(c.fd, SHUT_WR);
        return;
    }
    if (c.readEof && c.pending.empty())
        return closeNow(c);
    pump(c); // reading resumes once the client has caught up
}

void Server::Worker::send(Connection &c, const QByteArray &bytes)
{
    if (c.gone || bytes.isEmpty())
        return;
    if (c.unsent() == 0) {
        qsizetype sent = 0;
        while (sent < bytes.size()) {
            const ssize_t n = ::send(c.fd, bytes.constData() + sent, std::size_t(bytes.size() - sent), MSG_NOSIGNAL);
            if (n > 0) {
                sent += n;
                continue;
            }
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            return closeNow(c); // the client is gone
        }
        c.lastWriteProgressMs = m_nowMs;
        if (sent == bytes.size())
            return;
        c.output = bytes.mid(sent);
        c.outputSent = 0;
    } else {
        if (c.outputSent > 0 && c.outputSent >= c.output.size() / 2) {
            c.output.remove(0, c.outputSent);
            c.outputSent = 0;
        }
        c.output += bytes;
    }
    setInterest(c, c.interest & EPOLLIN, true);
}

void Server::Worker::pump(Connection &c)
{
    if (c.pumping || c.gone)
        return;
    c.pumping = true;
    while (!c.gone && !c.readingStopped && !paused(c)) {
        qsizetype consumed = 0;
        const RequestParser::Status status = c.parser.parse(c.input, &consumed);
        if (consumed == c.input.size())
            c.input.resize(0); // keeps the allocation for the next request
        else if (consumed > 0)
            c.input.remove(0, consumed);
        if (status == RequestParser::Status::Complete) {
            ParsedRequest parsed = c.parser.takeRequest();
            c.parser.reset();
            c.continueSent = false;
            // Bytes already here belong to the next request, whose clock starts now.
            c.requestStartedMs = c.input.isEmpty() ? -1 : m_nowMs;
            dispatch(c, std::move(parsed));
            continue;
        }
        if (status == RequestParser::Status::Failed) {
            const ParseFailure failure = c.parser.failure();
            qCInfo(lcAccess).noquote() << "refused a request from" << c.peer.toString() << failure.status << failure.description;
            queueFinal(c, failure.status, QStringLiteral("invalid_request"), failure.description);
            break;
        }
        if (!c.continueSent && c.pending.empty() && c.parser.awaitingBody() && c.parser.request().expectsContinue) {
            send(c, QByteArrayLiteral("HTTP/1.1 100 Continue\r\n\r\n"));
            c.continueSent = true;
        }
        if (c.readEof && !c.parser.idle()) {
            // The client closed in the middle of a request: there is nothing to answer.
            c.readingStopped = true;
        }
        break; // needs more bytes
    }
    c.pumping = false;
    if (!c.gone)
        setInterest(c, !c.readEof && (c.lingerSinceMs >= 0 || (!c.readingStopped && !paused(c) && c.input.size() < maxBufferedInput())), c.unsent() > 0);
}

Responder Server::Worker::responderFor(quint64 connectionId, quint64 sequence) const
{
    return [link = m_link, connectionId, sequence](Response response) {
        QMutexLocker lock(&link->mutex);
        Worker *worker = link->worker;
        if (!worker)
            return; // the server is shutting down
        if (QThread::currentThread() == worker->thread()) {
            lock.unlock(); // the worker cannot go away under its own thread
            worker->deliver(connectionId, sequence, std::move(response));
            return;
        }
        QMetaObject::invokeMethod(
            worker,
            [worker, connectionId, sequence, response = std::move(response)]() mutable { worker->deliver(connectionId, sequence, std::move(response)); },
            Qt::QueuedConnection);
    };
}

void Server::Worker::dispatch(Connection &c, ParsedRequest parsed)
{
    Pending pending;
    pending.sequence = c.nextSequence++;
    pending.head = parsed.method == "HEAD";
    pending.close = !parsed.keepAlive || m_shared->closing.load(std::memory_order_relaxed);
    pending.keepAliveHttp10 = parsed.keepAlive && parsed.minorVersion == 0;
    pending.startedNs = m_shared->accessLog ? m_clock.nsecsElapsed() : 0;
    if (m_shared->accessLog) {
        AccessLogEntry &log = pending.log;
        log.remoteAddress = c.peerText;
        log.method = parsed.method;
        const qsizetype query = parsed.target.indexOf('?');
        log.rawPath = query < 0 ? parsed.target : parsed.target.left(query);
        log.minorVersion = parsed.minorVersion;
        for (const auto &[name, value] : std::as_const(parsed.headers)) {
            if (name == "referer")
                log.referer = value;
            else if (name == "user-agent")
                log.userAgent = value;
        }
    }
    if (pending.close)
        c.readingStopped = true; // "Connection: close": this is the last request read
    const quint64 sequence = pending.sequence;
    c.pending.push_back(std::move(pending));
    m_shared->handler(requestFrom(std::move(parsed), c.peer), responderFor(c.id, sequence));
}

void Server::Worker::deliver(quint64 connectionId, quint64 sequence, Response response)
{
    if (!m_inWake)
        tick(); // an answer that comes later (from another thread, a timer): the clock has moved
    Connection *c = find(connectionId);
    if (!c)
        return; // the client went away while we were working
    auto pending = std::find_if(c->pending.begin(), c->pending.end(), [&](const Pending &p) { return p.sequence == sequence; });
    if (pending == c->pending.end() || pending->ready)
        return; // answered already
    pending->bytes = serializeResponse(response, SerializeOptions{!pending->head, pending->close, pending->keepAliveHttp10});
    pending->ready = true;
    if (m_shared->accessLog) {
        const qint64 nowNs = m_clock.nsecsElapsed();
        pending->log.timeMs = m_wallAtStartMs + nowNs / 1'000'000;
        pending->log.status = response.status;
        pending->log.bodyBytes = pending->head ? 0 : response.body.size();
        pending->log.durationUs = (nowNs - pending->startedNs) / 1000;
        m_logBatch.push_back(std::move(pending->log));
    }
    flush(*c);
}

void Server::Worker::queueFinal(Connection &c, int status, const QString &error, const QString &description)
{
    // An answer to no request (bad framing, a timeout, a refusal): it goes after the answers owed,
    // then the connection closes. Nothing after the bad bytes is read.
    Pending pending;
    pending.sequence = c.nextSequence++;
    pending.ready = true;
    pending.close = true;
    const Response response = Response::error(status, error, description);
    pending.bytes = serializeResponse(response, SerializeOptions{true, true, false});
    if (m_shared->accessLog) {
        AccessLogEntry log; // no method: no request could be read
        log.timeMs = m_wallAtStartMs + tick();
        log.remoteAddress = c.peerText;
        log.status = status;
        log.bodyBytes = response.body.size();
        m_logBatch.push_back(std::move(log));
    }
    c.readingStopped = true;
    c.input.clear();
    c.pending.push_back(std::move(pending));
    flush(c);
}

void Server::Worker::flush(Connection &c)
{
    // Every answer that is next in line goes out in one send (pipelined answers coalesce).
    QByteArray out;
    bool close = false;
    while (!c.pending.empty() && c.pending.front().ready) {
        Pending &front = c.pending.front();
        if (out.isEmpty())
            out = std::move(front.bytes);
        else
            out += front.bytes;
        close = front.close;
        c.pending.pop_front();
        if (close) {
            c.pending.clear();
            break;
        }
    }
    if (c.pending.empty() && !close && !c.continueSent && c.parser.awaitingBody() && c.parser.request().expectsContinue) {
        out += "HTTP/1.1 100 Continue\r\n\r\n";
        c.continueSent = true;
    }
    send(c, out);
    if (c.gone)
        return;
    if (close)
        return finish(c);
    if (c.pending.empty()) {
        c.lastActivityMs = m_nowMs;
        if (c.readEof && c.unsent() == 0)
            return closeNow(c);
    }
    pump(c);
}

void Server::Worker::finish(Connection &c)
{
    // Lingering close: our side is shut once the answer is out, and what the client still sends is
    // read and dropped for a while, so the kernel does not reset the connection before it reads the answer.
    c.readingStopped = true;
    if (c.gone || c.lingerSinceMs >= 0)
        return;
    c.lingerSinceMs = tick();
    c.input.clear();
    if (c.unsent() == 0)
        ::shutdown(c.fd, SHUT_WR);
    if (c.readEof && c.unsent() == 0)
        return closeNow(c);
    setInterest(c, !c.readEof, c.unsent() > 0);
}

void Server::Worker::sweep()
{
    const qint64 now = tick();
    const ConnectionLimits &limits = m_shared->limits;
    int idleNow = 0;
    qint64 oldestIdleMs = std::numeric_limits<qint64>::max();
    QList<quint64> close;
    QList<quint64> timedOut;
    for (auto &[id, connection] : m_connections) {
        Connection &c = *connection;
        if (c.gone)
            continue;
        if (c.lingerSinceMs >= 0) {
            const qint64 linger = c.refused ? kRefusalLingerMs : kLingerMs;
            if (now - c.lingerSinceMs > linger + (c.unsent() > 0 ? (c.refused ? kLingerMs : limits.idleTimeoutMs) : 0))
                close.append(id);
            continue;
        }
        if (c.unsent() > 0) {
            if (now - c.lastWriteProgressMs > limits.idleTimeoutMs)
                close.append(id); // the client stopped reading its answers
            continue;
        }
        if (!c.pending.empty())
            continue; // a handler is working; its answer will come
        if (c.requestStartedMs >= 0) {
            if (now - c.requestStartedMs > limits.requestTimeoutMs) {
                (c.fresh ? close : timedOut).append(id);
            } else if (c.fresh) {
                ++idleNow;
                oldestIdleMs = std::min(oldestIdleMs, c.lastActivityMs);
            }
            continue;
        }
        if (now - c.lastActivityMs > limits.idleTimeoutMs) {
            close.append(id);
        } else {
            ++idleNow;
            oldestIdleMs = std::min(oldestIdleMs, c.lastActivityMs);
        }
    }
    for (const quint64 id : std::as_const(timedOut)) {
        if (Connection *c = find(id))
            queueFinal(*c, 408, QStringLiteral("invalid_request"), QStringLiteral("the request took longer than %1 ms to arrive").arg(limits.requestTimeoutMs));
    }
    // An idle keep-alive connection, one that never sent a byte or one that stopped reading: closed
    // without an answer (there is no request to answer).
    for (const quint64 id : std::as_const(close)) {
        if (Connection *c = find(id))
            closeNow(*c);
    }
    idle = idleNow;
    oldestIdleAt = idleNow > 0 ? m_clockReference + oldestIdleMs : std::numeric_limits<qint64>::max();
}

// Accepts on a thread of its own and hands sockets to the least busy worker: whatever keeps the
// thread that created the Server busy (a handler posted there, a sweep of the database), new
// connections are still taken at once.
class Server::Acceptor : public QTcpServer
{
public:
    Acceptor(std::shared_ptr<Shared> shared, QList<Worker *> workers) : m_shared(std::move(shared)), m_workers(std::move(workers)) {}

protected:
    void incomingConnection(qintptr descriptor) override
    {
        const QHostAddress peer = peerOf(descriptor);
        const QByteArray key = addressKey(peer);
        ++m_shared->open; // counted from accept to close, refused or not
        m_shared->countAddress(key);
        Worker::Admission admission = Worker::Admission::Serve;
        QString refusal;
        Worker *target = nullptr;
        if (m_shared->addressCount(key) > m_shared->limits.maxConnectionsPerAddress) {
            admission = Worker::Admission::Refuse;
            refusal = QStringLiteral("too many connections from %1; close some and try again").arg(peer.toString());
        } else if (m_shared->open.load() > m_shared->limits.maxConnections) {
            refusal = QStringLiteral("too many open connections; try again shortly");
            for (Worker *worker : std::as_const(m_workers)) {
                if (worker->idle.load() > 0 && (!target || worker->oldestIdleAt.load() < target->oldestIdleAt.load()))
                    target = worker;
            }
            if (target) {
                admission = Worker::Admission::EvictIdleFirst;
                target->idle.fetch_sub(1); // one fewer to pick until the worker's next sweep recounts
            } else {
                admission = Worker::Admission::Refuse;
            }
        }
        if (!target) {
            // The least busy worker; ties go round-robin, so short connections spread too.
            const qsizetype count = m_workers.size();
            for (qsizetype i = 0; i < count; ++i) {
                Worker *worker = m_workers.at((m_nextWorker + i) % count);
                if (!target || worker->connections.load() < target->connections.load())
                    target = worker;
            }
            m_nextWorker = (m_nextWorker + 1) % count;
        }
        const int fd = int(descriptor);
        QMetaObject::invokeMethod(
            target, [target, fd, peer, key, admission, refusal] { target->adopt(fd, peer, key, admission, refusal); }, Qt::QueuedConnection);
    }

private:
    std::shared_ptr<Shared> m_shared;
    QList<Worker *> m_workers;
    qsizetype m_nextWorker = 0;
};

Server::Server(Handler handler, QObject *parent) : QObject(parent), m_shared(std::make_shared<Shared>())
{
    m_shared->handler = std::move(handler);
    m_shared->limits.maxConnections = defaultMaxConnections();
    m_workersWanted = 1;
}

Server::~Server()
{
    if (m_acceptorThread) {
        QMetaObject::invokeMethod(
            m_acceptor, [acceptor = m_acceptor] { delete acceptor; }, Qt::BlockingQueuedConnection);
        m_acceptorThread->quit();
        m_acceptorThread->wait();
        delete m_acceptorThread;
    }
    for (Worker *worker : std::as_const(m_workers)) {
        worker->detach();
        QThread *thread = worker->thread();
        // Deleted on its own thread: its sockets and timers belong there.
        QMetaObject::invokeMethod(
            worker, [worker] { delete worker; }, Qt::BlockingQueuedConnection);
        thread->quit();
        thread->wait();
        delete thread;
    }
}

void Server::setMaxBodySize(qsizetype bytes)
{
    m_shared->maxBodyBytes = bytes;
}

void Server::setLimits(const ConnectionLimits &limits)
{
    m_shared->limits = limits;
    if (m_shared->limits.maxConnections <= 0)
        m_shared->limits.maxConnections = defaultMaxConnections();
}

const ConnectionLimits &Server::limits() const
{
    return m_shared->limits;
}

void Server::setWorkers(int workers)
{
    m_workersWanted = std::max(1, workers);
}

int Server::workers() const
{
    return m_workers.isEmpty() ? m_workersWanted : int(m_workers.size());
}

void Server::setAccessLog(AccessLog *log)
{
    m_shared->accessLog = log;
}

void Server::stopAcceptingAndCloseAfterAnswers()
{
    if (m_acceptor)
        QMetaObject::invokeMethod(
            m_acceptor, [acceptor = m_acceptor] { acceptor->close(); }, Qt::BlockingQueuedConnection);
    m_shared->closing = true;
    for (Worker *worker : std::as_const(m_workers))
        QMetaObject::invokeMethod(
            worker, [worker] { worker->closeIdleConnections(); }, Qt::QueuedConnection);
}

int Server::openConnections() const
{
    return m_shared->open.load();
}

quint16 Server::listenOn(const QHostAddress &address, quint16 port, QString *error)
{
    if (m_acceptor) {
        if (error)
            *error = QStringLiteral("the server is listening already");
        return 0;
    }
    raiseOpenFileLimit();
    for (int i = 0; i < m_workersWanted; ++i) {
        auto *thread = new QThread;
        thread->setObjectName(QStringLiteral("http-worker-%1").arg(i));
        auto *worker = new Worker(m_shared);
        worker->moveToThread(thread);
        thread->start();
        QMetaObject::invokeMethod(
            worker, [worker] { worker->start(); }, Qt::QueuedConnection);
        m_workers.append(worker);
    }
    m_acceptorThread = new QThread;
    m_acceptorThread->setObjectName(QStringLiteral("http-acceptor"));
    m_acceptor = new Acceptor(m_shared, m_workers);
    m_acceptor->moveToThread(m_acceptorThread);
    m_acceptorThread->start();
    // Listening on the acceptor's own thread, so its socket notifier belongs there.
    quint16 listening = 0;
    QString failure;
    QMetaObject::invokeMethod(
        m_acceptor,
        [acceptor = m_acceptor, address, port, &listening, &failure] {
            acceptor->setListenBacklogSize(1024);
            if (acceptor->listen(address, port))
                listening = acceptor->serverPort();
            else
                failure = acceptor->errorString();
        },
        Qt::BlockingQueuedConnection);
    if (listening == 0) {
        if (error)
            *error = QStringLiteral("cannot listen on %1:%2: %3").arg(address.toString()).arg(port).arg(failure);
        QMetaObject::invokeMethod(
            m_acceptor, [acceptor = m_acceptor] { delete acceptor; }, Qt::BlockingQueuedConnection);
        m_acceptor = nullptr;
        m_acceptorThread->quit();
        m_acceptorThread->wait();
        delete m_acceptorThread;
        m_acceptorThread = nullptr;
        return 0;
    }
    return listening;
}

QByteArray serializeResponse(const Response &response, const SerializeOptions &options)
{
    const QByteArray reason = reasonPhrase(response.status);
    qsizetype size = 96 + reason.size() + (options.includeBody ? response.body.size() : 0);
    for (const auto &[name, value] : response.headers)
        size += name.size() + value.size() + 4;
    QByteArray out;
    out.reserve(size);
    out += "HTTP/1.1 ";
    out += QByteArray::number(response.status);
    out += ' ';
    out += reason;
    out += "\r\n";
    for (const auto &[name, value] : response.headers) {
        out += name;
        out += ": ";
        // A header value can never end the header block: CR and LF are dropped (no response splitting).
        if (value.contains('\r') || value.contains('\n')) {
            QByteArray safe = value;
            out += safe.replace('\r', "").replace('\n', "");
        } else {
            out += value;
        }
        out += "\r\n";
    }
    // Every answer, error or not: browsers must never sniff a JSON or text body into HTML.
    out += "x-content-type-options: nosniff\r\ncontent-length: ";
    out += QByteArray::number(response.body.size());
    out += "\r\n";
    if (options.closeConnection)
        out += "connection: close\r\n";
    else if (options.keepAliveHttp10)
        out += "connection: keep-alive\r\n";
    out += "\r\n";
    if (options.includeBody)
        out += response.body;
    return out;
}

Request requestFrom(ParsedRequest parsed, const QHostAddress &peer)
{
    Request request;
    request.method = std::move(parsed.method);
    const qsizetype query = parsed.target.indexOf('?');
    const QByteArray rawPath = query < 0 ? parsed.target : parsed.target.left(query);
    request.rawPath = QString::fromLatin1(rawPath); // the parser let only printable ASCII through
    request.path = rawPath.contains('%') ? QString::fromUtf8(QByteArray::fromPercentEncoding(rawPath)) : request.rawPath;
    if (query >= 0)
        request.query = FormData::parse(QByteArrayView(parsed.target).sliced(query + 1).toByteArray());
    request.headers = std::move(parsed.headers);
    request.body = std::move(parsed.body);
    request.peer = peer;
    return request;
}

} // namespace organizer::http
