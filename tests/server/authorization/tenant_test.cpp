// The tenant the authorization server serves: its file checked at start, the Management API's
// identifier reserved, users never administering it, and declared APIs changed under running clients.

#include "authorizationfixture.h"
#include "base64url.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTemporaryFile>

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::test;

TEST(AuthorizationConfig, DemoTenantIsRefusedOffLoopback)
{
    QTemporaryDir dir;
    const CommandResult result = runServerCommand(
        {QStringLiteral("--data-dir"), dir.path(), QStringLiteral("--bind"), QStringLiteral("0.0.0.0"), QStringLiteral("--port"), QStringLiteral("0")});
    EXPECT_NE(result.exitCode, 0);
    EXPECT_TRUE(result.err.contains("--allow-demo-tenant")) << result.err.toStdString();
}

TEST(AuthorizationConfig, BadTenantFileNamesTheField)
{
    QTemporaryDir dir;
    QTemporaryFile tenant;
    ASSERT_TRUE(tenant.open());
    tenant.write(R"({"apis":[{"name":"X","identifier":"x","scopes":[]}],"clients":[{"client_id":"c","name":"C","type":"spa"}]})");
    tenant.flush();
    const CommandResult result = runServerCommand({QStringLiteral("--data-dir"), dir.path(), QStringLiteral("--config"), tenant.fileName()});
    EXPECT_NE(result.exitCode, 0);
    EXPECT_TRUE(result.err.contains("clients[0].type")) << result.err.toStdString();
}

namespace {

// The desktop client's login for `audience` through the real pages, implicit or code + PKCE; the
// scope granted and the access token.
struct UserLogin
{
    QString scope;
    QString accessToken;
};
UserLogin loginFor(quint16 port, const QString &audience, const QString &scopes, const QString &login, bool codeFlow)
{
    const QString verifier = verifierFor('\x44');
    QUrlQuery q;
    auto add = [&q](const QString &name, const QString &v) { q.addQueryItem(name, QString::fromLatin1(QUrl::toPercentEncoding(v))); };
    add(QStringLiteral("client_id"), QStringLiteral("organizer-desktop"));
    add(QStringLiteral("redirect_uri"), kCallback);
    add(QStringLiteral("response_type"), codeFlow ? QStringLiteral("code") : QStringLiteral("id_token token"));
    add(QStringLiteral("scope"), scopes);
    add(QStringLiteral("audience"), audience);
    add(QStringLiteral("state"), QStringLiteral("s"));
    add(QStringLiteral("nonce"), QStringLiteral("n"));
    if (codeFlow) {
        add(QStringLiteral("code_challenge"),
            QString::fromLatin1(jose::base64UrlEncode(QCryptographicHash::hash(verifier.toLatin1(), QCryptographicHash::Sha256))));
        add(QStringLiteral("code_challenge_method"), QStringLiteral("S256"));
    }
    TestBrowser browser(port);
    const auto outcome = browser.authorize(q.query(QUrl::FullyEncoded), login, kPassword);
    EXPECT_TRUE(outcome.redirect.isValid()) << outcome.failure.toStdString();
    if (!codeFlow)
        return {value(outcome.parameters(), "scope"), value(outcome.parameters(), "access_token")};
    const HttpReply tokens = exchangeCode(port, value(outcome.parameters(), "code"), verifier);
    EXPECT_EQ(tokens.status, 200) << tokens.body.constData();
    return {QString::fromUtf8(tokens.json("scope")), QString::fromUtf8(tokens.json("access_token"))};
}

} // namespace

