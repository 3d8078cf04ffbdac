// Applications managed through the Management API as Auth0's are (issue 24): created, changed, given a new
// secret and deleted, each live at the token endpoint, /authorize and CORS from the next request, kept
// across a restart and followed by another instance on the same database; the system API as Auth0 names
// and flags it; checkpoint pagination; who may do any of it. Against a real organizer-server process.

#include "authorizationfixture.h"
#include "managementfixture.h"
#include "base64url.h"
#include "testdatabase.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>
#include <QSqlQuery>

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::test;

namespace {

const QString kAdmin = QStringLiteral("organizer-admin");
const QString kAdminSecret = QStringLiteral("organizer-admin-secret");

// What the Management API said when it refused, in Auth0's shape: {statusCode, error, message, errorCode}.
struct Refusal
{
    int status = 0;
    QString errorCode;
    QString message;
};
Refusal refusalOf(const HttpReply &reply)
{
    const QJsonObject body = objectOf(reply);
    EXPECT_EQ(body.value(QLatin1String("statusCode")).toInt(), reply.status) << reply.body.constData();
    EXPECT_TRUE(body.value(QLatin1String("error")).isString()) << reply.body.constData();
    return {reply.status, body.value(QLatin1String("errorCode")).toString(), body.value(QLatin1String("message")).toString()};
}

QString payload(const QString &problem)
{
    return QStringLiteral("Payload validation error: '%1'.").arg(problem);
}

HttpReply clientCredentials(quint16 port, const QString &clientId, const QString &secret, const QString &audience = QStringLiteral("organize"))
{
    return tokenRequest(port,
                        {{QStringLiteral("grant_type"), QStringLiteral("client_credentials")},
                         {QStringLiteral("client_id"), clientId},
                         {QStringLiteral("client_secret"), secret},
                         {QStringLiteral("audience"), audience}});
}

// The login of `clientId` at `redirectUri` (code + PKCE, alice), through the real pages.
TestBrowser::Outcome codeLogin(quint16 port, const QString &clientId, const QString &redirectUri, const QString &verifier)
{
    QUrlQuery q;
    const auto add = [&q](const QString &name, const QString &value) { q.addQueryItem(name, QString::fromLatin1(QUrl::toPercentEncoding(value))); };
    add(QStringLiteral("client_id"), clientId);
    add(QStringLiteral("redirect_uri"), redirectUri);
    add(QStringLiteral("response_type"), QStringLiteral("code"));
    add(QStringLiteral("scope"), QStringLiteral("openid read:contacts"));
    add(QStringLiteral("audience"), QStringLiteral("organize"));
    add(QStringLiteral("state"), QStringLiteral("s"));
    add(QStringLiteral("code_challenge"),
        QString::fromLatin1(jose::base64UrlEncode(QCryptographicHash::hash(verifier.toLatin1(), QCryptographicHash::Sha256))));
    add(QStringLiteral("code_challenge_method"), QStringLiteral("S256"));
    TestBrowser browser(port);
    return browser.authorize(q.query(QUrl::FullyEncoded), QStringLiteral("alice@example.com"), kPassword);
}

HttpReply preflight(quint16 port, const QByteArray &origin)
{
    return sendHttp(port, {"OPTIONS", "/oauth/token", {{"origin", origin}, {"access-control-request-method", "POST"}}, {}});
}

// The tenant document the Management API stored in the server's SQLite database.
QByteArray storedTenant(const QString &dataDir)
{
    auto database = organizer::testing::sqliteDatabase(dataDir + QStringLiteral("/organizer.sqlite"));
    if (!database)
        return {};
    auto read = database->execute(QStringLiteral("SELECT document FROM tenant_documents"), {}, QStringLiteral("reading the stored tenant"));
    EXPECT_TRUE(read) << (read ? std::string() : read.error().toStdString());
    if (!read || !read->next())
        return {};
    return read->value(0).toByteArray();
}

class ManagementClients : public ManagementApiTest
{
protected:
    QJsonObject created(const QJsonObject &body)
    {
        const HttpReply reply = call("POST", "/api/v2/clients", body);
        EXPECT_EQ(reply.status, 201) << reply.body.constData();
        return objectOf(reply);
    }
    void grant(const QString &clientId, const QStringList &scopes)
    {
        const HttpReply reply = call("POST", "/api/v2/client-grants",
                                     {{QStringLiteral("client_id"), clientId},
                                      {QStringLiteral("audience"), QStringLiteral("organize")},
                                      {QStringLiteral("scope"), QJsonArray::fromStringList(scopes)}});
        ASSERT_EQ(reply.status, 201) << reply.body.constData();
    }
};

} // namespace

