// organizer-server's command line: help, version, every bad flag, the token subcommand.

#include "apitestsupport.h"
#include "localcertificateauthority.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QRegularExpression>
#include <QTcpServer>

#include <QTcpSocket>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QThread>
#include <csignal>
#include <gtest/gtest.h>

using namespace organizer::test;

TEST(ServerCli, HelpListsEveryOption)
{
    const CommandResult result = runServerCommand({QStringLiteral("--help")});
    EXPECT_EQ(result.exitCode, 0);
    for (const char *option : {"--bind", "--port", "--data-dir", "--authority", "--audience", "--serve", "--leeway", "--cors-origin", "token"})
        EXPECT_TRUE(result.out.contains(option)) << option;
}

TEST(ServerCli, ADatabasePasswordIsNeverPrintedEvenWhenTheConnectionFails)
{
    // Nothing listens on port 1: the connection fails, and the message names the database without its password.
    QTemporaryDir dir;
    const QString secretsFile = dir.filePath(QStringLiteral("secrets.key"));
    ASSERT_EQ(runServerCommand({QStringLiteral("secrets"), QStringLiteral("init"), QStringLiteral("--secrets-file"), secretsFile}).exitCode, 0);
    qputenv("ORGANIZER_SECRETS_FILE", QFile::encodeName(secretsFile)); // the processes below inherit it
    const CommandResult fromUrl = runServerCommand(
        {QStringLiteral("--data-dir"), dir.path(), QStringLiteral("--database"), QStringLiteral("postgresql://organizer:S3cret%2Fpw@127.0.0.1:1/organizer")});
    EXPECT_NE(fromUrl.exitCode, 0);
    EXPECT_TRUE(fromUrl.err.contains("postgresql://organizer@127.0.0.1:1/organizer")) << fromUrl.err.toStdString();
    EXPECT_FALSE(fromUrl.err.contains("S3cret")) << fromUrl.err.toStdString();
    QFile passwordFile(dir.filePath(QStringLiteral("password")));
    ASSERT_TRUE(passwordFile.open(QIODevice::WriteOnly));
    passwordFile.write("from-a-file\n");
    passwordFile.close();
    const CommandResult fromFile = runServerCommand({QStringLiteral("--data-dir"), dir.path(), QStringLiteral("--database"),
                                                     QStringLiteral("postgresql://organizer@127.0.0.1:1/organizer"), QStringLiteral("--database-password-file"),
                                                     passwordFile.fileName()});
    qunsetenv("ORGANIZER_SECRETS_FILE");
    EXPECT_NE(fromFile.exitCode, 0);
    EXPECT_TRUE(fromFile.err.contains("postgresql://organizer@127.0.0.1:1/organizer")) << fromFile.err.toStdString();
    EXPECT_FALSE(fromFile.err.contains("from-a-file")) << fromFile.err.toStdString();
    EXPECT_FALSE(fromFile.out.contains("listening on"));
}

// Issue 25: instances sharing a PostgreSQL database share its signing keys, sealed under one key that
// each must be given; without it an instance refuses to start and says how to make and pass one.
TEST(ServerCli, PostgresqlWithoutASecretsFileSaysHowToMakeOne)
{
    QTemporaryDir dir;
    const CommandResult refused = runServerCommand(
        {QStringLiteral("--data-dir"), dir.path(), QStringLiteral("--database"), QStringLiteral("postgresql://organizer@127.0.0.1:1/organizer")});
    EXPECT_NE(refused.exitCode, 0);
    EXPECT_TRUE(refused.err.contains("organizer-server secrets init --secrets-file")) << refused.err.toStdString();
    EXPECT_TRUE(refused.err.contains("--secrets-file")) << refused.err.toStdString();
    EXPECT_TRUE(refused.err.contains("ORGANIZER_SECRETS_FILE")) << refused.err.toStdString();
    EXPECT_FALSE(QFile::exists(dir.filePath(QStringLiteral("secrets.key")))) << "no key of its own for a shared database";
    EXPECT_FALSE(refused.out.contains("listening on"));
    // An external issuer's APIs alone keep no signing keys: nothing to seal.
    const CommandResult apisOnly = runServerCommand({QStringLiteral("--data-dir"), dir.path(), QStringLiteral("--database"),
                                                     QStringLiteral("postgresql://organizer@127.0.0.1:1/organizer"), QStringLiteral("--authority"),
                                                     QStringLiteral("https://issuer.example/"), QStringLiteral("--serve"), QStringLiteral("apis")});
    EXPECT_FALSE(apisOnly.err.contains("secrets init")) << apisOnly.err.toStdString();
}

TEST(ServerCli, SecretsInitWritesAnOwnerOnlyKeyAndNeverReplacesIt)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("secrets.key"));
    const CommandResult created = runServerCommand({QStringLiteral("secrets"), QStringLiteral("init"), QStringLiteral("--secrets-file"), path});
    ASSERT_EQ(created.exitCode, 0) << created.err.toStdString();
    EXPECT_TRUE(created.out.contains("--secrets-file " + QFile::encodeName(path))) << created.out.toStdString();
    EXPECT_EQ(QFile::permissions(path) & ~(QFile::ReadUser | QFile::WriteUser | QFile::ExeUser), QFile::ReadOwner | QFile::WriteOwner);
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    const QByteArray key = file.readAll();
    EXPECT_EQ(QByteArray::fromBase64(key.trimmed()).size(), 32);
    file.close();
    const CommandResult again = runServerCommand({QStringLiteral("secrets"), QStringLiteral("init"), QStringLiteral("--secrets-file"), path});
    EXPECT_NE(again.exitCode, 0);
    EXPECT_TRUE(again.err.contains("exists already")) << again.err.toStdString();
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    EXPECT_EQ(file.readAll(), key);
    EXPECT_NE(runServerCommand({QStringLiteral("secrets"), QStringLiteral("init")}).exitCode, 0);
}