TEST_F(Authorization, AUserLoginNeverAdministersTheTenant)
{
    // dave has no permissions at all. Asking the public desktop client for the Management API with
    // management scopes gets him read:current_user alone, by either flow, and that reads only dave.
    const QString managementAudience = m_server.issuer() + QStringLiteral("api/v2/");
    const QString asked = QStringLiteral("openid read:users update:users create:client_grants update:client_grants read:current_user");
    for (const bool codeFlow : {false, true}) {
        SCOPED_TRACE(codeFlow ? "code + PKCE" : "implicit");
        const UserLogin dave = loginFor(port(), managementAudience, asked, QStringLiteral("dave@example.com"), codeFlow);
        ASSERT_FALSE(dave.accessToken.isEmpty());
        EXPECT_EQ(dave.scope, QStringLiteral("openid read:current_user"));
        const QJsonObject claims = claimsOf(dave.accessToken);
        EXPECT_EQ(claims.value(QLatin1String("scope")).toString(), QStringLiteral("openid read:current_user"));

        const HttpReply self = callApi(port(), "GET", "/api/v2/users/auth0%7Cdave", dave.accessToken);
        EXPECT_EQ(self.status, 200) << self.body.constData();
        EXPECT_EQ(self.json("user_id"), "auth0|dave");
        EXPECT_EQ(callApi(port(), "GET", "/api/v2/users/auth0%7Calice", dave.accessToken).status, 403);
        EXPECT_EQ(callApi(port(), "GET", "/api/v2/users", dave.accessToken).status, 403);
        const HttpReply grantHimself = callApi(port(), "POST", "/api/v2/users/auth0%7Cdave/permissions", dave.accessToken,
                                               R"({"permissions":[{"resource_server_identifier":"organize","permission_name":"read:calendar"}]})");
        EXPECT_EQ(grantHimself.status, 403);
        EXPECT_EQ(grantHimself.json("errorCode"), "insufficient_scope");
        EXPECT_EQ(callApi(port(), "POST", "/api/v2/client-grants", dave.accessToken,
                          R"({"client_id":"organizer-cli","audience":"organize","scope":["read:contacts"]})")
                      .status,
                  403);
    }
    // alice holds every API permission; the Management API still gives her only herself.
    const UserLogin alice = loginFor(port(), managementAudience, asked, QStringLiteral("alice@example.com"), false);
    EXPECT_EQ(alice.scope, QStringLiteral("openid read:current_user"));

    // An ordinary machine-to-machine client has no grant for the Management API; the admin client has one.
    const HttpReply cli = managementClientCredentials(port(), m_server.issuer(), QStringLiteral("organizer-cli"), QStringLiteral("organizer-cli-secret"));
    EXPECT_EQ(cli.status, 403);
    EXPECT_EQ(cli.json("error"), "access_denied");
    const HttpReply admin = managementClientCredentials(port(), m_server.issuer(), QStringLiteral("organizer-admin"), QStringLiteral("organizer-admin-secret"));
    ASSERT_EQ(admin.status, 200) << admin.body.constData();
    EXPECT_TRUE(admin.json("scope").contains("update:users"));
    EXPECT_EQ(callApi(port(), "GET", "/api/v2/users", QString::fromUtf8(admin.json("access_token"))).status, 200);
}

TEST(ManagementIdentifier, NoApiCanBeNamedLikeAManagementApiNorStandInForIt)
{
    // Planted before identifiers were reserved: an API named like the Management API the server will
    // be after a restart behind --public-url, and a grant for it to an ordinary M2M client.
    QTemporaryDir scratch;
    const QString issuer = QStringLiteral("http://127.0.0.1:4999/");
    const QString planted = issuer + QStringLiteral("api/v2/");
    const QString tenantPath = writeTenant(scratch.path(), [&planted](QJsonObject &tenant) {
        QJsonArray apis = tenant.value(QLatin1String("apis")).toArray();
        apis.append(QJsonObject{
            {QStringLiteral("name"), QStringLiteral("Squatter")},
            {QStringLiteral("identifier"), planted},
            {QStringLiteral("scopes"),
             QJsonArray{QJsonObject{{QStringLiteral("value"), QStringLiteral("read:users")}, {QStringLiteral("description"), QStringLiteral("x")}}}}});
        tenant.insert(QStringLiteral("apis"), apis);
        QJsonArray clients = tenant.value(QLatin1String("clients")).toArray();
        for (qsizetype i = 0; i < clients.size(); ++i) {
            QJsonObject client = clients.at(i).toObject();
            if (client.value(QLatin1String("client_id")).toString() != QLatin1String("organizer-cli"))
                continue;
            QJsonArray grants = client.value(QLatin1String("client_grants")).toArray();
            grants.append(QJsonObject{{QStringLiteral("audience"), planted}, {QStringLiteral("scopes"), QJsonArray{QStringLiteral("read:users")}}});
            client.insert(QStringLiteral("client_grants"), grants);
            clients.replace(i, client);
        }
        tenant.insert(QStringLiteral("clients"), clients);
    });
    ServerProcess server;
    ASSERT_TRUE(server.start({QStringLiteral("--config"), tenantPath, QStringLiteral("--public-url"), issuer})) << server.errorText().toStdString();
    EXPECT_TRUE(server.log().contains("is named like a Management API")) << "the planted API is named at start";

    // The planted grant buys nothing at the real Management API's audience.
    const HttpReply squatter = managementClientCredentials(server.port(), issuer, QStringLiteral("organizer-cli"), QStringLiteral("organizer-cli-secret"));
    EXPECT_EQ(squatter.status, 403) << squatter.body.constData();
    EXPECT_EQ(squatter.json("error"), "access_denied");

    // The admin client's grant still opens the system API, which answers for that identifier.
    const HttpReply admin = managementClientCredentials(server.port(), issuer, QStringLiteral("organizer-admin"), QStringLiteral("organizer-admin-secret"));
    ASSERT_EQ(admin.status, 200) << admin.body.constData();
    const QString token = QString::fromUtf8(admin.json("access_token"));
    const HttpReply listed = callApi(server.port(), "GET", "/api/v2/resource-servers?identifiers=" + QUrl::toPercentEncoding(planted), token);
    ASSERT_EQ(listed.status, 200) << listed.body.constData();
    int systemEntries = 0;
    for (const QJsonValue &entry : QJsonDocument::fromJson(listed.body).array())
        systemEntries += entry.toObject().value(QLatin1String("is_system")).toBool() ? 1 : 0;
    EXPECT_EQ(systemEntries, 1) << listed.body.constData();

    // And no new API may take an identifier any issuer's Management API could have.
    for (const QString &identifier : {QStringLiteral("http://127.0.0.1:5001/api/v2/"), QStringLiteral("https://tenant.example/API/v2"),
                                      QStringLiteral("http://localhost:3001/prefix/api%2Fv2/")}) {
        const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("name"), QStringLiteral("Squatter 2")}, {QStringLiteral("identifier"), identifier}})
                                    .toJson(QJsonDocument::Compact);
        const HttpReply created = callApi(server.port(), "POST", "/api/v2/resource-servers", token, body);
        EXPECT_EQ(created.status, 400) << identifier.toStdString() << ": " << created.body.constData();
        EXPECT_TRUE(created.body.contains("reserved")) << created.body.constData();
    }
    const QByteArray ordinary = R"({"name":"Ordinary","identifier":"https://api.example/v2/"})";
    EXPECT_EQ(callApi(server.port(), "POST", "/api/v2/resource-servers", token, ordinary).status, 201);
}

