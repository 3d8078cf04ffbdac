// The Management API's route table: what each row asks of a token, and the scopes derived from it.

#include "clientgrants.h"
#include "consentstore.h"
#include "managementapi.h"
#include "resourceservers.h"
#include "roles.h"
#include "tenantfile.h"
#include "testdatabase.h"
#include "tokenminter.h"
#include "tokenrevocations.h"
#include "users.h"

#include <QJsonDocument>
#include <QSet>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::management;

TEST(ManagementRoutes, TheScopesAreTheTablesInTheOrderItNamesThem)
{
    // The system Management API defines exactly these (GET /api/v2/resource-servers shows them in this order).
    EXPECT_EQ(ManagementApi::scopes(),
              (QStringList{QStringLiteral("read:resource_servers"),
                           QStringLiteral("create:resource_servers"),
                           QStringLiteral("update:resource_servers"),
                           QStringLiteral("delete:resource_servers"),
                           QStringLiteral("read:clients"),
                           QStringLiteral("create:clients"),
                           QStringLiteral("update:clients"),
                           QStringLiteral("delete:clients"),
                           QStringLiteral("update:client_keys"),
                           QStringLiteral("read:client_grants"),
                           QStringLiteral("create:client_grants"),
                           QStringLiteral("update:client_grants"),
                           QStringLiteral("delete:client_grants"),
                           QStringLiteral("read:users"),
                           QStringLiteral("create:users"),
                           QStringLiteral("update:users"),
                           QStringLiteral("delete:users"),
                           QStringLiteral("read:roles"),
                           QStringLiteral("create:roles"),
                           QStringLiteral("update:roles"),
                           QStringLiteral("delete:roles"),
                           QStringLiteral("create:role_members")}));
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
    EXPECT_EQ(seen.size(), 37);
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
    EXPECT_EQ(router.allowedMethods(request), (QByteArrayList{"GET", "PATCH", "DELETE", "HEAD"}));
    request.path = QStringLiteral("/api/v2/clients/abc/rotate-secret");
    EXPECT_EQ(router.allowedMethods(request), (QByteArrayList{"POST"}));
}

// The tenant model lists no management scope of its own: the system Management API the tenant reader
// builds from the table's definition has what the route table declares, with Auth0's descriptions.
TEST(ManagementRoutes, TheSystemApiHasTheScopesTheTableDeclares)
{
    const authorization::ManagementApiDefinition definition = ManagementApi::definition();
    EXPECT_EQ(definition.scopes, ManagementApi::scopes());
    EXPECT_EQ(definition.currentUserScopes, ManagementApi::currentUserScopes());
    const auto tenant = authorization::loadTenant(authorization::defaultTenantPath(), definition);
    ASSERT_TRUE(tenant) << tenant.error().toStdString();
    const authorization::Api *system = tenant->api(tenant->managementAudience);
    ASSERT_TRUE(system && system->system);
    QStringList values;
    for (const authorization::ApiScope &scope : system->scopes)
        values.append(scope.value);
    EXPECT_EQ(values, ManagementApi::scopes() + ManagementApi::currentUserScopes());
    EXPECT_EQ(system->describe(QStringLiteral("read:resource_servers")), QStringLiteral("Read resource servers"));
    EXPECT_TRUE(system->isCurrentUserScope(QStringLiteral("read:current_user")));
    EXPECT_FALSE(system->isCurrentUserScope(QStringLiteral("read:users")));
    EXPECT_FALSE(tenant->api(QStringLiteral("organize"))->isCurrentUserScope(QStringLiteral("read:current_user"))) << "only the system API's";
}

// Request bodies through the resources that read them: what a refused body is answered with, each
// problem named by its path. None of these reaches the tenant store.
namespace {

class ManagementBodies : public ::testing::Test
{
protected:
    ManagementBodies() { minter.setIssuer(QStringLiteral("http://127.0.0.1:3001/")); }

    http::Request request(const QByteArray &body, const QString &id = {}) const
    {
        http::Request request;
        request.headers = {{"content-type", "application/json"}};
        request.body = body;
        if (!id.isNull())
            request.pathParameters.insert(QStringLiteral("id"), id);
        return request;
    }

    // The message of a 400 invalid_body, or what was answered instead.
    static QString refusal(const http::Response &response)
    {
        const QJsonObject answer = QJsonDocument::fromJson(response.body).object();
        if (response.status != 400 || answer.value(QLatin1String("errorCode")).toString() != QLatin1String("invalid_body"))
            return QStringLiteral("answered %1: %2").arg(response.status).arg(QString::fromUtf8(response.body));
        return answer.value(QLatin1String("message")).toString();
    }

