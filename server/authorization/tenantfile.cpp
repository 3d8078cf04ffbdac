#include "tenantfile.h"

#include "jsonreader.h"
#include "passwordhash.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

namespace organizer::authorization {

namespace {

// Auth0's names; the password grant and its realm variant are each enabled on their own, as in Auth0.
const QSet<QString> kGrantTypes{QStringLiteral("implicit"),           QStringLiteral("authorization_code"), QStringLiteral("refresh_token"),
                                QStringLiteral("client_credentials"), QStringLiteral("password"),           QString(kPasswordRealmGrant)};

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

// The tenant file's words for its problems, as its users and the tests know them.
JsonReadOptions tenantFileOptions()
{
    JsonReadOptions options;
    JsonWording &wording = options.wording;
    wording.missing = QStringLiteral("is required");
    wording.string = wording.nonEmptyString = QStringLiteral("must be a non-empty string");
    wording.boolean = QStringLiteral("must be true or false");
    wording.integerRange = QStringLiteral("must be a whole number from %1 to %2");
    wording.array = QStringLiteral("must be an array");
    wording.stringArray = QStringLiteral("must be an array of strings");
    wording.object = QStringLiteral("must be an object");
    return options;
}

void checkUrl(const JsonReader &at, const QString &value)
{
    if (const QString problem = absoluteUrlProblem(value); !problem.isEmpty())
        at.fail(problem);
}

// Permissions per API identifier. Read leniently, as tenant files always were: anything but an object
// here holds none.
QHash<QString, QStringList> readPermissions(const JsonReader &at)
{
    QHash<QString, QStringList> permissions;
    if (at.isObject())
        at.forEachMember(
            [&](const QString &identifier, const JsonReader &scopes) { permissions.insert(identifier, scopes.strings(JsonReader::NonEmptyStrings)); });
    return permissions;
}

Api managementApi(const QString &identifier, const ManagementApiDefinition &definition)
{
    Api api;
    api.id = derivedId(QString(), QStringLiteral("resource-server:management"), 24);
    api.name = QStringLiteral("Auth0 Management API"); // Auth0's name, which its tools (the Deploy CLI) skip it by
    api.identifier = identifier;
    api.system = true;
    api.currentUserScopes = definition.currentUserScopes;
    for (const QString &scope : definition.scopes + definition.currentUserScopes)
        api.scopes.append({scope,
                           scope.section(QLatin1Char(':'), 0, 0).replace(0, 1, scope.at(0).toUpper()) + QLatin1Char(' ')
                               + scope.section(QLatin1Char(':'), 1).replace(QLatin1Char('_'), QLatin1Char(' '))});
    return api;
}

Api readApi(const JsonReader &o)
{
    Api api;
    api.name = o["name"].requiredString();
    api.identifier = o["identifier"].requiredString();
    api.id = o["id"].string().value_or(derivedId(QString(), QStringLiteral("resource-server:") + api.identifier, 24));
    api.signingAlgorithm = o["signing_alg"].string().value_or(QStringLiteral("RS256"));
    if (api.signingAlgorithm != QLatin1String("RS256"))
        o["signing_alg"].fail(QStringLiteral("only RS256 is supported"));
    api.tokenLifetimeSeconds = o["token_lifetime"].integer(60, 2592000).value_or(86400);
    api.rbac = o["rbac"].boolean().value_or(false);
    api.addPermissionsToAccessToken = o["add_permissions_in_token"].boolean().value_or(false);
    api.allowOfflineAccess = o["allow_offline_access"].boolean().value_or(false);
    api.refreshTokenLifetimeSeconds = o["refresh_token_lifetime"].integer(1, 31'536'000).value_or(2'592'000);
    api.refreshTokenIdleLifetimeSeconds = o["refresh_token_idle_lifetime"].integer(1, 31'536'000).value_or(1'296'000);
    const QString profile = o["token_profile"].string().value_or(QStringLiteral("auth0"));
    if (profile == QLatin1String("rfc9068"))
        api.profile = TokenProfile::Rfc9068;
    else if (profile != QLatin1String("auth0"))
        o["token_profile"].fail(QStringLiteral("must be \"auth0\" or \"rfc9068\""));
    o["scopes"].forEachObject(
        [&api](const JsonReader &scope) {
            ApiScope entry{scope["value"].requiredString(), scope["description"].requiredString()};
            if (entry.value.contains(QLatin1Char(' ')))
                scope["value"].fail(QStringLiteral("must not contain spaces"));
            api.scopes.append(entry);
        },
        JsonReader::Required, o.options().wording.array);
    o["organizer_apis"].forEach([&api](const JsonReader &declared) {
        if (auto spec = catalogue::readDeclaredApi(declared))
            api.declaredApis.append(*spec);
    });
    return api;
}

Client readClient(const JsonReader &o)
{
    Client client;
    client.clientId = o["client_id"].requiredString();
    client.name = o["name"].requiredString();
    const QString type = o["type"].requiredString();
    if (type == QLatin1String("confidential"))
        client.confidential = true;
    else if (type != QLatin1String("public"))
        o["type"].fail(QStringLiteral("must be \"public\" or \"confidential\""));
    client.grantTypes = o["grant_types"].strings(JsonReader::NonEmptyStrings);
    for (qsizetype i = 0; i < client.grantTypes.size(); ++i) {
        if (!kGrantTypes.contains(client.grantTypes.at(i)))
            o["grant_types"].at(i).fail(QStringLiteral("\"%1\" is not one of implicit, authorization_code, refresh_token, client_credentials, password, %2")
                                            .arg(client.grantTypes.at(i), kPasswordRealmGrant));
    }
    if (client.allowsGrant(QStringLiteral("client_credentials")) && !client.confidential)
        o["grant_types"].fail(QStringLiteral("client_credentials needs a confidential client"));
    client.callbacks = o["callbacks"].strings(JsonReader::NonEmptyStrings);
    for (qsizetype i = 0; i < client.callbacks.size(); ++i) {
        if (const QString problem = callbackProblem(client.callbacks.at(i)); !problem.isEmpty())
            o["callbacks"].at(i).fail(problem);
    }
    client.logoutUrls = o["logout_urls"].strings(JsonReader::NonEmptyStrings);
    for (qsizetype i = 0; i < client.logoutUrls.size(); ++i)
        checkUrl(o["logout_urls"].at(i), client.logoutUrls.at(i));
    client.webOrigins = o["web_origins"].strings(JsonReader::NonEmptyStrings);
    client.allowedOrigins = o["allowed_origins"].strings(JsonReader::NonEmptyStrings);
    if (o["auth0_settings"].expectObject(JsonReader::Optional))
        client.auth0Settings = o["auth0_settings"].value().toObject();
    client.secretHash = o["client_secret_hash"].string().value_or(QString());
    if (client.confidential && !isPasswordHash(client.secretHash))
        o["client_secret_hash"].fail(QStringLiteral("a confidential client needs a hash from 'organizer-server hash-password'"));
    client.demo = o["demo"].boolean().value_or(false);
    o["client_grants"].forEachObject([&client](const JsonReader &grant) {
        const QString audience = grant["audience"].requiredString();
        const QString id = grant["id"].string().value_or(derivedId(QStringLiteral("cgr_"), client.clientId + QLatin1Char('\n') + audience, 16));
        client.clientGrants.append({id, audience, grant["scopes"].strings(JsonReader::NonEmptyStrings)});
    });
    return client;
}

User readUser(const JsonReader &o)
{
    User user;
    user.userId = o["user_id"].requiredString();
    user.email = o["email"].requiredString();
    user.name = o["name"].string().value_or(user.email);
    user.nickname = o["nickname"].string().value_or(user.email.section(QLatin1Char('@'), 0, 0));
    user.passwordHash = o["password_hash"].requiredString();
    if (!user.passwordHash.isEmpty() && !isPasswordHash(user.passwordHash))
        o["password_hash"].fail(QStringLiteral("is not a hash from 'organizer-server hash-password'"));
    user.emailVerified = o["email_verified"].boolean().value_or(true);
    user.demo = o["demo"].boolean().value_or(false);
    user.blocked = o["blocked"].boolean().value_or(false);
    if (o["auth0_profile"].expectObject(JsonReader::Optional))
        user.auth0Profile = o["auth0_profile"].value().toObject();
    user.permissions = readPermissions(o["permissions"]);
    user.roles = o["roles"].strings(JsonReader::NonEmptyStrings);
    return user;
}

Role readRole(const JsonReader &o)
{
    Role role;
    role.name = o["name"].requiredString();
    role.id = o["id"].string().value_or(derivedId(QStringLiteral("rol_"), QStringLiteral("role:") + role.name, 16));
    role.description = o["description"].string().value_or(QString());
    role.permissions = readPermissions(o["permissions"]);
    return role;
}

} // namespace

QStringList grantTypesServed()
{
    QStringList served(kGrantTypes.begin(), kGrantTypes.end());
    served.sort();
    return served;
}

QJsonArray declaredApisToJson(const Api &api)
{
    QJsonArray declared;
    for (const catalogue::ApiSpec &spec : api.declaredApis) {
        QJsonObject entry = catalogue::apiToJson(spec);
        // Only what declaredApiFromJson() reads: the rest is derived again.
        for (const char *derived : {"path", "scopes", "builtin"})
            entry.remove(QLatin1String(derived));
        declared.append(entry);
    }
    return declared;
}

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
        if (!api.declaredApis.isEmpty())
            object.insert(QStringLiteral("organizer_apis"), declaredApisToJson(api));
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
        if (!client.allowedOrigins.isEmpty())
            object.insert(QStringLiteral("allowed_origins"), QJsonArray::fromStringList(client.allowedOrigins));
        if (!client.auth0Settings.isEmpty())
            object.insert(QStringLiteral("auth0_settings"), client.auth0Settings);
        clients.append(object);
    }
    QJsonArray users;
    for (const User &user : tenant.users) {
        QJsonObject object{{QStringLiteral("user_id"), user.userId},
                           {QStringLiteral("email"), user.email},
                           {QStringLiteral("name"), user.name},
                           {QStringLiteral("nickname"), user.nickname},
                           {QStringLiteral("password_hash"), user.passwordHash},
                           {QStringLiteral("email_verified"), user.emailVerified},
                           {QStringLiteral("demo"), user.demo},
                           {QStringLiteral("blocked"), user.blocked},
                           {QStringLiteral("permissions"), permissionsToJson(user.permissions)},
                           {QStringLiteral("roles"), QJsonArray::fromStringList(user.roles)}};
        if (!user.auth0Profile.isEmpty())
            object.insert(QStringLiteral("auth0_profile"), user.auth0Profile);
        users.append(object);
    }
    QJsonArray roles;
    for (const Role &role : tenant.roles)
        roles.append(QJsonObject{{QStringLiteral("id"), role.id},
                                 {QStringLiteral("name"), role.name},
                                 {QStringLiteral("description"), role.description},
                                 {QStringLiteral("permissions"), permissionsToJson(role.permissions)}});
    return QJsonDocument(QJsonObject{{QStringLiteral("connection"), tenant.connection},
                                     {QStringLiteral("apis"), apis},
                                     {QStringLiteral("clients"), clients},
                                     {QStringLiteral("users"), users},
                                     {QStringLiteral("roles"), roles}})
        .toJson(QJsonDocument::Indented);
}

