#include "users.h"

#include "passwordhash.h"
#include "permissionedits.h"
#include "usersearch.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QRegularExpression>

#include <algorithm>

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

namespace {

http::Response queryError(const QString &problem)
{
    return oauth::managementResponse({oauth::ErrorCode::InvalidQueryString, QStringLiteral("Query validation error: '%1'.").arg(problem), 400});
}

http::Response userExists()
{
    return oauth::managementResponse({oauth::ErrorCode::Conflict, QStringLiteral("The user already exists."), 409});
}

QString now()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}

// Like Auth0's ids for database users: 24 hex digits (96 random bits). Never chosen by the caller, so a new
// user can never take on a deleted one's refresh tokens, consents or sessions, all of which name the subject.
QString newUserId()
{
    quint32 words[3];
    QRandomGenerator::system()->generate(std::begin(words), std::end(words));
    return QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(words), sizeof words).toHex());
}

bool emailTaken(const Tenant &tenant, const QString &email, const QString &exceptUserId)
{
    const QString wanted = authorization::normalizedLogin(email);
    for (const authorization::User &user : tenant.users) {
        if (user.userId != exceptUserId && authorization::normalizedLogin(user.email) == wanted)
            return true;
    }
    return false;
}

// Auth0's "Fair" password policy for a database connection: at least 8 characters, with a lower-case letter,
// an upper-case letter and a digit. The login form reads at most 1024 characters, so no longer one is kept.
std::optional<oauth::OAuthError> passwordProblem(const QString &password)
{
    if (password.size() > 1024)
        return payloadError(QStringLiteral("String is too long (%1 chars), maximum 1024 on property password").arg(password.size()));
    const bool lower = std::any_of(password.begin(), password.end(), [](QChar c) { return c.isLower(); });
    const bool upper = std::any_of(password.begin(), password.end(), [](QChar c) { return c.isUpper(); });
    const bool digit = std::any_of(password.begin(), password.end(), [](QChar c) { return c.isDigit(); });
    if (password.size() < 8 || !lower || !upper || !digit)
        return oauth::OAuthError{oauth::ErrorCode::InvalidBody, QStringLiteral("PasswordStrengthError: Password is too weak"), 400};
    return std::nullopt;
}

// The members of a user body this server keeps and shows without acting on them, and the longest each may be.
const QStringList kKeptStrings{QStringLiteral("given_name"), QStringLiteral("family_name"), QStringLiteral("picture")};
const QStringList kMetadata{QStringLiteral("user_metadata"), QStringLiteral("app_metadata")};

// What create and update share: every member but password and connection, applied to `user`; what is wrong
// is left in `read`. On update, a null kept string removes it and metadata is merged at its top level with
// null removing a key, as Auth0 does.
void applyUser(const JsonReader &read, authorization::User &user, bool creating)
{
    if (auto email = boundedString(read["email"], {3, 254}, Spaces::Trimmed, QStringLiteral("must be an email address of at most 254 characters"),
                                   creating ? JsonReader::Required : JsonReader::Optional)) {
        static const QRegularExpression shape(QStringLiteral("^[^\\s@]+@[^\\s@]+$"));
        if (!shape.match(*email).hasMatch())
            read["email"].fail(QStringLiteral("Object didn't pass validation for format email: %1").arg(email->left(100)));
        else
            user.email = email->toLower(); // Auth0 keeps a database user's email in lower case
    }
    if (auto name = boundedString(read["name"], {1, 300}, Spaces::Trimmed, QStringLiteral("must be a string of 1 to 300 characters")))
        user.name = *name;
    if (auto nickname = boundedString(read["nickname"], {1, 300}, Spaces::Trimmed, QStringLiteral("must be a string of 1 to 300 characters")))
        user.nickname = *nickname;
    if (auto blocked = read["blocked"].boolean())
        user.blocked = *blocked;
    if (auto verified = read["email_verified"].boolean())
        user.emailVerified = *verified;
    (void)read["verify_email"].boolean(); // taken as Auth0 takes it; this server sends no email
    for (const QString &member : kKeptStrings) {
        const JsonReader at = read.member(member);
        if (!creating && at.value().isNull()) {
            user.auth0Profile.remove(member);
        } else if (auto value = boundedString(at, {1, member == QLatin1String("picture") ? 2000 : 150}, Spaces::Trimmed, {})) {
            if (member == QLatin1String("picture") && !authorization::absoluteUrlProblem(*value).isEmpty())
                at.fail(QStringLiteral("must be an absolute http(s) URL"));
            else
                user.auth0Profile.insert(member, *value);
        }
    }
    for (const QString &member : kMetadata) {
        const JsonReader at = read.member(member);
        if (at.value().isNull() || at.value().isUndefined() || !at.expectObject(JsonReader::Optional))
            continue;
        QJsonObject merged = user.auth0Profile.value(member).toObject();
        const QJsonObject given = at.value().toObject();
        for (auto it = given.begin(); it != given.end(); ++it) {
            if (it->isNull())
                merged.remove(it.key());
            else
                merged.insert(it.key(), *it);
        }
        if (merged.isEmpty())
            user.auth0Profile.remove(member);
        else
            user.auth0Profile.insert(member, merged);
    }
    if (QJsonDocument(user.auth0Profile).toJson(QJsonDocument::Compact).size() > 16 * 1024)
        read.fail(QStringLiteral("user_metadata and app_metadata may hold at most 16 KiB together"));
}

