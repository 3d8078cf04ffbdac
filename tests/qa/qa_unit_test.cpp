// Scope QA without a network: reading plans (errors name the field), deriving every expectation from
// the tenant's rules (RBAC on and off, client grants, pins, probes), the reports, and masking.

#include "base64url.h"
#include "flowtimeline.h"
#include "qaexpectation.h"
#include "qaplan.h"
#include "qareport.h"
#include "qarunner.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QXmlStreamReader>

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::qa;

namespace {

const QStringList kApiScopes{QStringLiteral("read:contacts"), QStringLiteral("create:contacts"), QStringLiteral("read:calendar"),
                             QStringLiteral("create:calendar")};

QJsonObject tenant(bool rbac)
{
    QJsonArray scopes;
    for (const QString &scope : kApiScopes)
        scopes.append(QJsonObject{{QStringLiteral("value"), scope}});
    return QJsonObject{
        {QStringLiteral("apis"),
         QJsonArray{
             QJsonObject{{QStringLiteral("identifier"), QStringLiteral("organize")}, {QStringLiteral("rbac"), rbac}, {QStringLiteral("scopes"), scopes}}}},
        {QStringLiteral("users"),
         QJsonArray{QJsonObject{{QStringLiteral("user_id"), QStringLiteral("bob")},
                                {QStringLiteral("email"), QStringLiteral("bob@example.com")},
                                {QStringLiteral("permissions"), QJsonObject{{QStringLiteral("organize"), QJsonArray{QStringLiteral("read:contacts")}}}}}}},
        {QStringLiteral("clients"),
         QJsonArray{QJsonObject{{QStringLiteral("client_id"), QStringLiteral("m2m")},
                                {QStringLiteral("client_grants"),
                                 QJsonArray{QJsonObject{{QStringLiteral("audience"), QStringLiteral("organize")},
                                                        {QStringLiteral("scopes"), QJsonArray{QStringLiteral("read:calendar")}}}}}}}},
    };
}

QJsonObject basePlan()
{
    return QJsonObject{
        {QStringLiteral("endpoints"),
         QJsonArray{
             QJsonObject{{QStringLiteral("method"), QStringLiteral("GET")},
                         {QStringLiteral("path"), QStringLiteral("/api/contacts")},
                         {QStringLiteral("scope"), QStringLiteral("read:contacts")}},
             QJsonObject{{QStringLiteral("method"), QStringLiteral("POST")},
                         {QStringLiteral("path"), QStringLiteral("/api/contacts")},
                         {QStringLiteral("scope"), QStringLiteral("create:contacts")},
                         {QStringLiteral("body"), QJsonObject{{QStringLiteral("name"), QStringLiteral("QA")}}}},
             QJsonObject{{QStringLiteral("method"), QStringLiteral("DELETE")},
                         {QStringLiteral("path"), QStringLiteral("/api/contacts/{id}")},
                         {QStringLiteral("scope"), QStringLiteral("delete:contacts")}},
             QJsonObject{{QStringLiteral("method"), QStringLiteral("GET")},
                         {QStringLiteral("path"), QStringLiteral("/api/appointments")},
                         {QStringLiteral("scope"), QStringLiteral("read:calendar")}},
         }},
        {QStringLiteral("users"),
         QJsonArray{QJsonObject{{QStringLiteral("login"), QStringLiteral("bob@example.com")}, {QStringLiteral("password"), QStringLiteral("pw")}},
                    QJsonObject{{QStringLiteral("client_credentials"), QStringLiteral("m2m")}, {QStringLiteral("secret"), QStringLiteral("s")}}}},
    };
}

// The same tenant as the plan's fallback, as the app gives it (typed, not a file).
app::AccessRules tenantRules(bool rbac)
{
    auto rules = readAccessRules(tenant(rbac), QStringLiteral("tenant"));
    EXPECT_TRUE(rules) << qPrintable(rules.error());
    return rules ? *rules : app::AccessRules{};
}

Expected<Plan, QString> parsePlan(const QJsonObject &plan, bool rbac = true)
{
    return Plan::parse(QJsonDocument(plan).toJson(), QStringLiteral("test-plan.json"), QString(), tenantRules(rbac));
}

int rowOf(const Plan &plan, const QList<RowSpec> &rows, const QString &user, const QStringList &scopes)
{
    for (int i = 0; i < rows.size(); ++i) {
        const RowSpec &row = rows.at(i);
        if (row.isProbe())
            continue;
        const PlanUser &planUser = plan.users.at(row.userIndex);
        if ((planUser.login == user || planUser.clientId == user) && plan.scopeSets.at(row.scopeSetIndex).scopes == scopes)
            return i;
    }
    return -1;
}

CellExpectation cellFor(const Plan &plan, const QString &user, const QStringList &scopes, const QString &endpoint)
{
    const QList<RowSpec> rows = planRows(plan);
    const int row = rowOf(plan, rows, user, scopes);
    EXPECT_GE(row, 0) << qPrintable(user) << " " << qPrintable(scopes.join(QLatin1Char(' ')));
    const RowExpectation expectation = expectRow(plan, rows.at(row));
    for (const Endpoint &e : plan.endpoints) {
        if (e.name() == endpoint)
            return expectCell(plan, rows.at(row), expectation, e);
    }
    ADD_FAILURE() << "no endpoint " << qPrintable(endpoint);
    return {};
}

} // namespace

