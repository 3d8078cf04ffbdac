#include "httpworker.h"

#include <QAbstractEventDispatcher>
#include <QDateTime>
#include <QSocketNotifier>
#include <QThread>
#include <QTimer>

#include <algorithm>

#include <cerrno>
#include <cstring>

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace organizer::http {

namespace {

// epoll's data for a listening socket: its descriptor with the top bit set, which no connection's id
// (counted from 1) ever reaches.
constexpr quint64 kListenerTag = quint64(1) << 63;
// Accepted per wake-up and listening socket at most; the rest wait for the next turn of the loop, so
// that the connections already served are not starved by a flood of new ones.
constexpr int kAcceptBatch = 64;
// After running out of descriptors (or memory), accepting pauses this long; a worker stays ready for
// its own connections meanwhile, and what waits is left in the kernel's backlog.
constexpr int kAcceptRetryMs = 100;
constexpr qint64 kAcceptFailureLogIntervalMs = 10'000;

// The key connections are counted under: the grouping of addressGroup() (an IPv4 address, or an IPv6
// /64), as bytes rather than text, since it is made for every accepted socket.
QByteArray addressKey(const QHostAddress &address)
{
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);
    if (isV4)
        return QByteArray::number(v4);
    const Q_IPV6ADDR v6 = address.toIPv6Address();
    return QByteArray(reinterpret_cast<const char *>(v6.c), 8);
}

// How much busier than the least busy worker the accepting one may get before it hands a connection
// over: a little, so that short connections are served where they were accepted (no hand-off, the
// point of accepting on the workers), and a share of the load, so that long ones still spread evenly.
int balanceSlack(int leastConnections)
{
    return 2 + leastConnections / 8;
}

} // namespace

Worker::Worker(std::shared_ptr<ServerState> state) : m_state(std::move(state)), m_link(std::make_shared<Link>())
{
    m_link->worker = this;
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    m_sweeper = new QTimer(this);
    m_sweeper->setInterval(250);
    connect(m_sweeper, &QTimer::timeout, this, [this] { sweep(); });
    m_acceptRetry = new QTimer(this);
    m_acceptRetry->setSingleShot(true);
    m_acceptRetry->setInterval(kAcceptRetryMs);
    connect(m_acceptRetry, &QTimer::timeout, this, [this] { resumeAccepting(); });
}

Worker::~Worker()
{
    flushLog();
    detach();
    m_connections.clear(); // closes and uncounts the sockets still open
    delete m_epollNotifier;
    ::close(m_epoll);
}

void Worker::detach()
{
    QMutexLocker lock(&m_link->mutex);
    m_link->worker = nullptr;
}

void Worker::start()
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

Connection *Worker::find(quint64 id)
{
    auto it = m_connections.find(id);
    return it == m_connections.end() || it->second->gone() ? nullptr : it->second.get();
}

bool Worker::watchListener(int fd)
{
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = kListenerTag | quint64(fd);
    // Not EPOLLEXCLUSIVE: this epoll set is itself polled by Qt's event loop, not waited on with
    // epoll_wait(), and the kernel then wakes every worker's set anyway. A worker that loses the race
    // finds nothing (EAGAIN) and goes back to sleep.
    if (!m_acceptPaused && ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event) != 0) {
        qCWarning(lcAccess).noquote() << "a worker cannot watch a listening socket:" << std::strerror(errno);
        return false;
    }
    m_listeners.push_back(fd);
    return true;
}

void Worker::stopAccepting()
{
    if (!m_acceptPaused) {
        for (const int fd : m_listeners)
            ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
    }
    m_listeners.clear();
    m_acceptRetry->stop();
    m_acceptPaused = false;
}

void Worker::acceptFrom(int listener)
{
    for (int i = 0; i < kAcceptBatch; ++i) {
        sockaddr_storage address{};
        socklen_t length = sizeof address;
        const int fd = ::accept4(listener, reinterpret_cast<sockaddr *>(&address), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            ++accepted;
            admit(fd, QHostAddress(reinterpret_cast<const sockaddr *>(&address)));
            continue;
        }
        switch (errno) {
        case EAGAIN:
#if EAGAIN != EWOULDBLOCK
        case EWOULDBLOCK:
#endif
            return; // another worker took it, or nothing more waits
        case EINTR:
        case ECONNABORTED: // the client gave up while it waited in the backlog
        case EPROTO:
        case EPERM: // a firewall rule refused it
            continue;
        case EMFILE:
        case ENFILE:
        case ENOBUFS:
        case ENOMEM:
            pauseAccepting(errno);
            return;
        default:
            // Not expected from a listening socket that is open (EBADF, EINVAL…): paused and retried
            // like a shortage, rather than spinning on it or giving up for good.
            pauseAccepting(errno);
            return;
        }
    }
}

