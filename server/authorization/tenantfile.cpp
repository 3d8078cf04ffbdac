#include "tenantfile.h"

#include "passwordhash.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

namespace organizer::authorization {

namespace {

const QSet<QString> kGrantTypes{QStringLiteral("implicit"), QStringLiteral("authorization_code"), QStringLiteral("refresh_token"),
                                QStringLiteral("client_credentials")};

// Stable ids for entries a tenant file leaves unnamed: the same file gives the same ids every start.
QString derivedId(const QString &prefix, const QString &seed, int hexDigits)
{
    return prefix + QString::fromLatin1(QCryptographicHash::hash(seed.toUtf8(), QCryptographicHash::Sha256).toHex().left(hexDigits));
}

QJsonObject permissionsToJson(const QHash<QString, QStringList> &permissions)
{
    QJsonObject object;
    for (auto it = permissions.constBegin(); it != permissions.constEnd(); ++it)
        object.insert(it.key(), QJsonArray::fromStringList(it.value()));
    return object;
}

// Reads one JSON document field by field; the first problem found is the error reported.
class Reader
{
public:
    QString error;

    bool ok() const { return error.isEmpty(); }
    void fail(const QString &path, const QString &problem)
    {
        if (error.isEmpty())
            error = QStringLiteral("%1: %2").arg(path, problem);
    }

