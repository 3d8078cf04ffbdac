#include "serveroptions.h"

#include <QDir>
#include <QFile>
#include <QStandardPaths>

namespace organizer::server {

namespace {
QString apiNamesOf(const catalogue::ResourceServerSpec &service)
{
    QStringList names;
    for (const catalogue::ApiSpec &api : service.apis)
        names.append(api.name);
    return names.join(QLatin1String(", "));
}

// --tls, or --tls-cert with --tls-key: both or neither, each readable now, so that a mistake is said at start.
Expected<Done, QString> readTlsOptions(const QCommandLineParser &parser, ServerOptions &options)
{
    const bool certificate = parser.isSet(QStringLiteral("tls-cert"));
    const bool key = parser.isSet(QStringLiteral("tls-key"));
    if (certificate != key)
        return Unexpected<QString>(certificate ? QStringLiteral("--tls-cert: give --tls-key FILE too, the certificate's private key")
                                               : QStringLiteral("--tls-key: give --tls-cert FILE too, the certificate it belongs to"));
    options.tls = parser.isSet(QStringLiteral("tls")) || certificate;
    if (certificate) {
        for (const char *option : {"tls-cert", "tls-key"}) {
            const QString path = parser.value(QLatin1String(option));
            if (path.isEmpty())
                return Unexpected<QString>(QStringLiteral("--%1: the file name is empty").arg(QLatin1String(option)));
            QFile file(path);
            if (!file.open(QIODevice::ReadOnly))
                return Unexpected<QString>(QStringLiteral("--%1: cannot read %2: %3").arg(QLatin1String(option), path, file.errorString()));
        }
        options.tlsCertificateFile = parser.value(QStringLiteral("tls-cert"));
        options.tlsKeyFile = parser.value(QStringLiteral("tls-key"));
    }
    if (options.tls && options.publicUrl.scheme() == QLatin1String("http")) {
        QUrl secure = options.publicUrl;
        secure.setScheme(QStringLiteral("https"));
        return Unexpected<QString>(
            QStringLiteral("--public-url: \"%1\" is plain http, but the server serves HTTPS; give %2").arg(options.publicUrl.toString(), secure.toString()));
    }
    return Done{};
}

} // namespace

QString defaultDataDir()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)).filePath(QStringLiteral("organizer"));
}

void addStorageOptions(QCommandLineParser &parser)
{
    parser.addOptions({
        {QStringLiteral("data-dir"),
         QStringLiteral("Directory for the SQLite database and its secrets.key, and the issuer.url file (default %1).").arg(defaultDataDir()),
         QStringLiteral("dir")},
        {QStringLiteral("database"),
         QStringLiteral("Keep the data and the signing keys in PostgreSQL instead of SQLite in the data directory, e.g. "
                        "postgresql://organizer@db.example:5432/organizer; instances sharing it can run behind a load balancer (give each "
                        "--secrets-file)."),
         QStringLiteral("url")},
        {QStringLiteral("database-password-file"),
         QStringLiteral("Read the database password from this file's first line (or set ORGANIZER_DATABASE_PASSWORD); never put it in logs."),
         QStringLiteral("file")},
        {QStringLiteral("secrets-file"),
         QStringLiteral("The key-encryption key that seals the signing keys in the database: base64 of 32 random bytes, owner-only (chmod 600); or set "
                        "ORGANIZER_SECRETS_FILE. Required with --database, the same file on every instance; default on SQLite: secrets.key in the data "
                        "directory, made on first start. Make one with: organizer-server secrets init --secrets-file FILE."),
         QStringLiteral("file")},
    });
}

Expected<StorageOptions, QString> storageOptionsFrom(const QCommandLineParser &parser)
{
    StorageOptions storage;
    storage.dataDir = parser.isSet(QStringLiteral("data-dir")) ? parser.value(QStringLiteral("data-dir")) : defaultDataDir();
    if (storage.dataDir.isEmpty())
        return Unexpected<QString>(QStringLiteral("--data-dir: the directory name is empty"));

    if (parser.isSet(QStringLiteral("database"))) {
        auto location = store::parseDatabaseUrl(parser.value(QStringLiteral("database")), parser.value(QStringLiteral("database-password-file")));
        if (!location)
            return Unexpected<QString>(location.error());
        storage.database = std::move(location).value();
    } else if (parser.isSet(QStringLiteral("database-password-file"))) {
        return Unexpected<QString>(QStringLiteral("--database-password-file: give --database postgresql://… too"));
    }

    if (parser.isSet(QStringLiteral("secrets-file"))) {
        storage.secretsFile = parser.value(QStringLiteral("secrets-file"));
        if (storage.secretsFile.isEmpty())
            return Unexpected<QString>(QStringLiteral("--secrets-file: the file name is empty"));
    } else {
        storage.secretsFile = qEnvironmentVariable("ORGANIZER_SECRETS_FILE");
    }
    return storage;
}

