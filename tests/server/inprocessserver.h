#pragma once

// An organizer-server in the test's own process, for what a separate process cannot give: a clock the
// test moves forward (lifetimes and backoffs without waiting them out), or the server's own thread in
// the test's hands.

#include "organizerserver.h"

#include <QDateTime>
#include <QString>
#include <QTemporaryDir>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>

namespace organizer::test {

// Time that moves only when the test says so, in milliseconds. The server gets two views of it (the
// wall clock in seconds, the monotonic one in milliseconds); every copy reads the same value, from
// any thread (the server reads it on its HTTP workers).
class ManualClock
{
public:
    explicit ManualClock(qint64 startMs = QDateTime::currentMSecsSinceEpoch()) : m_ms(std::make_shared<std::atomic<qint64>>(startMs)) {}

    server::ServerClocks clocks() const
    {
        return {[ms = m_ms] { return ms->load() / 1000; }, [ms = m_ms] { return ms->load(); }};
    }
    void advance(std::chrono::milliseconds by) { m_ms->fetch_add(by.count()); }

private:
    std::shared_ptr<std::atomic<qint64>> m_ms;
};

class InProcessServer
{
public:
    // Which thread is the server's own, where its timers run and where verdicts of the slow password
    // and secret checks come back to.
    enum class Home {
        // The caller's: the test can block it and see what still answers, but must run its event loop
        // while it waits for an answer that passes through it.
        CallersThread,
        // A thread of its own, running its event loop: the test may simply block on HTTP calls.
        OwnThread,
    };
    struct Settings
    {
        Home home = Home::CallersThread;
        server::ServerClocks clocks;
        QString tenantFile = {}; // empty: the demo tenant
        int workers = 2;
        std::function<void(server::ServerOptions &)> configure = {}; // anything else, as the command line would set it
    };

    // On a fresh data directory and a free port; error() says why when it could not start.
    InProcessServer();
    explicit InProcessServer(Settings settings);
    ~InProcessServer();
    InProcessServer(const InProcessServer &) = delete;
    InProcessServer &operator=(const InProcessServer &) = delete;

    QString error() const { return m_error; }
    quint16 port() const { return m_port; }
    QString issuer() const { return m_issuer; }
    QString dataDir() const { return m_dataDir.path(); }

private:
    class Thread;
    void create(const Settings &settings);

    QTemporaryDir m_dataDir; // outlives the server
    std::unique_ptr<server::OrganizerServer> m_server;
    std::unique_ptr<Thread> m_thread; // when the server has a thread of its own
    QString m_error;
    quint16 m_port = 0;
    QString m_issuer;
};

} // namespace organizer::test