TEST(ServerCli, ASecretsFileOthersCanReadOrOfTheWrongLengthIsRefused)
{
    QTemporaryDir dir;
    auto write = [&](const QString &name, const QByteArray &contents, QFile::Permissions permissions) {
        const QString path = dir.filePath(name);
        QFile file(path);
        EXPECT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(contents);
        file.close();
        EXPECT_TRUE(QFile::setPermissions(path, permissions));
        return path;
    };
    const QString readable = write(QStringLiteral("readable.key"), QByteArray(32, 'k').toBase64() + '\n',
                                   QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther);
    const CommandResult open
        = runServerCommand({QStringLiteral("--data-dir"), dir.filePath(QStringLiteral("data")), QStringLiteral("--secrets-file"), readable});
    EXPECT_NE(open.exitCode, 0);
    EXPECT_TRUE(open.err.contains("chmod 600 " + QFile::encodeName(readable))) << open.err.toStdString();

    const QString shortKey = write(QStringLiteral("short.key"), QByteArray(24, 'k').toBase64() + '\n', QFile::ReadOwner | QFile::WriteOwner);
    qputenv("ORGANIZER_SECRETS_FILE", QFile::encodeName(shortKey)); // the environment's file, when no option names one
    const CommandResult wrongLength = runServerCommand({QStringLiteral("--data-dir"), dir.filePath(QStringLiteral("data"))});
    qunsetenv("ORGANIZER_SECRETS_FILE");
    EXPECT_NE(wrongLength.exitCode, 0);
    EXPECT_TRUE(wrongLength.err.contains("holds 24 bytes")) << wrongLength.err.toStdString();
    EXPECT_TRUE(wrongLength.err.contains("32 random bytes")) << wrongLength.err.toStdString();
    EXPECT_FALSE(wrongLength.out.contains("listening on"));
}

// Two data directories on one database need one key: a server given another refuses to start, and says so.
TEST(ServerCli, TheWrongSecretsFileForTheDatabaseIsNamed)
{
    QTemporaryDir dir;
    ServerProcess server(dir.path());
    ASSERT_TRUE(server.start()) << server.errorText().toStdString();
    server.stop();
    const QString other = dir.filePath(QStringLiteral("other.key"));
    ASSERT_EQ(runServerCommand({QStringLiteral("secrets"), QStringLiteral("init"), QStringLiteral("--secrets-file"), other}).exitCode, 0);
    const CommandResult refused = runServerCommand({QStringLiteral("--data-dir"), dir.path(), QStringLiteral("--secrets-file"), other});
    EXPECT_NE(refused.exitCode, 0);
    EXPECT_TRUE(refused.err.contains("sealed under key-encryption key")) << refused.err.toStdString();
    EXPECT_TRUE(refused.err.contains(QFile::encodeName(other))) << refused.err.toStdString();
    const CommandResult rotate = runServerCommand(
        {QStringLiteral("keys"), QStringLiteral("rotate"), QStringLiteral("--data-dir"), dir.path(), QStringLiteral("--secrets-file"), other});
    EXPECT_NE(rotate.exitCode, 0);
    EXPECT_TRUE(rotate.err.contains("sealed under key-encryption key")) << rotate.err.toStdString();

    // The other way round: keys made under --secrets-file, then a run without it. The data directory's own
    // secrets.key it makes for that run is removed again, so the next start is not misled by it.
    QTemporaryDir elsewhere;
    ServerProcess given(elsewhere.path());
    ASSERT_TRUE(given.start({QStringLiteral("--secrets-file"), other})) << given.errorText().toStdString();
    given.stop();
    const CommandResult token
        = runServerCommand({QStringLiteral("token"), QStringLiteral("--data-dir"), elsewhere.path(), QStringLiteral("--sub"), QStringLiteral("x")});
    EXPECT_NE(token.exitCode, 0);
    EXPECT_TRUE(token.err.contains("sealed under key-encryption key")) << token.err.toStdString();
    EXPECT_TRUE(token.err.contains("removed again")) << token.err.toStdString();
    EXPECT_FALSE(QFile::exists(elsewhere.filePath(QStringLiteral("secrets.key"))));
}

TEST(ServerCli, PublicUrlIsTheIssuerEveryAbsoluteUrlStartsWith)
{
    ServerProcess server;
    ASSERT_TRUE(server.start({QStringLiteral("--public-url"), QStringLiteral("https://login.example/organizer")})) << server.errorText().toStdString();
    EXPECT_TRUE(server.url().toString().startsWith(QLatin1String("http://localhost:"))) << "the readiness line still says where it listens";
    const HttpReply reply = sendHttp(server.port(), {"GET", "/.well-known/openid-configuration", {}, {}});
    ASSERT_EQ(reply.status, 200);
    const QJsonObject discovery = QJsonDocument::fromJson(reply.body).object();
    EXPECT_EQ(discovery.value(QLatin1String("issuer")).toString(), QStringLiteral("https://login.example/organizer/")) << "a trailing slash is added";
    EXPECT_EQ(discovery.value(QLatin1String("jwks_uri")).toString(), QStringLiteral("https://login.example/organizer/.well-known/jwks.json"));
    EXPECT_EQ(discovery.value(QLatin1String("token_endpoint")).toString(), QStringLiteral("https://login.example/organizer/oauth/token"));
    QFile issuerFile(server.dataDir() + QStringLiteral("/issuer.url"));
    ASSERT_TRUE(issuerFile.open(QIODevice::ReadOnly));
    EXPECT_EQ(issuerFile.readAll().trimmed(), QByteArray("https://login.example/organizer/")) << "organizer-server token mints for the public issuer";
}

TEST(ServerCli, VersionComesFromTheProject)
{
    const CommandResult result = runServerCommand({QStringLiteral("--version")});
    EXPECT_EQ(result.exitCode, 0);
    EXPECT_EQ(result.out.trimmed(), "organizer-server " ORGANIZER_VERSION);
}

struct BadFlagCase
{
    const char *name;
    QStringList arguments;
    const char *messageContains;
};

// Test names already say which row failed; print the same instead of raw bytes.
void PrintTo(const BadFlagCase &c, std::ostream *os)
{
    *os << c.name;
}

class ServerCliBadFlags : public ::testing::TestWithParam<BadFlagCase>
{};

TEST_P(ServerCliBadFlags, ExitNonZeroWithAMessageNamingTheFlag)
{
    QTemporaryDir dir;
    QStringList arguments{QStringLiteral("--data-dir"), dir.path()};
    arguments += GetParam().arguments;
    const CommandResult result = runServerCommand(arguments);
    EXPECT_NE(result.exitCode, 0);
    EXPECT_TRUE(result.err.contains(GetParam().messageContains)) << result.err.toStdString();
    EXPECT_FALSE(result.out.contains("listening on"));
}

