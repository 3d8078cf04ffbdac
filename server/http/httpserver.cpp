#include "httpserver.h"

#include "httpworker.h"

#include <QTcpServer>
#include <QThread>

#include <algorithm>

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

namespace organizer::http {

Q_LOGGING_CATEGORY(lcAccess, "organizer.server.access")

namespace {

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

// Accepts on a thread of its own and hands sockets to the least busy worker: whatever keeps the
// thread that created the Server busy (a handler posted there, a sweep of the database), new
// connections are still taken at once.
class Server::Acceptor : public QTcpServer
{
public:
    Acceptor(std::shared_ptr<ServerState> state, QList<Worker *> workers) : m_state(std::move(state)), m_workers(std::move(workers)) {}

protected:
    void incomingConnection(qintptr descriptor) override
    {
        const QHostAddress peer = peerOf(descriptor);
        const QByteArray key = addressKey(peer);
        ++m_state->open; // counted from accept to close, refused or not
        m_state->countAddress(key);
        Worker::Admission admission = Worker::Admission::Serve;
        QString refusal;
        Worker *target = nullptr;
        if (m_state->addressCount(key) > m_state->limits.maxConnectionsPerAddress) {
            admission = Worker::Admission::Refuse;
            refusal = QStringLiteral("too many connections from %1; close some and try again").arg(peer.toString());
        } else if (m_state->open.load() > m_state->limits.maxConnections) {
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
        std::shared_ptr<const TlsContext> tls = m_state->tls(); // the one in force when the connection was accepted
        QMetaObject::invokeMethod(
            target, [target, fd, peer, key, admission, refusal, tls = std::move(tls)] { target->adopt(fd, peer, key, admission, refusal, tls); },
            Qt::QueuedConnection);
    }

private:
    std::shared_ptr<ServerState> m_state;
    QList<Worker *> m_workers;
    qsizetype m_nextWorker = 0;
};

Server::Server(Handler handler, QObject *parent) : QObject(parent), m_state(std::make_shared<ServerState>())
{
    m_state->handler = std::move(handler);
    m_state->limits.maxConnections = defaultMaxConnections();
    m_workersWanted = 1;
}

Server::~Server()
{
    if (m_acceptorThread) {
        QMetaObject::invokeMethod(
            m_acceptor,
            [acceptors = QList<Acceptor *>{m_acceptor} + m_moreAcceptors] {
                for (Acceptor *acceptor : acceptors)
                    delete acceptor;
            },
            Qt::BlockingQueuedConnection);
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

void Server::stopAcceptingAndCloseAfterAnswers()
{
    if (m_acceptor)
        QMetaObject::invokeMethod(
            m_acceptor,
            [acceptors = QList<Acceptor *>{m_acceptor} + m_moreAcceptors] {
                for (Acceptor *acceptor : acceptors)
                    acceptor->close();
            },
            Qt::BlockingQueuedConnection);
    m_state->closing = true;
    for (Worker *worker : std::as_const(m_workers))
        QMetaObject::invokeMethod(
            worker, [worker] { worker->closeIdleConnections(); }, Qt::QueuedConnection);
}

int Server::openConnections() const
{
    return m_state->open.load();
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
        auto *worker = new Worker(m_state);
        worker->moveToThread(thread);
        thread->start();
        QMetaObject::invokeMethod(
            worker, [worker] { worker->start(); }, Qt::QueuedConnection);
        m_workers.append(worker);
    }
    m_acceptorThread = new QThread;
    m_acceptorThread->setObjectName(QStringLiteral("http-acceptor"));
    m_acceptor = new Acceptor(m_state, m_workers);
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
    m_port = listening;
    return listening;
}

bool Server::alsoListenOn(const QHostAddress &address, QString *error)
{
    if (!m_acceptor) {
        if (error)
            *error = QStringLiteral("listenOn() first: another address shares its port");
        return false;
    }
    auto *acceptor = new Acceptor(m_state, m_workers);
    acceptor->moveToThread(m_acceptorThread);
    const quint16 port = m_port;
    bool listening = false;
    QString failure;
    QMetaObject::invokeMethod(
        acceptor,
        [acceptor, address, port, &listening, &failure] {
            acceptor->setListenBacklogSize(1024);
            listening = acceptor->listen(address, port);
            if (!listening) {
                failure = acceptor->errorString();
                delete acceptor;
            }
        },
        Qt::BlockingQueuedConnection);
    if (!listening) {
        if (error)
            *error = QStringLiteral("cannot listen on %1:%2: %3").arg(address.toString()).arg(port).arg(failure);
        return false;
    }
    m_moreAcceptors.append(acceptor);
    return true;
}

} // namespace organizer::http
