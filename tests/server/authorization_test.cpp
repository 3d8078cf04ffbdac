// The bundled authorization server end to end: a real organizer-server process and a cookie-keeping
// client walking /authorize, the hosted login and consent pages, /oauth/token, /userinfo and logout.

#include "apitestsupport.h"
#include "base64url.h"
#include "testbrowser.h"
#include "passwordhash.h"
#include "tokenminter.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryFile>
#include <QThread>

#include <QTemporaryDir>
#include <QDir>
#include <QFile>
#include <QJsonObject>
#include <algorithm>
#include <QDateTime>
#include <QEventLoop>
#include <QTimer>
#include <functional>
#include "formencoding.h"
#include <QElapsedTimer>
#include <QTcpSocket>
#include <QHostAddress>
#include <QDeadlineTimer>
#include <memory>
#include <vector>
#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::test;

namespace {

const QString kCallback = QStringLiteral("http://localhost:3000/callback");
const QString kPassword = QStringLiteral("organizer");

QString query(const QString &responseType, const QString &scope, const QList<QPair<QString, QString>> &extra = {})
{
    QUrlQuery q;
    auto add = [&q](const QString &name, const QString &value) { q.addQueryItem(name, QString::fromLatin1(QUrl::toPercentEncoding(value))); };
    add(QStringLiteral("client_id"), QStringLiteral("organizer-desktop"));
    if (std::none_of(extra.begin(), extra.end(), [](const auto &item) { return item.first == QLatin1String("redirect_uri"); }))
        add(QStringLiteral("redirect_uri"), kCallback);
    add(QStringLiteral("response_type"), responseType);
    add(QStringLiteral("scope"), scope);
    add(QStringLiteral("audience"), QStringLiteral("organize"));
    add(QStringLiteral("state"), QStringLiteral("state-123"));
    add(QStringLiteral("nonce"), QStringLiteral("nonce-456"));
    for (const auto &[name, value] : extra)
        add(name, value);
    return q.query(QUrl::FullyEncoded);
}

// Consent is only ever remembered for a redirect that is not on this machine (RFC 8252 §8.6): the
// demo tenant's desktop client, given a web callback as well.
const QString kWebCallback = QStringLiteral("https://app.example.com/callback");
const QList<QPair<QString, QString>> kToWebCallback{{QStringLiteral("redirect_uri"), kWebCallback}};

// The demo tenant, changed by `change`, written to a file for --config.
QString writeTenant(const QString &dir, const std::function<void(QJsonObject &)> &change)
{
    QFile bundled(QStringLiteral(":/organizer/tenant.json"));
    EXPECT_TRUE(bundled.open(QIODevice::ReadOnly));
    QJsonObject tenant = QJsonDocument::fromJson(bundled.readAll()).object();
    change(tenant);
    const QString path = QDir(dir).filePath(QStringLiteral("tenant-%1.json").arg(QDateTime::currentMSecsSinceEpoch()));
    QFile file(path);
    EXPECT_TRUE(file.open(QIODevice::WriteOnly));
    file.write(QJsonDocument(tenant).toJson());
    return path;
}

QString tenantWithWebCallback(const QString &dir)
{
    return writeTenant(dir, [](QJsonObject &tenant) {
        QJsonArray clients = tenant.value(QLatin1String("clients")).toArray();
        QJsonObject desktop = clients.at(0).toObject();
        QJsonArray callbacks = desktop.value(QLatin1String("callbacks")).toArray();
        callbacks.append(kWebCallback);
        desktop.insert(QStringLiteral("callbacks"), callbacks);
        clients.replace(0, desktop);
        tenant.insert(QStringLiteral("clients"), clients);
    });
}

// The desktop client's code flow with offline_access, redeemed: the token response's body.
QJsonObject offlineLogin(quint16 port, const QString &login, const QString &scopes = QStringLiteral("openid offline_access read:contacts"));

QString verifierFor(char fill)
{
    return QString::fromLatin1(jose::base64UrlEncode(QByteArray(32, fill)));
}

QString value(const QUrlQuery &q, const char *name)
{
    return q.queryItemValue(QLatin1String(name), QUrl::FullyDecoded);
}

QJsonObject claimsOf(const QString &token)
{
    return QJsonDocument::fromJson(jose::base64UrlDecode(token.section(QLatin1Char('.'), 1, 1).toLatin1()).value_or(QByteArray())).object();
}

HttpReply callApi(quint16 port, const QByteArray &method, const QByteArray &path, const QString &token, const QByteArray &body = {})
{
    QList<QPair<QByteArray, QByteArray>> headers{{"authorization", "Bearer " + token.toLatin1()}};
    if (!body.isEmpty())
        headers.append(qMakePair(QByteArray("content-type"), QByteArray("application/json")));
    return sendHttp(port, {method, path, headers, body});
}

HttpReply tokenRequest(quint16 port, const QList<QPair<QString, QString>> &fields, const QByteArray &basic = {})
{
    QByteArrayList pairs;
    for (const auto &[name, v] : fields)
        pairs.append(QUrl::toPercentEncoding(name) + '=' + QUrl::toPercentEncoding(v));
    QList<QPair<QByteArray, QByteArray>> headers{{"content-type", "application/x-www-form-urlencoded"}};
    if (!basic.isEmpty())
        headers.append(qMakePair(QByteArray("authorization"), "Basic " + basic.toBase64()));
    return sendHttp(port, {"POST", "/oauth/token", headers, pairs.join('&')});
}

// The desktop client's refresh-token grant (a public client: no secret).
HttpReply refreshGrant(quint16 port, const QString &refreshToken)
{
    return tokenRequest(port,
                        {{QStringLiteral("grant_type"), QStringLiteral("refresh_token")},
                         {QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                         {QStringLiteral("refresh_token"), refreshToken}});
}

// Client credentials for the Management API's audience ({issuer}api/v2/).
HttpReply managementClientCredentials(quint16 port, const QString &issuer, const QString &clientId, const QString &secret)
{
    return tokenRequest(port,
                        {{QStringLiteral("grant_type"), QStringLiteral("client_credentials")},
                         {QStringLiteral("client_id"), clientId},
                         {QStringLiteral("client_secret"), secret},
                         {QStringLiteral("audience"), issuer + QStringLiteral("api/v2/")}});
}

} // namespace

class Authorization : public ::testing::Test
{
protected:
    void SetUp() override { ASSERT_TRUE(m_server.start()) << m_server.errorText().toStdString(); }
    quint16 port() const { return m_server.port(); }

