// The HTTP server over TLS, on real sockets with a real OpenSSL client: every HTTP rule of the plain
// server holds for the plaintext (keep-alive, pipelining, large answers and bodies, 100-continue,
// back-pressure, the access log, graceful shutdown); the handshake is bounded by the request timeout;
// garbage, plain HTTP and old protocol versions are turned away; ALPN says http/1.1; a certificate
// swapped while serving reaches new connections only; a refusal at the cap closes the connection.

#include "accesslog.h"
#include "httpserver.h"
#include "testhttp.h"
#include "tlscontext.h"
#include "waitfor.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QFile>
#include <QLoggingCategory>
#include <QMutex>
#include <QTcpSocket>
#include <QTemporaryFile>
#include <QThread>
#include <QTimer>

#include <gtest/gtest.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <memory>
#include <vector>

#include <arpa/inet.h>
#include <csignal>
#include <pthread.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace organizer;
using namespace organizer::test;

namespace {

// ---------------------------------------------------------------------------------------------
// A self-signed EC P-256 certificate for "localhost" and 127.0.0.1, made with OpenSSL's API.

struct Certificate
{
    QByteArray certificatePem;
    QByteArray keyPem;
    std::shared_ptr<X509> certificate;
};

QByteArray pemOf(const std::function<int(BIO *)> &write)
{
    BIO *bio = BIO_new(BIO_s_mem());
    write(bio);
    char *data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    QByteArray out(data, length);
    BIO_free(bio);
    return out;
}

Certificate makeCertificate(const char *commonName, long serial)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *certificate = X509_new();
    X509_set_version(certificate, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(certificate), serial);
    X509_gmtime_adj(X509_getm_notBefore(certificate), -60);
    X509_gmtime_adj(X509_getm_notAfter(certificate), 3600);
    X509_set_pubkey(certificate, key);
    X509_NAME *name = X509_get_subject_name(certificate);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char *>(commonName), -1, -1, 0);
    X509_set_issuer_name(certificate, name);
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
    X509_EXTENSION *names = X509V3_EXT_conf_nid(nullptr, &context, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    X509_add_ext(certificate, names, -1);
    X509_EXTENSION_free(names);
    X509_sign(certificate, key, EVP_sha256());
    Certificate out;
    out.certificatePem = pemOf([&](BIO *bio) { return PEM_write_bio_X509(bio, certificate); });
    out.keyPem = pemOf([&](BIO *bio) { return PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr); });
    out.certificate.reset(certificate, X509_free);
    EVP_PKEY_free(key);
    return out;
}

std::shared_ptr<const http::TlsContext> contextFor(const Certificate &certificate)
{
    auto context = http::TlsContext::fromPem(certificate.certificatePem, certificate.keyPem);
    EXPECT_TRUE(bool(context)) << (context ? std::string() : context.error().toStdString());
    return context ? *context : nullptr;
}

const Certificate &firstCertificate()
{
    static const Certificate certificate = makeCertificate("first", 1);
    return certificate;
}

const Certificate &secondCertificate()
{
    static const Certificate certificate = makeCertificate("second", 2);
    return certificate;
}

// ---------------------------------------------------------------------------------------------
// The server, owned by a thread of its own (as in http_server_test): the test's thread only blocks in
// socket calls.

class ServerThread
{
public:
    explicit ServerThread(std::shared_ptr<const http::TlsContext> tls, http::ConnectionLimits limits = {}, qsizetype maxBody = 64 * 1024,
                          http::AccessLog *log = nullptr)
    {
        m_thread.start();
        m_context.moveToThread(&m_thread);
        QMetaObject::invokeMethod(
            &m_context,
            [&] {
                m_server = new http::Server([this](const http::Request &request, http::Responder respond) { handle(request, std::move(respond)); });
                m_server->setLimits(limits);
                m_server->setMaxBodySize(maxBody);
                m_server->setAccessLog(log);
                m_server->setTlsContext(tls);
                QString error;
                m_port = m_server->listenOn(QHostAddress::LocalHost, 0, &error);
            },
            Qt::BlockingQueuedConnection);
    }
    ~ServerThread()
    {
        QMetaObject::invokeMethod(
            &m_context, [&] { delete m_server; }, Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
    }

    quint16 port() const { return m_port; }
    http::Server &server() { return *m_server; }
    qsizetype servedCount() const
    {
        QMutexLocker lock(&m_mutex);
        return m_served;
    }

private:
    void handle(const http::Request &request, http::Responder respond)
    {
        {
            QMutexLocker lock(&m_mutex);
            ++m_served;
        }
        http::Response response;
        response.setHeader("content-type", "text/plain");
        if (request.path == QLatin1String("/echo")) {
            response.body = request.body;
        } else if (request.path == QLatin1String("/slow")) {
            const int ms = request.query.value(u"ms").toInt();
            response.body = "slow " + QByteArray::number(ms);
            QTimer::singleShot(ms, [respond, response] { respond(response); });
            return;
        } else if (request.path == QLatin1String("/big")) {
            QByteArray body(request.query.value(u"kb").toInt() * 1024, 'b');
            for (qsizetype i = 0; i < body.size(); i += 1024)
                body[i] = char('A' + (i / 1024) % 26); // a byte out of place would show
            response.body = body;
        } else {
            response.body = request.path.toUtf8();
        }
        respond(response);
    }

    QThread m_thread;
    QObject m_context;
    http::Server *m_server = nullptr;
    quint16 m_port = 0;
    mutable QMutex m_mutex;
    qsizetype m_served = 0;
};

QByteArray expectedBig(int kb)
{
    QByteArray body(kb * 1024, 'b');
    for (qsizetype i = 0; i < body.size(); i += 1024)
        body[i] = char('A' + (i / 1024) % 26);
    return body;
}

QByteArray get(const QByteArray &target, const QByteArray &extra = {})
{
    return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + extra + "\r\n";
}

QString openSslError()
{
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0)
        return QStringLiteral("(no OpenSSL error)");
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return QString::fromLatin1(text);
}