void Worker::pauseAccepting(int error)
{
    const qint64 now = m_clock.elapsed();
    if (m_acceptFailureLoggedMs < 0 || now - m_acceptFailureLoggedMs >= kAcceptFailureLogIntervalMs) {
        m_acceptFailureLoggedMs = now;
        qCWarning(lcAccess).noquote() << QStringLiteral("cannot accept connections (%1, %2 open); pausing %3 ms and retrying")
                                             .arg(QString::fromLocal8Bit(std::strerror(error)))
                                             .arg(m_state->open.load())
                                             .arg(kAcceptRetryMs);
    }
    if (m_acceptPaused)
        return;
    // Level-triggered: a socket left in the set would report the same backlog again at once.
    for (const int fd : m_listeners)
        ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, nullptr);
    m_acceptPaused = true;
    m_acceptRetry->start();
}

void Worker::resumeAccepting()
{
    if (!m_acceptPaused)
        return;
    m_acceptPaused = false;
    std::vector<int> listeners;
    listeners.swap(m_listeners);
    for (const int fd : listeners)
        watchListener(fd);
}

void Worker::admit(int fd, const QHostAddress &peer)
{
    ServerState &state = *m_state;
    const QByteArray key = addressKey(peer);
    // Counted from accept to close, refused or not; each worker judges by the counts its own increment
    // returned, so that connections accepted at once by several workers are never all let in.
    const int open = ++state.open;
    const int fromAddress = state.countAddress(key);
    Admission admission = Admission::Serve;
    QString refusal;
    Worker *target = this;
    if (fromAddress > state.limits.maxConnectionsPerAddress) {
        admission = Admission::Refuse;
        refusal = QStringLiteral("too many connections from %1; close some and try again").arg(peer.toString());
    } else if (open > state.limits.maxConnections) {
        refusal = QStringLiteral("too many open connections; try again shortly");
        Worker *oldest = nullptr;
        for (Worker *worker : state.workers) {
            if (worker->idle.load() > 0 && (!oldest || worker->oldestIdleAt.load() < oldest->oldestIdleAt.load()))
                oldest = worker;
        }
        if (oldest) {
            // The worker whose connection has waited longest for a request makes room, and serves the newcomer.
            admission = Admission::EvictIdleFirst;
            oldest->idle.fetch_sub(1); // one fewer to pick until its next sweep recounts
            target = oldest;
        } else {
            admission = Admission::Refuse;
        }
    }
    if (admission == Admission::Serve) {
        Worker *least = this;
        for (Worker *worker : state.workers) {
            if (worker->connections.load() < least->connections.load())
                least = worker;
        }
        const int leastConnections = least->connections.load();
        if (connections.load() > leastConnections + balanceSlack(leastConnections))
            target = least;
    }
    std::shared_ptr<const TlsContext> tls = state.tls(); // the one in force when the connection was accepted
    if (target == this) {
        adopt(fd, peer, key, admission, refusal, tls);
        return;
    }
    ++target->connections; // at once, so that the next choice (by any worker) sees it
    QMetaObject::invokeMethod(
        target, [target, fd, peer, key, admission, refusal, tls = std::move(tls)] { target->adopt(fd, peer, key, admission, refusal, tls, true); },
        Qt::QueuedConnection);
}

