#pragma once

#include "database.h"
#include "jwk.h"
#include "keyencryption.h"
#include "signingkeystore.h"

#include <QMutex>

#include <memory>

namespace organizer::store {

// The key-encryption key the signing keys are sealed under, and the file it came from (for messages).
struct KeyEncryptionKeyFile
{
    jose::KeyEncryptionKey key;
    QString path;
    bool created = false; // made just now (SQLite's zero-configuration default)
};

// Finds the key-encryption key: `secretsFile` (--secrets-file, or ORGANIZER_SECRETS_FILE) when given;
// otherwise, on SQLite, DATA_DIR/secrets.key, made on first use. A PostgreSQL database is shared by every
// instance, and so must the key be: without one the answer is an error that says how to make and pass it.
Expected<KeyEncryptionKeyFile, QString> keyEncryptionKeyFor(const QString &secretsFile, const QString &dataDir, const store::DatabaseLocation &location);
// Where DATA_DIR's own key lives on SQLite.
QString defaultSecretsFilePath(const QString &dataDir);

// The bundled issuer's signing keys, kept in the database (table signing_keys) so that every instance
// on it signs with, and publishes, the same keys — as Keycloak and Ory Hydra keep theirs. Each private
// key is sealed there under the key-encryption key (AES-256-GCM, bound to its kid and creation time).
// The newest key (created_at, then kid, so every instance agrees) signs; older ones stay published so
// the tokens they signed still verify, until pruned.
//
// Readers on any thread get a snapshot (activeKey(), snapshot()): a copy under a lock, never a reference
// into what a reload replaces. reload(), rotate() and prune() run on one thread at a time.
class StoredSigningKeys
{
public:
    struct Snapshot
    {
        QList<jose::SigningKey> keys; // oldest first; the last one signs
        jose::JwkSet publicKeys; // newest first, as the JWKS lists them
    };
    // What changes whenever a key is added or removed: compared each poll, without reading the keys.
    struct Revision
    {
        qint64 count = 0;
        qint64 newest = 0;
        bool operator==(const Revision &) const = default;
    };

    // Reads every key. On an empty table, the key files of a single-machine install from before
    // (`legacyKeyDirectory`/signing-*.pem) are imported once, keeping their kid and creation time;
    // with none, a first RSA key is made. Instances starting together on one empty database agree on one.
    static Expected<std::unique_ptr<StoredSigningKeys>, QString> open(std::shared_ptr<store::Database> database, KeyEncryptionKeyFile kek,
                                                                      const QString &legacyKeyDirectory, int bits = jose::RsaKey::kMinimumBits);

    jose::SigningKey activeKey() const;
    std::shared_ptr<const Snapshot> snapshot() const;
    jose::JwkSet publicKeys() const { return snapshot()->publicKeys; }

    // Reads the keys again (another instance or `keys rotate` changed them). True when they changed.
    Expected<bool, QString> reload();
    // The same, but only when the revision moved: one small query when nothing changed.
    Expected<bool, QString> reloadIfChanged();
    Expected<Revision, QString> revision() const;

    // Adds a new active key and tells the other instances (NOTIFY 'keys' at commit on PostgreSQL).
    Expected<jose::SigningKey, QString> rotate(int bits = jose::RsaKey::kMinimumBits);
    // Deletes keys that stopped signing more than `retainSeconds` before `now` (every token they signed
    // has expired); never the active key. Returns how many were deleted.
    Expected<int, QString> prune(qint64 now, qint64 retainSeconds);

    // What is announced when the keys change, for the instances' listen callbacks.
    static QString announcement() { return QStringLiteral("keys"); }

private:
    StoredSigningKeys(std::shared_ptr<store::Database> database, KeyEncryptionKeyFile kek);
    Expected<Done, QString> createFirstKeys(const QString &legacyKeyDirectory, int bits);
    Expected<Done, QString> insert(QSqlDatabase &db, const jose::SigningKey &key) const;
    static QByteArray associatedData(const QString &kid, qint64 createdAt);

    std::shared_ptr<store::Database> m_database;
    KeyEncryptionKeyFile m_kek;
    QMutex m_writing; // reload, rotate and prune one at a time
    Revision m_revision; // as last read (under m_writing)
    mutable QMutex m_snapshotLock; // guards the pointer only: a snapshot never changes once published
    std::shared_ptr<const Snapshot> m_snapshot;
};

} // namespace organizer::store
