// `organizer-server tenant export/import` (issue 24): the tenant a server serves as code, in Auth0 Deploy
// CLI's shapes; a round trip into a fresh data directory gives the same tenant, an import is all or
// nothing, a second one changes nothing, and a running server takes an import on at once.

#include "authorizationfixture.h"
#include "testdatabase.h"
#include "waitfor.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::test;

namespace {

QJsonObject exportOf(const QString &dataDir)
{
    const CommandResult result = runServerCommand({QStringLiteral("tenant"), QStringLiteral("export"), QStringLiteral("--data-dir"), dataDir});
    EXPECT_EQ(result.exitCode, 0) << result.err.toStdString();
    return QJsonDocument::fromJson(result.out).object();
}

CommandResult import(const QString &dataDir, const QString &path)
{
    return runServerCommand({QStringLiteral("tenant"), QStringLiteral("import"), path, QStringLiteral("--data-dir"), dataDir});
}

QString writeJson(const QString &path, const QJsonObject &document)
{
    QFile file(path);
    EXPECT_TRUE(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(QJsonDocument(document).toJson());
    return path;
}

struct Stored
{
    QByteArray document;
    qint64 revision = 0;
};
Stored storedTenant(const QString &dataDir)
{
    auto database = organizer::testing::sqliteDatabase(dataDir + QStringLiteral("/organizer.sqlite"));
    if (!database)
        return {};
    auto read = database->execute(QStringLiteral("SELECT document, revision FROM tenant_documents"), {}, QStringLiteral("reading the stored tenant"));
    if (!read || !read->next())
        return {};
    return {read->value(0).toByteArray(), read->value(1).toLongLong()};
}

QJsonObject named(const QJsonArray &array, const QString &member, const QString &value)
{
    for (const QJsonValue &entry : array)
        if (entry.toObject().value(member).toString() == value)
            return entry.toObject();
    return {};
}

// The edit a team would make: a scope, a client grant, a role and its permission, an application's callbacks.
QJsonObject edited(QJsonObject document)
{
    const auto whereIs = [](const char *member, const char *value) {
        return [member, value](const QJsonObject &entry) { return entry.value(QLatin1String(member)).toString() == QLatin1String(value); };
    };
    document = withDeployEntries(document, QStringLiteral("resourceServers"), whereIs("identifier", "organize"), [](QJsonObject &server) {
        QJsonArray scopes = server.value(QLatin1String("scopes")).toArray();
        scopes.append(QJsonObject{{QStringLiteral("value"), QStringLiteral("read:notes")}, {QStringLiteral("description"), QStringLiteral("Read notes")}});
        server.insert(QStringLiteral("scopes"), scopes);
    });
    document = withDeployEntries(document, QStringLiteral("clients"), whereIs("client_id", "organizer-desktop"), [](QJsonObject &client) {
        client.insert(QStringLiteral("callbacks"), QJsonArray{QStringLiteral("http://localhost:3000/callback"), QStringLiteral("https://app.example.com/cb")});
    });
    document = withDeployEntries(document, QStringLiteral("clientGrants"), whereIs("audience", "organize"), [](QJsonObject &grant) {
        grant.insert(QStringLiteral("scope"), QJsonArray{QStringLiteral("read:contacts"), QStringLiteral("read:notes")});
    });
    QJsonArray roles = document.value(QLatin1String("roles")).toArray();
    roles.append(QJsonObject{{QStringLiteral("name"), QStringLiteral("Note readers")},
                             {QStringLiteral("description"), QStringLiteral("Read notes")},
                             {QStringLiteral("permissions"),
                              QJsonArray{QJsonObject{{QStringLiteral("permission_name"), QStringLiteral("read:notes")},
                                                     {QStringLiteral("resource_server_identifier"), QStringLiteral("organize")}}}}});
    document.insert(QStringLiteral("roles"), roles);
    return document;
}

} // namespace

TEST(TenantCli, ExportIsTheDeployCliShapeWithoutTheSystemApiUsersOrSecrets)
{
    QTemporaryDir dir;
    const CommandResult result = runServerCommand({QStringLiteral("tenant"), QStringLiteral("export"), QStringLiteral("--data-dir"), dir.path()});
    ASSERT_EQ(result.exitCode, 0) << result.err.toStdString();
    EXPECT_TRUE(result.err.contains("client secrets are not exported")) << result.err.toStdString();
    const QJsonObject document = QJsonDocument::fromJson(result.out).object();
    EXPECT_EQ(document.keys(),
              (QStringList{QStringLiteral("clientGrants"), QStringLiteral("clients"), QStringLiteral("resourceServers"), QStringLiteral("roles")}));
    const QJsonArray servers = document.value(QLatin1String("resourceServers")).toArray();
    ASSERT_EQ(servers.size(), 1) << "the system API is never exported";
    const QJsonObject organize = servers.at(0).toObject();
    EXPECT_EQ(organize.value(QLatin1String("identifier")).toString(), QLatin1String("organize"));
    EXPECT_EQ(organize.value(QLatin1String("token_dialect")).toString(), QLatin1String("access_token_authz"));
    EXPECT_FALSE(organize.contains(QLatin1String("is_system")));
    EXPECT_FALSE(result.out.contains("secret\"")) << "no client_secret, no client_secret_hash";
    EXPECT_FALSE(result.out.contains("pbkdf2")) << "no hash of any kind";
    EXPECT_FALSE(result.out.contains("alice")) << "no users";
    const QJsonObject desktop = named(document.value(QLatin1String("clients")).toArray(), QStringLiteral("client_id"), QStringLiteral("organizer-desktop"));
    EXPECT_EQ(desktop.value(QLatin1String("token_endpoint_auth_method")).toString(), QLatin1String("none"));
    EXPECT_EQ(desktop.value(QLatin1String("app_type")).toString(), QLatin1String("native"));
    // A grant names its application by name, as the Deploy CLI writes it; the Management API's by the issuer placeholder.
    const QJsonObject adminGrant
        = named(document.value(QLatin1String("clientGrants")).toArray(), QStringLiteral("client_id"), QStringLiteral("Organizer Admin (Management API)"));
    EXPECT_EQ(adminGrant.value(QLatin1String("audience")).toString(), QLatin1String("{issuer}api/v2/"));
    EXPECT_FALSE(adminGrant.value(QLatin1String("scope")).toArray().isEmpty());
}

TEST(TenantCli, ImportIsIdempotentAndARoundTripGivesTheSameTenant)
{
    QTemporaryDir first;
    QTemporaryDir second;
    QTemporaryDir files;
    const QJsonObject change = edited(exportOf(first.path()));
    const CommandResult imported = import(first.path(), writeJson(files.filePath(QStringLiteral("tenant.json")), change));
    ASSERT_EQ(imported.exitCode, 0) << imported.err.toStdString();
    EXPECT_TRUE(imported.out.contains("tenant revision 1")) << imported.out.toStdString();
    const Stored afterFirst = storedTenant(first.path());
    ASSERT_EQ(afterFirst.revision, 1);

    // The same again: nothing changes, no new revision.
    const CommandResult again = import(first.path(), files.filePath(QStringLiteral("tenant.json")));
    ASSERT_EQ(again.exitCode, 0) << again.err.toStdString();
    EXPECT_TRUE(again.out.contains("nothing changed")) << again.out.toStdString();
    EXPECT_EQ(storedTenant(first.path()).revision, 1);
    EXPECT_EQ(storedTenant(first.path()).document, afterFirst.document);

    const QJsonObject exported = exportOf(first.path());
    EXPECT_EQ(exported, change) << "the export shows exactly what was imported";
    EXPECT_EQ(named(exported.value(QLatin1String("roles")).toArray(), QStringLiteral("name"), QStringLiteral("Note readers"))
                  .value(QLatin1String("permissions"))
                  .toArray()
                  .size(),
              1);

    // The directory format into a fresh data directory: the same tenant, stored document for stored document.
    const QString directory = files.filePath(QStringLiteral("deploy"));
    const CommandResult toDirectory = runServerCommand(
        {QStringLiteral("tenant"), QStringLiteral("export"), QStringLiteral("--output"), directory, QStringLiteral("--data-dir"), first.path()});
    ASSERT_EQ(toDirectory.exitCode, 0) << toDirectory.err.toStdString();
    EXPECT_TRUE(QFile::exists(directory + QStringLiteral("/resource-servers/Organizer Service.json")));
    EXPECT_TRUE(QFile::exists(directory + QStringLiteral("/clients/Organizer Desktop.json")));
    EXPECT_TRUE(QFile::exists(directory + QStringLiteral("/grants/Organizer CLI (machine to machine)-Organizer Service.json")));
    EXPECT_TRUE(QFile::exists(directory + QStringLiteral("/roles/Note readers.json")));
    const CommandResult intoFresh = import(second.path(), directory);
    ASSERT_EQ(intoFresh.exitCode, 0) << intoFresh.err.toStdString();
    EXPECT_EQ(storedTenant(second.path()).document, afterFirst.document);
    EXPECT_EQ(exportOf(second.path()), exported);
}

TEST(TenantCli, AnImportWithAProblemIsRefusedWholeAndNamesWhere)
{
    QTemporaryDir dir;
    QTemporaryDir files;
    QJsonObject change = edited(exportOf(dir.path()));
    QJsonArray clients = change.value(QLatin1String("clients")).toArray();
    QJsonObject broken = clients.at(1).toObject();
    broken.insert(QStringLiteral("callbacks"), QJsonArray{QStringLiteral("not a url")});
    clients.replace(1, broken);
    change.insert(QStringLiteral("clients"), clients);
    const CommandResult refused = import(dir.path(), writeJson(files.filePath(QStringLiteral("tenant.json")), change));
    EXPECT_NE(refused.exitCode, 0);
    EXPECT_TRUE(refused.err.contains("nothing imported: clients[1].callbacks[0]: ")) << refused.err.toStdString();
    EXPECT_EQ(storedTenant(dir.path()).revision, 0) << "not even the valid scope before it";

    // Where the Deploy CLI keeps it in the directory format: the file is named too.
    const QString directory = files.filePath(QStringLiteral("deploy"));
    ASSERT_EQ(
        runServerCommand({QStringLiteral("tenant"), QStringLiteral("export"), QStringLiteral("--output"), directory, QStringLiteral("--data-dir"), dir.path()})
            .exitCode,
        0);
    writeJson(directory + QStringLiteral("/roles/Broken.json"),
              QJsonObject{{QStringLiteral("name"), QStringLiteral("Broken")},
                          {QStringLiteral("permissions"),
                           QJsonArray{QJsonObject{{QStringLiteral("permission_name"), QStringLiteral("read:nothing")},
                                                  {QStringLiteral("resource_server_identifier"), QStringLiteral("organize")}}}}});
    const CommandResult refusedFile = import(dir.path(), directory);
    EXPECT_NE(refusedFile.exitCode, 0);
    EXPECT_TRUE(refusedFile.err.contains("roles[0].permissions")) << refusedFile.err.toStdString();
    EXPECT_TRUE(refusedFile.err.contains("(in roles/Broken.json)")) << refusedFile.err.toStdString();

    // The system API is never imported, under any issuer.
    const QJsonObject system{{QStringLiteral("resourceServers"),
                              QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("Auth0 Management API")},
                                                     {QStringLiteral("identifier"), QStringLiteral("https://localhost:3001/api/v2/")}}}}};
    const CommandResult refusedSystem = import(dir.path(), writeJson(files.filePath(QStringLiteral("system.json")), system));
    EXPECT_NE(refusedSystem.exitCode, 0);
    EXPECT_TRUE(refusedSystem.err.contains("resourceServers[0].identifier: the Management API is the system API")) << refusedSystem.err.toStdString();
    EXPECT_EQ(storedTenant(dir.path()).revision, 0);
}