store::DatabaseLocation databaseLocationOf(const std::optional<store::DatabaseLocation> &database, const QString &dataDir)
{
    return database.value_or(store::DatabaseLocation::sqlite(QDir(dataDir).filePath(QStringLiteral("organizer.sqlite"))));
}

void addServerOptions(QCommandLineParser &parser)
{
    parser.addOptions({
        {QStringLiteral("bind"), QStringLiteral("Address to listen on (default 127.0.0.1)."), QStringLiteral("address"), QStringLiteral("127.0.0.1")},
        {QStringLiteral("port"), QStringLiteral("Port to listen on; 0 picks a free one (default 3001)."), QStringLiteral("port"), QStringLiteral("3001")},
    });
    addStorageOptions(parser);
    parser.addOptions({
        {QStringLiteral("public-url"),
         QStringLiteral("The URL clients reach this server at (the issuer, and the base of every URL it writes), e.g. the load balancer's "
                        "https://login.example/; default: the address it listens on."),
         QStringLiteral("url")},
        {QStringLiteral("authority"), QStringLiteral("Trust this external issuer (OIDC discovery) instead of the bundled one, e.g. https://TENANT.auth0.com/."),
         QStringLiteral("url")},
        {QStringLiteral("tls"),
         QStringLiteral("Serve HTTPS, with a certificate from a certificate authority of this machine's own, made in the data directory on first use "
                        "and renewed by itself; the issuer is then https://. Trust that CA once: organizer-server ca.")},
        {QStringLiteral("tls-cert"),
         QStringLiteral("Serve HTTPS with this certificate chain instead (PEM: the server's certificate, then any intermediates); with --tls-key. "
                        "Read again when the file changes, so a renewal (certbot) needs no restart."),
         QStringLiteral("file")},
        {QStringLiteral("tls-key"), QStringLiteral("The private key of --tls-cert (PEM, unencrypted)."), QStringLiteral("file")},
        {QStringLiteral("audience"), QStringLiteral("Audience the access tokens must carry (default organize)."), QStringLiteral("id"),
         QStringLiteral("organize")},
        {QStringLiteral("serve"),
         QStringLiteral("What this process hosts: all, apis, or some of the APIs by name, comma-separated (%1; default all).")
             .arg(apiNamesOf(catalogue::organizerService())),
         QStringLiteral("what"), QStringLiteral("all")},
        {QStringLiteral("leeway"), QStringLiteral("Clock skew tolerated on exp/nbf, in seconds (default 30)."), QStringLiteral("seconds"),
         QStringLiteral("30")},
        {QStringLiteral("jwks-refresh-interval"),
         QStringLiteral("With --authority: least seconds between two JWKS fetches caused by unknown key ids (default 10)."), QStringLiteral("seconds"),
         QStringLiteral("10")},
        {QStringLiteral("max-connections"),
         QStringLiteral("Open connections at once; at the cap the oldest idle one is closed, else 503 (default: 3/4 of the open-file limit)."),
         QStringLiteral("n"), QStringLiteral("0")},
        {QStringLiteral("max-connections-per-address"),
         QStringLiteral("Open connections per client IPv4 address or IPv6 /64 (default 256; raise it behind a reverse proxy)."), QStringLiteral("n"),
         QStringLiteral("256")},
        {QStringLiteral("workers"), QStringLiteral("HTTP event loops (threads) serving the APIs; default: one per core."), QStringLiteral("n"),
         QStringLiteral("0")},
        {QStringLiteral("access-log"), QStringLiteral("Where the access log goes: a file, - (standard output), stderr (the default) or off."),
         QStringLiteral("file|-|stderr|off"), QStringLiteral("stderr")},
        {QStringLiteral("access-log-format"), QStringLiteral("combined (Apache's Combined Log Format, the default) or json (JSON lines)."),
         QStringLiteral("format"), QStringLiteral("combined")},
        {QStringLiteral("idle-timeout"), QStringLiteral("Close a keep-alive connection idle this long, in seconds (default 30)."), QStringLiteral("seconds"),
         QStringLiteral("30")},
        {QStringLiteral("request-timeout"), QStringLiteral("A request must arrive whole within this many seconds (default 10)."), QStringLiteral("seconds"),
         QStringLiteral("10")},
        {QStringLiteral("drain-seconds"),
         QStringLiteral("On SIGTERM, answer /readyz with 503 and keep serving this long before closing connections, so a load balancer "
                        "checking /readyz stops sending work first; skipped when nothing has asked /readyz (default 5)."),
         QStringLiteral("seconds"), QStringLiteral("5")},
        {QStringLiteral("shutdown-timeout"),
         QStringLiteral("After draining, how long answers in flight may take before the process exits anyway (default 20)."), QStringLiteral("seconds"),
         QStringLiteral("20")},
        {QStringLiteral("config"), QStringLiteral("Tenant file (APIs, applications, users); default: the demo tenant."), QStringLiteral("file")},
        {QStringLiteral("allow-demo-tenant"), QStringLiteral("Serve the demo users and secret even on a non-loopback address.")},
        {QStringLiteral("route-scope"),
         QStringLiteral("Testing only: make a route require another scope, e.g. \"GET /api/appointments=read:contacts\" (repeatable)."),
         QStringLiteral("rule")},
        {QStringLiteral("cors-origin"), QStringLiteral("Browser origin allowed to call the APIs; repeatable (default http://localhost:3000)."),
         QStringLiteral("origin")},
    });
}

