// GET /userinfo.

#include "authorizationfixture.h"

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::test;

TEST_F(Authorization, UserinfoNeedsTheUserinfoAudience)
{
    TestBrowser browser(port());
    const auto outcome
        = browser.authorize(query(QStringLiteral("token"), QStringLiteral("openid profile email")), QStringLiteral("carol@example.com"), kPassword);
    ASSERT_TRUE(outcome.redirect.isValid()) << outcome.failure.toStdString();
    const HttpReply info = callApi(port(), "GET", "/userinfo", value(outcome.parameters(), "access_token"));
    ASSERT_EQ(info.status, 200) << info.body.toStdString();
    EXPECT_EQ(info.json("sub"), "auth0|carol");
    EXPECT_EQ(info.json("email"), "carol@example.com");
    EXPECT_EQ(info.json("name"), "Carol Chen");

    const HttpReply m2m
        = tokenRequest(port(), {{QStringLiteral("grant_type"), QStringLiteral("client_credentials")}, {QStringLiteral("audience"), QStringLiteral("organize")}},
                       "organizer-cli:organizer-cli-secret");
    const HttpReply refused = callApi(port(), "GET", "/userinfo", QString::fromUtf8(m2m.json("access_token")));
    EXPECT_EQ(refused.status, 401);
    EXPECT_EQ(refused.json("error"), "invalid_token");
    EXPECT_EQ(sendHttp(port(), {"GET", "/userinfo", {}, {}}).status, 401);
}
