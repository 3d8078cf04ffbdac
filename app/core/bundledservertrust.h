#pragma once

// The bundled server's local certificate authority (organizer-server --tls), trusted by the app for that
// server alone: its HTTP client verifies the bundled server's origin against the system's CAs plus this
// one and every other origin against the system's alone, and its web view overrides a certificate error
// only for the bundled server's origin and only for a chain this CA issued. Nothing is added to a trust
// store of the system or of Chromium.

#include "expected.h"

#include <QDateTime>
#include <QList>
#include <QSslCertificate>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <optional>

namespace organizer::app {

struct BundledServerCa
{
    QSslCertificate certificate;
    QString path; // where it was read from, for messages
    QStringList origins; // as originKey() writes them

    bool covers(const QUrl &url) const;
    QString commonName() const;
};

// scheme://host:port with the port always written (443 for https) and the host lower-case; empty for a
// URL without a host.
QString originKey(const QUrl &url);

// The origins a bundled server announced at `announced` is reached by: that one and, when it is a
// loopback name (localhost, 127.0.0.1, ::1), the other loopback names with the same scheme and port
// (the server's certificate names all three; the server redirects browsers to its canonical one).
QStringList bundledServerOrigins(const QUrl &announced);

// The CA certificate file organizer-server --tls issues from: exactly one PEM certificate, a CA
// (basicConstraints CA:TRUE) that signed itself. The error says what is wrong with which file.
Expected<QSslCertificate, QString> readBundledServerCa(const QString &path);

// What a connection to `url` is verified with: the system's CAs, plus the bundled server's CA when
// `url` is one of that server's origins.
QList<QSslCertificate> caCertificatesFor(const QUrl &url, const std::optional<BundledServerCa> &bundled, const QList<QSslCertificate> &systemCas);

// Whether `chain` (the server's certificate first, then what else it sent) was issued by `ca` alone and
// is good for `host` at `at`: signatures up to that CA, validity, server-authentication purpose and the
// host name or IP address. The error is a sentence about the bundled server's certificate.
Expected<Done, QString> checkIssuedByBundledCa(const QList<QSslCertificate> &chain, const QString &host, const BundledServerCa &ca,
                                               const QDateTime &at = QDateTime::currentDateTimeUtc());

// The web view's answer to a certificate error at `url`. `otherProblem` is empty when the engine's only
// objection is the unknown issuer, else its description. Accepted only for the bundled server's origin
// and a chain its CA issued; `reason` is empty when the URL is none of the bundled server's (refused
// as any other certificate error is).
struct CertificateVerdict
{
    bool accept = false;
    QString reason;
};
CertificateVerdict judgeCertificateError(const QUrl &url, const QList<QSslCertificate> &chain, const QString &otherProblem,
                                         const std::optional<BundledServerCa> &bundled);

// Where the HTTP client and the web view find the CA of the bundled server now running: the launcher
// puts it here once the server is up and takes it away when the server stops. One process may run more
// than one bundled server (tests do); each CA covers its own server's origins only.
class BundledServerTrust
{
public:
    static void trust(const BundledServerCa &ca);
    static void forget(const QUrl &announced);
    static std::optional<BundledServerCa> forUrl(const QUrl &url);
};

} // namespace organizer::app