TEST_F(ManagementClients, ANewApplicationsSecretIsShownOnceAndOnlyItsHashIsKept)
{
    const QJsonObject app
        = created({{QStringLiteral("name"), QStringLiteral("Nightly reports")}, {QStringLiteral("app_type"), QStringLiteral("non_interactive")}});
    const QString clientId = app.value(QLatin1String("client_id")).toString();
    const QString secret = app.value(QLatin1String("client_secret")).toString();
    EXPECT_TRUE(QRegularExpression(QStringLiteral("^[A-Za-z0-9]{32}$")).match(clientId).hasMatch()) << clientId.toStdString();
    EXPECT_TRUE(QRegularExpression(QStringLiteral("^[A-Za-z0-9_-]{64}$")).match(secret).hasMatch()) << "48 random bytes, base64url";
    EXPECT_EQ(app.value(QLatin1String("token_endpoint_auth_method")).toString(), QStringLiteral("client_secret_post"));
    EXPECT_EQ(app.value(QLatin1String("grant_types")).toArray(), QJsonArray{QStringLiteral("client_credentials")});
    EXPECT_EQ(app.value(QLatin1String("app_type")).toString(), QStringLiteral("non_interactive"));

    // Never again: not by id, not in the list.
    const HttpReply one = call("GET", "/api/v2/clients/" + clientId.toLatin1());
    ASSERT_EQ(one.status, 200);
    EXPECT_FALSE(objectOf(one).contains(QLatin1String("client_secret")));
    EXPECT_EQ(objectOf(one).value(QLatin1String("name")).toString(), QStringLiteral("Nightly reports"));
    const HttpReply list = call("GET", "/api/v2/clients");
    ASSERT_EQ(list.status, 200);
    for (const QJsonValue &entry : arrayOf(list))
        EXPECT_FALSE(entry.toObject().contains(QLatin1String("client_secret")));
    EXPECT_FALSE(list.body.contains(secret.toLatin1()));
    // Stored as the KDF's hash, never as itself.
    const QByteArray stored = storedTenant(m_server.dataDir());
    EXPECT_TRUE(stored.contains(clientId.toLatin1()));
    EXPECT_FALSE(stored.contains(secret.toLatin1()));
    const QJsonArray clients = QJsonDocument::fromJson(stored).object().value(QLatin1String("clients")).toArray();
    const auto entry = std::find_if(clients.begin(), clients.end(), [&](const QJsonValue &c) { return c[QLatin1String("client_id")].toString() == clientId; });
    ASSERT_NE(entry, clients.end());
    EXPECT_TRUE(entry->toObject().value(QLatin1String("client_secret_hash")).toString().startsWith(QLatin1String("pbkdf2-sha256$600000$")));

    // Live at the token endpoint: no grant yet, then the grant's scopes, which open the API.
    const HttpReply before = clientCredentials(port(), clientId, secret);
    EXPECT_EQ(before.status, 403) << before.body.constData();
    EXPECT_EQ(before.json("error"), "access_denied");
    grant(clientId, {QStringLiteral("read:contacts")});
    const HttpReply issued = clientCredentials(port(), clientId, secret);
    ASSERT_EQ(issued.status, 200) << issued.body.constData();
    EXPECT_EQ(issued.json("scope"), "read:contacts");
    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", QString::fromUtf8(issued.json("access_token"))).status, 200);
    EXPECT_EQ(clientCredentials(port(), clientId, secret + QLatin1Char('x')).status, 401);
}

TEST_F(ManagementClients, APublicSpaLogsInAtItsNewCallbackAndItsOriginsAreLiveAtOnce)
{
    const QJsonObject app = created({{QStringLiteral("name"), QStringLiteral("Team SPA")},
                                     {QStringLiteral("app_type"), QStringLiteral("spa")},
                                     {QStringLiteral("callbacks"), QJsonArray{QStringLiteral("https://spa.example/callback")}},
                                     {QStringLiteral("allowed_logout_urls"), QJsonArray{QStringLiteral("https://spa.example/")}},
                                     {QStringLiteral("web_origins"), QJsonArray{QStringLiteral("https://spa.example")}}});
    const QString clientId = app.value(QLatin1String("client_id")).toString();
    EXPECT_FALSE(app.contains(QLatin1String("client_secret"))) << "a public application has no secret";
    EXPECT_EQ(app.value(QLatin1String("token_endpoint_auth_method")).toString(), QStringLiteral("none"));
    EXPECT_EQ(app.value(QLatin1String("grant_types")).toArray(),
              (QJsonArray{QStringLiteral("authorization_code"), QStringLiteral("implicit"), QStringLiteral("refresh_token")}));

    const QString verifier = verifierFor('\x51');
    const TestBrowser::Outcome login = codeLogin(port(), clientId, QStringLiteral("https://spa.example/callback"), verifier);
    ASSERT_TRUE(login.redirect.isValid()) << login.failure.toStdString();
    EXPECT_EQ(login.redirect.host(), QStringLiteral("spa.example"));
    const HttpReply tokens = tokenRequest(port(),
                                          {{QStringLiteral("grant_type"), QStringLiteral("authorization_code")},
                                           {QStringLiteral("client_id"), clientId},
                                           {QStringLiteral("code"), value(login.parameters(), "code")},
                                           {QStringLiteral("redirect_uri"), QStringLiteral("https://spa.example/callback")},
                                           {QStringLiteral("code_verifier"), verifier}});
    ASSERT_EQ(tokens.status, 200) << tokens.body.constData();
    EXPECT_EQ(claimsOf(QString::fromUtf8(tokens.json("access_token"))).value(QLatin1String("azp")).toString(), clientId);
    EXPECT_EQ(preflight(port(), "https://spa.example").header("access-control-allow-origin"), "https://spa.example");

    // Moved: the old callback is refused on a page (never a redirect), the new one works, the origin that
    // went is refused and the one that came is allowed.
    const HttpReply moved = call("PATCH", "/api/v2/clients/" + clientId.toLatin1(),
                                 {{QStringLiteral("callbacks"), QJsonArray{QStringLiteral("https://spa.example/v2/callback")}},
                                  {QStringLiteral("web_origins"), QJsonArray{}},
                                  {QStringLiteral("allowed_origins"), QJsonArray{QStringLiteral("https://reports.example")}}});
    ASSERT_EQ(moved.status, 200) << moved.body.constData();
    const TestBrowser::Outcome old = codeLogin(port(), clientId, QStringLiteral("https://spa.example/callback"), verifier);
    EXPECT_FALSE(old.redirect.isValid());
    EXPECT_EQ(old.lastReply.status, 400) << old.lastReply.body.constData();
    EXPECT_TRUE(codeLogin(port(), clientId, QStringLiteral("https://spa.example/v2/callback"), verifier).redirect.isValid());
    EXPECT_TRUE(preflight(port(), "https://spa.example").header("access-control-allow-origin").isEmpty());
    EXPECT_EQ(preflight(port(), "https://reports.example").header("access-control-allow-origin"), "https://reports.example");
}

