#include "managementapi.h"

#include "clientgrants.h"
#include "clients.h"
#include "oautherror.h"
#include "resourceservers.h"
#include "roles.h"
#include "users.h"

namespace organizer::management {

struct ManagementApi::Resources
{
    explicit Resources(ManagementContext &context) : resourceServers(context), clients(context), clientGrants(context), users(context), roles(context) {}

    ResourceServers resourceServers;
    Clients clients;
    ClientGrants clientGrants;
    Users users;
    Roles roles;
};

namespace {

// A unit's method as a route's operation.
template <typename Unit>
std::function<http::Response(ManagementApi::Resources &, const http::Request &)> on(Unit ManagementApi::Resources::*unit,
                                                                                    http::Response (Unit::*method)(const http::Request &))
{
    return [unit, method](ManagementApi::Resources &resources, const http::Request &request) { return ((resources.*unit).*method)(request); };
}

} // namespace

const QList<ManagementApi::Route> &ManagementApi::routes()
{
    using R = Resources;
    // Auth0's current_user family, as far as this server can honour it: it keeps no user metadata,
    // identities or device credentials, so a user's own token may only read the user.
    static const QString readCurrentUser = QStringLiteral("read:current_user");
    static const QList<Route> table{
        {"GET", QStringLiteral("/api/v2/resource-servers"), QStringLiteral("read:resource_servers"), {}, on(&R::resourceServers, &ResourceServers::list)},
        {"POST", QStringLiteral("/api/v2/resource-servers"), QStringLiteral("create:resource_servers"), {}, on(&R::resourceServers, &ResourceServers::create)},
        {"GET", QStringLiteral("/api/v2/resource-servers/{id}"), QStringLiteral("read:resource_servers"), {}, on(&R::resourceServers, &ResourceServers::get)},
        {"PATCH",
         QStringLiteral("/api/v2/resource-servers/{id}"),
         QStringLiteral("update:resource_servers"),
         {},
         on(&R::resourceServers, &ResourceServers::update)},
        {"DELETE",
         QStringLiteral("/api/v2/resource-servers/{id}"),
         QStringLiteral("delete:resource_servers"),
         {},
         on(&R::resourceServers, &ResourceServers::remove)},
        {"GET", QStringLiteral("/api/v2/clients"), QStringLiteral("read:clients"), {}, on(&R::clients, &Clients::list)},
        {"POST", QStringLiteral("/api/v2/clients"), QStringLiteral("create:clients"), {}, on(&R::clients, &Clients::create), &Clients::secretsToCreate},
        {"GET", QStringLiteral("/api/v2/clients/{id}"), QStringLiteral("read:clients"), {}, on(&R::clients, &Clients::get)},
        {"PATCH", QStringLiteral("/api/v2/clients/{id}"), QStringLiteral("update:clients"), {}, on(&R::clients, &Clients::update), &Clients::secretsToUpdate},
        {"DELETE", QStringLiteral("/api/v2/clients/{id}"), QStringLiteral("delete:clients"), {}, on(&R::clients, &Clients::remove)},
        // Auth0 asks update:client_keys of whoever rotates a secret, as of whoever sets one.
        {"POST",
         QStringLiteral("/api/v2/clients/{id}/rotate-secret"),
         QStringLiteral("update:client_keys"),
         {},
         on(&R::clients, &Clients::rotateSecret),
         &Clients::secretsToRotate},
        {"GET", QStringLiteral("/api/v2/client-grants"), QStringLiteral("read:client_grants"), {}, on(&R::clientGrants, &ClientGrants::list)},
        {"POST", QStringLiteral("/api/v2/client-grants"), QStringLiteral("create:client_grants"), {}, on(&R::clientGrants, &ClientGrants::create)},
        {"PATCH", QStringLiteral("/api/v2/client-grants/{id}"), QStringLiteral("update:client_grants"), {}, on(&R::clientGrants, &ClientGrants::update)},
        {"DELETE", QStringLiteral("/api/v2/client-grants/{id}"), QStringLiteral("delete:client_grants"), {}, on(&R::clientGrants, &ClientGrants::remove)},
        {"GET", QStringLiteral("/api/v2/users"), QStringLiteral("read:users"), {}, on(&R::users, &Users::list)},
        {"GET", QStringLiteral("/api/v2/users-by-email"), QStringLiteral("read:users"), {}, on(&R::users, &Users::listByEmail)},
        {"POST", QStringLiteral("/api/v2/users"), QStringLiteral("create:users"), {}, on(&R::users, &Users::create), &Users::secretsToCreate},
        {"GET", QStringLiteral("/api/v2/users/{id}"), QStringLiteral("read:users"), readCurrentUser, on(&R::users, &Users::get)},
        {"PATCH", QStringLiteral("/api/v2/users/{id}"), QStringLiteral("update:users"), {}, on(&R::users, &Users::update), &Users::secretsToUpdate},
        {"DELETE", QStringLiteral("/api/v2/users/{id}"), QStringLiteral("delete:users"), {}, on(&R::users, &Users::remove)},
        {"GET", QStringLiteral("/api/v2/users/{id}/permissions"), QStringLiteral("read:users"), {}, on(&R::users, &Users::listPermissions)},
        {"POST", QStringLiteral("/api/v2/users/{id}/permissions"), QStringLiteral("update:users"), {}, on(&R::users, &Users::addPermissions)},
        {"DELETE", QStringLiteral("/api/v2/users/{id}/permissions"), QStringLiteral("update:users"), {}, on(&R::users, &Users::removePermissions)},
        {"GET", QStringLiteral("/api/v2/users/{id}/roles"), QStringLiteral("read:users"), {}, on(&R::users, &Users::listRoles)},
        {"POST", QStringLiteral("/api/v2/users/{id}/roles"), QStringLiteral("update:users"), {}, on(&R::users, &Users::addRoles)},
        {"DELETE", QStringLiteral("/api/v2/users/{id}/roles"), QStringLiteral("update:users"), {}, on(&R::users, &Users::removeRoles)},
        {"GET", QStringLiteral("/api/v2/roles"), QStringLiteral("read:roles"), {}, on(&R::roles, &Roles::list)},
        {"POST", QStringLiteral("/api/v2/roles"), QStringLiteral("create:roles"), {}, on(&R::roles, &Roles::create)},
        {"GET", QStringLiteral("/api/v2/roles/{id}"), QStringLiteral("read:roles"), {}, on(&R::roles, &Roles::get)},
        {"PATCH", QStringLiteral("/api/v2/roles/{id}"), QStringLiteral("update:roles"), {}, on(&R::roles, &Roles::update)},
        {"DELETE", QStringLiteral("/api/v2/roles/{id}"), QStringLiteral("delete:roles"), {}, on(&R::roles, &Roles::remove)},
        {"GET", QStringLiteral("/api/v2/roles/{id}/permissions"), QStringLiteral("read:roles"), {}, on(&R::roles, &Roles::listPermissions)},
        {"POST", QStringLiteral("/api/v2/roles/{id}/permissions"), QStringLiteral("update:roles"), {}, on(&R::roles, &Roles::addPermissions)},
        {"DELETE", QStringLiteral("/api/v2/roles/{id}/permissions"), QStringLiteral("update:roles"), {}, on(&R::roles, &Roles::removePermissions)},
        // Auth0 asks read:users as well (Roles::listUsers checks it) and, to assign, create:role_members.
        {"GET", QStringLiteral("/api/v2/roles/{id}/users"), QStringLiteral("read:roles"), {}, on(&R::roles, &Roles::listUsers)},
        {"POST", QStringLiteral("/api/v2/roles/{id}/users"), QStringLiteral("create:role_members"), {}, on(&R::roles, &Roles::addUsers)},
    };
    return table;
}

QStringList ManagementApi::scopes()
{
    QStringList scopes;
    for (const Route &route : routes()) {
        if (!scopes.contains(route.scope))
            scopes.append(route.scope);
    }
    return scopes;
}

QStringList ManagementApi::currentUserScopes()
{
    QStringList scopes;
    for (const Route &route : routes()) {
        if (!route.selfScope.isEmpty() && !scopes.contains(route.selfScope))
            scopes.append(route.selfScope);
    }
    return scopes;
}

authorization::ManagementApiDefinition ManagementApi::definition()
{
    return {scopes(), currentUserScopes()};
}

ManagementApi::ManagementApi(Settings settings, authorization::AuthorizationServer *authorization, store::TenantStore *store,
                             resource::AccessTokenVerifier *verifier, TenantChanged changed)
    : m_context(std::move(settings), authorization, store, std::move(changed)), m_resources(std::make_unique<Resources>(m_context)), m_verifier(verifier),
      m_guard(verifier), m_hashing(m_context.settings().maxWaitingHashes)
{}

ManagementApi::~ManagementApi() = default;

void ManagementApi::registerRoutes(http::Router &router)
{
    for (const Route &route : routes())
        router.add(route.method, route.pattern, handlerFor(route), http::Router::Affinity::AnyThread);
}

Expected<bool, QString> ManagementApi::catchUp()
{
    QMutexLocker lock(&m_context.calls());
    return m_context.followStore();
}

http::Handler ManagementApi::handlerFor(const Route &route)
{
    const Route *row = &route; // the table lives as long as the program
    return [this, row](const http::Request &request, http::Responder respond) {
        m_guard.authenticate(request, [this, row, respond](const http::Request &call, const resource::BearerGuard::Outcome &outcome) {
            if (!outcome) {
                const oauth::OAuthError &rejection = outcome.error();
                // Auth0's words for the same rejection; the challenge keeps RFC 6750's.
                oauth::OAuthError answer = rejection;
                if (rejection.code == oauth::ErrorCode::Unauthorized)
                    answer.description = QStringLiteral("Missing authentication");
                else if (rejection.code == oauth::ErrorCode::InvalidToken)
                    answer.description = QStringLiteral("Invalid token: %1").arg(rejection.description);
                http::Response response = oauth::managementResponse(answer);
                response.setHeader("www-authenticate", oauth::challenge(m_verifier->settings().audience, rejection));
                respond(response);
                return;
            }
            const QString &scope = row->scope;
            const QString &selfScope = row->selfScope;
            const bool onSelf = !selfScope.isEmpty() && outcome->hasScope(selfScope) && call.pathParameters.value(QStringLiteral("id")) == outcome->subject()
                && !outcome->subject().endsWith(QLatin1String("@clients"));
            if (!outcome->hasScope(scope) && !onSelf) {
                qCInfo(lcManagement).noquote() << call.method << call.path.left(200) << "sub" << outcome->subject().left(128) << "lacks" << scope;
                const QString expected = selfScope.isEmpty() ? scope : scope + QStringLiteral(", ") + selfScope + QStringLiteral(" (for the token's own user)");
                respond(oauth::managementResponse(
                    {oauth::ErrorCode::InsufficientScope, QStringLiteral("Insufficient scope, expected any of: %1").arg(expected), 403}));
                return;
            }
            if (row->secrets) {
                const authorization::TenantSnapshot now = m_context.latestTenant();
                ManagementContext::SecretsToHash wanted = row->secrets(*now, call, outcome->scopes());
                if (!wanted.isEmpty()) {
                    // The KDF runs on a hashing thread, and the call with it: this worker goes on with its
                    // other connections, and other Management calls are not kept waiting behind the hash.
                    QStringList secrets = wanted.given + wanted.generated;
                    const bool queued = m_hashing.submit(
                        std::move(secrets), [this, row, call, scopes = outcome->scopes(), generated = wanted.generated, respond](auto hashes) {
                            if (!hashes) {
                                respond(oauth::managementResponse(
                                    {oauth::ErrorCode::TemporarilyUnavailable, QStringLiteral("The server is shutting down; retry"), 503}));
                                return;
                            }
                            respond(run(*row, call, scopes, {generated, std::move(*hashes)}));
                        });
                    if (!queued) {
                        qCInfo(lcManagement).noquote() << call.method << call.path.left(200) << "refused: too many calls wait for a password hash";
                        http::Response busy
                            = oauth::managementResponse({oauth::ErrorCode::TooManyRequests,
                                                         QStringLiteral("Too many requests that set a password or secret are waiting; retry shortly"), 429});
                        busy.setHeader("retry-after", "1");
                        respond(std::move(busy));
                    }
                    return;
                }
            }
            respond(run(*row, call, outcome->scopes(), {}));
        });
    };
}

http::Response ManagementApi::run(const Route &route, const http::Request &request, const QStringList &scopes, ManagementContext::PreparedSecrets prepared)
{
    QMutexLocker lock(&m_context.calls());
    if (auto current = m_context.followStore(); !current) {
        qCCritical(lcManagement).noquote() << current.error();
        return oauth::managementResponse(
            {oauth::ErrorCode::TemporarilyUnavailable, QStringLiteral("The tenant store cannot be read; see the server log"), 503});
    }
    m_context.setCallerScopes(scopes);
    m_context.setPreparedSecrets(std::move(prepared));
    http::Response response = route.operation(*m_resources, request);
    m_context.setPreparedSecrets({});
    m_context.setCallerScopes({});
    return response;
}

} // namespace organizer::management
