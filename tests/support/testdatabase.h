#pragma once

#include "database.h"

#include <gtest/gtest.h>

#include <QString>

#include <memory>

namespace organizer::testing {

// The server's database on a SQLite file (migrated), for tests that build stores by hand.
inline std::shared_ptr<store::Database> sqliteDatabase(const QString &path)
{
    auto database = store::Database::open(store::DatabaseLocation::sqlite(path));
    EXPECT_TRUE(database) << (database ? std::string() : database.error().toStdString());
    return database ? database.value() : nullptr;
}

// The revision of the tenant stored over the tenant file in a data directory's SQLite database (0: nothing
// stored yet, -1: no database).
inline qint64 storedTenantRevision(const QString &dataDir)
{
    auto database = sqliteDatabase(dataDir + QStringLiteral("/organizer.sqlite"));
    if (!database)
        return -1;
    auto read = database->execute(QStringLiteral("SELECT revision FROM tenant_documents"), {}, QStringLiteral("reading the stored tenant's revision"));
    EXPECT_TRUE(read) << (read ? std::string() : read.error().toStdString());
    if (!read || !read->next())
        return 0;
    return read->value(0).toLongLong();
}

} // namespace organizer::testing
