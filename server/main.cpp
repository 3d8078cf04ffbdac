// organizer-server: the Organizer Service resource server (contacts and calendar APIs) and its
// bundled issuer. Thin on purpose: everything it does lives in organizer_server_core.

#include "accesstokenissuer.h"
#include "organizerserver.h"
#include "serveroptions.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QSocketNotifier>

#include <csignal>
#include <cstdio>
#include <sys/socket.h>
#include <unistd.h>

using namespace organizer;

namespace {

int signalPipe[2] = {-1, -1};

void onSignal(int)
{
    const char byte = 1;
    [[maybe_unused]] const auto written = ::write(signalPipe[1], &byte, 1);
}

// SIGINT/SIGTERM end the event loop normally, so the database and sockets close cleanly.
void quitOnTerminationSignals(QCoreApplication &app)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, signalPipe) != 0)
        return;
    auto *notifier = new QSocketNotifier(signalPipe[0], QSocketNotifier::Read, &app);
    QObject::connect(notifier, &QSocketNotifier::activated, &app, [] { QCoreApplication::quit(); });
    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

int fail(const QString &message)
{
    std::fprintf(stderr, "organizer-server: %s\n", qPrintable(message));
    return 2;
}

// `organizer-server token`: a token signed by the local key, like Auth0's dashboard test token.
int runTokenCommand(QCoreApplication &app)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Prints an access token signed by the bundled issuer's key, for QA and benchmarks."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("token"), QStringLiteral("The subcommand."));
    parser.addOptions({
        {QStringLiteral("sub"), QStringLiteral("Subject of the token (e.g. auth0|alice or organizer-cli@clients)."), QStringLiteral("id")},
        {QStringLiteral("scope"), QStringLiteral("Space-separated scopes, e.g. \"read:contacts read:calendar\"."), QStringLiteral("scopes"), QString()},
        {QStringLiteral("ttl"), QStringLiteral("Lifetime in seconds (default 3600)."), QStringLiteral("seconds"), QStringLiteral("3600")},
        {QStringLiteral("audience"), QStringLiteral("Audience (default organize)."), QStringLiteral("id"), QStringLiteral("organize")},
        {QStringLiteral("issuer"), QStringLiteral("Issuer URL; default: the one the server on this data directory announced."), QStringLiteral("url")},
        {QStringLiteral("data-dir"), QStringLiteral("Data directory holding the signing keys (default %1).").arg(server::defaultDataDir()), QStringLiteral("dir")},
    });
    parser.process(app);

    if (!parser.isSet(QStringLiteral("sub")) || parser.value(QStringLiteral("sub")).isEmpty())
        return fail(QStringLiteral("token: --sub is required"));
    bool ok = false;
    const qint64 ttl = parser.value(QStringLiteral("ttl")).toLongLong(&ok);
    if (!ok || ttl <= 0 || ttl > 30 * 86400)
        return fail(QStringLiteral("token: --ttl must be a number of seconds from 1 to 2592000"));
    const QString dataDir = parser.isSet(QStringLiteral("data-dir")) ? parser.value(QStringLiteral("data-dir")) : server::defaultDataDir();

    QString issuer = parser.value(QStringLiteral("issuer"));
    if (issuer.isEmpty()) {
        QFile file(server::issuerFilePath(dataDir));
        if (!file.open(QIODevice::ReadOnly))
            return fail(QStringLiteral("token: no server has run on %1 yet; start one or pass --issuer URL").arg(dataDir));
        issuer = QString::fromUtf8(file.readAll()).trimmed();
    }
    auto keys = jose::SigningKeyStore::open(QDir(dataDir).filePath(QStringLiteral("keys")));
    if (!keys)
        return fail(QStringLiteral("token: %1").arg(keys.error().description));

    const server::AccessTokenIssuer tokenIssuer(&keys.value(), issuer, parser.value(QStringLiteral("audience")));
    server::AccessTokenIssuer::Grant grant;
    grant.subject = parser.value(QStringLiteral("sub"));
    grant.scopes = parser.value(QStringLiteral("scope")).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    grant.lifetimeSeconds = ttl;
    auto token = tokenIssuer.mint(grant);
    if (!token)
        return fail(QStringLiteral("token: %1").arg(token.error().description));
    std::fprintf(stdout, "%s\n", token->constData());
    return 0;
}

int runServer(QCoreApplication &app)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Organizer Service: the contacts and calendar APIs as one OAuth 2.0 resource server (audience \"organize\"), "
        "with a bundled issuer.\n\nSubcommands:\n  token    print a test access token (organizer-server token --help)"));
    parser.addHelpOption();
    parser.addVersionOption();
    server::addServerOptions(parser);
    parser.process(app); // exits with a message on unknown options, --help and --version
    if (!parser.positionalArguments().isEmpty())
        return fail(QStringLiteral("unknown command \"%1\"; see --help").arg(parser.positionalArguments().first()));

    auto options = server::serverOptionsFrom(parser);
    if (!options)
        return fail(options.error());
    auto organizerServer = server::OrganizerServer::create(*options);
    if (!organizerServer)
        return fail(organizerServer.error());
    auto url = (*organizerServer)->start();
    if (!url)
        return fail(url.error());

    // The readiness line: the desktop app and scripts wait for it.
    std::fprintf(stdout, "organizer-server: listening on %s\n", qPrintable(url->toString()));
    std::fflush(stdout);
    quitOnTerminationSignals(app);
    return app.exec();
}

} // namespace

int main(int argc, char *argv[])
{
    if (qEnvironmentVariableIsEmpty("QT_MESSAGE_PATTERN"))
        qSetMessagePattern(QStringLiteral("%{time yyyy-MM-ddThh:mm:ss.zzz} %{if-warning}warning %{endif}%{if-critical}error %{endif}%{category}: %{message}"));
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("organizer-server"));
    QCoreApplication::setApplicationVersion(QStringLiteral(ORGANIZER_VERSION));

    const QStringList arguments = QCoreApplication::arguments();
    if (arguments.size() > 1 && arguments.at(1) == QLatin1String("token"))
        return runTokenCommand(app);
    return runServer(app);
}
