#include "httpconnection.h"

#include "httpworker.h"
#include "tlscontext.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace organizer::http {

namespace {

constexpr qint64 kLingerMs = 2000; // after a final answer, how long unread request bytes are drained
constexpr qint64 kRefusalLingerMs = 250; // a refused connection is let go sooner: a flood of them must not hold slots

} // namespace

Connection::Connection(Worker &worker, quint64 id, int fd, const QHostAddress &peer, const QByteArray &addressKey, qint64 nowMs, const TlsContext *tls)
    : m_worker(worker), m_id(id), m_fd(fd), m_transport(fd), m_peer(peer), m_peerText(peer.toString().toLatin1()), m_addressKey(addressKey),
      m_lastActivityMs(nowMs), m_requestStartedMs(nowMs) // a new connection owes its first request (TLS: and its handshake) within the request timeout
      ,
      m_lastWriteProgressMs(nowMs)
{
    // Non-blocking and without Nagle's delay already: accept4() made it non-blocking, and Linux copies
    // TCP_NODELAY from the listening socket (Server sets it there), which saves three system calls a connection.
    const ServerState &state = m_worker.state();
    m_parser.setLimits({state.limits.maxHeaderBytes, state.maxBodyBytes, 100, 1024});
    if (tls && !m_transport.startTls(*tls)) {
        qCWarning(lcAccess).noquote() << "cannot serve" << m_peer.toString() << "over TLS:" << m_transport.failure();
        m_tlsSetupFailed = true;
    }
}

Connection::~Connection()
{
    if (m_fd < 0)
        return;
    m_transport.release();
    ::close(m_fd);
    ServerState &state = m_worker.state();
    state.releaseAddress(m_addressKey);
    --state.open;
}

bool Connection::watch()
{
    if (m_tlsSetupFailed)
        return false;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = m_id;
    if (::epoll_ctl(m_worker.epoll(), EPOLL_CTL_ADD, m_fd, &event) != 0)
        return false;
    m_interest = EPOLLIN;
    m_wantRead = true;
    return true;
}

bool Connection::isIdle() const
{
    return !m_gone && m_lingerSinceMs < 0 && !m_readingStopped && m_owed.empty() && m_parser.idle() && m_input.isEmpty() && unsent() == 0;
}

bool Connection::hasUnreadBytes() const
{
    return m_transport.hasUnreadBytes();
}

qsizetype Connection::maxBufferedInput() const
{
    return m_worker.state().limits.maxHeaderBytes + Worker::kReadChunk;
}

bool Connection::paused() const
{
    const ConnectionLimits &limits = m_worker.state().limits;
    return qsizetype(m_owed.size()) >= limits.maxPipelinedRequests || unsent() > limits.maxUnsentBytes;
}

bool Connection::owesContinue() const
{
    return !m_continueSent && m_owed.empty() && m_parser.awaitingBody() && m_parser.request().expectsContinue;
}

void Connection::setInterest(bool read, bool write)
{
    m_wantRead = read;
    m_wantWrite = write;
    applyInterest();
}

void Connection::applyInterest()
{
    const bool write = m_wantWrite || m_closeNotifyPending;
    quint32 wanted = (m_wantRead ? quint32(EPOLLIN) : 0u) | (write ? quint32(EPOLLOUT) : 0u);
    if (m_transport.readWantsWrite || m_transport.writeWantsRead) {
        // TLS waits for the other direction: watching the one it cannot use yet would wake this loop
        // again and again (epoll is level-triggered) for a call that can only say "not yet".
        wanted = 0;
        if (m_transport.readWantsWrite)
            wanted |= EPOLLOUT;
        else if (m_wantRead)
            wanted |= EPOLLIN;
        if (m_transport.writeWantsRead)
            wanted |= EPOLLIN;
        else if (write)
            wanted |= EPOLLOUT;
    }
    if (m_gone || wanted == m_interest)
        return;
    epoll_event event{};
    event.events = wanted;
    event.data.u64 = m_id;
    ::epoll_ctl(m_worker.epoll(), EPOLL_CTL_MOD, m_fd, &event);
    m_interest = wanted;
}

