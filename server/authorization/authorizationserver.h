#pragma once

#include "authorizationcontext.h"
#include "router.h"

#include <QTimer>

#include <memory>

namespace organizer::authorization {

// The bundled, Auth0-compatible authorization server: /authorize with hosted login and consent pages,
// /oauth/token, /oauth/revoke, /userinfo, logout and discovery. It owns the context its endpoints share
// (authorizationcontext.h) and the endpoints, one unit each, and puts them in the router from one
// ordered table. Everything kept between requests is in the server's database, so instances sharing
// one can each take any step of any login, and every route runs on whichever HTTP worker read its
// request, on its own database connection and its own snapshot of the tenant.
class AuthorizationServer
{
public:
    using TenantSnapshot = authorization::TenantSnapshot;

    // `revocations`: this process's list of access tokens withdrawn before their expiry (the APIs read
    // it); `database`: where the state and the list every instance follows are kept.
    AuthorizationServer(Tenant tenant, TokenMinter *minter, store::ConsentStore *consents, resource::AccessTokenVerifier *userinfoVerifier,
                        std::function<QByteArray()> publishedKeys, std::shared_ptr<store::Database> database, resource::TokenRevocations *revocations,
                        Clock clock = systemClock());
    ~AuthorizationServer();

    // One row of the route table: which endpoint answers which request, and on which thread.
    struct Route
    {
        QByteArray method;
        QString path;
        http::Handler handler;
        http::Router::Affinity affinity = http::Router::Affinity::AnyThread;
    };
    // The table, in the order the routes are registered.
    const QList<Route> &routes() const { return m_routes; }
    void registerRoutes(http::Router &router);

    TenantSnapshot tenant() const { return m_context.tenant(); }
    // The Management API's changes, live: requests already under way finish on the snapshot they took.
    void replaceTenant(Tenant tenant) { m_context.replaceTenant(std::move(tenant)); }
    void bindIssuer(const QString &issuer) { m_context.bindIssuer(issuer); }
    // Takes on what other instances on the same database did that this one caches (revocations).
    void followSharedState() { m_context.followSharedState(); }

private:
    struct Endpoints;
    QList<Route> routeTable();

    AuthorizationContext m_context;
    std::unique_ptr<Endpoints> m_endpoints;
    QList<Route> m_routes;
    QTimer m_sweeper; // expired transactions, sessions and codes go even when no request comes
};

} // namespace organizer::authorization
