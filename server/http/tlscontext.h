#pragma once

// What a server needs to speak TLS: its certificate chain and private key, held in one OpenSSL SSL_CTX
// set up the way current guidance says (TLS 1.2 and 1.3 only, forward-secret AEAD suites, no
// renegotiation, no compression, session tickets for fast resumption, ALPN "http/1.1").
// Immutable once made, so any worker thread may start connections from it; a renewed certificate is a
// new TlsContext handed to Server::setTlsContext(), and connections already open keep the old one.

#include "expected.h"

#include <QByteArray>
#include <QDateTime>
#include <QString>

#include <memory>

using SSL_CTX = struct ssl_ctx_st;

namespace organizer::http {

class TlsContext
{
public:
    ~TlsContext();
    TlsContext(const TlsContext &) = delete;
    TlsContext &operator=(const TlsContext &) = delete;

    // `certificateChainPem`: the server's certificate first, then any intermediates (PEM blocks);
    // `privateKeyPem`: its key, unencrypted (PKCS#8 or traditional). Fails with a reason a person can act
    // on: no certificate, a key that does not match it, an unreadable block.
    static Expected<std::shared_ptr<const TlsContext>, QString> fromPem(const QByteArray &certificateChainPem, const QByteArray &privateKeyPem);
    // The same, read from two files (--tls-cert, --tls-key).
    static Expected<std::shared_ptr<const TlsContext>, QString> fromFiles(const QString &certificateChainFile, const QString &privateKeyFile);

    SSL_CTX *native() const { return m_context; }
    // The server certificate's validity end, for renewal and for what the server says at start.
    QDateTime notAfter() const { return m_notAfter; }
    // The server certificate's subject alternative names as text ("DNS:localhost", "IP Address:127.0.0.1").
    QString subjectAltNames() const { return m_subjectAltNames; }

private:
    TlsContext() = default;
    SSL_CTX *m_context = nullptr;
    QDateTime m_notAfter;
    QString m_subjectAltNames;
};

} // namespace organizer::http