TEST(QaPlan, TheShippedDefaultPlanLoadsAndCoversEveryUserScopeSetAndEndpoint)
{
    const Plan plan = Plan::builtIn();
    ASSERT_EQ(plan.users.size(), 5); // four people and the machine-to-machine client
    EXPECT_EQ(plan.endpoints.size(), 10); // list, create, get, replace, delete × two APIs
    EXPECT_EQ(plan.scopeSets.size(), 12); // 8 alone, 2 per API, all, none
    EXPECT_EQ(plan.probes.size(), 5);
    EXPECT_TRUE(plan.tenant.rbac);
    EXPECT_EQ(planRows(plan).size(), 5 * 12 + 5);
}

// The Tenant tab hands the plan typed rules (app::AccessRules), not a tenant file: the built-in plan
// keeps only the people the tenant has and the clients it granted this API to, and predicts from the
// API's RBAC switch and scopes as they are now.
TEST(QaPlan, TheBuiltInPlanFollowsTheTenantsTypedRules)
{
    app::AccessRules rules = Plan::bundledTenant();
    ASSERT_NE(rules.api(QStringLiteral("organize")), nullptr);
    EXPECT_TRUE(rules.api(QStringLiteral("organize"))->rbac);
    ASSERT_EQ(rules.users.size(), 4);

    rules.users.removeIf([](const app::AccessRules::Person &person) { return person.email == QLatin1String("bob@example.com"); });
    for (app::AccessRules::Application &application : rules.clients)
        application.grants.remove(QStringLiteral("organize"));
    rules.apis[0].rbac = false;
    rules.apis[0].scopes = {QStringLiteral("read:contacts"), QStringLiteral("read:calendar")};
    const auto plan = Plan::builtIn(catalogue::organizerService().apis, rules);
    ASSERT_TRUE(plan) << qPrintable(plan.error());
    QStringList users;
    for (const PlanUser &user : plan->users)
        users << user.label();
    EXPECT_EQ(users, (QStringList{QStringLiteral("alice@example.com"), QStringLiteral("carol@example.com"), QStringLiteral("dave@example.com")}));
    EXPECT_FALSE(plan->tenant.rbac);
    EXPECT_EQ(plan->tenant.apiScopes, rules.apis[0].scopes);
    EXPECT_TRUE(plan->tenant.clientGrants.isEmpty());
    EXPECT_EQ(plan->tenant.userPermissions.value(QStringLiteral("carol")), rules.users.at(1).permissions.value(QStringLiteral("organize")))
        << "by user_id as well as by email";

    // A tenant without the plan's API gives no plan, and says which.
    rules.apis[0].identifier = QStringLiteral("billing");
    const auto none = Plan::builtIn(catalogue::organizerService().apis, rules);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error(), QStringLiteral("tenant.apis: no API with the identifier \"organize\""));
}

// A tenant file is read into the same typed rules; what cannot be read is named by its path, for
// every API of the file (not only the plan's).
TEST(QaPlan, ATenantFileIsReadIntoTypedRules)
{
    const auto rules = readAccessRules(tenant(false), QStringLiteral("t.json"));
    ASSERT_TRUE(rules) << qPrintable(rules.error());
    ASSERT_EQ(rules->apis.size(), 1);
    EXPECT_EQ(rules->apis.at(0), (app::AccessRules::Api{QStringLiteral("organize"), false, kApiScopes}));
    ASSERT_EQ(rules->users.size(), 1);
    EXPECT_EQ(rules->users.at(0).userId, QStringLiteral("bob"));
    EXPECT_EQ(rules->users.at(0).permissions.value(QStringLiteral("organize")), QStringList{QStringLiteral("read:contacts")});
    ASSERT_EQ(rules->clients.size(), 1);
    EXPECT_EQ(rules->clients.at(0).grants.value(QStringLiteral("organize")), QStringList{QStringLiteral("read:calendar")});

    QJsonObject bad = tenant(false);
    QJsonArray users = bad.value(QLatin1String("users")).toArray();
    QJsonObject bob = users.at(0).toObject();
    bob.insert(QStringLiteral("permissions"), QJsonObject{{QStringLiteral("billing"), QJsonArray{QStringLiteral("has space")}}});
    users.replace(0, bob);
    bad.insert(QStringLiteral("users"), users);
    const auto unreadable = readAccessRules(bad, QStringLiteral("t.json"));
    ASSERT_FALSE(unreadable);
    EXPECT_EQ(unreadable.error(), QStringLiteral("t.json.users[0].permissions.billing[0]: expected a scope name like \"read:contacts\""));
}