INSTANTIATE_TEST_SUITE_P(
    Flags, ServerCliBadFlags,
    ::testing::Values(
        BadFlagCase{"drain_seconds_negative", {QStringLiteral("--drain-seconds"), QStringLiteral("-1")}, "--drain-seconds"},
        BadFlagCase{"shutdown_timeout_zero", {QStringLiteral("--shutdown-timeout"), QStringLiteral("0")}, "--shutdown-timeout"},
        BadFlagCase{"port_out_of_range", {QStringLiteral("--port"), QStringLiteral("70000")}, "--port"},
        BadFlagCase{"port_not_a_number", {QStringLiteral("--port"), QStringLiteral("http")}, "--port"},
        BadFlagCase{"bind_not_an_address", {QStringLiteral("--bind"), QStringLiteral("localhost:80")}, "--bind"},
        BadFlagCase{"serve_unknown", {QStringLiteral("--serve"), QStringLiteral("notes")}, "--serve"},
        BadFlagCase{"serve_api_without_issuer", {QStringLiteral("--serve"), QStringLiteral("contacts")}, "--authority"},
        BadFlagCase{"authority_not_http", {QStringLiteral("--authority"), QStringLiteral("ftp://issuer.example/")}, "--authority"},
        BadFlagCase{"leeway_negative", {QStringLiteral("--leeway"), QStringLiteral("-5")}, "--leeway"},
        BadFlagCase{"audience_empty", {QStringLiteral("--audience"), QString()}, "--audience"},
        BadFlagCase{"cors_origin_with_path", {QStringLiteral("--cors-origin"), QStringLiteral("http://localhost:3000/app")}, "--cors-origin"},
        BadFlagCase{"route_scope_without_scope", {QStringLiteral("--route-scope"), QStringLiteral("GET /api/contacts")}, "--route-scope"},
        BadFlagCase{"route_scope_bad_method", {QStringLiteral("--route-scope"), QStringLiteral("FETCH /api/contacts=read:contacts")}, "--route-scope"},
        BadFlagCase{"database_not_postgresql", {QStringLiteral("--database"), QStringLiteral("mysql://u@db.example/organizer")}, "--database"},
        BadFlagCase{"database_without_user", {QStringLiteral("--database"), QStringLiteral("postgresql://db.example/organizer")}, "names no user"},
        BadFlagCase{"database_without_name", {QStringLiteral("--database"), QStringLiteral("postgresql://u@db.example:5432/")}, "names no database"},
        BadFlagCase{
            "database_unknown_option", {QStringLiteral("--database"), QStringLiteral("postgresql://u@db.example/organizer?host=/tmp/evil")}, "\"host\""},
        BadFlagCase{"database_password_file_missing",
                    {QStringLiteral("--database"), QStringLiteral("postgresql://u@db.example/organizer"), QStringLiteral("--database-password-file"),
                     QStringLiteral("/nonexistent/password")},
                    "--database-password-file: cannot read /nonexistent/password"},
        BadFlagCase{
            "database_password_file_without_database", {QStringLiteral("--database-password-file"), QStringLiteral("/etc/hostname")}, "give --database"},
        BadFlagCase{"public_url_not_http", {QStringLiteral("--public-url"), QStringLiteral("ftp://login.example/")}, "--public-url"},
        BadFlagCase{"public_url_with_query", {QStringLiteral("--public-url"), QStringLiteral("https://login.example/?a=b")}, "--public-url"},
        BadFlagCase{"unknown_option", {QStringLiteral("--frobnicate")}, "frobnicate"},
        BadFlagCase{"unknown_command", {QStringLiteral("serve-forever")}, "unknown command"}),
    [](const auto &row) { return std::string(row.param.name); });

TEST(ServerCli, PortInUseIsAClearError)
{
    QTcpServer occupied;
    ASSERT_TRUE(occupied.listen(QHostAddress::LocalHost, 0));
    QTemporaryDir dir;
    const CommandResult result = runServerCommand({QStringLiteral("--data-dir"), dir.path(), QStringLiteral("--port"), QString::number(occupied.serverPort())});
    EXPECT_NE(result.exitCode, 0);
    EXPECT_TRUE(result.err.contains("cannot listen on 127.0.0.1:" + QByteArray::number(occupied.serverPort()))) << result.err.toStdString();
}

TEST(ServerCli, AnnouncesReadinessWithOneLine)
{
    ServerProcess server;
    ASSERT_TRUE(server.start()) << server.errorText().toStdString();
    // Loopback is named by its one canonical host, the issuer's: SPAs on http://localhost:3000 are same-site with it.
    EXPECT_TRUE(QRegularExpression(QStringLiteral("^http://localhost:\\d+/$")).match(server.url().toString()).hasMatch());
    EXPECT_NE(server.port(), 0);
}

