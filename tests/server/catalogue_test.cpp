// The catalogue of APIs and what is derived from it: scopes, the resource server's routes and store
// tables, the demo tenant's scopes, the QA plan's endpoints; API declarations through the Management
// API's extension; the tenant document the Management API keeps.

#include "accesstokenverifier.h"
#include "catalogue.h"
#include "managementapi.h"
#include "qaplan.h"
#include "recordstore.h"
#include "testdatabase.h"
#include "recordvalidation.h"
#include "resourceserver.h"
#include "router.h"
#include "tenantfile.h"
#include "tokenminter.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::catalogue;

namespace {

authorization::Tenant demoTenant()
{
    return authorization::loadTenant(authorization::defaultTenantPath(), management::ManagementApi::definition()).value();
}

QJsonObject parse(const char *json)
{
    return QJsonDocument::fromJson(json).object();
}

} // namespace

TEST(Catalogue, EachActionOfEachApiIsGuardedByItsOwnScope)
{
    const ResourceServerSpec &service = organizerService();
    EXPECT_EQ(service.identifier, QStringLiteral("organize"));
    EXPECT_EQ(service.signingAlgorithm, QStringLiteral("RS256"));
    EXPECT_EQ(service.scopes(),
              (QStringList{QStringLiteral("read:contacts"), QStringLiteral("create:contacts"), QStringLiteral("update:contacts"),
                           QStringLiteral("delete:contacts"), QStringLiteral("read:calendar"), QStringLiteral("create:calendar"),
                           QStringLiteral("update:calendar"), QStringLiteral("delete:calendar")}));
    EXPECT_EQ(service.apiServedAt(QStringLiteral("appointments"))->name, QStringLiteral("calendar"));
    EXPECT_EQ(service.apiServedAt(QStringLiteral("calendar"))->name, QStringLiteral("calendar")) << "the alias";
    EXPECT_EQ(service.apiForScope(QStringLiteral("delete:contacts"))->collection, QStringLiteral("contacts"));
    EXPECT_EQ(service.apiServedAt(QStringLiteral("v2")), nullptr);
}

TEST(Catalogue, TheDemoTenantDefinesEveryCatalogueScopeWithTheCataloguesDescription)
{
    const authorization::Tenant tenant = demoTenant();
    const authorization::Api *api = tenant.api(QStringLiteral("organize"));
    ASSERT_NE(api, nullptr);
    EXPECT_EQ(api->scopeValues(), organizerService().scopes());
    for (const ApiSpec &spec : organizerService().apis) {
        for (const Action action : allActions)
            EXPECT_EQ(api->describe(spec.scope(action)), spec.scopeDescription(action)) << spec.scope(action).toStdString();
    }
}

TEST(Catalogue, SampleRecordsPassTheirApisValidation)
{
    for (const ApiSpec &api : organizerService().apis) {
        QList<FieldError> errors;
        validateRecord(api, sampleRecord(api), &errors);
        EXPECT_TRUE(errors.isEmpty()) << api.name.toStdString() << ": " << (errors.isEmpty() ? std::string() : errors.first().message.toStdString());
    }
    EXPECT_EQ(sampleRecord(*organizerService().api(QStringLiteral("contacts"))).value(QLatin1String("name")).toString(), QStringLiteral("QA Probe"));
}

struct DeclarationCase
{
    const char *name;
    const char *json;
    const char *problem; // empty: accepted
};

class Declarations : public ::testing::TestWithParam<DeclarationCase>
{};

TEST_P(Declarations, AreCheckedFieldByField)
{
    auto declared = declaredApiFromJson(parse(GetParam().json), QStringLiteral("organizer_apis[0]"));
    if (qstrlen(GetParam().problem) == 0) {
        ASSERT_TRUE(declared) << declared.error().toStdString();
        // What apiToJson() writes reads back as the same API once the derived members are left out.
        QJsonObject written = apiToJson(*declared);
        for (const char *derived : {"path", "scopes", "builtin"})
            written.remove(QLatin1String(derived));
        auto again = declaredApiFromJson(written, QStringLiteral("again"));
        ASSERT_TRUE(again) << again.error().toStdString();
        EXPECT_EQ(*again, *declared);
        return;
    }
    ASSERT_FALSE(declared);
    EXPECT_TRUE(declared.error().contains(QLatin1String(GetParam().problem))) << declared.error().toStdString();
}

