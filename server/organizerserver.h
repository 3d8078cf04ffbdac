#pragma once

#include "authorizationserver.h"
#include "clock.h"
#include "managementapi.h"
#include "accesstokenverifier.h"
#include "consentstore.h"
#include "tokenrevocations.h"
#include "httpserver.h"
#include "recordstore.h"
#include "resourceserver.h"
#include "router.h"
#include "serveroptions.h"
#include "storedsigningkeys.h"
#include "tlscontext.h"

#include <QDateTime>
#include <QMutex>
#include <QObject>
#include <QTimer>

#include <atomic>
#include <memory>

namespace organizer::server {

// Where the server reads the time: the system's clocks in production; tests pass ones they move
// forward instead of waiting.
struct ServerClocks
{
    // Seconds since the epoch, what every lifetime is measured against: tokens, sessions, codes,
    // refresh tokens, login throttles, revocations, the sweeps.
    Clock wall = systemClock();
    // Milliseconds, monotonic: the cooldowns between refreshes of the issuer's keys.
    resource::MonotonicClock monotonic = resource::steadyClock();
};

// organizer-server assembled: store, keys, the trusted issuer, the resource server's routes, the
// bundled issuer's public endpoints, and the HTTP listener.
class OrganizerServer : public QObject
{
    Q_OBJECT

public:
    ~OrganizerServer() override;

    static Expected<std::unique_ptr<OrganizerServer>, QString> create(const ServerOptions &options, ServerClocks clocks = {});

    // Listens and returns the URL it listens on. The bundled issuer is publicUrl(): --public-url, or
    // that same URL.
    Expected<QUrl, QString> start();
    int workers() const { return m_http->workers(); }
    int maxConnections() const { return m_http->limits().maxConnections; }

    QUrl baseUrl() const { return m_baseUrl; }
    QUrl publicUrl() const { return m_publicUrl; }
    const store::Database &database() const { return *m_database; }
    const ServerOptions &options() const { return m_options; }

    // HTTPS (--tls, --tls-cert): when the certificate served now ends.
    QDateTime tlsCertificateNotAfter() const { return m_tlsContext ? m_tlsContext->notAfter() : QDateTime(); }
    // What the hourly renewal does: the local CA's certificate reissued when it nears its end or lacks a
    // name, one's own files read again when they changed; a new certificate is served to new
    // connections. True when it changed; an error leaves the current one in place.
    Expected<bool, QString> renewTlsCertificate();

    // The full pipeline (CORS, routing, guards) without a socket: used by the HTTP adapter and tests.
    void handle(const http::Request &request, http::Responder respond);

    // A graceful stop, as load balancers and orchestrators expect (SIGTERM): /readyz answers 503 at once
    // while everything is still served for --drain-seconds (when something watches /readyz), then no
    // connection is accepted, idle ones close and busy ones close after their answers; `done` is called
    // when none is left or --shutdown-timeout has passed.
    void shutDownGracefully(std::function<void()> done);

private:
    OrganizerServer(ServerOptions options, Clock clock);
    Expected<Done, QString> createAuthorizationServer();
    QList<catalogue::ApiSpec> builtinApis() const;
    // What a tenant (at start, or as the Management API changed it) means beyond the authorization
    // server: which APIs and scopes the resource server serves, which origins CORS lets in.
    Expected<Done, QString> applyTenant(const authorization::Tenant &tenant);
    // The signing keys as the database holds them now (another instance or `keys rotate` may have made
    // one); `onlyIfChanged`: one small query first, the keys themselves only when they changed.
    void reloadSigningKeys(bool onlyIfChanged = false);
    // What other instances on the same database changed: revocations, the tenant, the signing keys.
    void followOtherInstances();
    http::Response health() const;
    Expected<Done, QString> setUpTls();
    // GET /readyz: 200 while this instance takes work; 503 once draining or while its database does not answer.
    http::Response readiness() const;
    mutable std::atomic<bool> m_readinessWatched{false};
    mutable std::atomic<bool> m_databaseDown{false}; // as /readyz last found it, so an outage is logged once
    std::atomic<bool> m_draining{false};
    // Set once start() has bound the issuer (the minter's, the verifiers' audiences, the tenant's
    // Management audience): the workers take requests as soon as the port is open, and every route may
    // run on them, so until then they answer 503 instead of reading what start() is still writing.
    std::atomic<bool> m_serving{false};
    bool m_followSoon = false; // a change another instance announced is about to be followed

    ServerOptions m_options;
    const Clock m_clock;
    std::shared_ptr<store::Database> m_database;
    std::unique_ptr<store::RecordStore> m_store;
    std::unique_ptr<store::StoredSigningKeys> m_signingKeys;
    QString m_signingKeysError; // the last reload's failure, logged once until it changes
    resource::IssuerKeys *m_issuerKeys = nullptr;
    resource::TokenRevocations m_revocations; // filled by the bundled authorization server, read by the APIs
    std::unique_ptr<resource::AccessTokenVerifier> m_verifier;
    std::unique_ptr<resource::ResourceServer> m_resourceServer;
    std::unique_ptr<store::ConsentStore> m_consents;
    std::unique_ptr<authorization::TokenMinter> m_minter;
    std::unique_ptr<resource::AccessTokenVerifier> m_userinfoVerifier;
    std::unique_ptr<authorization::AuthorizationServer> m_authorizationServer;
    std::unique_ptr<store::TenantStore> m_tenantStore;
    std::unique_ptr<resource::AccessTokenVerifier> m_managementVerifier;
    std::unique_ptr<management::ManagementApi> m_management;
    resource::CorsPolicy m_cors;
    http::Router m_router;
    std::unique_ptr<http::AccessLog> m_accessLog; // outlives m_http, which writes to it
    http::Server *m_http = nullptr;
    QTimer m_follow;
    std::shared_ptr<const http::TlsContext> m_tlsContext; // what new connections get
    QString m_tlsServed; // the local CA's certificate served, or the modification times and sizes of one's own files
    QStringList m_tlsNames; // what the local CA's certificate must name
    QTimer m_tlsRenewal;
    QUrl m_baseUrl;
    QUrl m_publicUrl;
    const quint64 m_instanceId; // names this server in per-thread caches
};

// The file in the data directory where a running server records its issuer URL, so that
// `organizer-server token` mints tokens that server accepts.
QString issuerFilePath(const QString &dataDir);

} // namespace organizer::server