TEST(TenantCli, ARunningServerTakesAnImportOnAtOnce)
{
    QTemporaryDir files;
    ServerProcess server;
    ASSERT_TRUE(server.start()) << server.errorText().toStdString();
    const quint16 port = server.url().port();
    QJsonObject change = edited(exportOf(server.dataDir()));
    // A new machine-to-machine application: a secret is made for it and shown once.
    QJsonArray clients = change.value(QLatin1String("clients")).toArray();
    clients.append(QJsonObject{{QStringLiteral("name"), QStringLiteral("Reporting job")},
                               {QStringLiteral("app_type"), QStringLiteral("non_interactive")},
                               {QStringLiteral("grant_types"), QJsonArray{QStringLiteral("client_credentials")}}});
    change.insert(QStringLiteral("clients"), clients);
    QJsonArray grants = change.value(QLatin1String("clientGrants")).toArray();
    grants.append(QJsonObject{{QStringLiteral("client_id"), QStringLiteral("Reporting job")},
                              {QStringLiteral("audience"), QStringLiteral("organize")},
                              {QStringLiteral("scope"), QJsonArray{QStringLiteral("read:notes")}}});
    change.insert(QStringLiteral("clientGrants"), grants);
    const CommandResult imported = import(server.dataDir(), writeJson(files.filePath(QStringLiteral("tenant.json")), change));
    ASSERT_EQ(imported.exitCode, 0) << imported.err.toStdString();
    const QRegularExpression shown(QStringLiteral("client secret, shown only now: Reporting job \\(([^)]+)\\): (\\S+)"));
    const QRegularExpressionMatch secret = shown.match(QString::fromUtf8(imported.out));
    ASSERT_TRUE(secret.hasMatch()) << imported.out.toStdString();

    const QString token = QString::fromUtf8(
        managementClientCredentials(port, server.issuer(), QStringLiteral("organizer-admin"), QStringLiteral("organizer-admin-secret")).json("access_token"));
    ASSERT_FALSE(token.isEmpty());
    EXPECT_TRUE(waitFor([&] {
        const HttpReply reply = callApi(port, "GET", "/api/v2/resource-servers", token);
        return reply.body.contains("read:notes");
    })) << "the running server took on the import";
    const HttpReply job = tokenRequest(port,
                                       {{QStringLiteral("grant_type"), QStringLiteral("client_credentials")},
                                        {QStringLiteral("client_id"), secret.captured(1)},
                                        {QStringLiteral("client_secret"), secret.captured(2)},
                                        {QStringLiteral("audience"), QStringLiteral("organize")}});
    EXPECT_EQ(job.status, 200) << job.body.constData();
    EXPECT_TRUE(job.body.contains("read:notes")) << job.body.constData();
}