TEST(QaPlan, DefaultScopeSetsAreEachScopeAloneEachApiTogetherAllAndNone)
{
    const QList<ScopeSet> sets = defaultScopeSets(kApiScopes);
    QStringList labels;
    for (const ScopeSet &set : sets)
        labels << set.label;
    EXPECT_EQ(
        labels,
        (QStringList{QStringLiteral("read:contacts"), QStringLiteral("create:contacts"), QStringLiteral("read:calendar"), QStringLiteral("create:calendar"),
                     QStringLiteral("contacts (all)"), QStringLiteral("calendar (all)"), QStringLiteral("all"), QStringLiteral("none")}));
    EXPECT_EQ(sets.at(4).scopes, (QStringList{QStringLiteral("read:contacts"), QStringLiteral("create:contacts")}));
    EXPECT_EQ(sets.at(6).scopes, kApiScopes);
    EXPECT_TRUE(sets.at(7).scopes.isEmpty());
}

TEST(QaPlan, ErrorsNameTheBadField)
{
    struct Case
    {
        const char *name;
        std::function<void(QJsonObject &)> edit;
        const char *field;
    };
    auto endpointEdit = [](int index, const QString &key, const QJsonValue &value) {
        return [=](QJsonObject &plan) {
            QJsonArray endpoints = plan.value(QLatin1String("endpoints")).toArray();
            QJsonObject endpoint = endpoints.at(index).toObject();
            if (value.isUndefined())
                endpoint.remove(key);
            else
                endpoint.insert(key, value);
            endpoints[index] = endpoint;
            plan.insert(QStringLiteral("endpoints"), endpoints);
        };
    };
    const Case cases[] = {
        {"scope missing", endpointEdit(0, QStringLiteral("scope"), QJsonValue::Undefined), "endpoints[0].scope:"},
        {"scope with a space", endpointEdit(3, QStringLiteral("scope"), QStringLiteral("read: calendar")), "endpoints[3].scope:"},
        {"unknown method", endpointEdit(0, QStringLiteral("method"), QStringLiteral("FETCH")), "endpoints[0].method:"},
        {"path without slash", endpointEdit(0, QStringLiteral("path"), QStringLiteral("api/contacts")), "endpoints[0].path:"},
        {"POST without body", endpointEdit(1, QStringLiteral("body"), QJsonValue::Undefined), "endpoints[1].body:"},
        {"unknown endpoint field", endpointEdit(0, QStringLiteral("scopes"), QStringLiteral("x")), "endpoints[0].scopes:"},
        {"{id} with no POST to make it",
         [](QJsonObject &plan) {
             QJsonArray endpoints = plan.value(QLatin1String("endpoints")).toArray();
             endpoints.removeAt(1);
             plan.insert(QStringLiteral("endpoints"), endpoints);
         },
         "endpoints[1].path:"},
        {"no endpoints", [](QJsonObject &plan) { plan.insert(QStringLiteral("endpoints"), QJsonArray{}); }, "endpoints:"},
        {"user not in the tenant",
         [](QJsonObject &plan) {
             plan.insert(
                 QStringLiteral("users"),
                 QJsonArray{QJsonObject{{QStringLiteral("login"), QStringLiteral("eve@example.com")}, {QStringLiteral("password"), QStringLiteral("x")}}});
         },
         "users[0].login:"},
        {"user without password",
         [](QJsonObject &plan) {
             plan.insert(QStringLiteral("users"), QJsonArray{QJsonObject{{QStringLiteral("login"), QStringLiteral("bob@example.com")}}});
         },
         "users[0].password:"},
        {"client without grant",
         [](QJsonObject &plan) {
             plan.insert(
                 QStringLiteral("users"),
                 QJsonArray{QJsonObject{{QStringLiteral("client_credentials"), QStringLiteral("nobody")}, {QStringLiteral("secret"), QStringLiteral("s")}}});
         },
         "users[0].client_credentials:"},
        {"scope set not a list", [](QJsonObject &plan) { plan.insert(QStringLiteral("scope_sets"), QJsonArray{QStringLiteral("read:contacts")}); },
         "scope_sets[0]:"},
        {"scope in a set not a string", [](QJsonObject &plan) { plan.insert(QStringLiteral("scope_sets"), QJsonArray{QJsonArray{42}}); }, "scope_sets[0][0]:"},
        {"unknown probe",
         [](QJsonObject &plan) {
             plan.insert(QStringLiteral("negative_probes"), QJsonArray{QStringLiteral("no_token"), QStringLiteral("sql_injection")});
         },
         "negative_probes[1]:"},
        {"pin for an unknown endpoint",
         [](QJsonObject &plan) {
             plan.insert(QStringLiteral("expect"),
                         QJsonArray{QJsonObject{{QStringLiteral("endpoint"), QStringLiteral("GET /api/nothing")}, {QStringLiteral("status"), 200}}});
         },
         "expect[0].endpoint:"},
        {"pin without a status",
         [](QJsonObject &plan) {
             plan.insert(QStringLiteral("expect"), QJsonArray{QJsonObject{{QStringLiteral("endpoint"), QStringLiteral("GET /api/contacts")}}});
         },
         "expect[0].status:"},
        {"unknown top-level field", [](QJsonObject &plan) { plan.insert(QStringLiteral("endpoint"), QJsonArray{}); }, "endpoint:"},
        {"tenant of the wrong type", [](QJsonObject &plan) { plan.insert(QStringLiteral("tenant"), 7); }, "tenant:"},
        {"tenant without the audience", [](QJsonObject &plan) { plan.insert(QStringLiteral("audience"), QStringLiteral("billing")); }, "tenant.apis:"},
    };
    for (const Case &c : cases) {
        QJsonObject plan = basePlan();
        c.edit(plan);
        const auto parsed = parsePlan(plan);
        ASSERT_FALSE(parsed) << c.name;
        EXPECT_TRUE(parsed.error().startsWith(QLatin1String(c.field))) << c.name << ": " << qPrintable(parsed.error());
    }
    const auto notJson = Plan::parse("{\"endpoints\": [", QStringLiteral("broken.json"), QString(), tenantRules(true));
    ASSERT_FALSE(notJson);
    EXPECT_TRUE(notJson.error().startsWith(QLatin1String("broken.json: not JSON"))) << qPrintable(notJson.error());
    const auto missing = Plan::load(QStringLiteral("/nonexistent/plan.json"), tenantRules(true));
    ASSERT_FALSE(missing);
    EXPECT_TRUE(missing.error().contains(QLatin1String("/nonexistent/plan.json")));
}

