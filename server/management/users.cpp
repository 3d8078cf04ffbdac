#include "users.h"

#include "permissionedits.h"

namespace organizer::management {

namespace {

using authorization::Tenant;

http::Response notFound()
{
    return oauth::managementResponse({oauth::ErrorCode::InexistentUser, QStringLiteral("The user does not exist."), 404});
}

qsizetype indexOf(const Tenant &tenant, const QString &id)
{
    for (qsizetype i = 0; i < tenant.users.size(); ++i) {
        if (tenant.users.at(i).subject() == id)
            return i;
    }
    return -1;
}

QJsonObject permissionJson(const Tenant &tenant, const QString &apiIdentifier, const QString &name)
{
    const authorization::Api *api = tenant.api(apiIdentifier);
    return QJsonObject{{QStringLiteral("permission_name"), name},
                       {QStringLiteral("description"), api ? api->describe(name) : name},
                       {QStringLiteral("resource_server_name"), api ? api->name : apiIdentifier},
                       {QStringLiteral("resource_server_identifier"), apiIdentifier}};
}

} // namespace

http::Response Users::list(const http::Request &request)
{
    QJsonArray all;
    for (const authorization::User &user : m_context.tenant().users)
        all.append(userJson(user));
    return pageOf(request, QStringLiteral("users"), all);
}

http::Response Users::get(const http::Request &request)
{
    const qsizetype index = indexOf(m_context.tenant(), request.pathParameters.value(QStringLiteral("id")));
    if (index < 0)
        return notFound();
    return jsonAnswer(200, userJson(m_context.tenant().users.at(index)));
}

http::Response Users::listPermissions(const http::Request &request)
{
    const qsizetype index = indexOf(m_context.tenant(), request.pathParameters.value(QStringLiteral("id")));
    if (index < 0)
        return notFound();
    const authorization::User &user = m_context.tenant().users.at(index);
    // Every permission the user has, each with where it comes from: assigned directly or by a role.
    QJsonArray all;
    for (const authorization::Api &api : m_context.tenant().apis) {
        for (const authorization::ApiScope &scope : api.scopes) {
            QJsonArray sources;
            if (user.permissions.value(api.identifier).contains(scope.value))
                sources.append(QJsonObject{{QStringLiteral("source_id"), QString()},
                                           {QStringLiteral("source_name"), QString()},
                                           {QStringLiteral("source_type"), QStringLiteral("DIRECT")}});
            for (const QString &roleId : user.roles) {
                const authorization::Role *role = m_context.tenant().role(roleId);
                if (role && role->permissions.value(api.identifier).contains(scope.value))
                    sources.append(QJsonObject{{QStringLiteral("source_id"), role->id},
                                               {QStringLiteral("source_name"), role->name},
                                               {QStringLiteral("source_type"), QStringLiteral("ROLE")}});
            }
            if (sources.isEmpty())
                continue;
            QJsonObject permission = permissionJson(m_context.tenant(), api.identifier, scope.value);
            permission.insert(QStringLiteral("sources"), sources);
            all.append(permission);
        }
    }
    return pageOf(request, QStringLiteral("permissions"), all);
}

http::Response Users::addPermissions(const http::Request &request)
{
    const qsizetype index = indexOf(m_context.tenant(), request.pathParameters.value(QStringLiteral("id")));
    if (index < 0)
        return notFound();
    return editPermissions(
        m_context, request, PermissionEdit::Add, [index](Tenant &next) { return &next.users[index].permissions; },
        m_context.tenant().users.at(index).subject());
}

http::Response Users::removePermissions(const http::Request &request)
{
    const qsizetype index = indexOf(m_context.tenant(), request.pathParameters.value(QStringLiteral("id")));
    if (index < 0)
        return notFound();
    return editPermissions(
        m_context, request, PermissionEdit::Remove, [index](Tenant &next) { return &next.users[index].permissions; },
        m_context.tenant().users.at(index).subject());
}

http::Response Users::listRoles(const http::Request &request)
{
    const qsizetype index = indexOf(m_context.tenant(), request.pathParameters.value(QStringLiteral("id")));
    if (index < 0)
        return notFound();
    QJsonArray all;
    for (const QString &roleId : m_context.tenant().users.at(index).roles) {
        if (const authorization::Role *role = m_context.tenant().role(roleId))
            all.append(roleJson(*role));
    }
    return pageOf(request, QStringLiteral("roles"), all);
}

namespace {

// {"roles": ["rol_…", …]}: roles the tenant has. The first problem in the list, or the first role it does
// not have, is the answer.
Expected<QStringList, oauth::OAuthError> readRoleIds(const Tenant &tenant, const QJsonObject &body)
{
    const JsonReader read = bodyReader(body);
    read.allowOnly({QStringLiteral("roles")});
    QStringList ids;
    std::optional<oauth::OAuthError> refused;
    read["roles"].forEach(
        [&](const JsonReader &entry) {
            if (refused || !read.ok())
                return;
            const std::optional<QString> id = entry.string();
            if (id && !tenant.role(*id))
                refused = oauth::OAuthError{oauth::ErrorCode::InexistentRole, QStringLiteral("The role \"%1\" does not exist.").arg(id->left(100)), 404};
            else if (id)
                ids.append(*id);
        },
        JsonReader::Required, QStringLiteral("must be an array of role ids"), JsonCount{.min = 1});
    if (auto problem = firstProblemOf(read))
        return Unexpected<oauth::OAuthError>(*problem);
    if (refused)
        return Unexpected<oauth::OAuthError>(*refused);
    return ids;
}

} // namespace

http::Response Users::addRoles(const http::Request &request)
{
    const qsizetype index = indexOf(m_context.tenant(), request.pathParameters.value(QStringLiteral("id")));
    if (index < 0)
        return notFound();
    auto body = readObject(request);
    if (!body)
        return oauth::managementResponse(body.error());
    auto ids = readRoleIds(m_context.tenant(), *body);
    if (!ids)
        return oauth::managementResponse(ids.error());
    Tenant next = m_context.tenant();
    authorization::User &user = next.users[index];
    for (const QString &id : *ids) {
        if (!user.roles.contains(id))
            user.roles.append(id);
    }
    return m_context.commit(std::move(next), QStringLiteral("gave %1 the roles %2").arg(user.subject(), ids->join(QLatin1Char(' '))),
                            [] { return http::Response::noContent(); });
}

http::Response Users::removeRoles(const http::Request &request)
{
    const qsizetype index = indexOf(m_context.tenant(), request.pathParameters.value(QStringLiteral("id")));
    if (index < 0)
        return notFound();
    auto body = readObject(request);
    if (!body)
        return oauth::managementResponse(body.error());
    auto ids = readRoleIds(m_context.tenant(), *body);
    if (!ids)
        return oauth::managementResponse(ids.error());
    Tenant next = m_context.tenant();
    authorization::User &user = next.users[index];
    for (const QString &id : *ids)
        user.roles.removeAll(id);
    return m_context.commit(std::move(next), QStringLiteral("took the roles %2 from %1").arg(user.subject(), ids->join(QLatin1Char(' '))),
                            [] { return http::Response::noContent(); });
}

} // namespace organizer::management