    QString string(const QJsonObject &object, const QString &path, const char *name, bool required, const QString &fallback = {})
    {
        const QJsonValue value = object.value(QLatin1String(name));
        if (value.isUndefined()) {
            if (required)
                fail(path + QLatin1Char('.') + QLatin1String(name), QStringLiteral("is required"));
            return fallback;
        }
        if (!value.isString() || (required && value.toString().isEmpty())) {
            fail(path + QLatin1Char('.') + QLatin1String(name), QStringLiteral("must be a non-empty string"));
            return fallback;
        }
        return value.toString();
    }
    bool boolean(const QJsonObject &object, const QString &path, const char *name, bool fallback)
    {
        const QJsonValue value = object.value(QLatin1String(name));
        if (value.isUndefined())
            return fallback;
        if (!value.isBool())
            fail(path + QLatin1Char('.') + QLatin1String(name), QStringLiteral("must be true or false"));
        return value.toBool(fallback);
    }
    qint64 integer(const QJsonObject &object, const QString &path, const char *name, qint64 fallback, qint64 min, qint64 max)
    {
        const QJsonValue value = object.value(QLatin1String(name));
        if (value.isUndefined())
            return fallback;
        const double number = value.toDouble(-1);
        if (!value.isDouble() || number != double(qint64(number)) || number < double(min) || number > double(max)) {
            fail(path + QLatin1Char('.') + QLatin1String(name), QStringLiteral("must be a whole number from %1 to %2").arg(min).arg(max));
            return fallback;
        }
        return qint64(number);
    }
    QStringList strings(const QJsonObject &object, const QString &path, const char *name)
    {
        const QJsonValue value = object.value(QLatin1String(name));
        QStringList out;
        if (value.isUndefined())
            return out;
        if (!value.isArray()) {
            fail(path + QLatin1Char('.') + QLatin1String(name), QStringLiteral("must be an array of strings"));
            return out;
        }
        const QJsonArray array = value.toArray();
        for (qsizetype i = 0; i < array.size(); ++i) {
            if (!array.at(i).isString() || array.at(i).toString().isEmpty())
                fail(QStringLiteral("%1.%2[%3]").arg(path, QLatin1String(name)).arg(i), QStringLiteral("must be a non-empty string"));
            out.append(array.at(i).toString());
        }
        return out;
    }
    QJsonArray array(const QJsonObject &object, const QString &path, const char *name, bool required)
    {
        const QJsonValue value = object.value(QLatin1String(name));
        if (value.isUndefined() && !required)
            return {};
        if (!value.isArray())
            fail(path.isEmpty() ? QLatin1String(name) : path + QLatin1Char('.') + QLatin1String(name), QStringLiteral("must be an array"));
        return value.toArray();
    }
    void url(const QString &value, const QString &path)
    {
        const QUrl url(value, QUrl::StrictMode);
        if (!url.isValid() || url.host().isEmpty() || url.hasFragment() || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")))
            fail(path, QStringLiteral("must be an absolute http(s) URL without a fragment"));
    }
};

Api managementApi(const QString &identifier)
{
    Api api;
    api.id = derivedId(QString(), QStringLiteral("resource-server:management"), 24);
    api.name = QStringLiteral("Organizer Management API");
    api.identifier = identifier;
    api.system = true;
    for (const QString &scope : managementScopes() + currentUserScopes())
        api.scopes.append({scope,
                           scope.section(QLatin1Char(':'), 0, 0).replace(0, 1, scope.at(0).toUpper()) + QLatin1Char(' ')
                               + scope.section(QLatin1Char(':'), 1).replace(QLatin1Char('_'), QLatin1Char(' '))});
    return api;
}

Api readApi(Reader &r, const QJsonObject &o, const QString &path)
{
    Api api;
    api.name = r.string(o, path, "name", true);
    api.identifier = r.string(o, path, "identifier", true);
    api.id = r.string(o, path, "id", false, derivedId(QString(), QStringLiteral("resource-server:") + api.identifier, 24));
    api.signingAlgorithm = r.string(o, path, "signing_alg", false, QStringLiteral("RS256"));
    if (api.signingAlgorithm != QLatin1String("RS256"))
        r.fail(path + QLatin1String(".signing_alg"), QStringLiteral("only RS256 is supported"));
    api.tokenLifetimeSeconds = r.integer(o, path, "token_lifetime", 86400, 60, 2592000);
    api.rbac = r.boolean(o, path, "rbac", false);
    api.addPermissionsToAccessToken = r.boolean(o, path, "add_permissions_in_token", false);
    api.allowOfflineAccess = r.boolean(o, path, "allow_offline_access", false);
    api.refreshTokenLifetimeSeconds = r.integer(o, path, "refresh_token_lifetime", 2'592'000, 1, 31'536'000);
    api.refreshTokenIdleLifetimeSeconds = r.integer(o, path, "refresh_token_idle_lifetime", 1'296'000, 1, 31'536'000);
    const QString profile = r.string(o, path, "token_profile", false, QStringLiteral("auth0"));
    if (profile == QLatin1String("rfc9068"))
        api.profile = TokenProfile::Rfc9068;
    else if (profile != QLatin1String("auth0"))
        r.fail(path + QLatin1String(".token_profile"), QStringLiteral("must be \"auth0\" or \"rfc9068\""));
    const QJsonArray scopes = r.array(o, path, "scopes", true);
    for (qsizetype i = 0; i < scopes.size(); ++i) {
        const QString scopePath = QStringLiteral("%1.scopes[%2]").arg(path).arg(i);
        const QJsonObject scope = scopes.at(i).toObject();
        ApiScope entry{r.string(scope, scopePath, "value", true), r.string(scope, scopePath, "description", true)};
        if (entry.value.contains(QLatin1Char(' ')))
            r.fail(scopePath + QLatin1String(".value"), QStringLiteral("must not contain spaces"));
        api.scopes.append(entry);
    }
    const QJsonArray declared = r.array(o, path, "organizer_apis", false);
    for (qsizetype i = 0; i < declared.size(); ++i) {
        auto spec = catalogue::declaredApiFromJson(declared.at(i).toObject(), QStringLiteral("%1.organizer_apis[%2]").arg(path).arg(i));
        if (!spec)
            r.fail(spec.error().section(QStringLiteral(": "), 0, 0), spec.error().section(QStringLiteral(": "), 1)); // the path down to the field
        else
            api.declaredApis.append(*spec);
    }
    return api;
}

Client readClient(Reader &r, const QJsonObject &o, const QString &path)
{
    Client client;
    client.clientId = r.string(o, path, "client_id", true);
    client.name = r.string(o, path, "name", true);
    const QString type = r.string(o, path, "type", true);
    if (type == QLatin1String("confidential"))
        client.confidential = true;
    else if (type != QLatin1String("public"))
        r.fail(path + QLatin1String(".type"), QStringLiteral("must be \"public\" or \"confidential\""));
    client.grantTypes = r.strings(o, path, "grant_types");
    for (qsizetype i = 0; i < client.grantTypes.size(); ++i) {
        if (!kGrantTypes.contains(client.grantTypes.at(i)))
            r.fail(QStringLiteral("%1.grant_types[%2]").arg(path).arg(i),
                   QStringLiteral("\"%1\" is not one of implicit, authorization_code, refresh_token, client_credentials").arg(client.grantTypes.at(i)));
    }
    if (client.allowsGrant(QStringLiteral("client_credentials")) && !client.confidential)
        r.fail(path + QLatin1String(".grant_types"), QStringLiteral("client_credentials needs a confidential client"));
    client.callbacks = r.strings(o, path, "callbacks");
    for (qsizetype i = 0; i < client.callbacks.size(); ++i) {
        const QString where = QStringLiteral("%1.callbacks[%2]").arg(path).arg(i);
        r.url(client.callbacks.at(i), where);
        // This host's cookies reach every port of it: a loopback callback below a path the server's
        // cookies are scoped to would receive the user's session.
        const QUrl callback(client.callbacks.at(i));
        if (isLoopbackRedirect(callback)) {
            for (const QString &cookiePath : sessionCookiePaths()) {
                if (callback.path() == cookiePath || callback.path().startsWith(cookiePath + QLatin1Char('/')))
                    r.fail(where, QStringLiteral("a loopback callback may not use the path %1, where the server's session cookie is sent").arg(cookiePath));
            }
        }
    }
    client.logoutUrls = r.strings(o, path, "logout_urls");
    for (qsizetype i = 0; i < client.logoutUrls.size(); ++i)
        r.url(client.logoutUrls.at(i), QStringLiteral("%1.logout_urls[%2]").arg(path).arg(i));
    client.webOrigins = r.strings(o, path, "web_origins");
    client.secretHash = r.string(o, path, "client_secret_hash", false);
    if (client.confidential && !isPasswordHash(client.secretHash))
        r.fail(path + QLatin1String(".client_secret_hash"), QStringLiteral("a confidential client needs a hash from 'organizer-server hash-password'"));
    client.demo = r.boolean(o, path, "demo", false);
    const QJsonArray grants = r.array(o, path, "client_grants", false);
    for (qsizetype i = 0; i < grants.size(); ++i) {
        const QString grantPath = QStringLiteral("%1.client_grants[%2]").arg(path).arg(i);
        const QJsonObject grant = grants.at(i).toObject();
        const QString audience = r.string(grant, grantPath, "audience", true);
        client.clientGrants.append(
            {r.string(grant, grantPath, "id", false, derivedId(QStringLiteral("cgr_"), client.clientId + QLatin1Char('\n') + audience, 16)), audience,
             r.strings(grant, grantPath, "scopes")});
    }
    return client;
}

User readUser(Reader &r, const QJsonObject &o, const QString &path)
{
    User user;
    user.userId = r.string(o, path, "user_id", true);
    user.email = r.string(o, path, "email", true);
    user.name = r.string(o, path, "name", false, user.email);
    user.nickname = r.string(o, path, "nickname", false, user.email.section(QLatin1Char('@'), 0, 0));
    user.passwordHash = r.string(o, path, "password_hash", true);
    if (!user.passwordHash.isEmpty() && !isPasswordHash(user.passwordHash))
        r.fail(path + QLatin1String(".password_hash"), QStringLiteral("is not a hash from 'organizer-server hash-password'"));
    user.emailVerified = r.boolean(o, path, "email_verified", true);
    user.demo = r.boolean(o, path, "demo", false);
    const QJsonObject permissions = o.value(QLatin1String("permissions")).toObject();
    for (auto it = permissions.constBegin(); it != permissions.constEnd(); ++it)
        user.permissions.insert(it.key(), r.strings(permissions, path + QLatin1String(".permissions"), it.key().toUtf8().constData()));
    user.roles = r.strings(o, path, "roles");
    return user;
}

Role readRole(Reader &r, const QJsonObject &o, const QString &path)
{
    Role role;
    role.name = r.string(o, path, "name", true);
    role.id = r.string(o, path, "id", false, derivedId(QStringLiteral("rol_"), QStringLiteral("role:") + role.name, 16));
    role.description = r.string(o, path, "description", false);
    const QJsonObject permissions = o.value(QLatin1String("permissions")).toObject();
    for (auto it = permissions.constBegin(); it != permissions.constEnd(); ++it)
        role.permissions.insert(it.key(), r.strings(permissions, path + QLatin1String(".permissions"), it.key().toUtf8().constData()));
    return role;
}

} // namespace

QByteArray tenantToJson(const Tenant &tenant)
{
    QJsonArray apis;
    for (const Api &api : tenant.apis) {
        if (api.system)
            continue;
        QJsonArray scopes;
        for (const ApiScope &scope : api.scopes)
            scopes.append(QJsonObject{{QStringLiteral("value"), scope.value}, {QStringLiteral("description"), scope.description}});
        QJsonObject object{{QStringLiteral("id"), api.id},
                           {QStringLiteral("name"), api.name},
                           {QStringLiteral("identifier"), api.identifier},
                           {QStringLiteral("signing_alg"), api.signingAlgorithm},
                           {QStringLiteral("token_lifetime"), api.tokenLifetimeSeconds},
                           {QStringLiteral("rbac"), api.rbac},
                           {QStringLiteral("add_permissions_in_token"), api.addPermissionsToAccessToken},
                           {QStringLiteral("token_profile"), api.profile == TokenProfile::Rfc9068 ? QStringLiteral("rfc9068") : QStringLiteral("auth0")},
                           {QStringLiteral("allow_offline_access"), api.allowOfflineAccess},
                           {QStringLiteral("refresh_token_lifetime"), api.refreshTokenLifetimeSeconds},
                           {QStringLiteral("refresh_token_idle_lifetime"), api.refreshTokenIdleLifetimeSeconds},
                           {QStringLiteral("scopes"), scopes}};
        if (!api.declaredApis.isEmpty()) {
            QJsonArray declared;
            for (const catalogue::ApiSpec &spec : api.declaredApis) {
                QJsonObject entry = catalogue::apiToJson(spec);
                // Only what declaredApiFromJson() reads: the rest is derived again.
                for (const char *derived : {"path", "scopes", "builtin"})
                    entry.remove(QLatin1String(derived));
                declared.append(entry);
            }
            object.insert(QStringLiteral("organizer_apis"), declared);
        }
        apis.append(object);
    }
    QJsonArray clients;
    for (const Client &client : tenant.clients) {
        QJsonArray grants;
        for (const ClientGrant &grant : client.clientGrants)
            grants.append(QJsonObject{
                {QStringLiteral("id"), grant.id},
                {QStringLiteral("audience"), grant.audience == tenant.managementAudience && !grant.setAside ? QString(kManagementAudience) : grant.audience},
                {QStringLiteral("scopes"), QJsonArray::fromStringList(grant.scopes)}});
        QJsonObject object{{QStringLiteral("client_id"), client.clientId},
                           {QStringLiteral("name"), client.name},
                           {QStringLiteral("type"), client.confidential ? QStringLiteral("confidential") : QStringLiteral("public")},
                           {QStringLiteral("grant_types"), QJsonArray::fromStringList(client.grantTypes)},
                           {QStringLiteral("callbacks"), QJsonArray::fromStringList(client.callbacks)},
                           {QStringLiteral("logout_urls"), QJsonArray::fromStringList(client.logoutUrls)},
                           {QStringLiteral("web_origins"), QJsonArray::fromStringList(client.webOrigins)},
                           {QStringLiteral("demo"), client.demo},
                           {QStringLiteral("client_grants"), grants}};
        if (!client.secretHash.isEmpty())
            object.insert(QStringLiteral("client_secret_hash"), client.secretHash);
        clients.append(object);
    }
    QJsonArray users;
    for (const User &user : tenant.users)
        users.append(QJsonObject{{QStringLiteral("user_id"), user.userId},
                                 {QStringLiteral("email"), user.email},
                                 {QStringLiteral("name"), user.name},
                                 {QStringLiteral("nickname"), user.nickname},
                                 {QStringLiteral("password_hash"), user.passwordHash},
                                 {QStringLiteral("email_verified"), user.emailVerified},
                                 {QStringLiteral("demo"), user.demo},
                                 {QStringLiteral("permissions"), permissionsToJson(user.permissions)},
                                 {QStringLiteral("roles"), QJsonArray::fromStringList(user.roles)}});
    QJsonArray roles;
    for (const Role &role : tenant.roles)
        roles.append(QJsonObject{{QStringLiteral("id"), role.id},
                                 {QStringLiteral("name"), role.name},
                                 {QStringLiteral("description"), role.description},
                                 {QStringLiteral("permissions"), permissionsToJson(role.permissions)}});
    return QJsonDocument(
               QJsonObject{
                   {QStringLiteral("apis"), apis}, {QStringLiteral("clients"), clients}, {QStringLiteral("users"), users}, {QStringLiteral("roles"), roles}})
        .toJson(QJsonDocument::Indented);
}

Expected<Tenant, QString> parseTenant(const QByteArray &json)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return Unexpected<QString>(QStringLiteral("not valid JSON: %1 at byte %2").arg(parseError.errorString()).arg(parseError.offset));
    if (!document.isObject())
        return Unexpected<QString>(QStringLiteral("the tenant must be a JSON object"));
    const QJsonObject root = document.object();
    Reader r;
    Tenant tenant;
    const QJsonArray apis = r.array(root, {}, "apis", true);
    for (qsizetype i = 0; i < apis.size(); ++i)
        tenant.apis.append(readApi(r, apis.at(i).toObject(), QStringLiteral("apis[%1]").arg(i)));
    const QJsonArray clients = r.array(root, {}, "clients", true);
    for (qsizetype i = 0; i < clients.size(); ++i)
        tenant.clients.append(readClient(r, clients.at(i).toObject(), QStringLiteral("clients[%1]").arg(i)));
    const QJsonArray users = r.array(root, {}, "users", false);
    for (qsizetype i = 0; i < users.size(); ++i)
        tenant.users.append(readUser(r, users.at(i).toObject(), QStringLiteral("users[%1]").arg(i)));
    const QJsonArray roles = r.array(root, {}, "roles", false);
    for (qsizetype i = 0; i < roles.size(); ++i)
        tenant.roles.append(readRole(r, roles.at(i).toObject(), QStringLiteral("roles[%1]").arg(i)));
    tenant.managementAudience = kManagementAudience;
    // The Management API is there for grants to name from the start; bindIssuer() gives it its URL.
    tenant.apis.append(managementApi(kManagementAudience));
    if (!r.ok())
        return Unexpected<QString>(r.error);
    // Cross-references: unique ids, grants and permissions naming real APIs and scopes.
    if (auto consistent = checkTenant(tenant); !consistent)
        return Unexpected<QString>(consistent.error());
    return tenant;
}

Expected<Tenant, QString> loadTenant(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Unexpected<QString>(QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    auto tenant = parseTenant(file.read(4 * 1024 * 1024));
    if (!tenant)
        return Unexpected<QString>(QStringLiteral("%1: %2").arg(path, tenant.error()));
    return tenant;
}

QString defaultTenantPath()
{
    return QStringLiteral(":/organizer/tenant.json");
}

} // namespace organizer::authorization