// ---------------------------------------------------------------------------------------------
// A blocking OpenSSL client that trusts the given certificates and checks the name "localhost".

// The client writes through OpenSSL's socket BIO (write()): to a connection the server has already
// reset (a refusal, or an alert OpenSSL sends after the server closed) that raises SIGPIPE in the
// writing thread. It is held back and discarded in the client's calls only: the server's threads
// keep the default action, so a server write without MSG_NOSIGNAL still ends the test.
class ClientSigpipeGuard
{
public:
    ClientSigpipeGuard() { pthread_sigmask(SIG_BLOCK, &pipeOnly(), &m_previous); }
    ~ClientSigpipeGuard()
    {
        const timespec now{};
        while (sigtimedwait(&pipeOnly(), nullptr, &now) == SIGPIPE) {}
        pthread_sigmask(SIG_SETMASK, &m_previous, nullptr);
    }
    ClientSigpipeGuard(const ClientSigpipeGuard &) = delete;
    ClientSigpipeGuard &operator=(const ClientSigpipeGuard &) = delete;

private:
    static const sigset_t &pipeOnly()
    {
        static const sigset_t set = [] {
            sigset_t pipe;
            sigemptyset(&pipe);
            sigaddset(&pipe, SIGPIPE);
            return pipe;
        }();
        return set;
    }
    sigset_t m_previous{};
};

struct Reply
{
    int status = 0;
    QByteArray head;
    QByteArray body;
};

class TlsClient
{
public:
    struct Options
    {
        int maxVersion = 0; // 0: OpenSSL's default
        QByteArray alpn = QByteArray("\x08http/1.1", 9); // wire format; empty: no ALPN
        int receiveBuffer = 0; // SO_RCVBUF before connecting, 0: the system's
        bool holdRecords = false; // after the handshake, write() is replaced by sealed() + sendRaw(): the test cuts the records
    };

    TlsClient() : TlsClient({&firstCertificate(), &secondCertificate()}, Options()) {}
    TlsClient(const std::vector<const Certificate *> &trusted) : TlsClient(trusted, Options()) {}
    TlsClient(const std::vector<const Certificate *> &trusted, const Options &options) : m_options(options)
    {
        m_context = SSL_CTX_new(TLS_client_method());
        X509_STORE *store = SSL_CTX_get_cert_store(m_context);
        for (const Certificate *certificate : trusted)
            X509_STORE_add_cert(store, certificate->certificate.get());
        SSL_CTX_set_verify(m_context, SSL_VERIFY_PEER, nullptr);
        if (options.maxVersion) {
            // Old versions are allowed here, so a refusal can only have come from the server.
            SSL_CTX_set_security_level(m_context, 0);
            SSL_CTX_set_cipher_list(m_context, "DEFAULT:@SECLEVEL=0");
            SSL_CTX_set_min_proto_version(m_context, TLS1_VERSION);
            SSL_CTX_set_max_proto_version(m_context, options.maxVersion);
        }
        if (!options.alpn.isEmpty())
            SSL_CTX_set_alpn_protos(m_context, reinterpret_cast<const unsigned char *>(options.alpn.constData()), unsigned(options.alpn.size()));
    }
    ~TlsClient()
    {
        if (m_ssl)
            SSL_free(m_ssl);
        if (m_fd >= 0)
            ::close(m_fd);
        SSL_CTX_free(m_context);
    }