// A declared API changed through the Management API: a field dropped, made optional or retyped never
// turns a write into a 5xx; a change the stored values cannot follow, and a system column's name, are
// 400s naming the field; an API removed and declared again finds its records.
TEST_F(Authorization, ChangingADeclaredApiNeverTurnsItsWritesIntoServerErrors)
{
    const HttpReply admin = managementClientCredentials(port(), m_server.issuer(), QStringLiteral("organizer-admin"), QStringLiteral("organizer-admin-secret"));
    ASSERT_EQ(admin.status, 200) << admin.body.toStdString();
    const QString managementToken = QString::fromLatin1(admin.json("access_token"));
    const HttpReply organize = callApi(port(), "GET", "/api/v2/resource-servers/organize", managementToken);
    ASSERT_EQ(organize.status, 200) << organize.body.toStdString();
    QJsonArray scopes = QJsonDocument::fromJson(organize.body).object().value(QLatin1String("scopes")).toArray();
    for (const char *scope : {"read:visits", "create:visits"})
        scopes.append(QJsonObject{{QStringLiteral("value"), QLatin1String(scope)}, {QStringLiteral("description"), QLatin1String(scope)}});
    const auto declare = [&](const char *fields) {
        QJsonArray apis;
        if (qstrlen(fields) > 0)
            apis.append(QJsonObject{{QStringLiteral("name"), QStringLiteral("visits")}, {QStringLiteral("fields"), QJsonDocument::fromJson(fields).array()}});
        return callApi(port(), "PATCH", "/api/v2/resource-servers/organize", managementToken,
                       QJsonDocument(QJsonObject{{QStringLiteral("scopes"), scopes}, {QStringLiteral("organizer_apis"), apis}}).toJson(QJsonDocument::Compact));
    };
    const HttpReply declared = declare(R"([{"name":"title","required":true},{"name":"length","type":"minutes"}])");
    ASSERT_EQ(declared.status, 200) << declared.body.toStdString();

    // organizer-cli may read and create visits.
    const HttpReply grants = callApi(port(), "GET", "/api/v2/client-grants?client_id=organizer-cli&audience=organize", managementToken);
    ASSERT_EQ(grants.status, 200) << grants.body.toStdString();
    const QJsonObject grant = QJsonDocument::fromJson(grants.body).array().at(0).toObject();
    QJsonArray granted = grant.value(QLatin1String("scope")).toArray();
    granted += QStringLiteral("read:visits");
    granted += QStringLiteral("create:visits");
    const HttpReply widened = callApi(port(), "PATCH", "/api/v2/client-grants/" + grant.value(QLatin1String("id")).toString().toLatin1(), managementToken,
                                      QJsonDocument(QJsonObject{{QStringLiteral("scope"), granted}}).toJson(QJsonDocument::Compact));
    ASSERT_EQ(widened.status, 200) << widened.body.toStdString();
    const HttpReply issued = tokenRequest(port(),
                                          {{QStringLiteral("grant_type"), QStringLiteral("client_credentials")},
                                           {QStringLiteral("client_id"), QStringLiteral("organizer-cli")},
                                           {QStringLiteral("client_secret"), QStringLiteral("organizer-cli-secret")},
                                           {QStringLiteral("audience"), QStringLiteral("organize")}});
    ASSERT_EQ(issued.status, 200) << issued.body.toStdString();
    const QString token = QString::fromLatin1(issued.json("access_token"));
    const auto create
        = [&](const QJsonObject &visit) { return callApi(port(), "POST", "/api/visits", token, QJsonDocument(visit).toJson(QJsonDocument::Compact)); };
    const auto lengths = [&] {
        const HttpReply listed = callApi(port(), "GET", "/api/visits", token);
        EXPECT_EQ(listed.status, 200) << listed.body.toStdString();
        QJsonArray values;
        for (const QJsonValue &visit : QJsonDocument::fromJson(listed.body).object().value(QLatin1String("visits")).toArray())
            values.append(visit.toObject().value(QLatin1String("length")));
        return values;
    };
    ASSERT_EQ(create({{QStringLiteral("title"), QStringLiteral("first")}, {QStringLiteral("length"), 30}}).status, 201);

    // The required title is dropped: creates without it work.
    ASSERT_EQ(declare(R"([{"name":"length","type":"minutes"},{"name":"place"}])").status, 200);
    const HttpReply untitled = create({{QStringLiteral("length"), 45}});
    EXPECT_EQ(untitled.status, 201) << untitled.body.toStdString();

    // Minutes become text: the stored numbers read back as their digits, and text can be written.
    ASSERT_EQ(declare(R"([{"name":"length"},{"name":"place"}])").status, 200);
    const HttpReply worded = create({{QStringLiteral("length"), QStringLiteral("an hour")}});
    EXPECT_EQ(worded.status, 201) << worded.body.toStdString();
    EXPECT_EQ(lengths(), (QJsonArray{QStringLiteral("30"), QStringLiteral("45"), QStringLiteral("an hour")}));

    // Text cannot become minutes ("an hour" would read back as 0): refused, naming the field.
    const HttpReply counted = declare(R"([{"name":"length","type":"minutes"},{"name":"place"}])");
    EXPECT_EQ(counted.status, 400);
    EXPECT_TRUE(counted.body.contains("organizer_apis[0].fields[0].type")) << counted.body.toStdString();
    EXPECT_EQ(lengths().size(), 3);

    // A field named like a system column of either engine: refused, naming the field.
    for (const char *system : {"xmin", "ctid", "tableoid", "rowid"}) {
        const HttpReply refused = declare(QByteArray(R"([{"name":"length"},{"name":")") + system + R"("}])");
        EXPECT_EQ(refused.status, 400) << system;
        EXPECT_TRUE(refused.body.contains("organizer_apis[0].fields[1].name")) << refused.body.toStdString();
    }
    EXPECT_EQ(create({{QStringLiteral("place"), QStringLiteral("Oslo")}}).status, 201) << "writes go on after the refusals";

    // Removed, the API is served no more; declared again, its records are back.
    ASSERT_EQ(declare("").status, 200);
    EXPECT_EQ(callApi(port(), "GET", "/api/visits", token).status, 404);
    ASSERT_EQ(declare(R"([{"name":"title"},{"name":"length"}])").status, 200);
    const HttpReply returned = callApi(port(), "GET", "/api/visits", token);
    ASSERT_EQ(returned.status, 200) << returned.body.toStdString();
    const QJsonArray visits = QJsonDocument::fromJson(returned.body).object().value(QLatin1String("visits")).toArray();
    ASSERT_EQ(visits.size(), 4);
    QStringList titles;
    for (const QJsonValue &visit : visits)
        titles.append(visit.toObject().value(QLatin1String("title")).toString());
    EXPECT_TRUE(titles.contains(QStringLiteral("first"))) << titles.join(u',').toStdString();
}
