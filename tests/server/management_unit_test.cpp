// The Management API's route table: what each row asks of a token, and the scopes derived from it.

#include "managementapi.h"
#include "tenantfile.h"

#include <QSet>

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::management;

TEST(ManagementRoutes, TheScopesAreTheTablesInTheOrderItNamesThem)
{
    // The system Management API defines exactly these (GET /api/v2/resource-servers shows them in this order).
    EXPECT_EQ(ManagementApi::scopes(),
              (QStringList{QStringLiteral("read:resource_servers"), QStringLiteral("create:resource_servers"), QStringLiteral("update:resource_servers"),
                           QStringLiteral("delete:resource_servers"), QStringLiteral("read:clients"), QStringLiteral("read:client_grants"),
                           QStringLiteral("create:client_grants"), QStringLiteral("update:client_grants"), QStringLiteral("delete:client_grants"),
                           QStringLiteral("read:users"), QStringLiteral("update:users"), QStringLiteral("read:roles"), QStringLiteral("create:roles"),
                           QStringLiteral("update:roles"), QStringLiteral("delete:roles")}));
    EXPECT_EQ(ManagementApi::currentUserScopes(), QStringList{QStringLiteral("read:current_user")});
}

TEST(ManagementRoutes, EveryRowIsOneRouteUnderApiV2WithAScopeAndAnOperation)
{
    QSet<QString> seen;
    for (const ManagementApi::Route &route : ManagementApi::routes()) {
        const QString key = QString::fromLatin1(route.method) + QLatin1Char(' ') + route.pattern;
        EXPECT_FALSE(seen.contains(key)) << key.toStdString() << " is in the table twice";
        seen.insert(key);
        EXPECT_TRUE(route.pattern.startsWith(QLatin1String("/api/v2/"))) << key.toStdString();
        EXPECT_FALSE(route.scope.isEmpty()) << key.toStdString();
        EXPECT_TRUE(bool(route.operation)) << key.toStdString();
        // A current_user scope opens a route for the token's own user: the path must name one.
        if (!route.selfScope.isEmpty()) {
            EXPECT_TRUE(route.pattern.endsWith(QLatin1String("/{id}")) && route.method == "GET") << key.toStdString();
        }
        // Auth0's verbs: reading needs read:, creating create:, changing update:, deleting delete: (or update: for a relation).
        const QString verb = route.scope.section(QLatin1Char(':'), 0, 0);
        EXPECT_EQ(verb == QLatin1String("read"), route.method == "GET") << key.toStdString();
    }
    EXPECT_EQ(seen.size(), 27);
}

TEST(ManagementRoutes, EveryRowIsRegistered)
{
    // registerRoutes() needs an instance; the router's view of the table's paths is what a client sees.
    http::Router router;
    for (const ManagementApi::Route &route : ManagementApi::routes())
        router.add(route.method, route.pattern, [](const http::Request &, http::Responder respond) { respond(http::Response::noContent()); });
    http::Request request;
    request.path = QStringLiteral("/api/v2/roles/rol_1/permissions");
    EXPECT_EQ(router.allowedMethods(request), (QByteArrayList{"GET", "POST", "DELETE", "HEAD"}));
    request.path = QStringLiteral("/api/v2/clients/abc");
    EXPECT_EQ(router.allowedMethods(request), (QByteArrayList{"GET", "HEAD"}));
}

// The tenant model lists no management scope of its own: the system Management API it builds has what
// the route table declares, with Auth0's descriptions.
TEST(ManagementRoutes, TheSystemApiHasTheScopesTheTableDeclares)
{
    declareManagementScopes();
    const auto tenant = authorization::loadTenant(authorization::defaultTenantPath());
    ASSERT_TRUE(tenant) << tenant.error().toStdString();
    const authorization::Api *system = tenant->api(tenant->managementAudience);
    ASSERT_TRUE(system && system->system);
    QStringList values;
    for (const authorization::ApiScope &scope : system->scopes)
        values.append(scope.value);
    EXPECT_EQ(values, ManagementApi::scopes() + ManagementApi::currentUserScopes());
    EXPECT_EQ(system->describe(QStringLiteral("read:resource_servers")), QStringLiteral("Read resource servers"));
    EXPECT_EQ(authorization::managementScopes(), ManagementApi::scopes());
    EXPECT_TRUE(authorization::isCurrentUserScope(QStringLiteral("read:current_user")));
    EXPECT_FALSE(authorization::isCurrentUserScope(QStringLiteral("read:users")));
}
