// POST /oauth/token with grant_type=password and Auth0's password-realm: only for applications that enable
// it, the login page's password check, throttles and RBAC, Auth0's answers word for word.

#include "authorizationfixture.h"
#include "inprocessserver.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::test;
using namespace std::chrono_literals;

namespace {

const QString kRealmGrant = QStringLiteral("http://auth0.com/oauth/grant-type/password-realm");
const QString kConnection = QStringLiteral("Username-Password-Authentication");
const QString kTestsClient = QStringLiteral("organizer-tests");
const QString kTestsSecret = QStringLiteral("organizer-tests-secret");

using Fields = QList<QPair<QString, QString>>;

// The demo tenant's test application asking for `login`'s tokens; `extra` is added (and may repeat nothing).
HttpReply passwordGrant(quint16 port, const QString &login, const QString &password, const Fields &extra = {},
                        const QString &grantType = QStringLiteral("password"))
{
    Fields fields{{QStringLiteral("grant_type"), grantType},
                  {QStringLiteral("client_id"), kTestsClient},
                  {QStringLiteral("client_secret"), kTestsSecret},
                  {QStringLiteral("username"), login},
                  {QStringLiteral("password"), password}};
    fields += extra;
    return tokenRequest(port, fields);
}

QJsonObject bodyOf(const HttpReply &reply)
{
    return QJsonDocument::fromJson(reply.body).object();
}

QJsonObject errorBody(const char *error, const char *description)
{
    return QJsonObject{{QStringLiteral("error"), QLatin1String(error)}, {QStringLiteral("error_description"), QLatin1String(description)}};
}

const Fields kOrganize{{QStringLiteral("audience"), QStringLiteral("organize")}};

Fields organizeWith(const QString &scope)
{
    return {{QStringLiteral("audience"), QStringLiteral("organize")}, {QStringLiteral("scope"), scope}};
}

// The demo tenant with `change` applied to the user `userId`.
QString tenantWithUser(const QString &dir, const QString &userId, const std::function<void(QJsonObject &)> &change)
{
    return writeTenant(dir, [&](QJsonObject &tenant) {
        QJsonArray users = tenant.value(QLatin1String("users")).toArray();
        for (qsizetype i = 0; i < users.size(); ++i) {
            QJsonObject user = users.at(i).toObject();
            if (user.value(QLatin1String("user_id")).toString() == userId) {
                change(user);
                users.replace(i, user);
            }
        }
        tenant.insert(QStringLiteral("users"), users);
    });
}

} // namespace

TEST_F(Authorization, PasswordGrantGivesWhatTheUserHoldsOfWhatWasAsked)
{
    // bob holds read:contacts only: RBAC takes the rest away, as on the login page.
    const HttpReply reply
        = passwordGrant(port(), QStringLiteral("bob@example.com"), kPassword, organizeWith(QStringLiteral("read:contacts create:contacts read:calendar")));
    ASSERT_EQ(reply.status, 200) << reply.body.constData();
    EXPECT_EQ(reply.header("cache-control"), "no-store");
    EXPECT_EQ(reply.header("pragma"), "no-cache");
    const QJsonObject body = bodyOf(reply);
    EXPECT_EQ(body.value(QLatin1String("token_type")).toString(), QStringLiteral("Bearer"));
    EXPECT_EQ(body.value(QLatin1String("expires_in")).toInt(), 86400);
    EXPECT_EQ(body.value(QLatin1String("scope")).toString(), QStringLiteral("read:contacts"));
    EXPECT_FALSE(body.contains(QLatin1String("id_token"))) << "no openid, no ID token";
    EXPECT_FALSE(body.contains(QLatin1String("refresh_token"))) << "no offline_access, no refresh token";

    const QString accessToken = body.value(QLatin1String("access_token")).toString();
    const QJsonObject claims = claimsOf(accessToken);
    EXPECT_EQ(claims.value(QLatin1String("iss")).toString(), m_server.issuer());
    EXPECT_EQ(claims.value(QLatin1String("sub")).toString(), QStringLiteral("auth0|bob"));
    EXPECT_EQ(claims.value(QLatin1String("aud")).toString(), QStringLiteral("organize"));
    EXPECT_EQ(claims.value(QLatin1String("azp")).toString(), kTestsClient);
    EXPECT_EQ(claims.value(QLatin1String("scope")).toString(), QStringLiteral("read:contacts"));
    EXPECT_EQ(claims.value(QLatin1String("permissions")).toArray(), QJsonArray{QStringLiteral("read:contacts")});
    EXPECT_EQ(claims.value(QLatin1String("gty")).toString(), QStringLiteral("password"));
    EXPECT_EQ(claims.value(QLatin1String("exp")).toInteger() - claims.value(QLatin1String("iat")).toInteger(), 86400);

    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", accessToken).status, 200);
    EXPECT_EQ(callApi(port(), "POST", "/api/contacts", accessToken, R"({"name":"Jane","email":"jane@example.com"})").status, 403);
    EXPECT_EQ(callApi(port(), "GET", "/api/appointments", accessToken).status, 403);

    // dave holds nothing: a token with no API scope, not a refusal (Auth0's RBAC).
    const HttpReply dave = passwordGrant(port(), QStringLiteral("dave@example.com"), kPassword, organizeWith(QStringLiteral("read:contacts")));
    ASSERT_EQ(dave.status, 200) << dave.body.constData();
    EXPECT_EQ(bodyOf(dave).value(QLatin1String("scope")).toString(), QString());
    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", bodyOf(dave).value(QLatin1String("access_token")).toString()).status, 403);
}