TEST_F(ManagementClients, WhatOrganizerDoesNotActOnIsKeptAndBadTypesAreRefusedInAuth0sWords)
{
    const QJsonObject app = created({{QStringLiteral("name"), QStringLiteral("Portal")}, {QStringLiteral("app_type"), QStringLiteral("regular_web")}});
    const QByteArray path = "/api/v2/clients/" + app.value(QLatin1String("client_id")).toString().toLatin1();
    // Members a real Auth0 export carries.
    const QJsonObject exported{
        {QStringLiteral("description"), QStringLiteral("Customer portal")},
        {QStringLiteral("logo_uri"), QStringLiteral("https://portal.example/logo.png")},
        {QStringLiteral("cross_origin_auth"), false},
        {QStringLiteral("custom_login_page_on"), true},
        {QStringLiteral("sso"), false},
        {QStringLiteral("sso_disabled"), false},
        {QStringLiteral("is_first_party"), true},
        {QStringLiteral("oidc_conformant"), true},
        {QStringLiteral("initiate_login_uri"), QStringLiteral("https://portal.example/login")},
        {QStringLiteral("organization_usage"), QStringLiteral("deny")},
        {QStringLiteral("client_metadata"), QJsonObject{{QStringLiteral("team"), QStringLiteral("billing")}}},
        {QStringLiteral("native_social_login"), QJsonObject{{QStringLiteral("apple"), QJsonObject{{QStringLiteral("enabled"), false}}}}},
        {QStringLiteral("refresh_token"),
         QJsonObject{{QStringLiteral("rotation_type"), QStringLiteral("rotating")},
                     {QStringLiteral("expiration_type"), QStringLiteral("expiring")},
                     {QStringLiteral("token_lifetime"), 2592000},
                     {QStringLiteral("leeway"), 0}}},
        {QStringLiteral("jwt_configuration"),
         QJsonObject{
             {QStringLiteral("alg"), QStringLiteral("RS256")}, {QStringLiteral("lifetime_in_seconds"), 3600}, {QStringLiteral("secret_encoded"), false}}},
        {QStringLiteral("token_endpoint_auth_method"), QStringLiteral("client_secret_basic")},
    };
    const HttpReply patched = call("PATCH", path, exported);
    ASSERT_EQ(patched.status, 200) << patched.body.constData();
    const QJsonObject shown = objectOf(call("GET", path));
    for (auto it = exported.begin(); it != exported.end(); ++it)
        EXPECT_EQ(shown.value(it.key()), it.value()) << it.key().toStdString();
    // jwt_configuration is merged member by member, as Auth0 merges it: the Deploy CLI leaves members out.
    ASSERT_EQ(call("PATCH", path, {{QStringLiteral("jwt_configuration"), QJsonObject{{QStringLiteral("secret_encoded"), true}}}}).status, 200);
    ASSERT_EQ(call("PATCH", path, {{QStringLiteral("jwt_configuration"), QJsonObject{{QStringLiteral("lifetime_in_seconds"), 7200}}}}).status, 200);
    const QJsonObject jwt = objectOf(call("GET", path)).value(QLatin1String("jwt_configuration")).toObject();
    EXPECT_EQ(jwt.value(QLatin1String("alg")).toString(), QStringLiteral("RS256"));
    EXPECT_EQ(jwt.value(QLatin1String("lifetime_in_seconds")).toInt(), 7200);
    EXPECT_TRUE(jwt.value(QLatin1String("secret_encoded")).toBool()) << "a member the PATCH left out was dropped";
    // A null drops a kept member, as Auth0 unsets it.
    ASSERT_EQ(call("PATCH", path, {{QStringLiteral("client_metadata"), QJsonValue::Null}}).status, 200);
    EXPECT_FALSE(objectOf(call("GET", path)).contains(QLatin1String("client_metadata")));

    const auto refused = [&](const QJsonObject &body) { return refusalOf(call("PATCH", path, body)); };
    const struct
    {
        QJsonObject body;
        QString message;
    } bad[]{
        {{{QStringLiteral("callbacks"), QStringLiteral("https://portal.example/cb")}}, payload(QStringLiteral("callbacks: must be an array of URLs"))},
        {{{QStringLiteral("callbacks"), QJsonArray{QStringLiteral("https://portal.example/cb#top")}}},
         payload(QStringLiteral("callbacks[0]: must be an absolute http(s) URL without a fragment"))},
        {{{QStringLiteral("callbacks"), QJsonArray{QStringLiteral("http://127.0.0.1:9000/authorize/cb")}}},
         payload(QStringLiteral("callbacks[0]: a loopback callback may not use the path /authorize, where the server's session cookie is sent"))},
        {{{QStringLiteral("allowed_logout_urls"), QJsonArray{7}}}, payload(QStringLiteral("allowed_logout_urls[0]: must be a non-empty string"))},
        {{{QStringLiteral("web_origins"), QJsonArray{QStringLiteral("https://portal.example/app")}}},
         payload(QStringLiteral("web_origins[0]: \"https://portal.example/app\" must be an origin: http(s)://host with an optional port and no path"))},
        {{{QStringLiteral("allowed_origins"), QJsonArray{QStringLiteral("https://*.portal.example")}}},
         payload(QStringLiteral("allowed_origins[0]: \"https://*.portal.example\": wildcard origins are not supported: list each origin"))},
        {{{QStringLiteral("jwt_configuration"), QJsonObject{{QStringLiteral("alg"), QStringLiteral("HS256")}}}},
         payload(QStringLiteral("jwt_configuration.alg: must be RS256, the only algorithm Organizer signs ID tokens with"))},
        {{{QStringLiteral("jwt_configuration"), QJsonObject{{QStringLiteral("lifetime_in_seconds"), QStringLiteral("1h")}}}},
         payload(QStringLiteral("jwt_configuration.lifetime_in_seconds: must be a whole number of seconds from 1 to 2592000"))},
        {{{QStringLiteral("is_first_party"), QStringLiteral("yes")}}, payload(QStringLiteral("is_first_party: must be true or false"))},
        {{{QStringLiteral("app_type"), QStringLiteral("rms")}}, payload(QStringLiteral("app_type: must be spa, native, non_interactive or regular_web"))},
        {{{QStringLiteral("token_endpoint_auth_method"), QStringLiteral("private_key_jwt")}},
         payload(QStringLiteral("token_endpoint_auth_method: must be none, client_secret_post or client_secret_basic"))},
        {{{QStringLiteral("name"), QStringLiteral("<script>")}}, payload(QStringLiteral("name: must be a string of 1 to 200 characters without < or >"))},
        {{{QStringLiteral("grant_types"), QJsonArray{QStringLiteral("urn:ietf:params:oauth:grant-type:device_code")}}}, {}},
        {{{QStringLiteral("require_pushed_authorization_requests"), true}},
         payload(QStringLiteral("require_pushed_authorization_requests: Organizer has no pushed authorization requests (PAR): leave it false"))},
        {{{QStringLiteral("client_id"), QStringLiteral("renamed")}}, payload(QStringLiteral("Additional properties not allowed: client_id"))},
        {{{QStringLiteral("favourite_colour"), QStringLiteral("blue")}}, payload(QStringLiteral("Additional properties not allowed: favourite_colour"))},
    };
    for (const auto &[body, message] : bad) {
        const Refusal refusal = refused(body);
        EXPECT_EQ(refusal.status, 400) << compactJson(body).constData();
        EXPECT_EQ(refusal.errorCode, QStringLiteral("invalid_body")) << compactJson(body).constData();
        if (!message.isEmpty())
            EXPECT_EQ(refusal.message, message);
        else
            EXPECT_TRUE(refusal.message.contains(QLatin1String("is not a grant type Organizer serves"))) << refusal.message.toStdString();
    }
    // False asks for nothing Organizer lacks: kept like the rest.
    EXPECT_EQ(call("PATCH", path, {{QStringLiteral("require_pushed_authorization_requests"), false}}).status, 200);
    // A refused body changed nothing.
    EXPECT_EQ(objectOf(call("GET", path)).value(QLatin1String("name")).toString(), QStringLiteral("Portal"));
    EXPECT_EQ(refusalOf(call("PATCH", "/api/v2/clients/nobody", {{QStringLiteral("name"), QStringLiteral("x")}})).errorCode,
              QStringLiteral("inexistent_client"));
    // On create, the name is required and a client_id cannot be chosen, as with Auth0.
    EXPECT_EQ(refusalOf(call("POST", "/api/v2/clients", {{QStringLiteral("app_type"), QStringLiteral("spa")}})).message,
              payload(QStringLiteral("Missing required property: name")));
    EXPECT_EQ(
        refusalOf(call("POST", "/api/v2/clients", {{QStringLiteral("name"), QStringLiteral("x")}, {QStringLiteral("client_id"), QStringLiteral("x")}})).message,
        payload(QStringLiteral("Additional properties not allowed: client_id")));
    EXPECT_EQ(refusalOf(call("POST", "/api/v2/clients",
                             {{QStringLiteral("name"), QStringLiteral("x")},
                              {QStringLiteral("app_type"), QStringLiteral("spa")},
                              {QStringLiteral("grant_types"), QJsonArray{QStringLiteral("client_credentials")}}}))
                  .message,
              payload(QStringLiteral("grant_types: client_credentials needs a client that authenticates: token_endpoint_auth_method client_secret_post or "
                                     "client_secret_basic")));
}