void Connection::onEvents(quint32 events)
{
    bool readRetried = false;
    if (events & EPOLLOUT) {
        // A TLS read that had to write first (its handshake's answer did not fit the socket) is retried.
        readRetried = m_transport.readWantsWrite;
        m_transport.readWantsWrite = false;
        if (m_wantWrite || m_closeNotifyPending)
            onWritable();
        if (m_gone)
            return;
        applyInterest();
        if (readRetried)
            onReadable();
    }
    if (m_gone)
        return;
    if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        if (m_transport.writeWantsRead) {
            // A TLS write that had to read first goes before anything else is read.
            m_transport.writeWantsRead = false;
            onWritable();
            if (m_gone || m_transport.writeWantsRead)
                return;
            applyInterest();
        }
        if (readRetried && !(events & (EPOLLHUP | EPOLLERR)))
            return;
        if (!(m_interest & EPOLLIN) && (events & (EPOLLHUP | EPOLLERR)))
            closeNow(); // gone both ways while we were not reading: nothing left to do
        else
            onReadable();
    }
}

void Connection::closeNow()
{
    if (m_gone)
        return;
    m_gone = true;
    // epoll lets go of the descriptor before it is closed and its number reused.
    ::epoll_ctl(m_worker.epoll(), EPOLL_CTL_DEL, m_fd, nullptr);
    m_transport.release(); // the TLS object goes with the connection, whatever state it was in
    ::close(m_fd);
    m_fd = -1;
    ServerState &state = m_worker.state();
    state.releaseAddress(m_addressKey);
    --state.open;
    m_worker.forget(m_id);
}

void Connection::onReadable()
{
    if (m_reading) {
        m_readAgain = true; // asked from inside a read (a pump that made room): the read goes on
        return;
    }
    const qint64 now = m_worker.tick();
    if (m_lingerSinceMs >= 0 || m_readingStopped) {
        // After the final answer: what the client still sends is read and dropped until it closes.
        // On TLS too, as raw bytes: nothing more will be decrypted on this connection.
        char scratch[16 * 1024];
        while (true) {
            const ssize_t n = ::recv(m_fd, scratch, sizeof scratch, 0);
            if (n > 0)
                continue;
            if (n < 0 && errno == EINTR)
                continue;
            if (n == 0 && (!m_owed.empty() || unsent() > 0)) {
                // The client is done sending but an answer is still owed (a handler working, or bytes
                // the kernel has not taken yet): it goes out first, then the connection closes.
                m_readEof = true;
                setInterest(false, unsent() > 0);
                return;
            }
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
                closeNow();
            return;
        }
    }
    if (m_transport.undecided()) {
        switch (m_transport.sniffFirstByte()) {
        case Transport::FirstByte::NotYet:
            return;
        case Transport::FirstByte::Eof:
        case Transport::FirstByte::Failed:
            return closeNow(); // nothing was sent: nothing to answer
        case Transport::FirstByte::PlainHttp:
            m_plainHttpOnTlsPort = true; // read as plain HTTP, only to say where HTTPS is
            break;
        case Transport::FirstByte::Tls:
            break;
        }
    }
    m_reading = true;
    do {
        m_readAgain = false;
        readAndParse(now);
    } while (m_readAgain && !m_gone && !m_readingStopped && m_lingerSinceMs < 0);
    m_reading = false;
}

void Connection::readAndParse(qint64 now)
{
    auto &buffer = m_worker.readBuffer();
    const bool tls = m_transport.isTls();
    while (m_input.size() < maxBufferedInput()) {
        // Into the worker's read buffer first: most reads are one small request, copied once into
        // an input buffer that keeps its capacity from request to request.
        const Transport::Result read = m_transport.read(buffer.data(), qsizetype(buffer.size()));
        if (read.status == Transport::Status::Ok) {
            m_input.append(buffer.data(), read.bytes);
            if (m_requestStartedMs < 0)
                m_requestStartedMs = now; // a keep-alive connection's next request starts with this byte
            m_fresh = false;
            m_lastActivityMs = now;
            // A short read is most likely all there was (epoll says if not). TLS hands out one record
            // (16 KiB at most) per read: it is read on while OpenSSL still holds bytes, so none is left
            // where epoll cannot see it.
            if (read.bytes < qsizetype(buffer.size()) && !(tls && m_transport.hasBufferedPlaintext()))
                break;
            continue;
        }
        if (read.status == Transport::Status::Eof) {
            m_readEof = true;
            setInterest(false, unsent() > 0);
            break;
        }
        if (read.status == Transport::Status::WouldBlock) {
            if (m_transport.readWantsWrite)
                applyInterest();
            break;
        }
        return failed();
    }
    m_worker.setParsingWakeUp(true);
    pump();
    m_worker.setParsingWakeUp(false);
    if (m_gone)
        return;
    if (m_readEof) {
        // The client closed its side: answer what was asked in full, then close.
        m_readingStopped = true;
        if (m_owed.empty() && unsent() == 0)
            closeNow();
    }
}

