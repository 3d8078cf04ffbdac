#include "tenant.h"

#include "passwordhash.h"

#include <QCryptographicHash>
#include <QFile>
#include <QHostAddress>
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

bool isLoopbackLiteral(const QUrl &url)
{
    const QHostAddress address(url.host());
    return !address.isNull() && address.isLoopback();
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
        if (isLoopbackLiteral(callback) || callback.host() == QLatin1String("localhost")) {
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

// Permissions (per API identifier) must name real APIs and their scopes.
void checkPermissions(Reader &r, const Tenant &tenant, const QHash<QString, QStringList> &permissions, const QString &path)
{
    for (auto it = permissions.constBegin(); it != permissions.constEnd(); ++it) {
        const Api *api = tenant.api(it.key());
        if (!api) {
            r.fail(QStringLiteral("%1.%2").arg(path, it.key()), QStringLiteral("no API has this identifier"));
            continue;
        }
        for (const QString &scope : it.value()) {
            if (!api->hasScope(scope))
                r.fail(QStringLiteral("%1.%2").arg(path, it.key()), QStringLiteral("\"%1\" is not a scope of this API").arg(scope));
        }
    }
}

} // namespace

bool Api::hasScope(const QString &scope) const
{
    for (const ApiScope &entry : scopes) {
        if (entry.value == scope)
            return true;
    }
    return false;
}

QStringList Api::scopeValues() const
{
    QStringList values;
    for (const ApiScope &entry : scopes)
        values.append(entry.value);
    return values;
}

QString Api::describe(const QString &scope) const
{
    for (const ApiScope &entry : scopes) {
        if (entry.value == scope)
            return entry.description;
    }
    return scope;
}

bool isLoopbackRedirect(const QUrl &redirectUri)
{
    return isLoopbackLiteral(redirectUri) || redirectUri.host().compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0;
}

const QStringList &sessionCookiePaths()
{
    static const QStringList paths{QStringLiteral("/authorize"), QStringLiteral("/login"), QStringLiteral("/consent"), QStringLiteral("/v2/logout"),
                                   QStringLiteral("/oidc/logout")};
    return paths;
}

bool Client::allowsRedirect(const QUrl &redirectUri) const
{
    const QString text = redirectUri.toString(QUrl::FullyEncoded);
    for (const QString &callback : callbacks) {
        if (callback == text)
            return true;
        const QUrl allowed(callback);
        // RFC 8252 §7.3: a native app's loopback redirect may use any port, the rest must match exactly.
        if (isLoopbackLiteral(allowed) && allowed.port() == -1 && isLoopbackLiteral(redirectUri) && redirectUri.host() == allowed.host()
            && redirectUri.scheme() == QLatin1String("http") && allowed.scheme() == QLatin1String("http")) {
            QUrl withoutPort = redirectUri;
            withoutPort.setPort(-1);
            if (withoutPort.toString(QUrl::FullyEncoded) == allowed.toString(QUrl::FullyEncoded))
                return true;
        }
    }
    return false;
}

bool Client::allowsLogoutUrl(const QUrl &url) const
{
    return logoutUrls.contains(url.toString(QUrl::FullyEncoded));
}

const ClientGrant *Client::grantFor(const QString &audience) const
{
    for (const ClientGrant &grant : clientGrants) {
        if (grant.audience == audience && !grant.setAside)
            return &grant;
    }
    return nullptr;
}

const Api *Tenant::api(const QString &identifier) const
{
    // An API set aside by bindIssuer() is never an audience: the system API answers for its identifier.
    for (const Api &entry : apis) {
        if (entry.identifier == identifier && !entry.setAside)
            return &entry;
    }
    return nullptr;
}

const Client *Tenant::client(const QString &clientId) const
{
    for (const Client &entry : clients) {
        if (entry.clientId == clientId)
            return &entry;
    }
    return nullptr;
}

QString normalizedLogin(const QString &login)
{
    return login.trimmed().normalized(QString::NormalizationForm_KC).toCaseFolded();
}

const User *Tenant::userByLogin(const QString &login) const
{
    const QString wanted = normalizedLogin(login);
    for (const User &entry : users) {
        if (normalizedLogin(entry.email) == wanted)
            return &entry;
    }
    return nullptr;
}

const User *Tenant::userBySubject(const QString &subject) const
{
    for (const User &entry : users) {
        if (entry.subject() == subject)
            return &entry;
    }
    return nullptr;
}

const Role *Tenant::role(const QString &id) const
{
    for (const Role &entry : roles) {
        if (entry.id == id)
            return &entry;
    }
    return nullptr;
}

QStringList Tenant::permissionsOf(const User &user, const QString &apiIdentifier) const
{
    QStringList permissions = user.permissions.value(apiIdentifier);
    for (const QString &roleId : user.roles) {
        if (const Role *granting = role(roleId))
            permissions += granting->permissions.value(apiIdentifier);
    }
    permissions.removeDuplicates();
    return permissions;
}

void Tenant::bindIssuer(const QString &issuer)
{
    const QString audience = issuer + QStringLiteral("api/v2/");
    for (Api &api : apis) {
        if (api.system)
            api.identifier = audience;
        else if (api.identifier == audience)
            api.setAside = true;
    }
    for (Client &client : clients) {
        for (ClientGrant &grant : client.clientGrants) {
            if (grant.setAside)
                continue;
            if (grant.audience == audience && audience != managementAudience)
                grant.setAside = true; // written for the API set aside above, not for the system API
            else if (grant.audience == managementAudience)
                grant.audience = audience;
        }
    }
    managementAudience = audience;
}

QStringList Tenant::apisNamedLikeTheManagementApi() const
{
    QStringList found;
    for (const Api &entry : apis) {
        if (!entry.system && looksLikeManagementIdentifier(entry.identifier))
            found.append(entry.identifier);
    }
    return found;
}

const QStringList &managementScopes()
{
    static const QStringList scopes{
        QStringLiteral("read:resource_servers"),
        QStringLiteral("create:resource_servers"),
        QStringLiteral("update:resource_servers"),
        QStringLiteral("delete:resource_servers"),
        QStringLiteral("read:clients"),
        QStringLiteral("read:client_grants"),
        QStringLiteral("create:client_grants"),
        QStringLiteral("update:client_grants"),
        QStringLiteral("delete:client_grants"),
        QStringLiteral("read:users"),
        QStringLiteral("update:users"),
        QStringLiteral("read:roles"),
        QStringLiteral("create:roles"),
        QStringLiteral("update:roles"),
        QStringLiteral("delete:roles"),
    };
    return scopes;
}

const QStringList &currentUserScopes()
{
    // Only the one this server can honour: it keeps no user metadata, identities or device credentials.
    static const QStringList scopes{QStringLiteral("read:current_user")};
    return scopes;
}

bool isCurrentUserScope(const QString &scope)
{
    return currentUserScopes().contains(scope);
}

bool looksLikeManagementIdentifier(const QString &identifier)
{
    if (identifier == kManagementAudience)
        return true;
    const QUrl url(identifier.trimmed());
    if (url.scheme().compare(QLatin1String("http"), Qt::CaseInsensitive) != 0 && url.scheme().compare(QLatin1String("https"), Qt::CaseInsensitive) != 0)
        return false;
    // Percent-decoded and without empty segments, so "/api/v2", "/API/v2//" or "/api%2Fv2/" are caught too.
    const QStringList segments = url.path(QUrl::FullyDecoded).split(QLatin1Char('/'), Qt::SkipEmptyParts);
    return segments.size() >= 2 && segments.at(segments.size() - 2).compare(QLatin1String("api"), Qt::CaseInsensitive) == 0
        && segments.last().compare(QLatin1String("v2"), Qt::CaseInsensitive) == 0;
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

bool Tenant::hasDemoEntries() const
{
    for (const User &user : users) {
        if (user.demo)
            return true;
    }
    for (const Client &client : clients) {
        if (client.demo)
            return true;
    }
    return false;
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

    QSet<QString> apiKeys;
    for (qsizetype i = 0; i < tenant.apis.size(); ++i) {
        const Api &api = tenant.apis.at(i);
        if (apiKeys.contains(api.identifier))
            r.fail(QStringLiteral("apis[%1].identifier").arg(i), QStringLiteral("\"%1\" is used twice").arg(api.identifier));
        if (apiKeys.contains(QStringLiteral("id:") + api.id))
            r.fail(QStringLiteral("apis[%1].id").arg(i), QStringLiteral("\"%1\" is used twice").arg(api.id));
        apiKeys.insert(api.identifier);
        apiKeys.insert(QStringLiteral("id:") + api.id);
        QSet<QString> declaredNames;
        for (const catalogue::ApiSpec &declared : api.declaredApis) {
            if (declaredNames.contains(declared.name) || catalogue::organizerService().apiServedAt(declared.name)
                || catalogue::organizerService().api(declared.name))
                r.fail(QStringLiteral("apis[%1].organizer_apis").arg(i), QStringLiteral("\"%1\" names an API twice").arg(declared.name));
            declaredNames.insert(declared.name);
        }
    }
    QSet<QString> roleKeys;
    for (qsizetype i = 0; i < tenant.roles.size(); ++i) {
        const Role &role = tenant.roles.at(i);
        if (roleKeys.contains(role.id) || roleKeys.contains(QStringLiteral("name:") + role.name))
            r.fail(QStringLiteral("roles[%1]").arg(i), QStringLiteral("the id \"%1\" or the name \"%2\" is used twice").arg(role.id, role.name));
        roleKeys.insert(role.id);
        roleKeys.insert(QStringLiteral("name:") + role.name);
        checkPermissions(r, tenant, role.permissions, QStringLiteral("roles[%1].permissions").arg(i));
    }

    // Cross-references: unique ids, grants and permissions naming real APIs and scopes.
    QSet<QString> seen;
    for (qsizetype i = 0; i < tenant.clients.size(); ++i) {
        const Client &client = tenant.clients.at(i);
        if (seen.contains(client.clientId))
            r.fail(QStringLiteral("clients[%1].client_id").arg(i), QStringLiteral("\"%1\" is used twice").arg(client.clientId));
        seen.insert(client.clientId);
        QSet<QString> audiences;
        for (qsizetype g = 0; g < client.clientGrants.size(); ++g) {
            const ClientGrant &grant = client.clientGrants.at(g);
            if (audiences.contains(grant.audience))
                r.fail(QStringLiteral("clients[%1].client_grants[%2].audience").arg(i).arg(g),
                       QStringLiteral("the client has a grant for \"%1\" already").arg(grant.audience));
            audiences.insert(grant.audience);
            const Api *api = tenant.api(grant.audience);
            if (!api) {
                r.fail(QStringLiteral("clients[%1].client_grants[%2].audience").arg(i).arg(g),
                       QStringLiteral("no API has identifier \"%1\"").arg(grant.audience));
                continue;
            }
            for (const QString &scope : grant.scopes) {
                if (!api->hasScope(scope))
                    r.fail(QStringLiteral("clients[%1].client_grants[%2].scopes").arg(i).arg(g),
                           QStringLiteral("\"%1\" is not a scope of %2").arg(scope, api->identifier));
            }
        }
    }
    seen.clear();
    for (qsizetype i = 0; i < tenant.users.size(); ++i) {
        const User &user = tenant.users.at(i);
        if (seen.contains(user.email.toLower()))
            r.fail(QStringLiteral("users[%1].email").arg(i), QStringLiteral("\"%1\" is used twice").arg(user.email));
        seen.insert(user.email.toLower());
        checkPermissions(r, tenant, user.permissions, QStringLiteral("users[%1].permissions").arg(i));
        for (const QString &roleId : user.roles) {
            if (!tenant.role(roleId))
                r.fail(QStringLiteral("users[%1].roles").arg(i), QStringLiteral("no role has the id \"%1\"").arg(roleId));
        }
    }
    if (!r.ok())
        return Unexpected<QString>(r.error);
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