TEST_F(ManagementClients, ARotatedSecretReplacesTheOldOneAtOnce)
{
    const QJsonObject app = created({{QStringLiteral("name"), QStringLiteral("Sync job")}, {QStringLiteral("app_type"), QStringLiteral("non_interactive")}});
    const QString clientId = app.value(QLatin1String("client_id")).toString();
    const QString first = app.value(QLatin1String("client_secret")).toString();
    grant(clientId, {QStringLiteral("read:calendar")});
    ASSERT_EQ(clientCredentials(port(), clientId, first).status, 200) << "verified once: the cache must not keep it alive";

    // Auth0's scope for it is update:client_keys: update:clients alone is not enough.
    const QString updater = adminToken(port(), issuer(), QStringLiteral("update:clients"));
    const Refusal narrow = refusalOf(call("POST", "/api/v2/clients/" + clientId.toLatin1() + "/rotate-secret", {}, updater));
    EXPECT_EQ(narrow.status, 403);
    EXPECT_EQ(narrow.errorCode, QStringLiteral("insufficient_scope"));
    EXPECT_TRUE(narrow.message.contains(QLatin1String("update:client_keys"))) << narrow.message.toStdString();

    const HttpReply rotated = call("POST", "/api/v2/clients/" + clientId.toLatin1() + "/rotate-secret");
    ASSERT_EQ(rotated.status, 200) << rotated.body.constData();
    const QString second = objectOf(rotated).value(QLatin1String("client_secret")).toString();
    EXPECT_EQ(second.size(), 64);
    EXPECT_NE(second, first);
    const HttpReply old = clientCredentials(port(), clientId, first);
    EXPECT_EQ(old.status, 401) << old.body.constData();
    EXPECT_EQ(old.json("error"), "invalid_client");
    EXPECT_EQ(clientCredentials(port(), clientId, second).status, 200);
    EXPECT_FALSE(objectOf(call("GET", "/api/v2/clients/" + clientId.toLatin1())).contains(QLatin1String("client_secret")));

    // A public application has no secret to rotate.
    const Refusal spa = refusalOf(call("POST", "/api/v2/clients/organizer-desktop/rotate-secret"));
    EXPECT_EQ(spa.status, 403);
    EXPECT_EQ(spa.errorCode, QStringLiteral("operation_not_supported"));
    EXPECT_EQ(refusalOf(call("POST", "/api/v2/clients/nobody/rotate-secret")).errorCode, QStringLiteral("inexistent_client"));
}

