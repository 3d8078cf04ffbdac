#include "bundledservertrust.h"

#include "opensslhandles.h"

#include <QFile>
#include <QHostAddress>
#include <QMutex>
#include <QMutexLocker>

#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <memory>

namespace organizer::app {

namespace {

using openssl::X509Ptr;

X509Ptr toX509(const QSslCertificate &certificate)
{
    const QByteArray der = certificate.toDer();
    const auto *bytes = reinterpret_cast<const unsigned char *>(der.constData());
    return X509Ptr(d2i_X509(nullptr, &bytes, long(der.size())));
}

QString firstOf(const QStringList &values, const QString &otherwise)
{
    return values.isEmpty() ? otherwise : values.first();
}

QString issuerName(const QSslCertificate &certificate)
{
    return firstOf(certificate.issuerInfo(QSslCertificate::CommonName), certificate.issuerDisplayName());
}

const QStringList kLoopbackHosts{QStringLiteral("localhost"), QStringLiteral("127.0.0.1"), QStringLiteral("::1")};

bool isLoopbackName(const QString &host)
{
    return kLoopbackHosts.contains(host.toLower());
}

} // namespace

QString originKey(const QUrl &url)
{
    if (url.host().isEmpty())
        return {};
    const QString scheme = url.scheme().toLower();
    const int port = url.port(scheme == QLatin1String("https") ? 443 : scheme == QLatin1String("http") ? 80 : -1);
    QUrl origin;
    origin.setScheme(scheme);
    origin.setHost(url.host().toLower());
    origin.setPort(port);
    return origin.toString();
}

bool BundledServerCa::covers(const QUrl &url) const
{
    const QString key = originKey(url);
    return !key.isEmpty() && origins.contains(key);
}

QString BundledServerCa::commonName() const
{
    return firstOf(certificate.subjectInfo(QSslCertificate::CommonName), certificate.subjectDisplayName());
}

QStringList bundledServerOrigins(const QUrl &announced)
{
    const QString own = originKey(announced);
    if (own.isEmpty())
        return {};
    QStringList origins{own};
    if (!isLoopbackName(announced.host()))
        return origins;
    for (const QString &host : kLoopbackHosts) {
        QUrl alias = announced;
        alias.setHost(host);
        const QString key = originKey(alias);
        if (!origins.contains(key))
            origins.append(key);
    }
    return origins;
}

Expected<QSslCertificate, QString> readBundledServerCa(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Unexpected<QString>(QStringLiteral("the bundled server's local CA certificate %1 cannot be read: %2").arg(path, file.errorString()));
    const QList<QSslCertificate> certificates = QSslCertificate::fromData(file.read(1024 * 1024), QSsl::Pem);
    if (certificates.size() != 1 || certificates.first().isNull())
        return Unexpected<QString>(
            QStringLiteral("the bundled server's local CA file %1 holds %2 PEM certificates, not one").arg(path).arg(certificates.size()));
    const QSslCertificate &certificate = certificates.first();
    const X509Ptr x509 = toX509(certificate);
    if (!x509)
        return Unexpected<QString>(QStringLiteral("the bundled server's local CA certificate %1 cannot be decoded").arg(path));
    if (X509_check_ca(x509.get()) < 1)
        return Unexpected<QString>(QStringLiteral("%1 is no certificate authority's certificate (basicConstraints CA:TRUE missing)").arg(path));
    EVP_PKEY *key = X509_get0_pubkey(x509.get());
    if (!key || X509_check_issued(x509.get(), x509.get()) != X509_V_OK || X509_verify(x509.get(), key) != 1)
        return Unexpected<QString>(QStringLiteral("%1 is not a self-signed root certificate, as the bundled server's local CA is").arg(path));
    return certificate;
}

QList<QSslCertificate> caCertificatesFor(const QUrl &url, const std::optional<BundledServerCa> &bundled, const QList<QSslCertificate> &systemCas)
{
    if (!bundled || !bundled->covers(url) || url.scheme().toLower() != QLatin1String("https"))
        return systemCas;
    QList<QSslCertificate> cas = systemCas;
    if (!cas.contains(bundled->certificate))
        cas.append(bundled->certificate);
    return cas;
}

Expected<Done, QString> checkIssuedByBundledCa(const QList<QSslCertificate> &chain, const QString &host, const BundledServerCa &ca, const QDateTime &at)
{
    const QString notOurs = QStringLiteral("the bundled server's certificate is not issued by its local CA \"%1\" (%2)").arg(ca.commonName(), ca.path);
    if (chain.isEmpty())
        return Unexpected<QString>(notOurs + QStringLiteral(": the server presented no certificate"));
    const X509Ptr anchor = toX509(ca.certificate);
    const X509Ptr leaf = toX509(chain.first());
    if (!anchor || !leaf)
        return Unexpected<QString>(notOurs + QStringLiteral(": a certificate cannot be decoded"));
    std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
    std::unique_ptr<STACK_OF(X509), void (*)(STACK_OF(X509) *)> untrusted(sk_X509_new_null(),
                                                                          [](STACK_OF(X509) * stack) { sk_X509_pop_free(stack, X509_free); });
    std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> context(X509_STORE_CTX_new(), X509_STORE_CTX_free);
    if (!store || !untrusted || !context || X509_STORE_add_cert(store.get(), anchor.get()) != 1)
        return Unexpected<QString>(notOurs + QStringLiteral(": OpenSSL could not set up the check"));
    // Only this CA is trusted here; whatever else the server sent may be an intermediate, never an anchor.
    for (qsizetype i = 1; i < chain.size(); ++i) {
        if (X509Ptr certificate = toX509(chain.at(i)); certificate && sk_X509_push(untrusted.get(), certificate.get()) > 0)
            certificate.release();
    }
    if (X509_STORE_CTX_init(context.get(), store.get(), leaf.get(), untrusted.get()) != 1)
        return Unexpected<QString>(notOurs + QStringLiteral(": OpenSSL could not set up the check"));
    X509_VERIFY_PARAM *parameters = X509_STORE_CTX_get0_param(context.get());
    X509_VERIFY_PARAM_set_purpose(parameters, X509_PURPOSE_SSL_SERVER);
    X509_VERIFY_PARAM_set_time(parameters, time_t(at.toSecsSinceEpoch()));
    const QByteArray hostBytes = host.toUtf8();
    if (QHostAddress(host).isNull())
        X509_VERIFY_PARAM_set1_host(parameters, hostBytes.constData(), size_t(hostBytes.size()));
    else
        X509_VERIFY_PARAM_set1_ip_asc(parameters, hostBytes.constData());
    if (X509_verify_cert(context.get()) == 1)
        return Done{};
    const int error = X509_STORE_CTX_get_error(context.get());
    const QString why = QString::fromUtf8(X509_verify_cert_error_string(error));
    switch (error) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
        return Unexpected<QString>(
            QStringLiteral("the bundled server's certificate, issued by its local CA \"%1\", does not name %2").arg(ca.commonName(), host));
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return Unexpected<QString>(
            QStringLiteral("the bundled server's certificate, issued by its local CA \"%1\", is not valid now (%2)").arg(ca.commonName(), why));
    default:
        return Unexpected<QString>(notOurs + QStringLiteral(": it names \"%1\" as its issuer (%2)").arg(issuerName(chain.first()), why));
    }
}

