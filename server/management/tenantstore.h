#pragma once

#include "expected.h"
#include "sqliteconnection.h"

#include <QByteArray>
#include <QString>

#include <memory>
#include <optional>

namespace organizer::management {

// The tenant as the Management API left it, in SQLite beside the records (synchronous=FULL: an
// acknowledged change survives a crash). Kept per source: the digest of the tenant file it started
// from. Editing the file starts a new line from it; the changes made on the old file stay stored and
// come back if the file does.
class TenantStore
{
public:
    static Expected<std::unique_ptr<TenantStore>, QString> open(const QString &path);

    static QByteArray digestOf(const QByteArray &tenantFile);
    Expected<std::optional<QByteArray>, QString> load(const QByteArray &sourceDigest) const;
    Expected<Done, QString> save(const QByteArray &sourceDigest, const QByteArray &document);

private:
    explicit TenantStore(server::SqliteConnection connection) : m_connection(std::move(connection)) {}
    server::SqliteConnection m_connection;
};

} // namespace organizer::management
