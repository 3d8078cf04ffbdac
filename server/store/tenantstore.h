#pragma once

#include "expected.h"
#include "database.h"

#include <QByteArray>
#include <QString>

#include <memory>
#include <optional>

namespace organizer::store {

// The tenant as the Management API left it, in the server's database beside the records (an
// acknowledged change survives a crash). Each save moves the document's revision, so instances sharing
// the database notice one another's changes. Kept per source: the digest of the tenant file it started
// from. Editing the file starts a new line from it; the changes made on the old file stay stored and
// come back if the file does.
class TenantStore
{
public:
    explicit TenantStore(std::shared_ptr<store::Database> database) : m_database(std::move(database)) {}

    static QByteArray digestOf(const QByteArray &tenantFile);
    struct Stored
    {
        QByteArray document;
        qint64 revision = 0;
    };
    Expected<std::optional<Stored>, QString> load(const QByteArray &sourceDigest) const;
    // The revision the stored document has now (0: none stored).
    Expected<qint64, QString> revision(const QByteArray &sourceDigest) const;
    // Stores `document` if the stored one is still at `expectedRevision` (0: none stored yet) and
    // returns the new revision; nullopt when another instance changed it first.
    Expected<std::optional<qint64>, QString> save(const QByteArray &sourceDigest, const QByteArray &document, qint64 expectedRevision);

private:
    std::shared_ptr<store::Database> m_database;
};

} // namespace organizer::store
