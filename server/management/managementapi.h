#pragma once

#include "authorizationserver.h"
#include "bearerguard.h"
#include "catalogue.h"
#include "managementjson.h"
#include "router.h"
#include "tenantstore.h"

#include <QLoggingCategory>
#include <QMutex>

namespace organizer::management {

Q_DECLARE_LOGGING_CATEGORY(lcManagement)

// Auth0's Management API (/api/v2/) over the bundled tenant, so Auth0's SDKs and documentation
// apply: resource servers, clients, client grants, users, roles and permissions. Each call needs a
// token for the audience {issuer}api/v2/ with the scope Auth0 asks for. Every change is checked as a
// whole tenant, stored, and applied at once: the authorization server issues by it and the resource
// server serves by it from the next request on. Calls run on the HTTP workers, one at a time: each
// reads the tenant, decides and commits as a whole, while logins and tokens go on beside it.
class ManagementApi
{
public:
    struct Settings
    {
        QString servedAudience; // the resource server this process hosts ("organize")
        QList<catalogue::ApiSpec> builtinApis; // the catalogue's APIs it serves
        QByteArray sourceDigest; // of the tenant file the stored changes apply to
    };
    // Applies a committed tenant beyond the authorization server (resource server, CORS); an error
    // undoes the change.
    using TenantChanged = std::function<Expected<Done, QString>(const authorization::Tenant &)>;

    ManagementApi(Settings settings, authorization::AuthorizationServer *authorization, store::TenantStore *store, resource::AccessTokenVerifier *verifier,
                  TenantChanged changed);

    void registerRoutes(http::Router &router);
    // Takes on the tenant another instance stored since (each Management API call does this first;
    // the server also polls). True when the tenant changed. `revision`: what the tenant in use came from.
    Expected<bool, QString> catchUp()
    {
        QMutexLocker lock(&m_calls);
        return followStore();
    }
    void setRevision(qint64 revision) { m_revision = revision; }
    // The APIs with records the served resource server has in `tenant`: the catalogue's and the declared ones.
    QList<catalogue::ApiSpec> servedApisOf(const authorization::Tenant &tenant) const;

private:
    using Operation = http::Response (ManagementApi::*)(const http::Request &);
    // `selfScope`: a current_user scope that also opens the route, for the token's own user only (the
    // path's {id} must be the token's sub), as Auth0 lets a user read themselves.
    void add(http::Router &router, const QByteArray &method, const QString &pattern, const QString &scope, Operation operation, const QString &selfScope = {});
    // The tenant this call works on: only a call holding m_calls replaces it, so it stays put meanwhile.
    const authorization::Tenant &tenant() const { return *m_tenant; }
    // catchUp() under m_calls.
    Expected<bool, QString> followStore();
    // Checks, stores and applies `next`; then answers with `answer()`, which sees the tenant as changed.
    http::Response commit(authorization::Tenant next, const QString &what, const std::function<http::Response()> &answer);

    enum class PermissionEdit { Add, Remove };
    // Adds or removes the body's {"permissions": […]} on what `heldBy` points at in the changed
    // tenant (a user's or a role's permissions); `who` names it in the log.
    http::Response editPermissions(const http::Request &request, PermissionEdit edit,
                                   const std::function<QHash<QString, QStringList> *(authorization::Tenant &)> &heldBy, const QString &who);

    // resourceservers.cpp
    QJsonObject resourceServerOf(const QString &identifier) const;
    QJsonObject resourceServerOf(const authorization::Api &api) const;
    http::Response listResourceServers(const http::Request &request);
    http::Response createResourceServer(const http::Request &request);
    http::Response getResourceServer(const http::Request &request);
    http::Response updateResourceServer(const http::Request &request);
    http::Response deleteResourceServer(const http::Request &request);
    // clients.cpp
    http::Response listClients(const http::Request &request);
    http::Response getClient(const http::Request &request);
    // clientgrants.cpp
    http::Response listClientGrants(const http::Request &request);
    http::Response createClientGrant(const http::Request &request);
    http::Response updateClientGrant(const http::Request &request);
    http::Response deleteClientGrant(const http::Request &request);
    // users.cpp
    http::Response listUsers(const http::Request &request);
    http::Response getUser(const http::Request &request);
    http::Response listUserPermissions(const http::Request &request);
    http::Response addUserPermissions(const http::Request &request);
    http::Response removeUserPermissions(const http::Request &request);
    http::Response listUserRoles(const http::Request &request);
    http::Response addUserRoles(const http::Request &request);
    http::Response removeUserRoles(const http::Request &request);
    // roles.cpp
    http::Response listRoles(const http::Request &request);
    http::Response createRole(const http::Request &request);
    http::Response getRole(const http::Request &request);
    http::Response updateRole(const http::Request &request);
    http::Response deleteRole(const http::Request &request);
    http::Response listRolePermissions(const http::Request &request);
    http::Response addRolePermissions(const http::Request &request);
    http::Response removeRolePermissions(const http::Request &request);

    Settings m_settings;
    authorization::AuthorizationServer *m_authorization;
    store::TenantStore *m_store;
    resource::AccessTokenVerifier *m_verifier;
    resource::BearerGuard m_guard;
    TenantChanged m_changed;
    QMutex m_calls; // one call (or catch-up) at a time: read, check, store and apply the tenant as a whole
    authorization::AuthorizationServer::TenantSnapshot m_tenant; // what tenant() reads; refreshed under m_calls
    qint64 m_revision = 0; // of the stored tenant in use; 0: the file's, nothing stored
};

// Applies RBAC's bookkeeping after an API lost scopes or went: grants, users' and roles'
// permissions no longer name what does not exist.
void dropUndefinedPermissions(authorization::Tenant &tenant);

} // namespace organizer::management
