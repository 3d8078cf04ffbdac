// organizer-server: the Organizer Service resource server (contacts and calendar APIs) and its
// bundled issuer. Thin on purpose: what it does lives in the libraries under server/ (organizer_server assembles them).

#include "localcertificateauthority.h"
#include "managementapi.h"
#include "passwordhash.h"
#include "tenantdeploy.h"
#include "tenantfile.h"
#include "tenantstore.h"
#include "tokenminter.h"
#include "organizerserver.h"
#include "serveroptions.h"
#include "signalnotifier.h"
#include "storedsigningkeys.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <termios.h>
#include <unistd.h>

using namespace organizer;

namespace {

// SIGINT/SIGTERM: the first one stops the server gracefully (the drain behind the readiness check, then
// the event loop ends); a second one ends the event loop at once. Either way the database and sockets
// close cleanly. Without a notifier (it could not be made) either signal ends the process at once, as
// it would with no handler.
std::unique_ptr<SignalNotifier> stopOnTerminationSignals(server::OrganizerServer &server)
{
    auto notifier = SignalNotifier::create({SIGTERM, SIGINT});
    if (!notifier) {
        std::fprintf(stderr, "organizer-server: %s; SIGTERM and SIGINT will end it without draining\n", qPrintable(notifier.error()));
        return nullptr;
    }
    QObject::connect(notifier->get(), &SignalNotifier::received, &server, [&server, received = 0](int) mutable {
        if (++received == 1)
            server.shutDownGracefully([] { QCoreApplication::quit(); });
        else
            QCoreApplication::quit();
    });
    return std::move(notifier).value();
}

// CWE-117: log messages carry request values (a client_id, a decoded path), and a CR, LF or another
// control character in one would start a line that reads like a genuine record. Every message of every
// category is escaped here, once, so that one record is always one line; the message pattern and
// where records go stay Qt's default handler's. Backslashes are left alone: an escape a client spells
// out itself cannot break a line, and doubling them would change every other message.
QtMessageHandler defaultMessageHandler = nullptr;

bool breaksALogLine(char16_t c)
{
    // C0 controls, DEL and the C1 controls (NEL among them), and the Unicode line and paragraph separators.
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029;
}

QString withControlCharactersEscaped(const QString &message)
{
    if (std::none_of(message.cbegin(), message.cend(), [](QChar c) { return breaksALogLine(c.unicode()); }))
        return message;
    QString escaped;
    escaped.reserve(message.size() + 16);
    for (const QChar ch : message) {
        const char16_t c = ch.unicode();
        if (!breaksALogLine(c))
            escaped += ch;
        else if (c == u'\n')
            escaped += QLatin1String("\\n");
        else if (c == u'\r')
            escaped += QLatin1String("\\r");
        else if (c == u'\t')
            escaped += QLatin1String("\\t");
        else if (c < 0x80)
            escaped += QStringLiteral("\\x%1").arg(int(c), 2, 16, QLatin1Char('0'));
        else
            escaped += QStringLiteral("\\u%1").arg(int(c), 4, 16, QLatin1Char('0'));
    }
    return escaped;
}

void logOneLinePerRecord(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    const QString escaped = withControlCharactersEscaped(message);
    if (defaultMessageHandler) {
        defaultMessageHandler(type, context, escaped);
        return;
    }
    std::fprintf(stderr, "%s\n", qPrintable(qFormatLogMessage(type, context, escaped)));
}

int fail(const QString &message)
{
    std::fprintf(stderr, "organizer-server: %s\n", qPrintable(message));
    return 2;
}

// The signing keys a subcommand works on: those in the database the server uses (--database, else the
// SQLite file in --data-dir), opened with the same key-encryption key.
Expected<std::unique_ptr<store::StoredSigningKeys>, QString> openSigningKeys(const server::StorageOptions &storage)
{
    const store::DatabaseLocation location = server::databaseLocationOf(storage.database, storage.dataDir);
    if (location.engine == store::Engine::Sqlite && !QDir(storage.dataDir).exists()) {
        if (!QDir().mkpath(storage.dataDir))
            return Unexpected<QString>(QStringLiteral("cannot create the data directory %1").arg(storage.dataDir));
        QFile::setPermissions(storage.dataDir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }
    auto kek = store::keyEncryptionKeyFor(storage.secretsFile, storage.dataDir, location);
    if (!kek)
        return Unexpected<QString>(kek.error());
    auto database = store::Database::open(location);
    if (!database)
        return Unexpected<QString>(database.error());
    return store::StoredSigningKeys::open(std::move(database).value(), std::move(kek).value(), QDir(storage.dataDir).filePath(QStringLiteral("keys")));
}

// `organizer-server token`: a token signed by the bundled issuer's active key, like Auth0's dashboard test token.
int runTokenCommand(QCoreApplication &app)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Prints an access token signed by the bundled issuer's active key (read from the database, as the "
                                                    "server reads it), for QA and benchmarks."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("token"), QStringLiteral("The subcommand."));
    parser.addOptions({
        {QStringLiteral("sub"), QStringLiteral("Subject of the token (e.g. auth0|alice or organizer-cli@clients)."), QStringLiteral("id")},
        {QStringLiteral("scope"), QStringLiteral("Space-separated scopes, e.g. \"read:contacts read:calendar\"."), QStringLiteral("scopes"), QString()},
        {QStringLiteral("ttl"), QStringLiteral("Lifetime in seconds (default 3600)."), QStringLiteral("seconds"), QStringLiteral("3600")},
        {QStringLiteral("audience"), QStringLiteral("Audience (default organize)."), QStringLiteral("id"), QStringLiteral("organize")},
        {QStringLiteral("expired"), QStringLiteral("Issue it already expired (exp an hour ago), to check that APIs refuse it.")},
        {QStringLiteral("issuer"), QStringLiteral("Issuer URL; default: the one the server on this data directory announced."), QStringLiteral("url")},
    });
    server::addStorageOptions(parser);
    parser.process(app);

