#include "localcertificateauthority.h"

#include "opensslhandles.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSysInfo>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace organizer::tls {

namespace {

constexpr qint64 kDay = 86400;
// Files the CA reads are small; anything larger is not one of its own.
constexpr qint64 kMaxPemBytes = 64 * 1024;

const QString kCertificateFile = QStringLiteral("ca.pem");
const QString kPrivateKeyFile = QStringLiteral("ca-key.pem");
const QString kServerCertificateFile = QStringLiteral("server.pem");
const QString kServerPrivateKeyFile = QStringLiteral("server-key.pem");
const QString kLockFile = QStringLiteral(".lock");

using openssl::BioPtr;
using openssl::KeyPtr;
using openssl::X509Ptr;

QString systemError()
{
    return QString::fromLocal8Bit(std::strerror(errno));
}

// Holds an exclusive lock on the CA's directory: one process at a time makes the CA or a server certificate.
class DirectoryLock
{
public:
    static Expected<DirectoryLock, QString> take(const QString &directory)
    {
        const QString path = QDir(directory).filePath(kLockFile);
        const int fd = ::open(QFile::encodeName(path).constData(), O_RDWR | O_CREAT | O_CLOEXEC, S_IRUSR | S_IWUSR);
        if (fd < 0)
            return Unexpected<QString>(QStringLiteral("cannot open %1: %2").arg(path, systemError()));
        int locked;
        do {
            locked = ::flock(fd, LOCK_EX);
        } while (locked != 0 && errno == EINTR);
        if (locked != 0) {
            const QString reason = systemError();
            ::close(fd);
            return Unexpected<QString>(QStringLiteral("cannot lock %1: %2").arg(path, reason));
        }
        return DirectoryLock(fd);
    }
    DirectoryLock(DirectoryLock &&other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
    DirectoryLock &operator=(DirectoryLock &&) = delete;
    ~DirectoryLock()
    {
        if (m_fd >= 0)
            ::close(m_fd); // releases the lock
    }

private:
    explicit DirectoryLock(int fd) : m_fd(fd) {}
    int m_fd = -1;
};

enum class Existing { Replace, Keep };

// Writes `contents` to `path` with exactly `mode`, through a temporary file synced to disk: a reader sees
// the old file or the new one, never part of one. Existing::Keep never replaces a file that is there.
Expected<Done, QString> writeFileAtomically(const QString &path, const QByteArray &contents, mode_t mode, Existing existing)
{
    const QByteArray target = QFile::encodeName(path);
    const QByteArray temporary = target + ".tmp." + QByteArray::number(qint64(::getpid()));
    ::unlink(temporary.constData());
    const int fd = ::open(temporary.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
    if (fd < 0)
        return Unexpected<QString>(QStringLiteral("cannot create %1: %2").arg(path, systemError()));
    auto failed = [&](const QString &what) {
        const QString reason = systemError();
        ::close(fd);
        ::unlink(temporary.constData());
        return Unexpected<QString>(QStringLiteral("cannot %1 %2: %3").arg(what, path, reason));
    };
    if (::fchmod(fd, mode) != 0) // exactly `mode`, whatever the umask
        return failed(QStringLiteral("set the permissions of"));
    qsizetype written = 0;
    while (written < contents.size()) {
        const ssize_t n = ::write(fd, contents.constData() + written, size_t(contents.size() - written));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return failed(QStringLiteral("write"));
        written += n;
    }
    if (::fsync(fd) != 0)
        return failed(QStringLiteral("store"));
    if (::close(fd) != 0) {
        const QString reason = systemError();
        ::unlink(temporary.constData());
        return Unexpected<QString>(QStringLiteral("cannot store %1: %2").arg(path, reason));
    }
    // link() never replaces its target, rename() does.
    const int placed = existing == Existing::Keep ? ::link(temporary.constData(), target.constData()) : ::rename(temporary.constData(), target.constData());
    const int error = errno;
    ::unlink(temporary.constData());
    if (placed != 0 && error == EEXIST)
        return Unexpected<QString>(QStringLiteral("%1 exists already").arg(path));
    if (placed != 0)
        return Unexpected<QString>(QStringLiteral("cannot store %1: %2").arg(path, QString::fromLocal8Bit(std::strerror(error))));
    return Done{};
}

// The file's contents; an empty array when there is no such file, an error when it is there but cannot be read.
Expected<QByteArray, QString> readIfThere(const QString &path)
{
    QFile file(path);
    if (!file.exists())
        return QByteArray();
    if (!file.open(QIODevice::ReadOnly))
        return Unexpected<QString>(QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    if (file.size() > kMaxPemBytes)
        return Unexpected<QString>(QStringLiteral("%1 is %2 bytes, too large for a PEM certificate or key").arg(path).arg(file.size()));
    return file.readAll();
}

X509Ptr certificateFromPem(const QByteArray &pem)
{
    BioPtr bio(BIO_new_mem_buf(pem.constData(), int(pem.size())));
    X509Ptr certificate(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    return certificate;
}

KeyPtr privateKeyFromPem(const QByteArray &pem)
{
    BioPtr bio(BIO_new_mem_buf(pem.constData(), int(pem.size())));
    // No passphrase callback that could prompt: the keys here are never encrypted.
    KeyPtr key(bio ? PEM_read_bio_PrivateKey(
                   bio.get(), nullptr, [](char *, int, int, void *) { return 0; }, nullptr)
                   : nullptr);
    return key;
}

QByteArray pemOf(X509 *certificate)
{
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), certificate) != 1)
        return {};
    BUF_MEM *memory = nullptr;
    BIO_get_mem_ptr(bio.get(), &memory);
    return QByteArray(memory->data, qsizetype(memory->length));
}

QByteArray pemOf(EVP_PKEY *key)
{
    BioPtr bio(BIO_new(BIO_s_mem()));
    // PKCS#8, unencrypted: the file's 0600 mode protects it, and the server reads it with no one to ask for a passphrase.
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        return {};
    BUF_MEM *memory = nullptr;
    BIO_get_mem_ptr(bio.get(), &memory);
    return QByteArray(memory->data, qsizetype(memory->length));
}

QDateTime timeOf(const ASN1_TIME *time)
{
    struct tm parts = {};
    if (ASN1_TIME_to_tm(time, &parts) != 1)
        return {};
    return QDateTime(QDate(parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday), QTime(parts.tm_hour, parts.tm_min, parts.tm_sec), Qt::UTC);
}

QString commonNameOf(const X509_NAME *name)
{
    const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (index < 0)
        return {};
    unsigned char *utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index)));
    if (length < 0)
        return {};
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(utf8), length);
    OPENSSL_free(utf8);
    return text;
}

