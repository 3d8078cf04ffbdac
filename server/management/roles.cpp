#include "roles.h"

#include "permissionedits.h"

#include <QRandomGenerator>

namespace organizer::management {

namespace {

using authorization::Tenant;

http::Response notFound()
{
    return oauth::managementResponse({oauth::ErrorCode::InexistentRole, QStringLiteral("The role does not exist."), 404});
}

qsizetype indexOf(const Tenant &tenant, const QString &id)
{
    for (qsizetype i = 0; i < tenant.roles.size(); ++i) {
        if (tenant.roles.at(i).id == id)
            return i;
    }
    return -1;
}

QString newRoleId()
{
    quint32 words[4];
    QRandomGenerator::system()->generate(std::begin(words), std::end(words));
    return QStringLiteral("rol_") + QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(words), sizeof words).toHex().left(16));
}

// name and description, as create and update take them; what is wrong with them is left in `read`.
void applyRole(const JsonReader &read, authorization::Role &role, bool creating)
{
    if (!read.allowOnly({QStringLiteral("name"), QStringLiteral("description")}))
        return;
    if (auto name = boundedString(read["name"], {1, 50}, Spaces::Kept, QStringLiteral("must be a string of 1 to 50 characters"),
                                  creating ? JsonReader::Required : JsonReader::Optional))
        role.name = name->trimmed();
    if (auto description = boundedString(read["description"], {0, 140}, Spaces::Kept, QStringLiteral("must be a string of at most 140 characters")))
        role.description = *description;
}

bool nameTaken(const Tenant &tenant, const QString &name, const QString &exceptId)
{
    for (const authorization::Role &role : tenant.roles) {
        if (role.name == name && role.id != exceptId)
            return true;
    }
    return false;
}

} // namespace

http::Response Roles::list(const http::Request &request)
{
    QJsonArray all;
    for (const authorization::Role &role : m_context.tenant().roles)
        all.append(roleJson(role));
    return pageOf(request, QStringLiteral("roles"), all);
}

http::Response Roles::get(const http::Request &request)
{
    const qsizetype index = indexOf(m_context.tenant(), request.pathParameters.value(QStringLiteral("id")));
    if (index < 0)
        return notFound();
    return jsonAnswer(200, roleJson(m_context.tenant().roles.at(index)));
}

http::Response Roles::create(const http::Request &request)
{
    auto body = readObject(request);
    if (!body)
        return oauth::managementResponse(body.error());
    authorization::Role role;
    role.id = newRoleId();
    const JsonReader read = bodyReader(*body);
    applyRole(read, role, true);
    if (auto refusal = refusalOf(read))
        return *refusal;
    if (nameTaken(m_context.tenant(), role.name, role.id))
        return oauth::managementResponse({oauth::ErrorCode::RoleConflict, QStringLiteral("Role name \"%1\" already exists").arg(role.name), 409});
    Tenant next = m_context.tenant();
    next.roles.append(role);
    return m_context.commit(std::move(next), QStringLiteral("created the role %1 (%2)").arg(role.name, role.id),
                            [role] { return jsonAnswer(200, roleJson(role)); });
}

http::Response Roles::update(const http::Request &request)
{
    const qsizetype index = indexOf(m_context.tenant(), request.pathParameters.value(QStringLiteral("id")));
    if (index < 0)
        return notFound();
    auto body = readObject(request);
    if (!body)
        return oauth::managementResponse(body.error());
    Tenant next = m_context.tenant();
    authorization::Role &role = next.roles[index];
    const JsonReader read = bodyReader(*body);
    applyRole(read, role, false);
    if (auto refusal = refusalOf(read))
        return *refusal;
    if (nameTaken(m_context.tenant(), role.name, role.id))
        return oauth::managementResponse({oauth::ErrorCode::RoleConflict, QStringLiteral("Role name \"%1\" already exists").arg(role.name), 409});
    const authorization::Role updated = role;
    return m_context.commit(std::move(next), QStringLiteral("updated the role %1").arg(updated.id), [updated] { return jsonAnswer(200, roleJson(updated)); });
}

http::Response Roles::remove(const http::Request &request)
{
    const qsizetype index = indexOf(m_context.tenant(), request.pathParameters.value(QStringLiteral("id")));
    if (index < 0)
        return notFound();
    Tenant next = m_context.tenant();
    const authorization::Role removed = next.roles.takeAt(index);
    // Users who held it lose it (and what it gave them) in the same change.
    return m_context.commit(std::move(next), QStringLiteral("deleted the role %1 (%2)").arg(removed.name, removed.id),
                            [] { return http::Response::noContent(); });
}

http::Response Roles::listPermissions(const http::Request &request)
{
    const qsizetype index = indexOf(m_context.tenant(), request.pathParameters.value(QStringLiteral("id")));
    if (index < 0)
        return notFound();
    const authorization::Role &role = m_context.tenant().roles.at(index);
    QJsonArray all;
    for (const authorization::Api &api : m_context.tenant().apis) {
        for (const QString &name : role.permissions.value(api.identifier))
            all.append(QJsonObject{{QStringLiteral("permission_name"), name},
                                   {QStringLiteral("description"), api.describe(name)},
                                   {QStringLiteral("resource_server_name"), api.name},
                                   {QStringLiteral("resource_server_identifier"), api.identifier}});
    }
    return pageOf(request, QStringLiteral("permissions"), all);
}

http::Response Roles::addPermissions(const http::Request &request)
{
    const qsizetype index = indexOf(m_context.tenant(), request.pathParameters.value(QStringLiteral("id")));
    if (index < 0)
        return notFound();
    return editPermissions(
        m_context, request, PermissionEdit::Add, [index](Tenant &next) { return &next.roles[index].permissions; },
        QStringLiteral("the role ") + m_context.tenant().roles.at(index).id);
}

http::Response Roles::removePermissions(const http::Request &request)
{
    const qsizetype index = indexOf(m_context.tenant(), request.pathParameters.value(QStringLiteral("id")));
    if (index < 0)
        return notFound();
    return editPermissions(
        m_context, request, PermissionEdit::Remove, [index](Tenant &next) { return &next.roles[index].permissions; },
        QStringLiteral("the role ") + m_context.tenant().roles.at(index).id);
}

} // namespace organizer::management
