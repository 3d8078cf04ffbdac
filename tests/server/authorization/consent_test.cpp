// The hosted consent page: denied, remembered for web redirects only (RFC 8252 §8.6), kept across a restart.

#include "authorizationfixture.h"

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::test;

TEST_F(Authorization, DenyingConsentReturnsAccessDenied)
{
    TestBrowser browser(port());
    const auto outcome = browser.authorize(query(QStringLiteral("id_token token"), QStringLiteral("openid read:contacts")), QStringLiteral("alice@example.com"),
                                           kPassword, /*accept=*/false);
    ASSERT_TRUE(outcome.redirect.isValid()) << outcome.failure.toStdString();
    const QUrlQuery fragment = outcome.parameters();
    EXPECT_EQ(value(fragment, "error"), QStringLiteral("access_denied"));
    EXPECT_FALSE(value(fragment, "error_description").isEmpty());
    EXPECT_EQ(value(fragment, "state"), QStringLiteral("state-123"));
    EXPECT_FALSE(fragment.hasQueryItem(QStringLiteral("access_token")));
}

TEST_F(Authorization, ConsentIsRememberedAndPromptNoneUsesTheSession)
{
    m_server.stop();
    ServerProcess server;
    ASSERT_TRUE(server.start({QStringLiteral("--config"), tenantWithWebCallback(m_scratch.path())})) << server.errorText().toStdString();
    TestBrowser browser(server.port());
    const QString scopes = QStringLiteral("openid read:calendar");
    ASSERT_TRUE(browser.authorize(query(QStringLiteral("token"), scopes, kToWebCallback), QStringLiteral("carol@example.com"), kPassword).redirect.isValid());

    const auto again = browser.authorize(
        query(QStringLiteral("token"), scopes, kToWebCallback + QList<QPair<QString, QString>>{{QStringLiteral("prompt"), QStringLiteral("none")}}), {}, {});
    ASSERT_TRUE(again.redirect.isValid()) << again.failure.toStdString();
    EXPECT_FALSE(again.sawConsent);
    EXPECT_FALSE(value(again.parameters(), "access_token").isEmpty());

    const auto widened = browser.authorize(query(QStringLiteral("token"), scopes + QStringLiteral(" create:calendar"),
                                                 kToWebCallback + QList<QPair<QString, QString>>{{QStringLiteral("prompt"), QStringLiteral("none")}}),
                                           {}, {});
    EXPECT_EQ(value(widened.parameters(), "error"), QStringLiteral("consent_required"));

    TestBrowser stranger(server.port());
    const auto anonymous = stranger.authorize(
        query(QStringLiteral("token"), scopes, kToWebCallback + QList<QPair<QString, QString>>{{QStringLiteral("prompt"), QStringLiteral("none")}}), {}, {});
    EXPECT_EQ(value(anonymous.parameters(), "error"), QStringLiteral("login_required"));
    EXPECT_EQ(value(anonymous.parameters(), "state"), QStringLiteral("state-123"));
}

TEST_F(Authorization, ConsentForALoopbackRedirectIsAskedEveryTime)
{
    // RFC 8252 §8.6: any process may listen on a loopback port, so a consent given there is not
    // remembered, and prompt=none to a new port cannot get tokens silently.
    TestBrowser browser(port());
    const QString scopes = QStringLiteral("openid read:calendar");
    const auto first
        = browser.authorize(query(QStringLiteral("token"), scopes, {{QStringLiteral("redirect_uri"), QStringLiteral("http://127.0.0.1:51111/callback")}}),
                            QStringLiteral("carol@example.com"), kPassword);
    ASSERT_TRUE(first.redirect.isValid()) << first.failure.toStdString();
    EXPECT_TRUE(first.sawConsent);
    for (const QString &redirect : {QStringLiteral("http://127.0.0.1:51111/callback"), QStringLiteral("http://127.0.0.1:52222/callback"), kCallback}) {
        const auto silent = browser.authorize(
            query(QStringLiteral("token"), scopes, {{QStringLiteral("redirect_uri"), redirect}, {QStringLiteral("prompt"), QStringLiteral("none")}}), {}, {});
        EXPECT_EQ(value(silent.parameters(), "error"), QStringLiteral("consent_required")) << redirect.toStdString();
        EXPECT_TRUE(value(silent.parameters(), "access_token").isEmpty()) << redirect.toStdString();
        const auto asked = browser.authorize(query(QStringLiteral("token"), scopes, {{QStringLiteral("redirect_uri"), redirect}}), {}, {});
        EXPECT_TRUE(asked.sawConsent) << redirect.toStdString();
    }
}

TEST_F(Authorization, ConsentSurvivesARestart)
{
    m_server.stop();
    const QString dataDir = m_scratch.filePath(QStringLiteral("data"));
    const QString config = tenantWithWebCallback(m_scratch.path());
    {
        ServerProcess server(dataDir);
        ASSERT_TRUE(server.start({QStringLiteral("--config"), config})) << server.errorText().toStdString();
        TestBrowser browser(server.port());
        ASSERT_TRUE(
            browser
                .authorize(query(QStringLiteral("token"), QStringLiteral("openid read:contacts"), kToWebCallback), QStringLiteral("bob@example.com"), kPassword)
                .sawConsent);
    }
    ServerProcess restarted(dataDir);
    ASSERT_TRUE(restarted.start({QStringLiteral("--config"), config}));
    TestBrowser browser(restarted.port());
    const auto outcome = browser.authorize(query(QStringLiteral("token"), QStringLiteral("openid read:contacts"), kToWebCallback),
                                           QStringLiteral("bob@example.com"), kPassword);
    ASSERT_TRUE(outcome.redirect.isValid()) << outcome.failure.toStdString();
    EXPECT_FALSE(outcome.sawConsent);
}
