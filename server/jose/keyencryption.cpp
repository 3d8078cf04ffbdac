#include "keyencryption.h"

#include "constanttime.h"
#include "signingkeystore.h"

#include <QFile>
#include <QRegularExpression>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace organizer::jose {

namespace {

struct CipherContextDeleter
{
    void operator()(EVP_CIPHER_CTX *ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
struct CipherDeleter
{
    void operator()(EVP_CIPHER *cipher) const { EVP_CIPHER_free(cipher); }
};
using CipherContextPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherContextDeleter>;
using CipherPtr = std::unique_ptr<EVP_CIPHER, CipherDeleter>;

const unsigned char *bytesOf(QByteArrayView view)
{
    return reinterpret_cast<const unsigned char *>(view.data());
}

QString opensslReason(const char *what)
{
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0)
        return QString::fromLatin1(what);
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    return QStringLiteral("%1 (%2)").arg(QString::fromLatin1(what), QString::fromLatin1(buffer));
}

// One cipher context for AES-256-GCM with a 96-bit nonce, ready for data.
Result<CipherContextPtr> gcmContext(QByteArrayView key, QByteArrayView nonce, bool encrypt)
{
    if (key.size() != KeyEncryptionKey::kBytes)
        return fail(ErrorCode::InvalidKey, QStringLiteral("AES-256-GCM needs a 32-byte key, not %1 bytes").arg(key.size()));
    if (nonce.size() != KeyEncryptionKey::kNonceBytes)
        return fail(ErrorCode::InvalidKey, QStringLiteral("AES-256-GCM here takes a 12-byte nonce, not %1 bytes").arg(nonce.size()));
    CipherPtr cipher(EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr));
    CipherContextPtr ctx(EVP_CIPHER_CTX_new());
    if (!cipher || !ctx)
        return fail(ErrorCode::CryptoFailure, opensslReason("AES-256-GCM is not available"));
    // 12 bytes is GCM's default IV length: no EVP_CTRL_GCM_SET_IVLEN needed.
    const int ready = encrypt ? EVP_EncryptInit_ex2(ctx.get(), cipher.get(), bytesOf(key), bytesOf(nonce), nullptr)
                              : EVP_DecryptInit_ex2(ctx.get(), cipher.get(), bytesOf(key), bytesOf(nonce), nullptr);
    if (ready != 1)
        return fail(ErrorCode::CryptoFailure, opensslReason("cannot set up AES-256-GCM"));
    return ctx;
}

bool feedAssociatedData(EVP_CIPHER_CTX *ctx, QByteArrayView associatedData, bool encrypt)
{
    if (associatedData.isEmpty())
        return true;
    int ignored = 0;
    return (encrypt ? EVP_EncryptUpdate(ctx, nullptr, &ignored, bytesOf(associatedData), int(associatedData.size()))
                    : EVP_DecryptUpdate(ctx, nullptr, &ignored, bytesOf(associatedData), int(associatedData.size())))
        == 1;
}

const QByteArray kIdLabel = QByteArrayLiteral("organizer-server key-encryption-key id v1");

} // namespace

Result<QByteArray> aes256GcmEncrypt(QByteArrayView key, QByteArrayView nonce, QByteArrayView associatedData, QByteArrayView plaintext)
{
    auto ctx = gcmContext(key, nonce, true);
    if (!ctx)
        return Unexpected<Error>(ctx.error());
    QByteArray out(plaintext.size() + KeyEncryptionKey::kTagBytes, Qt::Uninitialized);
    auto *target = reinterpret_cast<unsigned char *>(out.data());
    int length = 0;
    int finalLength = 0;
    if (!feedAssociatedData(ctx->get(), associatedData, true)
        || (!plaintext.isEmpty() && EVP_EncryptUpdate(ctx->get(), target, &length, bytesOf(plaintext), int(plaintext.size())) != 1)
        || EVP_EncryptFinal_ex(ctx->get(), target + length, &finalLength) != 1
        || EVP_CIPHER_CTX_ctrl(ctx->get(), EVP_CTRL_AEAD_GET_TAG, int(KeyEncryptionKey::kTagBytes), target + plaintext.size()) != 1)
        return fail(ErrorCode::CryptoFailure, opensslReason("AES-256-GCM encryption failed"));
    return out;
}