    if (!parser.isSet(QStringLiteral("sub")) || parser.value(QStringLiteral("sub")).isEmpty())
        return fail(QStringLiteral("token: --sub is required"));
    bool ok = false;
    const qint64 ttl = parser.value(QStringLiteral("ttl")).toLongLong(&ok);
    if (!ok || ttl <= 0 || ttl > 30 * 86400)
        return fail(QStringLiteral("token: --ttl must be a number of seconds from 1 to 2592000"));
    auto storage = server::storageOptionsFrom(parser);
    if (!storage)
        return fail(QStringLiteral("token: %1").arg(storage.error()));

    QString issuer = parser.value(QStringLiteral("issuer"));
    if (issuer.isEmpty()) {
        QFile file(server::issuerFilePath(storage->dataDir));
        if (!file.open(QIODevice::ReadOnly))
            return fail(QStringLiteral("token: no server has run on %1 yet; start one or pass --issuer URL").arg(storage->dataDir));
        issuer = QString::fromUtf8(file.readAll()).trimmed();
    }
    auto keys = openSigningKeys(*storage);
    if (!keys)
        return fail(QStringLiteral("token: %1").arg(keys.error()));

    // The same minter the authorization server uses, for an API that is just this audience and lifetime.
    // An expired token is an honest one minted in the past: iat and exp both lie beyond any leeway.
    const qint64 backdate = parser.isSet(QStringLiteral("expired")) ? ttl + 3600 : 0;
    const Clock clock = [backdate] { return systemClock()() - backdate; };
    authorization::TokenMinter minter([active = (*keys)->activeKey()] { return active; }, clock);
    minter.setIssuer(issuer);
    authorization::Api api;
    api.identifier = parser.value(QStringLiteral("audience"));
    api.tokenLifetimeSeconds = ttl;
    auto token = minter.accessToken(&api, parser.value(QStringLiteral("sub")), QString(),
                                    parser.value(QStringLiteral("scope")).split(QLatin1Char(' '), Qt::SkipEmptyParts), false);
    if (!token)
        return fail(QStringLiteral("token: %1").arg(token.error().description));
    std::fprintf(stdout, "%s\n", token->token.constData());
    return 0;
}

