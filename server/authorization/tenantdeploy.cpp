#include "tenantdeploy.h"

#include "jsonreader.h"
#include "passwordhash.h"
#include "tenantfile.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSaveFile>

#include <yaml.h>

#include <algorithm>

namespace organizer::authorization {

namespace {

const QLatin1String kResourceServers("resourceServers");
const QLatin1String kClients("clients");
const QLatin1String kClientGrants("clientGrants");
const QLatin1String kRoles("roles");

// The Deploy CLI's directory for each section (its constants RESOURCE_SERVERS_DIRECTORY, …).
struct Section
{
    QLatin1String key;
    QLatin1String directory;
};
const Section kSections[] = {{kResourceServers, QLatin1String("resource-servers")},
                             {kClients, QLatin1String("clients")},
                             {kClientGrants, QLatin1String("grants")},
                             {kRoles, QLatin1String("roles")}};

// The ids the tenant file derives for entries it names no id for, so that an import gives an entry the
// id a tenant file with the same entry would (see tenantfile.cpp).
QString derivedId(const QString &prefix, const QString &seed, int hexDigits)
{
    return prefix + QString::fromLatin1(QCryptographicHash::hash(seed.toUtf8(), QCryptographicHash::Sha256).toHex().left(hexDigits));
}

QJsonArray permissionsToDeploy(const QHash<QString, QStringList> &permissions)
{
    QStringList identifiers = permissions.keys();
    identifiers.sort(); // a QHash has no order of its own; an export is the same every time
    QJsonArray array;
    for (const QString &identifier : identifiers)
        for (const QString &scope : permissions.value(identifier))
            array.append(QJsonObject{{QStringLiteral("permission_name"), scope}, {QStringLiteral("resource_server_identifier"), identifier}});
    return array;
}

// The Deploy CLI's file names (sanitize-filename with "-"): what a file system cannot hold becomes "-".
QString fileNameFor(const QString &name)
{
    static const QRegularExpression unsafe(QStringLiteral("[/\\\\?<>:*|\"\\x00-\\x1f\\x80-\\x9f]"));
    QString sanitized = name;
    sanitized.replace(unsafe, QStringLiteral("-"));
    if (sanitized.isEmpty() || sanitized == QLatin1String(".") || sanitized == QLatin1String(".."))
        sanitized = QStringLiteral("undefined");
    return sanitized.left(200);
}

// What an application shows for the members Auth0 has and Organizer derives unless one was kept (as the
// Management API shows them): written on export, and not kept on import when that is all an entry says.
QJsonObject derivedClientDefaults(const Client &client)
{
    QString appType = QStringLiteral("native");
    if (client.allowsGrant(QStringLiteral("client_credentials")))
        appType = QStringLiteral("non_interactive");
    else if (client.confidential)
        appType = QStringLiteral("regular_web");
    return QJsonObject{{QStringLiteral("app_type"), appType},
                       {QStringLiteral("token_endpoint_auth_method"), client.confidential ? QStringLiteral("client_secret_post") : QStringLiteral("none")},
                       {QStringLiteral("is_first_party"), true},
                       {QStringLiteral("oidc_conformant"), true},
                       {QStringLiteral("jwt_configuration"),
                        QJsonObject{{QStringLiteral("alg"), QStringLiteral("RS256")},
                                    {QStringLiteral("lifetime_in_seconds"), kDefaultIdTokenLifetime},
                                    {QStringLiteral("secret_encoded"), false}}}};
}

} // namespace

QJsonObject clientSettingsShown(const Client &client)
{
    QJsonObject shown = client.auth0Settings;
    const QJsonObject defaults = derivedClientDefaults(client);
    for (auto it = defaults.constBegin(); it != defaults.constEnd(); ++it) {
        if (!shown.contains(it.key())) {
            shown.insert(it.key(), it.value());
        } else if (it.value().isObject() && shown.value(it.key()).isObject()) {
            // jwt_configuration: what was kept over the defaults, member by member, as Auth0 shows it.
            QJsonObject merged = it.value().toObject();
            const QJsonObject kept = shown.value(it.key()).toObject();
            for (auto member = kept.constBegin(); member != kept.constEnd(); ++member)
                merged.insert(member.key(), member.value());
            shown.insert(it.key(), merged);
        }
    }
    return shown;
}

namespace {

// The members of Auth0's application that Organizer keeps as given without acting on them (as the Management
// API keeps them); others in an import are left out.
const QSet<QString> &keptClientMembers()
{
    static const QSet<QString> members{QStringLiteral("description"),
                                       QStringLiteral("logo_uri"),
                                       QStringLiteral("app_type"),
                                       QStringLiteral("is_first_party"),
                                       QStringLiteral("oidc_conformant"),
                                       QStringLiteral("jwt_configuration"),
                                       QStringLiteral("token_endpoint_auth_method"),
                                       QStringLiteral("sso"),
                                       QStringLiteral("sso_disabled"),
                                       QStringLiteral("cross_origin_auth"),
                                       QStringLiteral("cross_origin_authentication"),
                                       QStringLiteral("cross_origin_loc"),
                                       QStringLiteral("custom_login_page_on"),
                                       QStringLiteral("initiate_login_uri"),
                                       QStringLiteral("client_metadata"),
                                       QStringLiteral("refresh_token"),
                                       QStringLiteral("client_aliases"),
                                       QStringLiteral("allowed_clients"),
                                       QStringLiteral("native_social_login"),
                                       QStringLiteral("organization_usage"),
                                       QStringLiteral("organization_require_behavior"),
                                       QStringLiteral("is_token_endpoint_ip_header_trusted")};
    return members;
}

} // namespace

QJsonObject tenantToDeploy(const Tenant &tenant)
{
    QJsonArray resourceServers;
    for (const Api &api : tenant.apis) {
        if (api.system || api.setAside)
            continue;
        QJsonArray scopes;
        for (const ApiScope &scope : api.scopes)
            scopes.append(QJsonObject{{QStringLiteral("value"), scope.value}, {QStringLiteral("description"), scope.description}});
        QJsonObject object{{QStringLiteral("name"), api.name},
                           {QStringLiteral("identifier"), api.identifier},
                           {QStringLiteral("scopes"), scopes},
                           {QStringLiteral("signing_alg"), api.signingAlgorithm},
                           {QStringLiteral("token_lifetime"), api.tokenLifetimeSeconds},
                           {QStringLiteral("allow_offline_access"), api.allowOfflineAccess},
                           {QStringLiteral("enforce_policies"), api.rbac},
                           {QStringLiteral("token_dialect"), tokenDialectOf(api)}};
        // Organizer's extension, as the Management API shows it: the APIs declared with records on this resource server.
        if (!api.declaredApis.isEmpty())
            object.insert(QStringLiteral("organizer_apis"), declaredApisToJson(api));
        resourceServers.append(object);
    }
    QJsonArray clients;
    QJsonArray clientGrants;
    for (const Client &client : tenant.clients) {
        // What Auth0 has and Organizer keeps without acting on it, then what it acts on; no client_secret: only its
        // hash is kept, and the Deploy CLI leaves secrets out of exports too.
        QJsonObject object = clientSettingsShown(client);
        const QJsonObject defaults = derivedClientDefaults(client);
        // How it authenticates follows whether it is confidential; a confidential one keeps the method it was given.
        if (!client.confidential || object.value(QLatin1String("token_endpoint_auth_method")).toString() == QLatin1String("none"))
            object.insert(QStringLiteral("token_endpoint_auth_method"), defaults.value(QLatin1String("token_endpoint_auth_method")));
        object.insert(QStringLiteral("name"), client.name);
        object.insert(QStringLiteral("client_id"), client.clientId);
        object.insert(QStringLiteral("grant_types"), QJsonArray::fromStringList(client.grantTypes));
        object.insert(QStringLiteral("callbacks"), QJsonArray::fromStringList(client.callbacks));
        object.insert(QStringLiteral("allowed_logout_urls"), QJsonArray::fromStringList(client.logoutUrls));
        object.insert(QStringLiteral("web_origins"), QJsonArray::fromStringList(client.webOrigins));
        if (!client.allowedOrigins.isEmpty())
            object.insert(QStringLiteral("allowed_origins"), QJsonArray::fromStringList(client.allowedOrigins));
        clients.append(object);
        for (const ClientGrant &grant : client.clientGrants) {
            if (grant.setAside)
                continue;
            clientGrants.append(
                QJsonObject{{QStringLiteral("client_id"), client.name}, // the Deploy CLI names the application, for readability
                            {QStringLiteral("audience"), grant.audience == tenant.managementAudience ? QString(kManagementAudience) : grant.audience},
                            {QStringLiteral("scope"), QJsonArray::fromStringList(grant.scopes)}});
        }
    }
    QJsonArray roles;
    for (const Role &role : tenant.roles)
        roles.append(QJsonObject{{QStringLiteral("name"), role.name},
                                 {QStringLiteral("description"), role.description},
                                 {QStringLiteral("permissions"), permissionsToDeploy(role.permissions)}});
    return QJsonObject{{kResourceServers, resourceServers}, {kClients, clients}, {kClientGrants, clientGrants}, {kRoles, roles}};
}

namespace {

// Where each entry of the merged tenant came from in the document, so that a problem the tenant's own
// check finds ("clients[4].callbacks[0]: …") is named where the document has it.
struct Origins
{
    QHash<qsizetype, qsizetype> apis; // tenant index → resourceServers index
    QHash<qsizetype, qsizetype> clients;
    QHash<qsizetype, qsizetype> roles;
    QHash<QPair<qsizetype, qsizetype>, qsizetype> grants; // (client, grant) → clientGrants index