TEST(QaPlan, TheTenantComesInlineOrFromAFileBesideThePlan)
{
    // Inline: an Auth0 tenant described in the plan itself, here with RBAC off.
    QJsonObject inlinePlan = basePlan();
    inlinePlan.insert(QStringLiteral("tenant"), tenant(false));
    const auto inlined = Plan::parse(QJsonDocument(inlinePlan).toJson(), QStringLiteral("p.json"), QString(), tenantRules(true));
    ASSERT_TRUE(inlined) << qPrintable(inlined.error());
    EXPECT_FALSE(inlined->tenant.rbac);

    // A file, resolved against the plan's folder.
    QTemporaryDir dir;
    QFile file(dir.filePath(QStringLiteral("tenant.json")));
    ASSERT_TRUE(file.open(QIODevice::WriteOnly));
    file.write(QJsonDocument(tenant(false)).toJson());
    file.close();
    QJsonObject filePlan = basePlan();
    filePlan.insert(QStringLiteral("tenant"), QStringLiteral("tenant.json"));
    QFile planFile(dir.filePath(QStringLiteral("plan.json")));
    ASSERT_TRUE(planFile.open(QIODevice::WriteOnly));
    planFile.write(QJsonDocument(filePlan).toJson());
    planFile.close();
    const auto loaded = Plan::load(planFile.fileName(), tenantRules(true));
    ASSERT_TRUE(loaded) << qPrintable(loaded.error());
    EXPECT_FALSE(loaded->tenant.rbac);
    EXPECT_EQ(loaded->source, QStringLiteral("plan.json"));

    filePlan.insert(QStringLiteral("tenant"), QStringLiteral("missing.json"));
    const auto missing = Plan::parse(QJsonDocument(filePlan).toJson(), QStringLiteral("plan.json"), dir.path(), tenantRules(true));
    ASSERT_FALSE(missing);
    EXPECT_TRUE(missing.error().startsWith(QLatin1String("tenant: cannot read the tenant file"))) << qPrintable(missing.error());
}