// What the Management API answers for an API (and so a0deploy exports) lists the built-in APIs and what it
// derives (path, scopes); taken back, they are what they were: nothing to change.
TEST(TenantCli, TheBuiltInApisTheManagementApiListsAreNoChange)
{
    QTemporaryDir dir;
    QTemporaryDir files;
    QJsonObject document = exportOf(dir.path());
    QJsonArray servers = document.value(QLatin1String("resourceServers")).toArray();
    QJsonObject organize = servers.at(0).toObject();
    organize.insert(QStringLiteral("is_system"), false);
    organize.insert(QStringLiteral("organizer_apis"),
                    QJsonArray{QJsonObject{{QStringLiteral("builtin"), true},
                                           {QStringLiteral("name"), QStringLiteral("contacts")},
                                           {QStringLiteral("path"), QStringLiteral("/api/contacts")},
                                           {QStringLiteral("scopes"), QJsonArray{QStringLiteral("read:contacts")}}}});
    servers.replace(0, organize);
    document.insert(QStringLiteral("resourceServers"), servers);
    const CommandResult imported = import(dir.path(), writeJson(files.filePath(QStringLiteral("tenant.json")), document));
    ASSERT_EQ(imported.exitCode, 0) << imported.err.toStdString();
    EXPECT_TRUE(imported.out.contains("nothing changed (revision 0)")) << imported.out.toStdString();
}

