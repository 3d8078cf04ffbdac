#pragma once

#include "accessrules.h"
#include "catalogue.h"
#include "httpclient.h"
#include "managementvalues.h"

#include <QHash>
#include <QJsonObject>
#include <QObject>

#include <functional>
#include <optional>

namespace organizer::app {

// Where a tenant is administered: Auth0's Management API, of the bundled server or of a real Auth0
// tenant, reached with a machine-to-machine client that holds management scopes.
struct ManagementTarget
{
    QUrl apiBase; // "…/api/v2/"
    QUrl tokenEndpoint; // "…/oauth/token"
    QString audience; // the Management API's identifier: issuer + "api/v2/"
    QString clientId;
    QString clientSecret; // in memory only

    bool isValid() const { return apiBase.isValid() && tokenEndpoint.isValid() && !clientId.isEmpty() && !clientSecret.isEmpty(); }
    // Auth0's layout: everything under the issuer (which ends with '/').
    static ManagementTarget forIssuer(const QUrl &issuer, const QString &clientId, const QString &clientSecret);
};

// The Tenant tab's model and the tutorial's hands: reads the tenant through the Management API
// (APIs, applications, grants, users, roles) and changes it, in Auth0's shapes, so the same code
// runs against the bundled server and a real Auth0 tenant. It speaks typed values (managementvalues.h):
// the wire format stays in app/core. Each change reads back what it touched;
// changed() tells the views, failed() says in one sentence what the server refused and why.
class TenantAdmin : public QObject
{
    Q_OBJECT

public:
    explicit TenantAdmin(QObject *parent = nullptr);

    void setTarget(const ManagementTarget &target);
    const ManagementTarget &target() const { return m_target; }
    bool hasTarget() const { return m_target.isValid(); }
    bool isBusy() const { return m_running > 0; }

    // ok, or false with the reason (also sent through failed()).
    using Done = std::function<void(bool ok, const QString &message)>;

    // Reads everything the tab shows; the user and role details come with it.
    void reload(Done done = {});

    const QList<ResourceServer> &resourceServers() const { return m_resourceServers; }
    const QList<Client> &clients() const { return m_clients; }
    const QList<ClientGrant> &clientGrants() const { return m_clientGrants; }
    const QList<User> &users() const { return m_users; }
    const QList<Role> &roles() const { return m_roles; }
    QList<Permission> userPermissions(const QString &userId) const { return m_userPermissions.value(userId); }
    QList<Role> userRoles(const QString &userId) const { return m_userRoles.value(userId); }
    QList<Permission> rolePermissions(const QString &roleId) const { return m_rolePermissions.value(roleId); }
    std::optional<ResourceServer> resourceServer(const QString &idOrIdentifier) const;
    std::optional<ClientGrant> clientGrant(const QString &clientId, const QString &audience) const;

    // What the rest of the app follows: the APIs with records and the scopes of one API (by identifier).
    QList<catalogue::ApiSpec> recordApis(const QString &audience) const;
    QStringList scopes(const QString &audience) const;
    // What decides what a login is granted (APIs with RBAC and scopes, users' effective permissions,
    // client grants): what the scope QA plan predicts its grid from.
    AccessRules accessRules() const;

    // The dashboard's steps, in the tutorial's order.
    void createApi(const QString &name, const QString &identifier, const QString &signingAlgorithm, Done done = {});
    void deleteApi(const QString &id, Done done = {});
    // Token lifetime, RBAC, permissions in the token, offline access, scopes, declared APIs: what the edit sets.
    void updateApiSettings(const QString &id, const ApiSettingsEdit &edit, Done done = {});
    void addScope(const QString &apiId, const QString &value, const QString &description, Done done = {});
    void removeScope(const QString &apiId, const QString &value, Done done = {});
    // Machine to Machine: authorizes the client for the API with these scopes; unauthorizes it when
    // `authorized` is false.
    void setClientGrant(const QString &clientId, const QString &audience, bool authorized, const QStringList &scopes, Done done = {});
    void addUserPermissions(const QString &userId, const QString &audience, const QStringList &scopes, Done done = {});
    void removeUserPermissions(const QString &userId, const QString &audience, const QStringList &scopes, Done done = {});
    void createRole(const QString &name, const QString &description, Done done = {});
    void deleteRole(const QString &roleId, Done done = {});
    void addRolePermissions(const QString &roleId, const QString &audience, const QStringList &scopes, Done done = {});
    void removeRolePermissions(const QString &roleId, const QString &audience, const QStringList &scopes, Done done = {});
    void assignRoles(const QString &userId, const QStringList &roleIds, Done done = {});
    void removeRoles(const QString &userId, const QStringList &roleIds, Done done = {});

Q_SIGNALS:
    void changed();
    void failed(const QString &message);
    void busyChanged(bool busy);

private:
    using Answer = std::function<void(const HttpReply &reply)>;
    // One Management API call with a valid token (fetched by client credentials, kept until shortly
    // before it expires).
    void call(const QByteArray &method, const QString &path, const QJsonValue &body, Answer answer);
    void withToken(std::function<void(const QString &error)> ready);
    // Every page of a list (include_totals), then `done` with all of it, read as T.
    template <typename T>
    void listAll(const QString &path, const QString &key, Expected<T, QString> (*read)(const QJsonValue &, const QString &),
                 std::function<void(const QList<T> &items, const QString &error)> done);
    // Runs a change, then reload(); `what` names it in messages ("create the API Samples").
    void change(const QByteArray &method, const QString &path, const QJsonValue &body, const QString &what, Done done);
    QString describe(const HttpReply &reply) const;
    void begin();
    void end();

    HttpClient m_http;
    ManagementTarget m_target;
    QByteArray m_token;
    qint64 m_tokenExpiresAt = 0;
    QList<std::function<void(const QString &error)>> m_tokenWaiters; // while a token request is under way
    quint64 m_targetGeneration = 0; // answers for an earlier target are dropped
    int m_running = 0;
    QList<ResourceServer> m_resourceServers;
    QList<Client> m_clients;
    QList<ClientGrant> m_clientGrants;
    QList<User> m_users;
    QList<Role> m_roles;
    QHash<QString, QList<Permission>> m_userPermissions;
    QHash<QString, QList<Role>> m_userRoles;
    QHash<QString, QList<Permission>> m_rolePermissions;
};

} // namespace organizer::app
