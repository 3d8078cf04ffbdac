#include "tenantstore.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

namespace organizer::management {

Expected<std::unique_ptr<TenantStore>, QString> TenantStore::open(const QString &path)
{
    auto connection = server::SqliteConnection::open(path, QStringLiteral("organizer-tenant"));
    if (!connection)
        return Unexpected<QString>(connection.error());
    std::unique_ptr<TenantStore> store(new TenantStore(std::move(connection).value()));
    QSqlQuery query(store->m_connection.database());
    if (!query.exec(QStringLiteral("CREATE TABLE IF NOT EXISTS tenant_documents (source_digest TEXT PRIMARY KEY, document TEXT NOT NULL, "
                                   "updated_at INTEGER NOT NULL)")))
        return Unexpected<QString>(QStringLiteral("cannot prepare the tenant table: %1").arg(query.lastError().text()));
    return store;
}

QByteArray TenantStore::digestOf(const QByteArray &tenantFile)
{
    return QCryptographicHash::hash(tenantFile, QCryptographicHash::Sha256).toHex();
}

Expected<std::optional<QByteArray>, QString> TenantStore::load(const QByteArray &sourceDigest) const
{
    QSqlQuery query(m_connection.database());
    query.prepare(QStringLiteral("SELECT document FROM tenant_documents WHERE source_digest = ?"));
    query.addBindValue(QString::fromLatin1(sourceDigest));
    if (!query.exec())
        return Unexpected<QString>(QStringLiteral("cannot read the stored tenant: %1").arg(query.lastError().text()));
    if (!query.next())
        return std::optional<QByteArray>();
    return std::optional<QByteArray>(query.value(0).toString().toUtf8());
}

Expected<Done, QString> TenantStore::save(const QByteArray &sourceDigest, const QByteArray &document)
{
    QSqlQuery query(m_connection.database());
    query.prepare(QStringLiteral("INSERT INTO tenant_documents (source_digest, document, updated_at) VALUES (?, ?, ?) "
                                 "ON CONFLICT (source_digest) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at"));
    query.addBindValue(QString::fromLatin1(sourceDigest));
    query.addBindValue(QString::fromUtf8(document));
    query.addBindValue(QDateTime::currentSecsSinceEpoch());
    if (!query.exec())
        return Unexpected<QString>(QStringLiteral("cannot store the tenant: %1").arg(query.lastError().text()));
    return Done{};
}

} // namespace organizer::management