Result<QByteArray> aes256GcmDecrypt(QByteArrayView key, QByteArrayView nonce, QByteArrayView associatedData, QByteArrayView ciphertextAndTag)
{
    if (ciphertextAndTag.size() < KeyEncryptionKey::kTagBytes)
        return fail(ErrorCode::DecryptionFailed, QStringLiteral("the sealed data is shorter than its authentication tag"));
    auto ctx = gcmContext(key, nonce, false);
    if (!ctx)
        return Unexpected<Error>(ctx.error());
    const QByteArrayView ciphertext = ciphertextAndTag.first(ciphertextAndTag.size() - KeyEncryptionKey::kTagBytes);
    QByteArray tag = ciphertextAndTag.last(KeyEncryptionKey::kTagBytes).toByteArray();
    QByteArray out(ciphertext.size(), Qt::Uninitialized);
    auto *target = reinterpret_cast<unsigned char *>(out.data());
    int length = 0;
    int finalLength = 0;
    if (!feedAssociatedData(ctx->get(), associatedData, false)
        || (!ciphertext.isEmpty() && EVP_DecryptUpdate(ctx->get(), target, &length, bytesOf(ciphertext), int(ciphertext.size())) != 1)
        || EVP_CIPHER_CTX_ctrl(ctx->get(), EVP_CTRL_AEAD_SET_TAG, int(tag.size()), tag.data()) != 1)
        return fail(ErrorCode::CryptoFailure, opensslReason("AES-256-GCM decryption failed"));
    // OpenSSL compares the tag in constant time (CRYPTO_memcmp).
    if (EVP_DecryptFinal_ex(ctx->get(), target + length, &finalLength) != 1) {
        ERR_clear_error();
        OPENSSL_cleanse(out.data(), size_t(out.size()));
        return fail(ErrorCode::DecryptionFailed, QStringLiteral("the sealed data failed authentication: it was damaged or altered, or belongs elsewhere"));
    }
    return out;
}

struct KeyEncryptionKey::Material
{
    unsigned char key[kBytes];
    QString id;
    ~Material() { OPENSSL_cleanse(key, sizeof key); }
};

Result<KeyEncryptionKey> KeyEncryptionKey::fromBytes(QByteArrayView bytes)
{
    if (bytes.size() != kBytes)
        return fail(ErrorCode::InvalidKey, QStringLiteral("a key-encryption key is %1 bytes, not %2").arg(kBytes).arg(bytes.size()));
    auto material = std::make_shared<Material>();
    std::memcpy(material->key, bytes.data(), kBytes);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int macLength = 0;
    if (!HMAC(EVP_sha256(), material->key, int(kBytes), bytesOf(kIdLabel), size_t(kIdLabel.size()), mac, &macLength))
        return fail(ErrorCode::CryptoFailure, opensslReason("cannot derive the key-encryption key's id"));
    material->id = QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(mac), kIdBytes).toHex());
    KeyEncryptionKey kek;
    kek.m_material = std::move(material);
    return kek;
}

Result<KeyEncryptionKey> KeyEncryptionKey::generate()
{
    unsigned char random[kBytes];
    if (RAND_bytes(random, int(kBytes)) != 1)
        return fail(ErrorCode::CryptoFailure, opensslReason("the random generator failed"));
    auto kek = fromBytes(QByteArrayView(reinterpret_cast<const char *>(random), kBytes));
    OPENSSL_cleanse(random, sizeof random);
    return kek;
}

QString KeyEncryptionKey::id() const
{
    return m_material ? m_material->id : QString();
}

QByteArray KeyEncryptionKey::bytes() const
{
    return m_material ? QByteArray(reinterpret_cast<const char *>(m_material->key), kBytes) : QByteArray();
}

Result<QByteArray> KeyEncryptionKey::seal(QByteArrayView plaintext, QByteArrayView associatedData) const
{
    if (!m_material)
        return fail(ErrorCode::InvalidKey, QStringLiteral("no key-encryption key"));
    QByteArray header(1 + kIdBytes + kNonceBytes, Qt::Uninitialized);
    header[0] = kFormatVersion;
    const QByteArray id = QByteArray::fromHex(m_material->id.toLatin1());
    std::memcpy(header.data() + 1, id.constData(), kIdBytes);
    // A random 96-bit nonce per seal: a few keys sealed per rotation stay far below the 2^32 seals per
    // key that NIST SP 800-38D §8.3 allows for random nonces.
    auto *nonce = reinterpret_cast<unsigned char *>(header.data() + 1 + kIdBytes);
    if (RAND_bytes(nonce, int(kNonceBytes)) != 1)
        return fail(ErrorCode::CryptoFailure, opensslReason("the random generator failed"));
    const QByteArray authenticated = header.first(1 + kIdBytes) + associatedData.toByteArray();
    auto sealed = aes256GcmEncrypt(QByteArrayView(reinterpret_cast<const char *>(m_material->key), kBytes),
                                   QByteArrayView(header).sliced(1 + kIdBytes, kNonceBytes), authenticated, plaintext);
    if (!sealed)
        return sealed;
    return header + sealed.value();
}