INSTANTIATE_TEST_SUITE_P(
    Catalogue, Declarations,
    ::testing::Values(DeclarationCase{"tutorial_samples", R"({"name":"samples","fields":[{"name":"title","required":true}]})", ""},
                      DeclarationCase{"every_type",
                                      R"({"name":"visits","title":"Site visits","singular":"visit","fields":[{"name":"who","type":"text","max_length":80},
                          {"name":"mail","type":"email"},{"name":"phone","type":"phone"},{"name":"at","type":"datetime","required":true},{"name":"length","type":"minutes"}]})",
                                      ""},
                      DeclarationCase{"uppercase_name", R"({"name":"Samples","fields":[{"name":"t"}]})", "organizer_apis[0].name"},
                      DeclarationCase{"sql_in_name", R"({"name":"x; drop table contacts","fields":[{"name":"t"}]})", "organizer_apis[0].name"},
                      DeclarationCase{"management_path", R"({"name":"v2","fields":[{"name":"t"}]})", "Management API"},
                      DeclarationCase{"no_fields", R"({"name":"samples","fields":[]})", ".fields"},
                      DeclarationCase{"id_field", R"({"name":"samples","fields":[{"name":"id"}]})", ".fields[0].name"},
                      DeclarationCase{"utc_suffix", R"({"name":"samples","fields":[{"name":"taken_utc"}]})", ".fields[0].name"},
                      DeclarationCase{"postgres_xmin", R"({"name":"samples","fields":[{"name":"t"},{"name":"xmin"}]})", ".fields[1].name: \"xmin\""},
                      DeclarationCase{"postgres_ctid", R"({"name":"samples","fields":[{"name":"ctid"}]})", ".fields[0].name: \"ctid\""},
                      DeclarationCase{"postgres_tableoid", R"({"name":"samples","fields":[{"name":"tableoid"}]})", ".fields[0].name: \"tableoid\""},
                      DeclarationCase{"sqlite_rowid", R"({"name":"samples","fields":[{"name":"rowid"}]})", ".fields[0].name: \"rowid\""},
                      DeclarationCase{"oid", R"({"name":"samples","fields":[{"name":"oid"}]})", ".fields[0].name: \"oid\""},
                      DeclarationCase{"twice", R"({"name":"samples","fields":[{"name":"t"},{"name":"t"}]})", "declared twice"},
                      DeclarationCase{"unknown_type", R"({"name":"samples","fields":[{"name":"t","type":"blob"}]})", "\"blob\" is not one of"},
                      DeclarationCase{"required_not_bool", R"({"name":"samples","fields":[{"name":"t","required":"yes"}]})", ".required"},
                      DeclarationCase{"length_zero", R"({"name":"samples","fields":[{"name":"t","max_length":0}]})", ".max_length"},
                      DeclarationCase{"unknown_member", R"({"name":"samples","table":"users","fields":[{"name":"t"}]})", ".table"}),
    [](const auto &row) { return std::string(row.param.name); });

// Declared again with changes: whatever stored values can still be read in the new types is allowed;
// a field becoming minutes from another type is refused, naming it.
TEST(Catalogue, AFieldMayChangeTypeOnlyWhereItsStoredValuesStillRead)
{
    const auto declare = [](const char *json) { return declaredApiFromJson(parse(json), QStringLiteral("organizer_apis[0]")).value(); };
    const ApiSpec before = declare(R"({"name":"visits","fields":[{"name":"title","required":true},{"name":"length","type":"minutes"},{"name":"at"}]})");
    EXPECT_TRUE(checkFieldChanges(before, declare(R"({"name":"visits","fields":[{"name":"at","type":"datetime"},{"name":"length"},{"name":"extra"}]})"),
                                  QStringLiteral("organizer_apis[0]")))
        << "dropped, made optional, minutes to text, text to datetime, a new field";
    auto refused = checkFieldChanges(before, declare(R"({"name":"visits","fields":[{"name":"length"},{"name":"title","type":"minutes"}]})"),
                                     QStringLiteral("organizer_apis[0]"));
    ASSERT_FALSE(refused);
    EXPECT_TRUE(refused.error().startsWith(QLatin1String("organizer_apis[0].fields[1].type: \"title\""))) << refused.error().toStdString();
}

