#pragma once

#include "accessrules.h"
#include "catalogue.h"

#include "expected.h"

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace organizer::qa {

// One API call of the grid: method + path, the scope the Organizer Service says it needs, and for
// writes a sample body. "{id}" in the path stands for a record the run creates for the cell.
struct Endpoint
{
    QByteArray method;
    QString path;
    QString scope;
    QJsonObject body;

    QString name() const { return QString::fromLatin1(method) + QLatin1Char(' ') + path; }
    bool needsRecord() const { return path.contains(QLatin1String("{id}")); }
    QString collectionPath() const { return path.section(QStringLiteral("/{id}"), 0, 0); }
};

// Who logs in: a person through the real login pages, or an application with client_credentials.
struct PlanUser
{
    enum class Kind { Password, ClientCredentials };
    Kind kind = Kind::Password;
    QString login; // the person's email (Password)
    QString password;
    QString clientId; // ClientCredentials
    QString clientSecret;

    QString label() const { return kind == Kind::Password ? login : QStringLiteral("%1 (client_credentials)").arg(clientId); }
};

// A tenant file's rules (organizer-server's format, the QA plan's "tenant"): its APIs with their
// RBAC switch and scopes, its users' permissions, its clients' grants. `where` names the source in
// errors ("tenant" or a file name): "tenant.users[1].permissions.organize[0]: …".
Expected<app::AccessRules, QString> readAccessRules(const QJsonObject &tenant, const QString &where);

// The tenant's rules for the one API a plan tests (Auth0: the API's RBAC switch, the users'
// permissions, the applications' client grants for it).
struct TenantRules
{
    QString audience;
    bool rbac = false;
    QStringList apiScopes;
    QHash<QString, QStringList> userPermissions; // by email and by user_id
    QHash<QString, QStringList> clientGrants; // client_id → scopes granted for `audience`

    // Fails when the tenant has no API `audience`; `where` names the source as above.
    static Expected<TenantRules, QString> forAudience(const app::AccessRules &tenant, const QString &audience, const QString &where);
};

// The negative probes made against every endpoint besides the grid.
enum class Probe { NoToken, ExpiredToken, TamperedToken, OtherAudience, WithoutOpenId };
QString probeName(Probe probe); // "no_token", as in the plan
QString probeDescription(Probe probe); // a phrase for people
std::optional<Probe> probeFromName(const QString &name);

// An expectation the plan states instead of deriving it. Empty user/scopes match every row.
struct Pin
{
    QString user;
    std::optional<QStringList> scopes;
    QString endpoint; // "METHOD /path" as in the endpoint list
    int status = 0;
    QString error; // the RFC 6750 error code expected, or empty for none
    QString reason;
};

struct ScopeSet
{
    QString label; // "read:contacts", "contacts (all)", "all", "none"
    QStringList scopes;
};

struct Plan
{
    QString description;
    QString source; // the file it came from, or "built-in default plan"
    QString audience = catalogue::organizerService().identifier;
    QStringList loginScopes{QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("email")};
    QList<Endpoint> endpoints;
    QList<PlanUser> users;
    QList<ScopeSet> scopeSets;
    QList<Probe> probes;
    QList<Pin> pins;
    TenantRules tenant;

    // Reads a plan. `tenantFallback` is used when the plan names "tenant": "bundled" (the demo tenant
    // organizer-server serves) or none; a relative tenant path is resolved against `baseDir`. Errors
    // name the field: "endpoints[2].scope: …".
    static Expected<Plan, QString> parse(const QByteArray &json, const QString &source, const QString &baseDir, const app::AccessRules &tenantFallback);
    static Expected<Plan, QString> load(const QString &path, const app::AccessRules &tenantFallback);
    // The plan shipped for the demo tenant: users and probes from resources/qa-plan.json, and five
    // endpoints per catalogue API (list, create, read, replace, delete), each with its scope.
    static Plan builtIn();
    // The same plan for the tenant as it is now: these APIs, these rules (TenantAdmin::accessRules()).
    static Expected<Plan, QString> builtIn(const QList<catalogue::ApiSpec> &apis, const app::AccessRules &tenant);
    // The demo tenant organizer-server serves (resources/tenant.json).
    static app::AccessRules bundledTenant();
};

// Each API scope alone, each API's scopes together, all of them, none (the default scope sets).
QList<ScopeSet> defaultScopeSets(const QStringList &apiScopes);

// The scope QA endpoints of every API of `service`: list, create, read, replace and delete, each
// with the scope the catalogue puts on it and a valid sample body where one is sent.
QJsonArray defaultEndpoints(const catalogue::ResourceServerSpec &service);

} // namespace organizer::qa
