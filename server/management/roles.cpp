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

http::Response Roles::listUsers(const http::Request &request)
{
    // Auth0 asks read:users beside read:roles here: the answer names users.
    if (!m_context.callerHasScope(QStringLiteral("read:users")))
        return oauth::managementResponse(
            {oauth::ErrorCode::InsufficientScope, QStringLiteral("Insufficient scope, expected all of: read:roles, read:users"), 403});
    const qsizetype index = indexOf(m_context.tenant(), request.pathParameters.value(QStringLiteral("id")));
    if (index < 0)
        return notFound();
    const QString roleId = m_context.tenant().roles.at(index).id;
    QJsonArray all;
    for (const authorization::User &user : m_context.tenant().users) {
        if (!user.roles.contains(roleId))
            continue;
        QJsonObject member{{QStringLiteral("user_id"), user.subject()}, {QStringLiteral("email"), user.email}, {QStringLiteral("name"), user.name}};
        if (const QJsonValue picture = user.auth0Profile.value(QStringLiteral("picture")); picture.isString())
            member.insert(QStringLiteral("picture"), picture);
        all.append(member);
    }
    return pageOf(request, QStringLiteral("users"), all, QStringLiteral("user_id"));
}

http::Response Roles::addUsers(const http::Request &request)
{
    const qsizetype index = indexOf(m_context.tenant(), request.pathParameters.value(QStringLiteral("id")));
    if (index < 0)
        return notFound();
    auto body = readObject(request);
    if (!body)
        return oauth::managementResponse(body.error());
    const JsonReader read = bodyReader(*body);
    read.allowOnly({QStringLiteral("users")});
    QStringList subjects;
    read["users"].forEach(
        [&](const JsonReader &entry) {
            if (const std::optional<QString> subject = entry.string())
                subjects.append(*subject);
        },
        JsonReader::Required, QStringLiteral("must be an array of user ids"), JsonCount{.min = 1, .max = 1000});
    if (auto refusal = refusalOf(read))
        return *refusal;
    Tenant next = m_context.tenant();
    const QString roleId = next.roles.at(index).id;
    for (const QString &subject : subjects) {
        authorization::User *user = nullptr;
        for (authorization::User &candidate : next.users) {
            if (candidate.subject() == subject)
                user = &candidate;
        }
        if (!user)
            return oauth::managementResponse({oauth::ErrorCode::InexistentUser, QStringLiteral("The user \"%1\" does not exist.").arg(subject.left(100)), 404});
        if (!user->roles.contains(roleId))
            user->roles.append(roleId);
    }
    return m_context.commit(std::move(next), QStringLiteral("gave the role %1 to %2").arg(roleId, subjects.join(QLatin1Char(' '))),
                            [] { return http::Response::noContent(); });
}

} // namespace organizer::management
