// /v2/logout and /oidc/logout (RP-Initiated Logout): where they may send the browser back to, and when
// they ask first.

#include "authorizationfixture.h"

#include <QDateTime>
#include <QJsonArray>

#include <utility>

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::test;

TEST_F(Authorization, LogoutEndsTheSessionAndOnlyReturnsToAllowedUrls)
{
    TestBrowser browser(port());
    ASSERT_TRUE(browser.authorize(query(QStringLiteral("token"), QStringLiteral("openid")), QStringLiteral("dave@example.com"), kPassword).redirect.isValid());
    const HttpReply refused = browser.get("/v2/logout?client_id=organizer-desktop&returnTo=https%3A%2F%2Fevil.example%2F");
    EXPECT_EQ(refused.status, 400);
    EXPECT_TRUE(refused.header("location").isEmpty());
    const HttpReply out = browser.get("/v2/logout?client_id=organizer-desktop&returnTo=http%3A%2F%2Flocalhost%3A3000%2F");
    EXPECT_EQ(out.status, 302);
    EXPECT_EQ(out.header("location"), "http://localhost:3000/");
    EXPECT_FALSE(browser.hasCookie("organizer_session"));
    const auto after
        = browser.authorize(query(QStringLiteral("token"), QStringLiteral("openid"), {{QStringLiteral("prompt"), QStringLiteral("none")}}), {}, {});
    EXPECT_EQ(value(after.parameters(), "error"), QStringLiteral("login_required"));
}

TEST_F(Authorization, OidcLogoutHonoursTheIdTokenHint)
{
    TestBrowser browser(port());
    const auto outcome = browser.authorize(query(QStringLiteral("id_token"), QStringLiteral("openid")), QStringLiteral("dave@example.com"), kPassword);
    const QString idToken = value(outcome.parameters(), "id_token");
    ASSERT_FALSE(idToken.isEmpty()) << outcome.failure.toStdString();
    const HttpReply out = browser.get("/oidc/logout?id_token_hint=" + idToken.toLatin1() + "&post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%2F&state=bye");
    EXPECT_EQ(out.status, 302);
    EXPECT_EQ(out.header("location"), "http://127.0.0.1/?state=bye");
    const HttpReply forged
        = browser.get("/oidc/logout?id_token_hint=" + idToken.toLatin1().chopped(4) + "AAAA&post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%2F");
    EXPECT_EQ(forged.status, 400);
}