Result<QByteArray> KeyEncryptionKey::open(QByteArrayView sealed, QByteArrayView associatedData) const
{
    if (!m_material)
        return fail(ErrorCode::InvalidKey, QStringLiteral("no key-encryption key"));
    if (sealed.size() < kOverhead)
        return fail(ErrorCode::DecryptionFailed, QStringLiteral("the sealed data is %1 bytes, shorter than any sealed value").arg(sealed.size()));
    if (sealed.at(0) != kFormatVersion)
        return fail(
            ErrorCode::DecryptionFailed,
            QStringLiteral("the sealed data has format version %1; this build reads version %2").arg(int(quint8(sealed.at(0)))).arg(int(kFormatVersion)));
    const QByteArrayView sealedId = sealed.sliced(1, kIdBytes);
    const QByteArray ownId = QByteArray::fromHex(m_material->id.toLatin1());
    if (!constantTimeEquals(sealedId, ownId))
        return fail(ErrorCode::KeyMismatch,
                    QStringLiteral("sealed under key-encryption key %1, but the key given is %2")
                        .arg(QString::fromLatin1(sealedId.toByteArray().toHex()), m_material->id));
    const QByteArray authenticated = sealed.first(1 + kIdBytes).toByteArray() + associatedData.toByteArray();
    return aes256GcmDecrypt(QByteArrayView(reinterpret_cast<const char *>(m_material->key), kBytes), sealed.sliced(1 + kIdBytes, kNonceBytes), authenticated,
                            sealed.sliced(1 + kIdBytes + kNonceBytes));
}

Result<KeyEncryptionKey> readKeyEncryptionKeyFile(const QString &path)
{
    const QString howToMake = QStringLiteral("make one with: organizer-server secrets init --secrets-file %1").arg(path);
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const QString reason = QString::fromLocal8Bit(std::strerror(errno));
        return fail(ErrorCode::StorageFailure, QStringLiteral("cannot read the secrets file %1: %2").arg(path, reason));
    }
    // The file's own mode, through any symbolic link (a mounted secret often is one).
    struct stat info = {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(fd);
        return fail(ErrorCode::StorageFailure, QStringLiteral("the secrets file %1 is not a regular file").arg(path));
    }
    if (info.st_mode & (S_IRWXG | S_IRWXO)) {
        ::close(fd);
        return fail(ErrorCode::StorageFailure,
                    QStringLiteral("the secrets file %1 can be read or changed by others (mode %2); run chmod 600 %1")
                        .arg(path)
                        .arg(info.st_mode & 0777, 4, 8, QLatin1Char('0')));
    }
    QByteArray text(4096, Qt::Uninitialized);
    qsizetype filled = 0;
    while (filled < text.size()) {
        const ssize_t n = ::read(fd, text.data() + filled, size_t(text.size() - filled));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        filled += n;
    }
    ::close(fd);
    text.truncate(filled);
    const QByteArray line = text.trimmed();
    OPENSSL_cleanse(text.data(), size_t(text.size()));
    QByteArray decoded;
    static const QRegularExpression hex(QStringLiteral("^[0-9A-Fa-f]{64}$"));
    if (hex.match(QString::fromLatin1(line)).hasMatch()) {
        decoded = QByteArray::fromHex(line);
    } else if (auto base64 = QByteArray::fromBase64Encoding(line, QByteArray::AbortOnBase64DecodingErrors)) {
        decoded = *base64;
    } else {
        return fail(
            ErrorCode::InvalidKey,
            QStringLiteral("the secrets file %1 does not hold one line of base64 or hex (a key-encryption key is 32 random bytes); %2").arg(path, howToMake));
    }
    if (decoded.size() != KeyEncryptionKey::kBytes)
        return fail(ErrorCode::InvalidKey,
                    QStringLiteral("the secrets file %1 holds %2 bytes; a key-encryption key is 32 random bytes, base64 or hex on one line; %3")
                        .arg(path)
                        .arg(decoded.size())
                        .arg(howToMake));
    auto kek = KeyEncryptionKey::fromBytes(decoded);
    OPENSSL_cleanse(decoded.data(), size_t(decoded.size()));
    return kek;
}

Result<KeyEncryptionKey> createKeyEncryptionKeyFile(const QString &path)
{
    auto kek = KeyEncryptionKey::generate();
    if (!kek)
        return kek;
    QByteArray line = kek->bytes().toBase64() + '\n';
    auto created = createPrivateFile(path, line);
    OPENSSL_cleanse(line.data(), size_t(line.size()));
    if (!created)
        return Unexpected<Error>(created.error());
    return kek;
}

} // namespace organizer::jose