Expected<ServerOptions, QString> serverOptionsFrom(const QCommandLineParser &parser)
{
    ServerOptions options;
    const QString bind = parser.value(QStringLiteral("bind"));
    if (!options.bindAddress.setAddress(bind))
        return Unexpected<QString>(QStringLiteral("--bind: \"%1\" is not an IP address (e.g. 127.0.0.1 or ::1)").arg(bind));

    bool ok = false;
    const uint port = parser.value(QStringLiteral("port")).toUInt(&ok);
    if (!ok || port > 65535)
        return Unexpected<QString>(QStringLiteral("--port: \"%1\" is not a port number from 0 to 65535").arg(parser.value(QStringLiteral("port"))));
    options.port = quint16(port);

    auto storage = storageOptionsFrom(parser);
    if (!storage)
        return Unexpected<QString>(storage.error());
    options.dataDir = storage->dataDir;
    options.database = storage->database;
    options.secretsFile = storage->secretsFile;

    if (parser.isSet(QStringLiteral("public-url"))) {
        QUrl url(parser.value(QStringLiteral("public-url")), QUrl::StrictMode);
        if (!url.isValid() || (url.scheme() != QLatin1String("https") && url.scheme() != QLatin1String("http")) || url.host().isEmpty() || url.hasQuery()
            || url.hasFragment() || !url.userInfo().isEmpty())
            return Unexpected<QString>(QStringLiteral("--public-url: \"%1\" is not an http(s) URL without query, fragment or credentials")
                                           .arg(parser.value(QStringLiteral("public-url"))));
        // The issuer identifier ends with '/' here as everywhere in Organizer (Auth0's convention).
        if (!url.path().endsWith(QLatin1Char('/')))
            url.setPath(url.path() + QLatin1Char('/'));
        options.publicUrl = url;
    }

    if (parser.isSet(QStringLiteral("authority"))) {
        const QUrl authority(parser.value(QStringLiteral("authority")), QUrl::StrictMode);
        if (!authority.isValid() || (authority.scheme() != QLatin1String("https") && authority.scheme() != QLatin1String("http")) || authority.host().isEmpty())
            return Unexpected<QString>(QStringLiteral("--authority: \"%1\" is not an http(s) URL").arg(parser.value(QStringLiteral("authority"))));
        options.authority = authority;
    }

    if (auto tls = readTlsOptions(parser, options); !tls)
        return Unexpected<QString>(tls.error());

    options.audience = parser.value(QStringLiteral("audience"));
    if (options.audience.isEmpty())
        return Unexpected<QString>(QStringLiteral("--audience: the audience is empty"));

    const QString serve = parser.value(QStringLiteral("serve"));
    QStringList apiNames;
    for (const catalogue::ApiSpec &api : catalogue::organizerService().apis)
        apiNames.append(api.name);
    if (serve == QLatin1String("all")) {
        options.serve = ServeMode::All;
    } else if (serve == QLatin1String("apis")) {
        options.serve = ServeMode::Apis;
    } else {
        options.serve = ServeMode::Selected;
        options.servedApis = serve.split(QLatin1Char(','), Qt::SkipEmptyParts);
        for (const QString &name : std::as_const(options.servedApis)) {
            if (!apiNames.contains(name))
                return Unexpected<QString>(
                    QStringLiteral("--serve: \"%1\" is not all, apis or a list of %2").arg(serve.left(60), apiNames.join(QLatin1String(", "))));
        }
        if (options.servedApis.isEmpty())
            return Unexpected<QString>(QStringLiteral("--serve: name what to serve: all, apis or a list of %1").arg(apiNames.join(QLatin1String(", "))));
    }
    if (options.serve != ServeMode::All && options.authority.isEmpty())
        return Unexpected<QString>(QStringLiteral("--serve %1 hosts no issuer: give --authority URL, the issuer its tokens come from").arg(serve));

    const qint64 leeway = parser.value(QStringLiteral("leeway")).toLongLong(&ok);
    if (!ok || leeway < 0 || leeway > 600)
        return Unexpected<QString>(QStringLiteral("--leeway: \"%1\" is not a number of seconds from 0 to 600").arg(parser.value(QStringLiteral("leeway"))));
    options.leewaySeconds = leeway;

    const qint64 refresh = parser.value(QStringLiteral("jwks-refresh-interval")).toLongLong(&ok);
    if (!ok || refresh < 0 || refresh > 3600)
        return Unexpected<QString>(QStringLiteral("--jwks-refresh-interval: \"%1\" is not a number of seconds from 0 to 3600")
                                       .arg(parser.value(QStringLiteral("jwks-refresh-interval"))));
    options.jwksRefreshIntervalSeconds = refresh;

    const struct
    {
        const char *name;
        int *target;
        int min;
        int max;
    } bounded[] = {
        {"max-connections", &options.maxConnections, 0, 1000000},
        {"max-connections-per-address", &options.maxConnectionsPerAddress, 1, 1000000},
        {"workers", &options.workers, 0, 256},
        {"idle-timeout", &options.idleTimeoutSeconds, 1, 3600},
        {"request-timeout", &options.requestTimeoutSeconds, 1, 600},
        {"drain-seconds", &options.drainSeconds, 0, 600},
        {"shutdown-timeout", &options.shutdownTimeoutSeconds, 1, 600},
    };
    for (const auto &entry : bounded) {
        const QString text = parser.value(QLatin1String(entry.name));
        const int value = text.toInt(&ok);
        if (!ok || value < entry.min || value > entry.max)
            return Unexpected<QString>(
                QStringLiteral("--%1: \"%2\" is not a number from %3 to %4").arg(QLatin1String(entry.name), text).arg(entry.min).arg(entry.max));
        *entry.target = value;
    }

    options.accessLog = parser.value(QStringLiteral("access-log"));
    if (options.accessLog.isEmpty())
        return Unexpected<QString>(QStringLiteral("--access-log: give a file, - (standard output), stderr or off"));
    const QString format = parser.value(QStringLiteral("access-log-format"));
    if (format != QLatin1String("combined") && format != QLatin1String("json"))
        return Unexpected<QString>(QStringLiteral("--access-log-format: \"%1\" is not combined or json").arg(format));
    options.accessLogJson = format == QLatin1String("json");

    options.tenantFile = parser.value(QStringLiteral("config"));
    options.allowDemoTenant = parser.isSet(QStringLiteral("allow-demo-tenant"));

    for (const QString &rule : parser.values(QStringLiteral("route-scope"))) {
        const QString route = rule.section(QLatin1Char('='), 0, 0).simplified();
        const QString scope = rule.section(QLatin1Char('='), 1).trimmed();
        const QString method = route.section(QLatin1Char(' '), 0, 0);
        const QString path = route.section(QLatin1Char(' '), 1);
        static const QStringList methods{QStringLiteral("GET"), QStringLiteral("POST"), QStringLiteral("PUT"), QStringLiteral("DELETE")};
        if (!methods.contains(method) || !path.startsWith(QLatin1Char('/')) || path.contains(QLatin1Char(' ')) || scope.isEmpty()
            || scope.contains(QLatin1Char(' ')))
            return Unexpected<QString>(
                QStringLiteral("--route-scope: \"%1\" is not METHOD PATH=SCOPE, e.g. \"GET /api/appointments=read:contacts\"").arg(rule));
        options.routeScopeOverrides.insert(method + QLatin1Char(' ') + path, scope);
    }

    if (parser.isSet(QStringLiteral("cors-origin"))) {
        options.corsOrigins = parser.values(QStringLiteral("cors-origin"));
        for (const QString &origin : options.corsOrigins) {
            const QUrl url(origin, QUrl::StrictMode);
            const bool isOrigin = origin == QLatin1String("*")
                || (url.isValid() && !url.host().isEmpty() && url.path().isEmpty() && !url.hasQuery()
                    && (url.scheme() == QLatin1String("http") || url.scheme() == QLatin1String("https")));
            if (!isOrigin)
                return Unexpected<QString>(QStringLiteral("--cors-origin: \"%1\" is not an origin like http://localhost:3000").arg(origin));
        }
    }
    return options;
}

} // namespace organizer::server