// Adding an API is one catalogue entry plus its seed data: the store makes and seeds its table, the
// resource server serves it at /api/<name> with its four scopes, and the QA plan probes it.
TEST(Catalogue, AddingAnApiIsOneEntryPlusSeedData)
{
    QTemporaryDir dir;
    const QString seed = dir.filePath(QStringLiteral("notes.json"));
    {
        QFile file(seed);
        ASSERT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(R"({"notes": [{"title": "Call Jane", "body": "about the offsite"}, {"title": "Buy milk"}]})");
    }
    ResourceServerSpec service = organizerService();
    service.apis.append(ApiSpec{QStringLiteral("notes"),
                                QStringLiteral("Notes"),
                                QStringLiteral("notes"),
                                QStringLiteral("note"),
                                {},
                                {{QStringLiteral("title"), RecordField::Type::Text, true, 100}, {QStringLiteral("body"), RecordField::Type::Text, false, 2000}},
                                QStringLiteral("title"),
                                QStringLiteral("notes"),
                                seed});

    auto store = store::RecordStore::open(organizer::testing::sqliteDatabase(dir.filePath(QStringLiteral("organizer.sqlite"))), service.apis);
    ASSERT_TRUE(store) << store.error().toStdString();
    const auto seeded = (*store)->list(service.apis.last());
    ASSERT_TRUE(seeded);
    ASSERT_EQ(seeded->size(), 2);
    EXPECT_EQ(seeded->at(0).toObject().value(QLatin1String("title")).toString(), QStringLiteral("Buy milk")) << "sorted by title";

    const jose::SigningKey key{QStringLiteral("k1"), jose::RsaKey::generate(2048).value(), 0};
    resource::LocalIssuerKeys keys(QStringLiteral("http://127.0.0.1:3001/"), jose::JwkSet({jose::Jwk::forSigningKey(key.key, key.kid)}));
    resource::AccessTokenVerifier verifier(&keys, {QStringLiteral("organize"), 30, 100});
    resource::ResourceServer resourceServer({QStringLiteral("organize"), {}, {}}, &verifier, store->get());
    ASSERT_TRUE(resourceServer.publish(service.apis, std::nullopt));
    http::Router router;
    resourceServer.registerRoutes(router, organizerService().apis);
    resourceServer.registerDeclaredApiRoutes(router);
    authorization::TokenMinter minter([&key]() -> const jose::SigningKey & { return key; });
    minter.setIssuer(QStringLiteral("http://127.0.0.1:3001/"));
    authorization::Api audience;
    audience.identifier = QStringLiteral("organize");
    const auto call = [&router](const QByteArray &method, const QString &path, const QByteArray &token, const QByteArray &body = {}) {
        http::Request request;
        request.method = method;
        request.path = path;
        request.headers = {{"authorization", "Bearer " + token}, {"content-type", "application/json"}};
        request.body = body;
        http::Response answer;
        router.dispatch(request, [&answer](http::Response response) { answer = std::move(response); });
        return answer;
    };
    const QByteArray reader = minter.accessToken(&audience, QStringLiteral("auth0|alice"), QStringLiteral("c"), {QStringLiteral("read:notes")}, false)->token;
    const http::Response listed = call("GET", QStringLiteral("/api/notes"), reader);
    EXPECT_EQ(listed.status, 200);
    EXPECT_EQ(QJsonDocument::fromJson(listed.body).object().value(QLatin1String("notes")).toArray().size(), 2);
    const http::Response refused = call("POST", QStringLiteral("/api/notes"), reader, R"({"title":"x"})");
    EXPECT_EQ(refused.status, 403);
    EXPECT_TRUE(refused.header("www-authenticate").contains("scope=\"create:notes\""));
    const QByteArray writer = minter.accessToken(&audience, QStringLiteral("auth0|alice"), QStringLiteral("c"), {QStringLiteral("create:notes")}, false)->token;
    EXPECT_EQ(call("POST", QStringLiteral("/api/notes"), writer, R"({"title":"x"})").status, 201);
    EXPECT_EQ(call("POST", QStringLiteral("/api/notes"), writer, R"({"body":"no title"})").status, 400);
    EXPECT_EQ(call("GET", QStringLiteral("/api/contacts"), reader).status, 403) << "the other APIs keep their own scopes";
    EXPECT_EQ(call("GET", QStringLiteral("/api/nothing"), reader).status, 404);

    // Published without a scope the tenant no longer defines: that scope opens nothing.
    ASSERT_TRUE(resourceServer.publish(service.apis, QSet<QString>{QStringLiteral("create:notes")}));
    const http::Response undefined = call("GET", QStringLiteral("/api/notes"), reader);
    EXPECT_EQ(undefined.status, 403);
    EXPECT_TRUE(undefined.header("www-authenticate").contains("no longer defined"));

    const QJsonArray endpoints = qa::defaultEndpoints(service);
    EXPECT_EQ(endpoints.size(), 5 * service.apis.size());
    EXPECT_EQ(endpoints.at(endpoints.size() - 4).toObject().value(QLatin1String("scope")).toString(), QStringLiteral("create:notes"));
    EXPECT_EQ(endpoints.at(endpoints.size() - 4).toObject().value(QLatin1String("body")).toObject().value(QLatin1String("title")).toString(),
              QStringLiteral("QA Probe"));
}