KeyPtr newP256Key()
{
    return KeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
}

// RFC 5280, 4.1.2.2: a positive serial of at most 20 octets; 128 random bits make it unique without a register.
bool setRandomSerial(X509 *certificate)
{
    unsigned char bytes[16];
    std::unique_ptr<BIGNUM, decltype(&BN_free)> number(nullptr, BN_free);
    do {
        if (RAND_bytes(bytes, sizeof bytes) != 1)
            return false;
        number.reset(BN_bin2bn(bytes, sizeof bytes, nullptr)); // unsigned: never negative
        if (!number)
            return false;
    } while (BN_is_zero(number.get()));
    return BN_to_ASN1_INTEGER(number.get(), X509_get_serialNumber(certificate)) != nullptr;
}

bool setCommonName(X509_NAME *name, const QString &commonName)
{
    const QByteArray utf8 = commonName.toUtf8();
    return X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8, reinterpret_cast<const unsigned char *>(utf8.constData()), int(utf8.size()), -1, 0)
        == 1;
}

// An extension written in OpenSSL's configuration syntax ("critical,CA:TRUE,pathlen:0"); `issuer` and
// `subject` are what "hash" and "keyid" refer to.
bool addExtension(X509 *subject, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, issuer, subject, nullptr, nullptr, 0);
    X509_EXTENSION *extension = X509V3_EXT_nconf_nid(nullptr, &context, nid, value);
    if (!extension)
        return false;
    const int added = X509_add_ext(subject, extension, -1);
    X509_EXTENSION_free(extension);
    return added == 1;
}