TEST_F(ManagementClients, SettingASecretNeedsUpdateClientKeysAndMakingAPublicClientConfidentialShowsNone)
{
    const QJsonObject app = created({{QStringLiteral("name"), QStringLiteral("Migrated")}, {QStringLiteral("app_type"), QStringLiteral("spa")}});
    const QByteArray path = "/api/v2/clients/" + app.value(QLatin1String("client_id")).toString().toLatin1();
    const QString clientId = app.value(QLatin1String("client_id")).toString();
    // Confidential from now on, with a secret nobody has seen: the answer shows none.
    const HttpReply confidential = call("PATCH", path,
                                        {{QStringLiteral("token_endpoint_auth_method"), QStringLiteral("client_secret_post")},
                                         {QStringLiteral("grant_types"), QJsonArray{QStringLiteral("client_credentials")}}});
    ASSERT_EQ(confidential.status, 200) << confidential.body.constData();
    EXPECT_FALSE(objectOf(confidential).contains(QLatin1String("client_secret")));
    grant(clientId, {QStringLiteral("read:contacts")});
    // The secret a migration brings along (Auth0 exports carry one): only with update:client_keys.
    const QString kept = QStringLiteral("s3cr3t-from-the-old-tenant-").leftJustified(64, QLatin1Char('x'));
    const Refusal narrow
        = refusalOf(call("PATCH", path, {{QStringLiteral("client_secret"), kept}}, adminToken(port(), issuer(), QStringLiteral("update:clients"))));
    EXPECT_EQ(narrow.status, 403);
    EXPECT_TRUE(narrow.message.contains(QLatin1String("update:client_keys"))) << narrow.message.toStdString();
    EXPECT_EQ(refusalOf(call("PATCH", path, {{QStringLiteral("client_secret"), QStringLiteral("short")}})).message,
              payload(QStringLiteral("client_secret: must be a string of 32 to 512 characters")));
    const HttpReply set = call("PATCH", path, {{QStringLiteral("client_secret"), kept}});
    ASSERT_EQ(set.status, 200) << set.body.constData();
    EXPECT_FALSE(set.body.contains(kept.toLatin1()));
    EXPECT_EQ(clientCredentials(port(), clientId, kept).status, 200);
    // Public again: no secret at all.
    ASSERT_EQ(call("PATCH", path,
                   {{QStringLiteral("token_endpoint_auth_method"), QStringLiteral("none")},
                    {QStringLiteral("grant_types"), QJsonArray{QStringLiteral("authorization_code")}}})
                  .status,
              200);
    EXPECT_EQ(clientCredentials(port(), clientId, kept).status, 401);
}

TEST_F(ManagementClients, AnApplicationCreatedWithItsOwnSecretAuthenticatesWithItAlone)
{
    // Hashed before the call runs (off the HTTP worker): the hash stored must be the given secret's.
    const QString own = QStringLiteral("brought-along-from-another-tenant-").leftJustified(48, QLatin1Char('y'));
    const QJsonObject app = created({{QStringLiteral("name"), QStringLiteral("Imported job")},
                                     {QStringLiteral("app_type"), QStringLiteral("non_interactive")},
                                     {QStringLiteral("client_secret"), own}});
    const QString clientId = app.value(QLatin1String("client_id")).toString();
    EXPECT_EQ(app.value(QLatin1String("client_secret")).toString(), own);
    grant(clientId, {QStringLiteral("read:contacts")});
    EXPECT_EQ(clientCredentials(port(), clientId, own).status, 200);
    EXPECT_EQ(clientCredentials(port(), clientId, own + QLatin1Char('z')).status, 401);
}