// The Deploy CLI's tenant.yaml: written and read back to the same tenant, a string that YAML would read as
// something else (a number, true) kept a string, a problem named by its line or by its path.
TEST(TenantCli, TheYamlFormatRoundTrips)
{
    QTemporaryDir first;
    QTemporaryDir second;
    QTemporaryDir files;
    QJsonObject change = edited(exportOf(first.path()));
    QJsonArray roles = change.value(QLatin1String("roles")).toArray();
    QJsonObject role = roles.last().toObject();
    role.insert(QStringLiteral("description"), QStringLiteral("007"));
    roles.replace(roles.size() - 1, role);
    roles.append(QJsonObject{{QStringLiteral("name"), QStringLiteral("true")},
                             {QStringLiteral("description"), QStringLiteral("it's: a \"role\"\n# not a comment")},
                             {QStringLiteral("permissions"), QJsonArray()}});
    change.insert(QStringLiteral("roles"), roles);
    ASSERT_EQ(import(first.path(), writeJson(files.filePath(QStringLiteral("tenant.json")), change)).exitCode, 0);

    const QString yaml = files.filePath(QStringLiteral("tenant.yaml"));
    const CommandResult exported = runServerCommand({QStringLiteral("tenant"), QStringLiteral("export"), QStringLiteral("--format"), QStringLiteral("yaml"),
                                                     QStringLiteral("--output"), yaml, QStringLiteral("--data-dir"), first.path()});
    ASSERT_EQ(exported.exitCode, 0) << exported.err.toStdString();
    QFile file(yaml);
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    const QByteArray text = file.readAll();
    EXPECT_TRUE(text.startsWith("clientGrants:\n")) << text.constData();
    EXPECT_TRUE(text.contains("description: '007'")) << text.constData();

    const CommandResult again = import(first.path(), yaml);
    ASSERT_EQ(again.exitCode, 0) << again.err.toStdString();
    EXPECT_TRUE(again.out.contains("nothing changed")) << again.out.toStdString();
    const CommandResult intoFresh = import(second.path(), yaml);
    ASSERT_EQ(intoFresh.exitCode, 0) << intoFresh.err.toStdString();
    EXPECT_EQ(storedTenant(second.path()).document, storedTenant(first.path()).document);
    EXPECT_EQ(exportOf(second.path()), change);

    const QString broken = files.filePath(QStringLiteral("broken.yaml"));
    QFile brokenFile(broken);
    ASSERT_TRUE(brokenFile.open(QIODevice::WriteOnly));
    brokenFile.write("clients:\n  - name: Organizer Desktop\n    callbacks: [https://ok.example/cb, \"not a url\"]\n");
    brokenFile.close();
    const CommandResult refused = import(second.path(), broken);
    EXPECT_NE(refused.exitCode, 0);
    EXPECT_TRUE(refused.err.contains("nothing imported: clients[0].callbacks[1]: ")) << refused.err.toStdString();
    ASSERT_TRUE(brokenFile.open(QIODevice::WriteOnly | QIODevice::Truncate));
    brokenFile.write("clients:\n  - name: [unclosed\n");
    brokenFile.close();
    const CommandResult unreadable = import(second.path(), broken);
    EXPECT_NE(unreadable.exitCode, 0);
    EXPECT_TRUE(unreadable.err.contains("not valid YAML: line 3")) << unreadable.err.toStdString();
}