// A body's connection must be the tenant's database connection, the only one it has.
bool checkConnection(const JsonReader &read, const Tenant &tenant, bool required)
{
    const auto connection
        = read["connection"].isAbsent() && !required ? std::optional<QString>(tenant.connection) : std::optional<QString>(read["connection"].requiredString());
    if (!read.ok())
        return false;
    if (*connection != tenant.connection) {
        read["connection"].fail(QStringLiteral("The connection does not exist (this tenant's is \"%1\")").arg(tenant.connection));
        return false;
    }
    return true;
}

const QStringList kUserMembers{QStringLiteral("connection"),  QStringLiteral("email"),          QStringLiteral("password"),     QStringLiteral("name"),
                               QStringLiteral("nickname"),    QStringLiteral("given_name"),     QStringLiteral("family_name"),  QStringLiteral("picture"),
                               QStringLiteral("blocked"),     QStringLiteral("email_verified"), QStringLiteral("verify_email"), QStringLiteral("user_metadata"),
                               QStringLiteral("app_metadata")};

// The user a POST body makes, checked against `tenant`: everything but the stamps and the password's hash
// (kept in `password`), or the answer refusing the body.
struct NewUser
{
    authorization::User user;
    QString password;
};
Expected<NewUser, http::Response> newUserFrom(const Tenant &tenant, const http::Request &request)
{
    auto body = readObject(request);
    if (!body)
        return Unexpected<http::Response>(oauth::managementResponse(body.error()));
    const JsonReader read = bodyReader(*body);
    if (read.allowOnly(kUserMembers))
        checkConnection(read, tenant, true);
    authorization::User user;
    user.userId = newUserId();
    applyUser(read, user, true);
    const std::optional<QString> password = boundedString(read["password"], {1, 100'000}, Spaces::Kept, {}, JsonReader::Required);
    if (auto refusal = refusalOf(read))
        return Unexpected<http::Response>(*refusal);
    if (auto weak = passwordProblem(*password))
        return Unexpected<http::Response>(oauth::managementResponse(*weak));
    if (emailTaken(tenant, user.email, {}))
        return Unexpected<http::Response>(userExists());
    if (user.name.isEmpty())
        user.name = user.email;
    if (user.nickname.isEmpty())
        user.nickname = user.email.section(QLatin1Char('@'), 0, 0);
    if (!body->contains(QLatin1String("email_verified")))
        user.emailVerified = false; // as Auth0: a new database user has not verified their email
    return NewUser{std::move(user), *password};
}

// A PATCH body applied to the user at `index` in `tenant`: everything but the stamp and the new password's
// hash (the password kept in `password`), or the answer refusing the body.
struct UserUpdate
{
    qsizetype index = -1;
    authorization::User user;
    std::optional<QString> password;
    QStringList members; // the body's
};
Expected<UserUpdate, http::Response> userUpdateFrom(const Tenant &tenant, const http::Request &request)
{
    const qsizetype index = indexOf(tenant, request.pathParameters.value(QStringLiteral("id")));
    if (index < 0)
        return Unexpected<http::Response>(notFound());
    auto body = readObject(request);
    if (!body)
        return Unexpected<http::Response>(oauth::managementResponse(body.error()));
    const JsonReader read = bodyReader(*body);
    if (read.allowOnly(kUserMembers))
        checkConnection(read, tenant, false);
    authorization::User user = tenant.users.at(index);
    applyUser(read, user, false);
    const std::optional<QString> password = boundedString(read["password"], {1, 100'000}, Spaces::Kept, {});
    if (auto refusal = refusalOf(read))
        return Unexpected<http::Response>(*refusal);
    if (password) {
        if (auto weak = passwordProblem(*password))
            return Unexpected<http::Response>(oauth::managementResponse(*weak));
    }
    if (emailTaken(tenant, user.email, user.userId))
        return Unexpected<http::Response>(userExists());
    return UserUpdate{index, std::move(user), password, body->keys()};
}

} // namespace

http::Response Users::list(const http::Request &request)
{
    const QString engine = request.query.value(u"search_engine");
    if (!engine.isNull() && engine != QLatin1String("v3"))
        return queryError(QStringLiteral("Invalid value \"%1\" for property search_engine (only v3 is served)").arg(engine.left(20)));
    UserPredicate wanted = [](const authorization::User &) { return true; };
    if (const QString q = request.query.value(u"q"); !q.trimmed().isEmpty()) {
        auto parsed = parseUserQuery(q);
        if (!parsed)
            return queryError(QStringLiteral("Unsupported query: %1 on property q").arg(parsed.error()));
        wanted = *parsed;
    }
    QJsonArray all;
    for (const authorization::User &user : m_context.tenant().users) {
        if (wanted(user))
            all.append(userJson(user, m_context.tenant().connection));
    }
    return pageOf(request, QStringLiteral("users"), all);
}

http::Response Users::listByEmail(const http::Request &request)
{
    const QString email = request.query.value(u"email");
    if (email.trimmed().isEmpty())
        return queryError(QStringLiteral("Missing required property: email"));
    const QString wanted = authorization::normalizedLogin(email);
    QJsonArray found;
    for (const authorization::User &user : m_context.tenant().users) {
        if (authorization::normalizedLogin(user.email) == wanted)
            found.append(userJson(user, m_context.tenant().connection));
    }
    return jsonAnswer(200, found);
}

http::Response Users::get(const http::Request &request)
{
    const qsizetype index = indexOf(m_context.tenant(), request.pathParameters.value(QStringLiteral("id")));
    if (index < 0)
        return notFound();
    return jsonAnswer(200, userJson(m_context.tenant().users.at(index), m_context.tenant().connection));
}

http::Response Users::create(const http::Request &request)
{
    auto made = newUserFrom(m_context.tenant(), request);
    if (!made)
        return made.error();
    authorization::User user = std::move(made->user);
    const QString at = now();
    user.auth0Profile.insert(QStringLiteral("created_at"), at);
    user.auth0Profile.insert(QStringLiteral("updated_at"), at);
    // Hashed before the call took the Management API's lock, off the HTTP worker (ManagementApi).
    user.passwordHash = m_context.hashOf(made->password);
    Tenant next = m_context.tenant();
    next.users.append(user);
    const QString connection = next.connection;
    return m_context.commit(std::move(next), QStringLiteral("created the user %1").arg(user.subject()),
                            [user, connection] { return jsonAnswer(201, userJson(user, connection)); });
}

http::Response Users::update(const http::Request &request)
{
    auto change = userUpdateFrom(m_context.tenant(), request);
    if (!change)
        return change.error();
    authorization::User &user = change->user;
    if (change->password)
        user.passwordHash = m_context.hashOf(*change->password); // the old one fails from the next login on
    user.auth0Profile.insert(QStringLiteral("updated_at"), now());
    Tenant next = m_context.tenant();
    next.users[change->index] = user;
    const authorization::User updated = user;
    const QString connection = next.connection;
    QStringList changed = change->members;
    changed.removeAll(QStringLiteral("password"));
    if (change->password)
        changed.append(QStringLiteral("password (rehashed)"));
    return m_context.commit(std::move(next), QStringLiteral("updated the user %1: %2").arg(updated.subject(), changed.join(QStringLiteral(", "))),
                            [updated, connection] { return jsonAnswer(200, userJson(updated, connection)); });
}

ManagementContext::SecretsToHash Users::secretsToCreate(const Tenant &tenant, const http::Request &request, const QStringList &)
{
    auto made = newUserFrom(tenant, request);
    if (!made)
        return {};
    return {{made->password}, {}};
}

ManagementContext::SecretsToHash Users::secretsToUpdate(const Tenant &tenant, const http::Request &request, const QStringList &)
{
    auto change = userUpdateFrom(tenant, request);
    if (!change || !change->password)
        return {};
    return {{*change->password}, {}};
}

http::Response Users::remove(const http::Request &request)
{
    const qsizetype index = indexOf(m_context.tenant(), request.pathParameters.value(QStringLiteral("id")));
    if (index < 0)
        return notFound();
    Tenant next = m_context.tenant();
    const authorization::User removed = next.users.takeAt(index);
    // From the next request on the user cannot log in, their browser sessions count as logged out and their
    // refresh tokens are refused (browsersession.cpp, refreshtokengrant.cpp look the subject up in the
    // tenant each time); access tokens already issued run out at their expiry, as with Auth0.
    return m_context.commit(std::move(next), QStringLiteral("deleted the user %1").arg(removed.subject()), [] { return http::Response::noContent(); });
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