bool isIpAddress(const QString &name)
{
    return !QHostAddress(name).isNull();
}

// subjectAltName built name by name, so that no name is ever read as configuration syntax.
bool addSubjectAltNames(X509 *certificate, const QStringList &names)
{
    openssl::GeneralNamesPtr list(sk_GENERAL_NAME_new_null());
    if (!list)
        return false;
    for (const QString &name : names) {
        const QByteArray ascii = name.toLatin1();
        GENERAL_NAME *entry = nullptr;
        if (isIpAddress(name)) {
            ASN1_OCTET_STRING *address = a2i_IPADDRESS(ascii.constData());
            if (!address)
                return false;
            entry = GENERAL_NAME_new();
            if (!entry) {
                ASN1_OCTET_STRING_free(address);
                return false;
            }
            GENERAL_NAME_set0_value(entry, GEN_IPADD, address);
        } else {
            ASN1_IA5STRING *dns = ASN1_IA5STRING_new();
            if (!dns || ASN1_STRING_set(dns, ascii.constData(), int(ascii.size())) != 1) {
                ASN1_IA5STRING_free(dns);
                return false;
            }
            entry = GENERAL_NAME_new();
            if (!entry) {
                ASN1_IA5STRING_free(dns);
                return false;
            }
            GENERAL_NAME_set0_value(entry, GEN_DNS, dns);
        }
        if (sk_GENERAL_NAME_push(list.get(), entry) <= 0) {
            GENERAL_NAME_free(entry);
            return false;
        }
    }
    return X509_add1_ext_i2d(certificate, NID_subject_alt_name, list.get(), 0, X509V3_ADD_REPLACE) == 1;
}

bool certificateNames(X509 *certificate, const QString &name)
{
    const QByteArray ascii = name.toLatin1();
    if (isIpAddress(name))
        return X509_check_ip_asc(certificate, ascii.constData(), 0) == 1;
    // Only the subjectAltName counts, as in every current browser (RFC 6125, 6.4.4).
    return X509_check_host(certificate, ascii.constData(), size_t(ascii.size()), X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, nullptr) == 1;
}

QString textOf(const QDateTime &time)
{
    return time.toString(Qt::ISODate);
}

// RFC 5280's upper bound for a common name (ub-common-name); OpenSSL refuses longer ones.
constexpr qsizetype kMaxCommonName = 64;

} // namespace

void LocalCertificateAuthority::X509Free::operator()(X509 *certificate) const
{
    X509_free(certificate);
}

void LocalCertificateAuthority::KeyFree::operator()(EVP_PKEY *key) const
{
    EVP_PKEY_free(key);
}

LocalCertificateAuthority::LocalCertificateAuthority(LocalCertificateAuthority &&) noexcept = default;
LocalCertificateAuthority &LocalCertificateAuthority::operator=(LocalCertificateAuthority &&) noexcept = default;
LocalCertificateAuthority::~LocalCertificateAuthority() = default;

QString LocalCertificateAuthority::directoryIn(const QString &dataDir)
{
    return QDir(dataDir).filePath(QStringLiteral("tls"));
}

QString LocalCertificateAuthority::certificatePathIn(const QString &dataDir)
{
    return QDir(QDir(directoryIn(dataDir)).absolutePath()).filePath(kCertificateFile);
}

QString LocalCertificateAuthority::certificatePath() const
{
    return QDir(m_directory).filePath(kCertificateFile);
}