    QString rename(const QString &problem) const
    {
        static const QRegularExpression located(QStringLiteral("^(apis|clients|roles)\\[(\\d+)\\](?:\\.client_grants\\[(\\d+)\\])?(.*)$"),
                                                QRegularExpression::DotMatchesEverythingOption);
        const QRegularExpressionMatch match = located.match(problem);
        if (!match.hasMatch())
            return problem;
        const QString part = match.captured(1);
        const qsizetype index = match.captured(2).toLongLong();
        const QString rest = match.captured(4);
        if (part == QLatin1String("clients") && match.hasCaptured(3) && !match.captured(3).isEmpty()) {
            const auto key = qMakePair(index, qsizetype(match.captured(3).toLongLong()));
            if (!grants.contains(key))
                return problem;
            QString renamed = rest;
            if (renamed.startsWith(QLatin1String(".scopes")))
                renamed.replace(0, 7, QStringLiteral(".scope"));
            return QStringLiteral("clientGrants[%1]%2").arg(grants.value(key)).arg(renamed);
        }
        const QHash<qsizetype, qsizetype> &map = part == QLatin1String("apis") ? apis : part == QLatin1String("clients") ? clients : roles;
        if (!map.contains(index))
            return problem;
        QString renamed = rest;
        if (part == QLatin1String("clients"))
            renamed.replace(QLatin1String(".logout_urls"), QLatin1String(".allowed_logout_urls"));
        return QStringLiteral("%1[%2]%3").arg(part == QLatin1String("apis") ? QString(kResourceServers) : part).arg(map.value(index)).arg(renamed);
    }
};

void readResourceServer(const JsonReader &o, qsizetype index, Tenant &next, Origins &origins)
{
    const QString identifier = o["identifier"].requiredString();
    if (identifier.isEmpty())
        return;
    if (o["is_system"].boolean().value_or(false) || looksLikeManagementIdentifier(identifier) || identifier == kManagementAudience) {
        o["identifier"].fail(QStringLiteral("the Management API is the system API: it is never imported"));
        return;
    }
    auto found = std::find_if(next.apis.begin(), next.apis.end(), [&](const Api &api) { return !api.system && api.identifier == identifier; });
    if (found == next.apis.end()) {
        Api created;
        created.identifier = identifier;
        created.id = derivedId(QString(), QStringLiteral("resource-server:") + identifier, 24);
        created.name = o["name"].requiredString();
        // Before the system API, which a tenant keeps last.
        auto system = std::find_if(next.apis.begin(), next.apis.end(), [](const Api &api) { return api.system; });
        found = next.apis.insert(system, created);
    } else if (auto name = o["name"].string()) {
        found->name = *name;
    }
    Api &api = *found;
    origins.apis.insert(found - next.apis.begin(), index);
    if (auto algorithm = o["signing_alg"].string()) {
        if (*algorithm != QLatin1String("RS256"))
            o["signing_alg"].fail(QStringLiteral("only RS256 is supported"));
    }
    if (auto lifetime = o["token_lifetime"].integer(60, 2592000))
        api.tokenLifetimeSeconds = *lifetime;
    if (auto offline = o["allow_offline_access"].boolean())
        api.allowOfflineAccess = *offline;
    if (auto rbac = o["enforce_policies"].boolean())
        api.rbac = *rbac;
    if (auto dialect = o["token_dialect"].string(); dialect && !applyTokenDialect(api, *dialect))
        o["token_dialect"].fail(QStringLiteral("must be access_token, access_token_authz, rfc9068_profile or rfc9068_profile_authz"));
    if (!o["scopes"].isAbsent()) {
        QList<ApiScope> scopes;
        o["scopes"].forEachObject([&scopes](const JsonReader &scope) {
            const QString value = scope["value"].requiredString();
            if (value.contains(QLatin1Char(' ')))
                scope["value"].fail(QStringLiteral("must not contain spaces"));
            // Auth0 lets a scope go without a description; the consent page shows the scope itself then.
            scopes.append({value, scope["description"].string().value_or(QString()).isEmpty() ? value : scope["description"].string().value()});
        });
        api.scopes = scopes;
    }
    if (!o["organizer_apis"].isAbsent()) {
        QList<catalogue::ApiSpec> declared;
        o["organizer_apis"].forEach([&declared](const JsonReader &entry) {
            // The Management API lists the built-in APIs too, and what it derives (path, scopes): an export of
            // it (a0deploy's) brings them back, and only what a tenant file declares is read.
            QJsonObject written = entry.value().toObject();
            if (written.value(QLatin1String("builtin")).toBool())
                return;
            for (const char *derived : {"path", "scopes", "builtin"})
                written.remove(QLatin1String(derived));
            const JsonReader stripped(entry.isObject() ? QJsonValue(written) : entry.value(), entry.path(), entry.options());
            if (auto spec = catalogue::readDeclaredApi(stripped))
                declared.append(*spec);
            if (!stripped.ok()) {
                const JsonProblem &problem = stripped.problems().constFirst();
                QString below = problem.path.mid(entry.path().size()); // ".fields[1].type"
                if (below.startsWith(QLatin1Char('.')))
                    below.remove(0, 1);
                entry.fail(below.isEmpty() ? problem.problem : below + QStringLiteral(": ") + problem.problem);
            }
        });
        api.declaredApis = declared;
    }
}

void readClient(const JsonReader &o, qsizetype index, Tenant &next, Origins &origins, QStringList *newSecrets)
{
    const std::optional<QString> clientId = o["client_id"].string();
    const std::optional<QString> name = o["name"].string();
    auto found = next.clients.end();
    if (clientId && !clientId->isEmpty())
        found = std::find_if(next.clients.begin(), next.clients.end(), [&](const Client &client) { return client.clientId == *clientId; });
    if (found == next.clients.end() && name)
        found = std::find_if(next.clients.begin(), next.clients.end(), [&](const Client &client) { return client.name == *name; });
    const bool created = found == next.clients.end();
    if (created) {
        Client client;
        client.name = o["name"].requiredString();
        client.clientId = clientId && !clientId->isEmpty() ? *clientId : QString::fromLatin1(randomToken(24));
        const QString appType = o["app_type"].string().value_or(QString());
        client.confidential = appType != QLatin1String("native") && appType != QLatin1String("spa");
        next.clients.append(client);
        found = next.clients.end() - 1;
    } else if (name && !name->isEmpty()) {
        found->name = *name;
    }
    Client &client = *found;
    origins.clients.insert(found - next.clients.begin(), index);
    if (auto method = o["token_endpoint_auth_method"].string()) {
        if (*method == QLatin1String("none"))
            client.confidential = false;
        else if (*method == QLatin1String("client_secret_post") || *method == QLatin1String("client_secret_basic"))
            client.confidential = true;
        else
            o["token_endpoint_auth_method"].fail(QStringLiteral("must be none, client_secret_post or client_secret_basic"));
    }
    // Kept as given, but acted on: an import must not promise ID tokens this server will not mint.
    if (const JsonReader jwt = o["jwt_configuration"]; !jwt.value().isNull() && jwt.expectObject(JsonReader::Optional)) {
        const QString onlyRs256 = QStringLiteral("must be RS256, the only algorithm Organizer signs ID tokens with");
        if (auto alg = jwt["alg"].string(onlyRs256); alg && *alg != QLatin1String("RS256"))
            jwt["alg"].fail(onlyRs256);
        jwt["lifetime_in_seconds"].integer(1, kLongestIdTokenLifetime, QStringLiteral("must be a whole number of seconds from 1 to 2592000"));
    }
    if (!o["grant_types"].isAbsent())
        client.grantTypes = o["grant_types"].strings(JsonReader::NonEmptyStrings);
    if (!o["callbacks"].isAbsent())
        client.callbacks = o["callbacks"].strings(JsonReader::NonEmptyStrings);
    if (!o["allowed_logout_urls"].isAbsent())
        client.logoutUrls = o["allowed_logout_urls"].strings(JsonReader::NonEmptyStrings);
    if (!o["web_origins"].isAbsent())
        client.webOrigins = o["web_origins"].strings(JsonReader::NonEmptyStrings);
    if (!o["allowed_origins"].isAbsent())
        client.allowedOrigins = o["allowed_origins"].strings(JsonReader::NonEmptyStrings);
    const QJsonObject defaults = derivedClientDefaults(client);
    const QJsonObject given = o.value().toObject();
    for (auto it = given.constBegin(); it != given.constEnd(); ++it) {
        if (!keptClientMembers().contains(it.key()))
            continue;
        if (it.value().isNull())
            client.auth0Settings.remove(it.key());
        else if (client.auth0Settings.contains(it.key()) || defaults.value(it.key()) != it.value())
            client.auth0Settings.insert(it.key(), it.value());
    }
    if (!client.confidential) {
        client.secretHash.clear();
        return;
    }
    // A secret given (a Deploy CLI keyword replaced, say) is kept as its hash; the same secret again changes nothing.
    if (auto secret = o["client_secret"].string(); secret && !secret->isEmpty()) {
        if (secret->size() < 16)
            o["client_secret"].fail(QStringLiteral("must be at least 16 characters"));
        else if (!verifyPassword(*secret, client.secretHash))
            client.secretHash = hashPassword(*secret);
    } else if (client.secretHash.isEmpty()) {
        const QString generated = QString::fromLatin1(randomToken(48));
        client.secretHash = hashPassword(generated);
        if (newSecrets)
            newSecrets->append(QStringLiteral("%1 (%2): %3").arg(client.name, client.clientId, generated));
    }
}

void readClientGrant(const JsonReader &o, qsizetype index, Tenant &next, Origins &origins)
{
    const QString named = o["client_id"].requiredString();
    QString audience = o["audience"].requiredString();
    if (named.isEmpty() || audience.isEmpty())
        return;
    // The Deploy CLI names the application by name; a client_id is taken too.
    auto client = std::find_if(next.clients.begin(), next.clients.end(), [&](const Client &c) { return c.name == named; });
    if (client == next.clients.end())
        client = std::find_if(next.clients.begin(), next.clients.end(), [&](const Client &c) { return c.clientId == named; });
    if (client == next.clients.end()) {
        o["client_id"].fail(QStringLiteral("no application is named \"%1\" (nor has that client_id)").arg(named.left(100)));
        return;
    }
    // The Management API under whatever issuer the export was made: the system API this tenant has.
    if (looksLikeManagementIdentifier(audience) || audience == kManagementAudience)
        audience = next.managementAudience;
    const QStringList scopes = o["scope"].strings(JsonReader::NonEmptyStrings);
    auto grant
        = std::find_if(client->clientGrants.begin(), client->clientGrants.end(), [&](const ClientGrant &g) { return !g.setAside && g.audience == audience; });
    if (grant == client->clientGrants.end()) {
        const QString writtenAudience = audience == next.managementAudience ? QString(kManagementAudience) : audience;
        client->clientGrants.append({derivedId(QStringLiteral("cgr_"), client->clientId + QLatin1Char('\n') + writtenAudience, 16), audience, scopes});
        grant = client->clientGrants.end() - 1;
    } else if (!o["scope"].isAbsent()) {
        grant->scopes = scopes;
    }
    origins.grants.insert(qMakePair(qsizetype(client - next.clients.begin()), qsizetype(grant - client->clientGrants.begin())), index);
}

void readRole(const JsonReader &o, qsizetype index, Tenant &next, Origins &origins)
{
    const QString name = o["name"].requiredString();
    if (name.isEmpty())
        return;
    auto found = std::find_if(next.roles.begin(), next.roles.end(), [&](const Role &role) { return role.name == name; });
    if (found == next.roles.end()) {
        Role role;
        role.name = name;
        role.id = derivedId(QStringLiteral("rol_"), QStringLiteral("role:") + name, 16);
        next.roles.append(role);
        found = next.roles.end() - 1;
    }
    origins.roles.insert(found - next.roles.begin(), index);
    if (auto description = o["description"].string())
        found->description = *description;
    if (!o["permissions"].isAbsent()) {
        QHash<QString, QStringList> permissions;
        o["permissions"].forEachObject([&](const JsonReader &permission) {
            const QString api = permission["resource_server_identifier"].requiredString();
            const QString scope = permission["permission_name"].requiredString();
            if (!api.isEmpty() && !scope.isEmpty() && !permissions[api].contains(scope))
                permissions[api].append(scope);
        });
        found->permissions = permissions;
    }
}

// A scope taken from an API leaves the permissions and grants that named it, as the Management API's change
// of an API does (management::dropUndefinedPermissions): for what the document does not mention (users, which
// it never holds, and the roles and grants it leaves out). What it does mention it must get right itself.
void settleWhatTheDocumentLeftOut(Tenant &tenant, const Origins &origins)
{
    const auto prune = [&tenant](QHash<QString, QStringList> &permissions) {
        for (auto it = permissions.begin(); it != permissions.end(); ++it) {
            if (const Api *api = tenant.api(it.key()))
                it->removeIf([api](const QString &scope) { return !api->hasScope(scope); });
        }
    };
    for (User &user : tenant.users)
        prune(user.permissions);
    for (qsizetype r = 0; r < tenant.roles.size(); ++r) {
        if (!origins.roles.contains(r))
            prune(tenant.roles[r].permissions);
    }
    for (qsizetype c = 0; c < tenant.clients.size(); ++c) {
        for (qsizetype g = 0; g < tenant.clients[c].clientGrants.size(); ++g) {
            ClientGrant &grant = tenant.clients[c].clientGrants[g];
            const Api *api = tenant.api(grant.audience);
            if (api && !grant.setAside && !origins.grants.contains(qMakePair(c, g)))
                grant.scopes.removeIf([api](const QString &scope) { return !api->hasScope(scope); });
        }
    }
}

} // namespace

Expected<Tenant, QString> applyDeploy(const Tenant &current, const QJsonObject &document, const ManagementApiDefinition &management, QStringList *newSecrets)
{
    JsonReadOptions options;
    options.nullIsAbsent = true; // Auth0 writes null for what is not set
    const JsonReader root(document, {}, options);
    Tenant next = current;
    Origins origins;
    QStringList secrets;
    // In the Deploy CLI's order: APIs and applications before the grants and roles that name them.
    qsizetype index = 0;
    root[kResourceServers.data()].forEachObject([&](const JsonReader &o) { readResourceServer(o, index++, next, origins); });
    index = 0;
    root[kClients.data()].forEachObject([&](const JsonReader &o) { readClient(o, index++, next, origins, &secrets); });
    index = 0;
    root[kClientGrants.data()].forEachObject([&](const JsonReader &o) { readClientGrant(o, index++, next, origins); });
    index = 0;
    root[kRoles.data()].forEachObject([&](const JsonReader &o) { readRole(o, index++, next, origins); });
    if (!root.ok())
        return Unexpected<QString>(root.error());
    settleWhatTheDocumentLeftOut(next, origins);
    // The whole tenant is checked as a tenant file, as the Management API checks its changes: what an
    // import leaves, a restart reads.
    auto reread = parseTenant(tenantToJson(next), management);
    if (!reread)
        return Unexpected<QString>(origins.rename(reread.error()));
    if (newSecrets)
        *newSecrets += secrets;
    return reread;
}

Expected<Done, QString> writeDeployDirectory(const QJsonObject &document, const QString &directory)
{
    const QDir root(directory);
    if (!root.exists() && !QDir().mkpath(directory))
        return Unexpected<QString>(QStringLiteral("cannot create the directory %1").arg(directory));
    for (const Section &section : kSections) {
        QDir dir(root.filePath(section.directory));
        if (!dir.exists() && !root.mkpath(section.directory))
            return Unexpected<QString>(QStringLiteral("cannot create the directory %1").arg(dir.path()));
        // An entry gone from the tenant is gone from the export: the section's files are written afresh.
        for (const QString &stale : dir.entryList({QStringLiteral("*.json")}, QDir::Files))
            dir.remove(stale);
        QSet<QString> used;
        for (const QJsonValue &value : document.value(section.key).toArray()) {
            const QJsonObject entry = value.toObject();
            QString name = entry.value(QStringLiteral("name")).toString();
            if (section.key == kClientGrants) {
                // "<application>-<API name>", as the Deploy CLI names a grant's file.
                const QString audience = entry.value(QStringLiteral("audience")).toString();
                QString apiName = audience;
                for (const QJsonValue &api : document.value(kResourceServers).toArray())
                    if (api.toObject().value(QStringLiteral("identifier")).toString() == audience)
                        apiName = api.toObject().value(QStringLiteral("name")).toString();
                name = entry.value(QStringLiteral("client_id")).toString() + QLatin1Char('-') + apiName;
            }
            QString fileName = fileNameFor(name);
            for (int n = 2; used.contains(fileName); ++n)
                fileName = fileNameFor(name) + QStringLiteral("-%1").arg(n);
            used.insert(fileName);
            QSaveFile file(dir.filePath(fileName + QStringLiteral(".json")));
            if (!file.open(QIODevice::WriteOnly) || file.write(QJsonDocument(entry).toJson(QJsonDocument::Indented)) < 0 || !file.commit())
                return Unexpected<QString>(QStringLiteral("cannot write %1: %2").arg(file.fileName(), file.errorString()));
        }
    }
    return Done{};
}

Expected<QJsonObject, QString> readDeployDirectory(const QString &directory, QHash<QString, QString> *files)
{
    const QDir root(directory);
    if (!root.exists())
        return Unexpected<QString>(QStringLiteral("%1 is not a directory").arg(directory));
    QJsonObject document;
    bool any = false;
    for (const Section &section : kSections) {
        const QDir dir(root.filePath(section.directory));
        if (!dir.exists())
            continue;
        any = true;
        QJsonArray entries;
        for (const QString &name : dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name)) {
            QFile file(dir.filePath(name));
            if (!file.open(QIODevice::ReadOnly))
                return Unexpected<QString>(QStringLiteral("cannot read %1: %2").arg(file.fileName(), file.errorString()));
            QJsonParseError error;
            const QJsonDocument entry = QJsonDocument::fromJson(file.read(4 * 1024 * 1024), &error);
            if (error.error != QJsonParseError::NoError)
                return Unexpected<QString>(
                    QStringLiteral("%1/%2: not valid JSON: %3 at byte %4").arg(section.directory, name, error.errorString()).arg(error.offset));
            if (!entry.isObject())
                return Unexpected<QString>(QStringLiteral("%1/%2: must be a JSON object").arg(section.directory, name));
            if (files)
                files->insert(QStringLiteral("%1[%2]").arg(section.key).arg(entries.size()), QStringLiteral("%1/%2").arg(section.directory, name));
            entries.append(entry.object());
        }
        document.insert(section.key, entries);
    }
    if (!any)
        return Unexpected<QString>(QStringLiteral("%1 has none of resource-servers/, clients/, grants/, roles/: not a Deploy CLI directory").arg(directory));
    return document;
}