    // TCP, then the handshake; false with error() set if either fails.
    bool connect(quint16 port, int timeoutMs = 10000)
    {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (m_options.receiveBuffer > 0)
            ::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &m_options.receiveBuffer, sizeof m_options.receiveBuffer);
        timeval slice{0, 50'000}; // reads wake up to look at their deadline
        ::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &slice, sizeof slice);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(m_fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
            m_error = QStringLiteral("connect: %1").arg(QString::fromLocal8Bit(strerror(errno)));
            return false;
        }
        m_ssl = SSL_new(m_context);
        SSL_set_fd(m_ssl, m_fd);
        SSL_set_tlsext_host_name(m_ssl, "localhost");
        SSL_set1_host(m_ssl, "localhost");
        if (m_options.holdRecords)
            SSL_set0_wbio(m_ssl, BIO_new(BIO_s_mem())); // what OpenSSL writes waits there; reads stay on the socket
        QDeadlineTimer deadline(timeoutMs);
        const ClientSigpipeGuard guard;
        while (true) {
            ERR_clear_error();
            const int result = SSL_connect(m_ssl);
            if (m_options.holdRecords)
                sendRaw(takeHeld());
            if (result == 1)
                return true;
            const int error = SSL_get_error(m_ssl, result);
            if (error == SSL_ERROR_WANT_READ && !deadline.hasExpired())
                continue;
            m_error = QStringLiteral("handshake failed (%1): %2").arg(error).arg(openSslError());
            return false;
        }
    }
    QString error() const { return m_error; }
    int descriptor() const { return m_fd; }

    // holdRecords: `plaintext` as the TLS records OpenSSL makes of it, not sent.
    QByteArray sealed(const QByteArray &plaintext)
    {
        write(plaintext);
        return takeHeld();
    }
    // Bytes straight onto the TCP connection.
    void sendRaw(const QByteArray &bytes)
    {
        qsizetype sent = 0;
        while (sent < bytes.size()) {
            const ssize_t n = ::send(m_fd, bytes.constData() + sent, std::size_t(bytes.size() - sent), MSG_NOSIGNAL);
            if (n <= 0) {
                ADD_FAILURE() << "send failed: " << strerror(errno);
                return;
            }
            sent += n;
        }
    }

    void write(const QByteArray &bytes)
    {
        const ClientSigpipeGuard guard;
        qsizetype sent = 0;
        while (sent < bytes.size()) {
            ERR_clear_error();
            const int n = SSL_write(m_ssl, bytes.constData() + sent, int(bytes.size() - sent));
            if (n <= 0) {
                ADD_FAILURE() << "SSL_write failed: " << openSslError().toStdString();
                return;
            }
            sent += n;
        }
    }

    // Reads until `count` whole answers (interim 1xx included) have arrived in all, or the timeout.
    const QList<Reply> &readReplies(int count, int timeoutMs = 10000)
    {
        QDeadlineTimer deadline(timeoutMs);
        while (m_replies.size() < count && !m_closed && !deadline.hasExpired())
            readSome();
        return m_replies;
    }
    const QList<Reply> &replies() const { return m_replies; }
    const QByteArray &unparsed() const { return m_buffer; }

    // Reads until the server closes the connection; false if it has not within the timeout.
    bool waitClosed(int timeoutMs)
    {
        QDeadlineTimer deadline(timeoutMs);
        while (!m_closed && !deadline.hasExpired())
            readSome();
        return m_closed;
    }
    bool closedWithCloseNotify() const { return m_closeNotify; }

    X509 *peerCertificate() const { return SSL_get0_peer_certificate(m_ssl); }
    QByteArray alpn() const
    {
        const unsigned char *selected = nullptr;
        unsigned int length = 0;
        SSL_get0_alpn_selected(m_ssl, &selected, &length);
        return QByteArray(reinterpret_cast<const char *>(selected), length);
    }
    QByteArray protocol() const { return SSL_get_version(m_ssl); }

private:
    QByteArray takeHeld()
    {
        QByteArray held;
        char chunk[4096];
        int n;
        while ((n = BIO_read(SSL_get_wbio(m_ssl), chunk, sizeof chunk)) > 0)
            held.append(chunk, n);
        return held;
    }
    void readSome()
    {
        char buffer[64 * 1024];
        const ClientSigpipeGuard guard;
        ERR_clear_error();
        const int n = SSL_read(m_ssl, buffer, sizeof buffer);
        if (n > 0) {
            m_buffer.append(buffer, n);
            parse();
            return;
        }
        const int error = SSL_get_error(m_ssl, n);
        if (error == SSL_ERROR_WANT_READ)
            return; // a slice of the timeout passed
        m_closeNotify = error == SSL_ERROR_ZERO_RETURN;
        m_closed = true;
        ERR_clear_error();
    }
    void parse()
    {
        while (true) {
            const qsizetype headEnd = m_buffer.indexOf("\r\n\r\n");
            if (headEnd < 0)
                return;
            Reply reply;
            reply.head = m_buffer.left(headEnd + 4);
            reply.status = reply.head.mid(9, 3).toInt();
            qsizetype length = 0;
            for (const QByteArray &line : reply.head.split('\n')) {
                if (line.toLower().startsWith("content-length:"))
                    length = line.mid(15).trimmed().toLongLong();
            }
            if (reply.status < 200)
                length = 0;
            if (m_buffer.size() < headEnd + 4 + length)
                return;
            reply.body = m_buffer.mid(headEnd + 4, length);
            m_buffer.remove(0, headEnd + 4 + length);
            m_replies.append(reply);
        }
    }

    Options m_options;
    SSL_CTX *m_context = nullptr;
    SSL *m_ssl = nullptr;
    int m_fd = -1;
    QString m_error;
    QByteArray m_buffer;
    QList<Reply> m_replies;
    bool m_closed = false;
    bool m_closeNotify = false;
};