// `organizer-server keys rotate`: a new signing key in the database; every running instance on it starts
// signing with it at once (PostgreSQL tells them; on SQLite they look each second) and keeps publishing
// the previous one.
int runKeysCommand(QCoreApplication &app)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Manages the bundled issuer's signing keys, kept in the database (--database, else the SQLite file in --data-dir) and sealed "
                       "under the key-encryption key of --secrets-file.\n\n"
                       "  keys rotate   make a new RSA-2048 signing key, which every instance signs with from then on; older keys stay published "
                       "for --retain seconds"));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("keys"), QStringLiteral("The subcommand."));
    parser.addPositionalArgument(QStringLiteral("action"), QStringLiteral("rotate"));
    parser.addOptions({
        {QStringLiteral("retain"), QStringLiteral("Keep a retired key this many seconds, the longest a token it signed can live (default 90000)."),
         QStringLiteral("seconds"), QStringLiteral("90000")},
    });
    server::addStorageOptions(parser);
    parser.process(app);
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 2 || positional.at(1) != QLatin1String("rotate"))
        return fail(QStringLiteral("keys: say what to do: organizer-server keys rotate"));
    bool ok = false;
    const qint64 retain = parser.value(QStringLiteral("retain")).toLongLong(&ok);
    if (!ok || retain < 0)
        return fail(QStringLiteral("keys: --retain must be a number of seconds"));
    auto storage = server::storageOptionsFrom(parser);
    if (!storage)
        return fail(QStringLiteral("keys: %1").arg(storage.error()));
    auto keys = openSigningKeys(*storage);
    if (!keys)
        return fail(QStringLiteral("keys: %1").arg(keys.error()));
    auto rotated = (*keys)->rotate();
    if (!rotated)
        return fail(QStringLiteral("keys: %1").arg(rotated.error()));
    auto pruned = (*keys)->prune(QDateTime::currentSecsSinceEpoch(), retain);
    if (!pruned)
        return fail(QStringLiteral("keys: %1").arg(pruned.error()));
    std::fprintf(stdout, "new signing key %s; %lld key(s) published, %d retired key(s) removed\n", qPrintable(rotated->kid),
                 static_cast<long long>((*keys)->snapshot()->keys.size()), *pruned);
    return 0;
}

// `organizer-server secrets init`: a new key-encryption key for instances sharing a PostgreSQL database.
int runSecretsCommand(QCoreApplication &app)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Manages the key-encryption key that seals the signing keys in the database.\n\n"
                       "  secrets init   write a new key-encryption key (32 random bytes, base64) to --secrets-file, owner-only (0600); an "
                       "existing file is never replaced. Give every instance on the database the same file (--secrets-file or "
                       "ORGANIZER_SECRETS_FILE)."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("secrets"), QStringLiteral("The subcommand."));
    parser.addPositionalArgument(QStringLiteral("action"), QStringLiteral("init"));
    parser.addOptions({
        {QStringLiteral("secrets-file"), QStringLiteral("The file to create (or set ORGANIZER_SECRETS_FILE)."), QStringLiteral("file")},
    });
    parser.process(app);
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 2 || positional.at(1) != QLatin1String("init"))
        return fail(QStringLiteral("secrets: say what to do: organizer-server secrets init --secrets-file FILE"));
    const QString path
        = parser.isSet(QStringLiteral("secrets-file")) ? parser.value(QStringLiteral("secrets-file")) : qEnvironmentVariable("ORGANIZER_SECRETS_FILE");
    if (path.isEmpty())
        return fail(QStringLiteral("secrets init: give --secrets-file FILE, the file to create"));
    auto created = jose::createKeyEncryptionKeyFile(path);
    if (!created && created.error().code == jose::ErrorCode::KeyExists)
        return fail(QStringLiteral("secrets init: %1 exists already, and is never replaced: the signing keys may be sealed under it").arg(path));
    if (!created)
        return fail(QStringLiteral("secrets init: %1").arg(created.error().description));
    std::fprintf(stdout,
                 "wrote key-encryption key %s to %s (mode 0600)\n"
                 "give every instance on the database this same file: --secrets-file %s (or ORGANIZER_SECRETS_FILE=%s);\n"
                 "keep a copy with the database's backups, stored apart from them: the signing keys cannot be read without it\n",
                 qPrintable(created->id()), qPrintable(path), qPrintable(path), qPrintable(path));
    return 0;
}

