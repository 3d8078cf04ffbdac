#pragma once

#include <QHash>

#include "accesstokenverifier.h"
#include "bearerguard.h"
#include "collectionapi.h"
#include "router.h"

#include <QLoggingCategory>
#include <QMutex>
#include <QReadWriteLock>
#include <QSet>

#include <atomic>
#include <memory>

namespace organizer::resource {

Q_DECLARE_LOGGING_CATEGORY(lcAuth)

// "Organizer Service": one resource server standing for every API of the catalogue. Each API is
// served at /api/<collection> (and its aliases), each action guarded by its own scope, read from the
// token's space-separated `scope` claim. The APIs and the scopes the tenant still defines can change
// while requests run (the Management API publishes them); each request sees one consistent set.
class ResourceServer
{
public:
    struct Settings
    {
        QString realm = QStringLiteral("organize");
        QStringList apiNames; // the APIs this process serves; empty: every one published
        QHash<QString, QString> scopeOverrides; // "GET /api/contacts/{id}" → scope (testing the QA grid)
    };

    ResourceServer(Settings settings, AccessTokenVerifier *verifier, store::RecordStore *store);

    // The catalogue's APIs at their paths (register these first: they are the hot path), then, after
    // every other /api/ route (the Management API's /api/v2/…), the routes of APIs declared later.
    void registerRoutes(http::Router &router, const QList<catalogue::ApiSpec> &builtinApis);
    void registerDeclaredApiRoutes(http::Router &router);

    // Serves `apis` from now on (their tables are created first). `definedScopes`: the scopes the
    // tenant's API still has; a scope missing from it opens no route, whatever a token says. nullopt
    // when an external issuer decides which scopes exist.
    Expected<Done, QString> publish(const QList<catalogue::ApiSpec> &apis, std::optional<QSet<QString>> definedScopes);
    QList<catalogue::ApiSpec> servedApis() const;
    quint64 generation() const { return m_generation.load(std::memory_order_acquire); } // moves with every publish()

private:
    struct Served
    {
        QList<std::shared_ptr<const CollectionApi>> apis;
        std::optional<QSet<QString>> definedScopes;
        const CollectionApi *apiServedAt(const QString &segment) const;
    };
    using Operation = http::Response (CollectionApi::*)(const http::Request &) const;
    // `fixedSegment`: the route's API segment when it is literal; empty: the {api} path parameter.
    http::Handler serve(catalogue::Action action, Operation operation, bool item, const QString &fixedSegment);
    http::Response decide(const http::Request &request, const BearerGuard::Outcome &outcome, const Served &served, const CollectionApi &api,
                          const QString &scope, Operation operation) const;
    QString scopeFor(const QByteArray &method, const QString &route, const QString &scope) const;
    // This thread's copy of what is published, renewed when a publication happened since.
    const std::shared_ptr<const Served> &current() const;

    Settings m_settings;
    AccessTokenVerifier *m_verifier;
    BearerGuard m_guard;
    store::RecordStore *m_store;
    mutable QMutex m_publishMutex;
    std::shared_ptr<const Served> m_served; // under m_publishMutex
    std::atomic<quint64> m_generation{0};
    const quint64 m_id; // names this server in the threads' caches
};

// Cross-origin access for browser clients (the tutorial's SPA on http://localhost:3000): preflights are
// answered before authentication, and responses to allowed origins carry the CORS headers.
class CorsPolicy
{
public:
    explicit CorsPolicy(QStringList allowedOrigins) : m_configured(std::move(allowedOrigins)), m_allowedOrigins(m_configured) {}
    // The tenant's applications' origins, in place of the ones they had: an origin no application lists any
    // more is refused from the next request on; the configured ones stay. The Management API sets them on
    // one worker while the others answer requests.
    void setApplicationOrigins(const QStringList &origins)
    {
        QWriteLocker lock(&m_lock);
        m_allowedOrigins = m_configured + origins;
        m_allowedOrigins.removeDuplicates();
    }

    bool isAllowed(const QByteArray &origin) const;
    http::Response preflight(const http::Request &request, const QByteArrayList &allowedMethods) const;
    void decorate(const QByteArray &origin, http::Response &response) const; // origin: the request's Origin header

private:
    mutable QReadWriteLock m_lock;
    const QStringList m_configured;
    QStringList m_allowedOrigins;
};

} // namespace organizer::resource