// A scope taken from an API leaves the users' permissions and the grants the document does not mention, as a
// change through the Management API does; a grant the document does mention must not name it.
TEST(TenantCli, AScopeTakenAwayLeavesWhatTheDocumentDoesNotMention)
{
    QTemporaryDir dir;
    QTemporaryDir files;
    QJsonObject document = exportOf(dir.path());
    QJsonArray servers = document.value(QLatin1String("resourceServers")).toArray();
    QJsonObject organize = servers.at(0).toObject();
    QJsonArray scopes;
    for (const QJsonValue &scope : organize.value(QLatin1String("scopes")).toArray())
        if (scope.toObject().value(QLatin1String("value")).toString() != QLatin1String("read:calendar"))
            scopes.append(scope);
    organize.insert(QStringLiteral("scopes"), scopes);
    servers.replace(0, organize);
    document.insert(QStringLiteral("resourceServers"), servers);

    const CommandResult named = import(dir.path(), writeJson(files.filePath(QStringLiteral("named.json")), document));
    EXPECT_NE(named.exitCode, 0);
    EXPECT_TRUE(named.err.contains("clientGrants[0].scope: \"read:calendar\" is not a scope of organize")) << named.err.toStdString();

    document.insert(QStringLiteral("clientGrants"), QJsonArray());
    const CommandResult imported = import(dir.path(), writeJson(files.filePath(QStringLiteral("left-out.json")), document));
    ASSERT_EQ(imported.exitCode, 0) << imported.err.toStdString();
    const QByteArray stored = storedTenant(dir.path()).document;
    EXPECT_FALSE(stored.contains("read:calendar")) << stored.constData();
    EXPECT_TRUE(stored.contains("read:contacts"));
}