// `path` as one shell word, for commands printed to be pasted.
QByteArray shellQuoted(const QString &path)
{
    const QByteArray bytes = QFile::encodeName(path);
    const bool plain
        = std::all_of(bytes.cbegin(), bytes.cend(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("/._-+:@%,=", c); });
    if (plain && !bytes.isEmpty())
        return bytes;
    return "'" + QByteArray(bytes).replace("'", "'\\''") + "'";
}

// `organizer-server ca`: the local certificate authority behind --tls, and how to make this machine's
// clients trust it.
int runCaCommand(QCoreApplication &app)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Prints the certificate of the local certificate authority that issues the server's certificates under --tls (made in the "
                       "data directory if there is none yet) and, on standard error, how to trust it: Node.js, Debian's certificate store, "
                       "Chromium and Firefox (NSS), curl."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("ca"), QStringLiteral("The subcommand."));
    parser.addOptions({
        {QStringLiteral("path"), QStringLiteral("Print only the CA certificate's path, e.g. NODE_EXTRA_CA_CERTS=\"$(organizer-server ca --path)\".")},
    });
    server::addStorageOptions(parser);
    parser.process(app);
    if (parser.positionalArguments().size() != 1)
        return fail(QStringLiteral("ca: takes no arguments; see organizer-server ca --help"));
    auto storage = server::storageOptionsFrom(parser);
    if (!storage)
        return fail(QStringLiteral("ca: %1").arg(storage.error()));
    auto authority = tls::LocalCertificateAuthority::open(storage->dataDir);
    if (!authority)
        return fail(QStringLiteral("ca: %1").arg(authority.error()));
    if (parser.isSet(QStringLiteral("path"))) {
        std::fprintf(stdout, "%s\n", QFile::encodeName(authority->certificatePath()).constData());
        return 0;
    }
    const QByteArray path = shellQuoted(authority->certificatePath());
    std::fwrite(authority->certificatePem().constData(), 1, size_t(authority->certificatePem().size()), stdout);
    std::fflush(stdout);
    const QByteArray name = authority->commonName().toUtf8();
    std::fprintf(stderr,
                 "organizer-server: %s the local CA \"%s\", valid until %s: %s\n"
                 "Servers started with --tls on this data directory present certificates it issued. Trust it once:\n"
                 "  Node.js:           NODE_EXTRA_CA_CERTS=%s node app.js\n"
                 "  Debian's store:    sudo cp %s /usr/local/share/ca-certificates/organizer-local-ca.crt && sudo update-ca-certificates\n"
                 "  Chromium, Firefox: certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n \"%s\" -i %s\n"
                 "                     (libnss3-tools; Chromium reads ~/.pki/nssdb, Firefox its profile's directory)\n"
                 "  curl:              curl --cacert %s https://localhost:3001/.well-known/openid-configuration\n"
                 "Its key stays in %s, owner-only; keep it so.\n",
                 authority->created() ? "made" : "using", name.constData(), qPrintable(authority->notAfter().toString(Qt::ISODate)),
                 QFile::encodeName(authority->certificatePath()).constData(), path.constData(), path.constData(), name.constData(), path.constData(),
                 path.constData(), QFile::encodeName(authority->directory()).constData());
    return 0;
}