TEST_F(Authorization, PasswordGrantWithOpenIdAddsAnIdTokenWithoutNonce)
{
    const HttpReply reply
        = passwordGrant(port(), QStringLiteral("Alice@Example.com"), kPassword, organizeWith(QStringLiteral("openid profile email read:calendar")));
    ASSERT_EQ(reply.status, 200) << reply.body.constData();
    const QJsonObject body = bodyOf(reply);
    EXPECT_EQ(body.value(QLatin1String("scope")).toString(), QStringLiteral("openid profile email read:calendar"));
    const QString accessToken = body.value(QLatin1String("access_token")).toString();
    EXPECT_EQ(claimsOf(accessToken).value(QLatin1String("aud")).toArray(),
              (QJsonArray{QStringLiteral("organize"), m_server.issuer() + QStringLiteral("userinfo")}));

    const QJsonObject id = claimsOf(body.value(QLatin1String("id_token")).toString());
    EXPECT_EQ(id.value(QLatin1String("iss")).toString(), m_server.issuer());
    EXPECT_EQ(id.value(QLatin1String("sub")).toString(), QStringLiteral("auth0|alice"));
    EXPECT_EQ(id.value(QLatin1String("aud")).toString(), kTestsClient);
    EXPECT_EQ(id.value(QLatin1String("email")).toString(), QStringLiteral("alice@example.com"));
    EXPECT_EQ(id.value(QLatin1String("name")).toString(), QStringLiteral("Alice Adams"));
    EXPECT_FALSE(id.contains(QLatin1String("nonce")));
    EXPECT_FALSE(id.value(QLatin1String("at_hash")).toString().isEmpty());

    // The access token opens /userinfo too.
    const HttpReply userinfo = sendHttp(port(), {"GET", "/userinfo", {{"authorization", bearer(accessToken.toLatin1())}}, {}});
    ASSERT_EQ(userinfo.status, 200) << userinfo.body.constData();
    EXPECT_EQ(userinfo.json("sub"), "auth0|alice");
}