// The round trip from a tenant changed the usual way, through the Management API of a server started from
// the bundled tenant file: its export, imported into a fresh data directory, is the same stored tenant.
TEST(TenantCli, ATenantChangedThroughTheManagementApiRoundTripsIntoAFreshDataDirectory)
{
    QTemporaryDir fresh;
    QTemporaryDir files;
    ServerProcess server;
    ASSERT_TRUE(server.start()) << server.errorText().toStdString();
    const quint16 port = server.url().port();
    const QString token = QString::fromUtf8(
        managementClientCredentials(port, server.issuer(), QStringLiteral("organizer-admin"), QStringLiteral("organizer-admin-secret")).json("access_token"));
    ASSERT_FALSE(token.isEmpty());
    QJsonArray scopes;
    for (const QJsonValue &entry : QJsonDocument::fromJson(callApi(port, "GET", "/api/v2/resource-servers", token).body).array()) {
        if (entry.toObject().value(QLatin1String("identifier")).toString() == QLatin1String("organize"))
            scopes = entry.toObject().value(QLatin1String("scopes")).toArray();
    }
    ASSERT_FALSE(scopes.isEmpty());
    scopes.append(QJsonObject{{QStringLiteral("value"), QStringLiteral("read:notes")}, {QStringLiteral("description"), QStringLiteral("Read notes")}});
    const HttpReply patched = callApi(port, "PATCH", "/api/v2/resource-servers/organize", token,
                                      QJsonDocument(QJsonObject{{QStringLiteral("scopes"), scopes}, {QStringLiteral("token_lifetime"), 7200}}).toJson());
    ASSERT_EQ(patched.status, 200) << patched.body.constData();
    const HttpReply callbacks
        = callApi(port, "PATCH", "/api/v2/clients/organizer-desktop", token,
                  QJsonDocument(QJsonObject{{QStringLiteral("callbacks"),
                                             QJsonArray{QStringLiteral("http://localhost:3000/callback"), QStringLiteral("https://app.example.com/cb")}},
                                            {QStringLiteral("allowed_origins"), QJsonArray{QStringLiteral("https://app.example.com")}},
                                            {QStringLiteral("description"), QStringLiteral("The desktop app")}})
                      .toJson());
    ASSERT_EQ(callbacks.status, 200) << callbacks.body.constData();
    // A confidential application authenticating with HTTP Basic keeps saying so.
    const HttpReply basic = callApi(port, "PATCH", "/api/v2/clients/organizer-cli", token,
                                    QJsonDocument(QJsonObject{{QStringLiteral("token_endpoint_auth_method"), QStringLiteral("client_secret_basic")}}).toJson());
    ASSERT_EQ(basic.status, 200) << basic.body.constData();
    server.stop();

    const Stored changed = storedTenant(server.dataDir());
    ASSERT_GT(changed.revision, 0);
    const QString directory = files.filePath(QStringLiteral("deploy"));
    const CommandResult exported = runServerCommand(
        {QStringLiteral("tenant"), QStringLiteral("export"), QStringLiteral("--output"), directory, QStringLiteral("--data-dir"), server.dataDir()});
    ASSERT_EQ(exported.exitCode, 0) << exported.err.toStdString();
    const CommandResult imported = import(fresh.path(), directory);
    ASSERT_EQ(imported.exitCode, 0) << imported.err.toStdString();
    EXPECT_EQ(storedTenant(fresh.path()).document, changed.document);
    EXPECT_TRUE(changed.document.contains("https://app.example.com\"")) << changed.document.constData();
    EXPECT_TRUE(changed.document.contains("The desktop app")) << changed.document.constData();
    EXPECT_TRUE(changed.document.contains("client_secret_basic")) << changed.document.constData();
}

