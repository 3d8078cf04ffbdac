#pragma once

#include "catalogue.h"
#include "database.h"
#include "expected.h"

#include <QCommandLineParser>
#include <QHash>
#include <QHostAddress>
#include <QStringList>
#include <QUrl>

namespace organizer::server {

// What organizer-server runs: everything in one process (the default), or the APIs alone trusting an
// external issuer, or some of them per process (the original sample ran one API per process).
enum class ServeMode { All, Apis, Selected };

struct ServerOptions
{
    QHostAddress bindAddress = QHostAddress(QHostAddress::LocalHost);
    quint16 port = 3001;
    QString dataDir;
    // Where everything the server keeps lives, the signing keys too: nullopt is the SQLite file in
    // dataDir; a PostgreSQL server lets several instances share it.
    std::optional<store::DatabaseLocation> database;
    // The key-encryption key that seals the signing keys in the database (--secrets-file, else the
    // environment's ORGANIZER_SECRETS_FILE); empty: on SQLite DATA_DIR/secrets.key, on PostgreSQL an error.
    QString secretsFile;
    // The issuer and the base of every absolute URL this server writes; empty: the address it listens
    // on. Every instance behind a load balancer gets the balancer's URL.
    QUrl publicUrl;
    QUrl authority; // empty: trust the bundled issuer
    // HTTPS instead of HTTP: with a certificate from the local certificate authority in dataDir/tls
    // (--tls), or with one's own, when both files are given (--tls-cert, --tls-key).
    bool tls = false;
    QString tlsCertificateFile;
    QString tlsKeyFile;
    QString audience = QStringLiteral("organize");
    ServeMode serve = ServeMode::All;
    QStringList servedApis; // ServeMode::Selected: the catalogue's API names ("contacts")
    qint64 leewaySeconds = 30;
    qint64 jwksRefreshIntervalSeconds = 10; // at most one JWKS fetch per interval on unknown kids
    QStringList corsOrigins{QStringLiteral("http://localhost:3000")};
    qsizetype maxBodyBytes = 64 * 1024;
    int maxConnections = 0; // 0: sized from the open-file limit
    int maxConnectionsPerAddress = 256;
    int workers = 0; // HTTP event loops; 0: one per core
    int managementMaxWaitingHashes = 32; // Management API calls waiting for a password hash before more are answered 429
    QString accessLog = QStringLiteral("stderr"); // a file, "-" (standard output), "stderr" or "off"
    bool accessLogJson = false; // JSON lines instead of the Combined Log Format
    int idleTimeoutSeconds = 30;
    int requestTimeoutSeconds = 10;
    // On SIGTERM: how long /readyz answers 503 while everything is still served, so a load balancer's
    // health check notices before connections close (only when something has asked /readyz); then how
    // long answers in flight may take before the process exits anyway.
    int drainSeconds = 5;
    int shutdownTimeoutSeconds = 20;
    QString tenantFile; // empty: the default tenant compiled in from resources/tenant.json
    bool allowDemoTenant = false;
    // "GET /api/appointments" → the scope that route requires instead of its own. Only for proving that
    // a scope QA run catches a wrong rule; the server warns at start when any is set.
    QHash<QString, QString> routeScopeOverrides;

    bool servesIssuer() const { return authority.isEmpty() && serve == ServeMode::All; }
    bool usesLocalCertificateAuthority() const { return tls && tlsCertificateFile.isEmpty(); }
};

QString defaultDataDir();

// Adds the serving options to `parser`, the storage options among them.
void addServerOptions(QCommandLineParser &parser);

// Where the data and the signing keys are: --data-dir, --database, --database-password-file and
// --secrets-file, shared by the server and its subcommands (token, keys, secrets).
struct StorageOptions
{
    QString dataDir;
    std::optional<store::DatabaseLocation> database;
    QString secretsFile; // --secrets-file, else ORGANIZER_SECRETS_FILE; may be empty
};
void addStorageOptions(QCommandLineParser &parser);
Expected<StorageOptions, QString> storageOptionsFrom(const QCommandLineParser &parser);
// The database `storage` names: PostgreSQL, or the SQLite file in the data directory.
store::DatabaseLocation databaseLocationOf(const std::optional<store::DatabaseLocation> &database, const QString &dataDir);
// Reads them back; a bad value gives a message naming the option and what it accepts.
Expected<ServerOptions, QString> serverOptionsFrom(const QCommandLineParser &parser);

} // namespace organizer::server