// The tenant a server on `storage` with the tenant file `config` serves: what the Management API (or an
// import) stored over that file, else the file itself; and the revision to change it from.
struct ServedTenant
{
    std::unique_ptr<store::TenantStore> store;
    QByteArray sourceDigest;
    qint64 revision = 0; // 0: nothing stored over the file yet
    authorization::Tenant tenant;
};

Expected<ServedTenant, QString> openServedTenant(const server::StorageOptions &storage, const QString &config)
{
    const QString tenantPath = config.isEmpty() ? authorization::defaultTenantPath() : config;
    QFile tenantFile(tenantPath);
    if (!tenantFile.open(QIODevice::ReadOnly))
        return Unexpected<QString>(QStringLiteral("cannot read %1: %2").arg(tenantPath, tenantFile.errorString()));
    const QByteArray source = tenantFile.read(4 * 1024 * 1024);
    const store::DatabaseLocation location = server::databaseLocationOf(storage.database, storage.dataDir);
    if (location.engine == store::Engine::Sqlite && !QDir(storage.dataDir).exists()) {
        if (!QDir().mkpath(storage.dataDir))
            return Unexpected<QString>(QStringLiteral("cannot create the data directory %1").arg(storage.dataDir));
        QFile::setPermissions(storage.dataDir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }
    auto database = store::Database::open(location);
    if (!database)
        return Unexpected<QString>(database.error());
    ServedTenant served;
    served.store = std::make_unique<store::TenantStore>(std::move(database).value());
    served.sourceDigest = store::TenantStore::digestOf(source);
    auto stored = served.store->load(served.sourceDigest);
    if (!stored)
        return Unexpected<QString>(stored.error());
    auto tenant = authorization::parseTenant(stored->has_value() ? (*stored)->document : source, management::ManagementApi::definition());
    if (!tenant)
        return Unexpected<QString>(stored->has_value() ? QStringLiteral("the tenant stored over %1: %2").arg(tenantPath, tenant.error())
                                                       : QStringLiteral("%1: %2").arg(tenantPath, tenant.error()));
    served.revision = stored->has_value() ? (*stored)->revision : 0;
    served.tenant = std::move(tenant).value();
    return served;
}

// `organizer-server tenant export|import`: the tenant as code, in Auth0 Deploy CLI's shapes.
int runTenantCommand(QCoreApplication &app)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("The tenant a server on this database serves (its tenant file with the Management API's changes over it), as code in "
                       "Auth0 Deploy CLI's shapes: resourceServers, clients, clientGrants and roles. Users are left out, as the Deploy CLI "
                       "leaves them out; so are the system Management API and every client secret (only their hashes are kept).\n\n"
                       "  tenant export [--format yaml|json] [--output FILE|DIR]   --format yaml: the Deploy CLI's tenant.yaml (standard "
                       "output, FILE, or DIR/tenant.yaml); --format json (the default): one JSON document with tenant.yaml's keys (standard "
                       "output or FILE.json), or with --output DIR the Deploy CLI's directory format (resource-servers/, clients/, grants/, "
                       "roles/)\n"
                       "  tenant import FILE.yaml|FILE.json|DIR    applies it as the Deploy CLI does without AUTH0_ALLOW_DELETE: entries "
                       "matched are updated, others created, nothing deleted; all of it or, at the first problem, none of it. Servers "
                       "running on the database take it on at once; importing the same thing again changes nothing."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("tenant"), QStringLiteral("The subcommand."));
    parser.addPositionalArgument(QStringLiteral("action"), QStringLiteral("export or import"));
    parser.addOptions({
        {QStringLiteral("format"), QStringLiteral("export: yaml or json (default)."), QStringLiteral("format"), QStringLiteral("json")},
        {QStringLiteral("output"), QStringLiteral("export: a file (.yaml, .yml, .json), or a directory."), QStringLiteral("path")},
        {QStringLiteral("config"), QStringLiteral("The tenant file the server was started with (--config); default: the demo tenant."), QStringLiteral("file")},
    });
    server::addStorageOptions(parser);
    parser.process(app);
    const QStringList positional = parser.positionalArguments();
    const QString action = positional.value(1);
    if ((action != QLatin1String("export") || positional.size() != 2) && (action != QLatin1String("import") || positional.size() != 3))
        return fail(QStringLiteral("tenant: say what to do: organizer-server tenant export [--format yaml|json] [--output FILE|DIR] or tenant import "
                                   "FILE.yaml|FILE.json|DIR"));
    const QString format = parser.value(QStringLiteral("format"));
    if (format != QLatin1String("json") && format != QLatin1String("yaml"))
        return fail(QStringLiteral("tenant: --format must be yaml or json"));
    auto storage = server::storageOptionsFrom(parser);
    if (!storage)
        return fail(QStringLiteral("tenant: %1").arg(storage.error()));
    auto served = openServedTenant(*storage, parser.value(QStringLiteral("config")));
    if (!served)
        return fail(QStringLiteral("tenant %1: %2").arg(action, served.error()));

    if (action == QLatin1String("export")) {
        const QJsonObject document = authorization::tenantToDeploy(served->tenant);
        const QString output = parser.value(QStringLiteral("output"));
        const bool yaml = format == QLatin1String("yaml");
        const QByteArray text = yaml ? authorization::deployToYaml(document) : QJsonDocument(document).toJson(QJsonDocument::Indented);
        const bool toFile = output.endsWith(QLatin1String(".json"), Qt::CaseInsensitive) || output.endsWith(QLatin1String(".yaml"), Qt::CaseInsensitive)
            || output.endsWith(QLatin1String(".yml"), Qt::CaseInsensitive);
        if (output.isEmpty() || output == QLatin1String("-")) {
            std::fwrite(text.constData(), 1, size_t(text.size()), stdout);
        } else if (toFile || yaml) {
            // A directory for YAML holds tenant.yaml, as a0deploy's --output_folder does.
            const QString path = toFile ? output : QDir(output).filePath(QStringLiteral("tenant.yaml"));
            if (!toFile && !QDir().mkpath(output))
                return fail(QStringLiteral("tenant export: cannot create the directory %1").arg(output));
            QFile file(path);
            if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(text) != text.size())
                return fail(QStringLiteral("tenant export: cannot write %1: %2").arg(path, file.errorString()));
        } else if (auto written = authorization::writeDeployDirectory(document, output); !written) {
            return fail(QStringLiteral("tenant export: %1").arg(written.error()));
        }
        std::fprintf(stderr, "organizer-server: exported the tenant (revision %lld); client secrets are not exported, only their hashes are kept\n",
                     static_cast<long long>(served->revision));
        return 0;
    }

    const QString input = positional.at(2);
    QJsonObject document;
    QHash<QString, QString> files;
    const bool yamlInput = input.endsWith(QLatin1String(".yaml"), Qt::CaseInsensitive) || input.endsWith(QLatin1String(".yml"), Qt::CaseInsensitive)
        || (QFileInfo(input).isDir() && QFileInfo::exists(QDir(input).filePath(QStringLiteral("tenant.yaml"))));
    if (yamlInput) {
        const QString path = QFileInfo(input).isDir() ? QDir(input).filePath(QStringLiteral("tenant.yaml")) : input;
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return fail(QStringLiteral("tenant import: cannot read %1: %2").arg(path, file.errorString()));
        auto read = authorization::deployFromYaml(file.read(4 * 1024 * 1024));
        if (!read)
            return fail(QStringLiteral("tenant import: %1: %2").arg(path, read.error()));
        document = std::move(read).value();
    } else if (QFileInfo(input).isDir()) {
        auto read = authorization::readDeployDirectory(input, &files);
        if (!read)
            return fail(QStringLiteral("tenant import: %1").arg(read.error()));
        document = std::move(read).value();
    } else {
        QFile file(input);
        if (!file.open(QIODevice::ReadOnly))
            return fail(QStringLiteral("tenant import: cannot read %1: %2").arg(input, file.errorString()));
        QJsonParseError error;
        const QJsonDocument parsed = QJsonDocument::fromJson(file.read(4 * 1024 * 1024), &error);
        if (error.error != QJsonParseError::NoError)
            return fail(QStringLiteral("tenant import: %1: not valid JSON: %2 at byte %3").arg(input, error.errorString()).arg(error.offset));
        if (!parsed.isObject())
            return fail(QStringLiteral("tenant import: %1: must be a JSON object with resourceServers, clients, clientGrants, roles").arg(input));
        document = parsed.object();
    }
    QStringList newSecrets;
    auto next = authorization::applyDeploy(served->tenant, document, management::ManagementApi::definition(), &newSecrets);
    if (!next) {
        // A problem in the directory format is named by its file too.
        QString where;
        for (auto it = files.constBegin(); it != files.constEnd(); ++it)
            if (next.error().startsWith(it.key() + QLatin1Char('.')) || next.error().startsWith(it.key() + QLatin1Char(':')))
                where = QStringLiteral(" (in %1)").arg(it.value());
        return fail(QStringLiteral("tenant import: %1: nothing imported: %2%3").arg(input, next.error(), where));
    }
    const QByteArray before = authorization::tenantToJson(served->tenant);
    const QByteArray after = authorization::tenantToJson(*next);
    if (before == after) {
        std::fprintf(stdout, "the tenant is as %s says already: nothing changed (revision %lld)\n", qPrintable(input),
                     static_cast<long long>(served->revision));
        return 0;
    }
    auto saved = served->store->save(served->sourceDigest, after, served->revision);
    if (!saved)
        return fail(QStringLiteral("tenant import: %1").arg(saved.error()));
    if (!saved->has_value())
        return fail(QStringLiteral("tenant import: the tenant changed while it was being imported (the Management API or another import); "
                                   "nothing imported, run it again"));
    std::fprintf(stdout, "imported %s: tenant revision %lld; servers on this database take it on at once\n", qPrintable(input),
                 static_cast<long long>(**saved));
    for (const QString &secret : newSecrets)
        std::fprintf(stdout, "new application's client secret, shown only now: %s\n", qPrintable(secret));
    return 0;
}