TEST(QaExpectation, RbacOnGrantsRequestedScopesTheUserHasPermissionFor)
{
    const auto plan = parsePlan(basePlan(), true);
    ASSERT_TRUE(plan) << qPrintable(plan.error());
    // bob may only read contacts.
    EXPECT_EQ(cellFor(*plan, QStringLiteral("bob@example.com"), {QStringLiteral("read:contacts")}, QStringLiteral("GET /api/contacts")).status, 200);
    const CellExpectation denied = cellFor(*plan, QStringLiteral("bob@example.com"), {QStringLiteral("create:contacts")}, QStringLiteral("POST /api/contacts"));
    EXPECT_EQ(denied.status, 403);
    EXPECT_EQ(denied.error, QStringLiteral("insufficient_scope"));
    EXPECT_EQ(cellFor(*plan, QStringLiteral("bob@example.com"), kApiScopes, QStringLiteral("GET /api/appointments")).status, 403);
    EXPECT_EQ(cellFor(*plan, QStringLiteral("bob@example.com"), kApiScopes, QStringLiteral("GET /api/contacts")).status, 200);
    // The requested scopes of a person include the OpenID ones; the grant derived excludes them.
    const QList<RowSpec> rows = planRows(*plan);
    const RowExpectation all = expectRow(*plan, rows.at(rowOf(*plan, rows, QStringLiteral("bob@example.com"), kApiScopes)));
    EXPECT_TRUE(all.requestedScopes.contains(QStringLiteral("openid")));
    EXPECT_EQ(all.grantedApiScopes, QStringList{QStringLiteral("read:contacts")});
}

TEST(QaExpectation, RbacOffGrantsEveryRequestedApiScope)
{
    const auto plan = parsePlan(basePlan(), false);
    ASSERT_TRUE(plan) << qPrintable(plan.error());
    EXPECT_EQ(cellFor(*plan, QStringLiteral("bob@example.com"), {QStringLiteral("create:contacts")}, QStringLiteral("POST /api/contacts")).status, 201);
    EXPECT_EQ(cellFor(*plan, QStringLiteral("bob@example.com"), kApiScopes, QStringLiteral("GET /api/appointments")).status, 200);
    // delete:contacts is not a scope of this API: never granted, whatever RBAC says.
    EXPECT_EQ(cellFor(*plan, QStringLiteral("bob@example.com"), kApiScopes, QStringLiteral("DELETE /api/contacts/{id}")).status, 403);
    EXPECT_EQ(cellFor(*plan, QStringLiteral("bob@example.com"), {}, QStringLiteral("GET /api/contacts")).status, 403);
}

TEST(QaExpectation, ClientGrantsDecideMachineToMachineRows)
{
    const auto plan = parsePlan(basePlan(), true);
    ASSERT_TRUE(plan) << qPrintable(plan.error());
    // Asking for nothing gets the client grant.
    EXPECT_EQ(cellFor(*plan, QStringLiteral("m2m"), {}, QStringLiteral("GET /api/appointments")).status, 200);
    EXPECT_EQ(cellFor(*plan, QStringLiteral("m2m"), {}, QStringLiteral("GET /api/contacts")).status, 403);
    EXPECT_EQ(cellFor(*plan, QStringLiteral("m2m"), {QStringLiteral("read:calendar")}, QStringLiteral("GET /api/appointments")).status, 200);
    // Asking for more than the grant: the token endpoint refuses, so no call is made.
    const CellExpectation refused = cellFor(*plan, QStringLiteral("m2m"), {QStringLiteral("read:contacts")}, QStringLiteral("GET /api/contacts"));
    EXPECT_EQ(refused.status, 0);
    EXPECT_EQ(refused.error, QStringLiteral("access_denied"));
}

