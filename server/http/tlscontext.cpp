#include "tlscontext.h"

#include "opensslhandles.h"

#include <QFile>
#include <QHostAddress>
#include <QStringList>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace organizer::http {

namespace {

using openssl::BioPtr;
using openssl::KeyPtr;
using openssl::X509Ptr;

QDateTime timeOf(const ASN1_TIME *time)
{
    struct tm parts = {};
    if (ASN1_TIME_to_tm(time, &parts) != 1)
        return {};
    return QDateTime(QDate(parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday), QTime(parts.tm_hour, parts.tm_min, parts.tm_sec), Qt::UTC);
}

QString alternativeNamesOf(X509 *certificate)
{
    const openssl::GeneralNamesPtr names(static_cast<GENERAL_NAMES *>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
    if (!names)
        return {};
    QStringList out;
    for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME *name = sk_GENERAL_NAME_value(names.get(), i);
        if (name->type == GEN_DNS) {
            out << QStringLiteral("DNS:") + QString::fromLatin1(reinterpret_cast<const char *>(ASN1_STRING_get0_data(name->d.dNSName)));
        } else if (name->type == GEN_IPADD) {
            const int length = ASN1_STRING_length(name->d.iPAddress);
            const unsigned char *bytes = ASN1_STRING_get0_data(name->d.iPAddress);
            if (length == 4)
                out << QStringLiteral("IP:%1.%2.%3.%4").arg(bytes[0]).arg(bytes[1]).arg(bytes[2]).arg(bytes[3]);
            else if (length == 16) {
                Q_IPV6ADDR address;
                std::copy(bytes, bytes + 16, address.c);
                out << QStringLiteral("IP:") + QHostAddress(address).toString();
            }
        }
    }
    return out.join(QStringLiteral(", "));
}

} // namespace

TlsContext::~TlsContext()
{
    SSL_CTX_free(m_context);
}

Expected<std::shared_ptr<const TlsContext>, QString> TlsContext::fromPem(const QByteArray &certificateChainPem, const QByteArray &privateKeyPem)
{
    ERR_clear_error();
    BioPtr chain(BIO_new_mem_buf(certificateChainPem.constData(), int(certificateChainPem.size())));
    X509Ptr leaf(PEM_read_bio_X509(chain.get(), nullptr, nullptr, nullptr));
    if (!leaf)
        return Unexpected<QString>(QStringLiteral("the certificate file holds no PEM certificate (%1)").arg(openssl::takeLastError()));
    BioPtr keyBio(BIO_new_mem_buf(privateKeyPem.constData(), int(privateKeyPem.size())));
    KeyPtr key(PEM_read_bio_PrivateKey(keyBio.get(), nullptr, nullptr, nullptr));
    if (!key)
        return Unexpected<QString>(
            QStringLiteral("the key file holds no unencrypted PEM private key (%1); an encrypted one must be decrypted first").arg(openssl::takeLastError()));

    std::shared_ptr<TlsContext> context(new TlsContext);
    context->m_context = SSL_CTX_new(TLS_server_method());
    SSL_CTX *ctx = context->m_context;
    if (!ctx)
        return Unexpected<QString>(QStringLiteral("cannot create a TLS context: %1").arg(openssl::takeLastError()));
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    // A client that closes the TCP connection without close_notify (most do, between requests) ends the
    // stream like one that sends it: HTTP's own framing (Content-Length, chunked) tells a cut request
    // from a whole one, and no answer here is framed by the connection's end.
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_IGNORE_UNEXPECTED_EOF);
    // TLS 1.2: forward-secret AEAD suites only (Mozilla's "intermediate" list); TLS 1.3's defaults are all such.
    SSL_CTX_set_cipher_list(ctx,
                            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                            "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
    // A worker writes from its own buffer and may retry a partial write from a moved one.
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
    SSL_CTX_set_alpn_select_cb(
        ctx,
        [](SSL *, const unsigned char **out, unsigned char *outLength, const unsigned char *in, unsigned int inLength, void *) -> int {
            static const unsigned char http11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
            unsigned char *selected = nullptr;
            if (SSL_select_next_proto(&selected, outLength, http11, sizeof http11, in, inLength) != OPENSSL_NPN_NEGOTIATED)
                return SSL_TLSEXT_ERR_NOACK; // a client that offers only h2 still gets HTTP/1.1, as without ALPN
            *out = selected;
            return SSL_TLSEXT_ERR_OK;
        },
        nullptr);

    if (SSL_CTX_use_certificate(ctx, leaf.get()) != 1)
        return Unexpected<QString>(QStringLiteral("the certificate cannot be used: %1").arg(openssl::takeLastError()));
    while (X509 *intermediate = PEM_read_bio_X509(chain.get(), nullptr, nullptr, nullptr)) {
        if (SSL_CTX_add0_chain_cert(ctx, intermediate) != 1) {
            X509_free(intermediate);
            return Unexpected<QString>(QStringLiteral("an intermediate certificate cannot be used: %1").arg(openssl::takeLastError()));
        }
    }
    ERR_clear_error(); // the end of the chain reads as a "no start line" error
    if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1)
        return Unexpected<QString>(QStringLiteral("the private key does not belong to the certificate (%1)").arg(openssl::takeLastError()));
    context->m_notAfter = timeOf(X509_get0_notAfter(leaf.get()));
    context->m_subjectAltNames = alternativeNamesOf(leaf.get());
    return std::shared_ptr<const TlsContext>(std::move(context));
}

Expected<std::shared_ptr<const TlsContext>, QString> TlsContext::fromFiles(const QString &certificateChainFile, const QString &privateKeyFile)
{
    QFile chain(certificateChainFile);
    if (!chain.open(QIODevice::ReadOnly))
        return Unexpected<QString>(QStringLiteral("cannot read the certificate %1: %2").arg(certificateChainFile, chain.errorString()));
    QFile key(privateKeyFile);
    if (!key.open(QIODevice::ReadOnly))
        return Unexpected<QString>(QStringLiteral("cannot read the private key %1: %2").arg(privateKeyFile, key.errorString()));
    auto context = fromPem(chain.readAll(), key.readAll());
    if (!context)
        return Unexpected<QString>(QStringLiteral("%1 / %2: %3").arg(certificateChainFile, privateKeyFile, context.error()));
    return context;
}

} // namespace organizer::http
