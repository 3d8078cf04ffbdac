#pragma once

#include "accesslog.h"
#include "httpmessage.h"

#include <QHostAddress>
#include <QLoggingCategory>
#include <QObject>

#include <memory>

QT_FORWARD_DECLARE_CLASS(QTcpServer)

namespace organizer::http {

Q_DECLARE_LOGGING_CATEGORY(lcAccess)

struct ConnectionLimits
{
    int maxConnections = 0; // open sockets at once, refused ones included; 0: sized from RLIMIT_NOFILE
    int maxConnectionsPerAddress = 256; // per IPv4 address or IPv6 /64; raise it behind a reverse proxy
    int idleTimeoutMs = 30'000; // a keep-alive connection between requests, or an answer the client does not read
    int requestTimeoutMs = 10'000; // from the first byte a request is expected (accept, or its first byte) to its end
    qsizetype maxHeaderBytes = 32 * 1024; // request line + headers (big Auth0 tokens fit): beyond, 431
    int maxPipelinedRequests = 16; // requests read ahead of their answers; beyond, reading pauses
    qsizetype maxUnsentBytes = 1024 * 1024; // answers the client has not read; beyond, reading pauses
};

// The connection cap a server gets when none is given: three quarters of the open-file limit (raised to
// its hard limit first), between 64 and 65536.
int defaultMaxConnections();
// Raises the soft RLIMIT_NOFILE to the hard limit; returns the soft limit in force afterwards.
int raiseOpenFileLimit();

class ServerState;
class TlsContext;
class Worker;

// An HTTP/1.1 server: N worker threads (httpworker.h), each an event loop that accepts from every
// listening socket itself and serves the connections it accepted (httpconnection.h): they parse requests
// (RequestParser), call the Handler and write the answers (httpwire.h) in request order. The Handler
// runs on the worker thread; a Responder may be called from any thread, now or later. Pipelining,
// keep-alive, HEAD, Expect: 100-continue and chunked bodies are handled, and every limit above enforced,
// over plain TCP or over TLS (setTlsContext) alike.
class Server : public QObject
{
    Q_OBJECT

public:
    explicit Server(Handler handler, QObject *parent = nullptr);
    ~Server() override;

    // All of these apply to connections accepted after the call; set them before listenOn().
    void setMaxBodySize(qsizetype bytes);
    void setLimits(const ConnectionLimits &limits);
    const ConnectionLimits &limits() const;
    void setWorkers(int workers); // 1 or more event loops (default 1)
    int workers() const;
    void setAccessLog(AccessLog *log); // not owned; null: no access log
    // How requests the server refuses itself are worded (see Refusal); plain text until one is set.
    void setRefusalWriter(RefusalWriter writer);

    // HTTPS: connections accepted from now on speak TLS with `context`; null (the default) is plain
    // HTTP. Callable at any time from any thread (a renewed certificate is swapped in while serving):
    // connections already open keep the context they started with. On a TLS port, a request in plain
    // HTTP is answered 400 with the https:// URL to use, and a connection refused at a cap is closed
    // unanswered (a TLS client could not read a plain 503).
    void setTlsContext(std::shared_ptr<const TlsContext> context);
    bool servesTls() const;

    int openConnections() const;
    // Per worker, in order: the connections it serves now, and how many it has accepted itself (a
    // worker far busier than another hands what it accepts over). For tests and diagnostics.
    QList<int> connectionsPerWorker() const;
    QList<quint64> acceptedPerWorker() const;

    // Listens on exactly `address` (never all interfaces by accident); port 0 picks a free port.
    // Returns the bound port, or 0 with `error` set.
    quint16 listenOn(const QHostAddress &address, quint16 port, QString *error);
    // One more address on the port listenOn() bound, served by the same workers: IPv6 loopback beside
    // IPv4's, so that "localhost" answers whichever a client resolves first. False with `error` set.
    bool alsoListenOn(const QHostAddress &address, QString *error);

    // The end of a graceful shutdown, once the load balancer has stopped sending new work: no new
    // connection is accepted, a connection waiting idle for its next request is closed, and every other
    // one closes after the answer it owes ("Connection: close"), so no request is cut off and none is
    // sent on a connection about to go. openConnections() then falls to zero.
    void stopAcceptingAndCloseAfterAnswers();

private:
    bool listenAndHandToWorkers(const QHostAddress &address, quint16 port, QString *error);
    // Every worker lets go of the listening sockets, so that they can be closed.
    void stopWorkersAccepting();

    std::shared_ptr<ServerState> m_state;
    QList<Worker *> m_workers;
    // The listening sockets, made and closed by Qt but never accepted from by it (their notifiers are
    // off): every worker watches each of them in its own epoll set.
    QList<QTcpServer *> m_listeners;
    quint16 m_port = 0; // what listenOn() bound
    int m_workersWanted = 1;
};

} // namespace organizer::http