Expected<Tenant, QString> parseTenant(const QByteArray &json, const ManagementApiDefinition &management)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return Unexpected<QString>(QStringLiteral("not valid JSON: %1 at byte %2").arg(parseError.errorString()).arg(parseError.offset));
    if (!document.isObject())
        return Unexpected<QString>(QStringLiteral("the tenant must be a JSON object"));
    const JsonReader root(document.object(), {}, tenantFileOptions());
    Tenant tenant;
    tenant.connection = root["connection"].string().value_or(QString(kDefaultConnectionName));
    if (tenant.connection.isEmpty())
        root["connection"].fail(root.options().wording.nonEmptyString);
    root["apis"].forEachObject([&tenant](const JsonReader &api) { tenant.apis.append(readApi(api)); }, JsonReader::Required, root.options().wording.array);
    root["clients"].forEachObject([&tenant](const JsonReader &client) { tenant.clients.append(readClient(client)); }, JsonReader::Required,
                                  root.options().wording.array);
    root["users"].forEachObject([&tenant](const JsonReader &user) { tenant.users.append(readUser(user)); });
    root["roles"].forEachObject([&tenant](const JsonReader &role) { tenant.roles.append(readRole(role)); });
    tenant.managementAudience = kManagementAudience;
    // The Management API is there for grants to name from the start; bindIssuer() gives it its URL.
    tenant.apis.append(managementApi(kManagementAudience, management));
    if (!root.ok())
        return Unexpected<QString>(root.error());
    // Cross-references: unique ids, grants and permissions naming real APIs and scopes.
    if (auto consistent = checkTenant(tenant); !consistent)
        return Unexpected<QString>(consistent.error());
    return tenant;
}

Expected<Tenant, QString> loadTenant(const QString &path, const ManagementApiDefinition &management)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Unexpected<QString>(QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    auto tenant = parseTenant(file.read(4 * 1024 * 1024), management);
    if (!tenant)
        return Unexpected<QString>(QStringLiteral("%1: %2").arg(path, tenant.error()));
    return tenant;
}

QString defaultTenantPath()
{
    return QStringLiteral(":/organizer/tenant.json");
}

} // namespace organizer::authorization