TEST_F(Authorization, PasswordGrantWithoutAudienceGivesATokenForUserinfoOnly)
{
    const HttpReply reply = passwordGrant(port(), QStringLiteral("alice@example.com"), kPassword,
                                          {{QStringLiteral("scope"), QStringLiteral("openid email offline_access read:contacts")}});
    ASSERT_EQ(reply.status, 200) << reply.body.constData();
    const QJsonObject body = bodyOf(reply);
    // No API: its scopes and offline access (which is per API) are not granted.
    EXPECT_EQ(body.value(QLatin1String("scope")).toString(), QStringLiteral("openid email"));
    EXPECT_FALSE(body.contains(QLatin1String("refresh_token")));
    EXPECT_TRUE(body.contains(QLatin1String("id_token")));
    const QString accessToken = body.value(QLatin1String("access_token")).toString();
    EXPECT_EQ(claimsOf(accessToken).value(QLatin1String("aud")).toString(), m_server.issuer() + QStringLiteral("userinfo"));
    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", accessToken).status, 401);

    // An audience that is not an API is Auth0's "Service not found".
    EXPECT_EQ(bodyOf(passwordGrant(port(), QStringLiteral("alice@example.com"), kPassword, {{QStringLiteral("audience"), QStringLiteral("nope")}})),
              errorBody("access_denied", "Service not found: nope"));
}

TEST_F(Authorization, PasswordGrantGivesAUserOnlyTheirOwnManagementScopes)
{
    // The Management API through a user's own password: the current_user scopes at most, never what
    // only a client grant gives (as with Auth0).
    const HttpReply reply = passwordGrant(port(), QStringLiteral("alice@example.com"), kPassword,
                                          {{QStringLiteral("audience"), m_server.issuer() + QStringLiteral("api/v2/")},
                                           {QStringLiteral("scope"), QStringLiteral("read:users read:clients read:current_user")}});
    ASSERT_EQ(reply.status, 200) << reply.body.constData();
    EXPECT_EQ(bodyOf(reply).value(QLatin1String("scope")).toString(), QStringLiteral("read:current_user"));
    const QString accessToken = bodyOf(reply).value(QLatin1String("access_token")).toString();
    EXPECT_EQ(callApi(port(), "GET", "/api/v2/clients", accessToken).status, 403);
}

TEST_F(Authorization, PasswordGrantWithOfflineAccessGivesARotatingRefreshToken)
{
    const HttpReply reply
        = passwordGrant(port(), QStringLiteral("alice@example.com"), kPassword, organizeWith(QStringLiteral("openid offline_access read:contacts")));
    ASSERT_EQ(reply.status, 200) << reply.body.constData();
    const QJsonObject body = bodyOf(reply);
    EXPECT_EQ(body.value(QLatin1String("scope")).toString(), QStringLiteral("openid offline_access read:contacts"));
    const QString first = body.value(QLatin1String("refresh_token")).toString();
    ASSERT_FALSE(first.isEmpty());
    auto refresh = [this](const QString &token) {
        return tokenRequest(port(),
                            {{QStringLiteral("grant_type"), QStringLiteral("refresh_token")},
                             {QStringLiteral("client_id"), kTestsClient},
                             {QStringLiteral("client_secret"), kTestsSecret},
                             {QStringLiteral("refresh_token"), token}});
    };
    // The family is the test application's: another client cannot use it.
    EXPECT_EQ(refreshGrant(port(), first).json("error"), "invalid_grant");
    const HttpReply refreshed = refresh(first);
    ASSERT_EQ(refreshed.status, 200) << refreshed.body.constData();
    const QString second = QString::fromLatin1(refreshed.json("refresh_token"));
    EXPECT_FALSE(second.isEmpty());
    EXPECT_NE(second, first); // rotated
    EXPECT_EQ(bodyOf(refreshed).value(QLatin1String("scope")).toString(), QStringLiteral("openid offline_access read:contacts"));
    const QJsonObject claims = claimsOf(QString::fromLatin1(refreshed.json("access_token")));
    EXPECT_EQ(claims.value(QLatin1String("sub")).toString(), QStringLiteral("auth0|alice"));
    EXPECT_EQ(claims.value(QLatin1String("azp")).toString(), kTestsClient);
    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", QString::fromLatin1(refreshed.json("access_token"))).status, 200);
    // The first token again: a copy is in use, so the family goes, with the access tokens it issued.
    EXPECT_EQ(refresh(first).json("error"), "invalid_grant");
    EXPECT_EQ(refresh(second).json("error"), "invalid_grant");
    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", body.value(QLatin1String("access_token")).toString()).status, 401);
}