TEST(ServerCli, ABrowserArrivingByAnotherLoopbackNameIsSentToTheCanonicalHost)
{
    ServerProcess server;
    ASSERT_TRUE(server.start()) << server.errorText().toStdString();
    const QByteArray port = QByteArray::number(server.port());
    const HttpReply byAddress
        = sendRaw(server.port(), "GET /authorize?client_id=organizer-desktop&state=s HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(byAddress.status, 302);
    EXPECT_EQ(byAddress.header("location"), "http://localhost:" + port + "/authorize?client_id=organizer-desktop&state=s");
    // The issuer every SDK compares `iss` with is that same host.
    const HttpReply discovery
        = sendRaw(server.port(), "GET /.well-known/openid-configuration HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n");
    ASSERT_EQ(discovery.status, 200) << "discovery is served by any name";
    EXPECT_EQ(QJsonDocument::fromJson(discovery.body).object().value(QLatin1String("issuer")).toString(),
              QStringLiteral("http://localhost:%1/").arg(server.port()));
}

TEST(ServerCli, LocalhostIsAnsweredOnBothLoopbacks)
{
    // Clients resolve "localhost" to ::1 or 127.0.0.1 first, and some (Node 18's fetch) do not try the other.
    ServerProcess server;
    ASSERT_TRUE(server.start()) << server.errorText().toStdString();
    for (const QHostAddress &loopback : {QHostAddress(QHostAddress::LocalHost), QHostAddress(QHostAddress::LocalHostIPv6)}) {
        QTcpSocket socket;
        socket.connectToHost(loopback, server.port());
        ASSERT_TRUE(socket.waitForConnected(5000)) << loopback.toString().toStdString() << ": " << socket.errorString().toStdString();
        socket.write("GET /healthz HTTP/1.1\r\nHost: localhost:" + QByteArray::number(server.port()) + "\r\nConnection: close\r\n\r\n");
        QByteArray answer;
        while (socket.waitForReadyRead(5000))
            answer += socket.readAll();
        answer += socket.readAll();
        EXPECT_TRUE(answer.startsWith("HTTP/1.1 200 ")) << loopback.toString().toStdString() << ": " << answer.toStdString();
    }
}

TEST(ServerCli, TokenSubcommandMintsATokenTheRunningServerAccepts)
{
    ServerProcess server;
    ASSERT_TRUE(server.start()) << server.errorText().toStdString();
    const CommandResult minted = runServerCommand({QStringLiteral("token"), QStringLiteral("--data-dir"), server.dataDir(), QStringLiteral("--sub"),
                                                   QStringLiteral("organizer-cli@clients"), QStringLiteral("--scope"), QStringLiteral("read:calendar"),
                                                   QStringLiteral("--ttl"), QStringLiteral("120")});
    ASSERT_EQ(minted.exitCode, 0) << minted.err.toStdString();
    const QByteArray token = minted.out.trimmed();
    EXPECT_EQ(token.count('.'), 2);
    EXPECT_EQ(sendHttp(server.port(), {"GET", "/api/appointments", {{"authorization", bearer(token)}}, {}}).status, 200);
    EXPECT_EQ(sendHttp(server.port(), {"GET", "/api/contacts", {{"authorization", bearer(token)}}, {}}).status, 403);
}

TEST(ServerCli, TokenSubcommandMintsAnExpiredTokenTheServerRefuses)
{
    ServerProcess server;
    ASSERT_TRUE(server.start()) << server.errorText().toStdString();
    const CommandResult minted
        = runServerCommand({QStringLiteral("token"), QStringLiteral("--data-dir"), server.dataDir(), QStringLiteral("--sub"), QStringLiteral("qa|expired"),
                            QStringLiteral("--scope"), QStringLiteral("read:contacts"), QStringLiteral("--expired")});
    ASSERT_EQ(minted.exitCode, 0) << minted.err.toStdString();
    const HttpReply reply = sendHttp(server.port(), {"GET", "/api/contacts", {{"authorization", bearer(minted.out.trimmed())}}, {}});
    EXPECT_EQ(reply.status, 401);
    EXPECT_TRUE(reply.header("WWW-Authenticate").contains("error=\"invalid_token\"")) << reply.header("WWW-Authenticate").toStdString();
    EXPECT_TRUE(reply.header("WWW-Authenticate").contains("expired")) << reply.header("WWW-Authenticate").toStdString();
}

TEST(ServerCli, RouteScopeMakesARouteRequireAnotherScopeAndSaysSo)
{
    ServerProcess server;
    ASSERT_TRUE(server.start({QStringLiteral("--route-scope"), QStringLiteral("GET /api/appointments=read:contacts")})) << server.errorText().toStdString();
    const CommandResult minted = runServerCommand({QStringLiteral("token"), QStringLiteral("--data-dir"), server.dataDir(), QStringLiteral("--sub"),
                                                   QStringLiteral("x"), QStringLiteral("--scope"), QStringLiteral("read:calendar")});
    ASSERT_EQ(minted.exitCode, 0) << minted.err.toStdString();
    const QByteArray token = minted.out.trimmed();
    const HttpReply list = sendHttp(server.port(), {"GET", "/api/appointments", {{"authorization", bearer(token)}}, {}});
    EXPECT_EQ(list.status, 403);
    EXPECT_TRUE(list.header("WWW-Authenticate").contains("scope=\"read:contacts\""));
    // Only the route named changes; the calendar's other routes keep their own scope.
    EXPECT_EQ(sendHttp(server.port(), {"GET", "/api/calendar", {{"authorization", bearer(token)}}, {}}).status, 200);
    EXPECT_TRUE(server.log().contains("--route-scope, for testing only"));
}

TEST(ServerCli, TokenSubcommandExplainsWhatIsMissing)
{
    QTemporaryDir dir;
    const CommandResult noSub = runServerCommand({QStringLiteral("token"), QStringLiteral("--data-dir"), dir.path()});
    EXPECT_NE(noSub.exitCode, 0);
    EXPECT_TRUE(noSub.err.contains("--sub is required"));
    const CommandResult noServer
        = runServerCommand({QStringLiteral("token"), QStringLiteral("--data-dir"), dir.path(), QStringLiteral("--sub"), QStringLiteral("x")});
    EXPECT_NE(noServer.exitCode, 0);
    EXPECT_TRUE(noServer.err.contains("--issuer")) << noServer.err.toStdString();
    const CommandResult badTtl
        = runServerCommand({QStringLiteral("token"), QStringLiteral("--data-dir"), dir.path(), QStringLiteral("--sub"), QStringLiteral("x"),
                            QStringLiteral("--issuer"), QStringLiteral("http://127.0.0.1:1/"), QStringLiteral("--ttl"), QStringLiteral("0")});
    EXPECT_NE(badTtl.exitCode, 0);
    EXPECT_TRUE(badTtl.err.contains("--ttl"));
}

TEST(ServerCli, CreatesAnOwnerOnlyDataDirectory)
{
    QTemporaryDir parent;
    const QString dataDir = parent.filePath(QStringLiteral("organizer-data"));
    ServerProcess server(dataDir);
    ASSERT_TRUE(server.start()) << server.errorText().toStdString();
    EXPECT_EQ(QFile::permissions(dataDir) & ~(QFile::ReadUser | QFile::WriteUser | QFile::ExeUser), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    EXPECT_TRUE(QFile::exists(dataDir + QStringLiteral("/organizer.sqlite")));
    // The signing keys are in the database; the key that seals them is made beside it, owner-only.
    EXPECT_FALSE(QFile::exists(dataDir + QStringLiteral("/keys")));
    EXPECT_EQ(QFile::permissions(dataDir + QStringLiteral("/secrets.key")) & ~(QFile::ReadUser | QFile::WriteUser | QFile::ExeUser),
              QFile::ReadOwner | QFile::WriteOwner);
}

TEST(ServerCli, RequestValuesCannotForgeALineOfTheLog)
{
    // CWE-117: a client_id or a path carrying line breaks would otherwise write a record of its own,
    // in the log's own format, that an operator could not tell from a genuine one.
    ServerProcess server;
    ASSERT_TRUE(server.start()) << server.errorText().toStdString();
    EXPECT_EQ(sendHttp(server.port(), {"GET", "/authorize?client_id=evil%0A2026-01-01%20organizer.server%3A%20forged", {}, {}}).status, 400);
    // NEL, the line separator, an ANSI escape and DEL: lines to some readers, terminal commands to others.
    EXPECT_EQ(sendHttp(server.port(), {"GET", "/authorize?client_id=nel%C2%85ls%E2%80%A8esc%1B%5B2Jdel%7Fend", {}, {}}).status, 400);
    EXPECT_EQ(sendHttp(server.port(), {"GET", "/api/contacts/x%0D%0A2026-01-01%20organizer.server.auth%3A%20forged", {{"authorization", bearer("a.b.c")}}, {}})
                  .status,
              401);

    const QByteArray log = server.log();
    for (const QByteArray &line : log.split('\n')) {
        EXPECT_FALSE(line.startsWith("2026-01-01 organizer.server")) << "a forged record: " << line.toStdString();
        EXPECT_FALSE(line.contains('\r')) << line.toStdString();
    }
    for (const char *raw : {"\x1b", "\x7f", "\xc2\x85", "\xe2\x80\xa8"})
        EXPECT_FALSE(log.contains(raw)) << "an unescaped control character: " << QByteArray(raw).toHex().constData();
    // Escaped where it was, so the record still says what was sent.
    EXPECT_TRUE(log.contains("unknown client: evil\\n2026-01-01 organizer.server: forged")) << log.toStdString();
    EXPECT_TRUE(log.contains("unknown client: nel\\u0085ls\\u2028esc\\x1b[2Jdel\\x7fend")) << log.toStdString();
    EXPECT_TRUE(log.contains("/api/contacts/x\\r\\n2026-01-01 organizer.server.auth: forged rejected token:")) << log.toStdString();
}

namespace {

// The answer to one request on an open keep-alive connection: its head and body, or empty on timeout.
QByteArray exchangeOn(QTcpSocket &socket, const QByteArray &request)
{
    socket.write(request);
    socket.waitForBytesWritten(2000);
    QByteArray received;
    QDeadlineTimer deadline(5000);
    while (!deadline.hasExpired()) {
        const qsizetype headEnd = received.indexOf("\r\n\r\n");
        if (headEnd >= 0) {
            const QRegularExpressionMatch length
                = QRegularExpression(QStringLiteral("(?i)content-length: *(\\d+)")).match(QString::fromLatin1(received.left(headEnd)));
            if (length.hasMatch() && received.size() >= headEnd + 4 + length.captured(1).toInt())
                break;
        }
        socket.waitForReadyRead(50);
        received += socket.readAll();
    }
    return received;
}

} // namespace

TEST(ServerCli, SigtermFailsReadinessAtOnceServesThroughTheDrainThenClosesIdleConnectionsAndExits)
{
    // What a load balancer (haproxy's httpchk) or Kubernetes expects on a rolling restart: readiness
    // fails at once, work is still served while the health check notices, then connections close only
    // after their answers, and the process exits by itself.
    ServerProcess server;
    ASSERT_TRUE(server.start({QStringLiteral("--drain-seconds"), QStringLiteral("2")})) << server.errorText().toStdString();
    const HttpReply ready = sendHttp(server.port(), {"GET", "/readyz", {}, {}});
    EXPECT_EQ(ready.status, 200);
    EXPECT_EQ(ready.json("status"), "ready");

    QTcpSocket keptAlive;
    keptAlive.connectToHost(QHostAddress::LocalHost, server.port());
    ASSERT_TRUE(keptAlive.waitForConnected(2000));
    const QByteArray request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    const QByteArray before = exchangeOn(keptAlive, request);
    ASSERT_TRUE(before.startsWith("HTTP/1.1 200")) << before.constData();
    EXPECT_FALSE(before.toLower().contains("connection: close"));

    QElapsedTimer sinceSignal;
    sinceSignal.start();
    ASSERT_EQ(::kill(pid_t(server.pid()), SIGTERM), 0);
    QDeadlineTimer noticed(2000);
    HttpReply draining;
    do {
        draining = sendHttp(server.port(), {"GET", "/readyz", {}, {}});
    } while (draining.status == 200 && !noticed.hasExpired());
    EXPECT_EQ(draining.status, 503);
    EXPECT_EQ(draining.json("status"), "draining");
    EXPECT_LT(sinceSignal.elapsed(), 1500) << "readiness fails at once";
    // Still serving while the balancer notices, new connections included ...
    EXPECT_EQ(sendHttp(server.port(), {"GET", "/healthz", {}, {}}).status, 200);
    // ... and a request on a kept-alive connection gets its answer, then the connection ends with it.
    keptAlive.waitForReadyRead(100); // nothing may arrive unasked
    EXPECT_TRUE(keptAlive.readAll().isEmpty());
    EXPECT_EQ(keptAlive.state(), QAbstractSocket::ConnectedState) << "an idle connection stays open while draining";
    const std::optional<int> exitCode = server.waitForExit(2000 + 5000);
    ASSERT_TRUE(exitCode.has_value()) << "the server did not exit after draining";
    EXPECT_EQ(*exitCode, 0);
    EXPECT_GE(sinceSignal.elapsed(), 1900) << "it served on for the drain period";
    keptAlive.waitForReadyRead(500);
    EXPECT_EQ(keptAlive.state(), QAbstractSocket::UnconnectedState) << "the idle connection was closed at the end";
}

TEST(ServerCli, ARequestUnderWayWhenTheDrainEndsGetsItsAnswerWithConnectionClose)
{
    ServerProcess server;
    ASSERT_TRUE(server.start({QStringLiteral("--drain-seconds"), QStringLiteral("1")})) << server.errorText().toStdString();
    EXPECT_EQ(sendHttp(server.port(), {"GET", "/readyz", {}, {}}).status, 200);
    QTcpSocket client;
    client.connectToHost(QHostAddress::LocalHost, server.port());
    ASSERT_TRUE(client.waitForConnected(2000));
    QElapsedTimer sinceSignal;
    sinceSignal.start();
    ASSERT_EQ(::kill(pid_t(server.pid()), SIGTERM), 0);
    // A request whose body is still arriving when the drain ends: it is not cut off, it is answered,
    // and its answer ends the connection.
    const QByteArray body = "grant_type=client_credentials&client_id=organizer-cli&client_secret=wrong&audience=organize";
    client.write("POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: "
                 + QByteArray::number(body.size()) + "\r\n\r\n" + body.left(20));
    client.waitForBytesWritten(1000);
    while (sinceSignal.elapsed() < 1600)
        client.waitForReadyRead(50); // nothing comes: the request is not complete
    EXPECT_EQ(client.state(), QAbstractSocket::ConnectedState) << "a connection with a request under way is not closed";
    const QByteArray answer = exchangeOn(client, body.mid(20));
    EXPECT_TRUE(answer.startsWith("HTTP/1.1 401")) << answer.constData();
    EXPECT_TRUE(answer.toLower().contains("connection: close")) << answer.constData();
    client.waitForDisconnected(3000);
    EXPECT_EQ(client.state(), QAbstractSocket::UnconnectedState);
    EXPECT_EQ(server.waitForExit(5000).value_or(-1), 0);
}

TEST(ServerCli, WithNothingWatchingReadinessSigtermStopsWithoutWaiting)
{
    // The desktop app, a test, a developer's Ctrl-C: no load balancer to tell, so no drain period.
    ServerProcess server;
    ASSERT_TRUE(server.start({QStringLiteral("--drain-seconds"), QStringLiteral("30")})) << server.errorText().toStdString();
    EXPECT_EQ(sendHttp(server.port(), {"GET", "/healthz", {}, {}}).status, 200);
    QElapsedTimer clock;
    clock.start();
    ASSERT_EQ(::kill(pid_t(server.pid()), SIGTERM), 0);
    EXPECT_EQ(server.waitForExit(10'000).value_or(-1), 0);
    EXPECT_LT(clock.elapsed(), 5000);
}

TEST(ServerCli, ASecondSigtermDuringTheDrainStopsAtOnce)
{
    // An operator who does not want to wait out the drain signals again, as with systemd's or
    // Kubernetes' second TERM: the server stops without serving out the 30 seconds.
    ServerProcess server;
    ASSERT_TRUE(server.start({QStringLiteral("--drain-seconds"), QStringLiteral("30")})) << server.errorText().toStdString();
    EXPECT_EQ(sendHttp(server.port(), {"GET", "/readyz", {}, {}}).status, 200); // something watches readiness: a drain
    QElapsedTimer sinceSignal;
    sinceSignal.start();
    ASSERT_EQ(::kill(pid_t(server.pid()), SIGTERM), 0);
    QDeadlineTimer noticed(5000);
    HttpReply draining;
    do {
        draining = sendHttp(server.port(), {"GET", "/readyz", {}, {}});
    } while (draining.status == 200 && !noticed.hasExpired());
    ASSERT_EQ(draining.status, 503) << "the first SIGTERM starts the drain";
    EXPECT_FALSE(server.waitForExit(300).has_value()) << "one SIGTERM drains for --drain-seconds";
    ASSERT_EQ(::kill(pid_t(server.pid()), SIGTERM), 0);
    EXPECT_EQ(server.waitForExit(10'000).value_or(-1), 0);
    EXPECT_LT(sinceSignal.elapsed(), 15'000) << "the second SIGTERM did not wait out the 30 s drain";
}

// Issue 23: HTTPS with no configuration, through a certificate authority of the machine's own that is
// trusted once, the documented ways; or with one's own certificate.
namespace {

struct ToolRun
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

ToolRun runTool(const QString &program, const QStringList &arguments, const QProcessEnvironment &environment = QProcessEnvironment::systemEnvironment())
{
    QProcess process;
    process.setProcessEnvironment(environment);
    process.start(program, arguments);
    ToolRun result;
    if (!process.waitForFinished(30000)) {
        process.kill();
        process.waitForFinished();
        result.err = "timed out";
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

QString tool(const char *name)
{
    return QStandardPaths::findExecutable(QString::fromLatin1(name));
}

QByteArray contentsOf(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

void writeContents(const QString &path, const QByteArray &contents)
{
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(contents);
}

// A system environment without any CA bundle of its own choosing: what trusts the local CA is the test's doing.
QProcessEnvironment plainEnvironment()
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const char *name : {"CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS"})
        environment.remove(QString::fromLatin1(name));
    return environment;
}

} // namespace

TEST(ServerCli, CaPrintsTheLocalCaAndTheFourWaysToTrustIt)
{
    QTemporaryDir dir;
    const QString dataDir = dir.filePath(QStringLiteral("data"));
    const QString path = dataDir + QStringLiteral("/tls/ca.pem");
    const CommandResult made = runServerCommand({QStringLiteral("ca"), QStringLiteral("--data-dir"), dataDir});
    ASSERT_EQ(made.exitCode, 0) << made.err.toStdString();
    EXPECT_TRUE(made.out.startsWith("-----BEGIN CERTIFICATE-----\n")) << made.out.toStdString();
    EXPECT_EQ(made.out, contentsOf(path)) << "standard output is the certificate alone";
    const QByteArray file = QFile::encodeName(path);
    EXPECT_TRUE(made.err.contains("made the local CA \"Organizer local CA (")) << made.err.toStdString();
    for (const QByteArray &instruction : QByteArrayList{
             "NODE_EXTRA_CA_CERTS=" + file,
             "cp " + file + " /usr/local/share/ca-certificates/organizer-local-ca.crt && sudo update-ca-certificates",
             "certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n \"Organizer local CA (",
             "-i " + file,
             "curl --cacert " + file,
         })
        EXPECT_TRUE(made.err.contains(instruction)) << instruction.toStdString() << "\n" << made.err.toStdString();

    // The same CA from then on; --path alone for scripts.
    const CommandResult again = runServerCommand({QStringLiteral("ca"), QStringLiteral("--data-dir"), dataDir});
    ASSERT_EQ(again.exitCode, 0);
    EXPECT_EQ(again.out, made.out);
    EXPECT_TRUE(again.err.contains("using the local CA")) << again.err.toStdString();
    const CommandResult onlyPath = runServerCommand({QStringLiteral("ca"), QStringLiteral("--path"), QStringLiteral("--data-dir"), dataDir});
    ASSERT_EQ(onlyPath.exitCode, 0);
    EXPECT_EQ(onlyPath.out, file + '\n');
    EXPECT_TRUE(onlyPath.err.isEmpty()) << onlyPath.err.toStdString();
    EXPECT_NE(runServerCommand({QStringLiteral("ca"), QStringLiteral("print"), QStringLiteral("--data-dir"), dataDir}).exitCode, 0);

    const CommandResult help = runServerCommand({QStringLiteral("--help")});
    for (const char *option : {"--tls", "--tls-cert", "--tls-key", "  ca "})
        EXPECT_TRUE(help.out.contains(option)) << option;
}

TEST(ServerCli, TlsCertificateAndKeyComeTogetherReadableAndMatching)
{
    QTemporaryDir dir;
    const QString dataDir = dir.filePath(QStringLiteral("data"));
    auto issuer = organizer::tls::LocalCertificateAuthority::open(dir.filePath(QStringLiteral("issuer")));
    ASSERT_TRUE(issuer);
    auto issued = issuer->serverCertificate({QStringLiteral("localhost")});
    ASSERT_TRUE(issued);
    const QString certificate = dir.filePath(QStringLiteral("cert.pem"));
    writeContents(certificate, issued->certificatePem);
    const QString missing = dir.filePath(QStringLiteral("missing.pem"));
    const struct
    {
        QStringList arguments;
        QByteArray says;
    } cases[] = {
        {{QStringLiteral("--tls-cert"), certificate}, "--tls-cert: give --tls-key FILE too, the certificate's private key"},
        {{QStringLiteral("--tls-key"), certificate}, "--tls-key: give --tls-cert FILE too, the certificate it belongs to"},
        {{QStringLiteral("--tls-cert"), missing, QStringLiteral("--tls-key"), certificate}, "--tls-cert: cannot read " + QFile::encodeName(missing)},
        {{QStringLiteral("--tls-cert"), certificate, QStringLiteral("--tls-key"), missing}, "--tls-key: cannot read " + QFile::encodeName(missing)},
        {{QStringLiteral("--tls"), QStringLiteral("--public-url"), QStringLiteral("http://login.example/")},
         "--public-url: \"http://login.example/\" is plain http, but the server serves HTTPS; give https://login.example/"},
        // The key of another certificate: said at start, not at the first handshake.
        {{QStringLiteral("--tls-cert"), certificate, QStringLiteral("--tls-key"), issuer->privateKeyPath()},
         "the private key does not belong to the certificate"},
    };
    for (const auto &row : cases) {
        const CommandResult refused
            = runServerCommand(QStringList{QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--data-dir"), dataDir} + row.arguments);
        EXPECT_EQ(refused.exitCode, 2) << row.says.toStdString();
        EXPECT_TRUE(refused.err.contains(row.says)) << refused.err.toStdString();
        EXPECT_FALSE(refused.out.contains("listening on"));
    }
}

TEST(ServerCli, WithTlsTheServerIsTrustedThroughItsLocalCaTheDocumentedWaysAndNotOtherwise)
{
    const QString curl = tool("curl");
    ASSERT_FALSE(curl.isEmpty()) << "curl is needed (./scripts/test installs it)";
    ServerProcess server;
    ASSERT_TRUE(server.start({QStringLiteral("--tls")})) << server.errorText().toStdString();
    EXPECT_EQ(server.url().scheme(), QStringLiteral("https"));
    const QString ca = server.dataDir() + QStringLiteral("/tls/ca.pem");
    const QByteArray log = server.log();
    EXPECT_TRUE(log.contains("serving HTTPS with a certificate from the local CA " + QFile::encodeName(ca) + " valid until ")) << log.toStdString();
    EXPECT_TRUE(log.contains("; trust it: organizer-server ca")) << log.toStdString();

    // curl, the documented way.
    const QString discovery = QStringLiteral("https://localhost:%1/.well-known/openid-configuration").arg(server.port());
    const ToolRun trusted = runTool(curl, {QStringLiteral("-sS"), QStringLiteral("--fail"), QStringLiteral("--cacert"), ca, discovery}, plainEnvironment());
    ASSERT_EQ(trusted.exitCode, 0) << trusted.err.toStdString();
    const QString issuer = QJsonDocument::fromJson(trusted.out).object().value(QLatin1String("issuer")).toString();
    EXPECT_TRUE(issuer.startsWith(QLatin1String("https://"))) << issuer.toStdString();
    EXPECT_EQ(issuer, server.issuer());
    const ToolRun byAddress = runTool(
        curl,
        {QStringLiteral("-sS"), QStringLiteral("--fail"), QStringLiteral("--cacert"), ca, QStringLiteral("https://127.0.0.1:%1/healthz").arg(server.port())},
        plainEnvironment());
    EXPECT_EQ(byAddress.exitCode, 0) << byAddress.err.toStdString();
    // Without the CA, or with another one, the certificate is not trusted (curl: 60, "SSL certificate problem").
    const ToolRun untrusted = runTool(curl, {QStringLiteral("-sS"), discovery}, plainEnvironment());
    EXPECT_EQ(untrusted.exitCode, 60) << untrusted.err.toStdString();
    QTemporaryDir otherData;
    ASSERT_EQ(runServerCommand({QStringLiteral("ca"), QStringLiteral("--data-dir"), otherData.path()}).exitCode, 0);
    const ToolRun otherCa
        = runTool(curl, {QStringLiteral("-sS"), QStringLiteral("--cacert"), otherData.path() + QStringLiteral("/tls/ca.pem"), discovery}, plainEnvironment());
    EXPECT_EQ(otherCa.exitCode, 60) << otherCa.err.toStdString();

    // Node.js with NODE_EXTRA_CA_CERTS, as `organizer-server ca` says.
    const QString node = tool("node");
    ASSERT_FALSE(node.isEmpty()) << "node is needed (./scripts/test installs it)";
    const QStringList fetchIssuer{
        QStringLiteral("-e"),
        QStringLiteral("fetch(process.argv[1]).then(r => r.json()).then(j => console.log(j.issuer), e => { console.error(String(e.cause "
                       "|| e)); process.exit(3); })"),
        discovery};
    QProcessEnvironment withCa = plainEnvironment();
    withCa.insert(QStringLiteral("NODE_EXTRA_CA_CERTS"), ca);
    const ToolRun nodeTrusted = runTool(node, fetchIssuer, withCa);
    EXPECT_EQ(nodeTrusted.exitCode, 0) << nodeTrusted.err.toStdString();
    EXPECT_EQ(nodeTrusted.out.trimmed(), issuer.toUtf8());
    const ToolRun nodeUntrusted = runTool(node, fetchIssuer, plainEnvironment());
    EXPECT_EQ(nodeUntrusted.exitCode, 3);
    EXPECT_TRUE(nodeUntrusted.err.contains("certificate")) << nodeUntrusted.err.toStdString();

    // NSS (Chromium's and Firefox's store) with the certutil line `organizer-server ca` prints: the server's
    // certificate validates as an SSL server there, and not in a store without the CA.
    const QString certutil = tool("certutil");
    ASSERT_FALSE(certutil.isEmpty()) << "certutil is needed (libnss3-tools; ./scripts/test installs it)";
    const QString serverCertificate = server.dataDir() + QStringLiteral("/tls/server.pem");
    for (const bool withTheCa : {true, false}) {
        QTemporaryDir nss;
        const QString database = QStringLiteral("sql:") + nss.path();
        ASSERT_EQ(runTool(certutil, {QStringLiteral("-N"), QStringLiteral("-d"), database, QStringLiteral("--empty-password")}).exitCode, 0);
        if (withTheCa) {
            ASSERT_EQ(runTool(certutil,
                              {QStringLiteral("-d"), database, QStringLiteral("-A"), QStringLiteral("-t"), QStringLiteral("C,,"), QStringLiteral("-n"),
                               QStringLiteral("Organizer local CA"), QStringLiteral("-i"), ca})
                          .exitCode,
                      0);
        }
        ASSERT_EQ(runTool(certutil,
                          {QStringLiteral("-d"), database, QStringLiteral("-A"), QStringLiteral("-t"), QStringLiteral(",,"), QStringLiteral("-n"),
                           QStringLiteral("organizer-server"), QStringLiteral("-i"), serverCertificate})
                      .exitCode,
                  0);
        const ToolRun validated = runTool(certutil,
                                          {QStringLiteral("-V"), QStringLiteral("-d"), database, QStringLiteral("-n"), QStringLiteral("organizer-server"),
                                           QStringLiteral("-u"), QStringLiteral("V")});
        if (withTheCa) {
            EXPECT_EQ(validated.exitCode, 0) << validated.out.toStdString() << validated.err.toStdString();
            EXPECT_TRUE(validated.out.contains("certificate is valid")) << validated.out.toStdString();
        } else {
            EXPECT_NE(validated.exitCode, 0) << validated.out.toStdString();
        }
    }
}

TEST(ServerCli, OnesOwnCertificateIsServedAndNoLocalCaIsMade)
{
    const QString curl = tool("curl");
    ASSERT_FALSE(curl.isEmpty()) << "curl is needed (./scripts/test installs it)";
    QTemporaryDir elsewhere;
    auto issuer = organizer::tls::LocalCertificateAuthority::open(elsewhere.filePath(QStringLiteral("issuer")));
    ASSERT_TRUE(issuer);
    auto issued = issuer->serverCertificate({QStringLiteral("localhost"), QStringLiteral("127.0.0.1")});
    ASSERT_TRUE(issued);
    const QString certificate = elsewhere.filePath(QStringLiteral("fullchain.pem"));
    const QString key = elsewhere.filePath(QStringLiteral("privkey.pem"));
    writeContents(certificate, issued->certificatePem);
    writeContents(key, issued->privateKeyPem);
    ServerProcess server;
    ASSERT_TRUE(server.start({QStringLiteral("--tls-cert"), certificate, QStringLiteral("--tls-key"), key})) << server.errorText().toStdString();
    EXPECT_EQ(server.url().scheme(), QStringLiteral("https"));
    const ToolRun trusted = runTool(curl,
                                    {QStringLiteral("-sS"), QStringLiteral("--fail"), QStringLiteral("--cacert"), issuer->certificatePath(),
                                     QStringLiteral("https://localhost:%1/healthz").arg(server.port())},
                                    plainEnvironment());
    EXPECT_EQ(trusted.exitCode, 0) << trusted.err.toStdString();
    EXPECT_TRUE(server.log().contains("serving HTTPS with the certificate " + QFile::encodeName(certificate))) << server.log().toStdString();
    EXPECT_FALSE(QFile::exists(server.dataDir() + QStringLiteral("/tls"))) << "no local CA with one's own certificate";
}

TEST(ServerCli, ADamagedLocalCaKeyStopsTheServerAndIsKept)
{
    QTemporaryDir dir;
    ASSERT_EQ(runServerCommand({QStringLiteral("ca"), QStringLiteral("--data-dir"), dir.path()}).exitCode, 0);
    const QString key = dir.path() + QStringLiteral("/tls/ca-key.pem");
    const QByteArray damaged = contentsOf(key).left(100);
    writeContents(key, damaged);
    const CommandResult refused
        = runServerCommand({QStringLiteral("--tls"), QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--data-dir"), dir.path()});
    EXPECT_EQ(refused.exitCode, 2);
    EXPECT_TRUE(refused.err.contains("--tls: the local CA's key " + QFile::encodeName(key) + " is damaged")) << refused.err.toStdString();
    EXPECT_FALSE(refused.out.contains("listening on"));
    EXPECT_EQ(contentsOf(key), damaged);
    const CommandResult ca = runServerCommand({QStringLiteral("ca"), QStringLiteral("--data-dir"), dir.path()});
    EXPECT_EQ(ca.exitCode, 2);
    EXPECT_TRUE(ca.err.contains("is damaged")) << ca.err.toStdString();
}