TEST(RecordStore, AnApiDeclaredAgainWithMoreFieldsKeepsItsRecords)
{
    QTemporaryDir dir;
    auto first = declaredApiFromJson(parse(R"({"name":"samples","fields":[{"name":"title","required":true}]})"), QStringLiteral("a")).value();
    auto store = store::RecordStore::open(organizer::testing::sqliteDatabase(dir.filePath(QStringLiteral("organizer.sqlite"))), {first});
    ASSERT_TRUE(store);
    ASSERT_TRUE((*store)->create(first, QJsonObject{{QStringLiteral("title"), QStringLiteral("kept")}}));
    auto second = declaredApiFromJson(parse(R"({"name":"samples","fields":[{"name":"title","required":true},{"name":"taken","type":"datetime"}]})"),
                                      QStringLiteral("b"))
                      .value();
    ASSERT_TRUE((*store)->prepare(second));
    ASSERT_TRUE((*store)->create(
        second, QJsonObject{{QStringLiteral("title"), QStringLiteral("new")}, {QStringLiteral("taken"), QStringLiteral("2026-12-01T10:00:00Z")}}));
    const auto all = (*store)->list(second);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 2);
    EXPECT_EQ(all->at(0).toObject().value(QLatin1String("title")).toString(), QStringLiteral("kept"));
    EXPECT_FALSE(all->at(0).toObject().contains(QLatin1String("taken")));
    EXPECT_EQ(all->at(1).toObject().value(QLatin1String("taken")).toString(), QStringLiteral("2026-12-01T10:00:00Z"));
}

TEST(TenantDocument, ReadsBackAsTheSameTenant)
{
    authorization::Tenant tenant = demoTenant();
    tenant.roles.append(
        {QStringLiteral("rol_1234"), QStringLiteral("Readers"), QStringLiteral("Read all"), {{QStringLiteral("organize"), {QStringLiteral("read:contacts")}}}});
    tenant.users[3].roles = {QStringLiteral("rol_1234")};
    tenant.apis[0].declaredApis.append(declaredApiFromJson(parse(R"({"name":"samples","fields":[{"name":"title"}]})"), QStringLiteral("x")).value());
    tenant.bindIssuer(QStringLiteral("http://127.0.0.1:4000/"));
    const QByteArray document = authorization::tenantToJson(tenant);
    EXPECT_TRUE(document.contains("\"{issuer}api/v2/\"")) << "the management grant is written as a tenant file writes it";
    EXPECT_FALSE(document.contains("127.0.0.1:4000"));
    auto reread = authorization::parseTenant(document, management::ManagementApi::definition());
    ASSERT_TRUE(reread) << reread.error().toStdString();
    EXPECT_EQ(authorization::tenantToJson(*reread), document);
    const authorization::User *dave = reread->userBySubject(QStringLiteral("auth0|dave"));
    ASSERT_NE(dave, nullptr);
    EXPECT_EQ(reread->permissionsOf(*dave, QStringLiteral("organize")), QStringList{QStringLiteral("read:contacts")}) << "through the role";
    reread->bindIssuer(QStringLiteral("http://127.0.0.1:5000/"));
    const authorization::Client *admin = reread->client(QStringLiteral("organizer-admin"));
    ASSERT_NE(admin, nullptr);
    ASSERT_NE(admin->grantFor(QStringLiteral("http://127.0.0.1:5000/api/v2/")), nullptr);
    EXPECT_TRUE(reread->api(QStringLiteral("http://127.0.0.1:5000/api/v2/"))->system);
}

