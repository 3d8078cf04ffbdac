#include "httpserver.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QMutex>
#include <QPointer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <deque>
#include <unordered_map>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace organizer::http {

Q_LOGGING_CATEGORY(lcAccess, "organizer.server.access")

namespace {

constexpr qint64 kReadChunk = 64 * 1024;
constexpr qint64 kLingerMs = 2000; // after a final answer, how long unread request bytes are drained

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

    bool reserveAddress(const QByteArray &key)
    {
        QMutexLocker lock(&m_mutex);
        int &count = m_perAddress[key];
        if (count >= limits.maxConnectionsPerAddress)
            return false;
        ++count;
        return true;
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
// another thread posts its answer here through the link, which outlives the worker.
class Server::Worker : public QObject
{
public:
    struct Link
    {
        QMutex mutex;
        Worker *worker = nullptr;
    };

    explicit Worker(std::shared_ptr<Shared> shared) : m_shared(std::move(shared)), m_link(std::make_shared<Link>())
    {
        m_link->worker = this;
        m_sweeper = new QTimer(this);
        m_sweeper->setInterval(250);
        connect(m_sweeper, &QTimer::timeout, this, [this] { sweep(); });
    }
    ~Worker() override
    {
        QMutexLocker lock(&m_link->mutex);
        m_link->worker = nullptr;
    }

    void detach()
    {
        QMutexLocker lock(&m_link->mutex);
        m_link->worker = nullptr;
    }

    void start()
    {
        m_clock.start();
        m_sweeper->start();
    }

    void adopt(qintptr descriptor, const QHostAddress &peer, const QByteArray &key, bool evictIdle);

    std::atomic<int> connections{0};
    std::atomic<int> idle{0};

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
        QTcpSocket *socket = nullptr;
        QHostAddress peer;
        QByteArray key;
        RequestParser parser;
        QByteArray input;
        std::deque<Pending> pending;
        quint64 nextSequence = 0;
        qint64 lastActivityMs = 0;
        qint64 requestStartedMs = -1; // the request timeout counts from here; -1 between requests
        qint64 lastWriteProgressMs = 0;
        qint64 lingerSinceMs = -1;
        bool fresh = true; // no byte received yet
        bool readingStopped = false;
        bool continueSent = false;
        bool pumping = false;
        bool gone = false;
    };

    void pump(Connection &c);
    void dispatch(Connection &c, ParsedRequest parsed);
    void deliver(quint64 connectionId, quint64 sequence, Response response);
    void queueFinal(Connection &c, int status, const QString &description);
    void flush(Connection &c);
    void finish(Connection &c);
    void onBytesWritten(Connection &c);
    void sweep();
    void remove(quint64 id);
    bool isIdle(const Connection &c) const
    {
        return !c.gone && c.lingerSinceMs < 0 && !c.readingStopped && c.pending.empty() && c.parser.idle() && c.input.isEmpty()
               && c.socket->bytesToWrite() == 0;
    }
    Responder responderFor(quint64 connectionId, quint64 sequence) const;

    std::shared_ptr<Shared> m_shared;
    std::shared_ptr<Link> m_link;
    std::unordered_map<quint64, std::unique_ptr<Connection>> m_connections;
    QTimer *m_sweeper = nullptr;
    QElapsedTimer m_clock;
    quint64 m_nextId = 1;
};

void Server::Worker::adopt(qintptr descriptor, const QHostAddress &peer, const QByteArray &key, bool evictIdle)
{
    const qint64 now = m_clock.elapsed();
    if (evictIdle) {
        // At the cap: the connection that has waited longest for a request makes room.
        Connection *oldest = nullptr;
        for (auto &[id, connection] : m_connections) {
            if (isIdle(*connection) && (!oldest || connection->lastActivityMs < oldest->lastActivityMs))
                oldest = connection.get();
        }
        if (oldest) {
            qCDebug(lcAccess).noquote() << "closing an idle connection from" << oldest->peer.toString() << "to make room";
            oldest->readingStopped = true;
            finish(*oldest);
        } else {
            auto *socket = new QTcpSocket(this);
            socket->setSocketDescriptor(descriptor);
            socket->write(serializeResponse(Response::error(503, QStringLiteral("temporarily_unavailable"),
                                                            QStringLiteral("too many open connections; try again shortly")),
                                            SerializeOptions{true, true, false}));
            socket->disconnectFromHost();
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            QTimer::singleShot(kLingerMs, socket, [socket] { socket->abort(); });
            connect(socket, &QObject::destroyed, this, [shared = m_shared, key] {
                shared->releaseAddress(key);
                --shared->open;
            });
            return;
        }
    }

    auto connection = std::make_unique<Connection>();
    Connection &c = *connection;
    c.id = m_nextId++;
    c.socket = new QTcpSocket(this);
    if (!c.socket->setSocketDescriptor(descriptor)) {
        delete c.socket;
        ::close(int(descriptor));
        m_shared->releaseAddress(key);
        --m_shared->open;
        return;
    }
    // Qt stops reading from the kernel when this much is buffered: a client that sends faster than we
    // parse is held back by TCP, not by our memory.
    c.socket->setReadBufferSize(kReadChunk);
    c.peer = peer;
    c.key = key;
    c.parser.setLimits({m_shared->limits.maxHeaderBytes, m_shared->maxBodyBytes, 100, 1024});
    c.lastActivityMs = now;
    c.lastWriteProgressMs = now;
    c.requestStartedMs = now; // a new connection owes its first request within the request timeout
    const quint64 id = c.id;
    connect(c.socket, &QTcpSocket::readyRead, this, [this, id] {
        if (auto it = m_connections.find(id); it != m_connections.end())
            pump(*it->second);
    });
    connect(c.socket, &QTcpSocket::bytesWritten, this, [this, id] {
        if (auto it = m_connections.find(id); it != m_connections.end())
            onBytesWritten(*it->second);
    });
    connect(c.socket, &QTcpSocket::disconnected, this, [this, id] {
        if (auto it = m_connections.find(id); it != m_connections.end()) {
            it->second->gone = true;
            QMetaObject::invokeMethod(this, [this, id] { remove(id); }, Qt::QueuedConnection);
        }
    });
    m_connections.emplace(id, std::move(connection));
    ++connections;
    if (c.socket->bytesAvailable() > 0)
        pump(c);
}

void Server::Worker::remove(quint64 id)
{
    auto it = m_connections.find(id);
    if (it == m_connections.end())
        return;
    std::unique_ptr<Connection> connection = std::move(it->second);
    m_connections.erase(it);
    connection->socket->disconnect(this);
    connection->socket->abort();
    connection->socket->deleteLater();
    m_shared->releaseAddress(connection->key);
    --m_shared->open;
    --connections;
}

void Server::Worker::pump(Connection &c)
{
    if (c.pumping)
        return;
    c.pumping = true;
    const ConnectionLimits &limits = m_shared->limits;
    while (!c.gone && !c.readingStopped) {
        // Back-pressure: a client that does not read its answers is not read from either.
        if (qsizetype(c.pending.size()) >= limits.maxPipelinedRequests || c.socket->bytesToWrite() > limits.maxUnsentBytes)
            break;
        qsizetype consumed = 0;
        const RequestParser::Status status = c.parser.parse(c.input, &consumed);
        if (consumed > 0)
            c.input.remove(0, consumed);
        if (status == RequestParser::Status::Complete) {
            ParsedRequest parsed = c.parser.takeRequest();
            c.parser.reset();
            c.continueSent = false;
            // Bytes already here belong to the next request, whose clock starts now.
            c.requestStartedMs = c.input.isEmpty() ? -1 : m_clock.elapsed();
            dispatch(c, std::move(parsed));
            continue;
        }
        if (status == RequestParser::Status::Failed) {
            const ParseFailure failure = c.parser.failure();
            qCInfo(lcAccess).noquote() << "refused a request from" << c.peer.toString() << failure.status << failure.description;
            queueFinal(c, failure.status, failure.description);
            break;
        }
        if (!c.continueSent && c.pending.empty() && c.parser.awaitingBody() && c.parser.request().expectsContinue) {
            c.socket->write("HTTP/1.1 100 Continue\r\n\r\n");
            c.continueSent = true;
        }
        const qint64 available = c.socket->bytesAvailable();
        if (available <= 0)
            break;
        const qint64 now = m_clock.elapsed();
        if (c.requestStartedMs < 0)
            c.requestStartedMs = now; // a keep-alive connection's next request starts with this byte
        c.fresh = false;
        c.lastActivityMs = now;
        c.input += c.socket->read(std::min(available, kReadChunk));
    }
    c.pumping = false;
    if (c.lingerSinceMs >= 0 && !c.gone)
        c.socket->readAll(); // draining after the final answer
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
            worker, [worker, connectionId, sequence, response = std::move(response)]() mutable { worker->deliver(connectionId, sequence, std::move(response)); },
            Qt::QueuedConnection);
    };
}