// `organizer-server hash-password`: the hash a tenant file stores instead of a password or secret.
// The password comes from standard input, never from the command line (where `ps` would show it).
int runHashPasswordCommand(QCoreApplication &app)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Reads a password (or client secret) from standard input and prints its PBKDF2-HMAC-SHA256 hash "
                                                    "for the tenant file's password_hash or client_secret_hash."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("hash-password"), QStringLiteral("The subcommand."));
    parser.process(app);
    const bool interactive = ::isatty(STDIN_FILENO);
    termios saved = {};
    if (interactive) {
        std::fprintf(stderr, "Password: ");
        std::fflush(stderr);
        ::tcgetattr(STDIN_FILENO, &saved);
        termios silent = saved;
        silent.c_lflag &= ~tcflag_t(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &silent);
    }
    QFile input;
    if (!input.open(stdin, QIODevice::ReadOnly))
        return fail(QStringLiteral("hash-password: cannot read standard input"));
    const QString password = QString::fromUtf8(input.readLine(4096)).remove(QLatin1Char('\n')).remove(QLatin1Char('\r'));
    if (interactive) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
        std::fprintf(stderr, "\n");
    }
    if (password.isEmpty())
        return fail(QStringLiteral("hash-password: the password is empty"));
    std::fprintf(stdout, "%s\n", qPrintable(authorization::hashPassword(password)));
    return 0;
}