namespace {

// YAML 1.1's plain scalars that are not strings, as js-yaml (a0deploy's YAML library) reads them.
const QRegularExpression &yamlInteger()
{
    static const QRegularExpression pattern(QStringLiteral("^[-+]?[0-9][0-9_]*$"));
    return pattern;
}
const QRegularExpression &yamlFloat()
{
    static const QRegularExpression pattern(QStringLiteral("^[-+]?([0-9][0-9_]*)?\\.[0-9]*([eE][-+]?[0-9]+)?$|^[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+$"));
    return pattern;
}
bool isYamlNull(const QString &plain)
{
    return plain.isEmpty() || plain == QLatin1String("~") || plain == QLatin1String("null") || plain == QLatin1String("Null") || plain == QLatin1String("NULL");
}
std::optional<bool> yamlBoolean(const QString &plain)
{
    static const QSet<QString> yes{QStringLiteral("true"), QStringLiteral("True"), QStringLiteral("TRUE")};
    static const QSet<QString> no{QStringLiteral("false"), QStringLiteral("False"), QStringLiteral("FALSE")};
    if (yes.contains(plain))
        return true;
    if (no.contains(plain))
        return false;
    return std::nullopt;
}
// Whether a string written plain would read back as something else (a number, true, null, …).
// Quoted more often than needed rather than once too few: anything that starts like a number, and YAML 1.1's
// words for true, false and null in any case.
bool needsQuotes(const QString &value)
{
    static const QRegularExpression numberLike(QStringLiteral("^[-+.]?[0-9]|^[-+]?\\.(inf|nan)$"), QRegularExpression::CaseInsensitiveOption);
    static const QSet<QString> words{QStringLiteral("true"), QStringLiteral("false"), QStringLiteral("yes"), QStringLiteral("no"),   QStringLiteral("on"),
                                     QStringLiteral("off"),  QStringLiteral("y"),     QStringLiteral("n"),   QStringLiteral("null"), QStringLiteral("~")};
    return value.isEmpty() || value.trimmed() != value || words.contains(value.toLower()) || numberLike.match(value).hasMatch();
}

struct YamlEmitter
{
    yaml_emitter_t emitter;
    QByteArray output;
    bool ok = true;

