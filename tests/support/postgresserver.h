#pragma once

#include "database.h"

#include <gtest/gtest.h>

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>

#include <optional>

namespace organizer::testing {

// The PostgreSQL server a suite runs against: the ctest fixture's (ORGANIZER_TEST_POSTGRES_DIR, see
// tests/cluster/postgres.sh), or one this process starts and stops when run on its own. Register it with
// ::testing::AddGlobalTestEnvironment. Needs ORGANIZER_SOURCE_DIR, to find the script.
class PostgresServer : public ::testing::Environment
{
public:
    void SetUp() override
    {
        m_dir = qEnvironmentVariable("ORGANIZER_TEST_POSTGRES_DIR");
        if (m_dir.isEmpty()) {
            m_own.emplace();
            m_dir = m_own->filePath(QStringLiteral("postgres"));
            ASSERT_EQ(QProcess::execute(script(), {QStringLiteral("start"), m_dir}), 0) << "could not start PostgreSQL for the suite";
        }
    }
    void TearDown() override
    {
        if (m_own)
            QProcess::execute(script(), {QStringLiteral("stop"), m_dir});
    }

    QString passwordFile() const { return m_dir + QStringLiteral("/password"); }
    // The URL of a new, empty database on the server, for one test.
    QString freshDatabaseUrl() const
    {
        QProcess createdb;
        createdb.start(script(), {QStringLiteral("createdb"), m_dir});
        EXPECT_TRUE(createdb.waitForFinished(30000) && createdb.exitCode() == 0) << createdb.readAllStandardError().toStdString();
        return QString::fromUtf8(createdb.readAllStandardOutput()).trimmed();
    }
    // The same, as a location with its password.
    store::DatabaseLocation freshDatabase() const
    {
        auto location = store::parseDatabaseUrl(freshDatabaseUrl(), passwordFile());
        EXPECT_TRUE(location) << (location ? std::string() : location.error().toStdString());
        return location ? location.value() : store::DatabaseLocation{};
    }

private:
    static QString script() { return QStringLiteral(ORGANIZER_SOURCE_DIR "/tests/cluster/postgres.sh"); }

    QString m_dir;
    std::optional<QTemporaryDir> m_own;
};

// main() of a suite that runs against PostgreSQL: `server` is set before the first test.
inline int runWithPostgres(int argc, char **argv, PostgresServer *&server)
{
    QCoreApplication app(argc, argv);
    QLoggingCategory::setFilterRules(QStringLiteral("organizer.*.info=false\norganizer.*.debug=false"));
    ::testing::InitGoogleTest(&argc, argv);
    server = new PostgresServer; // owned by gtest once registered
    ::testing::AddGlobalTestEnvironment(server);
    return RUN_ALL_TESTS();
}

} // namespace organizer::testing