int runServer(QCoreApplication &app)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Organizer Service: the contacts and calendar APIs as one OAuth 2.0 resource server (audience \"organize\"), "
                       "with a bundled authorization server.\n\nSubcommands:\n  token           print a test access token (organizer-server token --help)\n"
                       "  keys rotate     make a new signing key in the database; every running instance on it picks it up\n"
                       "  secrets init    make the key-encryption key file that instances sharing a PostgreSQL database need (--secrets-file)\n"
                       "  ca              print the local certificate authority's certificate (--tls) and how to trust it\n"
                       "  tenant          export or import the tenant as code, in Auth0 Deploy CLI's shapes (tenant --help)\n"
                       "  hash-password   hash a password or client secret for a tenant file"));
    parser.addHelpOption();
    parser.addVersionOption();
    server::addServerOptions(parser);
    parser.process(app); // exits with a message on unknown options, --help and --version
    if (!parser.positionalArguments().isEmpty())
        return fail(QStringLiteral("unknown command \"%1\"; see --help").arg(parser.positionalArguments().first()));

    auto options = server::serverOptionsFrom(parser);
    if (!options)
        return fail(options.error());
    // Declared before the server so that it outlives it: a signal while the server is torn down waits
    // unread instead of ending the process halfway through closing the database.
    std::unique_ptr<SignalNotifier> terminationSignals;
    auto organizerServer = server::OrganizerServer::create(*options);
    if (!organizerServer)
        return fail(organizerServer.error());
    // Before the readiness line: whoever waits for it may send SIGTERM the moment it appears.
    terminationSignals = stopOnTerminationSignals(**organizerServer);
    auto url = (*organizerServer)->start();
    if (!url)
        return fail(url.error());

    std::fprintf(stderr, "organizer-server: %d HTTP worker(s), at most %d connections (open-file limit %d)\n", (*organizerServer)->workers(),
                 (*organizerServer)->maxConnections(), http::raiseOpenFileLimit());
    // The readiness line: the desktop app and scripts wait for it.
    std::fprintf(stdout, "organizer-server: listening on %s\n", qPrintable(url->toString()));
    std::fflush(stdout);
    return app.exec();
}

} // namespace

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("QT_MESSAGE_PATTERN"))
        qSetMessagePattern(QStringLiteral("%{time yyyy-MM-ddThh:mm:ss.zzz} %{if-warning}warning %{endif}%{if-critical}error %{endif}%{category}: %{message}"));
    defaultMessageHandler = qInstallMessageHandler(logOneLinePerRecord);
    // Qt's own poll()-based event dispatcher: the HTTP workers wake once per batch of ready sockets,
    // and GLib's main-loop bookkeeping around each wake-up is work the server does not need.
    if (qEnvironmentVariableIsEmpty("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("organizer-server"));
    QCoreApplication::setApplicationVersion(QStringLiteral(ORGANIZER_VERSION));

    const QStringList arguments = QCoreApplication::arguments();
    if (arguments.size() > 1 && arguments.at(1) == QLatin1String("token"))
        return runTokenCommand(app);
    if (arguments.size() > 1 && arguments.at(1) == QLatin1String("keys"))
        return runKeysCommand(app);
    if (arguments.size() > 1 && arguments.at(1) == QLatin1String("secrets"))
        return runSecretsCommand(app);
    if (arguments.size() > 1 && arguments.at(1) == QLatin1String("ca"))
        return runCaCommand(app);
    if (arguments.size() > 1 && arguments.at(1) == QLatin1String("tenant"))
        return runTenantCommand(app);
    if (arguments.size() > 1 && arguments.at(1) == QLatin1String("hash-password"))
        return runHashPasswordCommand(app);
    return runServer(app);
}
