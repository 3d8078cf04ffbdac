#include "storedsigningkeys.h"

#include "constanttime.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QLoggingCategory>

namespace organizer::store {

// The same category as the issuer's keys in the resource server: one switch for everything about keys.
Q_LOGGING_CATEGORY(lcKeys, "organizer.server.keys")

namespace {

const QString kAlgorithm = QStringLiteral("RS256");

struct StoredRow
{
    QString kid;
    qint64 createdAt = 0;
    QString algorithm;
    QByteArray sealed; // base64 as stored
    QString kekId;
};

QStringList legacyKeyFiles(const QString &directory)
{
    return QDir(directory).entryList({QStringLiteral("signing-*.pem")}, QDir::Files, QDir::Name);
}

} // namespace

QString defaultSecretsFilePath(const QString &dataDir)
{
    return QDir(dataDir).filePath(QStringLiteral("secrets.key"));
}

Expected<KeyEncryptionKeyFile, QString> keyEncryptionKeyFor(const QString &secretsFile, const QString &dataDir, const store::DatabaseLocation &location)
{
    if (!secretsFile.isEmpty()) {
        auto key = jose::readKeyEncryptionKeyFile(secretsFile);
        if (!key)
            return Unexpected<QString>(key.error().description);
        return KeyEncryptionKeyFile{key.value(), secretsFile, false};
    }
    if (location.engine == store::Engine::Postgres) {
        const QString example = QStringLiteral("/etc/organizer/secrets.key");
        return Unexpected<QString>(
            QStringLiteral("%1 is shared by every instance, and so are the signing keys kept in it, sealed under a key-encryption key each instance must "
                           "be given; none was. Make one once with: organizer-server secrets init --secrets-file %2 — copy that file (owner-only, chmod 600) "
                           "to every instance, and start each with --secrets-file %2 (or the environment's ORGANIZER_SECRETS_FILE=%2)")
                .arg(location.displayName(), example));
    }
    // SQLite: one machine, zero configuration. The key sits beside the database, so it protects copies of
    // the database file alone; --secrets-file puts it elsewhere.
    const QString path = defaultSecretsFilePath(dataDir);
    if (!QFileInfo::exists(path)) {
        auto created = jose::createKeyEncryptionKeyFile(path);
        if (created)
            return KeyEncryptionKeyFile{created.value(), path, true};
        if (created.error().code != jose::ErrorCode::KeyExists) // else another process made it a moment ago
            return Unexpected<QString>(created.error().description);
    }
    auto key = jose::readKeyEncryptionKeyFile(path);
    if (!key)
        return Unexpected<QString>(key.error().description);
    return KeyEncryptionKeyFile{key.value(), path, false};
}

StoredSigningKeys::StoredSigningKeys(std::shared_ptr<store::Database> database, KeyEncryptionKeyFile kek)
    : m_database(std::move(database)), m_kek(std::move(kek)), m_snapshot(std::make_shared<Snapshot>())
{}

Expected<std::unique_ptr<StoredSigningKeys>, QString> StoredSigningKeys::open(std::shared_ptr<store::Database> database, KeyEncryptionKeyFile kek,
                                                                              const QString &legacyKeyDirectory, int bits)
{
    std::unique_ptr<StoredSigningKeys> keys(new StoredSigningKeys(std::move(database), std::move(kek)));
    auto created = keys->createFirstKeys(legacyKeyDirectory, bits);
    auto loaded = created ? keys->reload() : Expected<bool, QString>(Unexpected<QString>(created.error()));
    if (!loaded) {
        // A secrets file made just now for keys sealed under another one (a server or `token` run without
        // the --secrets-file the keys were made with) would only mislead the next start: it goes again.
        if (keys->m_kek.created && QFile::remove(keys->m_kek.path))
            return Unexpected<QString>(loaded.error() + QStringLiteral(" (%1, made just now, was removed again)").arg(keys->m_kek.path));
        return Unexpected<QString>(loaded.error());
    }
    return keys;
}

QByteArray StoredSigningKeys::associatedData(const QString &kid, qint64 createdAt)
{
    // What the sealed key belongs to: moved to another row, or given another age, it does not open.
    return QByteArrayLiteral("organizer-server signing key ") + kid.toUtf8() + ' ' + QByteArray::number(createdAt);
}

jose::SigningKey StoredSigningKeys::activeKey() const
{
    return snapshot()->keys.last();
}

std::shared_ptr<const StoredSigningKeys::Snapshot> StoredSigningKeys::snapshot() const
{
    QMutexLocker lock(&m_snapshotLock);
    return m_snapshot;
}

Expected<StoredSigningKeys::Revision, QString> StoredSigningKeys::revision() const
{
    auto query = m_database->execute(QStringLiteral("SELECT COUNT(*), COALESCE(MAX(created_at), 0) FROM signing_keys"), {},
                                     QStringLiteral("cannot read the signing keys' revision"));
    if (!query)
        return Unexpected<QString>(query.error());
    if (!query->next())
        return Unexpected<QString>(QStringLiteral("cannot read the signing keys' revision: no answer"));
    return Revision{query->value(0).toLongLong(), query->value(1).toLongLong()};
}

Expected<Done, QString> StoredSigningKeys::insert(QSqlDatabase &db, const jose::SigningKey &key) const
{
    auto pem = key.key.privatePem();
    if (!pem)
        return Unexpected<QString>(pem.error().description);
    auto sealed = m_kek.key.seal(pem.value(), associatedData(key.kid, key.createdAt));
    pem->fill('\0');
    if (!sealed)
        return Unexpected<QString>(QStringLiteral("cannot seal the signing key %1: %2").arg(key.kid, sealed.error().description));
    auto inserted = store::Database::execute(
        db, QStringLiteral("INSERT INTO signing_keys (kid, created_at, algorithm, sealed_private_key, kek_id) VALUES (?, ?, ?, ?, ?)"),
        {key.kid, key.createdAt, kAlgorithm, QString::fromLatin1(sealed->toBase64()), m_kek.key.id()}, QStringLiteral("cannot store a signing key"));
    if (!inserted)
        return Unexpected<QString>(inserted.error());
    return Done{};
}

Expected<Done, QString> StoredSigningKeys::createFirstKeys(const QString &legacyKeyDirectory, int bits)
{
    auto existing = revision();
    if (!existing)
        return Unexpected<QString>(existing.error());
    if (existing->count > 0)
        return Done{};
    // An install from before kept its keys as files: tokens they signed must still verify, so they move
    // into the database as they are. Else a first key, made before taking the lock (key generation
    // takes a while; the instance that loses the race throws its key away).
    QList<jose::SigningKey> first;
    const bool importing = !legacyKeyDirectory.isEmpty() && !legacyKeyFiles(legacyKeyDirectory).isEmpty();
    if (importing) {
        auto files = jose::SigningKeyStore::open(legacyKeyDirectory, bits);
        if (!files)
            return Unexpected<QString>(QStringLiteral("cannot import the signing key files in %1: %2").arg(legacyKeyDirectory, files.error().description));
        first = files->keys();
    } else {
        auto key = jose::RsaKey::generate(bits);
        if (!key)
            return Unexpected<QString>(key.error().description);
        first.append(jose::SigningKey{key->thumbprint(), key.value(), QDateTime::currentSecsSinceEpoch()});
    }
    bool stored = false;
    auto done = m_database->transaction(
        [&](QSqlDatabase &db) -> Expected<Done, QString> {
            auto count = store::Database::execute(db, QStringLiteral("SELECT COUNT(*) FROM signing_keys"), {}, QStringLiteral("cannot count the signing keys"));
            if (!count)
                return Unexpected<QString>(count.error());
            if (count->next() && count->value(0).toLongLong() > 0)
                return Done{}; // another instance was first
            for (const jose::SigningKey &key : std::as_const(first)) {
                if (auto inserted = insert(db, key); !inserted)
                    return inserted;
            }
            store::Database::announce(db, announcement());
            stored = true;
            return Done{};
        },
        true);
    if (!done)
        return done;
    if (stored && importing)
        qCInfo(lcKeys).noquote() << "imported" << first.size() << "signing key(s) from" << legacyKeyDirectory << "into" << m_database->displayName()
                                 << "(sealed under the key-encryption key in" << m_kek.path
                                 << "); those files are no longer read: delete them once a backup holds the database and the secrets file";
    else if (stored)
        qCInfo(lcKeys).noquote() << "made the first signing key" << first.first().kid << "in" << m_database->displayName();
    return Done{};
}

Expected<bool, QString> StoredSigningKeys::reload()
{
    QMutexLocker writing(&m_writing);
    QList<StoredRow> rows;
    {
        auto query
            = m_database->execute(QStringLiteral("SELECT kid, created_at, algorithm, sealed_private_key, kek_id FROM signing_keys ORDER BY created_at, kid"),
                                  {}, QStringLiteral("cannot read the signing keys"));
        if (!query)
            return Unexpected<QString>(query.error());
        while (query->next())
            rows.append({query->value(0).toString(), query->value(1).toLongLong(), query->value(2).toString(), query->value(3).toString().toLatin1(),
                         query->value(4).toString()});
    }
    if (rows.isEmpty())
        return Unexpected<QString>(QStringLiteral("%1 holds no signing key (table signing_keys is empty)").arg(m_database->displayName()));

    const std::shared_ptr<const Snapshot> current = snapshot();
    QHash<QString, const jose::SigningKey *> opened;
    for (const jose::SigningKey &key : current->keys)
        opened.insert(key.kid, &key);
    const QString where = m_database->displayName();
    Snapshot next;
    for (const StoredRow &row : std::as_const(rows)) {
        // A key read before is not opened again: a reload after a rotation decrypts the new key only.
        if (const auto it = opened.constFind(row.kid); it != opened.cend() && (*it)->createdAt == row.createdAt) {
            next.keys.append(**it);
            continue;
        }
        if (row.algorithm != kAlgorithm)
            return Unexpected<QString>(
                QStringLiteral("the signing key %1 in %2 is for %3; this version signs with RS256 only").arg(row.kid, where, row.algorithm));
        const QString wrongKey = QStringLiteral("the signing keys in %1 are sealed under key-encryption key %2, but %3 holds key %4: give this instance the "
                                                "secrets file they were made with (--secrets-file or ORGANIZER_SECRETS_FILE)")
                                     .arg(where, row.kekId, m_kek.path, m_kek.key.id());
        if (!constantTimeEquals(row.kekId.toLatin1(), m_kek.key.id().toLatin1()))
            return Unexpected<QString>(wrongKey);
        auto sealed = QByteArray::fromBase64Encoding(row.sealed, QByteArray::AbortOnBase64DecodingErrors);
        if (!sealed)
            return Unexpected<QString>(QStringLiteral("the signing key %1 in %2 is damaged (not base64)").arg(row.kid, where));
        auto pem = m_kek.key.open(*sealed, associatedData(row.kid, row.createdAt));
        if (!pem && pem.error().code == jose::ErrorCode::KeyMismatch)
            return Unexpected<QString>(wrongKey);
        if (!pem)
            return Unexpected<QString>(QStringLiteral("the signing key %1 in %2 cannot be opened: %3").arg(row.kid, where, pem.error().description));
        auto key = jose::RsaKey::fromPem(pem.value());
        pem->fill('\0');
        if (!key || !key->hasPrivateKey() || key->thumbprint() != row.kid)
            return Unexpected<QString>(QStringLiteral("the signing key %1 in %2 does not hold the RSA private key its kid names").arg(row.kid, where));
        next.keys.append(jose::SigningKey{row.kid, key.value(), row.createdAt});
    }
    QList<jose::Jwk> newestFirst;
    for (auto it = next.keys.crbegin(); it != next.keys.crend(); ++it)
        newestFirst.append(jose::Jwk::forSigningKey(it->key, it->kid));
    next.publicKeys = jose::JwkSet(std::move(newestFirst));

    m_revision = Revision{next.keys.size(), next.keys.last().createdAt};
    QStringList before, after;
    for (const jose::SigningKey &key : current->keys)
        before.append(key.kid);
    for (const jose::SigningKey &key : std::as_const(next.keys))
        after.append(key.kid);
    if (before == after)
        return false;
    auto published = std::make_shared<const Snapshot>(std::move(next));
    QMutexLocker lock(&m_snapshotLock);
    m_snapshot = std::move(published);
    return true;
}

Expected<bool, QString> StoredSigningKeys::reloadIfChanged()
{
    auto now = revision();
    if (!now)
        return Unexpected<QString>(now.error());
    {
        QMutexLocker writing(&m_writing);
        if (now.value() == m_revision)
            return false;
    }
    return reload();
}

Expected<jose::SigningKey, QString> StoredSigningKeys::rotate(int bits)
{
    auto key = jose::RsaKey::generate(bits);
    if (!key)
        return Unexpected<QString>(key.error().description);
    jose::SigningKey signingKey{key->thumbprint(), key.value(), 0};
    auto done = m_database->transaction(
        [&](QSqlDatabase &db) -> Expected<Done, QString> {
            auto newest = store::Database::execute(db, QStringLiteral("SELECT COALESCE(MAX(created_at), 0) FROM signing_keys"), {},
                                                   QStringLiteral("cannot read the signing keys"));
            if (!newest)
                return Unexpected<QString>(newest.error());
            // Never two keys of one second: the order of creation is the order of keys, on every instance.
            signingKey.createdAt = QDateTime::currentSecsSinceEpoch();
            if (newest->next())
                signingKey.createdAt = std::max(signingKey.createdAt, newest->value(0).toLongLong() + 1);
            if (auto inserted = insert(db, signingKey); !inserted)
                return inserted;
            store::Database::announce(db, announcement());
            return Done{};
        },
        true);
    if (!done)
        return Unexpected<QString>(done.error());
    if (auto loaded = reload(); !loaded)
        return Unexpected<QString>(loaded.error());
    return signingKey;
}

Expected<int, QString> StoredSigningKeys::prune(qint64 now, qint64 retainSeconds)
{
    int removed = 0;
    auto done = m_database->transaction(
        [&](QSqlDatabase &db) -> Expected<Done, QString> {
            QList<QPair<QString, qint64>> keys; // oldest first
            {
                auto query = store::Database::execute(db, QStringLiteral("SELECT kid, created_at FROM signing_keys ORDER BY created_at, kid"), {},
                                                      QStringLiteral("cannot read the signing keys"));
                if (!query)
                    return Unexpected<QString>(query.error());
                while (query->next())
                    keys.append({query->value(0).toString(), query->value(1).toLongLong()});
            }
            // Key i stopped signing when key i + 1 was made; the last one signs and always stays.
            for (qsizetype i = 0; i + 1 < keys.size() && keys.at(i + 1).second + retainSeconds < now; ++i) {
                auto deleted = store::Database::execute(db, QStringLiteral("DELETE FROM signing_keys WHERE kid = ?"), {keys.at(i).first},
                                                        QStringLiteral("cannot remove a retired signing key"));
                if (!deleted)
                    return Unexpected<QString>(deleted.error());
                ++removed;
            }
            if (removed > 0)
                store::Database::announce(db, announcement());
            return Done{};
        },
        true);
    if (!done)
        return Unexpected<QString>(done.error());
    if (auto loaded = reload(); !loaded)
        return Unexpected<QString>(loaded.error());
    return removed;
}

} // namespace organizer::store
