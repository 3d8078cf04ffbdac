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

} // namespace organizer::testing