// The access category's info lines while it lives (the test main silences them otherwise).
class LogCapture
{
public:
    LogCapture()
    {
        s_current = this;
        QLoggingCategory::setFilterRules(QStringLiteral("organizer.*.info=false\norganizer.*.debug=false\norganizer.server.access.info=true"));
        m_previous = qInstallMessageHandler(&LogCapture::handle);
    }
    ~LogCapture()
    {
        qInstallMessageHandler(m_previous);
        QLoggingCategory::setFilterRules(QStringLiteral("organizer.*.info=false\norganizer.*.debug=false"));
        s_current = nullptr;
    }
    QStringList lines() const
    {
        QMutexLocker lock(&m_mutex);
        return m_lines;
    }

private:
    static void handle(QtMsgType type, const QMessageLogContext &context, const QString &message)
    {
        if (type == QtInfoMsg && s_current && qstrcmp(context.category, "organizer.server.access") == 0) {
            QMutexLocker lock(&s_current->m_mutex);
            s_current->m_lines.append(message);
        }
    }

    static inline LogCapture *s_current = nullptr;
    QtMessageHandler m_previous = nullptr;
    mutable QMutex m_mutex;
    QStringList m_lines;
};

// A raw TCP connection that writes `bytes` (maybe none) and reads until the server closes it.
struct RawResult
{
    QByteArray received;
    bool closed = false;
    qint64 elapsedMs = 0;
};

RawResult rawUntilClosed(quint16 port, const QByteArray &bytes, int timeoutMs)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    RawResult result;
    if (!socket.waitForConnected(5000))
        return result;
    QElapsedTimer timer;
    timer.start();
    if (!bytes.isEmpty()) {
        socket.write(bytes);
        socket.flush();
    }
    QDeadlineTimer deadline(timeoutMs);
    while (socket.state() == QAbstractSocket::ConnectedState && !deadline.hasExpired()) {
        socket.waitForReadyRead(20);
        result.received += socket.readAll();
    }
    result.received += socket.readAll();
    result.closed = socket.state() != QAbstractSocket::ConnectedState;
    result.elapsedMs = timer.elapsed();
    return result;
}

} // namespace

// ---------------------------------------------------------------------------------------------

TEST(HttpTls, AGetIsAnsweredOverTlsAndLogged)
{
    QTemporaryFile logFile;
    ASSERT_TRUE(logFile.open());
    http::AccessLog log(logFile.handle(), http::AccessLog::Format::Combined);
    {
        ServerThread server(contextFor(firstCertificate()), {}, 64 * 1024, &log);
        ASSERT_NE(server.port(), 0);
        EXPECT_TRUE(server.server().servesTls());
        TlsClient client;
        ASSERT_TRUE(client.connect(server.port())) << client.error().toStdString();
        EXPECT_EQ(X509_cmp(client.peerCertificate(), firstCertificate().certificate.get()), 0);
        EXPECT_TRUE(client.protocol() == "TLSv1.3" || client.protocol() == "TLSv1.2") << client.protocol().toStdString();
        client.write(get("/hello?code=secret", "User-Agent: tls-test\r\n"));
        const QList<Reply> &replies = client.readReplies(1);
        ASSERT_EQ(replies.size(), 1);
        EXPECT_EQ(replies[0].status, 200);
        EXPECT_EQ(replies[0].body, "/hello");
    }
    log.flush();
    QFile written(logFile.fileName());
    ASSERT_TRUE(written.open(QIODevice::ReadOnly));
    const QByteArray lines = written.readAll();
    EXPECT_TRUE(lines.contains("\"GET /hello HTTP/1.1\" 200 6")) << lines.toStdString();
    EXPECT_TRUE(lines.contains("tls-test")) << lines.toStdString();
    EXPECT_FALSE(lines.contains("secret"));
}

TEST(HttpTls, KeepAliveServesSeveralRequestsOnOneConnectionAndCloseSendsCloseNotify)
{
    ServerThread server(contextFor(firstCertificate()));
    TlsClient client;
    ASSERT_TRUE(client.connect(server.port())) << client.error().toStdString();
    for (int i = 0; i < 5; ++i) {
        const QByteArray path = "/request-" + QByteArray::number(i);
        client.write(get(path));
        const QList<Reply> &replies = client.readReplies(i + 1);
        ASSERT_EQ(replies.size(), i + 1) << "request " << i;
        EXPECT_EQ(replies.last().body, path);
        EXPECT_FALSE(replies.last().head.contains("connection: close"));
    }
    client.write(get("/last", "Connection: close\r\n"));
    ASSERT_EQ(client.readReplies(6).size(), 6);
    EXPECT_TRUE(client.replies().last().head.contains("connection: close\r\n"));
    EXPECT_TRUE(client.waitClosed(5000)) << "Connection: close was not honoured";
    EXPECT_TRUE(client.closedWithCloseNotify()) << "the server closed without close_notify";
}

TEST(HttpTls, PipelinedRequestsAreAnsweredInOrderEvenWhenTheFirstIsSlowest)
{
    ServerThread server(contextFor(firstCertificate()));
    TlsClient client;
    ASSERT_TRUE(client.connect(server.port())) << client.error().toStdString();
    client.write(get("/slow?ms=200") + get("/fast") + get("/slow?ms=20") + get("/big?kb=100") + get("/last"));
    const QList<Reply> &replies = client.readReplies(5);
    ASSERT_EQ(replies.size(), 5);
    EXPECT_EQ(replies[0].body, "slow 200");
    EXPECT_EQ(replies[1].body, "/fast");
    EXPECT_EQ(replies[2].body, "slow 20");
    EXPECT_EQ(replies[3].body, expectedBig(100));
    EXPECT_EQ(replies[4].body, "/last");
}

