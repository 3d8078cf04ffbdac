#include "organizerserver.h"

#include "oautherrors.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>

namespace organizer::server {

namespace {

QString hostForUrl(const QHostAddress &address)
{
    // An any-address listener is reached through loopback from this machine.
    if (address == QHostAddress::Any || address == QHostAddress::AnyIPv4)
        return QStringLiteral("127.0.0.1");
    if (address == QHostAddress::AnyIPv6)
        return QStringLiteral("[::1]");
    if (address.protocol() == QAbstractSocket::IPv6Protocol)
        return QLatin1Char('[') + address.toString() + QLatin1Char(']');
    return address.toString();
}

QStringList apiScopes(const ServerOptions &options)
{
    QStringList scopes;
    for (const CollectionSpec *spec : {&contactsSpec(), &appointmentsSpec()}) {
        if ((spec == &contactsSpec() && !options.servesContacts()) || (spec == &appointmentsSpec() && !options.servesCalendar()))
            continue;
        for (const char *action : {"read", "create", "update", "delete"})
            scopes.append(spec->scope(action));
    }
    return scopes;
}

} // namespace

QString issuerFilePath(const QString &dataDir)
{
    return QDir(dataDir).filePath(QStringLiteral("issuer.url"));
}

OrganizerServer::OrganizerServer(ServerOptions options) : m_options(std::move(options)), m_cors(m_options.corsOrigins) {}

OrganizerServer::~OrganizerServer() = default;

Expected<std::unique_ptr<OrganizerServer>, QString> OrganizerServer::create(const ServerOptions &options)
{
    std::unique_ptr<OrganizerServer> server(new OrganizerServer(options));
    if (!QDir(options.dataDir).exists()) {
        // Personal data and signing keys: a directory we create is its owner's alone.
        if (!QDir().mkpath(options.dataDir))
            return Unexpected<QString>(QStringLiteral("cannot create the data directory %1").arg(options.dataDir));
        QFile::setPermissions(options.dataDir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }

    auto store = RecordStore::open(QDir(options.dataDir).filePath(QStringLiteral("organizer.sqlite")), {contactsSpec(), appointmentsSpec()});
    if (!store)
        return Unexpected<QString>(store.error());
    server->m_store = std::move(store).value();

    if (options.authority.isEmpty()) {
        auto keys = jose::SigningKeyStore::open(QDir(options.dataDir).filePath(QStringLiteral("keys")));
        if (!keys)
            return Unexpected<QString>(keys.error().description);
        server->m_signingKeys = std::move(keys).value();
        // The issuer URL is known once the port is: start() fills it in.
        server->m_issuerKeys = new LocalIssuerKeys(QString(), server->m_signingKeys->publicKeys(), server.get());
    } else {
        auto *remote = new RemoteIssuerKeys(options.authority, server.get());
        remote->setCooldown(options.jwksRefreshIntervalSeconds * 1000);
        server->m_issuerKeys = remote;
    }

    server->m_verifier = std::make_unique<AccessTokenVerifier>(
        server->m_issuerKeys, AccessTokenVerifier::Settings{options.audience, options.leewaySeconds, 10'000});
    server->m_resourceServer = std::make_unique<ResourceServer>(
        ResourceServer::Settings{options.audience, options.servesContacts(), options.servesCalendar()}, server->m_verifier.get(),
        server->m_store.get());
    server->m_resourceServer->registerRoutes(server->m_router);
    server->m_router.add("GET", QStringLiteral("/healthz"), [raw = server.get()](const http::Request &, http::Responder respond) {
        respond(raw->health());
    });
    if (options.servesIssuer())
        server->registerIssuerRoutes();

    OrganizerServer *raw = server.get();
    server->m_http = new http::Server([raw](const http::Request &request, http::Responder respond) { raw->handle(request, std::move(respond)); },
                                      server.get());
    server->m_http->setMaxBodySize(options.maxBodyBytes);
    return server;
}

Expected<QUrl, QString> OrganizerServer::start()
{
    QString error;
    const quint16 port = m_http->listenOn(m_options.bindAddress, m_options.port, &error);
    if (port == 0)
        return Unexpected<QString>(error);
    m_baseUrl = QUrl(QStringLiteral("http://%1:%2/").arg(hostForUrl(m_options.bindAddress)).arg(port));

    if (auto *local = qobject_cast<LocalIssuerKeys *>(m_issuerKeys)) {
        local->setIssuer(m_baseUrl.toString());
        auto written = jose::writePrivateFile(issuerFilePath(m_options.dataDir), m_baseUrl.toString().toUtf8() + '\n');
        if (!written)
            return Unexpected<QString>(written.error().description);
    } else if (auto *remote = qobject_cast<RemoteIssuerKeys *>(m_issuerKeys)) {
        remote->start();
    }
    return m_baseUrl;
}

void OrganizerServer::registerIssuerRoutes()
{
    m_router.add("GET", QStringLiteral("/.well-known/jwks.json"), [this](const http::Request &, http::Responder respond) {
        http::Response response;
        response.body = m_signingKeys->publicKeys().toJson();
        response.setHeader("content-type", "application/json");
        response.setHeader("cache-control", "public, max-age=300");
        respond(std::move(response));
    });
    m_router.add("GET", QStringLiteral("/.well-known/openid-configuration"), [this](const http::Request &, http::Responder respond) {
        respond(discovery());
    });
}

http::Response OrganizerServer::discovery() const
{
    const QString issuer = m_baseUrl.toString();
    QJsonArray scopes{QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("email"), QStringLiteral("offline_access")};
    for (const QString &scope : apiScopes(m_options))
        scopes.append(scope);
    http::Response response = http::Response::json(200, QJsonObject{
        {QStringLiteral("issuer"), issuer},
        {QStringLiteral("jwks_uri"), issuer + QStringLiteral(".well-known/jwks.json")},
        {QStringLiteral("scopes_supported"), scopes},
        {QStringLiteral("id_token_signing_alg_values_supported"), QJsonArray{QStringLiteral("RS256")}},
        {QStringLiteral("subject_types_supported"), QJsonArray{QStringLiteral("public")}},
    });
    response.setHeader("cache-control", "public, max-age=300");
    return response;
}

http::Response OrganizerServer::health() const
{
    QJsonArray apis;
    if (m_options.servesContacts())
        apis.append(QStringLiteral("contacts"));
    if (m_options.servesCalendar())
        apis.append(QStringLiteral("calendar"));
    http::Response response = http::Response::json(200, QJsonObject{
        {QStringLiteral("status"), QStringLiteral("ok")},
        {QStringLiteral("version"), QStringLiteral(ORGANIZER_VERSION)},
        {QStringLiteral("apis"), apis},
        {QStringLiteral("issuer"), m_issuerKeys->issuer()},
    });
    response.setHeader("cache-control", "no-store");
    return response;
}

void OrganizerServer::handle(const http::Request &request, http::Responder respond)
{
    // CORS preflight is answered before authentication: browsers never send credentials with it.
    if (request.method == "OPTIONS") {
        const QByteArrayList allowed = m_router.allowedMethods(request.path);
        if (allowed.isEmpty()) {
            respond(http::Response::json(404, oauthErrorObject(QStringLiteral("not_found"), QStringLiteral("no resource at %1").arg(request.path.left(200)))));
            return;
        }
        respond(m_cors.preflight(request, allowed));
        return;
    }
    const bool isApi = request.path.startsWith(QLatin1String("/api/"));
    m_router.dispatch(request, [this, request, isApi, respond = std::move(respond)](http::Response response) {
        m_cors.decorate(request, response);
        if (isApi && response.header("cache-control").isEmpty())
            response.setHeader("cache-control", "no-store"); // personal data: never cached by intermediaries
        respond(std::move(response));
    });
}

} // namespace organizer::server