void Worker::adopt(int fd, const QHostAddress &peer, const QByteArray &key, Admission admission, const QString &refusal,
                   const std::shared_ptr<const TlsContext> &tls, bool counted)
{
    const qint64 now = m_clock.elapsed();
    QString refused = admission == Admission::Refuse ? refusal : QString();
    if (admission == Admission::EvictIdleFirst) {
        // At the cap: the connection that has waited longest for a request makes room.
        Connection *oldest = nullptr;
        for (auto &[id, connection] : m_connections) {
            if (connection->isIdle()
                && (!oldest || connection->lastActivityMs() < oldest->lastActivityMs()
                    || (connection->lastActivityMs() == oldest->lastActivityMs() && connection->id() < oldest->id())))
                oldest = connection.get();
        }
        if (oldest) {
            qCDebug(lcAccess).noquote() << "closing an idle connection from" << oldest->peer().toString() << "to make room";
            oldest->closeNow();
        } else {
            refused = refusal;
        }
    }

    // A TLS connection's SSL object holds its own reference to the context's SSL_CTX: a context swapped
    // out by Server::setTlsContext() lives on for the connections made from it.
    auto connection = std::make_unique<Connection>(*this, m_nextId++, fd, peer, key, now, tls.get());
    if (!connection->watch()) {
        if (counted)
            --connections;
        return; // the connection closes its socket and is uncounted
    }
    Connection &c = *connection;
    m_connections.emplace(c.id(), std::move(connection));
    if (!counted)
        ++connections;
    if (!refused.isEmpty())
        c.refuse(refused);
}

void Worker::closeIdleConnections()
{
    tick();
    std::vector<Connection *> idleOnes;
    for (auto &[id, connection] : m_connections) {
        // A request already in the kernel's buffer, not yet read, is served (with "Connection:
        // close") rather than cut off: closing with unread bytes would reset the connection.
        if (connection->isIdle() && !connection->hasUnreadBytes())
            idleOnes.push_back(connection.get());
    }
    for (Connection *connection : idleOnes)
        connection->closeNow();
}

void Worker::forget(quint64 connectionId)
{
    --connections;
    // Removed once the current call chain (which may hold a reference) has unwound.
    QMetaObject::invokeMethod(
        this, [this, connectionId] { m_connections.erase(connectionId); }, Qt::QueuedConnection);
}

void Worker::drainEpoll()
{
    std::array<epoll_event, 64> events;
    while (true) {
        const int ready = ::epoll_wait(m_epoll, events.data(), int(events.size()), 0);
        if (ready <= 0)
            return;
        tick();
        for (int i = 0; i < ready; ++i) {
            const quint64 tag = events[i].data.u64;
            if (tag & kListenerTag) {
                if (!m_acceptPaused) // paused by an earlier event of this very batch
                    acceptFrom(int(tag & ~kListenerTag));
            } else if (Connection *c = find(tag)) {
                c->onEvents(events[i].events);
            }
        }
        if (ready < int(events.size()))
            return;
    }
}

Responder Worker::responderFor(quint64 connectionId, quint64 sequence) const
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

void Worker::deliver(quint64 connectionId, quint64 sequence, Response response)
{
    if (!m_inWake)
        tick(); // an answer that comes later (from another thread, a timer): the clock has moved
    Connection *c = find(connectionId);
    if (!c)
        return; // the client went away while we were working
    c->deliver(sequence, std::move(response));
}

void Worker::sweep()
{
    const qint64 now = tick();
    const ConnectionLimits &limits = m_state->limits;
    int idleNow = 0;
    qint64 oldestIdleMs = std::numeric_limits<qint64>::max();
    QList<quint64> close;
    QList<quint64> timedOut;
    for (auto &[id, connection] : m_connections) {
        switch (connection->sweepAction(now, limits)) {
        case Connection::SweepAction::Keep:
            break;
        case Connection::SweepAction::KeepIdle:
            ++idleNow;
            oldestIdleMs = std::min(oldestIdleMs, connection->lastActivityMs());
            break;
        case Connection::SweepAction::Close:
            close.append(id);
            break;
        case Connection::SweepAction::TimeOut:
            timedOut.append(id);
            break;
        }
    }
    for (const quint64 id : std::as_const(timedOut)) {
        if (Connection *c = find(id))
            c->answerAndClose(408, Refusal::BadRequest, QStringLiteral("the request took longer than %1 ms to arrive").arg(limits.requestTimeoutMs));
    }
    // An idle keep-alive connection, one that never sent a byte or one that stopped reading: closed
    // without an answer (there is no request to answer).
    for (const quint64 id : std::as_const(close)) {
        if (Connection *c = find(id))
            c->closeNow();
    }
    idle = idleNow;
    oldestIdleAt = idleNow > 0 ? m_clockReference + oldestIdleMs : std::numeric_limits<qint64>::max();
}

void Worker::flushLog()
{
    if (!m_logBatch.empty() && m_state->accessLog)
        m_state->accessLog->record(std::move(m_logBatch));
    m_logBatch.clear();
}

} // namespace organizer::http