// Auth0's jwt_configuration is kept as given and acted on: lifetime_in_seconds is how long the application's ID
// tokens live, from the next token on; an algorithm other than RS256, or a lifetime Auth0 would refuse, is
// refused by name and nothing is imported.
TEST(TenantCli, AnImportedIdTokenLifetimeIsTheOneTheApplicationsIdTokensGet)
{
    QTemporaryDir files;
    ServerProcess server;
    ASSERT_TRUE(server.start()) << server.errorText().toStdString();
    const quint16 port = server.url().port();
    const auto idTokenLifetime = [port] {
        const HttpReply reply = tokenRequest(port,
                                             {{QStringLiteral("grant_type"), QStringLiteral("password")},
                                              {QStringLiteral("client_id"), QStringLiteral("organizer-tests")},
                                              {QStringLiteral("client_secret"), QStringLiteral("organizer-tests-secret")},
                                              {QStringLiteral("username"), QStringLiteral("alice@example.com")},
                                              {QStringLiteral("password"), kPassword},
                                              {QStringLiteral("audience"), QStringLiteral("organize")},
                                              {QStringLiteral("scope"), QStringLiteral("openid")}});
        EXPECT_EQ(reply.status, 200) << reply.body.constData();
        const QJsonObject claims = claimsOf(QString::fromUtf8(reply.json("id_token")));
        return claims.value(QLatin1String("exp")).toInteger() - claims.value(QLatin1String("iat")).toInteger();
    };
    EXPECT_EQ(idTokenLifetime(), 36000) << "Auth0's default, ten hours";

    const QJsonObject exported = exportOf(server.dataDir());
    const auto withJwtConfiguration = [&exported](const QJsonObject &jwt) {
        return withDeployEntries(
            exported, QStringLiteral("clients"),
            [](const QJsonObject &client) { return client.value(QLatin1String("client_id")).toString() == QLatin1String("organizer-tests"); },
            [&jwt](QJsonObject &client) { client.insert(QStringLiteral("jwt_configuration"), jwt); });
    };
    const qint64 before = storedTenant(server.dataDir()).revision;
    const CommandResult hs256
        = import(server.dataDir(),
                 writeJson(files.filePath(QStringLiteral("hs256.json")),
                           withJwtConfiguration({{QStringLiteral("alg"), QStringLiteral("HS256")}, {QStringLiteral("lifetime_in_seconds"), 600}})));
    EXPECT_NE(hs256.exitCode, 0);
    EXPECT_TRUE(hs256.err.contains(".jwt_configuration.alg: must be RS256, the only algorithm Organizer signs ID tokens with")) << hs256.err.toStdString();
    for (const QJsonValue &lifetime : {QJsonValue(0), QJsonValue(2'592'001), QJsonValue(1.5), QJsonValue(QStringLiteral("10h"))}) {
        const CommandResult refused
            = import(server.dataDir(),
                     writeJson(files.filePath(QStringLiteral("lifetime.json")), withJwtConfiguration({{QStringLiteral("lifetime_in_seconds"), lifetime}})));
        EXPECT_NE(refused.exitCode, 0);
        EXPECT_TRUE(refused.err.contains(".jwt_configuration.lifetime_in_seconds: must be a whole number of seconds from 1 to 2592000"))
            << refused.err.toStdString();
    }
    EXPECT_EQ(storedTenant(server.dataDir()).revision, before) << "a refused import changes nothing";
    EXPECT_EQ(idTokenLifetime(), 36000);

    const CommandResult imported
        = import(server.dataDir(),
                 writeJson(files.filePath(QStringLiteral("ten-minutes.json")),
                           withJwtConfiguration({{QStringLiteral("alg"), QStringLiteral("RS256")}, {QStringLiteral("lifetime_in_seconds"), 600}})));
    ASSERT_EQ(imported.exitCode, 0) << imported.err.toStdString();
    EXPECT_TRUE(waitFor([&] { return idTokenLifetime() == 600; })) << "the running server took the lifetime on";
    const QJsonObject shown
        = named(exportOf(server.dataDir()).value(QLatin1String("clients")).toArray(), QStringLiteral("client_id"), QStringLiteral("organizer-tests"))
              .value(QLatin1String("jwt_configuration"))
              .toObject();
    EXPECT_EQ(shown.value(QLatin1String("lifetime_in_seconds")).toInt(), 600);
}