    YamlEmitter()
    {
        yaml_emitter_initialize(&emitter);
        yaml_emitter_set_output(
            &emitter,
            [](void *data, unsigned char *buffer, size_t size) {
                static_cast<QByteArray *>(data)->append(reinterpret_cast<const char *>(buffer), qsizetype(size));
                return 1;
            },
            &output);
        yaml_emitter_set_unicode(&emitter, 1);
        yaml_emitter_set_width(&emitter, -1);
        yaml_emitter_set_indent(&emitter, 2);
    }
    ~YamlEmitter() { yaml_emitter_delete(&emitter); }
    void send(yaml_event_t &event)
    {
        if (ok && !yaml_emitter_emit(&emitter, &event))
            ok = false;
    }
    void scalar(const QByteArray &text, yaml_scalar_style_t style)
    {
        yaml_event_t event;
        yaml_scalar_event_initialize(&event, nullptr, nullptr, reinterpret_cast<const yaml_char_t *>(text.constData()), int(text.size()), 1, 1, style);
        send(event);
    }
    void value(const QJsonValue &value)
    {
        yaml_event_t event;
        switch (value.type()) {
        case QJsonValue::Object: {
            const QJsonObject object = value.toObject();
            yaml_mapping_start_event_initialize(&event, nullptr, nullptr, 1, object.isEmpty() ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
            send(event);
            for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
                this->value(it.key());
                this->value(it.value());
            }
            yaml_mapping_end_event_initialize(&event);
            send(event);
            break;
        }
        case QJsonValue::Array: {
            const QJsonArray array = value.toArray();
            yaml_sequence_start_event_initialize(&event, nullptr, nullptr, 1, array.isEmpty() ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
            send(event);
            for (const QJsonValue &item : array)
                this->value(item);
            yaml_sequence_end_event_initialize(&event);
            send(event);
            break;
        }
        case QJsonValue::String: {
            const QString text = value.toString();
            scalar(text.toUtf8(), needsQuotes(text) ? YAML_SINGLE_QUOTED_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
            break;
        }
        case QJsonValue::Bool:
            scalar(value.toBool() ? QByteArrayLiteral("true") : QByteArrayLiteral("false"), YAML_PLAIN_SCALAR_STYLE);
            break;
        case QJsonValue::Double: {
            const double number = value.toDouble();
            const bool whole = number == double(qint64(number));
            scalar(whole ? QByteArray::number(qint64(number)) : QByteArray::number(number, 'g', 17), YAML_PLAIN_SCALAR_STYLE);
            break;
        }
        default:
            scalar(QByteArrayLiteral("null"), YAML_PLAIN_SCALAR_STYLE);
        }
    }
};

// libyaml's document (aliases resolved to the nodes they name) as JSON, within the limits above.
struct YamlReader
{
    yaml_document_t *document;
    qsizetype values = 0;
    QString problem;

    QJsonValue read(yaml_node_t *node, int depth)
    {
        if (!node || !problem.isEmpty())
            return {};
        if (++values > 100'000 || depth > 64) {
            problem = QStringLiteral("more values or deeper nesting than a tenant holds (aliases expanded?)");
            return {};
        }
        switch (node->type) {
        case YAML_SCALAR_NODE: {
            const QString text = QString::fromUtf8(reinterpret_cast<const char *>(node->data.scalar.value), qsizetype(node->data.scalar.length));
            // libyaml's loader tags every untagged scalar !!str: the style alone says whether it was quoted.
            if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
                return text;
            if (isYamlNull(text))
                return QJsonValue::Null;
            if (auto boolean = yamlBoolean(text))
                return *boolean;
            if (yamlInteger().match(text).hasMatch() || yamlFloat().match(text).hasMatch())
                return QString(text).remove(QLatin1Char('_')).toDouble();
            return text;
        }
        case YAML_SEQUENCE_NODE: {
            QJsonArray array;
            for (yaml_node_item_t *item = node->data.sequence.items.start; item < node->data.sequence.items.top; ++item)
                array.append(read(yaml_document_get_node(document, *item), depth + 1));
            return array;
        }
        case YAML_MAPPING_NODE: {
            QJsonObject object;
            for (yaml_node_pair_t *pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; ++pair) {
                const QJsonValue key = read(yaml_document_get_node(document, pair->key), depth + 1);
                if (!key.isString() && problem.isEmpty()) {
                    const yaml_node_t *keyNode = yaml_document_get_node(document, pair->key);
                    problem
                        = QStringLiteral("line %1, column %2: a key must be a string").arg(keyNode->start_mark.line + 1).arg(keyNode->start_mark.column + 1);
                }
                object.insert(key.toString(), read(yaml_document_get_node(document, pair->value), depth + 1));
            }
            return object;
        }
        default:
            return {};
        }
    }
};

} // namespace

QByteArray deployToYaml(const QJsonObject &document)
{
    YamlEmitter out;
    yaml_event_t event;
    yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING);
    out.send(event);
    yaml_document_start_event_initialize(&event, nullptr, nullptr, nullptr, 1);
    out.send(event);
    out.value(document);
    yaml_document_end_event_initialize(&event, 1);
    out.send(event);
    yaml_stream_end_event_initialize(&event);
    out.send(event);
    yaml_emitter_flush(&out.emitter);
    return out.ok ? out.output : QByteArray();
}

Expected<QJsonObject, QString> deployFromYaml(const QByteArray &yaml)
{
    yaml_parser_t parser;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char *>(yaml.constData()), size_t(yaml.size()));
    yaml_document_t document;
    if (!yaml_parser_load(&parser, &document)) {
        const QString problem = QStringLiteral("not valid YAML: line %1, column %2: %3")
                                    .arg(parser.problem_mark.line + 1)
                                    .arg(parser.problem_mark.column + 1)
                                    .arg(QString::fromUtf8(parser.problem ? parser.problem : "unreadable"));
        yaml_parser_delete(&parser);
        return Unexpected<QString>(problem);
    }
    YamlReader reader{&document, 0, {}};
    const QJsonValue root = reader.read(yaml_document_get_root_node(&document), 0);
    yaml_document_delete(&document);
    yaml_parser_delete(&parser);
    if (!reader.problem.isEmpty())
        return Unexpected<QString>(reader.problem);
    if (root.isNull() || root.isUndefined())
        return QJsonObject();
    if (!root.isObject())
        return Unexpected<QString>(QStringLiteral("must be a mapping with resourceServers, clients, clientGrants, roles"));
    return root.toObject();
}

} // namespace organizer::authorization
