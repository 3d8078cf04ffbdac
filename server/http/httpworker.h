#pragma once

// One event loop serving many connections: its epoll set, accepting from the listening sockets, the
// admission rules (the connection caps, counted across workers), the periodic sweep that enforces the
// timeouts, making room at the connection cap, and the link through which a handler's answer reaches
// the loop from any thread. Apart from one connection's HTTP state (httpconnection.h) and from the
// Server (httpserver.h), which owns the threads, the listening sockets and the settings.

#include "httpconnection.h"
#include "httpserver.h"

#include <QElapsedTimer>
#include <QHash>
#include <QMutex>
#include <QObject>

#include <array>
#include <atomic>
#include <limits>
#include <memory>
#include <unordered_map>
#include <vector>

QT_FORWARD_DECLARE_CLASS(QSocketNotifier)
QT_FORWARD_DECLARE_CLASS(QTimer)

namespace organizer::http {

// What the workers share: settings fixed before listening, the workers themselves (fixed before the first
// listening socket is handed to them), the counters, and the TLS context new connections start from
// (swapped at any time, from any thread).
class ServerState
{
public:
    Handler handler;
    qsizetype maxBodyBytes = 64 * 1024;
    ConnectionLimits limits;
    AccessLog *accessLog = nullptr;
    RefusalWriter refusalWriter = plainRefusal;
    std::atomic<int> open{0};
    std::atomic<bool> closing{false}; // shutting down: every answer from now on ends its connection
    std::vector<Worker *> workers;

    // Read once per accepted connection, which keeps the context it got for its whole life.
    std::shared_ptr<const TlsContext> tls() const
    {
        QMutexLocker lock(&m_tlsMutex);
        return m_tls;
    }
    void setTls(std::shared_ptr<const TlsContext> context)
    {
        QMutexLocker lock(&m_tlsMutex);
        m_tls.swap(context); // the old one is released outside the lock
    }

    // Every accepted socket is counted under its address until it is closed, refused ones included.
    // Returns the count with it: workers accept at the same time, and each must judge by its own.
    int countAddress(const QByteArray &key)
    {
        QMutexLocker lock(&m_mutex);
        return ++m_perAddress[key];
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
    mutable QMutex m_tlsMutex;
    std::shared_ptr<const TlsContext> m_tls;
};

// One event loop's connections. Everything here runs on the worker's thread; a Responder called from
// another thread posts its answer here through the link, which outlives the worker.
// The connections are watched by one epoll set, itself watched by a single QSocketNotifier: Qt's
// poll() then looks at one descriptor however many connections there are, and each wake-up handles
// every ready connection (up to 64 at a time) without an event per socket.
class Worker : public QObject
{
public:
    enum class Admission { Serve, EvictIdleFirst, Refuse };
    static constexpr qint64 kReadChunk = 64 * 1024;

    explicit Worker(std::shared_ptr<ServerState> state);
    ~Worker() override;

    // Answers given from now on are dropped: the server is going away.
    void detach();
    // On the worker's own thread, once it runs.
    void start();
    // On the worker's thread: accept from this listening socket too / from none any more (so that they
    // can be closed). False if epoll would not watch it.
    bool watchListener(int fd);
    void stopAccepting();
    // `tls`: the context the connection speaks TLS with, null for plain HTTP. `counted`: handed over by
    // another worker, which counted it in `connections` already.
    void adopt(int fd, const QHostAddress &peer, const QByteArray &key, Admission admission, const QString &refusal,
               const std::shared_ptr<const TlsContext> &tls, bool counted = false);
    // Shutting down: connections waiting for their next request go now (the others after their answers).
    void closeIdleConnections();

    // Read by the other workers when they accept, to balance the load and to make room at the cap.
    std::atomic<int> connections{0};
    std::atomic<int> idle{0};
    // When this worker's longest-idle connection last did something, on the clock all threads share
    // (QElapsedTimer's reference): at the cap, the worker with the oldest makes room.
    std::atomic<qint64> oldestIdleAt{std::numeric_limits<qint64>::max()};
    std::atomic<quint64> accepted{0}; // sockets this worker accepted itself, kept or handed over

    // What its connections use of the worker, on the worker's thread.
    ServerState &state() { return *m_state; }
    int epoll() const { return m_epoll; }
    // The clock is read once per wake-up; everything that wake-up does is stamped with it.
    qint64 now() const { return m_nowMs; }
    qint64 tick()
    {
        m_nowMs = m_clock.elapsed();
        return m_nowMs;
    }
    qint64 nsecsElapsed() const { return m_clock.nsecsElapsed(); }
    qint64 wallClockMs(qint64 elapsedMs) const { return m_wallAtStartMs + elapsedMs; }
    std::array<char, kReadChunk> &readBuffer() { return m_readBuffer; }
    // While a connection parses what a wake-up read, an answer given at once keeps that wake-up's clock.
    void setParsingWakeUp(bool parsing) { m_inWake = parsing; }
    Responder responderFor(quint64 connectionId, quint64 sequence) const;
    void log(AccessLogEntry entry) { m_logBatch.push_back(std::move(entry)); }
    // A connection that closed: uncounted now, deleted once the call chain that closed it has unwound.
    void forget(quint64 connectionId);

private:
    struct Link
    {
        QMutex mutex;
        Worker *worker = nullptr;
    };

    Connection *find(quint64 id);
    void drainEpoll();
    // Accepts what waits on a listening socket (a batch at most; epoll reports the rest).
    void acceptFrom(int listener);
    // The caps and the balance between workers, for a socket this worker accepted.
    void admit(int fd, const QHostAddress &peer);
    // Out of descriptors or memory: accepting pauses a while rather than spinning on a socket that stays ready.
    void pauseAccepting(int error);
    void resumeAccepting();
    void deliver(quint64 connectionId, quint64 sequence, Response response);
    void sweep();
    void flushLog();

    std::shared_ptr<ServerState> m_state;
    std::shared_ptr<Link> m_link;
    std::unordered_map<quint64, std::unique_ptr<Connection>> m_connections;
    QTimer *m_sweeper = nullptr;
    QTimer *m_acceptRetry = nullptr;
    std::vector<int> m_listeners;
    bool m_acceptPaused = false;
    qint64 m_acceptFailureLoggedMs = -1;
    QElapsedTimer m_clock;
    quint64 m_nextId = 1;
    std::array<char, kReadChunk> m_readBuffer;
    int m_epoll = -1;
    QSocketNotifier *m_epollNotifier = nullptr;
    std::vector<AccessLogEntry> m_logBatch;
    qint64 m_nowMs = 0;
    qint64 m_clockReference = 0;
    qint64 m_wallAtStartMs = 0;
    bool m_inWake = false;
};

} // namespace organizer::http