TEST(HttpTls, ThousandsOfPipelinedRequestsPastTheReadBufferAreAllAnswered)
{
    // More pipelined bytes than a connection buffers (the header limit plus one 64 KiB read), in many
    // TLS records, with few answers allowed ahead: reading stops and resumes many times.
    http::ConnectionLimits limits;
    limits.maxHeaderBytes = 1024;
    limits.maxPipelinedRequests = 4;
    ServerThread server(contextFor(firstCertificate()), limits);
    TlsClient client;
    ASSERT_TRUE(client.connect(server.port())) << client.error().toStdString();
    const int requests = 3000;
    QByteArray all;
    for (int i = 0; i < requests; ++i)
        all += get("/p" + QByteArray::number(i));
    ASSERT_GT(all.size(), 1024 + 64 * 1024);
    client.write(all);
    const QList<Reply> &replies = client.readReplies(requests, 30000);
    ASSERT_EQ(replies.size(), requests);
    for (int i = 0; i < requests; ++i)
        ASSERT_EQ(replies[i].body, "/p" + QByteArray::number(i)) << "answer " << i;
}

qint64 processCpuMs()
{
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000 + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000;
}

TEST(HttpTls, ARecordThatArrivesInPartsIsWaitedForWithoutSpinning)
{
    // The server's OpenSSL reads ahead, so one read can take a whole record and part of the next. That
    // part cannot be decrypted before its rest comes, which epoll reports: the worker must wait for it
    // rather than go back to OpenSSL again and again (or forever).
    ServerThread server(contextFor(firstCertificate()));
    TlsClient::Options options;
    options.holdRecords = true;
    TlsClient client({&firstCertificate()}, options);
    ASSERT_TRUE(client.connect(server.port())) << client.error().toStdString();
    client.sendRaw(client.sealed(get("/handshake-done"))); // answered once the server has finished the handshake
    ASSERT_EQ(client.readReplies(1).size(), 1);
    const QByteArray first = client.sealed(get("/first"));
    const QByteArray second = client.sealed(get("/second"));
    const qsizetype half = second.size() / 2;
    client.sendRaw(first + second.left(half));
    ASSERT_EQ(client.readReplies(2).size(), 2);
    EXPECT_EQ(client.replies()[1].body, "/first");
    const qint64 cpuBefore = processCpuMs();
    QThread::msleep(500); // the client only waits meanwhile: any CPU time spent is the server's
    const qint64 spent = processCpuMs() - cpuBefore;
    // Waiting costs next to nothing; a worker going round would spend far more even on a busy machine.
    EXPECT_LT(spent, 50) << "the server spent " << spent << " ms of CPU in 500 ms waiting for the rest of a record";
    client.sendRaw(second.mid(half));
    ASSERT_EQ(client.readReplies(3).size(), 3);
    EXPECT_EQ(client.replies()[2].body, "/second");
}

TEST(HttpTls, ALargeResponseArrivesWholeThroughASmallReceiveBuffer)
{
    ServerThread server(contextFor(firstCertificate()));
    TlsClient::Options options;
    options.receiveBuffer = 16 * 1024; // the server's writes block many times: partial writes and retries
    TlsClient client({&firstCertificate()}, options);
    ASSERT_TRUE(client.connect(server.port())) << client.error().toStdString();
    client.write(get("/big?kb=8192") + get("/after"));
    const QList<Reply> &replies = client.readReplies(2, 30000);
    ASSERT_EQ(replies.size(), 2);
    EXPECT_EQ(replies[0].body.size(), 8192 * 1024);
    EXPECT_TRUE(replies[0].body == expectedBig(8192)) << "the body arrived altered";
    EXPECT_EQ(replies[1].body, "/after");
}

TEST(HttpTls, AClientThatDoesNotReadIsNotReadFromAndGetsEverythingOnceItReads)
{
    http::ConnectionLimits limits;
    limits.maxUnsentBytes = 256 * 1024;
    ServerThread server(contextFor(firstCertificate()), limits);
    TlsClient::Options options;
    options.receiveBuffer = 16 * 1024;
    TlsClient client({&firstCertificate()}, options);
    ASSERT_TRUE(client.connect(server.port())) << client.error().toStdString();
    const int requests = 400;
    QByteArray all;
    for (int i = 0; i < requests; ++i)
        all += get("/big?kb=32");
    client.write(all);
    // Nothing is read for a while: what the server produces meanwhile is bounded by the kernel's
    // buffers plus maxUnsentBytes, far from the 12.5 MiB all the answers make.
    QThread::msleep(1500);
    const qsizetype servedWhileStalled = server.servedCount();
    EXPECT_LT(servedWhileStalled, requests / 2) << "served " << servedWhileStalled << " answers nobody read";
    EXPECT_GT(servedWhileStalled, 0);
    const QList<Reply> &replies = client.readReplies(requests, 60000);
    ASSERT_EQ(replies.size(), requests);
    const QByteArray expected = expectedBig(32);
    for (int i = 0; i < requests; ++i)
        ASSERT_TRUE(replies[i].body == expected) << "answer " << i;
}