TEST(QaExpectation, PinsOverrideTheDerivedExpectationForTheRowsTheyName)
{
    QJsonObject json = basePlan();
    json.insert(QStringLiteral("expect"),
                QJsonArray{QJsonObject{{QStringLiteral("user"), QStringLiteral("bob@example.com")},
                                       {QStringLiteral("scopes"), QJsonArray{QStringLiteral("read:contacts")}},
                                       {QStringLiteral("endpoint"), QStringLiteral("GET /api/contacts")},
                                       {QStringLiteral("status"), 451},
                                       {QStringLiteral("reason"), QStringLiteral("legal hold")}}});
    const auto plan = parsePlan(json);
    ASSERT_TRUE(plan) << qPrintable(plan.error());
    const CellExpectation pinned = cellFor(*plan, QStringLiteral("bob@example.com"), {QStringLiteral("read:contacts")}, QStringLiteral("GET /api/contacts"));
    EXPECT_TRUE(pinned.pinned);
    EXPECT_EQ(pinned.status, 451);
    EXPECT_EQ(pinned.why, QStringLiteral("legal hold"));
    // Other rows and other endpoints keep what the rules say.
    const CellExpectation other = cellFor(*plan, QStringLiteral("bob@example.com"), kApiScopes, QStringLiteral("GET /api/contacts"));
    EXPECT_FALSE(other.pinned);
    EXPECT_EQ(other.status, 200);
}

TEST(QaExpectation, NegativeProbesExpect401OrTheApiScopesAlone)
{
    const auto plan = parsePlan(basePlan());
    ASSERT_TRUE(plan) << qPrintable(plan.error());
    const QList<RowSpec> rows = planRows(*plan);
    QHash<Probe, CellExpectation> byProbe;
    const Endpoint &create = plan->endpoints.at(1);
    for (const RowSpec &row : rows) {
        if (row.isProbe())
            byProbe.insert(*row.probe, expectCell(*plan, row, expectRow(*plan, row), create));
    }
    ASSERT_EQ(byProbe.size(), 5);
    EXPECT_EQ(byProbe.value(Probe::NoToken).status, 401);
    EXPECT_TRUE(byProbe.value(Probe::NoToken).error.isEmpty()); // RFC 6750 §3.1: no error code without credentials
    for (Probe probe : {Probe::ExpiredToken, Probe::TamperedToken, Probe::OtherAudience}) {
        EXPECT_EQ(byProbe.value(probe).status, 401) << qPrintable(probeName(probe));
        EXPECT_EQ(byProbe.value(probe).error, QStringLiteral("invalid_token")) << qPrintable(probeName(probe));
    }
    EXPECT_EQ(byProbe.value(Probe::WithoutOpenId).status, 201);
}

namespace {

QaRun sampleRun()
{
    QaRun run;
    run.plan = parsePlan(basePlan()).value();
    run.target = QStringLiteral("http://127.0.0.1:3001/");
    run.startedAt = QDateTime::fromSecsSinceEpoch(1800000000, Qt::UTC);
    run.durationMs = 1234;
    const QList<RowSpec> specs = planRows(run.plan);
    for (const RowSpec &spec : specs) {
        RowResult row;
        row.spec = spec;
        row.label = rowLabel(run.plan, spec);
        row.expected = expectRow(run.plan, spec);
        row.tokenObtained = row.expected.tokenIssued;
        row.grantedScopes = row.expected.grantedApiScopes;
        row.verdict = Verdict::Pass;
        row.timeline = app::FlowTimeline(row.label);
        row.timeline.add(app::Lane::App, app::Lane::api(QStringLiteral("contacts")), QStringLiteral("GET /api/contacts → 200"), app::FlowStep::Outcome::Ok);
        for (const Endpoint &endpoint : run.plan.endpoints) {
            CellResult cell;
            cell.expected = expectCell(run.plan, spec, row.expected, endpoint);
            cell.method = endpoint.method;
            cell.url = QStringLiteral("http://127.0.0.1:3001") + endpoint.path;
            cell.status = cell.expected.status;
            cell.error = cell.expected.error;
            cell.verdict = Verdict::Pass;
            row.cells.append(cell);
        }
        run.rows.append(row);
    }
    // One failure, carrying a token in places a careless report would copy it from.
    CellResult &broken = run.rows[0].cells[3];
    broken.status = 200;
    broken.error.clear();
    broken.verdict = Verdict::Fail;
    broken.wwwAuthenticate = "Bearer realm=\"organize\"";
    broken.responseBody = "{\"echo\":\"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl\"}";
    broken.note = QStringLiteral("expected 403 insufficient_scope, got 200 & <b>");
    run.rows[0].verdict = Verdict::Fail;
    // One cell not run, with its reason.
    run.rows[1].cells[2].verdict = Verdict::NotRun;
    run.rows[1].cells[2].note = QStringLiteral("needs records made with the issuer's own key");
    return run;
}

} // namespace

