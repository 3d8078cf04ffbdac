#include "httpserver.h"

#include "httpworker.h"

#include <QTcpServer>
#include <QThread>

#include <openssl/crypto.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

namespace organizer::http {

Q_LOGGING_CATEGORY(lcAccess, "organizer.server.access")

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

Server::Server(Handler handler, QObject *parent) : QObject(parent), m_state(std::make_shared<ServerState>())
{
    m_state->handler = std::move(handler);
    m_state->limits.maxConnections = defaultMaxConnections();
    m_workersWanted = 1;
}

Server::~Server()
{
    // No worker accepts any more (nor hands a socket to another) before the first of them goes.
    stopWorkersAccepting();
    qDeleteAll(m_listeners);
    m_listeners.clear();
    for (Worker *worker : std::as_const(m_workers)) {
        worker->detach();
        QThread *thread = worker->thread();
        // Deleted on its own thread: its sockets and timers belong there. OpenSSL frees the thread's own
        // state (its random generators, from TLS handshakes) only as the thread ends, which may be after
        // wait() returns; freed here, nothing of it outlives the server.
        QMetaObject::invokeMethod(
            worker,
            [worker] {
                delete worker;
                OPENSSL_thread_stop();
            },
            Qt::BlockingQueuedConnection);
        thread->quit();
        thread->wait();
        delete thread;
    }
}

void Server::setMaxBodySize(qsizetype bytes)
{
    m_state->maxBodyBytes = bytes;
}

void Server::setLimits(const ConnectionLimits &limits)
{
    m_state->limits = limits;
    if (m_state->limits.maxConnections <= 0)
        m_state->limits.maxConnections = defaultMaxConnections();
}

const ConnectionLimits &Server::limits() const
{
    return m_state->limits;
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
    m_state->accessLog = log;
}

void Server::setRefusalWriter(RefusalWriter writer)
{
    m_state->refusalWriter = std::move(writer);
}

void Server::setTlsContext(std::shared_ptr<const TlsContext> context)
{
    m_state->setTls(std::move(context));
}

bool Server::servesTls() const
{
    return m_state->tls() != nullptr;
}

void Server::stopWorkersAccepting()
{
    for (Worker *worker : std::as_const(m_workers)) {
        if (worker->thread() == QThread::currentThread())
            worker->stopAccepting(); // called by a handler running on this very worker
        else
            QMetaObject::invokeMethod(
                worker, [worker] { worker->stopAccepting(); }, Qt::BlockingQueuedConnection);
    }
}

void Server::stopAcceptingAndCloseAfterAnswers()
{
    // Closed once no worker watches it: a descriptor closed under an accept() could be reused at once.
    stopWorkersAccepting();
    for (QTcpServer *listener : std::as_const(m_listeners))
        listener->close();
    m_state->closing = true;
    for (Worker *worker : std::as_const(m_workers))
        QMetaObject::invokeMethod(
            worker, [worker] { worker->closeIdleConnections(); }, Qt::QueuedConnection);
}

int Server::openConnections() const
{
    return m_state->open.load();
}

QList<int> Server::connectionsPerWorker() const
{
    QList<int> counts;
    for (const Worker *worker : m_workers)
        counts.append(worker->connections.load());
    return counts;
}

QList<quint64> Server::acceptedPerWorker() const
{
    QList<quint64> counts;
    for (const Worker *worker : m_workers)
        counts.append(worker->accepted.load());
    return counts;
}

quint16 Server::listenOn(const QHostAddress &address, quint16 port, QString *error)
{
    if (!m_listeners.isEmpty()) {
        if (error)
            *error = QStringLiteral("the server is listening already");
        return 0;
    }
    raiseOpenFileLimit();
    if (m_workers.isEmpty()) {
        for (int i = 0; i < m_workersWanted; ++i) {
            auto *thread = new QThread;
            thread->setObjectName(QStringLiteral("http-worker-%1").arg(i));
            auto *worker = new Worker(m_state);
            worker->moveToThread(thread);
            m_workers.append(worker);
            m_state->workers.push_back(worker); // every one of them before any accepts
        }
        for (Worker *worker : std::as_const(m_workers)) {
            worker->thread()->start();
            QMetaObject::invokeMethod(
                worker, [worker] { worker->start(); }, Qt::QueuedConnection);
        }
    }
    if (!listenAndHandToWorkers(address, port, error))
        return 0;
    m_port = m_listeners.constFirst()->serverPort();
    return m_port;
}

bool Server::alsoListenOn(const QHostAddress &address, QString *error)
{
    if (m_listeners.isEmpty()) {
        if (error)
            *error = QStringLiteral("listenOn() first: another address shares its port");
        return false;
    }
    return listenAndHandToWorkers(address, m_port, error);
}

bool Server::listenAndHandToWorkers(const QHostAddress &address, quint16 port, QString *error)
{
    auto listener = std::make_unique<QTcpServer>();
    listener->setListenBacklogSize(1024);
    if (!listener->listen(address, port)) {
        if (error)
            *error = QStringLiteral("cannot listen on %1:%2: %3").arg(address.toString()).arg(port).arg(listener->errorString());
        return false;
    }
    listener->pauseAccepting(); // Qt's notifier stays off: the workers accept, each in its own loop
    const int fd = int(listener->socketDescriptor());
    // Inherited by every accepted socket (Linux copies it), so that each answer goes out whole, at once,
    // without a setsockopt() per connection.
    const int one = 1;
    if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
        if (error)
            *error
                = QStringLiteral("cannot listen on %1:%2: TCP_NODELAY: %3").arg(address.toString()).arg(port).arg(QString::fromLocal8Bit(std::strerror(errno)));
        return false;
    }
    // Every worker watches the socket before this returns, so that a test (or a client) connecting
    // next is accepted by whichever worker is free.
    bool everyWorker = true;
    for (Worker *worker : std::as_const(m_workers)) {
        bool watching = false;
        QMetaObject::invokeMethod(
            worker, [worker, fd, &watching] { watching = worker->watchListener(fd); }, Qt::BlockingQueuedConnection);
        everyWorker = everyWorker && watching;
    }
    if (!everyWorker) {
        stopWorkersAccepting();
        for (QTcpServer *other : std::as_const(m_listeners)) {
            const int otherFd = int(other->socketDescriptor());
            for (Worker *worker : std::as_const(m_workers))
                QMetaObject::invokeMethod(
                    worker, [worker, otherFd] { worker->watchListener(otherFd); }, Qt::BlockingQueuedConnection);
        }
        if (error)
            *error = QStringLiteral("cannot listen on %1:%2: a worker cannot watch the socket (see the log)").arg(address.toString()).arg(port);
        return false;
    }
    m_listeners.append(listener.release());
    return true;
}

} // namespace organizer::http
