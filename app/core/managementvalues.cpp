#include "managementvalues.h"

#include "jsonreader.h"

#include <QJsonDocument>
#include <QLoggingCategory>

namespace organizer::app {

namespace {

Q_LOGGING_CATEGORY(lcValues, "organizer.app.tenant")

// The Management API's answers: absent and null members read as their default (Auth0 leaves out, or
// writes null for, what is not set); the first member of the wrong type is the error, with its path.
JsonReader answerAt(const QJsonValue &value, const QString &where)
{
    JsonReadOptions options;
    options.nullIsAbsent = true;
    const JsonReader read(value, where, options);
    read.expectObject(JsonReader::Required, read.options().wording.object);
    return read;
}

template <typename T>
Expected<T, QString> result(const JsonReader &read, T value)
{
    if (!read.ok())
        return Unexpected<QString>(read.error());
    return value;
}

QString text(const JsonReader &read)
{
    return read.string().value_or(QString());
}

} // namespace

QStringList ResourceServer::scopeValues() const
{
    QStringList out;
    for (const ScopeDefinition &scope : scopes)
        out.append(scope.value);
    return out;
}

bool Permission::isDirect() const
{
    return sources.size() == 1 && !sources.first().fromRole;
}

Expected<ResourceServer, QString> resourceServerFromJson(const QJsonValue &value, const QString &where)
{
    const JsonReader read = answerAt(value, where);
    ResourceServer server;
    server.id = text(read["id"]);
    server.name = text(read["name"]);
    server.identifier = text(read["identifier"]);
    server.signingAlgorithm = text(read["signing_alg"]);
    server.isSystem = read["is_system"].boolean().value_or(false);
    server.tokenLifetimeSeconds = read["token_lifetime"].integer().value_or(server.tokenLifetimeSeconds);
    server.rbac = read["enforce_policies"].boolean().value_or(false);
    server.permissionsInToken = text(read["token_dialect"]).endsWith(QLatin1String("_authz"));
    server.allowOfflineAccess = read["allow_offline_access"].boolean().value_or(false);
    read["scopes"].forEachObject([&server](const JsonReader &scope) { server.scopes.append({text(scope["value"]), text(scope["description"])}); });
    // Declared APIs as the server describes them, with what it derives (route, scopes, builtin)
    // taken off again before they are read as declarations. One this app cannot read is left out.
    read["organizer_apis"].forEach([&server](const JsonReader &declared) {
        QJsonObject entry = declared.value().toObject();
        if (entry.value(QLatin1String("builtin")).toBool())
            return;
        for (const char *derived : {"path", "scopes", "builtin"})
            entry.remove(QLatin1String(derived));
        auto spec = catalogue::declaredApiFromJson(entry, declared.path());
        if (spec)
            server.declaredApis.append(*spec);
        else
            qCWarning(lcValues).noquote() << "ignoring an API the server declares:" << spec.error();
    });
    return result(read, server);
}

Expected<Client, QString> clientFromJson(const QJsonValue &value, const QString &where)
{
    const JsonReader read = answerAt(value, where);
    Client client{text(read["client_id"]), text(read["name"]), read["grant_types"].strings()};
    return result(read, client);
}

Expected<ClientGrant, QString> clientGrantFromJson(const QJsonValue &value, const QString &where)
{
    const JsonReader read = answerAt(value, where);
    ClientGrant grant{text(read["id"]), text(read["client_id"]), text(read["audience"]), read["scope"].strings()};
    return result(read, grant);
}

Expected<User, QString> userFromJson(const QJsonValue &value, const QString &where)
{
    const JsonReader read = answerAt(value, where);
    User user{text(read["user_id"]), text(read["name"]), text(read["email"])};
    return result(read, user);
}

Expected<Role, QString> roleFromJson(const QJsonValue &value, const QString &where)
{
    const JsonReader read = answerAt(value, where);
    Role role{text(read["id"]), text(read["name"]), text(read["description"])};
    return result(read, role);
}

Expected<Permission, QString> permissionFromJson(const QJsonValue &value, const QString &where)
{
    const JsonReader read = answerAt(value, where);
    Permission permission;
    permission.scope = text(read["permission_name"]);
    permission.audience = text(read["resource_server_identifier"]);
    read["sources"].forEachObject([&permission](const JsonReader &source) {
        permission.sources.append({text(source["source_type"]) == QLatin1String("ROLE"), text(source["source_name"])});
    });
    return result(read, permission);
}

Expected<ManagementPage, QString> managementPageFromJson(const QByteArray &body, const QString &key)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(body, &error);
    if (error.error != QJsonParseError::NoError)
        return Unexpected<QString>(QStringLiteral("the answer is not JSON (%1 at offset %2)").arg(error.errorString()).arg(error.offset));
    if (!document.isObject())
        return Unexpected<QString>(QStringLiteral("the answer is not a page of %1: expected {\"%1\": [...], \"total\": n}").arg(key));
    const JsonReader read = answerAt(document.object(), {});
    ManagementPage page;
    read.member(key).forEach([&page](const JsonReader &item) { page.items.append(item.value()); });
    if (!read.ok())
        return Unexpected<QString>(read.error());
    page.total = read["total"].integer().value_or(0);
    if (!read.ok())
        return Unexpected<QString>(QStringLiteral("the page of %1: %2").arg(key, read.error()));
    return page;
}

QJsonObject ApiSettingsEdit::toJson() const
{
    QJsonObject body;
    if (tokenLifetimeSeconds)
        body.insert(QStringLiteral("token_lifetime"), *tokenLifetimeSeconds);
    if (rbac)
        body.insert(QStringLiteral("enforce_policies"), *rbac);
    if (permissionsInToken)
        body.insert(QStringLiteral("token_dialect"), *permissionsInToken ? QStringLiteral("access_token_authz") : QStringLiteral("access_token"));
    if (allowOfflineAccess)
        body.insert(QStringLiteral("allow_offline_access"), *allowOfflineAccess);
    if (scopes)
        body.insert(QStringLiteral("scopes"), scopesToJson(*scopes));
    if (declaredApis) {
        QJsonArray apis;
        for (const catalogue::ApiSpec &api : *declaredApis) {
            QJsonObject entry = catalogue::apiToJson(api);
            for (const char *derived : {"path", "scopes", "builtin"})
                entry.remove(QLatin1String(derived));
            apis.append(entry);
        }
        body.insert(QStringLiteral("organizer_apis"), apis);
    }
    return body;
}

QJsonObject newResourceServerJson(const QString &name, const QString &identifier, const QString &signingAlgorithm)
{
    return QJsonObject{{QStringLiteral("name"), name}, {QStringLiteral("identifier"), identifier}, {QStringLiteral("signing_alg"), signingAlgorithm}};
}

QJsonArray scopesToJson(const QList<ScopeDefinition> &scopes)
{
    QJsonArray out;
    for (const ScopeDefinition &scope : scopes)
        out.append(QJsonObject{{QStringLiteral("value"), scope.value}, {QStringLiteral("description"), scope.description}});
    return out;
}

QJsonArray permissionsToJson(const QString &audience, const QStringList &scopes)
{
    QJsonArray permissions;
    for (const QString &scope : scopes)
        permissions.append(QJsonObject{{QStringLiteral("resource_server_identifier"), audience}, {QStringLiteral("permission_name"), scope}});
    return permissions;
}

} // namespace organizer::app