    ServerProcess m_server;
    QTemporaryDir m_scratch;
};

TEST_F(Authorization, ImplicitFlowReturnsTheTutorialFragment)
{
    TestBrowser browser(port());
    const auto outcome = browser.authorize(query(QStringLiteral("id_token token"), QStringLiteral("openid profile read:contacts read:calendar")),
                                           QStringLiteral("bob@example.com"), kPassword);
    ASSERT_TRUE(outcome.redirect.isValid()) << outcome.failure.toStdString();
    EXPECT_TRUE(outcome.sawConsent);
    EXPECT_EQ(outcome.redirect.toString(QUrl::RemoveFragment), kCallback);
    EXPECT_TRUE(outcome.redirect.query().isEmpty()); // tokens only in the fragment
    const QUrlQuery fragment = outcome.parameters();
    EXPECT_EQ(value(fragment, "token_type"), QStringLiteral("Bearer"));
    EXPECT_EQ(value(fragment, "expires_in"), QStringLiteral("86400"));
    EXPECT_EQ(value(fragment, "scope"), QStringLiteral("openid profile read:contacts")); // bob has no calendar permission
    EXPECT_EQ(value(fragment, "state"), QStringLiteral("state-123"));
    EXPECT_FALSE(fragment.hasQueryItem(QStringLiteral("refresh_token")));

    const QString accessToken = value(fragment, "access_token");
    const QJsonObject access = claimsOf(accessToken);
    EXPECT_EQ(access.value(QLatin1String("iss")).toString(), m_server.issuer());
    EXPECT_EQ(access.value(QLatin1String("sub")).toString(), QStringLiteral("auth0|bob"));
    EXPECT_EQ(access.value(QLatin1String("aud")).toArray(), (QJsonArray{QStringLiteral("organize"), m_server.issuer() + QStringLiteral("userinfo")}));
    EXPECT_EQ(access.value(QLatin1String("azp")).toString(), QStringLiteral("organizer-desktop"));
    EXPECT_EQ(access.value(QLatin1String("permissions")).toArray(), QJsonArray{QStringLiteral("read:contacts")});

    const QJsonObject id = claimsOf(value(fragment, "id_token"));
    EXPECT_EQ(id.value(QLatin1String("aud")).toString(), QStringLiteral("organizer-desktop"));
    EXPECT_EQ(id.value(QLatin1String("nonce")).toString(), QStringLiteral("nonce-456"));
    EXPECT_EQ(id.value(QLatin1String("at_hash")).toString().toLatin1(), authorization::accessTokenHash(accessToken.toLatin1()));
    EXPECT_EQ(id.value(QLatin1String("name")).toString(), QStringLiteral("Bob Brown"));
    EXPECT_FALSE(id.contains(QLatin1String("email"))); // email scope not asked

    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", accessToken).status, 200);
    const HttpReply calendar = callApi(port(), "GET", "/api/appointments", accessToken);
    EXPECT_EQ(calendar.status, 403);
    EXPECT_EQ(calendar.json("error"), "insufficient_scope");
}

struct UserCase
{
    const char *login;
    int contacts;
    int calendar;
    int createContact;
};
void PrintTo(const UserCase &c, std::ostream *os)
{
    *os << c.login;
}

class AuthorizationPerUser : public Authorization, public ::testing::WithParamInterface<UserCase>
{};

TEST_P(AuthorizationPerUser, TokenOpensExactlyTheApisTheUserMayUse)
{
    TestBrowser browser(port());
    const auto outcome = browser.authorize(query(QStringLiteral("token"), QStringLiteral("openid read:contacts create:contacts read:calendar")),
                                           QLatin1String(GetParam().login), kPassword);
    ASSERT_TRUE(outcome.redirect.isValid()) << outcome.failure.toStdString();
    const QString token = value(outcome.parameters(), "access_token");
    EXPECT_EQ(callApi(port(), "GET", "/api/contacts", token).status, GetParam().contacts);
    EXPECT_EQ(callApi(port(), "GET", "/api/appointments", token).status, GetParam().calendar);
    EXPECT_EQ(callApi(port(), "POST", "/api/contacts", token, R"({"name":"Via Login","email":"login@example.com"})").status, GetParam().createContact);
}

INSTANTIATE_TEST_SUITE_P(DemoUsers, AuthorizationPerUser,
                         ::testing::Values(UserCase{"alice@example.com", 200, 200, 201}, UserCase{"bob@example.com", 200, 403, 403},
                                           UserCase{"carol@example.com", 403, 200, 403}, UserCase{"dave@example.com", 403, 403, 403}),
                         [](const auto &row) { return QString::fromLatin1(row.param.login).section(QLatin1Char('@'), 0, 0).toStdString(); });

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

TEST_F(Authorization, PromptLoginAsksAgainDespiteTheSession)
{
    TestBrowser browser(port());
    ASSERT_TRUE(browser.authorize(query(QStringLiteral("token"), QStringLiteral("openid")), QStringLiteral("dave@example.com"), kPassword).redirect.isValid());
    const HttpReply reply
        = browser.get("/authorize?" + query(QStringLiteral("token"), QStringLiteral("openid"), {{QStringLiteral("prompt"), QStringLiteral("login")}}).toUtf8());
    EXPECT_EQ(reply.status, 302);
    EXPECT_TRUE(reply.header("location").startsWith("/login?"));
}

TEST_F(Authorization, UntrustedClientOrRedirectGetsAPageNeverARedirect)
{
    TestBrowser browser(port());
    for (const QByteArray &bad : {QByteArray("/authorize?client_id=unknown&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&response_type=token"),
                                  QByteArray("/authorize?client_id=organizer-desktop&redirect_uri=https%3A%2F%2Fevil.example%2F&response_type=token")}) {
        const HttpReply reply = browser.get(bad);
        EXPECT_EQ(reply.status, 400);
        EXPECT_TRUE(reply.header("location").isEmpty());
        EXPECT_TRUE(reply.header("content-type").startsWith("text/html"));
        EXPECT_FALSE(reply.body.contains("<script"));
    }
}

TEST_F(Authorization, UnknownAudienceIsAccessDeniedServiceNotFound)
{
    TestBrowser browser(port());
    QString q = query(QStringLiteral("token"), QStringLiteral("openid"));
    q.replace(QStringLiteral("audience=organize"), QStringLiteral("audience=https%3A%2F%2Fnope.example"));
    const HttpReply reply = browser.get("/authorize?" + q.toUtf8());
    ASSERT_EQ(reply.status, 302);
    const QUrlQuery fragment(QUrl(QString::fromUtf8(reply.header("location"))).fragment(QUrl::FullyEncoded));
    EXPECT_EQ(value(fragment, "error"), QStringLiteral("access_denied"));
    EXPECT_EQ(value(fragment, "error_description"), QStringLiteral("Service not found: https://nope.example"));
    EXPECT_EQ(value(fragment, "state"), QStringLiteral("state-123"));
}

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
    ServerProcess server;
    const QString config = writeTenant(m_scratch.path(), [](QJsonObject &tenant) {
        QJsonArray apis = tenant.value(QLatin1String("apis")).toArray();
        QJsonObject api = apis.at(0).toObject();
        // Whole seconds, wide enough apart that neither the clock's granularity nor a busy machine
        // (ctest runs two tests at once) can decide which lifetime runs out first.
        api.insert(QStringLiteral("refresh_token_idle_lifetime"), 3);
        api.insert(QStringLiteral("refresh_token_lifetime"), 7);
        apis.replace(0, api);
        tenant.insert(QStringLiteral("apis"), apis);
    });
    ASSERT_TRUE(server.start({QStringLiteral("--config"), config})) << server.errorText().toStdString();
    auto refresh = [&server](const QString &token) { return refreshGrant(server.port(), token); };
    auto pause = [](int ms) {
        QEventLoop loop;
        QTimer::singleShot(ms, &loop, &QEventLoop::quit);
        loop.exec();
    };
    // Unused for longer than the idle lifetime.
    const QString idle = offlineLogin(server.port(), QStringLiteral("alice@example.com")).value(QLatin1String("refresh_token")).toString();
    pause(4100);
    const HttpReply tooLate = refresh(idle);
    EXPECT_EQ(tooLate.json("error"), "invalid_grant");
    EXPECT_TRUE(tooLate.json("error_description").contains("unused for more than 3 seconds")) << tooLate.body.constData();
    // Used often enough, but past the absolute lifetime.
    QString token = offlineLogin(server.port(), QStringLiteral("alice@example.com")).value(QLatin1String("refresh_token")).toString();
    for (int i = 0; i < 5; ++i) {
        pause(1100);
        const HttpReply kept = refresh(token);
        ASSERT_EQ(kept.status, 200) << kept.body.constData();
        token = QString::fromUtf8(kept.json("refresh_token"));
    }
    pause(3000); // past the absolute lifetime by at least a whole second (it is checked before the idle one)
    const HttpReply old = refresh(token);
    EXPECT_EQ(old.json("error"), "invalid_grant");
    EXPECT_TRUE(old.json("error_description").contains("older than 7 seconds")) << old.body.constData();
}

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