TEST_F(Authorization, PasswordRealmGrantNamesTheConnection)
{
    const Fields realm{{QStringLiteral("realm"), kConnection},
                       {QStringLiteral("audience"), QStringLiteral("organize")},
                       {QStringLiteral("scope"), QStringLiteral("openid read:calendar")}};
    const HttpReply reply = passwordGrant(port(), QStringLiteral("carol@example.com"), kPassword, realm, kRealmGrant);
    ASSERT_EQ(reply.status, 200) << reply.body.constData();
    EXPECT_EQ(bodyOf(reply).value(QLatin1String("scope")).toString(), QStringLiteral("openid read:calendar"));
    EXPECT_EQ(claimsOf(bodyOf(reply).value(QLatin1String("access_token")).toString()).value(QLatin1String("sub")).toString(), QStringLiteral("auth0|carol"));
    EXPECT_TRUE(bodyOf(reply).contains(QLatin1String("id_token")));

    // The realm is required with this grant type, and must be the tenant's connection.
    EXPECT_EQ(bodyOf(passwordGrant(port(), QStringLiteral("carol@example.com"), kPassword, kOrganize, kRealmGrant)),
              errorBody("invalid_request", "Missing required parameter: realm"));
    const HttpReply wrongRealm
        = passwordGrant(port(), QStringLiteral("carol@example.com"), kPassword, {{QStringLiteral("realm"), QStringLiteral("employees")}}, kRealmGrant);
    EXPECT_EQ(wrongRealm.status, 400);
    EXPECT_EQ(bodyOf(wrongRealm), errorBody("invalid_request", "the connection was not found"));
    // auth0-auth-js sends the realm with grant_type=password: honoured the same way.
    EXPECT_EQ(passwordGrant(port(), QStringLiteral("carol@example.com"), kPassword, {{QStringLiteral("realm"), kConnection}}).status, 200);
    EXPECT_EQ(bodyOf(passwordGrant(port(), QStringLiteral("carol@example.com"), kPassword, {{QStringLiteral("realm"), QStringLiteral("employees")}})),
              errorBody("invalid_request", "the connection was not found"));
}

TEST_F(Authorization, PasswordGrantRefusesWrongCredentialsAlikeForKnownAndUnknownLogins)
{
    const HttpReply wrong = passwordGrant(port(), QStringLiteral("alice@example.com"), QStringLiteral("guess"), kOrganize);
    const HttpReply unknown = passwordGrant(port(), QStringLiteral("nobody@example.com"), QStringLiteral("guess"), kOrganize);
    // Auth0's answer, word for word, and the same for both.
    EXPECT_EQ(wrong.status, 403);
    EXPECT_EQ(bodyOf(wrong), errorBody("invalid_grant", "Wrong email or password."));
    EXPECT_EQ(unknown.status, wrong.status);
    EXPECT_EQ(unknown.body, wrong.body);
    EXPECT_EQ(wrong.header("cache-control"), "no-store");
    EXPECT_TRUE(wrong.header("retry-after").isEmpty());

    EXPECT_EQ(bodyOf(passwordGrant(port(), QString(), kPassword)), errorBody("invalid_request", "Missing required parameter: username"));
    EXPECT_EQ(bodyOf(passwordGrant(port(), QStringLiteral("alice@example.com"), QString())),
              errorBody("invalid_request", "Missing required parameter: password"));
}

