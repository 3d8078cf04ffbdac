#pragma once

// A certificate authority of this machine's own, so that organizer-server can serve HTTPS with no
// configuration: a long-lived CA the user trusts once (organizer-server ca says how), and short-lived
// server certificates it issues for the names the server is reached by, renewed well before they end.
// Everything lives in <dataDir>/tls/:
//   ca.pem           the CA certificate (0644): what trust stores hold
//   ca-key.pem       its private key (0600)
//   server.pem       the server certificate (0644)
//   server-key.pem   its private key (0600)
// The files are written atomically and under a lock, so a server and `organizer-server ca` started at
// once agree on one CA.

#include "clock.h"
#include "expected.h"

#include <QByteArray>
#include <QDateTime>
#include <QHostAddress>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <memory>

using X509 = struct x509_st;
using EVP_PKEY = struct evp_pkey_st;

namespace organizer::tls {

// A server certificate the local CA issued, with its key, ready for the HTTP layer's TlsContext.
struct ServerCertificate
{
    QByteArray certificatePem;
    QByteArray privateKeyPem;
    QDateTime notAfter;
    // Why it was issued just now ("there was none", "it ends in 9 days", …); empty when the one already
    // on disk was still good.
    QString issuedBecause;
};

class LocalCertificateAuthority
{
public:
    static constexpr qint64 caValidityDays = 3650;
    static constexpr qint64 serverValidityDays = 30;
    // A server certificate with less left than this is reissued (the server asks hourly).
    static constexpr qint64 renewalDays = 10;
    // The CA and its server certificates start this much before they are made: a client whose clock is
    // a little behind still accepts them at once.
    static constexpr qint64 backdateSeconds = 3600;

    // The CA in <dataDir>/tls/, made there when there is none. One that is there but cannot be used
    // (a damaged key, a certificate without its key) is an error, never replaced: the trust stores that
    // hold its certificate would silently stop trusting this server.
    static Expected<LocalCertificateAuthority, QString> open(const QString &dataDir, Clock clock = systemClock());

    LocalCertificateAuthority(LocalCertificateAuthority &&) noexcept;
    LocalCertificateAuthority &operator=(LocalCertificateAuthority &&) noexcept;
    ~LocalCertificateAuthority();

    static QString directoryIn(const QString &dataDir);
    static QString certificatePathIn(const QString &dataDir);
    QString directory() const { return m_directory; }
    QString certificatePath() const;
    QString privateKeyPath() const;
    QString serverCertificatePath() const;
    QString serverPrivateKeyPath() const;

    QByteArray certificatePem() const { return m_certificatePem; }
    QString commonName() const { return m_commonName; }
    QDateTime notAfter() const { return m_notAfter; }
    // Whether open() made the CA just now.
    bool created() const { return m_created; }

    // Why the server certificate on disk cannot serve `names` (DNS names and IP addresses) as it is:
    // missing or unreadable, not issued by this CA, without one of the names, not valid yet, or with
    // less than renewalDays left. Empty when it can.
    QString reasonToReissue(const QStringList &names) const;
    // The server certificate for `names`: the one on disk while it is good, else a new one (a new key,
    // a random serial, valid from an hour ago for serverValidityDays) written in its place.
    Expected<ServerCertificate, QString> serverCertificate(const QStringList &names);

private:
    struct X509Free
    {
        void operator()(X509 *certificate) const;
    };
    struct KeyFree
    {
        void operator()(EVP_PKEY *key) const;
    };

    LocalCertificateAuthority() = default;
    Expected<Done, QString> load();
    Expected<Done, QString> create();
    QString problemWith(const QByteArray &certificatePem, const QByteArray &privateKeyPem, const QStringList &names) const;

    QString m_directory;
    Clock m_clock;
    std::unique_ptr<X509, X509Free> m_certificate;
    std::unique_ptr<EVP_PKEY, KeyFree> m_privateKey;
    QByteArray m_certificatePem;
    QString m_commonName;
    QDateTime m_notAfter;
    bool m_created = false;
};

// The names a server certificate must hold for a server reached at `publicUrl` and listening on
// `bindAddress`: localhost, 127.0.0.1 and ::1 always, the public URL's host (a DNS name in its ASCII
// form, or an IP address), and the bind address when it is a specific address beyond loopback.
QStringList serverNamesFor(const QUrl &publicUrl, const QHostAddress &bindAddress);

} // namespace organizer::tls
