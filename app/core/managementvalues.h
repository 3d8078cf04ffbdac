#pragma once

#include "catalogue.h"
#include "expected.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace organizer::app {

// What the Management API says about a tenant, as typed values: the app reads and changes these,
// and only this file's functions know Auth0's wire keys (is_system, enforce_policies, token_dialect,
// resource_server_identifier, …). Each reader names the member it could not read
// ("resource_servers[1].scopes[0].value: expected a string") so a refused answer can be acted on.

struct ScopeDefinition
{
    QString value; // "read:contacts"
    QString description; // "Read your contacts"
    bool operator==(const ScopeDefinition &) const = default;
};

// An API (Auth0: resource server) and its settings.
struct ResourceServer
{
    QString id;
    QString name;
    QString identifier; // the audience tokens are asked for
    QString signingAlgorithm;
    bool isSystem = false; // the Management API itself: shown, never edited
    qint64 tokenLifetimeSeconds = 86400;
    bool rbac = false;
    bool permissionsInToken = false; // the "access_token_authz" dialect
    bool allowOfflineAccess = false;
    QList<ScopeDefinition> scopes;
    // The APIs with records it declares (the bundled server's extension; an Auth0 tenant has none).
    // Built-in ones are the catalogue's and left out; a malformed one is left out with a warning.
    QList<catalogue::ApiSpec> declaredApis;

    QStringList scopeValues() const;
};

// An application; the Machine to Machine page lists those that use client credentials.
struct Client
{
    QString clientId;
    QString name;
    QStringList grantTypes;
    bool usesClientCredentials() const { return grantTypes.contains(QStringLiteral("client_credentials")); }
};

// What a machine-to-machine client may ask of one API.
struct ClientGrant
{
    QString id;
    QString clientId;
    QString audience;
    QStringList scopes;
};

struct User
{
    QString userId;
    QString name;
    QString email;
};

struct Role
{
    QString id;
    QString name;
    QString description;
};

// A permission a user or role holds: one scope of one API, and where a user's comes from.
struct Permission
{
    struct Source
    {
        bool fromRole = false;
        QString roleName;
    };
    QString scope;
    QString audience;
    QList<Source> sources; // a user's: directly assigned, or through these roles; empty for a role's
    // Assigned to the user directly and only so: what can be taken away without touching a role.
    bool isDirect() const;
};

// A change to an API's settings: only what is set is sent (a PATCH).
struct ApiSettingsEdit
{
    std::optional<qint64> tokenLifetimeSeconds;
    std::optional<bool> rbac;
    std::optional<bool> permissionsInToken;
    std::optional<bool> allowOfflineAccess;
    std::optional<QList<ScopeDefinition>> scopes;
    std::optional<QList<catalogue::ApiSpec>> declaredApis;

    QJsonObject toJson() const;
};

Expected<ResourceServer, QString> resourceServerFromJson(const QJsonValue &value, const QString &where);
Expected<Client, QString> clientFromJson(const QJsonValue &value, const QString &where);
Expected<ClientGrant, QString> clientGrantFromJson(const QJsonValue &value, const QString &where);
Expected<User, QString> userFromJson(const QJsonValue &value, const QString &where);
Expected<Role, QString> roleFromJson(const QJsonValue &value, const QString &where);
Expected<Permission, QString> permissionFromJson(const QJsonValue &value, const QString &where);

// Every item of a list, or the first that could not be read; `where` names the list ("users").
template <typename T>
Expected<QList<T>, QString> listFromJson(const QJsonArray &items, const QString &where, Expected<T, QString> (*read)(const QJsonValue &, const QString &))
{
    QList<T> out;
    out.reserve(items.size());
    for (qsizetype i = 0; i < items.size(); ++i) {
        auto item = read(items.at(i), QStringLiteral("%1[%2]").arg(where).arg(i));
        if (!item)
            return Unexpected<QString>(item.error());
        out.append(std::move(*item));
    }
    return out;
}

// One page of a Management API list ({"<key>": [...], "total": n} with include_totals), read from an
// answer's body; a body that is not such a page is an error naming what was expected.
struct ManagementPage
{
    QJsonArray items;
    qint64 total = 0;
};
Expected<ManagementPage, QString> managementPageFromJson(const QByteArray &body, const QString &key);

// Request bodies.
QJsonObject newResourceServerJson(const QString &name, const QString &identifier, const QString &signingAlgorithm);
QJsonArray scopesToJson(const QList<ScopeDefinition> &scopes);
QJsonArray permissionsToJson(const QString &audience, const QStringList &scopes);

} // namespace organizer::app