void Connection::failed()
{
    if (m_transport.isTls() && !m_transport.failureIsOrdinary())
        qCInfo(lcAccess).noquote() << "closed the connection from" << m_peer.toString() << "after a failure:" << m_transport.failure();
    closeNow();
}

void Connection::onWritable()
{
    while (unsent() > 0) {
        const Transport::Result written = m_transport.write(m_output.constData() + m_outputSent, unsent());
        if (written.status == Transport::Status::Ok) {
            m_outputSent += written.bytes;
            m_lastWriteProgressMs = m_worker.tick();
            continue;
        }
        if (written.status == Transport::Status::WouldBlock) {
            if (m_transport.writeWantsRead)
                applyInterest();
            return; // epoll reports the socket writable (or, for TLS, readable) again
        }
        return failed();
    }
    m_output.clear();
    m_outputSent = 0;
    setInterest(m_wantRead, false);
    if (m_lingerSinceMs >= 0) {
        if (m_readEof)
            return closeNow(); // the last answer is out and the client has stopped sending
        shutdownWriteSide();
        return;
    }
    if (m_readEof && m_owed.empty())
        return closeNow();
    pump(); // reading resumes once the client has caught up
}

void Connection::send(const QByteArray &bytes)
{
    if (m_gone || bytes.isEmpty())
        return;
    if (unsent() == 0) {
        qsizetype sent = 0;
        while (sent < bytes.size()) {
            const Transport::Result written = m_transport.write(bytes.constData() + sent, bytes.size() - sent);
            if (written.status == Transport::Status::Ok) {
                sent += written.bytes;
                continue;
            }
            if (written.status == Transport::Status::WouldBlock)
                break;
            return failed(); // the client is gone
        }
        m_lastWriteProgressMs = m_worker.now();
        if (sent == bytes.size())
            return;
        // TLS: a write that would block is retried from this same byte (OpenSSL may hold it encrypted).
        m_output = bytes.mid(sent);
        m_outputSent = 0;
    } else {
        if (m_outputSent > 0 && m_outputSent >= m_output.size() / 2) {
            m_output.remove(0, m_outputSent);
            m_outputSent = 0;
        }
        m_output += bytes;
    }
    setInterest(m_wantRead, true);
}

void Connection::pump()
{
    if (m_pumping || m_gone)
        return;
    m_pumping = true;
    while (!m_gone && !m_readingStopped && !paused()) {
        qsizetype consumed = 0;
        const RequestParser::Status status = m_parser.parse(m_input, &consumed);
        if (consumed == m_input.size())
            m_input.resize(0); // keeps the allocation for the next request
        else if (consumed > 0)
            m_input.remove(0, consumed);
        if (m_plainHttpOnTlsPort && (status != RequestParser::Status::NeedMore || m_parser.awaitingBody())) {
            refusePlainHttp(status != RequestParser::Status::Failed);
            break;
        }
        if (status == RequestParser::Status::Complete) {
            ParsedRequest parsed = m_parser.takeRequest();
            m_parser.reset();
            m_continueSent = false;
            // Bytes already here belong to the next request, whose clock starts now.
            m_requestStartedMs = m_input.isEmpty() ? -1 : m_worker.now();
            dispatch(std::move(parsed));
            continue;
        }
        if (status == RequestParser::Status::Failed) {
            const ParseFailure failure = m_parser.failure();
            qCInfo(lcAccess).noquote() << "refused a request from" << m_peer.toString() << failure.status << failure.description;
            answerAndClose(failure.status, Refusal::BadRequest, failure.description);
            break;
        }
        if (owesContinue()) {
            send(continueResponse());
            m_continueSent = true;
        }
        if (m_readEof && !m_parser.idle()) {
            // The client closed in the middle of a request: there is nothing to answer.
            m_readingStopped = true;
        }
        break; // needs more bytes
    }
    m_pumping = false;
    if (m_gone)
        return;
    const bool readMore = !m_readingStopped && m_lingerSinceMs < 0 && !paused() && m_input.size() < maxBufferedInput();
    setInterest(!m_readEof && (m_lingerSinceMs >= 0 || readMore), unsent() > 0);
    if (readMore && !m_readEof && m_transport.hasBufferedPlaintext()) {
        // Reading had stopped (input full, or paused) with decrypted bytes still in OpenSSL: no epoll
        // event will come for them, so they are read now.
        if (m_reading)
            m_readAgain = true;
        else
            onReadable();
    }
}