void Server::Worker::dispatch(Connection &c, ParsedRequest parsed)
{
    Pending pending;
    pending.sequence = c.nextSequence++;
    pending.head = parsed.method == "HEAD";
    pending.close = !parsed.keepAlive;
    pending.keepAliveHttp10 = parsed.keepAlive && parsed.minorVersion == 0;
    pending.startedNs = m_clock.nsecsElapsed();
    if (m_shared->accessLog) {
        AccessLogEntry &log = pending.log;
        log.peer = c.peer;
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
    auto it = m_connections.find(connectionId);
    if (it == m_connections.end())
        return; // the client went away while we were working
    Connection &c = *it->second;
    auto pending = std::find_if(c.pending.begin(), c.pending.end(), [&](const Pending &p) { return p.sequence == sequence; });
    if (pending == c.pending.end() || pending->ready)
        return; // answered already
    pending->bytes = serializeResponse(response, SerializeOptions{!pending->head, pending->close, pending->keepAliveHttp10});
    pending->ready = true;
    if (m_shared->accessLog) {
        pending->log.timeMs = QDateTime::currentMSecsSinceEpoch();
        pending->log.status = response.status;
        pending->log.bodyBytes = pending->head ? 0 : response.body.size();
        pending->log.durationUs = (m_clock.nsecsElapsed() - pending->startedNs) / 1000;
        m_shared->accessLog->record(std::move(pending->log));
    }
    flush(c);
}

void Server::Worker::queueFinal(Connection &c, int status, const QString &description)
{
    // An answer to no request (bad framing, a timeout): it goes after the answers owed, then the
    // connection closes. Nothing after the bad bytes is read.
    Pending pending;
    pending.sequence = c.nextSequence++;
    pending.ready = true;
    pending.close = true;
    const Response response = Response::error(status, QStringLiteral("invalid_request"), description);
    pending.bytes = serializeResponse(response, SerializeOptions{true, true, false});
    if (m_shared->accessLog) {
        AccessLogEntry log; // no method: no request could be read
        log.timeMs = QDateTime::currentMSecsSinceEpoch();
        log.peer = c.peer;
        log.status = status;
        log.bodyBytes = response.body.size();
        m_shared->accessLog->record(std::move(log));
    }
    c.readingStopped = true;
    c.input.clear();
    c.pending.push_back(std::move(pending));
    flush(c);
}

void Server::Worker::flush(Connection &c)
{
    while (!c.pending.empty() && c.pending.front().ready) {
        Pending &front = c.pending.front();
        if (!c.gone)
            c.socket->write(front.bytes);
        const bool close = front.close;
        c.pending.pop_front();
        if (close) {
            c.pending.clear();
            finish(c);
            return;
        }
    }
    if (c.pending.empty()) {
        c.lastActivityMs = m_clock.elapsed();
        if (!c.continueSent && c.parser.awaitingBody() && c.parser.request().expectsContinue && !c.gone) {
            c.socket->write("HTTP/1.1 100 Continue\r\n\r\n");
            c.continueSent = true;
        }
    }
    if (!c.readingStopped && !c.gone)
        pump(c);
}

void Server::Worker::finish(Connection &c)
{
    // Lingering close: our side is shut once the answer is out, and what the client still sends is
    // read and dropped for a while, so the kernel does not reset the connection before it reads the answer.
    c.readingStopped = true;
    if (c.gone || c.lingerSinceMs >= 0)
        return;
    c.lingerSinceMs = m_clock.elapsed();
    if (c.socket->bytesToWrite() == 0)
        ::shutdown(int(c.socket->socketDescriptor()), SHUT_WR);
    c.socket->readAll();
}

void Server::Worker::onBytesWritten(Connection &c)
{
    c.lastWriteProgressMs = m_clock.elapsed();
    if (c.lingerSinceMs >= 0) {
        if (c.socket->bytesToWrite() == 0 && !c.gone)
            ::shutdown(int(c.socket->socketDescriptor()), SHUT_WR);
        return;
    }
    if (c.socket->bytesToWrite() <= m_shared->limits.maxUnsentBytes && !c.readingStopped)
        pump(c); // reading resumes once the client has caught up
}

void Server::Worker::sweep()
{
    const qint64 now = m_clock.elapsed();
    const ConnectionLimits &limits = m_shared->limits;
    int idleNow = 0;
    QList<quint64> abort;
    QList<quint64> timedOut;
    for (auto &[id, connection] : m_connections) {
        Connection &c = *connection;
        if (c.gone)
            continue;
        if (c.lingerSinceMs >= 0) {
            if (now - c.lingerSinceMs > kLingerMs + (c.socket->bytesToWrite() > 0 ? limits.idleTimeoutMs : 0))
                abort.append(id);
            continue;
        }
        if (c.socket->bytesToWrite() > 0) {
            if (now - c.lastWriteProgressMs > limits.idleTimeoutMs)
                abort.append(id); // the client stopped reading its answers
            continue;
        }
        if (!c.pending.empty())
            continue; // a handler is working; its answer will come
        if (c.requestStartedMs >= 0) {
            if (now - c.requestStartedMs > limits.requestTimeoutMs)
                (c.fresh ? abort : timedOut).append(id);
            else if (c.fresh)
                ++idleNow;
            continue;
        }
        if (now - c.lastActivityMs > limits.idleTimeoutMs)
            abort.append(id);
        else
            ++idleNow;
    }
    for (const quint64 id : std::as_const(timedOut)) {
        auto it = m_connections.find(id);
        if (it != m_connections.end())
            queueFinal(*it->second, 408, QStringLiteral("the request took longer than %1 ms to arrive").arg(limits.requestTimeoutMs));
    }
    for (const quint64 id : std::as_const(abort)) {
        auto it = m_connections.find(id);
        if (it == m_connections.end())
            continue;
        // An idle keep-alive connection, one that never sent a byte or one that stopped reading: closed
        // without an answer (there is no request to answer).
        it->second->gone = true;
        it->second->socket->abort();
        QMetaObject::invokeMethod(this, [this, id] { remove(id); }, Qt::QueuedConnection);
    }
    idle = idleNow;
}

// Accepts on the thread that created the Server and hands sockets to the least busy worker.
class Server::Acceptor : public QTcpServer
{
public:
    Acceptor(std::shared_ptr<Shared> shared, QList<Worker *> workers, QObject *parent)
        : QTcpServer(parent), m_shared(std::move(shared)), m_workers(std::move(workers))
    {
    }

protected:
    void incomingConnection(qintptr descriptor) override
    {
        const QHostAddress peer = peerOf(descriptor);
        const QByteArray key = addressKey(peer);
        ++m_shared->open; // counted from accept to close, refused or not
        if (!m_shared->reserveAddress(key)) {
            refuse(descriptor, QStringLiteral("too many connections from %1; close some and try again").arg(peer.toString()), {});
            return;
        }
        const bool atCap = m_shared->open.load() > m_shared->limits.maxConnections;
        Worker *target = nullptr;
        if (atCap) {
            for (Worker *worker : std::as_const(m_workers)) {
                if (worker->idle.load() > 0 && (!target || worker->idle.load() > target->idle.load()))
                    target = worker;
            }
            if (!target) {
                refuse(descriptor, QStringLiteral("too many open connections; try again shortly"), key);
                return;
            }
            target->idle.fetch_sub(1); // one fewer to pick until the worker's next sweep recounts
        } else {
            // The least busy worker; ties go round-robin, so short connections spread too.
            const qsizetype count = m_workers.size();
            for (qsizetype i = 0; i < count; ++i) {
                Worker *worker = m_workers.at((m_nextWorker + i) % count);
                if (!target || worker->connections.load() < target->connections.load())
                    target = worker;
            }
            m_nextWorker = (m_nextWorker + 1) % count;
        }
        QMetaObject::invokeMethod(
            target, [target, descriptor, peer, key, atCap] { target->adopt(descriptor, peer, key, atCap); }, Qt::QueuedConnection);
    }

private:
    void refuse(qintptr descriptor, const QString &description, const QByteArray &reservedKey)
    {
        qCInfo(lcAccess).noquote() << "refused a connection:" << description;
        auto *socket = new QTcpSocket(this);
        if (!socket->setSocketDescriptor(descriptor)) {
            ::close(int(descriptor));
            delete socket;
            if (!reservedKey.isNull())
                m_shared->releaseAddress(reservedKey);
            --m_shared->open;
            return;
        }
        socket->write(serializeResponse(Response::error(503, QStringLiteral("temporarily_unavailable"), description),
                                        SerializeOptions{true, true, false}));
        socket->disconnectFromHost();
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        QTimer::singleShot(kLingerMs, socket, [socket] { socket->abort(); });
        connect(socket, &QObject::destroyed, this, [shared = m_shared, reservedKey] {
            if (!reservedKey.isNull())
                shared->releaseAddress(reservedKey);
            --shared->open;
        });
    }

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
    delete m_acceptor;
    for (Worker *worker : std::as_const(m_workers)) {
        worker->detach();
        QThread *thread = worker->thread();
        // Deleted on its own thread: its sockets and timers belong there.
        QMetaObject::invokeMethod(worker, [worker] { delete worker; }, Qt::BlockingQueuedConnection);
        thread->quit();
        thread->wait();
        delete thread;
    }
}

void Server::setMaxBodySize(qsizetype bytes)
{
    m_shared->maxBodyBytes = bytes;
}

qsizetype Server::maxBodySize() const
{
    return m_shared->maxBodyBytes;
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
        QMetaObject::invokeMethod(worker, [worker] { worker->start(); }, Qt::QueuedConnection);
        m_workers.append(worker);
    }
    m_acceptor = new Acceptor(m_shared, m_workers, this);
    m_acceptor->setListenBacklogSize(1024);
    if (!m_acceptor->listen(address, port)) {
        if (error)
            *error = QStringLiteral("cannot listen on %1:%2: %3").arg(address.toString()).arg(port).arg(m_acceptor->errorString());
        delete m_acceptor;
        m_acceptor = nullptr;
        return 0;
    }
    return m_acceptor->serverPort();
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
    request.rawPath = QString::fromLatin1(rawPath);
    request.path = QString::fromUtf8(QByteArray::fromPercentEncoding(rawPath));
    if (query >= 0)
        request.query = FormData::parse(QByteArrayView(parsed.target).sliced(query + 1).toByteArray());
    request.headers = std::move(parsed.headers);
    request.body = std::move(parsed.body);
    request.peer = peer;
    return request;
}

} // namespace organizer::http