TEST_F(ManagementClients, APatchThatChangesNothingStoresNoRevision)
{
    const QJsonObject app = created({{QStringLiteral("name"), QStringLiteral("Reports")}, {QStringLiteral("app_type"), QStringLiteral("non_interactive")}});
    const QByteArray path = "/api/v2/clients/" + app.value(QLatin1String("client_id")).toString().toLatin1();
    const QJsonObject change{{QStringLiteral("name"), QStringLiteral("Monthly reports")}, {QStringLiteral("callbacks"), QJsonArray{}}};
    const qint64 beforeChange = organizer::testing::storedTenantRevision(m_server.dataDir());
    const HttpReply first = call("PATCH", path, change);
    ASSERT_EQ(first.status, 200) << first.body.constData();
    const qint64 changed = organizer::testing::storedTenantRevision(m_server.dataDir());
    EXPECT_EQ(changed, beforeChange + 1) << "a change is stored";

    // The same again: answered as before, nothing stored (so nothing for another instance to follow).
    const HttpReply again = call("PATCH", path, change);
    ASSERT_EQ(again.status, 200) << again.body.constData();
    EXPECT_EQ(objectOf(again), objectOf(first));
    EXPECT_EQ(organizer::testing::storedTenantRevision(m_server.dataDir()), changed);

    // An API's too.
    const QByteArray api = "/api/v2/resource-servers/organize";
    const QJsonObject lifetime{{QStringLiteral("token_lifetime"), 5400}};
    ASSERT_EQ(call("PATCH", api, lifetime).status, 200);
    const qint64 apiChanged = organizer::testing::storedTenantRevision(m_server.dataDir());
    EXPECT_EQ(apiChanged, changed + 1);
    const HttpReply apiAgain = call("PATCH", api, lifetime);
    ASSERT_EQ(apiAgain.status, 200) << apiAgain.body.constData();
    EXPECT_EQ(objectOf(apiAgain).value(QLatin1String("token_lifetime")).toInt(), 5400);
    EXPECT_EQ(organizer::testing::storedTenantRevision(m_server.dataDir()), apiChanged);

    // A change after the no-ops is still stored.
    ASSERT_EQ(call("PATCH", path, {{QStringLiteral("name"), QStringLiteral("Yearly reports")}}).status, 200);
    EXPECT_EQ(organizer::testing::storedTenantRevision(m_server.dataDir()), apiChanged + 1);
}

TEST_F(ManagementClients, ADeletedApplicationTakesItsGrantsWhileTokensItWasIssuedRunOut)
{
    const QJsonObject app
        = created({{QStringLiteral("name"), QStringLiteral("Old exporter")}, {QStringLiteral("app_type"), QStringLiteral("non_interactive")}});
    const QString clientId = app.value(QLatin1String("client_id")).toString();
    grant(clientId, {QStringLiteral("read:contacts")});
    const HttpReply issued = clientCredentials(port(), clientId, app.value(QLatin1String("client_secret")).toString());
    ASSERT_EQ(issued.status, 200);

    const HttpReply deleted = call("DELETE", "/api/v2/clients/" + clientId.toLatin1());
    EXPECT_EQ(deleted.status, 204) << deleted.body.constData();
    EXPECT_EQ(refusalOf(call("GET", "/api/v2/clients/" + clientId.toLatin1())).errorCode, QStringLiteral("inexistent_client"));
    EXPECT_EQ(arrayOf(call("GET", "/api/v2/client-grants?client_id=" + clientId.toLatin1())), QJsonArray{});
    EXPECT_EQ(clientCredentials(port(), clientId, app.value(QLatin1String("client_secret")).toString()).status, 401);
    // As with Auth0, an access token already issued is valid until it expires.
    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", QString::fromUtf8(issued.json("access_token"))).status, 200);
    EXPECT_EQ(refusalOf(call("DELETE", "/api/v2/clients/" + clientId.toLatin1())).errorCode, QStringLiteral("inexistent_client"));
    // The application calling can delete itself, as with Auth0 (there is no global client to protect).
    EXPECT_EQ(call("DELETE", "/api/v2/clients/organizer-admin").status, 204);
    EXPECT_EQ(managementClientCredentials(port(), issuer(), kAdmin, kAdminSecret).status, 401);
}

TEST_F(ManagementClients, CheckpointPagesCoverEveryApplicationOnceAndTotalsAreExact)
{
    // Client grants by checkpoint, one a page (the SDK's clientGrants.list always pages so).
    const qsizetype grants = objectOf(call("GET", "/api/v2/client-grants?include_totals=true")).value(QLatin1String("total")).toInt();
    ASSERT_GE(grants, 2) << "the demo tenant's";
    QSet<QString> grantIds;
    QByteArray query = "take=1&include_totals=true";
    for (qsizetype page = 0; page < grants; ++page) {
        const QJsonObject answer = objectOf(call("GET", "/api/v2/client-grants?" + query));
        ASSERT_EQ(answer.value(QLatin1String("client_grants")).toArray().size(), 1);
        grantIds.insert(answer.value(QLatin1String("client_grants")).toArray().first()[QLatin1String("id")].toString());
        EXPECT_EQ(answer.contains(QLatin1String("next")), page + 1 < grants) << "next is absent on the last page only";
        query = "take=1&from=" + answer.value(QLatin1String("next")).toString().toLatin1();
    }
    EXPECT_EQ(grantIds.size(), grants);

    const qsizetype demo = arrayOf(call("GET", "/api/v2/clients")).size();
    for (int i = 0; i < 5; ++i)
        created({{QStringLiteral("name"), QStringLiteral("Page app %1").arg(i)}, {QStringLiteral("app_type"), QStringLiteral("spa")}});
    const qsizetype total = demo + 5;
    const QJsonObject totals = objectOf(call("GET", "/api/v2/clients?per_page=3&page=2&include_totals=true"));
    EXPECT_EQ(totals.value(QLatin1String("total")).toInt(), total) << "the demo's and 5 new";
    EXPECT_EQ(totals.value(QLatin1String("length")).toInt(), std::min<qsizetype>(3, total - 6));
    EXPECT_EQ(totals.value(QLatin1String("start")).toInt(), 6);

    QStringList seen;
    QString from;
    int pages = 0;
    for (;; ++pages) {
        ASSERT_LT(pages, 10);
        const HttpReply reply = call("GET", "/api/v2/clients?take=3&include_totals=true" + (from.isEmpty() ? QByteArray() : "&from=" + from.toLatin1()));
        ASSERT_EQ(reply.status, 200) << reply.body.constData();
        const QJsonObject page = objectOf(reply);
        EXPECT_FALSE(page.contains(QLatin1String("total"))) << "include_totals is not read with take/from, as with Auth0";
        for (const QJsonValue &client : page.value(QLatin1String("clients")).toArray())
            seen.append(client[QLatin1String("client_id")].toString());
        if (pages == 0) {
            // Taken away between two pages: what stayed is neither skipped nor repeated.
            const QString next
                = QString::fromUtf8(QByteArray::fromBase64(page.value(QLatin1String("next")).toString().toLatin1(), QByteArray::Base64UrlEncoding));
            ASSERT_EQ(call("DELETE", "/api/v2/clients/" + next.toLatin1()).status, 204);
        }
        if (!page.contains(QLatin1String("next")))
            break;
        EXPECT_EQ(page.value(QLatin1String("clients")).toArray().size(), 3);
        from = page.value(QLatin1String("next")).toString();
    }
    EXPECT_EQ(pages, (total - 1 + 2) / 3 - 1) << "one taken away, 3 a page";
    QStringList expected;
    for (const QJsonValue &client : arrayOf(call("GET", "/api/v2/clients")))
        expected.append(client[QLatin1String("client_id")].toString());
    expected.sort();
    EXPECT_EQ(seen, expected);
    EXPECT_EQ(objectOf(call("GET", "/api/v2/clients?take=500")).value(QLatin1String("clients")).toArray().size(), total - 1) << "take is capped at 100";
    EXPECT_FALSE(objectOf(call("GET", "/api/v2/clients?take=500")).contains(QLatin1String("next")));
    EXPECT_EQ(refusalOf(call("GET", "/api/v2/clients?take=0")).errorCode, QStringLiteral("invalid_query_string"));
    EXPECT_EQ(refusalOf(call("GET", "/api/v2/clients?from=%25%25")).errorCode, QStringLiteral("invalid_query_string"));
}