void Connection::refusePlainHttp(bool requestRead)
{
    // Like nginx's 497: the client is told, in the one language it speaks here, where to go. The host
    // is its own Host header when that is a plain host[:port], the path its own without the query.
    QByteArray url = "https://";
    if (requestRead) {
        const ParsedRequest &request = m_parser.request();
        static const auto plain = [](const QByteArray &text, const char *allowed) {
            return std::all_of(text.begin(), text.end(), [allowed](char c) { return std::isalnum(static_cast<unsigned char>(c)) || std::strchr(allowed, c); });
        };
        for (const auto &[name, value] : request.headers) {
            if (name == "host" && !value.isEmpty() && value.size() <= 255 && plain(value, ".-:[]"))
                url += value;
        }
        const qsizetype query = request.target.indexOf('?');
        const QByteArray path = query < 0 ? request.target : request.target.left(query);
        if (url.size() > 8 && path.startsWith('/') && path.size() <= 2048 && plain(path, "/-._~%!$&'()*+,;=:@"))
            url += path;
    }
    if (url.size() == 8)
        url += " instead of http://"; // the host it meant is not known
    qCInfo(lcAccess).noquote() << "plain HTTP from" << m_peer.toString() << "on a TLS port: answered 400";
    answerAndClose(400, Refusal::BadRequest, QStringLiteral("This port speaks HTTPS: use %1").arg(QString::fromLatin1(url)));
}