    static QString payload(const char *problem) { return QStringLiteral("Payload validation error: '%1'.").arg(QString::fromUtf8(problem)); }

    QTemporaryDir dir;
    std::shared_ptr<store::Database> database = organizer::testing::sqliteDatabase(dir.filePath(QStringLiteral("organizer.sqlite")));
    authorization::TokenMinter minter{[] { return jose::SigningKey{QStringLiteral("k1"), jose::RsaKey::generate(2048).value(), 0}; }};
    store::ConsentStore consents{database};
    resource::TokenRevocations revocations;
    authorization::AuthorizationServer server{authorization::loadTenant(authorization::defaultTenantPath(), ManagementApi::definition()).value(),
                                              &minter,
                                              &consents,
                                              nullptr,
                                              [] { return QByteArray(R"({"keys":[]})"); },
                                              database,
                                              &revocations};
    store::TenantStore tenants{database};
    ManagementContext context{{QStringLiteral("organize"), {}, {}}, &server, &tenants, [](const authorization::Tenant &) { return Done{}; }};
};

} // namespace

TEST_F(ManagementBodies, AResourceServerIsReadMemberByMember)
{
    ResourceServers apis(context);
    const auto create = [&](const char *body) { return refusal(apis.create(request(body))); };
    EXPECT_EQ(create(R"({"name":"Samples"})"), payload("Missing required property: identifier"));
    EXPECT_EQ(create(R"({"name":"Samples","identifier":"  "})"), payload("Missing required property: identifier"));
    EXPECT_EQ(create(R"({"identifier":"https://samples/","name":5})"), payload("Missing required property: name"));
    EXPECT_EQ(create(R"({"identifier":"https://samples/","name":"  "})"), payload("name: must be a string of 1 to 200 characters"));
    EXPECT_EQ(create(R"({"identifier":"https://samples/","name":"S","signing_secret":"x"})"), payload("Additional properties not allowed: signing_secret"));
    EXPECT_EQ(create(R"({"identifier":"https://samples/","name":"S","signing_alg":"HS256"})"),
              payload("signing_alg: must be RS256, the only algorithm Organizer signs and accepts"));
    EXPECT_EQ(create(R"({"identifier":"https://samples/","name":"S","scopes":[{"value":"read:samples"},{"value":"read samples"}]})"),
              payload("scopes[1].value: scope \"read samples\" must be 1 to 280 printable characters without spaces, quotes or backslashes"));
    EXPECT_EQ(create(R"({"identifier":"https://samples/","name":"S","scopes":[{"value":"read:samples"},{"value":"read:samples"}]})"),
              payload("scopes[1].value: scope \"read:samples\" is listed twice"));
    EXPECT_EQ(create(R"({"identifier":"https://samples/","name":"S","scopes":[{"value":"read:samples","summary":"x"}]})"),
              payload("Additional properties not allowed: scopes[0].summary"));
    EXPECT_EQ(create(R"({"identifier":"https://samples/","name":"S","scopes":["read:samples"]})"), payload("scopes[0]: must be an object"));
    EXPECT_EQ(create(R"({"identifier":"https://samples/","name":"S","scopes":{}})"), payload("scopes: must be an array of at most 1000 {value, description}"));
    EXPECT_EQ(create(R"({"identifier":"https://samples/","name":"S","enforce_policies":"yes"})"), payload("enforce_policies: must be true or false"));
    EXPECT_EQ(create(R"({"identifier":"https://samples/","name":"S","token_dialect":"jwt"})"),
              payload("token_dialect: must be access_token, access_token_authz, rfc9068_profile or rfc9068_profile_authz"));
    EXPECT_EQ(create(R"({"identifier":"https://samples/","name":"S","token_lifetime":59})"),
              payload("token_lifetime: must be a whole number of seconds from 60 to 2592000"));
    EXPECT_EQ(create(R"({"identifier":"https://samples/","name":"S","token_lifetime_for_web":3600.5})"),
              payload("token_lifetime_for_web: must be a whole number of seconds from 60 to 2592000"));
    EXPECT_EQ(create(R"({"identifier":"https://samples/","name":"S","organizer_apis":[{"name":"notes","fields":[{"name":"body"}]}]})"),
              payload("organizer_apis: only the API organize, which this server serves, can declare APIs with records"));
    // The first problem is the answer, in the order the members are read.
    EXPECT_EQ(create(R"({"identifier":"https://samples/","name":"S","token_lifetime":1,"enforce_policies":1})"),
              payload("enforce_policies: must be true or false"));

    const auto update = [&](const char *body) { return refusal(apis.update(request(body, QStringLiteral("organize")))); };
    EXPECT_EQ(update(R"({"identifier":"changed"})"), payload("Additional properties not allowed: identifier"));
    EXPECT_EQ(update(R"({"organizer_apis":[{"name":"contacts","fields":[{"name":"x"}]}]})"),
              payload("organizer_apis[0].name: \"contacts\" names an API that exists already"));
    EXPECT_EQ(update(R"({"organizer_apis":[{"name":"notes","fields":[{"name":"x"}]},{"name":"notes","fields":[{"name":"x"}]}]})"),
              payload("organizer_apis[1].name: \"notes\" names an API that exists already"));
    EXPECT_EQ(update(R"({"organizer_apis":[{"name":"notes","fields":[{"name":"x","required":"yes"}]}]})"),
              payload("organizer_apis[0].fields[0].required: must be true or false"));
    EXPECT_EQ(update(R"({"organizer_apis":[{"builtin":true,"anything":1},7]})"), payload("organizer_apis[1]: must be an object"))
        << "the catalogue's own are skipped, whatever they hold";
}

TEST_F(ManagementBodies, AClientGrantsScopesAreTheAudiencesOwn)
{
    ClientGrants grants(context);
    const auto create = [&](const char *body) { return refusal(grants.create(request(body))); };
    EXPECT_EQ(create(R"({"client_id":"organizer-cli","audience":"organize","scope":[],"grant_type":"x"})"),
              payload("Additional properties not allowed: grant_type"));
    EXPECT_EQ(create(R"({"audience":"organize","scope":[]})"), payload("Missing required property: client_id"));
    EXPECT_EQ(create(R"({"client_id":"organizer-cli","audience":"","scope":[]})"), payload("Missing required property: audience"));
    EXPECT_EQ(create(R"({"client_id":"organizer-cli","audience":"organize"})"), payload("Missing required property: scope (an array of scopes)"));
    EXPECT_EQ(create(R"({"client_id":"organizer-cli","audience":"organize","scope":"read:contacts"})"),
              payload("Missing required property: scope (an array of scopes)"));
    EXPECT_EQ(create(R"({"client_id":"organizer-cli","audience":"organize","scope":["read:contacts","write:everything"]})"),
              payload("scope[1]: \"write:everything\" is not a scope of organize"));
    EXPECT_EQ(create(R"({"client_id":"organizer-cli","audience":"organize","scope":["read:contacts",7]})"), payload("scope[1]: must be a string"));
}

TEST_F(ManagementBodies, ARolesNameAndDescriptionHaveTheirLengths)
{
    Roles roles(context);
    const auto create = [&](const QByteArray &body) { return refusal(roles.create(request(body))); };
    EXPECT_EQ(create(R"({"description":"no name"})"), payload("Missing required property: name"));
    EXPECT_EQ(create(R"({"name":"Editor","permissions":[]})"), payload("Additional properties not allowed: permissions"));
    EXPECT_EQ(create(R"({"name":""})"), payload("name: must be a string of 1 to 50 characters"));
    EXPECT_EQ(create(R"({"name":")" + QByteArray(51, 'n') + R"("})"), payload("name: must be a string of 1 to 50 characters"));
    EXPECT_EQ(create(R"({"name":"Editor","description":")" + QByteArray(141, 'd') + R"("})"),
              payload("description: must be a string of at most 140 characters"));
    EXPECT_EQ(create(R"({"name":"Editor","description":null})"), payload("description: must be a string of at most 140 characters"));
    EXPECT_EQ(roles.update(request(R"({"name":7})", QStringLiteral("rol_none"))).status, 404) << "an unknown role is answered before its body is read";
}

TEST_F(ManagementBodies, AUsersRolesAreAListOfRoleIds)
{
    Users users(context);
    const auto add = [&](const char *body) { return refusal(users.addRoles(request(body, QStringLiteral("auth0|alice")))); };
    EXPECT_EQ(add(R"({})"), payload("roles: must be an array of role ids"));
    EXPECT_EQ(add(R"({"roles":[]})"), payload("roles: must be an array of role ids"));
    EXPECT_EQ(add(R"({"roles":["rol_1"],"user_id":"x"})"), payload("Additional properties not allowed: user_id"));
    EXPECT_EQ(add(R"({"roles":[7]})"), payload("roles[0]: must be a string"));
    const http::Response unknown = users.removeRoles(request(R"({"roles":["rol_nope",7]})", QStringLiteral("auth0|alice")));
    EXPECT_EQ(unknown.status, 404) << "the first role the tenant does not have is the answer";
    EXPECT_EQ(QJsonDocument::fromJson(unknown.body).object().value(QLatin1String("message")).toString(),
              QStringLiteral("The role \"rol_nope\" does not exist."));
}