TEST_F(Authorization, OidcLogoutWithoutAHintAsksFirst)
{
    // RP-Initiated Logout §2: without id_token_hint any site could log the user out with a link.
    TestBrowser browser(port());
    ASSERT_TRUE(
        browser.authorize(query(QStringLiteral("id_token"), QStringLiteral("openid")), QStringLiteral("dave@example.com"), kPassword).redirect.isValid());
    auto stillLoggedIn = [&] {
        const auto silent
            = browser.authorize(query(QStringLiteral("id_token"), QStringLiteral("openid"), {{QStringLiteral("prompt"), QStringLiteral("none")}}), {}, {});
        return value(silent.parameters(), "error") != QLatin1String("login_required"); // consent_required: a loopback redirect
    };
    const HttpReply asked = browser.get("/oidc/logout?client_id=organizer-desktop&post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%2F&state=bye");
    ASSERT_EQ(asked.status, 200);
    EXPECT_TRUE(asked.body.contains("Log out?"));
    EXPECT_TRUE(stillLoggedIn());
    const QString csrf = TestBrowser::hiddenField(asked.body, QStringLiteral("csrf"));
    ASSERT_FALSE(csrf.isEmpty());
    auto answer = [&](const QString &token, const QString &decision) {
        return browser.postForm("/oidc/logout",
                                {{QStringLiteral("csrf"), token},
                                 {QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                                 {QStringLiteral("post_logout_redirect_uri"), QStringLiteral("http://127.0.0.1/")},
                                 {QStringLiteral("state"), QStringLiteral("bye")},
                                 {QStringLiteral("decision"), decision}});
    };
    EXPECT_EQ(answer(QStringLiteral("forged"), QStringLiteral("logout")).status, 400);
    EXPECT_TRUE(stillLoggedIn());
    EXPECT_EQ(answer(csrf, QStringLiteral("stay")).status, 200);
    EXPECT_TRUE(stillLoggedIn());
    const HttpReply out = answer(csrf, QStringLiteral("logout"));
    EXPECT_EQ(out.status, 302);
    EXPECT_EQ(out.header("location"), "http://127.0.0.1/?state=bye");
    EXPECT_FALSE(stillLoggedIn());
    // Nobody logged in: nothing to confirm.
    EXPECT_EQ(browser.get("/oidc/logout").status, 200);
    EXPECT_EQ(browser.get("/oidc/logout?client_id=organizer-desktop&post_logout_redirect_uri=http%3A%2F%2Fevil.example%2F").status, 400);
}

TEST_F(Authorization, OidcLogoutAsksFirstUnlessTheHintIsAnIdTokenOfTheSessionsUser)
{
    // RP-Initiated Logout §2: a hint logs out without asking only when it is an ID token of this OP
    // for the user logged in. Anyone holding some other token of ours must not be able to log alice
    // out with a link.
    const auto idTokenOf = [&](const QString &login) {
        TestBrowser other(port());
        return value(other.authorize(query(QStringLiteral("id_token"), QStringLiteral("openid")), login, kPassword).parameters(), "id_token").toLatin1();
    };
    const QByteArray bobsIdToken = idTokenOf(QStringLiteral("bob@example.com"));
    ASSERT_FALSE(bobsIdToken.isEmpty());
    const HttpReply m2m
        = tokenRequest(port(), {{QStringLiteral("grant_type"), QStringLiteral("client_credentials")}, {QStringLiteral("audience"), QStringLiteral("organize")}},
                       "organizer-cli:organizer-cli-secret");
    const QByteArray m2mAccessToken = m2m.json("access_token");
    ASSERT_FALSE(m2mAccessToken.isEmpty()) << m2m.body.toStdString();

    TestBrowser alice(port());
    const auto login = alice.authorize(query(QStringLiteral("id_token token"), QStringLiteral("openid")), QStringLiteral("alice@example.com"), kPassword);
    const QByteArray alicesIdToken = value(login.parameters(), "id_token").toLatin1();
    const QByteArray alicesAccessToken = value(login.parameters(), "access_token").toLatin1();
    ASSERT_FALSE(alicesIdToken.isEmpty()) << login.failure.toStdString();
    ASSERT_TRUE(claimsOf(QString::fromLatin1(alicesAccessToken)).value(QLatin1String("aud")).isArray());
    const auto loggedIn = [&](TestBrowser &browser) {
        const auto silent
            = browser.authorize(query(QStringLiteral("id_token"), QStringLiteral("openid"), {{QStringLiteral("prompt"), QStringLiteral("none")}}), {}, {});
        return value(silent.parameters(), "error") != QLatin1String("login_required");
    };
    const auto stillLoggedIn = [&] { return loggedIn(alice); };
    // Signed here, with an aud array and azp naming the desktop client, as OpenID Connect Core §2 allows.
    const TokenFactory factory(m_server.dataDir(), m_server.issuer());
    const auto idTokenWithAudiences = [&](const QString &subject) {
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        return factory.token(QJsonObject{{QStringLiteral("iss"), m_server.issuer()},
                                         {QStringLiteral("sub"), subject},
                                         {QStringLiteral("aud"), QJsonArray{QStringLiteral("organizer-desktop"), QStringLiteral("https://other.example/")}},
                                         {QStringLiteral("azp"), QStringLiteral("organizer-desktop")},
                                         {QStringLiteral("iat"), now},
                                         {QStringLiteral("exp"), now + 600}});
    };
    const QByteArray toLoopback = "&post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%2F&state=bye";
    const std::pair<const char *, QByteArray> notHers[] = {
        {"bob's ID token", "/oidc/logout?id_token_hint=" + bobsIdToken + toLoopback},
        {"an M2M access token", "/oidc/logout?id_token_hint=" + m2mAccessToken},
        {"alice's own access token (aud an array)", "/oidc/logout?client_id=organizer-desktop&id_token_hint=" + alicesAccessToken + toLoopback},
        {"bob's ID token with an aud array", "/oidc/logout?id_token_hint=" + idTokenWithAudiences(QStringLiteral("auth0|bob")) + toLoopback},
    };
    for (const auto &[what, target] : notHers) {
        // Another browser of hers for each, so that every case is judged on a session of its own.
        TestBrowser hers(port());
        ASSERT_TRUE(
            hers.authorize(query(QStringLiteral("id_token"), QStringLiteral("openid")), QStringLiteral("alice@example.com"), kPassword).redirect.isValid());
        const HttpReply asked = hers.get(target);
        EXPECT_EQ(asked.status, 200) << what << ": " << asked.body.left(400).toStdString();
        EXPECT_TRUE(asked.body.contains("Log out?")) << what;
        EXPECT_TRUE(asked.header("location").isEmpty()) << what;
        EXPECT_TRUE(loggedIn(hers)) << what;
    }
    EXPECT_TRUE(stillLoggedIn());

    // Her own ID token: logged out at once, and sent where the client registered.
    const HttpReply out = alice.get("/oidc/logout?id_token_hint=" + alicesIdToken + toLoopback);
    EXPECT_EQ(out.status, 302) << out.body.left(400).toStdString();
    EXPECT_EQ(out.header("location"), "http://127.0.0.1/?state=bye");
    EXPECT_FALSE(stillLoggedIn());
    // The same with an aud array: an ID token of hers all the same.
    ASSERT_TRUE(
        alice.authorize(query(QStringLiteral("id_token"), QStringLiteral("openid")), QStringLiteral("alice@example.com"), kPassword).redirect.isValid());
    ASSERT_TRUE(stillLoggedIn());
    const HttpReply outAgain = alice.get("/oidc/logout?id_token_hint=" + idTokenWithAudiences(QStringLiteral("auth0|alice")) + toLoopback);
    EXPECT_EQ(outAgain.status, 302) << outAgain.body.left(400).toStdString();
    EXPECT_FALSE(stillLoggedIn());
}
