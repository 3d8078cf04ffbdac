#pragma once

// One client socket, from accept to close: the bytes read and not yet parsed, the parser, the answers
// owed in request order, the bytes the kernel has not taken yet, and the clocks behind every timeout.
// HTTP/1.1's connection rules live here (pipelining, keep-alive, 100-continue, reading paused while
// answers pile up, lingering close), apart from the event loop that drives many connections
// (httpworker.h) and from the bytes each answer is made of (httpwire.h).
//
// The socket is a plain non-blocking descriptor: one recv() per wake-up, answers sent at once with
// send() and only what the kernel does not take is kept (QTcpSocket would copy every byte through two
// buffers and ask the kernel how much is readable before each read). On a TLS port the same bytes go
// through OpenSSL (tlstransport.h) and every rule here applies to the plaintext: the handshake happens
// inside the first reads, within the request timeout.

#include "accesslog.h"
#include "httpmessage.h"
#include "httpwire.h"
#include "requestparser.h"
#include "tlstransport.h"

#include <QByteArray>
#include <QHostAddress>
#include <QString>

#include <deque>

namespace organizer::http {

struct ConnectionLimits;
class TlsContext;
class Worker;

// Lives on its worker's thread and is only touched there.
class Connection
{
public:
    // What the worker's periodic sweep does with a connection.
    enum class SweepAction {
        Keep, // reading, answering, or waiting for a handler's answer
        KeepIdle, // waiting for a request within its time: counted as idle, may make room at the cap
        Close, // idle too long, not reading its answers, or done lingering: closed without an answer
        TimeOut, // a request started and has not fully arrived in time: answered 408, then closed
    };

    // `fd` comes non-blocking and without Nagle's delay (see Worker::acceptFrom); it owes its first
    // request within the request timeout from `nowMs` (with `tls`, its handshake too). Null `tls`: plain HTTP.
    Connection(Worker &worker, quint64 id, int fd, const QHostAddress &peer, const QByteArray &addressKey, qint64 nowMs, const TlsContext *tls);
    // A connection still open when it is destroyed (its worker ending, or watch() failing): the socket
    // is closed and uncounted.
    ~Connection();
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    // Adds the socket to the worker's epoll set, for reading; false if it cannot be watched (or TLS
    // could not be set up for it).
    bool watch();

    quint64 id() const { return m_id; }
    const QHostAddress &peer() const { return m_peer; }
    bool gone() const { return m_gone; }
    qint64 lastActivityMs() const { return m_lastActivityMs; }
    // Waiting for its next request: nothing read, owed or unsent.
    bool isIdle() const;
    // The client has sent bytes the server has not read yet (a request on its way in).
    bool hasUnreadBytes() const;

    // What epoll reported for this socket.
    void onEvents(quint32 events);
    // A handler's answer to the request numbered `sequence`; it goes out once those before it have.
    void deliver(quint64 sequence, Response response);
    // An answer to no request (bad framing, a timeout, a refusal): it goes after the answers owed, then
    // the connection closes. Nothing after the bad bytes is read.
    void answerAndClose(int status, Refusal refusal, const QString &description);
    // Turned away at the door (a connection cap): answered 503, never read, let go sooner than others.
    // On a TLS port: closed at once, unanswered (see the definition).
    void refuse(const QString &reason);
    SweepAction sweepAction(qint64 nowMs, const ConnectionLimits &limits) const;
    void closeNow();

private:
    // One answer owed, in request order.
    struct OwedAnswer
    {
        quint64 sequence = 0;
        bool ready = false;
        SerializeOptions framing;
        QByteArray bytes;
        qint64 startedNs = 0;
        AccessLogEntry log;
    };

    void onReadable();
    void readAndParse(qint64 now);
    void onWritable();
    void pump();
    void dispatch(ParsedRequest parsed);
    void flush();
    void send(const QByteArray &bytes);
    void finish();
    // Our side of the stream ends: close_notify on TLS, then the TCP half-close.
    void shutdownWriteSide();
    // A TLS failure or a socket error: logged once (TLS only, the reason and never any bytes), then closed.
    void failed();
    // Plain HTTP on a TLS port: a plain 400 saying which URL to use instead, then close.
    void refusePlainHttp(bool requestRead);
    // What the HTTP rules want watched; the epoll interest also follows what TLS waits for.
    void setInterest(bool read, bool write);
    void applyInterest();
    qsizetype unsent() const { return m_output.size() - m_outputSent; }
    qsizetype maxBufferedInput() const;
    // Too many answers owed or unsent: reading waits until the client catches up.
    bool paused() const;
    // The client asked for "100 Continue" before sending the body, and nothing else is in line before it.
    bool owesContinue() const;

    Worker &m_worker;
    quint64 m_id = 0;
    int m_fd = -1;
    Transport m_transport;
    quint32 m_interest = 0; // the epoll events asked for now
    bool m_wantRead = false; // what the HTTP rules want, before TLS's own needs
    bool m_wantWrite = false;
    QHostAddress m_peer;
    QByteArray m_peerText; // for the access log
    QByteArray m_addressKey; // what the connection is counted under, per address
    RequestParser m_parser;
    QByteArray m_input; // received, not yet parsed
    QByteArray m_output; // answers the kernel has not taken yet, from m_outputSent on
    qsizetype m_outputSent = 0;
    std::deque<OwedAnswer> m_owed;
    quint64 m_nextSequence = 0;
    qint64 m_lastActivityMs = 0;
    qint64 m_requestStartedMs = -1; // the request timeout counts from here; -1 between requests
    qint64 m_lastWriteProgressMs = 0;
    qint64 m_lingerSinceMs = -1;
    bool m_fresh = true; // no byte received yet
    bool m_refused = false; // turned away at the door (a cap): answered 503, never read
    bool m_readingStopped = false;
    bool m_readEof = false;
    bool m_continueSent = false;
    bool m_pumping = false;
    bool m_reading = false; // inside readAndParse(): a wish to read again is remembered, not nested
    bool m_readAgain = false; // decrypted bytes wait in OpenSSL, where epoll cannot see them
    bool m_plainHttpOnTlsPort = false;
    bool m_tlsSetupFailed = false;
    bool m_writeShut = false;
    bool m_closeNotifyPending = false; // close_notify did not fit the socket: retried when writable
    bool m_gone = false;
};

} // namespace organizer::http