QString LocalCertificateAuthority::privateKeyPath() const
{
    return QDir(m_directory).filePath(kPrivateKeyFile);
}

QString LocalCertificateAuthority::serverCertificatePath() const
{
    return QDir(m_directory).filePath(kServerCertificateFile);
}

QString LocalCertificateAuthority::serverPrivateKeyPath() const
{
    return QDir(m_directory).filePath(kServerPrivateKeyFile);
}

Expected<LocalCertificateAuthority, QString> LocalCertificateAuthority::open(const QString &dataDir, Clock clock)
{
    LocalCertificateAuthority authority;
    authority.m_directory = QDir(directoryIn(dataDir)).absolutePath();
    authority.m_clock = std::move(clock);
    // Private keys: a directory made for them (the data directory too, when `organizer-server ca` runs
    // before any server did) is its owner's alone, as the server makes its data directory.
    for (const QString &directory : {dataDir, authority.m_directory}) {
        if (QDir(directory).exists())
            continue;
        if (!QDir().mkpath(directory))
            return Unexpected<QString>(QStringLiteral("cannot create the directory %1").arg(directory));
        QFile::setPermissions(directory, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }
    auto lock = DirectoryLock::take(authority.m_directory);
    if (!lock)
        return Unexpected<QString>(lock.error());
    const bool none = !QFileInfo::exists(authority.certificatePath()) && !QFileInfo::exists(authority.privateKeyPath());
    auto ready = none ? authority.create() : authority.load();
    if (!ready)
        return Unexpected<QString>(ready.error());
    return authority;
}

Expected<Done, QString> LocalCertificateAuthority::load()
{
    const QString keyPath = privateKeyPath();
    const QString certificatePath = this->certificatePath();
    // Said once, at the end of each refusal: what the way out costs.
    const QString startOver
        = QStringLiteral("restore it from a backup, or delete %1 to make a new CA and trust that one instead (organizer-server ca)").arg(m_directory);

    auto keyPem = readIfThere(keyPath);
    if (!keyPem)
        return Unexpected<QString>(QStringLiteral("the local CA's key: %1").arg(keyPem.error()));
    if (keyPem->isEmpty() && !QFileInfo::exists(keyPath))
        return Unexpected<QString>(QStringLiteral("the local CA's key %1 is missing beside its certificate %2; %3").arg(keyPath, certificatePath, startOver));
    const QFileDevice::Permissions others = QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ReadOther | QFileDevice::WriteOther;
    if (QFile::permissions(keyPath) & others)
        return Unexpected<QString>(QStringLiteral("the local CA's key %1 is readable by others than its owner; make it owner-only: chmod 600 %1").arg(keyPath));
    KeyPtr key = privateKeyFromPem(*keyPem);
    if (!key)
        return Unexpected<QString>(QStringLiteral("the local CA's key %1 is damaged: it holds no unencrypted PEM private key (%2); %3")
                                       .arg(keyPath, openssl::takeLastError(), startOver));

    auto certificatePem = readIfThere(certificatePath);
    if (!certificatePem)
        return Unexpected<QString>(QStringLiteral("the local CA's certificate: %1").arg(certificatePem.error()));
    if (certificatePem->isEmpty() && !QFileInfo::exists(certificatePath))
        return Unexpected<QString>(QStringLiteral("the local CA's certificate %1 is missing beside its key %2; %3").arg(certificatePath, keyPath, startOver));
    X509Ptr certificate = certificateFromPem(*certificatePem);
    if (!certificate)
        return Unexpected<QString>(QStringLiteral("the local CA's certificate %1 is damaged: it holds no PEM certificate (%2); %3")
                                       .arg(certificatePath, openssl::takeLastError(), startOver));
    if (X509_check_private_key(certificate.get(), key.get()) != 1) {
        ERR_clear_error();
        return Unexpected<QString>(QStringLiteral("the local CA's key %1 does not belong to its certificate %2; %3").arg(keyPath, certificatePath, startOver));
    }
    if (X509_check_ca(certificate.get()) < 1)
        return Unexpected<QString>(QStringLiteral("%1 is not a CA certificate; %2").arg(certificatePath, startOver));
    time_t now = time_t(m_clock());
    if (X509_cmp_time(X509_get0_notAfter(certificate.get()), &now) <= 0)
        return Unexpected<QString>(
            QStringLiteral("the local CA %1 expired on %2: delete %3 to make a new one, and trust that one instead (organizer-server ca)")
                .arg(certificatePath, textOf(timeOf(X509_get0_notAfter(certificate.get()))), m_directory));

    m_commonName = commonNameOf(X509_get_subject_name(certificate.get()));
    m_notAfter = timeOf(X509_get0_notAfter(certificate.get()));
    m_certificatePem = *certificatePem;
    m_certificate.reset(certificate.release());
    m_privateKey.reset(key.release());
    return Done{};
}

Expected<Done, QString> LocalCertificateAuthority::create()
{
    ERR_clear_error();
    KeyPtr key = newP256Key();
    X509Ptr certificate(X509_new());
    if (!key || !certificate)
        return Unexpected<QString>(QStringLiteral("cannot make the local CA's key: %1").arg(openssl::takeLastError()));
    const qint64 now = m_clock();
    // Unique per machine and per CA, so that several in one trust store (this machine's, a colleague's, a
    // CI runner's) are told apart by name.
    const QString created = textOf(QDateTime::fromSecsSinceEpoch(now, Qt::UTC));
    const QString pattern = QStringLiteral("Organizer local CA (%1, %2)");
    const qsizetype roomForHost = kMaxCommonName - (pattern.size() - 4) - created.size();
    const QString commonName = pattern.arg(QSysInfo::machineHostName().left(roomForHost), created);
    X509_NAME *name = X509_get_subject_name(certificate.get());
    const bool built = X509_set_version(certificate.get(), X509_VERSION_3) == 1 && setRandomSerial(certificate.get()) && setCommonName(name, commonName)
        && X509_set_issuer_name(certificate.get(), name) == 1 && ASN1_TIME_set(X509_getm_notBefore(certificate.get()), time_t(now - backdateSeconds))
        && ASN1_TIME_set(X509_getm_notAfter(certificate.get()), time_t(now + caValidityDays * kDay))
        && X509_set_pubkey(certificate.get(), key.get()) == 1
        // RFC 5280, 4.2.1.9 and 4.2.1.3: a CA that signs end-entity certificates only, nothing else.
        && addExtension(certificate.get(), certificate.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0")
        && addExtension(certificate.get(), certificate.get(), NID_key_usage, "critical,keyCertSign,cRLSign")
        && addExtension(certificate.get(), certificate.get(), NID_subject_key_identifier, "hash") && X509_sign(certificate.get(), key.get(), EVP_sha256()) > 0;
    if (!built)
        return Unexpected<QString>(QStringLiteral("cannot make the local CA's certificate: %1").arg(openssl::takeLastError()));

    const QByteArray keyPem = pemOf(key.get());
    const QByteArray certificatePem = pemOf(certificate.get());
    if (keyPem.isEmpty() || certificatePem.isEmpty())
        return Unexpected<QString>(QStringLiteral("cannot encode the local CA: %1").arg(openssl::takeLastError()));
    // The key first: a certificate on disk is one somebody may already trust, and must have its key.
    if (auto written = writeFileAtomically(privateKeyPath(), keyPem, S_IRUSR | S_IWUSR, Existing::Keep); !written)
        return Unexpected<QString>(QStringLiteral("the local CA's key: %1").arg(written.error()));
    if (auto written = writeFileAtomically(certificatePath(), certificatePem, S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH, Existing::Keep); !written)
        return Unexpected<QString>(QStringLiteral("the local CA's certificate: %1").arg(written.error()));

    m_commonName = commonName;
    m_notAfter = timeOf(X509_get0_notAfter(certificate.get()));
    m_certificatePem = certificatePem;
    m_certificate.reset(certificate.release());
    m_privateKey.reset(key.release());
    m_created = true;
    return Done{};
}

QString LocalCertificateAuthority::problemWith(const QByteArray &certificatePem, const QByteArray &privateKeyPem, const QStringList &names) const
{
    if (certificatePem.isEmpty())
        return QStringLiteral("there is none");
    X509Ptr certificate = certificateFromPem(certificatePem);
    if (!certificate) {
        ERR_clear_error();
        return QStringLiteral("the one there cannot be read");
    }
    KeyPtr key = privateKeyFromPem(privateKeyPem);
    if (!key) {
        ERR_clear_error();
        return QStringLiteral("its key cannot be read");
    }
    if (X509_check_private_key(certificate.get(), key.get()) != 1) {
        ERR_clear_error();
        return QStringLiteral("its key does not belong to it");
    }
    EVP_PKEY *caKey = X509_get0_pubkey(m_certificate.get());
    if (X509_check_issued(m_certificate.get(), certificate.get()) != X509_V_OK || !caKey || X509_verify(certificate.get(), caKey) != 1) {
        ERR_clear_error();
        return QStringLiteral("it was not issued by this CA");
    }
    time_t now = time_t(m_clock());
    if (X509_cmp_time(X509_get0_notBefore(certificate.get()), &now) > 0)
        return QStringLiteral("it is valid only from %1").arg(textOf(timeOf(X509_get0_notBefore(certificate.get()))));
    time_t renewBy = time_t(m_clock() + renewalDays * kDay);
    if (X509_cmp_time(X509_get0_notAfter(certificate.get()), &renewBy) <= 0)
        return QStringLiteral("it ends on %1, less than %2 days from now").arg(textOf(timeOf(X509_get0_notAfter(certificate.get())))).arg(renewalDays);
    for (const QString &name : names) {
        if (!certificateNames(certificate.get(), name)) {
            ERR_clear_error();
            return QStringLiteral("it does not name %1").arg(name);
        }
    }
    return {};
}

QString LocalCertificateAuthority::reasonToReissue(const QStringList &names) const
{
    auto certificatePem = readIfThere(serverCertificatePath());
    if (!certificatePem)
        return certificatePem.error();
    auto keyPem = readIfThere(serverPrivateKeyPath());
    if (!keyPem)
        return keyPem.error();
    return problemWith(*certificatePem, *keyPem, names);
}

Expected<ServerCertificate, QString> LocalCertificateAuthority::serverCertificate(const QStringList &names)
{
    auto lock = DirectoryLock::take(m_directory);
    if (!lock)
        return Unexpected<QString>(lock.error());
    ServerCertificate issued;
    auto certificatePem = readIfThere(serverCertificatePath());
    auto keyPem = readIfThere(serverPrivateKeyPath());
    issued.issuedBecause = !certificatePem ? certificatePem.error() : !keyPem ? keyPem.error() : problemWith(*certificatePem, *keyPem, names);
    if (issued.issuedBecause.isEmpty()) {
        issued.certificatePem = *certificatePem;
        issued.privateKeyPem = *keyPem;
        X509Ptr certificate = certificateFromPem(issued.certificatePem);
        issued.notAfter = timeOf(X509_get0_notAfter(certificate.get()));
        return issued;
    }

    ERR_clear_error();
    KeyPtr key = newP256Key();
    X509Ptr certificate(X509_new());
    if (!key || !certificate)
        return Unexpected<QString>(QStringLiteral("cannot make a key for the server certificate: %1").arg(openssl::takeLastError()));
    const qint64 now = m_clock();
    // Never beyond the CA's own end: no client would accept it past that anyway.
    time_t notAfter = time_t(now + serverValidityDays * kDay);
    if (X509_cmp_time(X509_get0_notAfter(m_certificate.get()), &notAfter) < 0)
        notAfter = time_t(m_notAfter.toSecsSinceEpoch());
    const bool built = X509_set_version(certificate.get(), X509_VERSION_3) == 1 && setRandomSerial(certificate.get())
        && setCommonName(X509_get_subject_name(certificate.get()), QStringLiteral("Organizer server")) // clients read the names from subjectAltName
        && X509_set_issuer_name(certificate.get(), X509_get_subject_name(m_certificate.get())) == 1
        && ASN1_TIME_set(X509_getm_notBefore(certificate.get()), time_t(now - backdateSeconds))
        && ASN1_TIME_set(X509_getm_notAfter(certificate.get()), notAfter) && X509_set_pubkey(certificate.get(), key.get()) == 1
        && addExtension(certificate.get(), m_certificate.get(), NID_basic_constraints, "critical,CA:FALSE")
        && addExtension(certificate.get(), m_certificate.get(), NID_key_usage, "critical,digitalSignature")
        && addExtension(certificate.get(), m_certificate.get(), NID_ext_key_usage, "serverAuth")
        && addExtension(certificate.get(), m_certificate.get(), NID_subject_key_identifier, "hash")
        && addExtension(certificate.get(), m_certificate.get(), NID_authority_key_identifier, "keyid:always") && addSubjectAltNames(certificate.get(), names)
        && X509_sign(certificate.get(), m_privateKey.get(), EVP_sha256()) > 0;
    if (!built)
        return Unexpected<QString>(
            QStringLiteral("cannot make the server certificate for %1: %2").arg(names.join(QStringLiteral(", ")), openssl::takeLastError()));

    issued.certificatePem = pemOf(certificate.get());
    issued.privateKeyPem = pemOf(key.get());
    issued.notAfter = timeOf(X509_get0_notAfter(certificate.get()));
    if (issued.certificatePem.isEmpty() || issued.privateKeyPem.isEmpty())
        return Unexpected<QString>(QStringLiteral("cannot encode the server certificate: %1").arg(openssl::takeLastError()));
    // The key first: until the certificate follows, the old certificate and the new key do not match,
    // which reads as "reissue" and never as a certificate to serve.
    if (auto written = writeFileAtomically(serverPrivateKeyPath(), issued.privateKeyPem, S_IRUSR | S_IWUSR, Existing::Replace); !written)
        return Unexpected<QString>(QStringLiteral("the server certificate's key: %1").arg(written.error()));
    if (auto written = writeFileAtomically(serverCertificatePath(), issued.certificatePem, S_IRUSR | S_IWUSR | S_IRGRP | S_IROTH, Existing::Replace); !written)
        return Unexpected<QString>(QStringLiteral("the server certificate: %1").arg(written.error()));
    return issued;
}

QStringList serverNamesFor(const QUrl &publicUrl, const QHostAddress &bindAddress)
{
    QStringList names{QStringLiteral("localhost"), QStringLiteral("127.0.0.1"), QStringLiteral("::1")};
    auto add = [&names](const QString &name) {
        if (!name.isEmpty() && !names.contains(name))
            names.append(name);
    };
    const QString host = publicUrl.host(QUrl::FullyDecoded);
    if (!host.isEmpty()) {
        const QHostAddress address(host);
        // An IP address in its one canonical spelling; a DNS name in its ASCII (IDNA) form, as clients compare it.
        add(address.isNull() ? QString::fromLatin1(QUrl::toAce(host)).toLower() : address.toString());
    }
    const bool specific = bindAddress != QHostAddress(QHostAddress::Any) && bindAddress != QHostAddress(QHostAddress::AnyIPv4)
        && bindAddress != QHostAddress(QHostAddress::AnyIPv6) && !bindAddress.isNull();
    if (specific && !bindAddress.isLoopback())
        add(bindAddress.toString());
    return names;
}

} // namespace organizer::tls
