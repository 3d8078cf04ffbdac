#include "tenantadmin.h"

#include "formencoding.h"

#include <QDateTime>
#include <QLoggingCategory>

#include <algorithm>
#include <memory>

namespace organizer::app {

Q_LOGGING_CATEGORY(lcTenant, "organizer.app.tenant")

namespace {

QString encoded(const QString &segment)
{
    return QString::fromLatin1(QUrl::toPercentEncoding(segment));
}

// Calls `done` once every one of `count` parts reported, with the first error any of them had.
struct Join
{
    int left;
    QString error;
    std::function<void(const QString &error)> done;
    void report(const QString &partError)
    {
        if (error.isEmpty())
            error = partError;
        if (--left == 0)
            done(error);
    }
};

QString nameOf(const std::optional<ResourceServer> &server, const QString &id)
{
    return server && !server->name.isEmpty() ? server->name : id;
}

} // namespace

ManagementTarget ManagementTarget::forIssuer(const QUrl &issuer, const QString &clientId, const QString &clientSecret)
{
    QUrl base = issuer;
    if (!base.path().endsWith(QLatin1Char('/')))
        base.setPath(base.path() + QLatin1Char('/'));
    return ManagementTarget{base.resolved(QUrl(QStringLiteral("api/v2/"))), base.resolved(QUrl(QStringLiteral("oauth/token"))),
                            base.toString() + QStringLiteral("api/v2/"), clientId, clientSecret};
}

TenantAdmin::TenantAdmin(QObject *parent) : QObject(parent) {}

void TenantAdmin::setTarget(const ManagementTarget &target)
{
    m_target = target;
    m_token.clear();
    m_tokenExpiresAt = 0;
    m_tokenWaiters.clear();
    ++m_targetGeneration;
    m_resourceServers.clear();
    m_clients.clear();
    m_clientGrants.clear();
    m_users.clear();
    m_roles.clear();
    m_userPermissions.clear();
    m_userRoles.clear();
    m_rolePermissions.clear();
    Q_EMIT changed();
}

void TenantAdmin::begin()
{
    if (m_running++ == 0)
        Q_EMIT busyChanged(true);
}

void TenantAdmin::end()
{
    if (--m_running == 0)
        Q_EMIT busyChanged(false);
}

QString TenantAdmin::describe(const HttpReply &reply) const
{
    if (reply.status == 0)
        return reply.networkError;
    const QJsonObject body = reply.json().object();
    // Auth0's {statusCode, error, message, errorCode}; an OAuth error from the token endpoint.
    QString message = body.value(QLatin1String("message")).toString(body.value(QLatin1String("error_description")).toString());
    if (message.isEmpty())
        message = QString::fromUtf8(reply.body.left(200));
    return QStringLiteral("%1 %2").arg(reply.status).arg(message);
}

void TenantAdmin::withToken(std::function<void(const QString &error)> ready)
{
    if (!hasTarget())
        return ready(QStringLiteral("no management client: name one in the profile (its client ID and secret)"));
    if (!m_token.isEmpty() && QDateTime::currentSecsSinceEpoch() < m_tokenExpiresAt - 60)
        return ready({});
    // One token request at a time: the calls that need it meanwhile wait for the same answer.
    m_tokenWaiters.append(std::move(ready));
    if (m_tokenWaiters.size() > 1)
        return;
    FormData form;
    form.add(QStringLiteral("grant_type"), QStringLiteral("client_credentials"));
    form.add(QStringLiteral("client_id"), m_target.clientId);
    form.add(QStringLiteral("client_secret"), m_target.clientSecret);
    form.add(QStringLiteral("audience"), m_target.audience);
    HttpRequest request;
    request.method = "POST";
    request.url = m_target.tokenEndpoint;
    request.contentType = "application/x-www-form-urlencoded";
    request.body = form.encode();
    m_http.send(request, this, [this, generation = m_targetGeneration](const HttpReply &reply) {
        if (generation != m_targetGeneration)
            return;
        const QJsonObject body = reply.json().object();
        QString error;
        if (!reply.succeeded() || !body.value(QLatin1String("access_token")).isString()) {
            error = QStringLiteral("no management token for %1: %2").arg(m_target.clientId, describe(reply));
        } else {
            m_token = body.value(QLatin1String("access_token")).toString().toLatin1();
            m_tokenExpiresAt = QDateTime::currentSecsSinceEpoch() + body.value(QLatin1String("expires_in")).toInteger(300);
        }
        const auto waiters = std::exchange(m_tokenWaiters, {});
        for (const auto &waiter : waiters)
            waiter(error);
    });
}

void TenantAdmin::call(const QByteArray &method, const QString &path, const QJsonValue &body, Answer answer)
{
    withToken([this, method, path, body, answer, generation = m_targetGeneration](const QString &error) {
        if (generation != m_targetGeneration)
            return;
        if (!error.isEmpty()) {
            HttpReply failure;
            failure.networkError = error;
            return answer(failure);
        }
        HttpRequest request;
        request.method = method;
        request.url = m_target.apiBase.resolved(QUrl(path));
        request.bearerToken = m_token;
        if (!body.isUndefined()) {
            request.contentType = "application/json";
            request.body
                = body.isArray() ? QJsonDocument(body.toArray()).toJson(QJsonDocument::Compact) : QJsonDocument(body.toObject()).toJson(QJsonDocument::Compact);
        }
        m_http.send(request, this, [this, answer, generation](const HttpReply &reply) {
            if (generation == m_targetGeneration)
                answer(reply);
        });
    });
}

template <typename T>
void TenantAdmin::listAll(const QString &path, const QString &key, Expected<T, QString> (*read)(const QJsonValue &, const QString &),
                          std::function<void(const QList<T> &items, const QString &error)> done)
{
    auto items = std::make_shared<QList<T>>();
    auto next = std::make_shared<std::function<void(int page)>>();
    *next = [this, path, key, read, items, next, done](int page) {
        const QString separator = path.contains(QLatin1Char('?')) ? QStringLiteral("&") : QStringLiteral("?");
        call("GET", QStringLiteral("%1%2per_page=100&include_totals=true&page=%3").arg(path, separator).arg(page), QJsonValue::Undefined,
             [path, key, read, items, next, done, page, this](const HttpReply &reply) {
                 if (!reply.succeeded()) {
                     *next = nullptr; // breaks the self-reference
                     return done({}, describe(reply));
                 }
                 auto body = managementPageFromJson(reply.body, key);
                 if (!body) {
                     *next = nullptr;
                     return done({}, QStringLiteral("GET %1: %2").arg(path, body.error()));
                 }
                 for (const QJsonValue &value : std::as_const(body->items)) {
                     auto item = read(value, QStringLiteral("%1[%2]").arg(key).arg(items->size()));
                     if (!item) {
                         *next = nullptr;
                         return done({}, QStringLiteral("GET %1: %2").arg(path, item.error()));
                     }
                     items->append(std::move(*item));
                 }
                 if (body->items.isEmpty() || items->size() >= body->total) {
                     *next = nullptr;
                     return done(*items, {});
                 }
                 (*next)(page + 1);
             });
    };
    (*next)(0);
}

void TenantAdmin::reload(Done done)
{
    begin();
    const auto finish = [this, done](const QString &error) {
        end();
        if (!error.isEmpty()) {
            qCWarning(lcTenant).noquote() << "reading the tenant:" << error;
            Q_EMIT failed(error);
        }
        Q_EMIT changed();
        if (done)
            done(error.isEmpty(), error);
    };
    // The lists, then what hangs off users and roles.
    auto lists = std::make_shared<Join>(Join{5, {}, {}});
    lists->done = [this, finish](const QString &error) {
        if (!error.isEmpty())
            return finish(error);
        auto details = std::make_shared<Join>(Join{int(2 * m_users.size() + m_roles.size()) + 1, {}, finish});
        for (const User &user : std::as_const(m_users)) {
            const QString id = user.userId;
            listAll<Permission>(QStringLiteral("users/%1/permissions").arg(encoded(id)), QStringLiteral("permissions"), permissionFromJson,
                                [this, id, details](const QList<Permission> &items, const QString &e) {
                                    m_userPermissions.insert(id, items);
                                    details->report(e);
                                });
            listAll<Role>(QStringLiteral("users/%1/roles").arg(encoded(id)), QStringLiteral("roles"), roleFromJson,
                          [this, id, details](const QList<Role> &items, const QString &e) {
                              m_userRoles.insert(id, items);
                              details->report(e);
                          });
        }
        for (const Role &role : std::as_const(m_roles)) {
            const QString id = role.id;
            listAll<Permission>(QStringLiteral("roles/%1/permissions").arg(encoded(id)), QStringLiteral("permissions"), permissionFromJson,
                                [this, id, details](const QList<Permission> &items, const QString &e) {
                                    m_rolePermissions.insert(id, items);
                                    details->report(e);
                                });
        }
        details->report({});
    };
    // Each list into its typed home; a list that fails leaves its home as it was.
    const auto into = [lists](auto *target) {
        return [lists, target](const auto &items, const QString &error) {
            if (error.isEmpty())
                *target = items;
            lists->report(error);
        };
    };
    listAll<ResourceServer>(QStringLiteral("resource-servers"), QStringLiteral("resource_servers"), resourceServerFromJson, into(&m_resourceServers));
    listAll<Client>(QStringLiteral("clients"), QStringLiteral("clients"), clientFromJson, into(&m_clients));
    listAll<ClientGrant>(QStringLiteral("client-grants"), QStringLiteral("client_grants"), clientGrantFromJson, into(&m_clientGrants));
    listAll<User>(QStringLiteral("users"), QStringLiteral("users"), userFromJson, into(&m_users));
    listAll<Role>(QStringLiteral("roles"), QStringLiteral("roles"), roleFromJson, into(&m_roles));
}

std::optional<ResourceServer> TenantAdmin::resourceServer(const QString &idOrIdentifier) const
{
    for (const ResourceServer &server : m_resourceServers) {
        if (server.id == idOrIdentifier || server.identifier == idOrIdentifier)
            return server;
    }
    return std::nullopt;
}

std::optional<ClientGrant> TenantAdmin::clientGrant(const QString &clientId, const QString &audience) const
{
    for (const ClientGrant &grant : m_clientGrants) {
        if (grant.clientId == clientId && grant.audience == audience)
            return grant;
    }
    return std::nullopt;
}

QList<catalogue::ApiSpec> TenantAdmin::recordApis(const QString &audience) const
{
    // The catalogue's APIs as compiled in, the declared ones as the server describes them; an
    // Auth0 tenant has no organizer_apis, and then the catalogue alone.
    QList<catalogue::ApiSpec> apis = catalogue::organizerService().apis;
    if (const auto server = resourceServer(audience))
        apis += server->declaredApis;
    return apis;
}

QStringList TenantAdmin::scopes(const QString &audience) const
{
    const auto server = resourceServer(audience);
    return server ? server->scopeValues() : QStringList();
}

AccessRules TenantAdmin::accessRules() const
{
    AccessRules rules;
    for (const ResourceServer &server : m_resourceServers)
        rules.apis.append({server.identifier, server.rbac, server.scopeValues()});
    for (const User &user : m_users) {
        AccessRules::Person person{user.email, user.userId, {}};
        for (const Permission &permission : m_userPermissions.value(user.userId))
            person.permissions[permission.audience].append(permission.scope);
        rules.users.append(person);
    }
    for (const ClientGrant &grant : m_clientGrants) {
        auto same = [&grant](const AccessRules::Application &application) { return application.clientId == grant.clientId; };
        auto application = std::find_if(rules.clients.begin(), rules.clients.end(), same);
        if (application == rules.clients.end())
            application = rules.clients.insert(rules.clients.end(), AccessRules::Application{grant.clientId, {}});
        application->grants[grant.audience] += grant.scopes;
    }
    return rules;
}

void TenantAdmin::change(const QByteArray &method, const QString &path, const QJsonValue &body, const QString &what, Done done)
{
    begin();
    call(method, path, body, [this, what, done](const HttpReply &reply) {
        end();
        if (!reply.succeeded()) {
            const QString message = QStringLiteral("Could not %1: %2").arg(what, describe(reply));
            qCWarning(lcTenant).noquote() << message;
            Q_EMIT failed(message);
            if (done)
                done(false, message);
            return;
        }
        qCInfo(lcTenant).noquote() << "did" << what;
        reload([done, what](bool ok, const QString &message) {
            if (done)
                done(ok, ok ? what : message);
        });
    });
}

void TenantAdmin::createApi(const QString &name, const QString &identifier, const QString &signingAlgorithm, Done done)
{
    change("POST", QStringLiteral("resource-servers"), newResourceServerJson(name, identifier, signingAlgorithm),
           QStringLiteral("create the API %1 (%2)").arg(name, identifier), std::move(done));
}

void TenantAdmin::deleteApi(const QString &id, Done done)
{
    change("DELETE", QStringLiteral("resource-servers/%1").arg(encoded(id)), QJsonValue::Undefined,
           QStringLiteral("delete the API %1").arg(nameOf(resourceServer(id), id)), std::move(done));
}

void TenantAdmin::updateApiSettings(const QString &id, const ApiSettingsEdit &edit, Done done)
{
    change("PATCH", QStringLiteral("resource-servers/%1").arg(encoded(id)), edit.toJson(),
           QStringLiteral("change the settings of %1").arg(nameOf(resourceServer(id), id)), std::move(done));
}

void TenantAdmin::addScope(const QString &apiId, const QString &value, const QString &description, Done done)
{
    QList<ScopeDefinition> scopes = resourceServer(apiId).value_or(ResourceServer()).scopes;
    for (const ScopeDefinition &scope : std::as_const(scopes)) {
        if (scope.value == value) {
            if (done)
                done(true, QStringLiteral("%1 is there already").arg(value));
            return;
        }
    }
    scopes.append(ScopeDefinition{value, description});
    change("PATCH", QStringLiteral("resource-servers/%1").arg(encoded(apiId)), QJsonObject{{QStringLiteral("scopes"), scopesToJson(scopes)}},
           QStringLiteral("add the scope %1").arg(value), std::move(done));
}

void TenantAdmin::removeScope(const QString &apiId, const QString &value, Done done)
{
    QList<ScopeDefinition> kept = resourceServer(apiId).value_or(ResourceServer()).scopes;
    kept.removeIf([&value](const ScopeDefinition &scope) { return scope.value == value; });
    change("PATCH", QStringLiteral("resource-servers/%1").arg(encoded(apiId)), QJsonObject{{QStringLiteral("scopes"), scopesToJson(kept)}},
           QStringLiteral("remove the scope %1").arg(value), std::move(done));
}

void TenantAdmin::setClientGrant(const QString &clientId, const QString &audience, bool authorized, const QStringList &scopes, Done done)
{
    const std::optional<ClientGrant> existing = clientGrant(clientId, audience);
    const QString id = existing ? existing->id : QString();
    if (!authorized) {
        if (id.isEmpty()) {
            if (done)
                done(true, QStringLiteral("%1 was not authorized for %2").arg(clientId, audience));
            return;
        }
        change("DELETE", QStringLiteral("client-grants/%1").arg(encoded(id)), QJsonValue::Undefined,
               QStringLiteral("unauthorize %1 for %2").arg(clientId, audience), std::move(done));
        return;
    }
    if (id.isEmpty())
        change("POST", QStringLiteral("client-grants"),
               QJsonObject{{QStringLiteral("client_id"), clientId},
                           {QStringLiteral("audience"), audience},
                           {QStringLiteral("scope"), QJsonArray::fromStringList(scopes)}},
               QStringLiteral("authorize %1 for %2").arg(clientId, audience), std::move(done));
    else
        change("PATCH", QStringLiteral("client-grants/%1").arg(encoded(id)), QJsonObject{{QStringLiteral("scope"), QJsonArray::fromStringList(scopes)}},
               QStringLiteral("change what %1 may ask of %2").arg(clientId, audience), std::move(done));
}

void TenantAdmin::addUserPermissions(const QString &userId, const QString &audience, const QStringList &scopes, Done done)
{
    change("POST", QStringLiteral("users/%1/permissions").arg(encoded(userId)),
           QJsonObject{{QStringLiteral("permissions"), permissionsToJson(audience, scopes)}},
           QStringLiteral("give %1 %2").arg(userId, scopes.join(QLatin1Char(' '))), std::move(done));
}

void TenantAdmin::removeUserPermissions(const QString &userId, const QString &audience, const QStringList &scopes, Done done)
{
    change("DELETE", QStringLiteral("users/%1/permissions").arg(encoded(userId)),
           QJsonObject{{QStringLiteral("permissions"), permissionsToJson(audience, scopes)}},
           QStringLiteral("take %2 from %1").arg(userId, scopes.join(QLatin1Char(' '))), std::move(done));
}

void TenantAdmin::createRole(const QString &name, const QString &description, Done done)
{
    change("POST", QStringLiteral("roles"), QJsonObject{{QStringLiteral("name"), name}, {QStringLiteral("description"), description}},
           QStringLiteral("create the role %1").arg(name), std::move(done));
}

void TenantAdmin::deleteRole(const QString &roleId, Done done)
{
    change("DELETE", QStringLiteral("roles/%1").arg(encoded(roleId)), QJsonValue::Undefined, QStringLiteral("delete the role %1").arg(roleId), std::move(done));
}

void TenantAdmin::addRolePermissions(const QString &roleId, const QString &audience, const QStringList &scopes, Done done)
{
    change("POST", QStringLiteral("roles/%1/permissions").arg(encoded(roleId)),
           QJsonObject{{QStringLiteral("permissions"), permissionsToJson(audience, scopes)}},
           QStringLiteral("add %2 to the role %1").arg(roleId, scopes.join(QLatin1Char(' '))), std::move(done));
}

void TenantAdmin::removeRolePermissions(const QString &roleId, const QString &audience, const QStringList &scopes, Done done)
{
    change("DELETE", QStringLiteral("roles/%1/permissions").arg(encoded(roleId)),
           QJsonObject{{QStringLiteral("permissions"), permissionsToJson(audience, scopes)}},
           QStringLiteral("remove %2 from the role %1").arg(roleId, scopes.join(QLatin1Char(' '))), std::move(done));
}

void TenantAdmin::assignRoles(const QString &userId, const QStringList &roleIds, Done done)
{
    change("POST", QStringLiteral("users/%1/roles").arg(encoded(userId)), QJsonObject{{QStringLiteral("roles"), QJsonArray::fromStringList(roleIds)}},
           QStringLiteral("give %1 the role(s) %2").arg(userId, roleIds.join(QLatin1Char(' '))), std::move(done));
}

void TenantAdmin::removeRoles(const QString &userId, const QStringList &roleIds, Done done)
{
    change("DELETE", QStringLiteral("users/%1/roles").arg(encoded(userId)), QJsonObject{{QStringLiteral("roles"), QJsonArray::fromStringList(roleIds)}},
           QStringLiteral("take the role(s) %2 from %1").arg(userId, roleIds.join(QLatin1Char(' '))), std::move(done));
}

} // namespace organizer::app
