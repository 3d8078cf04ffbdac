// POST /oauth/revoke (RFC 7009).

#include "authorizationfixture.h"
#include "formencoding.h"

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::test;

TEST_F(Authorization, RevocationEndpointFollowsRfc7009)
{
    const QJsonObject login = offlineLogin(port(), QStringLiteral("alice@example.com"));
    const QString refreshToken = login.value(QLatin1String("refresh_token")).toString();
    const QString accessToken = login.value(QLatin1String("access_token")).toString();
    auto revoke = [this](const QList<QPair<QString, QString>> &form, const QByteArray &authorization = {}) {
        QList<QPair<QByteArray, QByteArray>> headers{{"content-type", "application/x-www-form-urlencoded"}};
        if (!authorization.isEmpty())
            headers.append({"authorization", authorization});
        FormData body;
        for (const auto &[name, value] : form)
            body.add(name, value);
        return sendHttp(port(), {"POST", "/oauth/revoke", headers, body.encode()});
    };
    const QPair<QString, QString> desktop{QStringLiteral("client_id"), QStringLiteral("organizer-desktop")};

    // Another client may not revoke it; a missing token is a bad request; an unknown one is "done".
    const HttpReply foreign = revoke({{QStringLiteral("client_id"), QStringLiteral("organizer-cli")}, {QStringLiteral("token"), refreshToken}},
                                     "Basic " + QByteArray("organizer-cli:organizer-cli-secret").toBase64());
    EXPECT_EQ(foreign.status, 400);
    EXPECT_EQ(foreign.json("error"), "unauthorized_client");
    const HttpReply wrongSecret = revoke({{QStringLiteral("token"), refreshToken}}, "Basic " + QByteArray("organizer-cli:wrong").toBase64());
    EXPECT_EQ(wrongSecret.status, 401);
    EXPECT_EQ(wrongSecret.json("error"), "invalid_client");
    EXPECT_EQ(revoke({desktop}).json("error"), "invalid_request");
    EXPECT_EQ(revoke({desktop, {QStringLiteral("token"), QStringLiteral("never-issued")}}).status, 200);

    // The refresh token: gone, with the access tokens of its family.
    const HttpReply revoked = revoke({desktop, {QStringLiteral("token"), refreshToken}, {QStringLiteral("token_type_hint"), QStringLiteral("refresh_token")}});
    EXPECT_EQ(revoked.status, 200);
    EXPECT_TRUE(revoked.body.isEmpty());
    EXPECT_EQ(tokenRequest(port(), {{QStringLiteral("grant_type"), QStringLiteral("refresh_token")}, desktop, {QStringLiteral("refresh_token"), refreshToken}})
                  .json("error"),
              "invalid_grant");
    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", accessToken).status, 401);
    EXPECT_EQ(revoke({desktop, {QStringLiteral("token"), refreshToken}}).status, 200); // again: still "done"

    // An access token on its own.
    const QJsonObject another = offlineLogin(port(), QStringLiteral("bob@example.com"));
    const QString bobsAccess = another.value(QLatin1String("access_token")).toString();
    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", bobsAccess).status, 200);
    EXPECT_EQ(revoke({desktop, {QStringLiteral("token"), bobsAccess}, {QStringLiteral("token_type_hint"), QStringLiteral("access_token")}}).status, 200);
    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", bobsAccess).status, 401);
    // Discovery names the endpoint.
    EXPECT_TRUE(sendHttp(port(), {"GET", "/.well-known/openid-configuration", {}, {}}).body.contains("oauth/revoke"));
}
