// `organizer-server tenant import/export` against PostgreSQL (issue 24), where instances behind a load balancer
// share one tenant: an import is taken on by every running server on the database, a second import changes
// nothing, and an export of the database gives back what was imported. ctest runs PostgreSQL with
// tests/cluster/postgres.sh; run alone, the suite starts its own.

#include "authorizationfixture.h"
#include "postgresserver.h"
#include "waitfor.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::test;
using organizer::testing::PostgresServer;

namespace {

PostgresServer *postgres = nullptr;

class TenantOnPostgres : public ::testing::Test
{
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_files.isValid());
        m_secretsFile = m_files.filePath(QStringLiteral("secrets.key"));
        const CommandResult made = runServerCommand({QStringLiteral("secrets"), QStringLiteral("init"), QStringLiteral("--secrets-file"), m_secretsFile});
        ASSERT_EQ(made.exitCode, 0) << made.err.toStdString();
        m_databaseUrl = postgres->freshDatabaseUrl();
        ASSERT_FALSE(m_databaseUrl.isEmpty());
    }

    // What every command and server on the shared database is given.
    QStringList database() const
    {
        return {QStringLiteral("--database"),     m_databaseUrl, QStringLiteral("--database-password-file"), postgres->passwordFile(),
                QStringLiteral("--secrets-file"), m_secretsFile};
    }
    CommandResult tenant(const QStringList &arguments) const { return runServerCommand(QStringList{QStringLiteral("tenant")} + arguments + database()); }
    // The revision an export reports ("exported the tenant (revision N)").
    static qint64 revisionOf(const CommandResult &exported)
    {
        const QRegularExpressionMatch match = QRegularExpression(QStringLiteral("\\(revision (\\d+)\\)")).match(QString::fromUtf8(exported.err));
        return match.hasMatch() ? match.captured(1).toLongLong() : -1;
    }
    QString write(const QString &name, const QJsonObject &document) const
    {
        const QString path = m_files.filePath(name);
        QFile file(path);
        EXPECT_TRUE(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(QJsonDocument(document).toJson());
        return path;
    }

    QTemporaryDir m_files;
    QString m_secretsFile;
    QString m_databaseUrl;
};

// A scope for a new API action, granted to the machine-to-machine client, as a team would add one by import.
QJsonObject withNotes(const QJsonObject &document)
{
    const QJsonObject withScope = withDeployEntries(
        document, QStringLiteral("resourceServers"),
        [](const QJsonObject &server) { return server.value(QLatin1String("identifier")).toString() == QLatin1String("organize"); },
        [](QJsonObject &server) {
            QJsonArray scopes = server.value(QLatin1String("scopes")).toArray();
            scopes.append(QJsonObject{{QStringLiteral("value"), QStringLiteral("read:notes")}, {QStringLiteral("description"), QStringLiteral("Read notes")}});
            server.insert(QStringLiteral("scopes"), scopes);
        });
    // The Deploy CLI names a grant's application by its name.
    return withDeployEntries(
        withScope, QStringLiteral("clientGrants"),
        [](const QJsonObject &grant) {
            return grant.value(QLatin1String("client_id")).toString() == QLatin1String("Organizer CLI (machine to machine)")
                && grant.value(QLatin1String("audience")).toString() == QLatin1String("organize");
        },
        [](QJsonObject &grant) {
            QJsonArray scope = grant.value(QLatin1String("scope")).toArray();
            scope.append(QStringLiteral("read:notes"));
            grant.insert(QStringLiteral("scope"), scope);
        });
}

QByteArray machineToken(quint16 port, const QString &scope)
{
    return tokenRequest(port,
                        {{QStringLiteral("grant_type"), QStringLiteral("client_credentials")},
                         {QStringLiteral("client_id"), QStringLiteral("organizer-cli")},
                         {QStringLiteral("client_secret"), QStringLiteral("organizer-cli-secret")},
                         {QStringLiteral("audience"), QStringLiteral("organize")},
                         {QStringLiteral("scope"), scope}})
        .body;
}

} // namespace

TEST_F(TenantOnPostgres, AnImportIsTakenOnByEveryServerOnTheDatabaseAndASecondOneChangesNothing)
{
    ServerProcess a;
    ServerProcess b;
    ASSERT_TRUE(a.start(database())) << a.errorText().toStdString();
    ASSERT_TRUE(b.start(database())) << b.errorText().toStdString();
    const QByteArray before = machineToken(a.port(), QStringLiteral("read:notes"));
    EXPECT_TRUE(before.contains("access_denied")) << "no such scope yet: " << before.toStdString();

    const CommandResult exported = tenant({QStringLiteral("export")});
    ASSERT_EQ(exported.exitCode, 0) << exported.err.toStdString();
    EXPECT_EQ(revisionOf(exported), 0) << "nothing stored over the tenant file yet";
    const QJsonObject edited = withNotes(QJsonDocument::fromJson(exported.out).object());
    const QString file = write(QStringLiteral("tenant.json"), edited);

    const CommandResult imported = tenant({QStringLiteral("import"), file});
    ASSERT_EQ(imported.exitCode, 0) << imported.err.toStdString();
    for (ServerProcess *server : {&a, &b}) {
        EXPECT_TRUE(waitFor([&] { return machineToken(server->port(), QStringLiteral("read:notes")).contains("\"scope\":\"read:notes\""); }, 10000))
            << "a server on the database did not take the import on: " << machineToken(server->port(), QStringLiteral("read:notes")).toStdString();
    }

    const CommandResult stored = tenant({QStringLiteral("export")});
    ASSERT_EQ(stored.exitCode, 0) << stored.err.toStdString();
    const qint64 revision = revisionOf(stored);
    EXPECT_GT(revision, 0);
    EXPECT_EQ(QJsonDocument::fromJson(stored.out).object(), edited) << "the database gives back exactly what was imported";

    const CommandResult again = tenant({QStringLiteral("import"), file});
    ASSERT_EQ(again.exitCode, 0) << again.err.toStdString();
    EXPECT_EQ(revisionOf(tenant({QStringLiteral("export")})), revision) << "importing the same document again stored a new revision";

    // A server started on the database afterwards serves the imported tenant from its first request.
    ServerProcess late;
    ASSERT_TRUE(late.start(database())) << late.errorText().toStdString();
    EXPECT_TRUE(machineToken(late.port(), QStringLiteral("read:notes")).contains("\"scope\":\"read:notes\""));
}

int main(int argc, char **argv)
{
    return organizer::testing::runWithPostgres(argc, argv, postgres);
}