TEST(TenantDocument, RefusesDanglingReferences)
{
    const auto refuse = [](const std::function<void(QJsonObject &)> &change, const char *where) {
        QJsonObject root = QJsonDocument::fromJson(authorization::tenantToJson(demoTenant())).object();
        change(root);
        auto parsed = authorization::parseTenant(QJsonDocument(root).toJson(), management::ManagementApi::definition());
        ASSERT_FALSE(parsed) << where;
        EXPECT_TRUE(parsed.error().contains(QLatin1String(where))) << parsed.error().toStdString();
    };
    refuse(
        [](QJsonObject &root) {
            QJsonArray users = root.value(QLatin1String("users")).toArray();
            QJsonObject user = users.at(0).toObject();
            user.insert(QStringLiteral("roles"), QJsonArray{QStringLiteral("rol_missing")});
            users[0] = user;
            root.insert(QStringLiteral("users"), users);
        },
        "users[0].roles");
    refuse(
        [](QJsonObject &root) {
            QJsonArray apis = root.value(QLatin1String("apis")).toArray();
            apis.append(apis.at(0));
            root.insert(QStringLiteral("apis"), apis);
        },
        "apis[1].identifier");
    refuse(
        [](QJsonObject &root) {
            root.insert(QStringLiteral("roles"),
                        QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("r")},
                                               {QStringLiteral("permissions"), QJsonObject{{QStringLiteral("organize"), QJsonArray{QStringLiteral("fly")}}}}}});
        },
        "roles[0].permissions.organize");
    refuse(
        [](QJsonObject &root) {
            QJsonArray apis = root.value(QLatin1String("apis")).toArray();
            QJsonObject api = apis.at(0).toObject();
            api.insert(QStringLiteral("organizer_apis"), QJsonArray{parse(R"({"name":"visits","fields":[{"name":"title"},{"name":"xmin"}]})")});
            apis[0] = api;
            root.insert(QStringLiteral("apis"), apis);
        },
        "apis[0].organizer_apis[0].fields[1].name: \"xmin\"");
}

TEST(TenantDocument, LosingAScopeTakesItFromGrantsUsersAndRoles)
{
    authorization::Tenant tenant = demoTenant();
    tenant.roles.append(
        {QStringLiteral("rol_1"), QStringLiteral("r"), {}, {{QStringLiteral("organize"), {QStringLiteral("read:calendar"), QStringLiteral("read:contacts")}}}});
    tenant.apis[0].scopes.removeIf([](const authorization::ApiScope &scope) { return scope.value == QLatin1String("read:calendar"); });
    management::dropUndefinedPermissions(tenant);
    EXPECT_EQ(tenant.client(QStringLiteral("organizer-cli"))->grantFor(QStringLiteral("organize"))->scopes, QStringList{QStringLiteral("read:contacts")});
    EXPECT_FALSE(tenant.userBySubject(QStringLiteral("auth0|alice"))->permissions.value(QStringLiteral("organize")).contains(QStringLiteral("read:calendar")));
    EXPECT_EQ(tenant.roles.at(0).permissions.value(QStringLiteral("organize")), QStringList{QStringLiteral("read:contacts")});
    EXPECT_TRUE(authorization::parseTenant(authorization::tenantToJson(tenant), management::ManagementApi::definition())) << "what is left is a valid tenant";
}

TEST(RecordStore, FieldsNamedLikeSqlKeywordsAreStoredAndSorted)
{
    QTemporaryDir dir;
    auto spec
        = declaredApiFromJson(parse(R"({"name":"select","fields":[{"name":"order","required":true},{"name":"group"},{"name":"from","type":"datetime"}]})"),
                              QStringLiteral("a"))
              .value();
    auto store = store::RecordStore::open(organizer::testing::sqliteDatabase(dir.filePath(QStringLiteral("organizer.sqlite"))), {spec});
    ASSERT_TRUE(store) << store.error().toStdString();
    ASSERT_TRUE((*store)->create(spec, QJsonObject{{QStringLiteral("order"), QStringLiteral("b")}, {QStringLiteral("group"), QStringLiteral("g")}}));
    auto created
        = (*store)->create(spec, QJsonObject{{QStringLiteral("order"), QStringLiteral("A")}, {QStringLiteral("from"), QStringLiteral("2026-12-01T10:00:00Z")}});
    ASSERT_TRUE(created) << created.error().toStdString();
    const qint64 id = created->value(QLatin1String("id")).toInteger();
    ASSERT_TRUE((*store)->replace(spec, id, QJsonObject{{QStringLiteral("order"), QStringLiteral("a")}}));
    const auto all = (*store)->list(spec);
    ASSERT_TRUE(all) << all.error().toStdString();
    ASSERT_EQ(all->size(), 2);
    EXPECT_EQ(all->at(0).toObject().value(QLatin1String("order")).toString(), QStringLiteral("a")) << "sorted by the first field, without regard to case";
    EXPECT_EQ(all->at(1).toObject().value(QLatin1String("group")).toString(), QStringLiteral("g"));
    auto removed = (*store)->remove(spec, id);
    ASSERT_TRUE(removed);
    EXPECT_TRUE(removed.value());
}