TEST(QaReport, JUnitHasOneTestcasePerCellWithFailuresAndSkipsCounted)
{
    const QaRun run = sampleRun();
    const QByteArray xml = junitReport(run);
    QXmlStreamReader reader(xml);
    int testcases = 0, failures = 0, skipped = 0, suites = 0;
    QString rootFailures, rootTests;
    QString failedName;
    QString lastTestcase;
    while (!reader.atEnd()) {
        if (reader.readNext() != QXmlStreamReader::StartElement)
            continue;
        if (reader.name() == QLatin1String("testsuites")) {
            rootFailures = reader.attributes().value(QLatin1String("failures")).toString();
            rootTests = reader.attributes().value(QLatin1String("tests")).toString();
        } else if (reader.name() == QLatin1String("testsuite")) {
            ++suites;
        } else if (reader.name() == QLatin1String("testcase")) {
            ++testcases;
            lastTestcase = reader.attributes().value(QLatin1String("classname")).toString() + QLatin1Char('/')
                + reader.attributes().value(QLatin1String("name")).toString();
        } else if (reader.name() == QLatin1String("failure")) {
            ++failures;
            failedName = lastTestcase;
        } else if (reader.name() == QLatin1String("skipped")) {
            ++skipped;
        }
    }
    ASSERT_FALSE(reader.hasError()) << qPrintable(reader.errorString());
    EXPECT_EQ(testcases, run.cellCount());
    EXPECT_EQ(suites, run.rows.size());
    EXPECT_EQ(failures, 1);
    EXPECT_EQ(skipped, 1);
    EXPECT_EQ(rootFailures, QStringLiteral("1"));
    EXPECT_EQ(rootTests, QString::number(run.cellCount()));
    EXPECT_EQ(failedName, QStringLiteral("organizer.qa.%1/GET /api/appointments").arg(run.rows[0].label));
    EXPECT_FALSE(xml.contains("c2lnbmF0dXJl")) << "a token reached the JUnit report";
}

