#include "organizerserver.h"

#include "canonicalhost.h"

#include <QDeadlineTimer>

#include "oautherror.h"
#include "tenantfile.h"
#include "webmessage.h"
#include "localcertificateauthority.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QThread>

namespace organizer::server {

QString issuerFilePath(const QString &dataDir)
{
    return QDir(dataDir).filePath(QStringLiteral("issuer.url"));
}

namespace {
std::atomic<quint64> nextInstanceId{1};
} // namespace

OrganizerServer::OrganizerServer(ServerOptions options, Clock clock)
    : m_options(std::move(options)), m_clock(std::move(clock)), m_cors(m_options.corsOrigins), m_instanceId(nextInstanceId.fetch_add(1))
{}

OrganizerServer::~OrganizerServer()
{
    // The HTTP workers use the store and the verifiers: they stop before any of those go.
    delete m_http;
    m_http = nullptr;
    // Its hashing threads run calls that use everything else here (applyTenant() too): they finish first.
    m_management.reset();
}

Expected<std::unique_ptr<OrganizerServer>, QString> OrganizerServer::create(const ServerOptions &options, ServerClocks clocks)
{
    std::unique_ptr<OrganizerServer> server(new OrganizerServer(options, std::move(clocks.wall)));
    if (!QDir(options.dataDir).exists()) {
        // Personal data and signing keys: a directory we create is its owner's alone.
        if (!QDir().mkpath(options.dataDir))
            return Unexpected<QString>(QStringLiteral("cannot create the data directory %1").arg(options.dataDir));
        QFile::setPermissions(options.dataDir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }

    const store::DatabaseLocation location = databaseLocationOf(options.database, options.dataDir);
    // The key that seals the signing keys is looked for before the database is opened: a missing one is
    // a mistake in the configuration, and is said at once.
    std::optional<store::KeyEncryptionKeyFile> keyEncryptionKey;
    if (options.authority.isEmpty()) {
        auto found = store::keyEncryptionKeyFor(options.secretsFile, options.dataDir, location);
        if (!found)
            return Unexpected<QString>(found.error());
        keyEncryptionKey = std::move(found).value();
        if (keyEncryptionKey->created)
            qCInfo(resource::lcKeys).noquote() << "made the key-encryption key" << keyEncryptionKey->path
                                               << "that seals the signing keys in the database; a backup needs both";
    }
    auto database = store::Database::open(location);
    if (!database)
        return Unexpected<QString>(database.error());
    server->m_database = std::move(database).value();
    qCInfo(store::lcStore).noquote() << "database" << location.displayName() << "at schema version" << server->m_database->schemaVersion();

    auto store = store::RecordStore::open(server->m_database, server->builtinApis());
    if (!store)
        return Unexpected<QString>(store.error());
    server->m_store = std::move(store).value();

    if (options.authority.isEmpty()) {
        // The key files of an install from before are imported once, into an empty table.
        auto keys = store::StoredSigningKeys::open(server->m_database, std::move(*keyEncryptionKey), QDir(options.dataDir).filePath(QStringLiteral("keys")));
        if (!keys)
            return Unexpected<QString>(keys.error());
        server->m_signingKeys = std::move(keys).value();
        // The issuer URL is known once the port is: start() fills it in. A token naming a kid not seen yet
        // makes it read the keys again: another instance may have rotated them a moment ago.
        auto *local = new resource::LocalIssuerKeys(QString(), server->m_signingKeys->publicKeys(), server.get());
        local->setReload([raw = server.get()] { raw->reloadSigningKeys(true); });
        server->m_issuerKeys = local;
    } else {
        auto *remote = new resource::RemoteIssuerKeys(options.authority, server.get());
        remote->setCooldown(options.jwksRefreshIntervalSeconds * 1000);
        server->m_issuerKeys = remote;
    }
    server->m_issuerKeys->setMonotonicClock(std::move(clocks.monotonic));

    server->m_verifier = std::make_unique<resource::AccessTokenVerifier>(
        server->m_issuerKeys, resource::AccessTokenVerifier::Settings{options.audience, options.leewaySeconds, 10'000}, server->m_clock);
    server->m_resourceServer = std::make_unique<resource::ResourceServer>(
        resource::ResourceServer::Settings{options.audience, options.servedApis, options.routeScopeOverrides}, server->m_verifier.get(), server->m_store.get());
    server->m_router.setOwner(server.get());
    // The HTTP layer's own refusals answer in the shape every other error of the server has.
    server->m_router.setRefusalWriter(oauth::refusalResponse);
    server->m_resourceServer->registerRoutes(server->m_router, server->builtinApis());
    server->m_router.add(
        "GET", QStringLiteral("/healthz"), [raw = server.get()](const http::Request &, http::Responder respond) { respond(raw->health()); },
        http::Router::Affinity::AnyThread);
    // Kubernetes' split: /healthz says the process is alive, /readyz whether it should get work.
    server->m_router.add(
        "GET", QStringLiteral("/readyz"), [raw = server.get()](const http::Request &, http::Responder respond) { respond(raw->readiness()); },
        http::Router::Affinity::AnyThread);
    if (options.servesIssuer()) {
        if (auto created = server->createAuthorizationServer(); !created)
            return Unexpected<QString>(created.error());
    } else if (auto published = server->m_resourceServer->publish(server->builtinApis(), std::nullopt); !published) {
        // The external issuer decides which scopes exist; the catalogue says which APIs there are.
        return Unexpected<QString>(published.error());
    }
    // After the Management API's routes: /api/v2/… is never taken for an API named "v2".
    server->m_resourceServer->registerDeclaredApiRoutes(server->m_router);

    OrganizerServer *raw = server.get();
    server->m_http = new http::Server([raw](const http::Request &request, http::Responder respond) { raw->handle(request, std::move(respond)); }, server.get());
    server->m_http->setMaxBodySize(options.maxBodyBytes);
    server->m_http->setRefusalWriter(oauth::refusalResponse);
    http::ConnectionLimits limits;
    limits.maxConnections = options.maxConnections; // 0: sized from the open-file limit
    limits.maxConnectionsPerAddress = options.maxConnectionsPerAddress;
    limits.idleTimeoutMs = options.idleTimeoutSeconds * 1000;
    limits.requestTimeoutMs = options.requestTimeoutSeconds * 1000;
    server->m_http->setLimits(limits);
    server->m_http->setWorkers(options.workers > 0 ? options.workers : std::max(1, QThread::idealThreadCount()));
    if (options.accessLog != QLatin1String("off")) {
        QString error;
        server->m_accessLog
            = http::AccessLog::open(options.accessLog, options.accessLogJson ? http::AccessLog::Format::Json : http::AccessLog::Format::Combined, &error);
        if (!server->m_accessLog)
            return Unexpected<QString>(QStringLiteral("--access-log: %1").arg(error));
        server->m_http->setAccessLog(server->m_accessLog.get());
    }
    if (options.tls) {
        if (auto secured = server->setUpTls(); !secured)
            return Unexpected<QString>(secured.error());
    }
    return server;
}

Expected<QUrl, QString> OrganizerServer::start()
{
    QString error;
    const quint16 port = m_http->listenOn(m_options.bindAddress, m_options.port, &error);
    if (port == 0)
        return Unexpected<QString>(error);
    // "localhost" is ::1 first for many clients (Node 18's fetch among them, which does not fall back):
    // a loopback server answers on both, so its canonical name works whichever is tried.
    const QHostAddress otherLoopback = m_options.bindAddress == QHostAddress(QHostAddress::LocalHost) ? QHostAddress(QHostAddress::LocalHostIPv6)
        : m_options.bindAddress == QHostAddress(QHostAddress::LocalHostIPv6)                          ? QHostAddress(QHostAddress::LocalHost)
                                                                                                      : QHostAddress();
    if (!otherLoopback.isNull() && !m_http->alsoListenOn(otherLoopback, &error))
        qCWarning(resource::lcAuth).noquote() << error << "- clients that resolve localhost to it first will not reach this server";
    // One canonical host (canonicalhost.h): a loopback listener is "localhost", the issuer too unless --public-url says otherwise.
    m_baseUrl = QUrl(QStringLiteral("http://%1:%2/").arg(canonicalHostFor(m_options.bindAddress)).arg(port));
    if (m_http->servesTls())
        m_baseUrl.setScheme(QStringLiteral("https"));
    m_publicUrl = m_options.publicUrl.isEmpty() ? m_baseUrl : m_options.publicUrl;

    if (auto *local = qobject_cast<resource::LocalIssuerKeys *>(m_issuerKeys)) {
        const QString issuer = m_publicUrl.toString();
        local->setIssuer(issuer);
        if (m_minter) {
            m_minter->setIssuer(issuer);
            m_userinfoVerifier->setAudience(m_minter->userinfoAudience());
            m_authorizationServer->bindIssuer(issuer);
            for (const QString &identifier : m_authorizationServer->tenant()->apisNamedLikeTheManagementApi())
                qCWarning(resource::lcAuth).noquote()
                    << "tenant: the API" << identifier
                    << "is named like a Management API; such identifiers are reserved, and the system API is used in its place"
                    << "wherever they meet. Delete it (DELETE /api/v2/resource-servers/ID) or give it another identifier in the tenant file.";
            m_managementVerifier->setAudience(m_authorizationServer->tenant()->managementAudience);
            // Instances sharing a database follow one another: revocations, tenant changes, rotated keys.
            // On PostgreSQL an instance announces each change (NOTIFY) and the others follow at once; the
            // poll stays, for what a lost listening connection missed and for SQLite, which has no NOTIFY.
            m_follow.setInterval(1000);
            connect(&m_follow, &QTimer::timeout, this, [this] {
                if (m_database->relisten())
                    m_store->writesAnnounced(); // what was announced while nobody listened is unknown
                m_store->setHearingWrites(m_database->listening());
                followOtherInstances();
            });
            m_follow.start();
            auto listening = m_database->listen(this, [this](const QString &what) {
                if (what == store::RecordStore::writeAnnouncement()) {
                    m_store->writesAnnounced();
                    return;
                }
                if (what == store::StoredSigningKeys::announcement()) {
                    reloadSigningKeys();
                    return;
                }
                // A burst of announcements (a family's revocation on several instances) is followed once.
                if (m_followSoon)
                    return;
                m_followSoon = true;
                QTimer::singleShot(0, this, [this] {
                    m_followSoon = false;
                    followOtherInstances();
                });
            });
            if (!listening)
                qCWarning(resource::lcAuth).noquote() << listening.error() << "- following other instances by polling each second instead";
            m_store->setHearingWrites(m_database->listening());
        }
        auto written = jose::writePrivateFile(issuerFilePath(m_options.dataDir), issuer.toUtf8() + '\n');
        if (!written)
            return Unexpected<QString>(written.error().description);
    } else if (auto *remote = qobject_cast<resource::RemoteIssuerKeys *>(m_issuerKeys)) {
        remote->start();
    }
    m_serving.store(true, std::memory_order_release);
    return m_baseUrl;
}

namespace {
Q_LOGGING_CATEGORY(lcTls, "organizer.server.tls")

// What tells a renewal of one's own certificate files apart (certbot's, say): their modification times and sizes.
QString stampOf(const QStringList &files)
{
    QStringList stamp;
    for (const QString &file : files) {
        const QFileInfo info(file);
        stamp << QStringLiteral("%1:%2").arg(info.lastModified().toMSecsSinceEpoch()).arg(info.size());
    }
    return stamp.join(QLatin1Char(' '));
}
} // namespace

Expected<Done, QString> OrganizerServer::setUpTls()
{
    // The names clients reach this server by; the port plays no part in a certificate.
    m_tlsNames = tls::serverNamesFor(m_options.publicUrl, m_options.bindAddress);
    if (auto served = renewTlsCertificate(); !served)
        return Unexpected<QString>(m_options.usesLocalCertificateAuthority() ? QStringLiteral("--tls: %1").arg(served.error())
                                                                             : QStringLiteral("--tls-cert: %1").arg(served.error()));
    const QString validity = QStringLiteral("valid until %1 for %2").arg(m_tlsContext->notAfter().toString(Qt::ISODate), m_tlsContext->subjectAltNames());
    if (m_options.usesLocalCertificateAuthority())
        qCInfo(lcTls).noquote() << QStringLiteral("serving HTTPS with a certificate from the local CA %1 %2; trust it: organizer-server ca")
                                       .arg(tls::LocalCertificateAuthority::certificatePathIn(m_options.dataDir), validity);
    else
        qCInfo(lcTls).noquote()
            << QStringLiteral("serving HTTPS with the certificate %1 %2; read again when it changes").arg(m_options.tlsCertificateFile, validity);
    // Hourly: the local CA's certificate is renewed ten days before its end, and a renewal of one's own files is served within the hour.
    m_tlsRenewal.setInterval(3600 * 1000);
    connect(&m_tlsRenewal, &QTimer::timeout, this, [this] {
        auto renewed = renewTlsCertificate();
        if (!renewed)
            qCWarning(lcTls).noquote() << QStringLiteral("keeping the current TLS certificate, valid until %1: %2")
                                              .arg(m_tlsContext->notAfter().toString(Qt::ISODate), renewed.error());
    });
    m_tlsRenewal.start();
    return Done{};
}

Expected<bool, QString> OrganizerServer::renewTlsCertificate()
{
    const bool local = m_options.usesLocalCertificateAuthority();
    QString served;
    QString because;
    QByteArray certificatePem;
    QByteArray privateKeyPem;
    if (local) {
        // Opened afresh each time: `organizer-server ca` or another server on this data directory may have changed the files.
        auto authority = tls::LocalCertificateAuthority::open(m_options.dataDir, m_clock);
        if (!authority)
            return Unexpected<QString>(authority.error());
        auto certificate = authority->serverCertificate(m_tlsNames);
        if (!certificate)
            return Unexpected<QString>(certificate.error());
        certificatePem = certificate->certificatePem;
        privateKeyPem = certificate->privateKeyPem;
        served = QString::fromLatin1(certificatePem);
        because = certificate->issuedBecause.isEmpty() ? QStringLiteral("another process issued it") : certificate->issuedBecause;
    } else {
        served = stampOf({m_options.tlsCertificateFile, m_options.tlsKeyFile});
        because = QStringLiteral("the files changed");
    }
    if (m_tlsContext && served == m_tlsServed)
        return false;
    auto context
        = local ? http::TlsContext::fromPem(certificatePem, privateKeyPem) : http::TlsContext::fromFiles(m_options.tlsCertificateFile, m_options.tlsKeyFile);
    if (!context)
        return Unexpected<QString>(context.error());
    const bool renewal = m_tlsContext != nullptr;
    m_tlsContext = std::move(context).value();
    m_tlsServed = served;
    m_http->setTlsContext(m_tlsContext);
    if (renewal)
        qCInfo(lcTls).noquote() << QStringLiteral("serving a new TLS certificate, valid until %1 for %2 (%3)")
                                       .arg(m_tlsContext->notAfter().toString(Qt::ISODate), m_tlsContext->subjectAltNames(), because);
    return true;
}

void OrganizerServer::followOtherInstances()
{
    m_authorizationServer->followSharedState();
    if (auto changed = m_management->catchUp(); !changed)
        qCWarning(resource::lcAuth).noquote() << "cannot follow the tenant's changes:" << changed.error();
    // Keys another instance or `keys rotate` made: one small query says whether there are any (SQLite has
    // no NOTIFY; on PostgreSQL this covers what a lost listening connection missed).
    reloadSigningKeys(true);
}

void OrganizerServer::reloadSigningKeys(bool onlyIfChanged)
{
    const QString before = m_signingKeys->activeKey().kid;
    auto changed = onlyIfChanged ? m_signingKeys->reloadIfChanged() : m_signingKeys->reload();
    if (!changed) {
        if (std::exchange(m_signingKeysError, changed.error()) != changed.error())
            qCWarning(resource::lcKeys).noquote() << "keeping the current signing keys:" << changed.error();
        return;
    }
    if (!m_signingKeysError.isEmpty()) {
        m_signingKeysError.clear();
        qCInfo(resource::lcKeys).noquote() << "the signing keys can be read again";
    }
    if (!changed.value())
        return;
    const std::shared_ptr<const store::StoredSigningKeys::Snapshot> keys = m_signingKeys->snapshot();
    if (auto *local = qobject_cast<resource::LocalIssuerKeys *>(m_issuerKeys))
        local->setKeys(keys->publicKeys);
    if (keys->keys.last().kid != before)
        qCInfo(resource::lcKeys).noquote() << "signing with key" << keys->keys.last().kid << "now;" << keys->keys.size() << "key(s) published";
}

QList<catalogue::ApiSpec> OrganizerServer::builtinApis() const
{
    return catalogue::organizerService().apis;
}

Expected<Done, QString> OrganizerServer::applyTenant(const authorization::Tenant &tenant)
{
    // The resource server serves the APIs of the tenant's API for its audience, and only the scopes
    // that API still defines open them.
    QList<catalogue::ApiSpec> apis = builtinApis();
    QSet<QString> defined;
    if (const authorization::Api *served = tenant.api(m_options.audience)) {
        apis += served->declaredApis;
        for (const authorization::ApiScope &scope : served->scopes)
            defined.insert(scope.value);
    }
    if (auto published = m_resourceServer->publish(apis, defined); !published)
        return published;
    // Browser applications call /oauth/token and /userinfo from their web origins and Allowed Origins (CORS),
    // each written as a browser sends it; an origin taken out is refused from the next request on.
    QStringList origins;
    for (const authorization::Client &client : tenant.clients) {
        authorization::Client asOrigins = client;
        asOrigins.webOrigins += client.allowedOrigins;
        origins += authorization::exactWebOrigins(asOrigins);
    }
    m_cors.setApplicationOrigins(origins);
    return Done{};
}

Expected<Done, QString> OrganizerServer::createAuthorizationServer()
{
    const QString tenantPath = m_options.tenantFile.isEmpty() ? authorization::defaultTenantPath() : m_options.tenantFile;
    QFile tenantFile(tenantPath);
    if (!tenantFile.open(QIODevice::ReadOnly))
        return Unexpected<QString>(QStringLiteral("tenant: cannot read %1: %2").arg(tenantPath, tenantFile.errorString()));
    const QByteArray tenantSource = tenantFile.read(4 * 1024 * 1024);
    const QString databasePath = m_database->displayName();
    m_tenantStore = std::make_unique<store::TenantStore>(m_database);
    const QByteArray sourceDigest = store::TenantStore::digestOf(tenantSource);
    auto stored = m_tenantStore->load(sourceDigest);
    if (!stored)
        return Unexpected<QString>(stored.error());
    // The Management API's changes win over the file they were made on.
    const QByteArray &tenantDocument = stored->has_value() ? (*stored)->document : tenantSource;
    auto tenant = authorization::parseTenant(tenantDocument, management::ManagementApi::definition());
    if (!tenant)
        return Unexpected<QString>(stored->has_value() ? QStringLiteral("the tenant stored in %1: %2").arg(databasePath, tenant.error())
                                                       : QStringLiteral("tenant %1: %2").arg(tenantPath, tenant.error()));
    if (stored->has_value())
        qCInfo(resource::lcAuth).noquote() << "tenant: the changes made through the Management API to" << tenantPath;
    // The demo users' passwords and the demo secret are public: never serve them beyond this machine by accident.
    if (tenant->hasDemoEntries() && !m_options.bindAddress.isLoopback() && !m_options.allowDemoTenant)
        return Unexpected<QString>(QStringLiteral("the tenant has demo users or secrets, whose passwords are public; bind to a loopback address, "
                                                  "use --config with your own tenant, or pass --allow-demo-tenant"));
    m_consents = std::make_unique<store::ConsentStore>(m_database);
    // A copy of the active key each time: the minter signs on other threads while a reload replaces the keys.
    m_minter = std::make_unique<authorization::TokenMinter>([this] { return m_signingKeys->activeKey(); }, m_clock);
    m_userinfoVerifier = std::make_unique<resource::AccessTokenVerifier>(
        m_issuerKeys, resource::AccessTokenVerifier::Settings{QString(), m_options.leewaySeconds, 1000}, m_clock);
    m_userinfoVerifier->setRevocations(&m_revocations);
    m_verifier->setRevocations(&m_revocations);
    if (auto applied = applyTenant(*tenant); !applied)
        return applied;
    m_authorizationServer = std::make_unique<authorization::AuthorizationServer>(
        std::move(tenant).value(), m_minter.get(), m_consents.get(), m_userinfoVerifier.get(), [this] { return m_signingKeys->publicKeys().toJson(); },
        m_database, &m_revocations, m_clock);
    m_authorizationServer->registerRoutes(m_router);

    m_managementVerifier = std::make_unique<resource::AccessTokenVerifier>(
        m_issuerKeys, resource::AccessTokenVerifier::Settings{QString(), m_options.leewaySeconds, 1000}, m_clock);
    m_managementVerifier->setRevocations(&m_revocations);
    m_management = std::make_unique<management::ManagementApi>(
        management::ManagementApi::Settings{m_options.audience, builtinApis(), sourceDigest, m_options.managementMaxWaitingHashes}, m_authorizationServer.get(),
        m_tenantStore.get(), m_managementVerifier.get(), [this](const authorization::Tenant &changed) { return applyTenant(changed); });
    m_management->setRevision(stored->has_value() ? (*stored)->revision : 0);
    m_management->registerRoutes(m_router);
    return Done{};
}

http::Response OrganizerServer::readiness() const
{
    m_readinessWatched.store(true, std::memory_order_relaxed);
    auto answer = [](int status, const QString &state, const QString &reason) {
        QJsonObject body{{QStringLiteral("status"), state}};
        if (!reason.isEmpty())
            body.insert(QStringLiteral("reason"), reason);
        http::Response response = http::Response::json(status, body);
        response.setHeader("cache-control", "no-store");
        return response;
    };
    if (m_draining.load())
        return answer(503, QStringLiteral("draining"), QStringLiteral("the server is shutting down"));
    // One trivial statement on this worker's own connection: an instance whose database is gone takes no work.
    // /readyz is as public as /healthz: the driver's message (host, user) goes to the log, once per outage.
    auto alive = m_database->execute(QStringLiteral("SELECT 1"), {}, QStringLiteral("readiness: the database does not answer"));
    if (!alive) {
        if (!m_databaseDown.exchange(true))
            qCWarning(resource::lcAuth).noquote() << alive.error();
        m_database->reviveIfLost();
        return answer(503, QStringLiteral("unavailable"), QStringLiteral("the database does not answer"));
    }
    if (m_databaseDown.exchange(false))
        qCInfo(resource::lcAuth).noquote() << "readiness: the database answers again";
    return answer(200, QStringLiteral("ready"), {});
}

void OrganizerServer::shutDownGracefully(std::function<void()> done)
{
    if (m_draining.exchange(true))
        return;
    const int drainMs = m_readinessWatched.load() ? m_options.drainSeconds * 1000 : 0;
    qCInfo(resource::lcAuth).noquote()
        << QStringLiteral("stopping: /readyz answers 503 from now on; serving on for %1 s before closing connections").arg(drainMs / 1000);
    QTimer::singleShot(drainMs, this, [this, done = std::move(done)] {
        m_http->stopAcceptingAndCloseAfterAnswers();
        const QDeadlineTimer deadline(qint64(m_options.shutdownTimeoutSeconds) * 1000);
        auto *poll = new QTimer(this);
        poll->setInterval(20);
        connect(poll, &QTimer::timeout, this, [this, poll, deadline, done] {
            const int open = m_http->openConnections();
            if (open > 0 && !deadline.hasExpired())
                return;
            poll->stop();
            poll->deleteLater();
            if (open > 0)
                qCWarning(resource::lcAuth).noquote() << open << "connection(s) still open after --shutdown-timeout; exiting anyway";
            done();
        });
        poll->start();
    });
}

http::Response OrganizerServer::health() const
{
    // A probe endpoint load balancers call constantly: each thread builds the answer once per issuer
    // (an --authority issuer becomes known only after discovery) and keeps its own copy, so the HTTP
    // workers share nothing they write.
    struct Cached
    {
        quint64 server = 0;
        quint64 issuerGeneration = 0;
        http::Response response;
    };
    thread_local Cached cached;
    const quint64 generation = m_issuerKeys->issuerGeneration() * 1'000'003 + m_resourceServer->generation(); // either may change it
    if (cached.server == m_instanceId && cached.issuerGeneration == generation)
        return cached.response;
    QJsonArray apis;
    for (const catalogue::ApiSpec &api : m_resourceServer->servedApis())
        apis.append(api.name);
    http::Response response = http::Response::json(200,
                                                   QJsonObject{
                                                       {QStringLiteral("status"), QStringLiteral("ok")},
                                                       {QStringLiteral("version"), QStringLiteral(ORGANIZER_VERSION)},
                                                       {QStringLiteral("apis"), apis},
                                                       {QStringLiteral("issuer"), m_issuerKeys->issuer()},
                                                   });
    response.setHeader("cache-control", "no-store");
    cached = Cached{m_instanceId, generation, response};
    return response;
}

void OrganizerServer::handle(const http::Request &request, http::Responder respond)
{
    if (!m_serving.load(std::memory_order_acquire)) {
        http::Response starting
            = oauth::jsonResponse(oauth::OAuthError::temporarilyUnavailable(QStringLiteral("the server is starting")), oauth::Caching::Unstated);
        starting.setHeader("retry-after", "1");
        respond(std::move(starting));
        return;
    }
    // CORS preflight is answered before authentication: browsers never send credentials with it.
    if (request.method == "OPTIONS") {
        const QByteArrayList allowed = m_router.allowedMethods(request);
        if (allowed.isEmpty()) {
            respond(m_router.noRoute(request));
            return;
        }
        respond(m_cors.preflight(request, allowed));
        return;
    }
    if (m_minter) {
        if (auto redirect = redirectToCanonicalHost(request, m_publicUrl)) {
            respond(std::move(*redirect));
            return;
        }
    }
    const bool isApi = request.path.startsWith(QLatin1String("/api/"));
    // Only the Origin is needed once the answer is ready: the closure does not carry the request.
    m_router.dispatch(request, [this, origin = request.header("origin"), isApi, respond = std::move(respond)](http::Response response) {
        m_cors.decorate(origin, response);
        if (isApi && response.header("cache-control").isEmpty()) // personal data: never cached by intermediaries
            response.headers.append(qMakePair(QByteArrayLiteral("cache-control"), QByteArrayLiteral("no-store")));
        respond(std::move(response));
    });
}

} // namespace organizer::server
