#include "httpworker.h"

#include <QAbstractEventDispatcher>
#include <QDateTime>
#include <QSocketNotifier>
#include <QThread>
#include <QTimer>

#include <algorithm>

#include <sys/epoll.h>
#include <unistd.h>

namespace organizer::http {

Worker::Worker(std::shared_ptr<ServerState> state) : m_state(std::move(state)), m_link(std::make_shared<Link>())
{
    m_link->worker = this;
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    m_sweeper = new QTimer(this);
    m_sweeper->setInterval(250);
    connect(m_sweeper, &QTimer::timeout, this, [this] { sweep(); });
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

void Worker::adopt(int fd, const QHostAddress &peer, const QByteArray &key, Admission admission, const QString &refusal,
                   const std::shared_ptr<const TlsContext> &tls)
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
    if (!connection->watch())
        return; // the connection closes its socket and is uncounted
    Connection &c = *connection;
    m_connections.emplace(c.id(), std::move(connection));
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
            if (Connection *c = find(events[i].data.u64))
                c->onEvents(events[i].events);
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