TEST(HttpTls, ALargeChunkedBodyArrivesWhole)
{
    ServerThread server(contextFor(firstCertificate()), {}, 4 * 1024 * 1024);
    TlsClient client;
    ASSERT_TRUE(client.connect(server.port())) << client.error().toStdString();
    QByteArray body;
    QByteArray chunked;
    for (int i = 0; i < 2048; ++i) {
        const QByteArray chunk = QByteArray(1000 + i % 50, char('a' + i % 26));
        body += chunk;
        chunked += QByteArray::number(chunk.size(), 16) + "\r\n" + chunk + "\r\n";
    }
    chunked += "0\r\n\r\n";
    client.write("POST /echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked);
    const QList<Reply> &replies = client.readReplies(1, 30000);
    ASSERT_EQ(replies.size(), 1);
    EXPECT_EQ(replies[0].status, 200);
    EXPECT_EQ(replies[0].body.size(), body.size());
    EXPECT_TRUE(replies[0].body == body) << "the body arrived altered";
}

TEST(HttpTls, ExpectContinueIsAnsweredBeforeTheBody)
{
    ServerThread server(contextFor(firstCertificate()), {}, 1024);
    TlsClient client;
    ASSERT_TRUE(client.connect(server.port())) << client.error().toStdString();
    client.write("POST /echo HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    const QList<Reply> &interim = client.readReplies(1);
    ASSERT_EQ(interim.size(), 1);
    EXPECT_EQ(interim[0].head, "HTTP/1.1 100 Continue\r\n\r\n");
    client.write("hello");
    const QList<Reply> &replies = client.readReplies(2);
    ASSERT_EQ(replies.size(), 2);
    EXPECT_EQ(replies[1].status, 200);
    EXPECT_EQ(replies[1].body, "hello");
}

TEST(HttpTls, AClientThatNeverFinishesTheHandshakeIsClosedAfterTheRequestTimeoutUnanswered)
{
    http::ConnectionLimits limits;
    limits.requestTimeoutMs = 600;
    ServerThread server(contextFor(firstCertificate()), limits);
    // Connected and silent; then the first five bytes of a ClientHello and nothing more.
    for (const QByteArray &sent : {QByteArray(), QByteArray("\x16\x03\x01\x02\x00", 5)}) {
        const RawResult result = rawUntilClosed(server.port(), sent, 5000);
        EXPECT_TRUE(result.closed) << "a handshake that never ends kept its connection";
        EXPECT_GE(result.elapsedMs, 500) << "closed before the request timeout";
        EXPECT_TRUE(result.received.isEmpty()) << "sent " << result.received.size() << " bytes to a client that never finished its handshake";
    }
    // A finished handshake and no request: closed the same way, and no 408 (nothing can be answered).
    TlsClient client;
    ASSERT_TRUE(client.connect(server.port())) << client.error().toStdString();
    QElapsedTimer timer;
    timer.start();
    EXPECT_TRUE(client.waitClosed(5000));
    EXPECT_TRUE(client.replies().isEmpty() && client.unparsed().isEmpty()) << client.unparsed().toStdString();
    // A request begun and never finished gets its 408, over TLS.
    TlsClient slow;
    ASSERT_TRUE(slow.connect(server.port())) << slow.error().toStdString();
    slow.write("GET /never HTTP/1.1\r\nHost: loc");
    ASSERT_EQ(slow.readReplies(1, 5000).size(), 1);
    EXPECT_EQ(slow.replies()[0].status, 408);
    EXPECT_TRUE(slow.waitClosed(5000));
    EXPECT_TRUE(waitFor([&] { return server.server().openConnections() == 0; }, 5000)) << server.server().openConnections() << " connections left open";
}

TEST(HttpTls, GarbageInsteadOfAHandshakeIsClosedAndTheServerGoesOn)
{
    ServerThread server(contextFor(firstCertificate()));
    QByteArray noise(3000, '\0');
    for (qsizetype i = 0; i < noise.size(); ++i)
        noise[i] = char((i * 7919 + 13) % 251);
    const QList<QByteArray> garbage = {
        QByteArray("\x16\x03\x01\x00\x10", 5) + noise.left(16), // a handshake record holding nonsense
        QByteArray("\x16\x03\x03\xff\xff", 5) + noise, // a record longer than TLS allows
        QByteArray("\x17\x03\x03\x00\x20", 5) + noise.left(32), // application data before any handshake
        QByteArray(1, '\0') + noise, // not TLS at all
        QByteArray("\x80\x2e\x01\x00\x02", 5) + noise.left(45), // an SSLv2-style hello
    };
    LogCapture log;
    for (const QByteArray &bytes : garbage) {
        const qsizetype linesBefore = log.lines().size();
        const RawResult result = rawUntilClosed(server.port(), bytes, 5000);
        EXPECT_TRUE(result.closed) << "garbage starting " << bytes.left(5).toHex().toStdString() << " kept its connection";
        EXPECT_FALSE(result.received.contains("HTTP/1.1")) << "garbage got an HTTP answer";
        // One line, at info level, with the peer and OpenSSL's reason, and none of the bytes.
        const QStringList lines = log.lines().mid(linesBefore);
        ASSERT_EQ(lines.size(), 1) << lines.join(u'\n').toStdString();
        EXPECT_TRUE(lines[0].contains(QLatin1String("127.0.0.1")) && lines[0].contains(QLatin1String("TLS handshake: "))) << lines[0].toStdString();
        EXPECT_LT(lines[0].size(), 200) << lines[0].toStdString();
    }
    TlsClient client;
    ASSERT_TRUE(client.connect(server.port())) << client.error().toStdString();
    client.write(get("/still-serving"));
    ASSERT_EQ(client.readReplies(1).size(), 1);
    EXPECT_EQ(client.replies()[0].body, "/still-serving");
}

TEST(HttpTls, AClientThatResetsItsConnectionIsNotLoggedAsATlsFailure)
{
    // wrk at the end of a run, a closed browser tab: as ordinary over TLS as over plain HTTP. The
    // client leaves a large answer unread and resets, so the server's next TLS write meets the reset.
    ServerThread server(contextFor(firstCertificate()));
    LogCapture log;
    {
        TlsClient client;
        ASSERT_TRUE(client.connect(server.port())) << client.error().toStdString();
        client.write(get("/big?kb=8192"));
        ASSERT_TRUE(waitFor([&] { return server.servedCount() == 1; }, 5000));
        const linger reset{1, 0}; // close() sends RST
        ASSERT_EQ(::setsockopt(client.descriptor(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset), 0);
    }
    ASSERT_TRUE(waitFor([&] { return server.server().openConnections() == 0; }, 5000)) << server.server().openConnections();
    EXPECT_TRUE(log.lines().isEmpty()) << log.lines().join(u'\n').toStdString();
}

TEST(HttpTls, PlainHttpOnTheTlsPortIsAnswered400WithTheHttpsUrl)
{
    ServerThread server(contextFor(firstCertificate()));
    const QByteArray host = "localhost:" + QByteArray::number(server.port());
    {
        const RawExchange exchange = exchangeRaw(server.port(), "GET /contacts?code=abc HTTP/1.1\r\nHost: " + host + "\r\n\r\n", 5000);
        EXPECT_EQ(exchange.statuses(), QList<int>{400}) << exchange.received.toStdString();
        EXPECT_TRUE(exchange.closedByServer);
        EXPECT_TRUE(exchange.received.contains("connection: close\r\n"));
        EXPECT_TRUE(exchange.received.contains("This port speaks HTTPS: use https://" + host + "/contacts")) << exchange.received.toStdString();
        EXPECT_FALSE(exchange.received.contains("code=abc"));
    }
    {
        // A body announced and not sent: answered at once, from the head.
        const RawExchange exchange = exchangeRaw(server.port(), "POST /token HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 1000\r\n\r\n", 5000);
        EXPECT_EQ(exchange.statuses(), QList<int>{400}) << exchange.received.toStdString();
        EXPECT_TRUE(exchange.received.contains("use https://" + host + "/token")) << exchange.received.toStdString();
        EXPECT_TRUE(exchange.closedByServer);
    }
    {
        // Not even HTTP: still told, without a host to name.
        const RawExchange exchange = exchangeRaw(server.port(), "hello there\r\n\r\n", 5000);
        EXPECT_EQ(exchange.statuses(), QList<int>{400}) << exchange.received.toStdString();
        EXPECT_TRUE(exchange.received.contains("This port speaks HTTPS: use https:// instead of http://")) << exchange.received.toStdString();
        EXPECT_TRUE(exchange.closedByServer);
    }
    {
        // A Host that is not a plain host[:port] is not echoed.
        const RawExchange exchange = exchangeRaw(server.port(), "GET / HTTP/1.1\r\nHost: <b>evil</b>\r\n\r\n", 5000);
        EXPECT_EQ(exchange.statuses(), QList<int>{400}) << exchange.received.toStdString();
        EXPECT_FALSE(exchange.received.contains("evil")) << exchange.received.toStdString();
    }
    EXPECT_EQ(server.servedCount(), 0) << "a plain request reached the handler on the TLS port";
}

TEST(HttpTls, Tls11IsRefusedByTheServer)
{
    ServerThread server(contextFor(firstCertificate()));
    TlsClient::Options options;
    options.maxVersion = TLS1_1_VERSION;
    TlsClient client({&firstCertificate()}, options);
    EXPECT_FALSE(client.connect(server.port()));
    EXPECT_TRUE(client.error().contains(QLatin1String("protocol version"))) << client.error().toStdString();

    TlsClient::Options tls12;
    tls12.maxVersion = TLS1_2_VERSION;
    TlsClient modern({&firstCertificate()}, tls12);
    ASSERT_TRUE(modern.connect(server.port())) << modern.error().toStdString();
    EXPECT_EQ(modern.protocol(), "TLSv1.2");
}

TEST(HttpTls, AlpnPicksHttp11)
{
    ServerThread server(contextFor(firstCertificate()));
    {
        TlsClient::Options options;
        options.alpn = QByteArray("\x02h2\x08http/1.1", 12);
        TlsClient client({&firstCertificate()}, options);
        ASSERT_TRUE(client.connect(server.port())) << client.error().toStdString();
        EXPECT_EQ(client.alpn(), "http/1.1");
        client.write(get("/alpn"));
        ASSERT_EQ(client.readReplies(1).size(), 1);
    }
    {
        // A client that offers only h2 still gets HTTP/1.1, as without ALPN.
        TlsClient::Options options;
        options.alpn = QByteArray("\x02h2", 3);
        TlsClient client({&firstCertificate()}, options);
        ASSERT_TRUE(client.connect(server.port())) << client.error().toStdString();
        EXPECT_TRUE(client.alpn().isEmpty());
    }
}

TEST(HttpTls, ACertificateSwappedWhileServingReachesNewConnectionsOnly)
{
    ServerThread server(contextFor(firstCertificate()));
    TlsClient before;
    ASSERT_TRUE(before.connect(server.port())) << before.error().toStdString();
    before.write(get("/one"));
    ASSERT_EQ(before.readReplies(1).size(), 1);

    server.server().setTlsContext(contextFor(secondCertificate())); // from the test's thread, while serving
    TlsClient after;
    ASSERT_TRUE(after.connect(server.port())) << after.error().toStdString();
    EXPECT_EQ(X509_cmp(after.peerCertificate(), secondCertificate().certificate.get()), 0) << "a new connection got the old certificate";
    after.write(get("/new"));
    ASSERT_EQ(after.readReplies(1).size(), 1);
    EXPECT_EQ(after.replies()[0].body, "/new");

    // The connection opened before keeps its session and goes on being served.
    before.write(get("/two"));
    ASSERT_EQ(before.readReplies(2).size(), 2);
    EXPECT_EQ(before.replies()[1].body, "/two");
    EXPECT_EQ(X509_cmp(before.peerCertificate(), firstCertificate().certificate.get()), 0);

    // A client that trusts only the old certificate cannot connect any more.
    TlsClient stale({&firstCertificate()});
    EXPECT_FALSE(stale.connect(server.port()));

    // And no context at all is plain HTTP again.
    server.server().setTlsContext(nullptr);
    EXPECT_FALSE(server.server().servesTls());
    const RawExchange plain = exchangeRaw(server.port(), get("/plain", "Connection: close\r\n"), 5000);
    EXPECT_EQ(plain.statuses(), QList<int>{200}) << plain.received.toStdString();
    EXPECT_TRUE(plain.received.endsWith("/plain"));
    before.write(get("/three"));
    ASSERT_EQ(before.readReplies(3).size(), 3);
    EXPECT_EQ(before.replies()[2].body, "/three");
}

TEST(HttpTls, AConnectionRefusedAtTheCapIsClosedBeforeAnyHandshake)
{
    http::ConnectionLimits limits;
    limits.maxConnectionsPerAddress = 1;
    ServerThread server(contextFor(firstCertificate()), limits);
    auto first = std::make_unique<TlsClient>();
    ASSERT_TRUE(first->connect(server.port())) << first->error().toStdString();
    first->write(get("/first"));
    ASSERT_EQ(first->readReplies(1).size(), 1);

    // Refused: no plain 503 (a TLS client could not read it), no handshake, just the close.
    const RawResult refused = rawUntilClosed(server.port(), {}, 5000);
    EXPECT_TRUE(refused.closed);
    EXPECT_TRUE(refused.received.isEmpty()) << refused.received.toStdString();
    TlsClient second;
    EXPECT_FALSE(second.connect(server.port())) << "a connection past the cap was served";

    // The first goes on; once it closes its slot is free again.
    first->write(get("/still"));
    ASSERT_EQ(first->readReplies(2).size(), 2);
    first.reset();
    ASSERT_TRUE(waitFor([&] { return server.server().openConnections() == 0; }, 5000)) << server.server().openConnections();
    TlsClient third;
    ASSERT_TRUE(third.connect(server.port())) << third.error().toStdString();
    third.write(get("/third"));
    ASSERT_EQ(third.readReplies(1).size(), 1);
    EXPECT_EQ(third.replies()[0].body, "/third");
}

TEST(HttpTls, GracefulShutdownClosesIdleConnectionsAndAnswersTheBusyOnes)
{
    ServerThread server(contextFor(firstCertificate()));
    TlsClient idle;
    ASSERT_TRUE(idle.connect(server.port())) << idle.error().toStdString();
    idle.write(get("/before"));
    ASSERT_EQ(idle.readReplies(1).size(), 1);
    TlsClient busy;
    ASSERT_TRUE(busy.connect(server.port())) << busy.error().toStdString();
    busy.write(get("/slow?ms=300"));
    ASSERT_TRUE(waitFor([&] { return server.servedCount() == 2; }, 5000));

    server.server().stopAcceptingAndCloseAfterAnswers();
    EXPECT_TRUE(idle.waitClosed(5000)) << "an idle TLS connection stayed open";
    ASSERT_EQ(busy.readReplies(1).size(), 1);
    EXPECT_EQ(busy.replies()[0].body, "slow 300");
    EXPECT_TRUE(busy.replies()[0].head.contains("connection: close\r\n"));
    EXPECT_TRUE(busy.waitClosed(5000));
    EXPECT_TRUE(waitFor([&] { return server.server().openConnections() == 0; }, 5000));
}
