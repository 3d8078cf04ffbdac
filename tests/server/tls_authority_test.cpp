// The local certificate authority behind `organizer-server --tls`: the CA and the server certificates it
// issues are checked with OpenSSL's own verifier, as a client would check them; reissuing is driven by a
// clock the test moves.

#include "localcertificateauthority.h"
#include "organizerserver.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSslCertificate>
#include <QSslSocket>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QThread>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <memory>
#include <gtest/gtest.h>

using namespace organizer;
using organizer::tls::LocalCertificateAuthority;

namespace {

constexpr qint64 kDay = 86400;

struct X509Free
{
    void operator()(X509 *certificate) const { X509_free(certificate); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;

X509Ptr parse(const QByteArray &pem)
{
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.constData(), int(pem.size())), BIO_free);
    return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

void writeFile(const QString &path, const QByteArray &contents)
{
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly | QIODevice::Truncate)) << path.toStdString();
    file.write(contents);
}

bool isCritical(X509 *certificate, int nid)
{
    const int index = X509_get_ext_by_NID(certificate, nid, -1);
    return index >= 0 && X509_EXTENSION_get_critical(X509_get_ext(certificate, index)) == 1;
}

qint64 secondsOf(const ASN1_TIME *time)
{
    struct tm parts = {};
    EXPECT_EQ(ASN1_TIME_to_tm(time, &parts), 1);
    return qint64(timegm(&parts));
}

// A clock the test moves; every copy reads the same time.
class TestClock
{
public:
    TestClock() : m_now(std::make_shared<std::atomic<qint64>>(QDateTime::currentSecsSinceEpoch())) {}
    Clock clock() const
    {
        return [now = m_now] { return now->load(); };
    }
    qint64 now() const { return m_now->load(); }
    void advanceDays(qint64 days) { m_now->fetch_add(days * kDay); }

private:
    std::shared_ptr<std::atomic<qint64>> m_now;
};

// What a TLS client does with the server's certificate: chain it to the one trusted CA, at `when`, and
// compare the name it connected to ("localhost", "127.0.0.1", "::1", "organizer.test").
int verify(const QByteArray &caPem, const QByteArray &serverPem, const QString &name, qint64 when)
{
    X509Ptr ca = parse(caPem);
    X509Ptr server = parse(serverPem);
    if (!ca || !server)
        return -1;
    std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
    X509_STORE_add_cert(store.get(), ca.get());
    std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> context(X509_STORE_CTX_new(), X509_STORE_CTX_free);
    X509_STORE_CTX_init(context.get(), store.get(), server.get(), nullptr);
    X509_VERIFY_PARAM *parameters = X509_STORE_CTX_get0_param(context.get());
    X509_VERIFY_PARAM_set_purpose(parameters, X509_PURPOSE_SSL_SERVER);
    X509_VERIFY_PARAM_set_time(parameters, time_t(when));
    const QByteArray ascii = name.toLatin1();
    if (QHostAddress(name).isNull())
        X509_VERIFY_PARAM_set1_host(parameters, ascii.constData(), size_t(ascii.size()));
    else
        X509_VERIFY_PARAM_set1_ip_asc(parameters, ascii.constData());
    if (X509_verify_cert(context.get()) == 1)
        return X509_V_OK;
    return X509_STORE_CTX_get_error(context.get());
}

QStringList names(std::initializer_list<const char *> list)
{
    QStringList out;
    for (const char *name : list)
        out << QString::fromUtf8(name);
    return out;
}

const QStringList kNames = tls::serverNamesFor(QUrl(QStringLiteral("https://organizer.test/")), QHostAddress(QHostAddress::LocalHost));

} // namespace