TEST_F(ManagementClients, TheSystemApiIsAuth0sNamedFlaggedAndUnchangeable)
{
    const QJsonArray apis = arrayOf(call("GET", "/api/v2/resource-servers"));
    QJsonObject system;
    for (const QJsonValue &api : apis) {
        if (api[QLatin1String("is_system")].toBool())
            system = api.toObject();
        else
            EXPECT_EQ(api[QLatin1String("is_system")], QJsonValue(false)) << "every API says whether it is the system's";
    }
    EXPECT_EQ(system.value(QLatin1String("name")).toString(), QStringLiteral("Auth0 Management API"));
    EXPECT_EQ(system.value(QLatin1String("identifier")).toString(), issuer() + QStringLiteral("api/v2/"));
    const QByteArray path = "/api/v2/resource-servers/" + system.value(QLatin1String("id")).toString().toLatin1();
    const QJsonObject single = objectOf(call("GET", path));
    EXPECT_EQ(single.value(QLatin1String("name")).toString(), QStringLiteral("Auth0 Management API"));
    EXPECT_TRUE(single.value(QLatin1String("is_system")).toBool());
    const Refusal update = refusalOf(call("PATCH", path, {{QStringLiteral("token_lifetime"), 3600}}));
    EXPECT_EQ(update.status, 403);
    EXPECT_EQ(update.errorCode, QStringLiteral("operation_not_supported"));
    EXPECT_EQ(update.message, QStringLiteral("You cannot update a system resource server"));
    const Refusal remove = refusalOf(call("DELETE", path));
    EXPECT_EQ(remove.status, 403);
    EXPECT_EQ(remove.message, QStringLiteral("You cannot delete a system resource server"));
    EXPECT_EQ(objectOf(call("GET", path)).value(QLatin1String("name")).toString(), QStringLiteral("Auth0 Management API"));
}

