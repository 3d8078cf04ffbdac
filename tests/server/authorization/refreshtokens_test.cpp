// The refresh-token grant: rotation, reuse revoking the whole family, and the idle and absolute lifetimes.

#include "authorizationfixture.h"
#include "inprocessserver.h"

#include <QDir>
#include <QJsonArray>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::test;
using namespace std::chrono_literals;

TEST_F(Authorization, ARefreshTokenUsedTwiceRevokesItsWholeFamily)
{
    const QJsonObject first = offlineLogin(port(), QStringLiteral("alice@example.com"));
    const QString token1 = first.value(QLatin1String("refresh_token")).toString();
    ASSERT_FALSE(token1.isEmpty());
    auto refresh = [this](const QString &token) { return refreshGrant(port(), token); };
    const HttpReply second = refresh(token1);
    ASSERT_EQ(second.status, 200) << second.body.constData();
    const QString token2 = QString::fromUtf8(second.json("refresh_token"));
    const QString access2 = QString::fromUtf8(second.json("access_token"));
    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", access2).status, 200);

    // token1 again: it was copied. The family is revoked, token2 with it, and its access tokens.
    const HttpReply reused = refresh(token1);
    EXPECT_EQ(reused.status, 400);
    EXPECT_EQ(reused.json("error"), "invalid_grant");
    EXPECT_TRUE(reused.json("error_description").contains("already used"));
    EXPECT_EQ(refresh(token2).json("error"), "invalid_grant");
    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", access2).status, 401);
    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", first.value(QLatin1String("access_token")).toString()).status, 401);
    // Another login is another family, untouched.
    const QJsonObject other = offlineLogin(port(), QStringLiteral("bob@example.com"));
    EXPECT_EQ(refresh(other.value(QLatin1String("refresh_token")).toString()).status, 200);
}

// Issue 21: every rotation stored its retired token for the family's 30 days. Fifty refreshes later the
// server keeps no row per retired token, and the family's very first token still revokes everything.
TEST_F(Authorization, AFiftyTimesRefreshedFamilyKeepsNoRetiredTokensAndItsFirstTokenStillRevokesIt)
{
    const QJsonObject first = offlineLogin(port(), QStringLiteral("alice@example.com"));
    const QString firstToken = first.value(QLatin1String("refresh_token")).toString();
    ASSERT_FALSE(firstToken.isEmpty());
    auto refresh = [this](const QString &token) { return refreshGrant(port(), token); };
    QString token = firstToken;
    QString access;
    for (int i = 0; i < 50; ++i) {
        const HttpReply refreshed = refresh(token);
        ASSERT_EQ(refreshed.status, 200) << refreshed.body.constData();
        token = QString::fromUtf8(refreshed.json("refresh_token"));
        access = QString::fromUtf8(refreshed.json("access_token"));
    }
    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", access).status, 200);
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("inspect-refresh"));
        db.setDatabaseName(QDir(m_server.dataDir()).filePath(QStringLiteral("organizer.sqlite")));
        db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
        ASSERT_TRUE(db.open());
        QSqlQuery query(db);
        ASSERT_TRUE(query.exec(QStringLiteral("SELECT COUNT(*) FROM refresh_tokens")) && query.next()) << query.lastError().text().toStdString();
        EXPECT_EQ(query.value(0).toInt(), 0) << "no row per retired refresh token";
        ASSERT_TRUE(query.exec(QStringLiteral("SELECT COUNT(*) FROM refresh_families")) && query.next());
        EXPECT_EQ(query.value(0).toInt(), 1);
    }
    QSqlDatabase::removeDatabase(QStringLiteral("inspect-refresh"));

    const HttpReply reused = refresh(firstToken);
    EXPECT_EQ(reused.status, 400);
    EXPECT_TRUE(reused.json("error_description").contains("already used")) << reused.body.constData();
    EXPECT_EQ(refresh(token).json("error"), "invalid_grant");
    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", access).status, 401);
    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", first.value(QLatin1String("access_token")).toString()).status, 401);
}

TEST_F(Authorization, RefreshTokensExpireByInactivityAndAbsoluteLifetime)
{
    m_server.stop();
    const QString config = writeTenant(m_scratch.path(), [](QJsonObject &tenant) {
        QJsonArray apis = tenant.value(QLatin1String("apis")).toArray();
        QJsonObject api = apis.at(0).toObject();
        api.insert(QStringLiteral("refresh_token_idle_lifetime"), 3);
        api.insert(QStringLiteral("refresh_token_lifetime"), 7);
        apis.replace(0, api);
        tenant.insert(QStringLiteral("apis"), apis);
    });
    // On a clock that moves only when told: the lifetimes run out to the second, not waited for.
    ManualClock clock;
    InProcessServer server({.home = InProcessServer::Home::OwnThread, .clocks = clock.clocks(), .tenantFile = config});
    ASSERT_TRUE(server.error().isEmpty()) << server.error().toStdString();
    auto refresh = [&server](const QString &token) { return refreshGrant(server.port(), token); };
    // Unused for longer than the idle lifetime.
    const QString idle = offlineLogin(server.port(), QStringLiteral("alice@example.com")).value(QLatin1String("refresh_token")).toString();
    clock.advance(4s);
    const HttpReply tooLate = refresh(idle);
    EXPECT_EQ(tooLate.json("error"), "invalid_grant");
    EXPECT_TRUE(tooLate.json("error_description").contains("unused for more than 3 seconds")) << tooLate.body.constData();
    // Used often enough, but past the absolute lifetime.
    QString token = offlineLogin(server.port(), QStringLiteral("alice@example.com")).value(QLatin1String("refresh_token")).toString();
    for (int i = 0; i < 5; ++i) {
        clock.advance(1s);
        const HttpReply kept = refresh(token);
        ASSERT_EQ(kept.status, 200) << kept.body.constData();
        token = QString::fromUtf8(kept.json("refresh_token"));
    }
    clock.advance(3s); // 8 s after the login: past the absolute lifetime (checked before the idle one)
    const HttpReply old = refresh(token);
    EXPECT_EQ(old.json("error"), "invalid_grant");
    EXPECT_TRUE(old.json("error_description").contains("older than 7 seconds")) << old.body.constData();
}