TEST_F(Authorization, PasswordGrantIsOnlyForApplicationsThatEnableIt)
{
    // The desktop app (public) and the machine-to-machine CLI (confidential, right secret) do not list it.
    const HttpReply desktop = tokenRequest(port(),
                                           {{QStringLiteral("grant_type"), QStringLiteral("password")},
                                            {QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                                            {QStringLiteral("username"), QStringLiteral("alice@example.com")},
                                            {QStringLiteral("password"), kPassword}});
    EXPECT_EQ(desktop.status, 403);
    EXPECT_EQ(bodyOf(desktop), errorBody("unauthorized_client", "Grant type 'password' not allowed for the client."));
    const HttpReply desktopRealm = tokenRequest(port(),
                                                {{QStringLiteral("grant_type"), kRealmGrant},
                                                 {QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                                                 {QStringLiteral("username"), QStringLiteral("alice@example.com")},
                                                 {QStringLiteral("password"), kPassword},
                                                 {QStringLiteral("realm"), kConnection}});
    EXPECT_EQ(bodyOf(desktopRealm),
              errorBody("unauthorized_client", "Grant type 'http://auth0.com/oauth/grant-type/password-realm' not allowed for the client."));
    const HttpReply cli = tokenRequest(port(),
                                       {{QStringLiteral("grant_type"), QStringLiteral("password")},
                                        {QStringLiteral("client_id"), QStringLiteral("organizer-cli")},
                                        {QStringLiteral("client_secret"), QStringLiteral("organizer-cli-secret")},
                                        {QStringLiteral("username"), QStringLiteral("alice@example.com")},
                                        {QStringLiteral("password"), kPassword}});
    EXPECT_EQ(cli.status, 403);
    EXPECT_EQ(bodyOf(cli), errorBody("unauthorized_client", "Grant type 'password' not allowed for the client."));

    // The test application is confidential: without its secret, or with a wrong one, it is not let in.
    const HttpReply noSecret = tokenRequest(port(),
                                            {{QStringLiteral("grant_type"), QStringLiteral("password")},
                                             {QStringLiteral("client_id"), kTestsClient},
                                             {QStringLiteral("username"), QStringLiteral("alice@example.com")},
                                             {QStringLiteral("password"), kPassword}});
    EXPECT_EQ(noSecret.status, 401);
    EXPECT_EQ(noSecret.json("error"), "invalid_client");
    const HttpReply wrongSecret = tokenRequest(port(),
                                               {{QStringLiteral("grant_type"), QStringLiteral("password")},
                                                {QStringLiteral("client_id"), kTestsClient},
                                                {QStringLiteral("client_secret"), QStringLiteral("guess")},
                                                {QStringLiteral("username"), QStringLiteral("alice@example.com")},
                                                {QStringLiteral("password"), kPassword}});
    EXPECT_EQ(wrongSecret.status, 401);
    EXPECT_EQ(wrongSecret.json("error"), "invalid_client");
    // client_secret_basic works as for every grant.
    const HttpReply basic = tokenRequest(port(),
                                         {{QStringLiteral("grant_type"), QStringLiteral("password")},
                                          {QStringLiteral("username"), QStringLiteral("alice@example.com")},
                                          {QStringLiteral("password"), kPassword}},
                                         (kTestsClient + QLatin1Char(':') + kTestsSecret).toLatin1());
    EXPECT_EQ(basic.status, 200) << basic.body.constData();
}

TEST_F(Authorization, APublicApplicationMayEnableThePasswordGrant)
{
    // Auth0 lets a public application (token_endpoint_auth_method none) use it when enabled: client_id alone.
    m_server.stop();
    const QString config = writeTenant(m_scratch.path(), [](QJsonObject &tenant) {
        QJsonArray clients = tenant.value(QLatin1String("clients")).toArray();
        QJsonObject desktop = clients.at(0).toObject();
        QJsonArray grants = desktop.value(QLatin1String("grant_types")).toArray();
        grants.append(QStringLiteral("password"));
        desktop.insert(QStringLiteral("grant_types"), grants);
        clients.replace(0, desktop);
        tenant.insert(QStringLiteral("clients"), clients);
    });
    ASSERT_TRUE(m_server.start({QStringLiteral("--config"), config})) << m_server.errorText().toStdString();
    Fields fields{{QStringLiteral("grant_type"), QStringLiteral("password")},      {QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                  {QStringLiteral("username"), QStringLiteral("bob@example.com")}, {QStringLiteral("password"), kPassword},
                  {QStringLiteral("audience"), QStringLiteral("organize")},        {QStringLiteral("scope"), QStringLiteral("read:contacts offline_access")}};
    const HttpReply reply = tokenRequest(port(), fields);
    ASSERT_EQ(reply.status, 200) << reply.body.constData();
    EXPECT_EQ(claimsOf(bodyOf(reply).value(QLatin1String("access_token")).toString()).value(QLatin1String("azp")).toString(),
              QStringLiteral("organizer-desktop"));
    EXPECT_FALSE(bodyOf(reply).value(QLatin1String("refresh_token")).toString().isEmpty()) << "the desktop client has the refresh_token grant";
    // Only the grant type it enabled: the realm variant is enabled on its own.
    fields[0].second = kRealmGrant;
    fields.append({QStringLiteral("realm"), kConnection});
    EXPECT_EQ(tokenRequest(port(), fields).json("error"), "unauthorized_client");
    // A public client has no secret to send.
    EXPECT_EQ(tokenRequest(port(),
                           {{QStringLiteral("grant_type"), QStringLiteral("password")},
                            {QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                            {QStringLiteral("client_secret"), QStringLiteral("anything")},
                            {QStringLiteral("username"), QStringLiteral("bob@example.com")},
                            {QStringLiteral("password"), kPassword}})
                  .json("error"),
              "invalid_client");
}

TEST_F(Authorization, ABlockedUserGetsNoTokensAndNoLogin)
{
    m_server.stop();
    const QString dataDir = m_scratch.filePath(QStringLiteral("data"));
    // dave logs in and gets a refresh token and a browser session, then is blocked.
    ServerProcess before(dataDir);
    ASSERT_TRUE(before.start()) << before.errorText().toStdString();
    const quint16 beforePort = before.port();
    const HttpReply issued = passwordGrant(beforePort, QStringLiteral("dave@example.com"), kPassword, organizeWith(QStringLiteral("offline_access")));
    ASSERT_EQ(issued.status, 200) << issued.body.constData();
    const QString refreshToken = QString::fromLatin1(issued.json("refresh_token"));
    ASSERT_FALSE(refreshToken.isEmpty());
    TestBrowser browser(beforePort);
    ASSERT_TRUE(browser.authorize(query(QStringLiteral("token"), QStringLiteral("openid")), QStringLiteral("dave@example.com"), kPassword).redirect.isValid());
    before.stop();

    const QString blocked = tenantWithUser(m_scratch.path(), QStringLiteral("dave"), [](QJsonObject &dave) { dave.insert(QStringLiteral("blocked"), true); });
    ServerProcess after(dataDir);
    // The same port, so the browser's session cookie goes to it.
    ASSERT_TRUE(after.start({QStringLiteral("--config"), blocked, QStringLiteral("--port"), QString::number(beforePort)})) << after.errorText().toStdString();
    ASSERT_EQ(after.port(), beforePort);
    // Said only to the right password (Auth0's words); a wrong one gets the usual answer.
    const HttpReply right = passwordGrant(beforePort, QStringLiteral("dave@example.com"), kPassword, kOrganize);
    EXPECT_EQ(right.status, 401);
    EXPECT_EQ(bodyOf(right), errorBody("unauthorized", "user is blocked"));
    EXPECT_EQ(bodyOf(passwordGrant(beforePort, QStringLiteral("dave@example.com"), QStringLiteral("guess"), kOrganize)),
              errorBody("invalid_grant", "Wrong email or password."));
    // The refresh token issued before no longer refreshes.
    const HttpReply refreshed = tokenRequest(beforePort,
                                             {{QStringLiteral("grant_type"), QStringLiteral("refresh_token")},
                                              {QStringLiteral("client_id"), kTestsClient},
                                              {QStringLiteral("client_secret"), kTestsSecret},
                                              {QStringLiteral("refresh_token"), refreshToken}});
    EXPECT_EQ(refreshed.status, 403);
    EXPECT_EQ(bodyOf(refreshed), errorBody("invalid_grant", "user is blocked"));
    // The browser's session no longer counts, and the login page refuses the right password.
    const HttpReply silent
        = browser.get("/authorize?" + query(QStringLiteral("token"), QStringLiteral("openid"), {{QStringLiteral("prompt"), QStringLiteral("none")}}).toUtf8());
    EXPECT_TRUE(silent.header("location").contains("error=login_required")) << silent.header("location").constData();
    const auto login = browser.authorize(query(QStringLiteral("token"), QStringLiteral("openid")), QStringLiteral("dave@example.com"), kPassword);
    EXPECT_FALSE(login.redirect.isValid());
    EXPECT_EQ(login.lastReply.status, 401);
    EXPECT_TRUE(login.lastReply.body.contains("This account is blocked.")) << login.lastReply.body.constData();
    // Others are not affected.
    EXPECT_EQ(passwordGrant(beforePort, QStringLiteral("bob@example.com"), kPassword, kOrganize).status, 200);
}

TEST_F(Authorization, PasswordGrantSharesTheLoginPagesThrottles)
{
    m_server.stop();
    // On a clock that moves only when told: each backoff is run out to the second, not waited for.
    ManualClock clock;
    InProcessServer server({.home = InProcessServer::Home::OwnThread, .clocks = clock.clocks()});
    ASSERT_TRUE(server.error().isEmpty()) << server.error().toStdString();
    const quint16 at = server.port();
    auto attempt = [at](const QString &login, const QString &password) { return passwordGrant(at, login, password, kOrganize); };
    // Five failures are free, whatever the spelling of the login (the same account, the same counter).
    const QString spellings[] = {QStringLiteral("bob@example.com"), QStringLiteral("BOB@example.com"), QStringLiteral(" Bob@Example.com ")};
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(attempt(spellings[i % 3], QStringLiteral("wrong")).status, 403) << "free attempt " << i;
    // Then each further attempt waits out a doubling backoff: 1 s, then 2 s; the right password too.
    const HttpReply throttled = attempt(QStringLiteral("bob@example.com"), kPassword);
    EXPECT_EQ(throttled.status, 429);
    EXPECT_EQ(throttled.header("retry-after"), "1");
    EXPECT_EQ(bodyOf(throttled), errorBody("too_many_attempts", "Too many failed attempts. Try again in 1 second."));
    clock.advance(1s);
    EXPECT_EQ(attempt(QStringLiteral("bob@example.com"), QStringLiteral("wrong")).status, 403) << "after the 1 s backoff: the sixth failure counts";
    const HttpReply twoSeconds = attempt(QStringLiteral("bob@example.com"), kPassword);
    EXPECT_EQ(twoSeconds.status, 429);
    EXPECT_EQ(twoSeconds.header("retry-after"), "2");
    // The login page counts on the same counter: bob is throttled there as well.
    TestBrowser browser(at);
    const auto page = browser.authorize(query(QStringLiteral("token"), QStringLiteral("openid")), QStringLiteral("bob@example.com"), kPassword);
    EXPECT_FALSE(page.redirect.isValid());
    EXPECT_EQ(page.lastReply.status, 429);
    // Other accounts are not affected; once the wait is over, bob's right password works and clears his count.
    EXPECT_EQ(attempt(QStringLiteral("alice@example.com"), kPassword).status, 200);
    clock.advance(2s);
    EXPECT_EQ(attempt(QStringLiteral("bob@example.com"), kPassword).status, 200);
    EXPECT_EQ(attempt(QStringLiteral("bob@example.com"), QStringLiteral("wrong")).status, 403);
    EXPECT_EQ(attempt(QStringLiteral("bob@example.com"), kPassword).status, 200);
}

TEST_F(Authorization, PasswordGrantGuessingMadeUpLoginsIsThrottledPerAddress)
{
    m_server.stop();
    ManualClock clock;
    InProcessServer server({.home = InProcessServer::Home::OwnThread, .clocks = clock.clocks()});
    ASSERT_TRUE(server.error().isEmpty()) << server.error().toStdString();
    // Logins that do not exist count per address (20 free); then every wrong answer from that address
    // is "too many", for real accounts too, so nothing tells the two apart. A right password still works.
    int refused = 0;
    for (int i = 0; i < 22; ++i)
        refused += passwordGrant(server.port(), QStringLiteral("nobody%1@example.com").arg(i), QStringLiteral("guess"), kOrganize).status == 429 ? 1 : 0;
    EXPECT_GT(refused, 0);
    EXPECT_EQ(passwordGrant(server.port(), QStringLiteral("carol@example.com"), QStringLiteral("guess"), kOrganize).json("error"), "too_many_attempts");
    EXPECT_EQ(passwordGrant(server.port(), QStringLiteral("carol@example.com"), kPassword, kOrganize).status, 200);
}
