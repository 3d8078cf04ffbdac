#include "tenant.h"

#include <QHostAddress>
#include <QJsonObject>
#include <QSet>

#include <cmath>

namespace organizer::authorization {

namespace {

bool isLoopbackLiteral(const QUrl &url)
{
    const QHostAddress address(url.host());
    return !address.isNull() && address.isLoopback();
}

// The first problem found is the one reported, as the tenant file's reader reports its own.
struct FirstProblem
{
    QString text;

    void add(const QString &path, const QString &problem)
    {
        if (text.isEmpty())
            text = QStringLiteral("%1: %2").arg(path, problem);
    }
};

// Permissions (per API identifier) must name real APIs and their scopes.
void checkPermissions(FirstProblem &r, const Tenant &tenant, const QHash<QString, QStringList> &permissions, const QString &path)
{
    for (auto it = permissions.constBegin(); it != permissions.constEnd(); ++it) {
        const Api *api = tenant.api(it.key());
        if (!api) {
            r.add(QStringLiteral("%1.%2").arg(path, it.key()), QStringLiteral("no API has this identifier"));
            continue;
        }
        for (const QString &scope : it.value()) {
            if (!api->hasScope(scope))
                r.add(QStringLiteral("%1.%2").arg(path, it.key()), QStringLiteral("\"%1\" is not a scope of this API").arg(scope));
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

QString absoluteUrlProblem(const QString &url)
{
    const QUrl parsed(url, QUrl::StrictMode);
    if (!parsed.isValid() || parsed.host().isEmpty() || parsed.hasFragment()
        || (parsed.scheme() != QLatin1String("http") && parsed.scheme() != QLatin1String("https")))
        return QStringLiteral("must be an absolute http(s) URL without a fragment");
    return {};
}

QString tokenDialectOf(const Api &api)
{
    const bool authz = api.rbac && api.addPermissionsToAccessToken;
    if (api.profile == TokenProfile::Rfc9068)
        return authz ? QStringLiteral("rfc9068_profile_authz") : QStringLiteral("rfc9068_profile");
    return authz ? QStringLiteral("access_token_authz") : QStringLiteral("access_token");
}

bool applyTokenDialect(Api &api, const QString &dialect)
{
    if (dialect == QLatin1String("access_token") || dialect == QLatin1String("access_token_authz"))
        api.profile = TokenProfile::Auth0;
    else if (dialect == QLatin1String("rfc9068_profile") || dialect == QLatin1String("rfc9068_profile_authz"))
        api.profile = TokenProfile::Rfc9068;
    else
        return false;
    api.addPermissionsToAccessToken = dialect.endsWith(QLatin1String("_authz"));
    return true;
}

QString callbackProblem(const QString &url)
{
    if (QString problem = absoluteUrlProblem(url); !problem.isEmpty())
        return problem;
    // This host's cookies reach every port of it: a loopback callback below a path the server's
    // cookies are scoped to would receive the user's session.
    const QUrl callback(url);
    if (isLoopbackRedirect(callback)) {
        for (const QString &cookiePath : sessionCookiePaths()) {
            if (callback.path() == cookiePath || callback.path().startsWith(cookiePath + QLatin1Char('/')))
                return QStringLiteral("a loopback callback may not use the path %1, where the server's session cookie is sent").arg(cookiePath);
        }
    }
    return {};
}

qint64 Client::idTokenLifetime() const
{
    const QJsonValue lifetime = auth0Settings.value(QLatin1String("jwt_configuration")).toObject().value(QLatin1String("lifetime_in_seconds"));
    const double seconds = lifetime.toDouble(-1);
    // The Management API and the tenant file refuse anything else; a value from an older store that is out
    // of range falls back to the default rather than minting a token that is already expired or lives for years.
    if (!lifetime.isDouble() || seconds != std::floor(seconds) || seconds < 1 || seconds > kLongestIdTokenLifetime)
        return kDefaultIdTokenLifetime;
    return static_cast<qint64>(seconds);
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

Expected<Done, QString> checkTenant(const Tenant &tenant)
{
    FirstProblem r;
    QSet<QString> apiKeys;
    for (qsizetype i = 0; i < tenant.apis.size(); ++i) {
        const Api &api = tenant.apis.at(i);
        if (apiKeys.contains(api.identifier))
            r.add(QStringLiteral("apis[%1].identifier").arg(i), QStringLiteral("\"%1\" is used twice").arg(api.identifier));
        if (apiKeys.contains(QStringLiteral("id:") + api.id))
            r.add(QStringLiteral("apis[%1].id").arg(i), QStringLiteral("\"%1\" is used twice").arg(api.id));
        apiKeys.insert(api.identifier);
        apiKeys.insert(QStringLiteral("id:") + api.id);
        QSet<QString> declaredNames;
        for (const catalogue::ApiSpec &declared : api.declaredApis) {
            if (declaredNames.contains(declared.name) || catalogue::organizerService().apiServedAt(declared.name)
                || catalogue::organizerService().api(declared.name))
                r.add(QStringLiteral("apis[%1].organizer_apis").arg(i), QStringLiteral("\"%1\" names an API twice").arg(declared.name));
            declaredNames.insert(declared.name);
        }
    }
    QSet<QString> roleKeys;
    for (qsizetype i = 0; i < tenant.roles.size(); ++i) {
        const Role &role = tenant.roles.at(i);
        if (roleKeys.contains(role.id) || roleKeys.contains(QStringLiteral("name:") + role.name))
            r.add(QStringLiteral("roles[%1]").arg(i), QStringLiteral("the id \"%1\" or the name \"%2\" is used twice").arg(role.id, role.name));
        roleKeys.insert(role.id);
        roleKeys.insert(QStringLiteral("name:") + role.name);
        checkPermissions(r, tenant, role.permissions, QStringLiteral("roles[%1].permissions").arg(i));
    }
    QSet<QString> seen;
    for (qsizetype i = 0; i < tenant.clients.size(); ++i) {
        const Client &client = tenant.clients.at(i);
        if (seen.contains(client.clientId))
            r.add(QStringLiteral("clients[%1].client_id").arg(i), QStringLiteral("\"%1\" is used twice").arg(client.clientId));
        seen.insert(client.clientId);
        QSet<QString> audiences;
        for (qsizetype g = 0; g < client.clientGrants.size(); ++g) {
            const ClientGrant &grant = client.clientGrants.at(g);
            if (audiences.contains(grant.audience))
                r.add(QStringLiteral("clients[%1].client_grants[%2].audience").arg(i).arg(g),
                      QStringLiteral("the client has a grant for \"%1\" already").arg(grant.audience));
            audiences.insert(grant.audience);
            const Api *api = tenant.api(grant.audience);
            if (!api) {
                r.add(QStringLiteral("clients[%1].client_grants[%2].audience").arg(i).arg(g),
                      QStringLiteral("no API has identifier \"%1\"").arg(grant.audience));
                continue;
            }
            for (const QString &scope : grant.scopes) {
                if (!api->hasScope(scope))
                    r.add(QStringLiteral("clients[%1].client_grants[%2].scopes").arg(i).arg(g),
                          QStringLiteral("\"%1\" is not a scope of %2").arg(scope, api->identifier));
            }
        }
    }
    seen.clear();
    for (qsizetype i = 0; i < tenant.users.size(); ++i) {
        const User &user = tenant.users.at(i);
        if (seen.contains(user.email.toLower()))
            r.add(QStringLiteral("users[%1].email").arg(i), QStringLiteral("\"%1\" is used twice").arg(user.email));
        seen.insert(user.email.toLower());
        checkPermissions(r, tenant, user.permissions, QStringLiteral("users[%1].permissions").arg(i));
        for (const QString &roleId : user.roles) {
            if (!tenant.role(roleId))
                r.add(QStringLiteral("users[%1].roles").arg(i), QStringLiteral("no role has the id \"%1\"").arg(roleId));
        }
    }
    if (!r.text.isEmpty())
        return Unexpected<QString>(r.text);
    return Done{};
}

} // namespace organizer::authorization
