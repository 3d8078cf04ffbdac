#pragma once

// How one connection's bytes cross its socket: as they are (plain HTTP: one recv() or send() per call,
// as before TLS existed), or through an OpenSSL SSL object over the same non-blocking descriptor
// (HTTPS). The connection above (httpconnection.h) keeps every HTTP rule and sees plaintext either way;
// what TLS adds is said here as two flags: a read that must first write (the handshake's answer did
// not fit the socket) and a write that must first read. Not virtual: one branch per call.

#include <QByteArray>
#include <QString>

#include <sys/types.h>

using SSL = struct ssl_st;

namespace organizer::http {

class TlsContext;

class Transport
{
public:
    enum class Status {
        Ok, // `bytes` moved
        WouldBlock, // nothing now: wait for epoll (see readWantsWrite / writeWantsRead)
        Eof, // the peer closed its side (TLS: close_notify, or a bare TCP close)
        Failed, // a socket error or a TLS protocol failure: failure() says which
    };
    struct Result
    {
        Status status = Status::WouldBlock;
        qsizetype bytes = 0;
    };
    // What the first byte on a TLS port says the client speaks.
    enum class FirstByte { NotYet, Tls, PlainHttp, Eof, Failed };

    explicit Transport(int fd) : m_socket{fd, 0, false} {}
    ~Transport();
    Transport(const Transport &) = delete;
    Transport &operator=(const Transport &) = delete;

    // Makes this a server-side TLS transport from `context`; the handshake happens inside the first
    // reads. False (with failure() set) if OpenSSL cannot make the connection object.
    bool startTls(const TlsContext &context);
    bool isTls() const { return m_ssl != nullptr; }
    // TLS, and no byte has been looked at yet: the first one decides between TLS and plain HTTP.
    bool undecided() const { return m_ssl != nullptr && m_undecided; }
    // Peeks at the first byte: an ASCII letter is plain HTTP sent to a TLS port (the TLS object is
    // then dropped and the transport is plain from here on); anything else is left to OpenSSL.
    FirstByte sniffFirstByte();

    Result read(char *buffer, qsizetype size) { return m_ssl ? readTls(buffer, size) : readPlain(buffer, size); }
    Result write(const char *bytes, qsizetype size) { return m_ssl ? writeTls(bytes, size) : writePlain(bytes, size); }
    // TLS: sends close_notify once the handshake is done (once; later calls do nothing). False only if
    // it could not all be written now: call again when the socket is writable.
    bool sendCloseNotify();
    // Bytes OpenSSL holds that a read may hand out without the socket (decrypted, or read ahead in
    // whole records): epoll cannot report them, so the reader must come back for them. After a read
    // that would block, what OpenSSL still holds is at most part of a record, whose rest epoll reports.
    bool hasBufferedPlaintext() const { return m_ssl && !m_readDrained && tlsPending(); }
    // Bytes the client sent that nobody has read yet (in the kernel, or decrypted in OpenSSL).
    bool hasUnreadBytes() const;

    // Set by the last read or write that returned WouldBlock because TLS needs the other direction.
    bool readWantsWrite = false;
    bool writeWantsRead = false;

    // Why the last call returned Failed, for the log: never any of the bytes.
    const QString &failure() const { return m_failure; }
    // The failure is the peer going away (a reset), not a TLS problem worth a line in the log.
    bool failureIsOrdinary() const { return m_failureIsOrdinary; }

    // Frees the TLS object (before the descriptor is closed).
    void release();

    // What the socket BIO works on (public for the BIO's callbacks in the .cpp).
    struct Socket
    {
        int fd;
        int lastErrno;
        bool eof;
    };

private:
    Result readPlain(char *buffer, qsizetype size);
    Result writePlain(const char *bytes, qsizetype size);
    Result readTls(char *buffer, qsizetype size);
    Result writeTls(const char *bytes, qsizetype size);
    Result tlsFailure(int sslError, bool reading);
    bool tlsPending() const;

    Socket m_socket;
    SSL *m_ssl = nullptr;
    QString m_failure;
    bool m_failureIsOrdinary = false;
    bool m_undecided = false;
    bool m_readDrained = false; // the last TLS read would have blocked: OpenSSL took all it could from its buffer
    bool m_closeNotifySent = false;
};

} // namespace organizer::http