CertificateVerdict judgeCertificateError(const QUrl &url, const QList<QSslCertificate> &chain, const QString &otherProblem,
                                         const std::optional<BundledServerCa> &bundled)
{
    if (!bundled || !bundled->covers(url) || url.scheme().toLower() != QLatin1String("https"))
        return {};
    if (!otherProblem.isEmpty())
        return {false, QStringLiteral("the bundled server's certificate for %1 was refused: %2").arg(originKey(url), otherProblem)};
    const auto issued = checkIssuedByBundledCa(chain, url.host(), *bundled);
    if (!issued)
        return {false, issued.error()};
    return {true, {}};
}

namespace {

QMutex g_trustLock;
QList<BundledServerCa> &trustedCas()
{
    static QList<BundledServerCa> cas;
    return cas;
}

} // namespace

void BundledServerTrust::trust(const BundledServerCa &ca)
{
    if (ca.origins.isEmpty())
        return;
    const QMutexLocker locked(&g_trustLock);
    QList<BundledServerCa> &cas = trustedCas();
    // A server restarted on the same port replaces what was trusted for it.
    cas.removeIf([&ca](const BundledServerCa &known) { return known.origins.first() == ca.origins.first(); });
    cas.append(ca);
}

void BundledServerTrust::forget(const QUrl &announced)
{
    const QMutexLocker locked(&g_trustLock);
    const QString key = originKey(announced);
    trustedCas().removeIf([&key](const BundledServerCa &known) { return known.origins.first() == key; });
}

std::optional<BundledServerCa> BundledServerTrust::forUrl(const QUrl &url)
{
    const QMutexLocker locked(&g_trustLock);
    for (const BundledServerCa &ca : trustedCas()) {
        if (ca.covers(url))
            return ca;
    }
    return std::nullopt;
}

} // namespace organizer::app