TEST_F(ManagementClients, OnlyATokenWithTheScopeManagesApplications)
{
    const qsizetype before = arrayOf(call("GET", "/api/v2/clients")).size();
    const QJsonObject body{{QStringLiteral("name"), QStringLiteral("Sneaky")}, {QStringLiteral("app_type"), QStringLiteral("spa")}};
    // A reader may read, not create.
    const Refusal reader = refusalOf(call("POST", "/api/v2/clients", body, adminToken(port(), issuer(), QStringLiteral("read:clients"))));
    EXPECT_EQ(reader.status, 403);
    EXPECT_EQ(reader.errorCode, QStringLiteral("insufficient_scope"));
    EXPECT_EQ(reader.message, QStringLiteral("Insufficient scope, expected any of: create:clients"));
    const QString deleter = adminToken(port(), issuer(), QStringLiteral("delete:clients"));
    EXPECT_EQ(refusalOf(call("PATCH", "/api/v2/clients/organizer-cli", {{QStringLiteral("name"), QStringLiteral("x")}}, deleter)).status, 403);

    // A user's own login gets no management scope, whatever it asks for.
    QUrlQuery q;
    for (const auto &[name, v] :
         QList<QPair<QString, QString>>{{QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                                        {QStringLiteral("redirect_uri"), kCallback},
                                        {QStringLiteral("response_type"), QStringLiteral("token")},
                                        {QStringLiteral("scope"), QStringLiteral("read:current_user create:clients delete:clients update:client_keys")},
                                        {QStringLiteral("audience"), issuer() + QStringLiteral("api/v2/")},
                                        {QStringLiteral("state"), QStringLiteral("s")}})
        q.addQueryItem(name, QString::fromLatin1(QUrl::toPercentEncoding(v)));
    TestBrowser browser(port());
    const auto login = browser.authorize(q.query(QUrl::FullyEncoded), QStringLiteral("alice@example.com"), kPassword);
    ASSERT_TRUE(login.redirect.isValid()) << login.failure.toStdString();
    const QString userToken = value(login.parameters(), "access_token");
    ASSERT_FALSE(userToken.isEmpty()) << login.redirect.toString().toStdString();
    const Refusal user = refusalOf(call("POST", "/api/v2/clients", body, userToken));
    EXPECT_EQ(user.status, 403);
    EXPECT_EQ(user.errorCode, QStringLiteral("insufficient_scope"));
    EXPECT_EQ(refusalOf(call("DELETE", "/api/v2/clients/organizer-cli", {}, userToken)).status, 403);

    // An ordinary machine-to-machine client has no grant for the Management API, and its API token is not one.
    const HttpReply cli
        = clientCredentials(port(), QStringLiteral("organizer-cli"), QStringLiteral("organizer-cli-secret"), issuer() + QStringLiteral("api/v2/"));
    EXPECT_EQ(cli.status, 403);
    EXPECT_EQ(cli.json("error"), "access_denied");
    const HttpReply apiToken = clientCredentials(port(), QStringLiteral("organizer-cli"), QStringLiteral("organizer-cli-secret"));
    ASSERT_EQ(apiToken.status, 200);
    EXPECT_EQ(refusalOf(call("POST", "/api/v2/clients", body, QString::fromUtf8(apiToken.json("access_token")))).errorCode, QStringLiteral("invalid_token"));
    EXPECT_EQ(arrayOf(call("GET", "/api/v2/clients")).size(), before) << "nothing was created";
}

TEST(ManagementClientsAcrossInstances, AnotherInstanceFollowsAndARestartKeepsEveryChange)
{
    ServerProcess first;
    ASSERT_TRUE(first.start()) << first.errorText().toStdString();
    ServerProcess second(first.dataDir()); // the same SQLite database
    ASSERT_TRUE(second.start()) << second.errorText().toStdString();
    const QString token = adminToken(first.port(), first.issuer());
    const QJsonObject kept{{QStringLiteral("logo_uri"), QStringLiteral("https://ops.example/logo.png")},
                           {QStringLiteral("client_metadata"), QJsonObject{{QStringLiteral("owner"), QStringLiteral("ops")}}}};
    QJsonObject body = kept;
    body.insert(QStringLiteral("name"), QStringLiteral("Ops robot"));
    body.insert(QStringLiteral("app_type"), QStringLiteral("non_interactive"));
    body.insert(QStringLiteral("allowed_origins"), QJsonArray{QStringLiteral("https://ops.example")});
    const HttpReply made = callApi(first.port(), "POST", "/api/v2/clients", token, compactJson(body));
    ASSERT_EQ(made.status, 201) << made.body.constData();
    const QString clientId = objectOf(made).value(QLatin1String("client_id")).toString();
    const QString secret = objectOf(made).value(QLatin1String("client_secret")).toString();
    ASSERT_EQ(callApi(first.port(), "POST", "/api/v2/client-grants", token,
                      compactJson({{QStringLiteral("client_id"), clientId},
                                   {QStringLiteral("audience"), QStringLiteral("organize")},
                                   {QStringLiteral("scope"), QJsonArray{QStringLiteral("read:calendar")}}}))
                  .status,
              201);

    // The other instance takes the change on before its next Management API call: then its token endpoint has it too.
    const QString otherToken = adminToken(second.port(), second.issuer());
    const HttpReply seen = callApi(second.port(), "GET", "/api/v2/clients/" + clientId.toLatin1(), otherToken);
    ASSERT_EQ(seen.status, 200) << seen.body.constData();
    EXPECT_EQ(objectOf(seen).value(QLatin1String("client_metadata")), kept.value(QLatin1String("client_metadata")));
    EXPECT_EQ(clientCredentials(second.port(), clientId, secret).json("scope"), "read:calendar");
    EXPECT_EQ(preflight(second.port(), "https://ops.example").header("access-control-allow-origin"), "https://ops.example");
    // A rotation there is refused here from this instance's next call on.
    const HttpReply rotated = callApi(second.port(), "POST", "/api/v2/clients/" + clientId.toLatin1() + "/rotate-secret", otherToken);
    ASSERT_EQ(rotated.status, 200);
    const QString newSecret = objectOf(rotated).value(QLatin1String("client_secret")).toString();
    ASSERT_EQ(callApi(first.port(), "GET", "/api/v2/clients/" + clientId.toLatin1(), token).status, 200);
    EXPECT_EQ(clientCredentials(first.port(), clientId, secret).status, 401);
    EXPECT_EQ(clientCredentials(first.port(), clientId, newSecret).status, 200);

    first.stop();
    second.stop();
    ServerProcess restarted(first.dataDir());
    ASSERT_TRUE(restarted.start()) << restarted.errorText().toStdString();
    const QJsonObject after
        = objectOf(callApi(restarted.port(), "GET", "/api/v2/clients/" + clientId.toLatin1(), adminToken(restarted.port(), restarted.issuer())));
    EXPECT_EQ(after.value(QLatin1String("name")).toString(), QStringLiteral("Ops robot"));
    EXPECT_EQ(after.value(QLatin1String("logo_uri")), kept.value(QLatin1String("logo_uri")));
    EXPECT_EQ(clientCredentials(restarted.port(), clientId, newSecret).json("scope"), "read:calendar");
    EXPECT_EQ(preflight(restarted.port(), "https://ops.example").header("access-control-allow-origin"), "https://ops.example");
}
