#pragma once

#include "bearerguard.h"
#include "managementcontext.h"
#include "passwordhash.h"
#include "router.h"

#include <memory>

namespace organizer::management {

// Auth0's Management API (/api/v2/) over the bundled tenant, so Auth0's SDKs and documentation
// apply: resource servers, clients, client grants, users, roles and permissions, each a unit of its own
// (resourceservers.h, clients.h, clientgrants.h, users.h, roles.h) over one ManagementContext. Each
// call needs a token for the audience {issuer}api/v2/ with the scope its row of the route table names;
// the table is also where the Management API's scopes come from. Every change is checked as a whole
// tenant, stored, and applied at once: the authorization server issues by it and the resource server
// serves by it from the next request on. Calls run one at a time: on the HTTP worker that read them, or,
// when they store a password or a secret, on a hashing thread once its KDF hash is made there (at most
// Settings::maxWaitingHashes such calls wait; more are answered 429 at once).
class ManagementApi
{
public:
    using Settings = ManagementContext::Settings;
    using TenantChanged = ManagementContext::TenantChanged;

    ManagementApi(Settings settings, authorization::AuthorizationServer *authorization, store::TenantStore *store, resource::AccessTokenVerifier *verifier,
                  TenantChanged changed);
    ~ManagementApi();

    // The resource units a route's operation is called on.
    struct Resources;
    // One row of the route table: the request, the scope a token needs for it and, when set, a
    // current_user scope that also opens it for the token's own user only (the path's {id} must be the
    // token's sub), as Auth0 lets a user read themselves.
    struct Route
    {
        QByteArray method;
        QString pattern;
        QString scope;
        QString selfScope;
        std::function<http::Response(Resources &, const http::Request &)> operation;
        // The secrets the operation will store as KDF hashes, foreseen from the request (and the caller's
        // scopes) on the tenant as it is: hashed before the call takes calls(), off the HTTP worker.
        std::function<ManagementContext::SecretsToHash(const authorization::Tenant &, const http::Request &, const QStringList &)> secrets = {};
    };
    // The table, in the order the routes are registered.
    static const QList<Route> &routes();
    // The scopes the table asks for, each once, in table order, and the current_user ones among them.
    static QStringList scopes();
    static QStringList currentUserScopes();
    // The system Management API as the table defines it: what reading a tenant needs
    // (authorization::parseTenant()), as every tenant has this API and grants may name its scopes.
    static authorization::ManagementApiDefinition definition();

    void registerRoutes(http::Router &router);
    // Takes on the tenant another instance stored since (each Management API call does this first;
    // the server also polls). True when the tenant changed.
    Expected<bool, QString> catchUp();
    // What the tenant in use came from: 0 for the file's, nothing stored.
    void setRevision(qint64 revision) { m_context.setRevision(revision); }
    // The APIs with records the served resource server has in `tenant`: the catalogue's and the declared ones.
    QList<catalogue::ApiSpec> servedApisOf(const authorization::Tenant &tenant) const { return m_context.servedApisOf(tenant); }

private:
    http::Handler handlerFor(const Route &route);
    // Runs `route`'s operation under calls(), on the tenant as stored, with what was hashed for it.
    http::Response run(const Route &route, const http::Request &request, const QStringList &scopes, ManagementContext::PreparedSecrets prepared);

    ManagementContext m_context;
    std::unique_ptr<Resources> m_resources;
    resource::AccessTokenVerifier *m_verifier;
    resource::BearerGuard m_guard;
    // Last, so it goes first: its jobs run operations on everything above.
    authorization::BackgroundSecretHashing m_hashing;
};

} // namespace organizer::management
