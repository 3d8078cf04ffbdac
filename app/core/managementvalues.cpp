#include "managementvalues.h"

#include <QJsonDocument>
#include <QLoggingCategory>

namespace organizer::app {

namespace {

Q_LOGGING_CATEGORY(lcValues, "organizer.app.tenant")

// Reads members of one object; the first member of the wrong type is remembered with its path.
// Absent and null members read as their default: Auth0 leaves out what is not set.
class Reader
{
public:
    Reader(const QJsonValue &value, QString where) : m_where(std::move(where))
    {
        if (!value.isObject())
            m_error = QStringLiteral("%1: expected an object").arg(m_where);
        m_object = value.toObject();
    }

    QString string(const char *key)
    {
        const QJsonValue value = member(key);
        if (value.isUndefined() || value.isNull())
            return {};
        if (!value.isString())
            fail(key, QStringLiteral("expected a string"));
        return value.toString();
    }
    bool boolean(const char *key, bool fallback = false)
    {
        const QJsonValue value = member(key);
        if (value.isUndefined() || value.isNull())
            return fallback;
        if (!value.isBool())
            fail(key, QStringLiteral("expected true or false"));
        return value.toBool(fallback);
    }
    qint64 integer(const char *key, qint64 fallback)
    {
        const QJsonValue value = member(key);
        if (value.isUndefined() || value.isNull())
            return fallback;
        if (!value.isDouble())
            fail(key, QStringLiteral("expected a number"));
        return value.toInteger(fallback);
    }
    QJsonArray array(const char *key)
    {
        const QJsonValue value = member(key);
        if (value.isUndefined() || value.isNull())
            return {};
        if (!value.isArray())
            fail(key, QStringLiteral("expected a list"));
        return value.toArray();
    }
    QStringList strings(const char *key)
    {
        QStringList out;
        const QJsonArray items = array(key);
        for (qsizetype i = 0; i < items.size(); ++i) {
            if (!items.at(i).isString())
                fail(key, QStringLiteral("expected a list of strings (item %1 is not one)").arg(i));
            out.append(items.at(i).toString());
        }
        return out;
    }
    QString path(const char *key) const { return m_where + QLatin1Char('.') + QLatin1String(key); }
    void fail(const char *key, const QString &problem)
    {
        if (m_error.isEmpty())
            m_error = QStringLiteral("%1: %2").arg(path(key), problem);
    }
    void failWith(const QString &error)
    {
        if (m_error.isEmpty())
            m_error = error;
    }
    template <typename T>
    Expected<T, QString> result(T value) const
    {
        if (!m_error.isEmpty())
            return Unexpected<QString>(m_error);
        return value;
    }

private:
    QJsonValue member(const char *key) const { return m_object.value(QLatin1String(key)); }

    QJsonObject m_object;
    QString m_where;
    QString m_error;
};

Expected<ScopeDefinition, QString> scopeFromJson(const QJsonValue &value, const QString &where)
{
    Reader read(value, where);
    ScopeDefinition scope{read.string("value"), read.string("description")};
    return read.result(scope);
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
    Reader read(value, where);
    ResourceServer server;
    server.id = read.string("id");
    server.name = read.string("name");
    server.identifier = read.string("identifier");
    server.signingAlgorithm = read.string("signing_alg");
    server.isSystem = read.boolean("is_system");
    server.tokenLifetimeSeconds = read.integer("token_lifetime", server.tokenLifetimeSeconds);
    server.rbac = read.boolean("enforce_policies");
    server.permissionsInToken = read.string("token_dialect").endsWith(QLatin1String("_authz"));
    server.allowOfflineAccess = read.boolean("allow_offline_access");
    if (auto scopes = listFromJson<ScopeDefinition>(read.array("scopes"), read.path("scopes"), scopeFromJson))
        server.scopes = *scopes;
    else
        read.failWith(scopes.error());
    // Declared APIs as the server describes them, with what it derives (route, scopes, builtin)
    // taken off again before they are read as declarations.
    const QJsonArray declared = read.array("organizer_apis");
    for (qsizetype i = 0; i < declared.size(); ++i) {
        QJsonObject entry = declared.at(i).toObject();
        if (entry.value(QLatin1String("builtin")).toBool())
            continue;
        for (const char *derived : {"path", "scopes", "builtin"})
            entry.remove(QLatin1String(derived));
        auto spec = catalogue::declaredApiFromJson(entry, QStringLiteral("organizer_apis[%1]").arg(i));
        if (spec)
            server.declaredApis.append(*spec);
        else
            qCWarning(lcValues).noquote() << "ignoring an API the server declares:" << spec.error();
    }
    return read.result(server);
}

Expected<Client, QString> clientFromJson(const QJsonValue &value, const QString &where)
{
    Reader read(value, where);
    Client client{read.string("client_id"), read.string("name"), read.strings("grant_types")};
    return read.result(client);
}

Expected<ClientGrant, QString> clientGrantFromJson(const QJsonValue &value, const QString &where)
{
    Reader read(value, where);
    ClientGrant grant{read.string("id"), read.string("client_id"), read.string("audience"), read.strings("scope")};
    return read.result(grant);
}

Expected<User, QString> userFromJson(const QJsonValue &value, const QString &where)
{
    Reader read(value, where);
    User user{read.string("user_id"), read.string("name"), read.string("email")};
    return read.result(user);
}

Expected<Role, QString> roleFromJson(const QJsonValue &value, const QString &where)
{
    Reader read(value, where);
    Role role{read.string("id"), read.string("name"), read.string("description")};
    return read.result(role);
}

Expected<Permission, QString> permissionFromJson(const QJsonValue &value, const QString &where)
{
    Reader read(value, where);
    Permission permission;
    permission.scope = read.string("permission_name");
    permission.audience = read.string("resource_server_identifier");
    const QJsonArray sources = read.array("sources");
    for (qsizetype i = 0; i < sources.size(); ++i) {
        Reader source(sources.at(i), QStringLiteral("%1[%2]").arg(read.path("sources")).arg(i));
        Permission::Source entry;
        entry.fromRole = source.string("source_type") == QLatin1String("ROLE");
        entry.roleName = source.string("source_name");
        if (auto ok = source.result(entry))
            permission.sources.append(*ok);
        else
            read.failWith(ok.error());
    }
    return read.result(permission);
}

Expected<ManagementPage, QString> managementPageFromJson(const QByteArray &body, const QString &key)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(body, &error);
    if (error.error != QJsonParseError::NoError)
        return Unexpected<QString>(QStringLiteral("the answer is not JSON (%1 at offset %2)").arg(error.errorString()).arg(error.offset));
    if (!document.isObject())
        return Unexpected<QString>(QStringLiteral("the answer is not a page of %1: expected {\"%1\": [...], \"total\": n}").arg(key));
    Reader read(document.object(), key);
    const QJsonValue items = document.object().value(key);
    if (!items.isUndefined() && !items.isArray())
        return Unexpected<QString>(QStringLiteral("%1: expected a list").arg(key));
    ManagementPage page{items.toArray(), read.integer("total", 0)};
    if (auto ok = read.result(page); !ok)
        return Unexpected<QString>(QStringLiteral("the page of %1: %2").arg(key, ok.error()));
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