TEST(LocalCertificateAuthority, IsMadeOnFirstUseAsACaThatSignsServerCertificatesOnly)
{
    QTemporaryDir parent;
    const QString dataDir = parent.filePath(QStringLiteral("data")); // not there yet: made owner-only, as the server makes it
    TestClock clock;
    auto authority = LocalCertificateAuthority::open(dataDir, clock.clock());
    ASSERT_TRUE(authority) << authority.error().toStdString();
    EXPECT_TRUE(authority->created());
    EXPECT_EQ(QFile::permissions(dataDir) & ~(QFile::ReadUser | QFile::WriteUser | QFile::ExeUser), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    EXPECT_EQ(authority->directory(), QDir(QDir(dataDir).filePath(QStringLiteral("tls"))).absolutePath());
    EXPECT_EQ(authority->certificatePath(), QDir(authority->directory()).filePath(QStringLiteral("ca.pem")));
    EXPECT_EQ(readFile(authority->certificatePath()), authority->certificatePem());
    EXPECT_EQ(QFile::permissions(authority->privateKeyPath()) & ~(QFile::ReadUser | QFile::WriteUser | QFile::ExeUser), QFile::ReadOwner | QFile::WriteOwner);
    EXPECT_EQ(QFile::permissions(authority->certificatePath()) & ~(QFile::ReadUser | QFile::WriteUser | QFile::ExeUser),
              QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther);
    EXPECT_EQ(QFile::permissions(authority->directory()) & ~(QFile::ReadUser | QFile::WriteUser | QFile::ExeUser),
              QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);

    X509Ptr ca = parse(authority->certificatePem());
    ASSERT_TRUE(ca);
    EXPECT_EQ(X509_get_version(ca.get()), X509_VERSION_3);
    EXPECT_EQ(X509_self_signed(ca.get(), 1), 1);
    EXPECT_TRUE(X509_get_extension_flags(ca.get()) & EXFLAG_CA);
    EXPECT_EQ(X509_get_pathlen(ca.get()), 0);
    EXPECT_TRUE(isCritical(ca.get(), NID_basic_constraints));
    EXPECT_EQ(X509_get_key_usage(ca.get()), uint32_t(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
    EXPECT_TRUE(isCritical(ca.get(), NID_key_usage));
    EXPECT_NE(X509_get0_subject_key_id(ca.get()), nullptr);
    EVP_PKEY *key = X509_get0_pubkey(ca.get());
    ASSERT_NE(key, nullptr);
    EXPECT_TRUE(EVP_PKEY_is_a(key, "EC"));
    char group[64] = {};
    ASSERT_EQ(EVP_PKEY_get_group_name(key, group, sizeof group, nullptr), 1);
    EXPECT_STREQ(group, "prime256v1");
    EXPECT_EQ(secondsOf(X509_get0_notBefore(ca.get())), clock.now() - 3600);
    EXPECT_EQ(secondsOf(X509_get0_notAfter(ca.get())), clock.now() + 3650 * kDay);
    // Named for this machine and the moment it was made, so that several in one trust store are told apart.
    EXPECT_TRUE(authority->commonName().startsWith(QStringLiteral("Organizer local CA (%1, ").arg(QSysInfo::machineHostName().left(21))))
        << authority->commonName().toStdString();
    EXPECT_TRUE(authority->commonName().contains(QDateTime::fromSecsSinceEpoch(clock.now(), Qt::UTC).toString(Qt::ISODate)));
    EXPECT_LE(authority->commonName().size(), 64);
}

TEST(LocalCertificateAuthority, TheServerCertificateVerifiesForEveryNameTheServerIsReachedBy)
{
    QTemporaryDir data;
    TestClock clock;
    auto authority = LocalCertificateAuthority::open(data.path(), clock.clock());
    ASSERT_TRUE(authority) << authority.error().toStdString();
    auto issued = authority->serverCertificate(kNames);
    ASSERT_TRUE(issued) << issued.error().toStdString();
    EXPECT_EQ(issued->issuedBecause, QStringLiteral("there is none"));
    EXPECT_EQ(readFile(authority->serverCertificatePath()), issued->certificatePem);
    EXPECT_EQ(readFile(authority->serverPrivateKeyPath()), issued->privateKeyPem);
    EXPECT_EQ(QFile::permissions(authority->serverPrivateKeyPath()) & ~(QFile::ReadUser | QFile::WriteUser | QFile::ExeUser),
              QFile::ReadOwner | QFile::WriteOwner);

    for (const char *name : {"localhost", "127.0.0.1", "::1", "organizer.test", "ORGANIZER.test"})
        EXPECT_EQ(verify(authority->certificatePem(), issued->certificatePem, QString::fromLatin1(name), clock.now()), X509_V_OK) << name;
    EXPECT_EQ(verify(authority->certificatePem(), issued->certificatePem, QStringLiteral("other.test"), clock.now()), X509_V_ERR_HOSTNAME_MISMATCH);
    EXPECT_EQ(verify(authority->certificatePem(), issued->certificatePem, QStringLiteral("sub.organizer.test"), clock.now()), X509_V_ERR_HOSTNAME_MISMATCH);
    EXPECT_EQ(verify(authority->certificatePem(), issued->certificatePem, QStringLiteral("10.0.0.1"), clock.now()), X509_V_ERR_IP_ADDRESS_MISMATCH);
    // Another CA's trust does not reach it.
    QTemporaryDir otherData;
    auto other = LocalCertificateAuthority::open(otherData.path(), clock.clock());
    ASSERT_TRUE(other);
    EXPECT_NE(verify(other->certificatePem(), issued->certificatePem, QStringLiteral("localhost"), clock.now()), X509_V_OK);
    // An hour back for a client's clock that is behind; thirty days on, and no longer.
    EXPECT_EQ(verify(authority->certificatePem(), issued->certificatePem, QStringLiteral("localhost"), clock.now() - 3500), X509_V_OK);
    EXPECT_EQ(verify(authority->certificatePem(), issued->certificatePem, QStringLiteral("localhost"), clock.now() - 3700), X509_V_ERR_CERT_NOT_YET_VALID);
    EXPECT_EQ(verify(authority->certificatePem(), issued->certificatePem, QStringLiteral("localhost"), clock.now() + 31 * kDay), X509_V_ERR_CERT_HAS_EXPIRED);

    X509Ptr server = parse(issued->certificatePem);
    X509Ptr ca = parse(authority->certificatePem());
    ASSERT_TRUE(server && ca);
    EXPECT_EQ(secondsOf(X509_get0_notBefore(server.get())), clock.now() - 3600);
    EXPECT_EQ(secondsOf(X509_get0_notAfter(server.get())), clock.now() + 30 * kDay);
    EXPECT_EQ(issued->notAfter, QDateTime::fromSecsSinceEpoch(clock.now() + 30 * kDay, Qt::UTC));
    EXPECT_FALSE(X509_get_extension_flags(server.get()) & EXFLAG_CA);
    EXPECT_TRUE(X509_get_extension_flags(server.get()) & EXFLAG_BCONS) << "basicConstraints CA:FALSE is stated";
    EXPECT_EQ(X509_get_key_usage(server.get()), uint32_t(KU_DIGITAL_SIGNATURE));
    EXPECT_EQ(X509_get_extended_key_usage(server.get()), uint32_t(XKU_SSL_SERVER));
    ASSERT_NE(X509_get0_authority_key_id(server.get()), nullptr);
    EXPECT_EQ(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(server.get()), X509_get0_subject_key_id(ca.get())), 0);
    EXPECT_TRUE(EVP_PKEY_is_a(X509_get0_pubkey(server.get()), "EC"));
    // A random 128-bit serial: two certificates never share one.
    const ASN1_INTEGER *serial = X509_get0_serialNumber(server.get());
    EXPECT_GE(ASN1_STRING_length(serial), 14);
    EXPECT_LE(ASN1_STRING_length(serial), 17);
    QFile::remove(authority->serverCertificatePath());
    auto again = authority->serverCertificate(kNames);
    ASSERT_TRUE(again);
    EXPECT_NE(ASN1_INTEGER_cmp(serial, X509_get0_serialNumber(parse(again->certificatePem).get())), 0);
}

TEST(LocalCertificateAuthority, TheServerCertificateIsKeptWhileItServesAndReissuedWhenItDoesNot)
{
    QTemporaryDir data;
    TestClock clock;
    auto authority = LocalCertificateAuthority::open(data.path(), clock.clock());
    ASSERT_TRUE(authority) << authority.error().toStdString();
    EXPECT_EQ(authority->reasonToReissue(kNames), QStringLiteral("there is none"));
    auto first = authority->serverCertificate(kNames);
    ASSERT_TRUE(first);
    EXPECT_EQ(authority->reasonToReissue(kNames), QString());
    auto kept = authority->serverCertificate(kNames);
    ASSERT_TRUE(kept);
    EXPECT_EQ(kept->issuedBecause, QString());
    EXPECT_EQ(kept->certificatePem, first->certificatePem);
    EXPECT_EQ(kept->privateKeyPem, first->privateKeyPem);

    // Nineteen days on, eleven are left: kept. A day later, ten: reissued, valid thirty days from then.
    clock.advanceDays(19);
    EXPECT_EQ(authority->reasonToReissue(kNames), QString());
    clock.advanceDays(1);
    EXPECT_TRUE(authority->reasonToReissue(kNames).contains(QStringLiteral("less than 10 days from now"))) << authority->reasonToReissue(kNames).toStdString();
    auto renewed = authority->serverCertificate(kNames);
    ASSERT_TRUE(renewed);
    EXPECT_TRUE(renewed->issuedBecause.startsWith(QStringLiteral("it ends on "))) << renewed->issuedBecause.toStdString();
    EXPECT_NE(renewed->certificatePem, first->certificatePem);
    EXPECT_NE(renewed->privateKeyPem, first->privateKeyPem) << "a new key with each certificate";
    EXPECT_EQ(renewed->notAfter, QDateTime::fromSecsSinceEpoch(clock.now() + 30 * kDay, Qt::UTC));
    EXPECT_EQ(authority->reasonToReissue(kNames), QString());

    // A name it lacks (the public URL changed): reissued with it.
    QStringList more = kNames;
    more << QStringLiteral("login.organizer.test") << QStringLiteral("192.0.2.7");
    EXPECT_EQ(authority->reasonToReissue(more), QStringLiteral("it does not name login.organizer.test"));
    auto widened = authority->serverCertificate(more);
    ASSERT_TRUE(widened);
    EXPECT_EQ(widened->issuedBecause, QStringLiteral("it does not name login.organizer.test"));
    EXPECT_EQ(verify(authority->certificatePem(), widened->certificatePem, QStringLiteral("192.0.2.7"), clock.now()), X509_V_OK);

    // Missing, unreadable, or a key that is not its own: reissued.
    QFile::remove(authority->serverCertificatePath());
    EXPECT_EQ(authority->reasonToReissue(more), QStringLiteral("there is none"));
    ASSERT_TRUE(authority->serverCertificate(more));
    writeFile(authority->serverCertificatePath(), "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
    EXPECT_EQ(authority->reasonToReissue(more), QStringLiteral("the one there cannot be read"));
    ASSERT_TRUE(authority->serverCertificate(more));
    writeFile(authority->serverPrivateKeyPath(), first->privateKeyPem);
    EXPECT_EQ(authority->reasonToReissue(more), QStringLiteral("its key does not belong to it"));
    ASSERT_TRUE(authority->serverCertificate(more));
    EXPECT_EQ(authority->reasonToReissue(more), QString());

    // Issued by another CA (a data directory copied over another's files): reissued by this one.
    QTemporaryDir otherData;
    auto other = LocalCertificateAuthority::open(otherData.path(), clock.clock());
    ASSERT_TRUE(other);
    auto foreign = other->serverCertificate(more);
    ASSERT_TRUE(foreign);
    writeFile(authority->serverCertificatePath(), foreign->certificatePem);
    writeFile(authority->serverPrivateKeyPath(), foreign->privateKeyPem);
    EXPECT_EQ(authority->reasonToReissue(more), QStringLiteral("it was not issued by this CA"));
    auto own = authority->serverCertificate(more);
    ASSERT_TRUE(own);
    EXPECT_EQ(verify(authority->certificatePem(), own->certificatePem, QStringLiteral("localhost"), clock.now()), X509_V_OK);

    // A clock set back before the certificate starts (beyond its hour of slack): reissued.
    clock.advanceDays(-2);
    EXPECT_TRUE(authority->reasonToReissue(more).startsWith(QStringLiteral("it is valid only from "))) << authority->reasonToReissue(more).toStdString();
}

TEST(LocalCertificateAuthority, IsTheSameCaAcrossRunsAndProcesses)
{
    QTemporaryDir data;
    TestClock clock;
    QByteArray caPem;
    QByteArray serverPem;
    {
        auto first = LocalCertificateAuthority::open(data.path(), clock.clock());
        ASSERT_TRUE(first);
        caPem = first->certificatePem();
        auto issued = first->serverCertificate(kNames);
        ASSERT_TRUE(issued);
        serverPem = issued->certificatePem;
    }
    clock.advanceDays(3);
    auto second = LocalCertificateAuthority::open(data.path(), clock.clock());
    ASSERT_TRUE(second) << second.error().toStdString();
    EXPECT_FALSE(second->created());
    EXPECT_EQ(second->certificatePem(), caPem);
    auto issued = second->serverCertificate(kNames);
    ASSERT_TRUE(issued);
    EXPECT_EQ(issued->issuedBecause, QString());
    EXPECT_EQ(issued->certificatePem, serverPem);

    // Several opening a fresh directory at once (a server and `organizer-server ca`) agree on one CA.
    QTemporaryDir fresh;
    QList<QByteArray> seen(6);
    std::atomic<int> created{0};
    QList<QThread *> threads;
    for (int i = 0; i < seen.size(); ++i) {
        threads << QThread::create([&, i] {
            auto opened = LocalCertificateAuthority::open(fresh.path(), clock.clock());
            if (!opened)
                return;
            seen[i] = opened->certificatePem();
            created += opened->created() ? 1 : 0;
        });
        threads.last()->start();
    }
    for (QThread *thread : threads) {
        thread->wait();
        delete thread;
    }
    EXPECT_EQ(created.load(), 1);
    for (const QByteArray &pem : seen)
        EXPECT_EQ(pem, seen.first());
    EXPECT_FALSE(seen.first().isEmpty());
}

TEST(LocalCertificateAuthority, ADamagedCaIsAnErrorAndNeverReplaced)
{
    QTemporaryDir data;
    TestClock clock;
    QString keyPath;
    QString certificatePath;
    {
        auto authority = LocalCertificateAuthority::open(data.path(), clock.clock());
        ASSERT_TRUE(authority);
        keyPath = authority->privateKeyPath();
        certificatePath = authority->certificatePath();
    }
    const QByteArray goodKey = readFile(keyPath);
    const QByteArray certificate = readFile(certificatePath);

    const QByteArray damaged = goodKey.left(goodKey.size() / 2);
    writeFile(keyPath, damaged);
    auto refused = LocalCertificateAuthority::open(data.path(), clock.clock());
    ASSERT_FALSE(refused);
    EXPECT_TRUE(refused.error().contains(QStringLiteral("the local CA's key %1 is damaged").arg(keyPath))) << refused.error().toStdString();
    EXPECT_TRUE(refused.error().contains(QStringLiteral("restore it from a backup, or delete "))) << refused.error().toStdString();
    EXPECT_EQ(readFile(keyPath), damaged) << "never replaced";
    EXPECT_EQ(readFile(certificatePath), certificate);

    // A key others may read is refused too, and the way out said.
    writeFile(keyPath, goodKey);
    ASSERT_TRUE(QFile::setPermissions(keyPath, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther));
    auto exposed = LocalCertificateAuthority::open(data.path(), clock.clock());
    ASSERT_FALSE(exposed);
    EXPECT_TRUE(exposed.error().contains(QStringLiteral("chmod 600 %1").arg(keyPath))) << exposed.error().toStdString();
    ASSERT_TRUE(QFile::setPermissions(keyPath, QFile::ReadOwner | QFile::WriteOwner));
    ASSERT_TRUE(LocalCertificateAuthority::open(data.path(), clock.clock()));

    // Another CA's key beside this certificate.
    QTemporaryDir otherData;
    ASSERT_TRUE(LocalCertificateAuthority::open(otherData.path(), clock.clock()));
    writeFile(keyPath, readFile(QDir(otherData.path()).filePath(QStringLiteral("tls/ca-key.pem"))));
    auto mismatched = LocalCertificateAuthority::open(data.path(), clock.clock());
    ASSERT_FALSE(mismatched);
    EXPECT_TRUE(mismatched.error().contains(QStringLiteral("does not belong to its certificate"))) << mismatched.error().toStdString();

    // One half gone: the other half is kept, and the error says which.
    QFile::remove(keyPath);
    auto keyless = LocalCertificateAuthority::open(data.path(), clock.clock());
    ASSERT_FALSE(keyless);
    EXPECT_TRUE(keyless.error().contains(QStringLiteral("the local CA's key %1 is missing").arg(keyPath))) << keyless.error().toStdString();
    EXPECT_EQ(readFile(certificatePath), certificate);
    EXPECT_FALSE(QFile::exists(keyPath));
    writeFile(keyPath, goodKey);
    ASSERT_TRUE(QFile::setPermissions(keyPath, QFile::ReadOwner | QFile::WriteOwner));
    QFile::remove(certificatePath);
    auto certificateless = LocalCertificateAuthority::open(data.path(), clock.clock());
    ASSERT_FALSE(certificateless);
    EXPECT_TRUE(certificateless.error().contains(QStringLiteral("the local CA's certificate %1 is missing").arg(certificatePath)))
        << certificateless.error().toStdString();
    EXPECT_EQ(readFile(keyPath), goodKey);
    writeFile(certificatePath, certificate);
    ASSERT_TRUE(LocalCertificateAuthority::open(data.path(), clock.clock()));

    // Ten years on, it has expired: said, not replaced.
    clock.advanceDays(3651);
    auto expired = LocalCertificateAuthority::open(data.path(), clock.clock());
    ASSERT_FALSE(expired);
    EXPECT_TRUE(expired.error().contains(QStringLiteral("expired on"))) << expired.error().toStdString();
    EXPECT_EQ(readFile(certificatePath), certificate);
}

TEST(LocalCertificateAuthority, AServerCertificateNeverOutlivesItsCa)
{
    QTemporaryDir data;
    TestClock clock;
    ASSERT_TRUE(LocalCertificateAuthority::open(data.path(), clock.clock()));
    clock.advanceDays(3650 - 20);
    auto authority = LocalCertificateAuthority::open(data.path(), clock.clock());
    ASSERT_TRUE(authority) << authority.error().toStdString();
    auto issued = authority->serverCertificate(kNames);
    ASSERT_TRUE(issued);
    EXPECT_EQ(issued->notAfter, authority->notAfter());
}

TEST(LocalCertificateAuthority, TheNamesAServerCertificateHolds)
{
    const QHostAddress loopback(QHostAddress::LocalHost);
    EXPECT_EQ(tls::serverNamesFor(QUrl(), loopback), names({"localhost", "127.0.0.1", "::1"}));
    EXPECT_EQ(tls::serverNamesFor(QUrl(QStringLiteral("https://localhost:3001/")), loopback), names({"localhost", "127.0.0.1", "::1"}));
    EXPECT_EQ(tls::serverNamesFor(QUrl(QStringLiteral("https://Login.Example/")), loopback), names({"localhost", "127.0.0.1", "::1", "login.example"}));
    EXPECT_EQ(tls::serverNamesFor(QUrl(QStringLiteral("https://bücher.example/")), loopback),
              names({"localhost", "127.0.0.1", "::1", "xn--bcher-kva.example"}));
    EXPECT_EQ(tls::serverNamesFor(QUrl(QStringLiteral("https://[2001:DB8::1]:8443/")), loopback), names({"localhost", "127.0.0.1", "::1", "2001:db8::1"}));
    // A specific address beyond loopback is how others reach it; an any-address or loopback one is not a name.
    EXPECT_EQ(tls::serverNamesFor(QUrl(QStringLiteral("https://192.0.2.1/")), QHostAddress(QStringLiteral("192.0.2.10"))),
              names({"localhost", "127.0.0.1", "::1", "192.0.2.1", "192.0.2.10"}));
    EXPECT_EQ(tls::serverNamesFor(QUrl(), QHostAddress(QHostAddress::Any)), names({"localhost", "127.0.0.1", "::1"}));
    EXPECT_EQ(tls::serverNamesFor(QUrl(), QHostAddress(QHostAddress::AnyIPv6)), names({"localhost", "127.0.0.1", "::1"}));
    EXPECT_EQ(tls::serverNamesFor(QUrl(), QHostAddress(QStringLiteral("127.0.0.2"))), names({"localhost", "127.0.0.1", "::1"}));
}

// The server's side: what start() serves, and the hourly renewal (called here directly, with the clock moved).
namespace {

struct ServedCertificate
{
    QDateTime notAfter;
    QString error;
};

// The certificate a TLS client is shown on a new connection, read without judging it (the test's clock is
// not the client's).
ServedCertificate servedOn(quint16 port)
{
    QSslSocket socket;
    socket.setPeerVerifyMode(QSslSocket::QueryPeer);
    socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    if (!socket.waitForEncrypted(10000))
        return {{}, socket.errorString()};
    return {socket.peerCertificate().expiryDate().toUTC(), {}};
}

server::ServerOptions tlsOptions(const QString &dataDir)
{
    server::ServerOptions options;
    options.dataDir = dataDir;
    options.port = 0;
    options.workers = 1;
    options.accessLog = QStringLiteral("off");
    options.tls = true;
    return options;
}

void touch(const QString &path, qint64 secondsFromNow)
{
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::ReadWrite));
    ASSERT_TRUE(file.setFileTime(QDateTime::currentDateTimeUtc().addSecs(secondsFromNow), QFileDevice::FileModificationTime));
}

} // namespace

TEST(ServerTls, TheLocalCasCertificateIsRenewedAndServedToNewConnections)
{
    QTemporaryDir data;
    TestClock clock;
    server::ServerClocks clocks;
    clocks.wall = clock.clock();
    auto created = server::OrganizerServer::create(tlsOptions(data.path()), clocks);
    ASSERT_TRUE(created) << created.error().toStdString();
    server::OrganizerServer &organizer = **created;
    auto url = organizer.start();
    ASSERT_TRUE(url) << url.error().toStdString();
    EXPECT_EQ(url->scheme(), QStringLiteral("https"));
    EXPECT_EQ(organizer.publicUrl().scheme(), QStringLiteral("https")) << "the issuer is https:// too";
    EXPECT_TRUE(readFile(server::issuerFilePath(data.path())).startsWith("https://"));

    const QDateTime first = organizer.tlsCertificateNotAfter();
    EXPECT_EQ(first, QDateTime::fromSecsSinceEpoch(clock.now() + 30 * kDay, Qt::UTC));
    EXPECT_EQ(servedOn(url->port()).notAfter, first) << servedOn(url->port()).error.toStdString();
    auto unchanged = organizer.renewTlsCertificate();
    ASSERT_TRUE(unchanged) << unchanged.error().toStdString();
    EXPECT_FALSE(*unchanged);

    clock.advanceDays(19);
    ASSERT_TRUE(organizer.renewTlsCertificate());
    EXPECT_EQ(organizer.tlsCertificateNotAfter(), first);
    clock.advanceDays(2);
    auto renewed = organizer.renewTlsCertificate();
    ASSERT_TRUE(renewed) << renewed.error().toStdString();
    EXPECT_TRUE(*renewed);
    const QDateTime second = organizer.tlsCertificateNotAfter();
    EXPECT_EQ(second, QDateTime::fromSecsSinceEpoch(clock.now() + 30 * kDay, Qt::UTC));
    EXPECT_EQ(servedOn(url->port()).notAfter, second) << "new connections get the renewed certificate";

    // Another server on this data directory (or `ca` after a deleted certificate) issued one: served too.
    auto authority = LocalCertificateAuthority::open(data.path(), clock.clock());
    ASSERT_TRUE(authority);
    QFile::remove(authority->serverCertificatePath());
    clock.advanceDays(1);
    auto reissued = authority->serverCertificate(tls::serverNamesFor({}, QHostAddress(QHostAddress::LocalHost)));
    ASSERT_TRUE(reissued);
    auto followed = organizer.renewTlsCertificate();
    ASSERT_TRUE(followed);
    EXPECT_TRUE(*followed);
    EXPECT_EQ(organizer.tlsCertificateNotAfter(), reissued->notAfter);
}

TEST(ServerTls, OnesOwnCertificateFilesAreReadAgainWhenTheyChange)
{
    QTemporaryDir data;
    QTemporaryDir elsewhere;
    TestClock clock;
    // Somebody else's CA and the certificate it issued, as certbot would leave them.
    auto issuer = LocalCertificateAuthority::open(elsewhere.filePath(QStringLiteral("issuer")), clock.clock());
    ASSERT_TRUE(issuer);
    const QStringList names = tls::serverNamesFor({}, QHostAddress(QHostAddress::LocalHost));
    auto first = issuer->serverCertificate(names);
    ASSERT_TRUE(first);
    const QString certificateFile = elsewhere.filePath(QStringLiteral("fullchain.pem"));
    const QString keyFile = elsewhere.filePath(QStringLiteral("privkey.pem"));
    writeFile(certificateFile, first->certificatePem);
    writeFile(keyFile, first->privateKeyPem);

    server::ServerOptions options = tlsOptions(data.path());
    options.tlsCertificateFile = certificateFile;
    options.tlsKeyFile = keyFile;
    server::ServerClocks clocks;
    clocks.wall = clock.clock();
    auto created = server::OrganizerServer::create(options, clocks);
    ASSERT_TRUE(created) << created.error().toStdString();
    server::OrganizerServer &organizer = **created;
    auto url = organizer.start();
    ASSERT_TRUE(url) << url.error().toStdString();
    EXPECT_EQ(url->scheme(), QStringLiteral("https"));
    EXPECT_EQ(organizer.tlsCertificateNotAfter(), first->notAfter);
    EXPECT_EQ(servedOn(url->port()).notAfter, first->notAfter);
    EXPECT_FALSE(QFileInfo::exists(LocalCertificateAuthority::directoryIn(data.path()))) << "no local CA with one's own certificate";
    auto unchanged = organizer.renewTlsCertificate();
    ASSERT_TRUE(unchanged);
    EXPECT_FALSE(*unchanged);

    // Renewed in place: served from the next check on.
    clock.advanceDays(25);
    auto second = issuer->serverCertificate(names);
    ASSERT_TRUE(second);
    ASSERT_NE(second->notAfter, first->notAfter);
    writeFile(certificateFile, second->certificatePem);
    writeFile(keyFile, second->privateKeyPem);
    touch(certificateFile, 60);
    auto renewed = organizer.renewTlsCertificate();
    ASSERT_TRUE(renewed) << renewed.error().toStdString();
    EXPECT_TRUE(*renewed);
    EXPECT_EQ(organizer.tlsCertificateNotAfter(), second->notAfter);
    EXPECT_EQ(servedOn(url->port()).notAfter, second->notAfter);

    // Caught halfway (a new certificate beside the old key): the current one stays, and the next check tries again.
    clock.advanceDays(25);
    auto third = issuer->serverCertificate(names);
    ASSERT_TRUE(third);
    writeFile(certificateFile, third->certificatePem);
    touch(certificateFile, 120);
    auto halfway = organizer.renewTlsCertificate();
    ASSERT_FALSE(halfway);
    EXPECT_TRUE(halfway.error().contains(QStringLiteral("does not belong"))) << halfway.error().toStdString();
    EXPECT_EQ(organizer.tlsCertificateNotAfter(), second->notAfter);
    EXPECT_EQ(servedOn(url->port()).notAfter, second->notAfter);
    writeFile(keyFile, third->privateKeyPem);
    touch(keyFile, 120);
    auto completed = organizer.renewTlsCertificate();
    ASSERT_TRUE(completed) << completed.error().toStdString();
    EXPECT_TRUE(*completed);
    EXPECT_EQ(servedOn(url->port()).notAfter, third->notAfter);
}
