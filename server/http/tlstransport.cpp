#include "tlstransport.h"

#include "tlscontext.h"

#include <cerrno>
#include <cstring>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

namespace organizer::http {

namespace {

// OpenSSL's own socket BIO writes with write(), which raises SIGPIPE when the client has gone (and
// nothing in this process ignores SIGPIPE): this one is the same over recv()/send(MSG_NOSIGNAL), and
// remembers the end of the stream and the errno behind a failure for the log.
Transport::Socket *socketOf(BIO *bio)
{
    return static_cast<Transport::Socket *>(BIO_get_data(bio));
}

int socketBioWrite(BIO *bio, const char *data, size_t length, size_t *written)
{
    Transport::Socket *socket = socketOf(bio);
    BIO_clear_retry_flags(bio);
    *written = 0;
    while (true) {
        const ssize_t n = ::send(socket->fd, data, length, MSG_NOSIGNAL);
        if (n >= 0) {
            *written = size_t(n);
            return 1;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            BIO_set_retry_write(bio);
        else
            socket->lastErrno = errno;
        return 0;
    }
}

int socketBioRead(BIO *bio, char *data, size_t length, size_t *read)
{
    Transport::Socket *socket = socketOf(bio);
    BIO_clear_retry_flags(bio);
    *read = 0;
    while (true) {
        const ssize_t n = ::recv(socket->fd, data, length, 0);
        if (n > 0) {
            *read = size_t(n);
            return 1;
        }
        if (n == 0) {
            socket->eof = true; // BIO_eof(): OpenSSL tells a closed stream from a failed one by it
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            BIO_set_retry_read(bio);
        else
            socket->lastErrno = errno;
        return 0;
    }
}

long socketBioControl(BIO *bio, int command, long, void *)
{
    switch (command) {
    case BIO_CTRL_EOF:
        return socketOf(bio)->eof ? 1 : 0;
    case BIO_CTRL_FLUSH: // every write went straight to the socket
        return 1;
    default:
        return 0;
    }
}

BIO_METHOD *socketBioMethod()
{
    static BIO_METHOD *const method = [] {
        BIO_METHOD *created = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR, "organizer socket");
        if (created) {
            BIO_meth_set_write_ex(created, socketBioWrite);
            BIO_meth_set_read_ex(created, socketBioRead);
            BIO_meth_set_ctrl(created, socketBioControl);
        }
        return created;
    }();
    return method;
}

QString errnoText(int error)
{
    return error == 0 ? QStringLiteral("connection closed") : QString::fromLocal8Bit(std::strerror(error));
}

// The reason OpenSSL gave for its last failure ("wrong version number", "no shared cipher"): it
// describes the protocol exchange, never the bytes.
QString openSslReason()
{
    const unsigned long code = ERR_peek_last_error();
    if (code == 0)
        return QStringLiteral("TLS protocol failure");
    if (const char *reason = ERR_reason_error_string(code))
        return QString::fromLatin1(reason);
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return QString::fromLatin1(text);
}

} // namespace

Transport::~Transport()
{
    release();
}

bool Transport::startTls(const TlsContext &context)
{
    ERR_clear_error();
    BIO_METHOD *method = socketBioMethod();
    m_ssl = method ? SSL_new(context.native()) : nullptr;
    BIO *bio = m_ssl ? BIO_new(method) : nullptr;
    if (!bio) {
        m_failure = QStringLiteral("cannot start TLS: %1").arg(openSslReason());
        ERR_clear_error();
        release();
        return false;
    }
    BIO_set_data(bio, &m_socket);
    BIO_set_init(bio, 1);
    SSL_set_bio(m_ssl, bio, bio); // the SSL object owns the BIO from here
    // One recv() per wake-up, as on plain HTTP: without read-ahead OpenSSL reads each record's 5-byte
    // header and then its body, two system calls for every request. What it reads beyond the record
    // stays in its buffer, which hasBufferedPlaintext() reports.
    SSL_set_read_ahead(m_ssl, 1);
    SSL_set_accept_state(m_ssl);
    m_undecided = true;
    return true;
}

void Transport::release()
{
    if (m_ssl) {
        SSL_free(m_ssl);
        m_ssl = nullptr;
    }
}

Transport::FirstByte Transport::sniffFirstByte()
{
    unsigned char first = 0;
    while (true) {
        const ssize_t n = ::recv(m_socket.fd, &first, 1, MSG_PEEK);
        if (n > 0)
            break;
        if (n == 0)
            return FirstByte::Eof;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return FirstByte::NotYet;
        m_failure = errnoText(errno);
        return FirstByte::Failed;
    }
    m_undecided = false;
    // A TLS record starts with its content type (0x16 for the ClientHello); an HTTP request with its
    // method, in letters. Whatever else is left to OpenSSL to refuse.
    if ((first >= 'A' && first <= 'Z') || (first >= 'a' && first <= 'z')) {
        release();
        return FirstByte::PlainHttp;
    }
    return FirstByte::Tls;
}

Transport::Result Transport::readPlain(char *buffer, qsizetype size)
{
    while (true) {
        const ssize_t n = ::recv(m_socket.fd, buffer, std::size_t(size), 0);
        if (n > 0)
            return {Status::Ok, qsizetype(n)};
        if (n == 0)
            return {Status::Eof, 0};
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return {Status::WouldBlock, 0};
        return {Status::Failed, 0};
    }
}

Transport::Result Transport::writePlain(const char *bytes, qsizetype size)
{
    while (true) {
        const ssize_t n = ::send(m_socket.fd, bytes, std::size_t(size), MSG_NOSIGNAL);
        if (n >= 0)
            return {Status::Ok, qsizetype(n)};
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return {Status::WouldBlock, 0};
        return {Status::Failed, 0};
    }
}

Transport::Result Transport::readTls(char *buffer, qsizetype size)
{
    ERR_clear_error(); // SSL_get_error() reads this thread's queue: nothing from another connection may be in it
    std::size_t read = 0;
    const int result = SSL_read_ex(m_ssl, buffer, std::size_t(size), &read);
    m_readDrained = result != 1;
    if (result == 1)
        return {Status::Ok, qsizetype(read)};
    return tlsFailure(SSL_get_error(m_ssl, result), true);
}

Transport::Result Transport::writeTls(const char *bytes, qsizetype size)
{
    ERR_clear_error();
    std::size_t written = 0;
    // A write retried after WouldBlock starts at the same plaintext byte, perhaps from a moved buffer
    // and with more bytes behind it: SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER and a length never shorter
    // than the first try keep OpenSSL content (tlscontext.cpp).
    const int result = SSL_write_ex(m_ssl, bytes, std::size_t(size), &written);
    if (result == 1)
        return {Status::Ok, qsizetype(written)};
    return tlsFailure(SSL_get_error(m_ssl, result), false);
}

Transport::Result Transport::tlsFailure(int sslError, bool reading)
{
    switch (sslError) {
    case SSL_ERROR_WANT_READ:
        if (!reading)
            writeWantsRead = true;
        return {Status::WouldBlock, 0};
    case SSL_ERROR_WANT_WRITE:
        if (reading)
            readWantsWrite = true;
        return {Status::WouldBlock, 0};
    case SSL_ERROR_ZERO_RETURN:
        return {Status::Eof, 0};
    default:
        break;
    }
    if (m_socket.eof) {
        // The client closed the TCP connection (in the handshake, or without close_notify): an end, not
        // a failure worth a log line. HTTP's own framing tells a cut request from a whole one.
        ERR_clear_error();
        return {Status::Eof, 0};
    }
    const QString stage = SSL_is_init_finished(m_ssl) ? QStringLiteral("TLS") : QStringLiteral("TLS handshake");
    if (sslError == SSL_ERROR_SYSCALL) {
        m_failure = QStringLiteral("%1: %2").arg(stage, errnoText(m_socket.lastErrno));
        // A client that resets its connection (wrk at the end of a run, a browser tab closed) is as
        // ordinary over TLS as over plain HTTP, where it is not logged either.
        m_failureIsOrdinary = m_socket.lastErrno == ECONNRESET || m_socket.lastErrno == EPIPE;
    } else
        m_failure = QStringLiteral("%1: %2").arg(stage, openSslReason());
    ERR_clear_error();
    return {Status::Failed, 0};
}

bool Transport::sendCloseNotify()
{
    if (!m_ssl || m_closeNotifySent)
        return true;
    if (!SSL_is_init_finished(m_ssl)) {
        m_closeNotifySent = true; // no session to close
        return true;
    }
    ERR_clear_error();
    const int result = SSL_shutdown(m_ssl);
    if (result < 0 && SSL_get_error(m_ssl, result) == SSL_ERROR_WANT_WRITE)
        return false;
    m_closeNotifySent = true; // sent, or the connection is failing anyway: the TCP close follows
    ERR_clear_error();
    return true;
}

bool Transport::tlsPending() const
{
    // Decrypted bytes, or (read-ahead) received bytes not decrypted yet.
    return SSL_has_pending(m_ssl) == 1;
}

bool Transport::hasUnreadBytes() const
{
    if (m_ssl && tlsPending())
        return true;
    char byte;
    return ::recv(m_socket.fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

} // namespace organizer::http
