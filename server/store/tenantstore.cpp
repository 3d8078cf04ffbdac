#include "tenantstore.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

namespace organizer::store {

using store::Database;

QByteArray TenantStore::digestOf(const QByteArray &tenantFile)
{
    return QCryptographicHash::hash(tenantFile, QCryptographicHash::Sha256).toHex();
}

Expected<std::optional<TenantStore::Stored>, QString> TenantStore::load(const QByteArray &sourceDigest) const
{
    QSqlQuery query(m_database->connection());
    query.prepare(QStringLiteral("SELECT document, revision FROM tenant_documents WHERE source_digest = ?"));
    query.addBindValue(QString::fromLatin1(sourceDigest));
    if (!query.exec())
        return Unexpected<QString>(Database::describe(QStringLiteral("cannot read the stored tenant"), query.lastError()));
    if (!query.next())
        return std::optional<Stored>();
    return std::optional<Stored>(Stored{query.value(0).toString().toUtf8(), query.value(1).toLongLong()});
}

Expected<qint64, QString> TenantStore::revision(const QByteArray &sourceDigest) const
{
    QSqlQuery query(m_database->connection());
    query.prepare(QStringLiteral("SELECT revision FROM tenant_documents WHERE source_digest = ?"));
    query.addBindValue(QString::fromLatin1(sourceDigest));
    if (!query.exec())
        return Unexpected<QString>(Database::describe(QStringLiteral("cannot read the stored tenant's revision"), query.lastError()));
    return query.next() ? query.value(0).toLongLong() : qint64(0);
}

Expected<std::optional<qint64>, QString> TenantStore::save(const QByteArray &sourceDigest, const QByteArray &document, qint64 expectedRevision)
{
    // Compare-and-set on the revision: two instances changing the tenant at once cannot lose either change.
    QSqlQuery query(m_database->connection());
    if (expectedRevision == 0)
        query.prepare(QStringLiteral("INSERT INTO tenant_documents (source_digest, document, updated_at, revision) VALUES (?, ?, ?, 1) "
                                     "ON CONFLICT (source_digest) DO NOTHING RETURNING revision"));
    else
        query.prepare(QStringLiteral("UPDATE tenant_documents SET source_digest = ?, document = ?, updated_at = ?, revision = revision + 1 "
                                     "WHERE source_digest = ? AND revision = ? RETURNING revision"));
    query.addBindValue(QString::fromLatin1(sourceDigest));
    query.addBindValue(QString::fromUtf8(document));
    query.addBindValue(QDateTime::currentSecsSinceEpoch());
    if (expectedRevision != 0) {
        query.addBindValue(QString::fromLatin1(sourceDigest));
        query.addBindValue(expectedRevision);
    }
    if (!query.exec())
        return Unexpected<QString>(Database::describe(QStringLiteral("cannot store the tenant"), query.lastError()));
    if (!query.next())
        return std::optional<qint64>();
    const qint64 revision = query.value(0).toLongLong();
    query.finish();
    m_database->announce(QStringLiteral("tenant"));
    return std::optional<qint64>(revision);
}

} // namespace organizer::store
