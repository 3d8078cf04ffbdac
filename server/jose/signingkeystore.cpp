#include "signingkeystore.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace organizer::jose {

namespace {

// File names sort by creation time: "signing-<seconds since epoch>-<kid>.pem".
const QString kPrefix = QStringLiteral("signing-");
const QString kSuffix = QStringLiteral(".pem");

QString fileNameFor(qint64 createdAt, const QString &kid)
{
    return QStringLiteral("%1%2-%3%4").arg(kPrefix).arg(createdAt, 12, 10, QLatin1Char('0')).arg(kid, kSuffix);
}

QString systemError()
{
    return QString::fromLocal8Bit(std::strerror(errno));
}

// Writes `contents` to a new owner-only file `temporary`, synced to disk.
Result<Done> writeTemporary(const QString &path, const QByteArray &temporary, const QByteArray &contents)
{
    ::unlink(temporary.constData());
    const int fd = ::open(temporary.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
    if (fd < 0)
        return fail(ErrorCode::StorageFailure, QStringLiteral("cannot create %1: %2").arg(path, systemError()));
    qsizetype written = 0;
    while (written < contents.size()) {
        const ssize_t n = ::write(fd, contents.constData() + written, size_t(contents.size() - written));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const QString reason = systemError();
            ::close(fd);
            ::unlink(temporary.constData());
            return fail(ErrorCode::StorageFailure, QStringLiteral("cannot write %1: %2").arg(path, reason));
        }
        written += n;
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const QString reason = systemError();
        ::unlink(temporary.constData());
        return fail(ErrorCode::StorageFailure, QStringLiteral("cannot store %1: %2").arg(path, reason));
    }
    return Done{};
}

QByteArray temporaryNameFor(const QByteArray &target)
{
    // Unique per process: two processes writing one file at once never share a temporary.
    return target + ".tmp." + QByteArray::number(qint64(::getpid()));
}

} // namespace

Result<Done> writePrivateFile(const QString &path, const QByteArray &contents)
{
    const QByteArray target = QFile::encodeName(path);
    const QByteArray temporary = temporaryNameFor(target);
    if (auto written = writeTemporary(path, temporary, contents); !written)
        return written;
    if (::rename(temporary.constData(), target.constData()) != 0) {
        const QString reason = systemError();
        ::unlink(temporary.constData());
        return fail(ErrorCode::StorageFailure, QStringLiteral("cannot store %1: %2").arg(path, reason));
    }
    return Done{};
}

Result<Done> createPrivateFile(const QString &path, const QByteArray &contents)
{
    const QByteArray target = QFile::encodeName(path);
    if (QFileInfo::exists(path))
        return fail(ErrorCode::KeyExists, QStringLiteral("%1 exists already").arg(path));
    const QByteArray temporary = temporaryNameFor(target);
    if (auto written = writeTemporary(path, temporary, contents); !written)
        return written;
    // link() never replaces its target, unlike rename().
    const int linked = ::link(temporary.constData(), target.constData());
    const int error = errno;
    ::unlink(temporary.constData());
    if (linked != 0 && error == EEXIST)
        return fail(ErrorCode::KeyExists, QStringLiteral("%1 exists already").arg(path));
    if (linked != 0)
        return fail(ErrorCode::StorageFailure, QStringLiteral("cannot store %1: %2").arg(path, QString::fromLocal8Bit(std::strerror(error))));
    return Done{};
}

Result<SigningKeyStore> SigningKeyStore::open(const QString &directory, int bits)
{
    if (!QDir().mkpath(directory))
        return fail(ErrorCode::StorageFailure, QStringLiteral("cannot create the key directory %1").arg(directory));
    if (::chmod(QFile::encodeName(directory).constData(), S_IRWXU) != 0)
        return fail(ErrorCode::StorageFailure, QStringLiteral("cannot restrict the key directory %1 to its owner: %2").arg(directory, systemError()));
    SigningKeyStore store(QDir(directory).absolutePath());
    if (auto loaded = store.load(); !loaded)
        return Unexpected<Error>(loaded.error());
    if (store.m_keys.isEmpty()) {
        if (auto created = store.rotate(bits); !created)
            return Unexpected<Error>(created.error());
    }
    return store;
}

Result<Done> SigningKeyStore::load()
{
    QList<SigningKey> keys;
    const QStringList names = QDir(m_directory).entryList({kPrefix + QLatin1Char('*') + kSuffix}, QDir::Files, QDir::Name);
    for (const QString &name : names) {
        const QString path = QDir(m_directory).filePath(name);
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return fail(ErrorCode::StorageFailure, QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
        if (file.permissions() & (QFile::ReadGroup | QFile::WriteGroup | QFile::ReadOther | QFile::WriteOther))
            return fail(ErrorCode::StorageFailure, QStringLiteral("%1 is readable by others; run chmod 600 on it or delete it").arg(path));
        auto key = RsaKey::fromPem(file.readAll());
        if (!key || !key->hasPrivateKey())
            return fail(ErrorCode::InvalidKey, QStringLiteral("%1 does not hold an RSA private key").arg(path));
        const QString stem = name.mid(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
        keys.append(SigningKey{key->thumbprint(), key.value(), stem.section(QLatin1Char('-'), 0, 0).toLongLong()});
    }
    std::stable_sort(keys.begin(), keys.end(), [](const SigningKey &a, const SigningKey &b) { return a.createdAt < b.createdAt; });
    m_keys = std::move(keys);
    return Done{};
}

Result<SigningKey> SigningKeyStore::rotate(int bits)
{
    auto key = RsaKey::generate(bits);
    if (!key)
        return Unexpected<Error>(key.error());
    auto pem = key->privatePem();
    if (!pem)
        return Unexpected<Error>(pem.error());
    // Never let two keys share a timestamp: the order of files is the order of keys.
    qint64 createdAt = QDateTime::currentSecsSinceEpoch();
    if (!m_keys.isEmpty())
        createdAt = std::max(createdAt, m_keys.last().createdAt + 1);
    SigningKey signingKey{key->thumbprint(), key.value(), createdAt};
    const QString name = fileNameFor(createdAt, signingKey.kid);
    if (auto written = writePrivateFile(QDir(m_directory).filePath(name), *pem); !written)
        return Unexpected<Error>(written.error());
    m_keys.append(signingKey);
    return signingKey;
}

Result<int> SigningKeyStore::prune(qint64 now, qint64 retainSeconds)
{
    int removed = 0;
    // Key i stopped signing when key i + 1 was created.
    while (m_keys.size() > 1 && m_keys.at(1).createdAt + retainSeconds < now) {
        const SigningKey &old = m_keys.first();
        const QString name = fileNameFor(old.createdAt, old.kid);
        if (!QFile::remove(QDir(m_directory).filePath(name)))
            return fail(ErrorCode::StorageFailure, QStringLiteral("cannot remove the retired key %1").arg(name));
        m_keys.removeFirst();
        ++removed;
    }
    return removed;
}

JwkSet SigningKeyStore::publicKeys() const
{
    QList<Jwk> jwks;
    for (auto it = m_keys.crbegin(); it != m_keys.crend(); ++it)
        jwks.append(Jwk::forSigningKey(it->key, it->kid));
    return JwkSet(std::move(jwks));
}

} // namespace organizer::jose
