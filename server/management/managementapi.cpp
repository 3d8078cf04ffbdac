#include "managementapi.h"

#include "oautherror.h"
#include "tenantfile.h"

namespace organizer::management {

Q_LOGGING_CATEGORY(lcManagement, "organizer.server.management")

ManagementApi::ManagementApi(Settings settings, authorization::AuthorizationServer *authorization, store::TenantStore *store,
                             resource::AccessTokenVerifier *verifier, TenantChanged changed)
    : m_settings(std::move(settings)), m_authorization(authorization), m_store(store), m_verifier(verifier), m_guard(verifier), m_changed(std::move(changed))
{}

void ManagementApi::registerRoutes(http::Router &router)
{
    const QString base = QStringLiteral("/api/v2/");
    add(router, "GET", base + QStringLiteral("resource-servers"), QStringLiteral("read:resource_servers"), &ManagementApi::listResourceServers);
    add(router, "POST", base + QStringLiteral("resource-servers"), QStringLiteral("create:resource_servers"), &ManagementApi::createResourceServer);
    add(router, "GET", base + QStringLiteral("resource-servers/{id}"), QStringLiteral("read:resource_servers"), &ManagementApi::getResourceServer);
    add(router, "PATCH", base + QStringLiteral("resource-servers/{id}"), QStringLiteral("update:resource_servers"), &ManagementApi::updateResourceServer);
    add(router, "DELETE", base + QStringLiteral("resource-servers/{id}"), QStringLiteral("delete:resource_servers"), &ManagementApi::deleteResourceServer);
    add(router, "GET", base + QStringLiteral("clients"), QStringLiteral("read:clients"), &ManagementApi::listClients);
    add(router, "GET", base + QStringLiteral("clients/{id}"), QStringLiteral("read:clients"), &ManagementApi::getClient);
    add(router, "GET", base + QStringLiteral("client-grants"), QStringLiteral("read:client_grants"), &ManagementApi::listClientGrants);
    add(router, "POST", base + QStringLiteral("client-grants"), QStringLiteral("create:client_grants"), &ManagementApi::createClientGrant);
    add(router, "PATCH", base + QStringLiteral("client-grants/{id}"), QStringLiteral("update:client_grants"), &ManagementApi::updateClientGrant);
    add(router, "DELETE", base + QStringLiteral("client-grants/{id}"), QStringLiteral("delete:client_grants"), &ManagementApi::deleteClientGrant);
    add(router, "GET", base + QStringLiteral("users"), QStringLiteral("read:users"), &ManagementApi::listUsers);
    add(router, "GET", base + QStringLiteral("users/{id}"), QStringLiteral("read:users"), &ManagementApi::getUser, QStringLiteral("read:current_user"));
    add(router, "GET", base + QStringLiteral("users/{id}/permissions"), QStringLiteral("read:users"), &ManagementApi::listUserPermissions);
    add(router, "POST", base + QStringLiteral("users/{id}/permissions"), QStringLiteral("update:users"), &ManagementApi::addUserPermissions);
    add(router, "DELETE", base + QStringLiteral("users/{id}/permissions"), QStringLiteral("update:users"), &ManagementApi::removeUserPermissions);
    add(router, "GET", base + QStringLiteral("users/{id}/roles"), QStringLiteral("read:users"), &ManagementApi::listUserRoles);
    add(router, "POST", base + QStringLiteral("users/{id}/roles"), QStringLiteral("update:users"), &ManagementApi::addUserRoles);
    add(router, "DELETE", base + QStringLiteral("users/{id}/roles"), QStringLiteral("update:users"), &ManagementApi::removeUserRoles);
    add(router, "GET", base + QStringLiteral("roles"), QStringLiteral("read:roles"), &ManagementApi::listRoles);
    add(router, "POST", base + QStringLiteral("roles"), QStringLiteral("create:roles"), &ManagementApi::createRole);
    add(router, "GET", base + QStringLiteral("roles/{id}"), QStringLiteral("read:roles"), &ManagementApi::getRole);
    add(router, "PATCH", base + QStringLiteral("roles/{id}"), QStringLiteral("update:roles"), &ManagementApi::updateRole);
    add(router, "DELETE", base + QStringLiteral("roles/{id}"), QStringLiteral("delete:roles"), &ManagementApi::deleteRole);
    add(router, "GET", base + QStringLiteral("roles/{id}/permissions"), QStringLiteral("read:roles"), &ManagementApi::listRolePermissions);
    add(router, "POST", base + QStringLiteral("roles/{id}/permissions"), QStringLiteral("update:roles"), &ManagementApi::addRolePermissions);
    add(router, "DELETE", base + QStringLiteral("roles/{id}/permissions"), QStringLiteral("update:roles"), &ManagementApi::removeRolePermissions);
}

void ManagementApi::add(http::Router &router, const QByteArray &method, const QString &pattern, const QString &scope, Operation operation,
                        const QString &selfScope)
{
    router.add(
        method, pattern,
        [this, scope, selfScope, operation](const http::Request &request, http::Responder respond) {
            m_guard.authenticate(
                request, [this, scope, selfScope, operation, respond](const http::Request &call, const resource::BearerGuard::Outcome &outcome) {
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
                    const bool onSelf = !selfScope.isEmpty() && outcome->hasScope(selfScope)
                        && call.pathParameters.value(QStringLiteral("id")) == outcome->subject() && !outcome->subject().endsWith(QLatin1String("@clients"));
                    if (!outcome->hasScope(scope) && !onSelf) {
                        qCInfo(lcManagement).noquote() << call.method << call.path.left(200) << "sub" << outcome->subject().left(128) << "lacks" << scope;
                        const QString expected
                            = selfScope.isEmpty() ? scope : scope + QStringLiteral(", ") + selfScope + QStringLiteral(" (for the token's own user)");
                        respond(oauth::managementResponse(
                            {oauth::ErrorCode::InsufficientScope, QStringLiteral("Insufficient scope, expected any of: %1").arg(expected), 403}));
                        return;
                    }
                    http::Response response;
                    {
                        QMutexLocker lock(&m_calls);
                        if (auto current = followStore(); !current) {
                            qCCritical(lcManagement).noquote() << current.error();
                            response = oauth::managementResponse(
                                {oauth::ErrorCode::TemporarilyUnavailable, QStringLiteral("The tenant store cannot be read; see the server log"), 503});
                        } else {
                            response = (this->*operation)(call);
                        }
                    }
                    respond(std::move(response));
                });
        },
        http::Router::Affinity::AnyThread);
}

Expected<bool, QString> ManagementApi::followStore()
{
    m_tenant = m_authorization->tenant();
    auto revision = m_store->revision(m_settings.sourceDigest);
    if (!revision)
        return Unexpected<QString>(revision.error());
    if (*revision == m_revision)
        return false;
    auto stored = m_store->load(m_settings.sourceDigest);
    if (!stored)
        return Unexpected<QString>(stored.error());
    if (!stored->has_value())
        return false;
    auto next = authorization::parseTenant((*stored)->document);
    if (!next)
        return Unexpected<QString>(QStringLiteral("the tenant another instance stored: %1").arg(next.error()));
    // Bound to this instance's issuer like the tenant it replaces (the same for every instance behind --public-url).
    next->bindIssuer(tenant().managementAudience.chopped(QLatin1String("api/v2/").size()));
    if (auto applied = m_changed(*next); !applied)
        return Unexpected<QString>(applied.error());
    m_authorization->replaceTenant(std::move(next).value());
    m_tenant = m_authorization->tenant();
    m_revision = (*stored)->revision;
    qCInfo(lcManagement).noquote() << "took on the tenant's revision" << m_revision << "from the shared store";
    return true;
}

QList<catalogue::ApiSpec> ManagementApi::servedApisOf(const authorization::Tenant &tenant) const
{
    QList<catalogue::ApiSpec> apis = m_settings.builtinApis;
    if (const authorization::Api *served = tenant.api(m_settings.servedAudience))
        apis += served->declaredApis;
    return apis;
}

http::Response ManagementApi::commit(authorization::Tenant next, const QString &what, const std::function<http::Response()> &answer)
{
    dropUndefinedPermissions(next);
    // The whole tenant is checked as a tenant file would be: what the Management API accepts, a
    // restart accepts too.
    const QByteArray document = authorization::tenantToJson(next);
    auto reread = authorization::parseTenant(document);
    if (!reread)
        return invalidBody(reread.error());
    const authorization::Tenant before = tenant();
    auto stored = m_store->save(m_settings.sourceDigest, document, m_revision);
    if (!stored) {
        qCCritical(lcManagement).noquote() << stored.error();
        return oauth::managementResponse({oauth::ErrorCode::InternalError, QStringLiteral("The change could not be stored; see the server log"), 500});
    }
    if (!stored->has_value())
        return oauth::managementResponse(
            {oauth::ErrorCode::Conflict, QStringLiteral("The tenant was changed by another instance at the same time; read it again and retry"), 409});
    const qint64 previousRevision = m_revision;
    m_revision = **stored;
    m_authorization->replaceTenant(next);
    m_tenant = m_authorization->tenant();
    if (auto applied = m_changed(next); !applied) {
        qCCritical(lcManagement).noquote() << "undoing" << what << ":" << applied.error();
        m_authorization->replaceTenant(before);
        m_tenant = m_authorization->tenant();
        if (auto undone = m_store->save(m_settings.sourceDigest, authorization::tenantToJson(before), m_revision); undone && undone->has_value())
            m_revision = **undone;
        else
            m_revision = previousRevision; // catchUp() takes whatever is stored now
        (void)m_changed(before);
        return oauth::managementResponse(
            {oauth::ErrorCode::InternalError, QStringLiteral("The change could not be applied: %1").arg(applied.error().left(300)), 500});
    }
    qCInfo(lcManagement).noquote() << what;
    return answer();
}

http::Response ManagementApi::editPermissions(const http::Request &request, PermissionEdit edit,
                                              const std::function<QHash<QString, QStringList> *(authorization::Tenant &)> &heldBy, const QString &who)
{
    auto body = readObject(request);
    if (!body)
        return body.error();
    auto permissions = readPermissions(tenant(), *body);
    if (!permissions)
        return permissions.error();
    authorization::Tenant next = tenant();
    QHash<QString, QStringList> &held = *heldBy(next);
    QStringList names;
    for (const Permission &permission : *permissions) {
        QStringList &list = held[permission.apiIdentifier];
        if (edit == PermissionEdit::Remove)
            list.removeAll(permission.name);
        else if (!list.contains(permission.name))
            list.append(permission.name);
        names.append(permission.name);
    }
    const QString what = edit == PermissionEdit::Add ? QStringLiteral("gave %1 the permissions %2") : QStringLiteral("took the permissions %2 from %1");
    return commit(std::move(next), what.arg(who, names.join(QLatin1Char(' '))), [edit] {
        // Auth0 answers 201 to an assignment and 204 to a removal.
        http::Response answer = http::Response::noContent();
        if (edit == PermissionEdit::Add)
            answer.status = 201;
        return answer;
    });
}

void dropUndefinedPermissions(authorization::Tenant &tenant)
{
    const auto prune = [&tenant](QHash<QString, QStringList> &permissions) {
        for (auto it = permissions.begin(); it != permissions.end();) {
            const authorization::Api *api = tenant.api(it.key());
            if (!api) {
                it = permissions.erase(it);
                continue;
            }
            it->removeIf([api](const QString &scope) { return !api->hasScope(scope); });
            ++it;
        }
    };
    for (authorization::User &user : tenant.users) {
        prune(user.permissions);
        user.roles.removeIf([&tenant](const QString &id) { return !tenant.role(id); });
    }
    for (authorization::Role &role : tenant.roles)
        prune(role.permissions);
    for (authorization::Client &client : tenant.clients) {
        // A grant set aside with its API is kept as it was written: it grants nothing either way.
        client.clientGrants.removeIf([&tenant](const authorization::ClientGrant &grant) { return !grant.setAside && !tenant.api(grant.audience); });
        for (authorization::ClientGrant &grant : client.clientGrants) {
            if (grant.setAside)
                continue;
            const authorization::Api *api = tenant.api(grant.audience);
            grant.scopes.removeIf([api](const QString &scope) { return !api->hasScope(scope); });
        }
    }
}

} // namespace organizer::management
