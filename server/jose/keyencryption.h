#pragma once

#include "joseerror.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <memory>

namespace organizer::jose {

// AES-256-GCM (NIST SP 800-38D) with a 96-bit nonce and a 128-bit tag, on OpenSSL 3's EVP API: the
// ciphertext followed by the tag. Decryption authenticates first: a changed key, nonce, associated data,
// ciphertext or tag gives DecryptionFailed and no plaintext.
Result<QByteArray> aes256GcmEncrypt(QByteArrayView key, QByteArrayView nonce, QByteArrayView associatedData, QByteArrayView plaintext);
Result<QByteArray> aes256GcmDecrypt(QByteArrayView key, QByteArrayView nonce, QByteArrayView associatedData, QByteArrayView ciphertextAndTag);

// A key-encryption key (KEK): 32 random bytes that seal secrets kept somewhere else (the signing keys in
// the database), so that the database alone — a dump, a backup, a replica — does not give them away.
//
// A sealed value, format version 1:
//     0x01 | KEK id (8 bytes) | nonce (12 bytes, random per seal) | ciphertext | tag (16 bytes)
// The header (version and KEK id) and the caller's associated data (what the secret belongs to, e.g. its
// row's key id) are authenticated with it: a value moved to another row, or opened under another KEK, is
// refused — the latter with KeyMismatch, naming both ids, rather than as damage.
class KeyEncryptionKey
{
public:
    static constexpr qsizetype kBytes = 32;
    static constexpr qsizetype kIdBytes = 8;
    static constexpr qsizetype kNonceBytes = 12;
    static constexpr qsizetype kTagBytes = 16;
    static constexpr char kFormatVersion = 1;
    static constexpr qsizetype kOverhead = 1 + kIdBytes + kNonceBytes + kTagBytes;

    static Result<KeyEncryptionKey> fromBytes(QByteArrayView bytes);
    static Result<KeyEncryptionKey> generate();

    // Names the key without revealing it: the first 8 bytes of HMAC-SHA-256 under the key of a fixed
    // label, in hex. Kept beside what the key sealed, so a wrong key is told apart from damaged data.
    QString id() const;
    // The raw key, for writing a secrets file.
    QByteArray bytes() const;

    Result<QByteArray> seal(QByteArrayView plaintext, QByteArrayView associatedData) const;
    Result<QByteArray> open(QByteArrayView sealed, QByteArrayView associatedData) const;

private:
    struct Material;
    KeyEncryptionKey() = default;
    std::shared_ptr<const Material> m_material; // wiped when the last copy goes
};

// A secrets file holds one KEK: base64 (or hex) of 32 random bytes on one line. Reading refuses a file
// that group or others may read or write (the message says chmod 600) and any other length.
Result<KeyEncryptionKey> readKeyEncryptionKeyFile(const QString &path);
// Writes a new random KEK to `path`, owner-only (0600); refuses to replace a file that exists (KeyExists).
Result<KeyEncryptionKey> createKeyEncryptionKeyFile(const QString &path);

} // namespace organizer::jose