namespace {

QJsonObject offlineLogin(quint16 port, const QString &login, const QString &scopes)
{
    const QString verifier = verifierFor('\x33');
    const QString challenge = QString::fromLatin1(jose::base64UrlEncode(QCryptographicHash::hash(verifier.toLatin1(), QCryptographicHash::Sha256)));
    TestBrowser browser(port);
    const auto outcome
        = browser.authorize(query(QStringLiteral("code"), scopes,
                                  {{QStringLiteral("code_challenge"), challenge}, {QStringLiteral("code_challenge_method"), QStringLiteral("S256")}}),
                            login, kPassword);
    EXPECT_TRUE(outcome.redirect.isValid()) << outcome.failure.toStdString();
    const HttpReply tokens = tokenRequest(port,
                                          {{QStringLiteral("grant_type"), QStringLiteral("authorization_code")},
                                           {QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                                           {QStringLiteral("code"), value(outcome.parameters(), "code")},
                                           {QStringLiteral("redirect_uri"), kCallback},
                                           {QStringLiteral("code_verifier"), verifier}});
    EXPECT_EQ(tokens.status, 200) << tokens.body.constData();
    return QJsonDocument::fromJson(tokens.body).object();
}

} // namespace

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

    EXPECT_EQ(tokenRequest(port(), {{QStringLiteral("grant_type"), QStringLiteral("password")}}, "organizer-cli:organizer-cli-secret").json("error"),
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

namespace {
// One attempt on the login page of a fresh /authorize: the answer's status.
int tryLogin(TestBrowser &browser, const QString &username, const QString &password)
{
    const HttpReply start = browser.get("/authorize?" + query(QStringLiteral("token"), QStringLiteral("openid")).toUtf8());
    const HttpReply page = browser.get(start.header("location"));
    return browser
        .postForm("/login",
                  {{QStringLiteral("transaction"), TestBrowser::hiddenField(page.body, QStringLiteral("transaction"))},
                   {QStringLiteral("csrf"), TestBrowser::hiddenField(page.body, QStringLiteral("csrf"))},
                   {QStringLiteral("username"), username},
                   {QStringLiteral("password"), password}})
        .status;
}
} // namespace

TEST_F(Authorization, MadeUpNamesFromOneAddressDoNotLockRealUsersOut)
{
    // Every browser on the loopback setup is 127.0.0.1: a local process failing with invented names
    // must not stop alice, whose correct password still works.
    TestBrowser attacker(port());
    int refused = 0;
    for (int i = 0; i < 40; ++i)
        refused += tryLogin(attacker, QStringLiteral("nobody%1@example.com").arg(i), QStringLiteral("guess")) == 429 ? 1 : 0;
    EXPECT_GT(refused, 0); // the address is throttled for names that do not exist
    TestBrowser alice(port());
    EXPECT_EQ(tryLogin(alice, QStringLiteral("alice@example.com"), kPassword), 302);
    // A wrong password for a real account from that address gets the same answer as a made-up name:
    // nothing tells the two apart.
    EXPECT_EQ(tryLogin(attacker, QStringLiteral("bob@example.com"), QStringLiteral("guess")), 429);
    EXPECT_EQ(tryLogin(attacker, QStringLiteral("nobody-else@example.com"), QStringLiteral("guess")), 429);
}

TEST_F(Authorization, LoginsAreNormalisedOnceForLookupAndThrottle)
{
    m_server.stop();
    const QString config = writeTenant(m_scratch.path(), [](QJsonObject &tenant) {
        QJsonArray users = tenant.value(QLatin1String("users")).toArray();
        QJsonObject sam = users.at(0).toObject();
        sam.insert(QStringLiteral("user_id"), QStringLiteral("sam"));
        sam.insert(QStringLiteral("email"), QStringLiteral("sam@example.com"));
        sam.insert(QStringLiteral("name"), QStringLiteral("Sam Stone"));
        users.append(sam);
        tenant.insert(QStringLiteral("users"), users);
    });
    ServerProcess server;
    ASSERT_TRUE(server.start({QStringLiteral("--config"), config})) << server.errorText().toStdString();
    TestBrowser browser(server.port());
    const QString longS = QStringLiteral("\u017Fam@example.com"); // "ſam": case-folds to "sam"
    // ſam is sam: the same account, so the same counter. Five failures are free, whatever the spelling.
    const QString spellings[] = {longS, QStringLiteral("SAM@example.com"), QStringLiteral("Sam@Example.com")};
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(tryLogin(browser, spellings[i % 3], QStringLiteral("wrong")), 401) << "free attempt " << i;
    // Each further failure is only counted once its backoff ran out (1 s, then 2 s), so wait those out
    // until the backoff is 4 s: long enough, on a clock of whole seconds, to outlast the next two
    // attempts however slowly this machine runs them.
    int counted = 5;
    QDeadlineTimer deadline(20'000);
    while (counted < 7 && !deadline.hasExpired()) {
        const int status = tryLogin(browser, spellings[counted % 3], QStringLiteral("wrong"));
        ASSERT_TRUE(status == 401 || status == 429) << status;
        if (status == 401)
            ++counted;
        else
            QThread::msleep(200);
    }
    ASSERT_EQ(counted, 7);
    EXPECT_EQ(tryLogin(browser, QStringLiteral("sam@example.com"), QStringLiteral("wrong")), 429);
    EXPECT_EQ(tryLogin(browser, longS, kPassword), 429);
    TestBrowser other(server.port());
    EXPECT_EQ(tryLogin(other, QStringLiteral("alice@example.com"), kPassword), 302); // other accounts unaffected
}

TEST_F(Authorization, WrongPasswordsAreThrottledWithoutRevealingAccounts)
{
    TestBrowser browser(port());
    HttpReply reply = browser.get("/authorize?" + query(QStringLiteral("token"), QStringLiteral("openid")).toUtf8());
    const QByteArray loginPath = reply.header("location");
    int status = 0;
    QByteArray lastBody;
    for (int attempt = 0; attempt < 7; ++attempt) {
        const HttpReply page = browser.get(loginPath);
        reply = browser.postForm("/login",
                                 {{QStringLiteral("transaction"), TestBrowser::hiddenField(page.body, QStringLiteral("transaction"))},
                                  {QStringLiteral("csrf"), TestBrowser::hiddenField(page.body, QStringLiteral("csrf"))},
                                  {QStringLiteral("username"), QStringLiteral("nobody@example.com")},
                                  {QStringLiteral("password"), QStringLiteral("guess")}});
        status = reply.status;
        lastBody = reply.body;
        if (attempt == 0) {
            EXPECT_EQ(reply.status, 401);
            EXPECT_TRUE(reply.body.contains("Wrong email or password."));
        }
    }
    EXPECT_EQ(status, 429);
    EXPECT_TRUE(lastBody.contains("Too many failed attempts"));
    EXPECT_FALSE(lastBody.contains("does not exist"));
}

TEST_F(Authorization, FormsNeedTheirCookieAndCannotBeReplayed)
{
    TestBrowser browser(port());
    const HttpReply start = browser.get("/authorize?" + query(QStringLiteral("token"), QStringLiteral("openid")).toUtf8());
    const HttpReply page = browser.get(start.header("location"));
    const QList<QPair<QString, QString>> form{{QStringLiteral("transaction"), TestBrowser::hiddenField(page.body, QStringLiteral("transaction"))},
                                              {QStringLiteral("csrf"), TestBrowser::hiddenField(page.body, QStringLiteral("csrf"))},
                                              {QStringLiteral("username"), QStringLiteral("dave@example.com")},
                                              {QStringLiteral("password"), kPassword}};
    TestBrowser cookieless(port());
    EXPECT_EQ(cookieless.postForm("/login", form).status, 400);
    QList<QPair<QString, QString>> forged = form;
    forged[1].second = QStringLiteral("not-the-token");
    EXPECT_EQ(browser.postForm("/login", forged).status, 400);
    EXPECT_EQ(browser.postForm("/login", form).status, 302);
    const HttpReply consentPage = browser.get(browser.get("/consent?transaction=" + form[0].second.toLatin1()).status == 200
                                                  ? QByteArray("/consent?transaction=" + form[0].second.toLatin1())
                                                  : QByteArray("/"));
    const QList<QPair<QString, QString>> accept{{QStringLiteral("transaction"), form[0].second},
                                                {QStringLiteral("csrf"), TestBrowser::hiddenField(consentPage.body, QStringLiteral("csrf"))},
                                                {QStringLiteral("decision"), QStringLiteral("accept")}};
    EXPECT_EQ(browser.postForm("/consent", accept).status, 302);
    const HttpReply replay = browser.postForm("/consent", accept);
    EXPECT_EQ(replay.status, 400);
    EXPECT_TRUE(replay.body.contains("expired or was already used"));
}

TEST_F(Authorization, FormPostAnswersWithAnAutoSubmittingPage)
{
    TestBrowser browser(port());
    const auto outcome
        = browser.authorize(query(QStringLiteral("id_token"), QStringLiteral("openid"), {{QStringLiteral("response_mode"), QStringLiteral("form_post")}}),
                            QStringLiteral("dave@example.com"), kPassword);
    ASSERT_EQ(outcome.lastReply.status, 200) << outcome.failure.toStdString();
    EXPECT_TRUE(outcome.lastReply.body.contains("action=\"http://localhost:3000/callback\""));
    EXPECT_FALSE(TestBrowser::hiddenField(outcome.lastReply.body, QStringLiteral("id_token")).isEmpty());
    EXPECT_EQ(TestBrowser::hiddenField(outcome.lastReply.body, QStringLiteral("state")), QStringLiteral("state-123"));
    EXPECT_TRUE(outcome.lastReply.header("content-security-policy").contains("form-action http://localhost:3000"));
}

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
    for (int i = 0; i < 50 && keys.size() < 2; ++i) {
        QThread::msleep(100);
        keys = QJsonDocument::fromJson(sendHttp(server.port(), {"GET", "/.well-known/jwks.json", {}, {}}).body).object().value(QLatin1String("keys")).toArray();
    }
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

TEST(HashPassword, PrintsAHashTheTenantAccepts)
{
    QProcess process;
    process.start(serverBinary(), {QStringLiteral("hash-password")});
    process.write("s3cret pass\n");
    process.closeWriteChannel();
    ASSERT_TRUE(process.waitForFinished(30000));
    EXPECT_EQ(process.exitCode(), 0);
    const QString hash = QString::fromUtf8(process.readAllStandardOutput()).trimmed();
    EXPECT_TRUE(hash.startsWith(QLatin1String("pbkdf2-sha256$600000$")));
    EXPECT_TRUE(authorization::verifyPassword(QStringLiteral("s3cret pass"), hash));
    EXPECT_FALSE(authorization::verifyPassword(QStringLiteral("s3cret pass\n"), hash));
}

TEST_F(Authorization, HostileInputGetsAClearErrorNotACrash)
{
    TestBrowser browser(port());
    const HttpReply huge = browser.get("/authorize?" + query(QStringLiteral("token"), QStringLiteral("openid")).toUtf8() + "&state=" + QByteArray(20000, 'x'));
    EXPECT_EQ(huge.status, 400);
    EXPECT_TRUE(huge.header("location").isEmpty());
    EXPECT_TRUE(huge.body.contains("longer than"));

    // A real login form (transaction, CSRF token and cookie all valid) whose username is not UTF-8.
    const HttpReply start = browser.get("/authorize?" + query(QStringLiteral("token"), QStringLiteral("openid")).toUtf8());
    ASSERT_EQ(start.status, 302);
    const HttpReply loginPage = browser.get(start.header("location"));
    ASSERT_EQ(loginPage.status, 200);
    const QByteArray transaction = TestBrowser::hiddenField(loginPage.body, QStringLiteral("transaction")).toLatin1();
    const QByteArray csrf = TestBrowser::hiddenField(loginPage.body, QStringLiteral("csrf")).toLatin1();
    ASSERT_FALSE(transaction.isEmpty());
    const HttpReply bad
        = browser.postRaw("/login", "application/x-www-form-urlencoded", "transaction=" + transaction + "&csrf=" + csrf + "&username=%FF%FE&password=z");
    EXPECT_EQ(bad.status, 400);
    EXPECT_TRUE(bad.body.contains("UTF-8"));
    // The refused form did not use the transaction up: the person can still log in with it.
    const HttpReply good = browser.postForm("/login",
                                            {{QStringLiteral("transaction"), QString::fromLatin1(transaction)},
                                             {QStringLiteral("csrf"), QString::fromLatin1(csrf)},
                                             {QStringLiteral("username"), QStringLiteral("alice@example.com")},
                                             {QStringLiteral("password"), QStringLiteral("organizer")}});
    EXPECT_EQ(good.status, 302) << good.body.constData();
    const HttpReply unknownTransaction = browser.get("/login?transaction=nope");
    EXPECT_EQ(unknownTransaction.status, 400);
    EXPECT_EQ(sendHttp(port(), {"GET", "/health", {}, {}}).status, 404);
    EXPECT_EQ(sendHttp(port(), {"GET", "/healthz", {}, {}}).status, 200); // still serving
}

namespace {
qint64 residentKiB(qint64 pid)
{
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong();
    }
    return -1;
}
} // namespace

TEST_F(Authorization, AFloodOfUnfinishedLoginsNeverLocksOthersOut)
{
    // Five local addresses start logins with 4,000-character state, nonce and login_hint and never finish
    // them: about 24 KB each, well past the 4 MiB each address may hold and the 16 MiB in total. The
    // flood pushes out only the oldest logins of whoever holds most; everyone else still logs in.
    const qint64 before = residentKiB(m_server.pid());
    ASSERT_GT(before, 0);
    const QString large(4000, QLatin1Char('n'));
    auto start = [&](const QHostAddress &from, int i) {
        FormData form{{QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                      {QStringLiteral("redirect_uri"), kCallback},
                      {QStringLiteral("response_type"), QStringLiteral("id_token token")},
                      {QStringLiteral("scope"), QStringLiteral("openid")},
                      {QStringLiteral("state"), large},
                      {QStringLiteral("login_hint"), large},
                      {QStringLiteral("nonce"), large + QString::number(i)}};
        return sendHttpFrom(from, port(), {"GET", "/authorize?" + form.encode(), {}, {}});
    };
    // A login a person started before the flood, from an address of their own.
    TestBrowser person(port());
    const HttpReply begun = person.get("/authorize?" + query(QStringLiteral("id_token token"), QStringLiteral("openid read:contacts")).toLatin1());
    ASSERT_EQ(begun.status, 302);
    QList<QByteArray> firstOfEach;
    for (int i = 0; i < 1000; ++i) {
        const QHostAddress from(QStringLiteral("127.0.0.%1").arg(11 + i % 5));
        const HttpReply reply = start(from, i);
        if (i % 100 == 0)
            m_server.log(); // drain the server's log pipe: a full pipe would stall it
        ASSERT_EQ(reply.status, 302) << "request " << i << ": " << reply.body.left(200).constData() << reply.error.toStdString();
        if (i < 5)
            firstOfEach.append(reply.header("location"));
    }
    // The flood's own oldest went to make room for it ...
    for (const QByteArray &location : firstOfEach) {
        const HttpReply page = sendHttp(port(), {"GET", location, {}, {}});
        EXPECT_EQ(page.status, 400) << location.constData();
        EXPECT_TRUE(page.body.contains("expired")) << page.body.left(300).constData();
    }
    // ... while the person's login, started before it, and a new one from a sixth address go through.
    const HttpReply loginPage = person.get(begun.header("location"));
    EXPECT_EQ(loginPage.status, 200) << loginPage.body.left(300).constData();
    TestBrowser newcomer(port());
    const auto outcome
        = newcomer.authorize(query(QStringLiteral("id_token token"), QStringLiteral("openid read:contacts")), QStringLiteral("alice@example.com"), kPassword);
    ASSERT_TRUE(outcome.redirect.isValid()) << outcome.failure.toStdString();
    EXPECT_FALSE(value(outcome.parameters(), "access_token").isEmpty());

    // What is held stays within the bounds, and the counters /authorize reads agree with the table.
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("flood-check"));
    db.setDatabaseName(QDir(m_server.dataDir()).filePath(QStringLiteral("organizer.sqlite")));
    db.setConnectOptions(QStringLiteral("QSQLITE_OPEN_READONLY"));
    ASSERT_TRUE(db.open()) << db.lastError().text().toStdString();
    {
        QSqlQuery held(db);
        ASSERT_TRUE(held.exec(QStringLiteral("SELECT COUNT(*), SUM(bytes), MAX(address_bytes) FROM auth_transactions, "
                                             "(SELECT MAX(b) AS address_bytes FROM (SELECT SUM(bytes) AS b FROM auth_transactions GROUP BY address))")));
        ASSERT_TRUE(held.next());
        EXPECT_LE(held.value(0).toLongLong(), 20'000);
        EXPECT_LE(held.value(1).toLongLong(), 16 * 1024 * 1024);
        EXPECT_GT(held.value(1).toLongLong(), 12 * 1024 * 1024) << "the flood should have filled most of the budget";
        EXPECT_LE(held.value(2).toLongLong(), 4 * 1024 * 1024);
        QSqlQuery counted(db);
        ASSERT_TRUE(
            counted.exec(QStringLiteral("SELECT b.address, b.count, b.bytes, COUNT(t.id), COALESCE(SUM(t.bytes), 0) FROM auth_transaction_budget b "
                                        "LEFT JOIN auth_transactions t ON t.address = b.address WHERE b.address <> '*' GROUP BY b.address, b.count, b.bytes")));
        int groups = 0;
        while (counted.next()) {
            ++groups;
            EXPECT_EQ(counted.value(1).toLongLong(), counted.value(3).toLongLong()) << counted.value(0).toString().toStdString();
            EXPECT_EQ(counted.value(2).toLongLong(), counted.value(4).toLongLong()) << counted.value(0).toString().toStdString();
        }
        EXPECT_GE(groups, 5);
    }
    db.close();
    db = QSqlDatabase();
    QSqlDatabase::removeDatabase(QStringLiteral("flood-check"));

    const qint64 growth = residentKiB(m_server.pid()) - before;
    EXPECT_LT(growth, 32 * 1024) << "resident memory grew by " << growth << " KiB";
    EXPECT_EQ(sendHttp(port(), {"GET", "/healthz", {}, {}}).status, 200);
}

namespace {
HttpReply clientCredentials(quint16 port, const QString &clientId, const QString &secret)
{
    return tokenRequest(port,
                        {{QStringLiteral("grant_type"), QStringLiteral("client_credentials")},
                         {QStringLiteral("client_id"), clientId},
                         {QStringLiteral("client_secret"), secret},
                         {QStringLiteral("audience"), QStringLiteral("organize")}});
}
} // namespace

TEST_F(Authorization, AnUnknownClientTakesAsLongAsAWrongSecret)
{
    // A decoy hash for unknown client IDs: timing does not tell which IDs exist.
    auto timed = [this](const QString &clientId) {
        QElapsedTimer timer;
        timer.start();
        const HttpReply reply = clientCredentials(port(), clientId, QStringLiteral("wrong"));
        EXPECT_EQ(reply.status, 401);
        EXPECT_EQ(reply.json("error_description"), "unknown client or wrong secret");
        return timer.elapsed();
    };
    // Fastest of three each, and a wide margin: without the decoy an unknown ID answers ~50 times faster.
    const qint64 wrongSecret
        = std::min({timed(QStringLiteral("organizer-cli")), timed(QStringLiteral("organizer-cli")), timed(QStringLiteral("organizer-cli"))});
    const qint64 unknown
        = std::min({timed(QStringLiteral("no-such-client")), timed(QStringLiteral("no-such-client-2")), timed(QStringLiteral("no-such-client-3"))});
    EXPECT_GE(wrongSecret, 20) << "the KDF should cost something";
    EXPECT_GE(unknown * 4, wrongSecret) << "unknown " << unknown << " ms vs wrong secret " << wrongSecret << " ms";
}

TEST_F(Authorization, SecretGuessingIsThrottledPerClient)
{
    int throttled = 0;
    QByteArray retryAfter;
    for (int i = 0; i < 9; ++i) {
        const HttpReply reply = clientCredentials(port(), QStringLiteral("organizer-cli"), QStringLiteral("guess-%1").arg(i));
        if (reply.status == 429) {
            ++throttled;
            EXPECT_EQ(reply.json("error"), "too_many_attempts");
            retryAfter = reply.header("retry-after");
        } else {
            EXPECT_EQ(reply.status, 401);
        }
    }
    EXPECT_GT(throttled, 0);
    EXPECT_GT(retryAfter.toInt(), 0);
    // Other clients are not affected.
    EXPECT_EQ(tokenRequest(port(),
                           {{QStringLiteral("grant_type"), QStringLiteral("authorization_code")},
                            {QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                            {QStringLiteral("code"), QStringLiteral("x")},
                            {QStringLiteral("redirect_uri"), kCallback}})
                  .json("error"),
              "invalid_grant");
}

TEST_F(Authorization, AFloodOfSecretGuessesDoesNotDelayOtherRequests)
{
    // Each guess costs a slow KDF; on the event loop twenty of them would hold every other request.
    std::vector<std::unique_ptr<QTcpSocket>> guesses;
    for (int i = 0; i < 20; ++i) {
        const QByteArray body = "grant_type=client_credentials&audience=organize&client_secret=guess&client_id=guesser-" + QByteArray::number(i);
        auto socket = std::make_unique<QTcpSocket>();
        socket->connectToHost(QHostAddress::LocalHost, port());
        ASSERT_TRUE(socket->waitForConnected(5000));
        socket->write("POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: "
                      + QByteArray::number(body.size()) + "\r\n\r\n" + body);
        socket->waitForBytesWritten(1000);
        guesses.push_back(std::move(socket));
    }
    QElapsedTimer timer;
    timer.start();
    EXPECT_EQ(sendHttp(port(), {"GET", "/healthz", {}, {}}).status, 200);
    EXPECT_EQ(sendHttp(port(), {"GET", "/.well-known/openid-configuration", {}, {}}).status, 200);
    const qint64 elapsed = timer.elapsed();
    EXPECT_LT(elapsed, 400) << "two cheap requests took " << elapsed << " ms behind the guesses";
    // Every guess is still answered (refused), none dropped.
    int answered = 0;
    for (auto &socket : guesses) {
        QByteArray received;
        QDeadlineTimer deadline(60'000);
        while (!received.contains("\r\n\r\n") && !deadline.hasExpired()) {
            socket->waitForReadyRead(100);
            received += socket->readAll();
        }
        answered += received.startsWith("HTTP/1.1 401") || received.startsWith("HTTP/1.1 429") || received.startsWith("HTTP/1.1 503") ? 1 : 0;
    }
    EXPECT_EQ(answered, 20);
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
    const auto redeem = [&](const QString &code) {
        return tokenRequest(port(),
                            {{QStringLiteral("grant_type"), QStringLiteral("authorization_code")},
                             {QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                             {QStringLiteral("code"), code},
                             {QStringLiteral("redirect_uri"), kCallback},
                             {QStringLiteral("code_verifier"), verifier}});
    };
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
    const HttpReply tokens = tokenRequest(port,
                                          {{QStringLiteral("grant_type"), QStringLiteral("authorization_code")},
                                           {QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                                           {QStringLiteral("code"), value(outcome.parameters(), "code")},
                                           {QStringLiteral("redirect_uri"), kCallback},
                                           {QStringLiteral("code_verifier"), verifier}});
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

TEST_F(Authorization, ARightSecretIsNeverThrottledHoweverManyPresentItAtOnce)
{
    // Eight CI jobs fetching machine-to-machine tokens at once, 25 times each: every one gets a token.
    // The secret is checked with the KDF once; after that a right secret costs an HMAC.
    const QByteArray body = "grant_type=client_credentials&audience=organize&client_id=organizer-cli&client_secret=organizer-cli-secret";
    const QByteArray request = "POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: "
        + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    int tokens = 0;
    QMap<int, int> others;
    for (int round = 0; round < 25; ++round) {
        std::vector<std::unique_ptr<QTcpSocket>> jobs;
        for (int i = 0; i < 8; ++i) {
            auto socket = std::make_unique<QTcpSocket>();
            socket->connectToHost(QHostAddress::LocalHost, port());
            ASSERT_TRUE(socket->waitForConnected(5000));
            socket->write(request);
            jobs.push_back(std::move(socket));
        }
        for (auto &socket : jobs) {
            QByteArray received;
            QDeadlineTimer deadline(30'000);
            while (!received.contains("\r\n\r\n") && !deadline.hasExpired()) {
                socket->waitForReadyRead(50);
                received += socket->readAll();
            }
            const int status = received.mid(9, 3).toInt();
            if (status == 200)
                ++tokens;
            else
                ++others[status];
        }
        if (round == 0) {
            // A wrong secret in between is refused, and does not turn the right one away either.
            EXPECT_EQ(clientCredentials(port(), QStringLiteral("organizer-cli"), QStringLiteral("wrong")).status, 401);
        }
    }
    EXPECT_EQ(tokens, 200) << "other answers (status → count): " << [&] {
        std::string text;
        for (auto it = others.constBegin(); it != others.constEnd(); ++it)
            text += std::to_string(it.key()) + "→" + std::to_string(it.value()) + " ";
        return text;
    }();
    // Guessing is still throttled: wrong secrets run into 429 while the right one still works.
    int throttled = 0;
    for (int i = 0; i < 9; ++i)
        throttled += clientCredentials(port(), QStringLiteral("organizer-cli"), QStringLiteral("guess-%1").arg(i)).status == 429 ? 1 : 0;
    EXPECT_GT(throttled, 0);
    EXPECT_EQ(clientCredentials(port(), QStringLiteral("organizer-cli"), QStringLiteral("organizer-cli-secret")).status, 200);
}

TEST_F(Authorization, MaxAgeZeroAsksForTheLoginEvenWithinTheSameSecond)
{
    // OpenID Connect Core §3.1.2.1: max_age=0 is prompt=login, however fresh the session.
    TestBrowser browser(port());
    const auto first
        = browser.authorize(query(QStringLiteral("id_token token"), QStringLiteral("openid read:contacts")), QStringLiteral("alice@example.com"), kPassword);
    ASSERT_TRUE(first.redirect.isValid()) << first.failure.toStdString();
    for (int i = 0; i < 3; ++i) {
        const HttpReply again = browser.get(
            "/authorize?"
            + query(QStringLiteral("id_token token"), QStringLiteral("openid read:contacts"), {{QStringLiteral("max_age"), QStringLiteral("0")}}).toLatin1());
        ASSERT_EQ(again.status, 302);
        EXPECT_TRUE(again.header("location").startsWith("/login?")) << again.header("location").constData();
    }
    // prompt=none with max_age=0 cannot log in silently.
    const HttpReply silent = browser.get("/authorize?"
                                         + query(QStringLiteral("id_token token"), QStringLiteral("openid read:contacts"),
                                                 {{QStringLiteral("max_age"), QStringLiteral("0")}, {QStringLiteral("prompt"), QStringLiteral("none")}})
                                               .toLatin1());
    ASSERT_EQ(silent.status, 302);
    EXPECT_TRUE(silent.header("location").contains("error=login_required")) << silent.header("location").constData();
    // Without max_age the session still answers at once (the consent page for a loopback redirect).
    const HttpReply plain = browser.get("/authorize?" + query(QStringLiteral("id_token token"), QStringLiteral("openid read:contacts")).toLatin1());
    EXPECT_TRUE(plain.header("location").startsWith("/consent?")) << plain.header("location").constData();
}
