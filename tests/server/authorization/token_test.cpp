// POST /oauth/token: the authorization-code grant with PKCE, client credentials, the RFC 6749 errors, CORS,
// and RBAC applied again whenever tokens are issued.

#include "authorizationfixture.h"
#include "base64url.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::test;

TEST_F(Authorization, CodeFlowWithPkceRefreshAndSingleUseCodes)
{
    const QString verifier = QString::fromLatin1(jose::base64UrlEncode(QByteArray(32, '\x2a')));
    const QString challenge = QString::fromLatin1(jose::base64UrlEncode(QCryptographicHash::hash(verifier.toLatin1(), QCryptographicHash::Sha256)));
    TestBrowser browser(port());
    const auto outcome
        = browser.authorize(query(QStringLiteral("code"), QStringLiteral("openid email offline_access read:contacts"),
                                  {{QStringLiteral("code_challenge"), challenge}, {QStringLiteral("code_challenge_method"), QStringLiteral("S256")}}),
                            QStringLiteral("alice@example.com"), kPassword);
    ASSERT_TRUE(outcome.redirect.isValid()) << outcome.failure.toStdString();
    EXPECT_FALSE(outcome.redirect.hasFragment());
    const QString code = value(outcome.parameters(), "code");
    ASSERT_FALSE(code.isEmpty());
    EXPECT_EQ(value(outcome.parameters(), "state"), QStringLiteral("state-123"));

    const QList<QPair<QString, QString>> exchange{{QStringLiteral("grant_type"), QStringLiteral("authorization_code")},
                                                  {QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                                                  {QStringLiteral("code"), code},
                                                  {QStringLiteral("redirect_uri"), kCallback},
                                                  {QStringLiteral("code_verifier"), verifier}};
    const HttpReply tokens = tokenRequest(port(), exchange);
    ASSERT_EQ(tokens.status, 200) << tokens.body.toStdString();
    EXPECT_EQ(tokens.header("cache-control"), "no-store");
    const QJsonObject body = QJsonDocument::fromJson(tokens.body).object();
    EXPECT_EQ(body.value(QLatin1String("scope")).toString(), QStringLiteral("openid email offline_access read:contacts"));
    EXPECT_FALSE(body.value(QLatin1String("refresh_token")).toString().isEmpty());
    const QJsonObject id = claimsOf(body.value(QLatin1String("id_token")).toString());
    EXPECT_EQ(id.value(QLatin1String("email")).toString(), QStringLiteral("alice@example.com"));
    EXPECT_EQ(id.value(QLatin1String("nonce")).toString(), QStringLiteral("nonce-456"));
    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", body.value(QLatin1String("access_token")).toString()).status, 200);

    auto refresh = [this](const QString &token, const QString &scope = {}) {
        QList<QPair<QString, QString>> form{{QStringLiteral("grant_type"), QStringLiteral("refresh_token")},
                                            {QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                                            {QStringLiteral("refresh_token"), token}};
        if (!scope.isEmpty())
            form.append({QStringLiteral("scope"), scope});
        return tokenRequest(port(), form);
    };
    // A refused refresh (a scope never granted) leaves the token usable.
    EXPECT_EQ(refresh(body.value(QLatin1String("refresh_token")).toString(), QStringLiteral("delete:contacts")).json("error"), "invalid_scope");
    const HttpReply refreshed = refresh(body.value(QLatin1String("refresh_token")).toString());
    ASSERT_EQ(refreshed.status, 200) << refreshed.body.toStdString();
    EXPECT_NE(refreshed.json("refresh_token"), body.value(QLatin1String("refresh_token")).toString().toLatin1()); // rotated
    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", QString::fromUtf8(refreshed.json("access_token"))).status, 200);

    // RFC 6749 §4.1.2: the code presented again is refused, and what it bought is revoked.
    const HttpReply replay = tokenRequest(port(), exchange);
    EXPECT_EQ(replay.status, 400);
    EXPECT_EQ(replay.json("error"), "invalid_grant");
    EXPECT_TRUE(replay.json("error_description").contains("revoked"));
    const HttpReply revokedToken = callApi(port(), "GET", "/api/contacts", body.value(QLatin1String("access_token")).toString());
    EXPECT_EQ(revokedToken.status, 401);
    EXPECT_TRUE(revokedToken.header("www-authenticate").contains("revoked")) << revokedToken.header("www-authenticate").constData();
    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", QString::fromUtf8(refreshed.json("access_token"))).status, 401);
    EXPECT_EQ(refresh(QString::fromUtf8(refreshed.json("refresh_token"))).json("error"), "invalid_grant");
}

TEST_F(Authorization, CodeExchangeChecksVerifierAndRedirectUri)
{
    const QString verifier = QString::fromLatin1(jose::base64UrlEncode(QByteArray(32, '\x07')));
    const QString challenge = QString::fromLatin1(jose::base64UrlEncode(QCryptographicHash::hash(verifier.toLatin1(), QCryptographicHash::Sha256)));
    TestBrowser browser(port());
    auto codeFor = [&] {
        const auto outcome
            = browser.authorize(query(QStringLiteral("code"), QStringLiteral("openid"),
                                      {{QStringLiteral("code_challenge"), challenge}, {QStringLiteral("code_challenge_method"), QStringLiteral("S256")}}),
                                QStringLiteral("dave@example.com"), kPassword);
        return value(outcome.parameters(), "code");
    };
    auto exchange = [&](const QString &code, const QString &withVerifier, const QString &redirectUri) {
        return tokenRequest(port(),
                            {{QStringLiteral("grant_type"), QStringLiteral("authorization_code")},
                             {QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                             {QStringLiteral("code"), code},
                             {QStringLiteral("redirect_uri"), redirectUri},
                             {QStringLiteral("code_verifier"), withVerifier}});
    };
    const HttpReply wrongVerifier = exchange(codeFor(), QString::fromLatin1(jose::base64UrlEncode(QByteArray(32, '\x08'))), kCallback);
    EXPECT_EQ(wrongVerifier.status, 400);
    EXPECT_EQ(wrongVerifier.json("error"), "invalid_grant");
    EXPECT_TRUE(wrongVerifier.json("error_description").contains("code_verifier"));
    const HttpReply wrongRedirect = exchange(codeFor(), verifier, QStringLiteral("http://127.0.0.1:9/callback"));
    EXPECT_EQ(wrongRedirect.json("error"), "invalid_grant");
    EXPECT_EQ(exchange(QStringLiteral("made-up"), verifier, kCallback).json("error"), "invalid_grant");
}

TEST_F(Authorization, ClientCredentialsWithBasicOrPostAuthentication)
{
    const QList<QPair<QString, QString>> grant{{QStringLiteral("grant_type"), QStringLiteral("client_credentials")},
                                               {QStringLiteral("audience"), QStringLiteral("organize")}};
    const HttpReply basic = tokenRequest(port(), grant, "organizer-cli:organizer-cli-secret");
    ASSERT_EQ(basic.status, 200) << basic.body.toStdString();
    EXPECT_EQ(basic.json("scope"), "read:contacts read:calendar");
    const QJsonObject claims = claimsOf(QString::fromUtf8(basic.json("access_token")));
    EXPECT_EQ(claims.value(QLatin1String("sub")).toString(), QStringLiteral("organizer-cli@clients"));
    EXPECT_EQ(claims.value(QLatin1String("gty")).toString(), QStringLiteral("client-credentials"));
    EXPECT_EQ(claims.value(QLatin1String("aud")).toString(), QStringLiteral("organize"));
    const QString token = QString::fromUtf8(basic.json("access_token"));
    EXPECT_EQ(callApi(port(), "GET", "/api/appointments", token).status, 200);
    EXPECT_EQ(callApi(port(), "POST", "/api/contacts", token, R"({"name":"M2M","email":"m2m@example.com"})").status, 403);

    QList<QPair<QString, QString>> post = grant;
    post += {{QStringLiteral("client_id"), QStringLiteral("organizer-cli")},
             {QStringLiteral("client_secret"), QStringLiteral("organizer-cli-secret")},
             {QStringLiteral("scope"), QStringLiteral("read:calendar")}};
    const HttpReply narrowed = tokenRequest(port(), post);
    ASSERT_EQ(narrowed.status, 200);
    EXPECT_EQ(narrowed.json("scope"), "read:calendar");
}

TEST_F(Authorization, TokenEndpointErrorsFollowRfc6749)
{
    const QList<QPair<QString, QString>> grant{{QStringLiteral("grant_type"), QStringLiteral("client_credentials")},
                                               {QStringLiteral("audience"), QStringLiteral("organize")}};
    const HttpReply wrongSecret = tokenRequest(port(), grant, "organizer-cli:nope");
    EXPECT_EQ(wrongSecret.status, 401);
    EXPECT_EQ(wrongSecret.json("error"), "invalid_client");
    EXPECT_EQ(wrongSecret.header("www-authenticate"), "Basic realm=\"organizer\"");

    QList<QPair<QString, QString>> tooMuch = grant;
    tooMuch.append({QStringLiteral("scope"), QStringLiteral("read:contacts create:contacts")});
    const HttpReply notGranted = tokenRequest(port(), tooMuch, "organizer-cli:organizer-cli-secret");
    EXPECT_EQ(notGranted.status, 403);
    EXPECT_EQ(notGranted.json("error"), "access_denied");
    EXPECT_TRUE(notGranted.json("error_description").contains("create:contacts"));

    const HttpReply unknownApi
        = tokenRequest(port(), {{QStringLiteral("grant_type"), QStringLiteral("client_credentials")}, {QStringLiteral("audience"), QStringLiteral("nope")}},
                       "organizer-cli:organizer-cli-secret");
    EXPECT_EQ(unknownApi.status, 403);
    EXPECT_EQ(unknownApi.json("error_description"), "Service not found: nope");

    EXPECT_EQ(tokenRequest(port(), {{QStringLiteral("grant_type"), QStringLiteral("urn:ietf:params:oauth:grant-type:device_code")}},
                           "organizer-cli:organizer-cli-secret")
                  .json("error"),
              "unsupported_grant_type");
    EXPECT_EQ(tokenRequest(port(),
                           {{QStringLiteral("grant_type"), QStringLiteral("client_credentials")},
                            {QStringLiteral("audience"), QStringLiteral("organize")},
                            {QStringLiteral("client_id"), QStringLiteral("organizer-desktop")}})
                  .json("error"),
              "unauthorized_client");
    EXPECT_EQ(tokenRequest(port(), {}, "organizer-cli:organizer-cli-secret").json("error"), "invalid_request");
    const HttpReply wrongType = sendHttp(port(), {"POST", "/oauth/token", {{"content-type", "text/plain"}}, "grant_type=client_credentials"});
    EXPECT_EQ(wrongType.status, 400);
    EXPECT_EQ(wrongType.json("error"), "invalid_request");
}

TEST_F(Authorization, WebOriginsMayCallTheTokenEndpoint)
{
    const HttpReply preflight
        = sendHttp(port(), {"OPTIONS", "/oauth/token", {{"origin", "http://localhost:3000"}, {"access-control-request-method", "POST"}}, {}});
    EXPECT_EQ(preflight.status, 204);
    EXPECT_EQ(preflight.header("access-control-allow-origin"), "http://localhost:3000");
    const HttpReply foreign
        = sendHttp(port(), {"OPTIONS", "/oauth/token", {{"origin", "https://evil.example"}, {"access-control-request-method", "POST"}}, {}});
    EXPECT_TRUE(foreign.header("access-control-allow-origin").isEmpty());
}

// Auth0's browser SDKs send Auth0-Client on every call to these endpoints; without it in the preflight's answer
// the browser refuses the call ("Failed to fetch"). The origin is echoed, never "*", and only when allowed.
TEST_F(Authorization, PreflightsAllowTheAuth0ClientHeaderForWebOriginsOnly)
{
    for (const char *path : {"/oauth/token", "/oauth/revoke", "/userinfo"}) {
        SCOPED_TRACE(path);
        const HttpReply preflight = sendHttp(
            port(),
            {"OPTIONS",
             path,
             {{"origin", "http://localhost:3000"}, {"access-control-request-method", "POST"}, {"access-control-request-headers", "auth0-client, content-type"}},
             {}});
        EXPECT_TRUE(preflight.status == 204 || preflight.status == 200) << preflight.status;
        EXPECT_EQ(preflight.header("access-control-allow-origin"), "http://localhost:3000");
        const QByteArray allowedHeaders = preflight.header("access-control-allow-headers").toLower();
        EXPECT_TRUE(allowedHeaders.contains("auth0-client")) << allowedHeaders.toStdString();
        EXPECT_TRUE(allowedHeaders.contains("content-type")) << allowedHeaders.toStdString();

        const HttpReply foreign = sendHttp(
            port(),
            {"OPTIONS",
             path,
             {{"origin", "https://evil.example"}, {"access-control-request-method", "POST"}, {"access-control-request-headers", "auth0-client, content-type"}},
             {}});
        ASSERT_TRUE(foreign.error.isEmpty()) << foreign.error.toStdString();
        EXPECT_TRUE(foreign.status == 204 || foreign.status == 200) << foreign.status;
        for (const auto &header : foreign.headers)
            EXPECT_FALSE(header.first.toLower().startsWith("access-control-")) << header.first.toStdString();
    }
}

// RBAC applies again whenever tokens are issued: a scope the API loses (through the Management API)
// is left out of the tokens a code issued before still redeems, and out of every refresh.
TEST_F(Authorization, AScopeTheApiLosesIsNeitherRedeemedNorRefreshed)
{
    const QString verifier = QString::fromLatin1(jose::base64UrlEncode(QByteArray(32, '\x2b')));
    const QString challenge = QString::fromLatin1(jose::base64UrlEncode(QCryptographicHash::hash(verifier.toLatin1(), QCryptographicHash::Sha256)));
    const auto codeFor = [&](const QString &scope) {
        TestBrowser browser(port());
        const auto outcome
            = browser.authorize(query(QStringLiteral("code"), scope,
                                      {{QStringLiteral("code_challenge"), challenge}, {QStringLiteral("code_challenge_method"), QStringLiteral("S256")}}),
                                QStringLiteral("alice@example.com"), kPassword);
        return value(outcome.parameters(), "code");
    };
    const auto redeem = [&](const QString &code) { return exchangeCode(port(), code, verifier); };
    const QString scope = QStringLiteral("openid offline_access read:contacts read:calendar");
    const HttpReply first = redeem(codeFor(scope));
    ASSERT_EQ(first.status, 200) << first.body.toStdString();
    const QString refreshToken = QJsonDocument::fromJson(first.body).object().value(QLatin1String("refresh_token")).toString();
    ASSERT_FALSE(refreshToken.isEmpty());
    const QString pendingCode = codeFor(scope); // consented with read:calendar, not redeemed yet

    // The Management API takes read:calendar off Organizer Service.
    const HttpReply admin = managementClientCredentials(port(), m_server.issuer(), QStringLiteral("organizer-admin"), QStringLiteral("organizer-admin-secret"));
    ASSERT_EQ(admin.status, 200) << admin.body.toStdString();
    const QString managementToken = QString::fromLatin1(admin.json("access_token"));
    const HttpReply api = callApi(port(), "GET", "/api/v2/resource-servers/organize", managementToken);
    ASSERT_EQ(api.status, 200) << api.body.toStdString();
    QJsonArray kept;
    for (const QJsonValue &entry : QJsonDocument::fromJson(api.body).object().value(QLatin1String("scopes")).toArray()) {
        if (entry.toObject().value(QLatin1String("value")).toString() != QLatin1String("read:calendar"))
            kept.append(entry);
    }
    const HttpReply patched = callApi(port(), "PATCH", "/api/v2/resource-servers/organize", managementToken,
                                      QJsonDocument(QJsonObject{{QStringLiteral("scopes"), kept}}).toJson(QJsonDocument::Compact));
    ASSERT_EQ(patched.status, 200) << patched.body.toStdString();

    const HttpReply late = redeem(pendingCode);
    ASSERT_EQ(late.status, 200) << late.body.toStdString();
    EXPECT_EQ(QJsonDocument::fromJson(late.body).object().value(QLatin1String("scope")).toString(), QStringLiteral("openid offline_access read:contacts"));
    const HttpReply refreshed = refreshGrant(port(), refreshToken);
    ASSERT_EQ(refreshed.status, 200) << refreshed.body.toStdString();
    const QJsonObject body = QJsonDocument::fromJson(refreshed.body).object();
    EXPECT_EQ(body.value(QLatin1String("scope")).toString(), QStringLiteral("openid offline_access read:contacts"));
    EXPECT_FALSE(
        claimsOf(body.value(QLatin1String("access_token")).toString()).value(QLatin1String("permissions")).toArray().contains(QStringLiteral("read:calendar")));
    const HttpReply calendar = callApi(port(), "GET", "/api/appointments", body.value(QLatin1String("access_token")).toString());
    EXPECT_EQ(calendar.status, 403);
}
