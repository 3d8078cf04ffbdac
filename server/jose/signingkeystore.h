#pragma once

#include "jwk.h"

#include <QDateTime>
#include <QString>

namespace organizer::jose {

struct SigningKey
{
    QString kid; // RFC 7638 thumbprint of the public key
    RsaKey key;
    qint64 createdAt = 0; // seconds since the epoch
};

// Signing keys kept as PEM files in one directory (owner-only: 0700 directory, 0600 files).
// The newest key signs; older ones stay published in the JWKS so tokens they signed still verify.
class SigningKeyStore
{
public:
    // Loads every key in `directory`, generating a first RSA-2048 key when there is none.
    static Result<SigningKeyStore> open(const QString &directory, int bits = RsaKey::kMinimumBits);

    const SigningKey &activeKey() const { return m_keys.last(); }
    const QList<SigningKey> &keys() const { return m_keys; }
    JwkSet publicKeys() const;
    QString directory() const { return m_directory; }

    // Generates and stores a new active key; older keys stay until pruned.
    Result<SigningKey> rotate(int bits = RsaKey::kMinimumBits);

    // Deletes keys that stopped signing more than `retainSeconds` before `now`: every token they
    // signed has expired by then. The active key is never removed. Returns how many were removed.
    Result<int> prune(qint64 now, qint64 retainSeconds);

    // Reads the directory again (another process may have rotated the keys).
    Result<Done> reload() { return load(); }

private:
    explicit SigningKeyStore(QString directory) : m_directory(std::move(directory)) {}
    Result<Done> load();

    QString m_directory;
    QList<SigningKey> m_keys; // oldest first
};

// Writes `contents` to `path` atomically, readable and writable by the owner only.
Result<Done> writePrivateFile(const QString &path, const QByteArray &contents);
// The same, but never replaces a file: KeyExists when `path` is there already. A process that loses a
// race to create it finds it whole (the file appears under its name only once written).
Result<Done> createPrivateFile(const QString &path, const QByteArray &contents);

} // namespace organizer::jose