void Connection::dispatch(ParsedRequest parsed)
{
    ServerState &state = m_worker.state();
    OwedAnswer owed;
    owed.sequence = m_nextSequence++;
    owed.framing = framingFor(parsed, state.closing.load(std::memory_order_relaxed));
    owed.startedNs = state.accessLog ? m_worker.nsecsElapsed() : 0;
    if (state.accessLog) {
        AccessLogEntry &log = owed.log;
        log.remoteAddress = m_peerText;
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
    if (owed.framing.closeConnection)
        m_readingStopped = true; // "Connection: close": this is the last request read
    const quint64 sequence = owed.sequence;
    m_owed.push_back(std::move(owed));
    state.handler(requestFrom(std::move(parsed), m_peer), m_worker.responderFor(m_id, sequence));
}

void Connection::deliver(quint64 sequence, Response response)
{
    auto owed = std::find_if(m_owed.begin(), m_owed.end(), [&](const OwedAnswer &answer) { return answer.sequence == sequence; });
    if (owed == m_owed.end() || owed->ready)
        return; // answered already
    if (!owed->framing.closeConnection && m_owed.size() == 1 && m_parser.idle() && m_input.isEmpty()
        && m_worker.state().closing.load(std::memory_order_relaxed)) {
        // The server began shutting down while this request was being worked on, and nothing was read
        // after it: its answer is the connection's last (otherwise the connection would stay open,
        // idle, until the idle timeout). With more requests read, they are all answered first.
        owed->framing.closeConnection = true;
        m_readingStopped = true;
    }
    owed->bytes = serializeResponse(response, owed->framing);
    owed->ready = true;
    if (m_worker.state().accessLog) {
        const qint64 nowNs = m_worker.nsecsElapsed();
        owed->log.timeMs = m_worker.wallClockMs(nowNs / 1'000'000);
        owed->log.status = response.status;
        owed->log.bodyBytes = owed->framing.includeBody ? response.body.size() : 0;
        owed->log.durationUs = (nowNs - owed->startedNs) / 1000;
        m_worker.log(std::move(owed->log));
    }
    flush();
}

void Connection::answerAndClose(int status, Refusal refusal, const QString &description)
{
    OwedAnswer owed;
    owed.sequence = m_nextSequence++;
    owed.ready = true;
    owed.framing = kFinalAnswer;
    const Response response = m_worker.state().refusalWriter(refusal, status, description);
    owed.bytes = serializeResponse(response, owed.framing);
    if (m_worker.state().accessLog) {
        AccessLogEntry log; // no method: no request could be read
        log.timeMs = m_worker.wallClockMs(m_worker.tick());
        log.remoteAddress = m_peerText;
        log.status = status;
        log.bodyBytes = response.body.size();
        m_worker.log(std::move(log));
    }
    m_readingStopped = true;
    m_input.clear();
    m_owed.push_back(std::move(owed));
    flush();
}

void Connection::refuse(const QString &reason)
{
    qCInfo(lcAccess).noquote() << "refused a connection from" << m_peer.toString() << ":" << reason;
    m_refused = true;
    if (m_transport.isTls()) {
        // A TLS client cannot read a plain-text 503, and a handshake only to word the refusal would
        // spend what the cap is there to save (a key exchange and a signature per newcomer, in a flood).
        // The socket is closed at once instead: the slot is free again sooner than after a 503's
        // linger, and the client sees its connection closed before the handshake, and may retry.
        return closeNow();
    }
    answerAndClose(503, Refusal::Unavailable, reason);
}

void Connection::flush()
{
    // Every answer that is next in line goes out in one send (pipelined answers coalesce).
    QByteArray out;
    bool close = false;
    while (!m_owed.empty() && m_owed.front().ready) {
        OwedAnswer &front = m_owed.front();
        if (out.isEmpty())
            out = std::move(front.bytes);
        else
            out += front.bytes;
        close = front.framing.closeConnection;
        m_owed.pop_front();
        if (close) {
            m_owed.clear();
            break;
        }
    }
    if (!close && owesContinue()) {
        out += continueResponse();
        m_continueSent = true;
    }
    send(out);
    if (m_gone)
        return;
    if (close)
        return finish();
    if (m_owed.empty()) {
        m_lastActivityMs = m_worker.now();
        if (m_readEof && unsent() == 0)
            return closeNow();
    }
    pump();
}

void Connection::finish()
{
    // Lingering close: our side is shut once the answer is out, and what the client still sends is
    // read and dropped for a while, so the kernel does not reset the connection before it reads the answer.
    m_readingStopped = true;
    if (m_gone || m_lingerSinceMs >= 0)
        return;
    m_lingerSinceMs = m_worker.tick();
    m_input.clear();
    if (unsent() == 0)
        shutdownWriteSide();
    if (m_readEof && unsent() == 0)
        return closeNow();
    setInterest(!m_readEof, unsent() > 0);
}

void Connection::shutdownWriteSide()
{
    if (m_writeShut || m_gone)
        return;
    if (!m_transport.sendCloseNotify()) {
        m_closeNotifyPending = true; // the socket is full: the rest of close_notify goes when it drains
        applyInterest();
        return;
    }
    m_closeNotifyPending = false;
    m_writeShut = true;
    ::shutdown(m_fd, SHUT_WR);
    applyInterest();
}

Connection::SweepAction Connection::sweepAction(qint64 nowMs, const ConnectionLimits &limits) const
{
    if (m_gone)
        return SweepAction::Keep;
    if (m_lingerSinceMs >= 0) {
        const qint64 linger = m_refused ? kRefusalLingerMs : kLingerMs;
        const qint64 unsentGrace = unsent() > 0 ? (m_refused ? kLingerMs : limits.idleTimeoutMs) : 0;
        return nowMs - m_lingerSinceMs > linger + unsentGrace ? SweepAction::Close : SweepAction::Keep;
    }
    if (unsent() > 0) // closed once the client has stopped reading its answers for that long
        return nowMs - m_lastWriteProgressMs > limits.idleTimeoutMs ? SweepAction::Close : SweepAction::Keep;
    if (!m_owed.empty())
        return SweepAction::Keep; // a handler is working; its answer will come
    if (m_requestStartedMs >= 0) {
        // A connection that never sent a byte has no request to answer: it is closed, not answered 408.
        if (nowMs - m_requestStartedMs > limits.requestTimeoutMs)
            return m_fresh ? SweepAction::Close : SweepAction::TimeOut;
        return m_fresh ? SweepAction::KeepIdle : SweepAction::Keep;
    }
    return nowMs - m_lastActivityMs > limits.idleTimeoutMs ? SweepAction::Close : SweepAction::KeepIdle;
}

} // namespace organizer::http