TEST(QaReport, HtmlIsSelfContainedWithGridDetailsAndTimelines)
{
    const QaRun run = sampleRun();
    int pictures = 0;
    const QString html = QString::fromUtf8(htmlReport(run, [&pictures](const app::FlowTimeline &timeline) {
        ++pictures;
        return QStringLiteral("<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"><title>%1</title></svg>")
            .arg(timeline.title().toHtmlEscaped())
            .toUtf8();
    }));
    EXPECT_EQ(pictures, run.rows.size());
    EXPECT_TRUE(html.startsWith(QLatin1String("<!DOCTYPE html>")));
    EXPECT_FALSE(html.contains(QLatin1String("<?xml"))) << "the SVG's XML declaration must not land inside the HTML";
    // Self-contained: nothing is fetched from elsewhere.
    static const QRegularExpression external(QStringLiteral("(src|href)\\s*=\\s*\"(https?:)?//|<link|<script|@import"));
    EXPECT_FALSE(external.match(html).hasMatch()) << qPrintable(external.match(html).captured());
    EXPECT_EQ(html.count(QLatin1String("<td class=\"c ")), run.cellCount());
    EXPECT_EQ(html.count(QLatin1String("class=\"c fail\"")), 1);
    EXPECT_TRUE(html.contains(QLatin1String("FAILED")));
    EXPECT_TRUE(html.contains(QLatin1String("&amp; &lt;b&gt;"))) << "notes are escaped";
    EXPECT_TRUE(html.contains(QLatin1String("needs records made with the issuer")));
    EXPECT_FALSE(html.contains(QLatin1String("c2lnbmF0dXJl"))) << "a token reached the HTML report";
    EXPECT_TRUE(html.contains(QString::fromUtf8("eyJ…[masked]")));
}

TEST(QaReport, MarkdownHasTheGridAndTheFailures)
{
    const QaRun run = sampleRun();
    const QString md = QString::fromUtf8(markdownReport(run));
    EXPECT_EQ(md.count(QRegularExpression(QStringLiteral("(?m)^\\| "))), run.rows.size() + 2); // header, rule, rows
    EXPECT_TRUE(md.contains(QLatin1String("## Failures")));
    EXPECT_TRUE(md.contains(QLatin1String("`GET /api/appointments`: expected 403")));
    EXPECT_TRUE(md.contains(QLatin1String("**FAILED**")));
    const QStringList failedRow = rowSummary(run, 0);
    ASSERT_EQ(failedRow.size(), 2);
    EXPECT_TRUE(failedRow.at(0).startsWith(QLatin1String("FAIL"))) << qPrintable(failedRow.at(0));
    EXPECT_TRUE(failedRow.at(1).contains(QLatin1String("GET /api/appointments: expected 403"))) << qPrintable(failedRow.at(1));
    EXPECT_EQ(rowSummary(run, 2).size(), 1);
    EXPECT_TRUE(runSummary(run).contains(QStringLiteral("%1 cells: %2 pass, 1 fail, 1 not run").arg(run.cellCount()).arg(run.cellCount() - 2)))
        << qPrintable(runSummary(run));
}

TEST(QaTimeline, SecretsAreMaskedOnTheWayIn)
{
    app::FlowTimeline timeline(QStringLiteral("alice"));
    timeline.add(
        app::Lane::AuthorizationServer, app::Lane::Browser, QStringLiteral("302 to http://localhost:3000/callback"), app::FlowStep::Outcome::Ok,
        QStringLiteral("http://localhost:3000/callback#access_token=eyJhbGciOiJSUzI1NiJ9.eyJzY29wZSI6InJlYWQifQ.AbCdEf&id_token=eyJ0eXAiOiJKV1QifQ.e30.sig"
                       "&state=4f9a8b7c6d5e4f3a2b1c&expires_in=86400"));
    timeline.add(app::Lane::Browser, app::Lane::AuthorizationServer, QStringLiteral("POST /login"), app::FlowStep::Outcome::Info,
                 QStringLiteral("password=hunter2 code=SplxlOBeZQQYbYS6WxSbIA code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
    timeline.add(app::Lane::App, app::Lane::api(QStringLiteral("contacts")), QStringLiteral("Authorization: Bearer abc.def.ghi"), app::FlowStep::Outcome::Ok,
                 QStringLiteral("{\"client_secret\": \"organizer-cli-secret\", \"refresh_token\":\"v1.MRrT\"}"));
    timeline.add(app::Lane::App, app::Lane::api(QStringLiteral("contacts")), QStringLiteral("403"), app::FlowStep::Outcome::Ok,
                 QStringLiteral("WWW-Authenticate: Bearer realm=\"organize\", error=\"insufficient_scope\""));
    const QString all = QString::fromUtf8(QJsonDocument(timeline.toJson()).toJson());
    EXPECT_TRUE(all.contains(QLatin1String("Bearer realm=\\\"organize\\\", error=\\\"insufficient_scope")))
        << "a challenge is not a credential: " << qPrintable(all);
    for (const char *secret : {"AbCdEf", "eyJzY29wZSI6InJlYWQifQ", "4f9a8b7c6d5e4f3a2b1c", "hunter2", "SplxlOBeZQQYbYS6WxSbIA", "dBjftJeZ4CVP", "abc.def.ghi",
                               "organizer-cli-secret", "v1.MRrT"})
        EXPECT_FALSE(all.contains(QLatin1String(secret))) << secret << " survived: " << qPrintable(all);
    EXPECT_TRUE(all.contains(QLatin1String("expires_in=86400"))) << "what is not secret stays readable";
    EXPECT_TRUE(all.contains(QLatin1String("http://localhost:3000/callback")));
}

TEST(QaRunnerHelpers, TamperedCopyKeepsTheSignatureButChangesThePayload)
{
    const QByteArray token = "eyJhbGciOiJSUzI1NiJ9." + jose::base64UrlEncode(R"({"sub":"alice","scope":"read:contacts"})") + ".c2lnbmF0dXJl";
    const QByteArray forged = tamperedCopy(token);
    const QByteArrayList parts = forged.split('.');
    ASSERT_EQ(parts.size(), 3);
    EXPECT_EQ(parts.at(0), token.split('.').at(0));
    EXPECT_EQ(parts.at(2), token.split('.').at(2));
    EXPECT_NE(parts.at(1), token.split('.').at(1));
    const QJsonObject claims = QJsonDocument::fromJson(*jose::base64UrlDecode(parts.at(1))).object();
    EXPECT_EQ(claims.value(QLatin1String("sub")).toString(), QStringLiteral("forged|mallory"));
}

TEST(QaRunnerHelpers, BearerErrorCodeIsReadFromTheChallenge)
{
    EXPECT_EQ(bearerErrorCode(R"(Bearer realm="organize", error="insufficient_scope", error_description="x", scope="read:contacts")"),
              QStringLiteral("insufficient_scope"));
    EXPECT_EQ(bearerErrorCode(R"(Bearer realm="organize")"), QString());
    EXPECT_EQ(bearerErrorCode(R"(Bearer realm="organize", error_description="no error=\"here\"")"), QString());
}
