// What the server publishes about itself: the OpenID configuration and the signing keys, rotated while it runs.

#include "authorizationfixture.h"
#include "base64url.h"
#include "waitfor.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::test;

TEST_F(Authorization, DiscoveryDescribesTheServer)
{
    const HttpReply reply = sendHttp(port(), {"GET", "/.well-known/openid-configuration", {}, {}});
    ASSERT_EQ(reply.status, 200);
    const QJsonObject d = QJsonDocument::fromJson(reply.body).object();
    const QString issuer = m_server.issuer();
    EXPECT_EQ(d.value(QLatin1String("issuer")).toString(), issuer);
    EXPECT_EQ(d.value(QLatin1String("authorization_endpoint")).toString(), issuer + QStringLiteral("authorize"));
    EXPECT_EQ(d.value(QLatin1String("token_endpoint")).toString(), issuer + QStringLiteral("oauth/token"));
    EXPECT_EQ(d.value(QLatin1String("jwks_uri")).toString(), issuer + QStringLiteral(".well-known/jwks.json"));
    EXPECT_TRUE(d.value(QLatin1String("scopes_supported")).toArray().contains(QStringLiteral("read:calendar")));
    EXPECT_TRUE(d.value(QLatin1String("response_types_supported")).toArray().contains(QStringLiteral("id_token token")));
    EXPECT_EQ(d.value(QLatin1String("code_challenge_methods_supported")).toArray(), QJsonArray{QStringLiteral("S256")});
    EXPECT_EQ(d.value(QLatin1String("id_token_signing_alg_values_supported")).toArray(), QJsonArray{QStringLiteral("RS256")});
    for (const char *member : {"response_modes_supported", "token_endpoint_auth_methods_supported", "userinfo_endpoint", "end_session_endpoint"})
        EXPECT_TRUE(d.contains(QLatin1String(member))) << member;
}

TEST(KeyRotation, RunningServerSignsWithTheNewKeyAndStillAcceptsTheOld)
{
    ServerProcess server;
    // Several HTTP workers: the reloaded keys must reach every one of them.
    ASSERT_TRUE(server.start({QStringLiteral("--workers"), QStringLiteral("3")})) << server.errorText().toStdString();
    auto mint = [&] {
        return runServerCommand({QStringLiteral("token"), QStringLiteral("--data-dir"), server.dataDir(), QStringLiteral("--sub"), QStringLiteral("auth0|rot"),
                                 QStringLiteral("--scope"), QStringLiteral("read:contacts")})
            .out.trimmed();
    };
    const QByteArray before = mint();
    const CommandResult rotated = runServerCommand({QStringLiteral("keys"), QStringLiteral("rotate"), QStringLiteral("--data-dir"), server.dataDir()});
    ASSERT_EQ(rotated.exitCode, 0) << rotated.err.toStdString();
    EXPECT_TRUE(rotated.out.contains("2 key(s) published"));

    // The server notices the new key without a restart.
    QJsonArray keys;
    waitFor(
        [&] {
            keys = QJsonDocument::fromJson(sendHttp(server.port(), {"GET", "/.well-known/jwks.json", {}, {}}).body)
                       .object()
                       .value(QLatin1String("keys"))
                       .toArray();
            return keys.size() >= 2;
        },
        5000);
    ASSERT_EQ(keys.size(), 2);
    const QByteArray after = mint();
    EXPECT_FALSE(claimsOf(QString::fromLatin1(before)).isEmpty());
    const QString kidBefore = QJsonDocument::fromJson(jose::base64UrlDecode(before.split('.').first()).value()).object().value(QLatin1String("kid")).toString();
    const QString kidAfter = QJsonDocument::fromJson(jose::base64UrlDecode(after.split('.').first()).value()).object().value(QLatin1String("kid")).toString();
    EXPECT_NE(kidBefore, kidAfter);
    EXPECT_EQ(keys.first().toObject().value(QLatin1String("kid")).toString(), kidAfter); // newest first
    for (int i = 0; i < 6; ++i) { // fresh connections go round the workers
        EXPECT_EQ(callApi(server.port(), "GET", "/api/contacts", QString::fromLatin1(before)).status, 200);
        EXPECT_EQ(callApi(server.port(), "GET", "/api/contacts", QString::fromLatin1(after)).status, 200);
    }

    // Tokens the authorization server issues now carry the new kid.
    const HttpReply m2m = tokenRequest(
        server.port(), {{QStringLiteral("grant_type"), QStringLiteral("client_credentials")}, {QStringLiteral("audience"), QStringLiteral("organize")}},
        "organizer-cli:organizer-cli-secret");
    const QByteArray issued = m2m.json("access_token");
    EXPECT_EQ(QJsonDocument::fromJson(jose::base64UrlDecode(issued.split('.').first()).value()).object().value(QLatin1String("kid")).toString(), kidAfter);
}
