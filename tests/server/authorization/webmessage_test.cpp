// response_mode=web_message as Auth0's browser SDKs wait for it: auth0-spa-js getTokenSilently (hidden
// iframe, prompt=none) and loginWithPopup, auth0-js checkSession. The page's message is read back out of
// its script and checked field by field, with the origin it is addressed to and the page's CSP; the
// origins it may go to, errors by message, a hostile state, and the cookies an iframe needs.

#include "authorizationfixture.h"
#include "base64url.h"
#include "webmessage.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::test;

namespace {

const QString kUnlistedCallback = QStringLiteral("https://unlisted.example.com/callback");
const QString kLoopbackCallback = QStringLiteral("http://127.0.0.1:51111/callback");
const QString kVerifier = verifierFor('\x57');

// The demo tenant whose desktop client also has a web callback (consent is remembered there, so a
// silent login can succeed), a registered callback whose origin is not an allowed web origin, and a
// wildcard web origin that is never framed by or posted to.
QString webMessageTenant(const QString &dir)
{
    return writeTenant(dir, [](QJsonObject &tenant) {
        QJsonArray clients = tenant.value(QLatin1String("clients")).toArray();
        QJsonObject desktop = clients.at(0).toObject();
        QJsonArray callbacks = desktop.value(QLatin1String("callbacks")).toArray();
        callbacks.append(kWebCallback);
        callbacks.append(kUnlistedCallback);
        desktop.insert(QStringLiteral("callbacks"), callbacks);
        desktop.insert(
            QStringLiteral("web_origins"),
            QJsonArray{QStringLiteral("http://localhost:3000"), QStringLiteral("https://app.example.com/"), QStringLiteral("https://*.example.org")});
        clients.replace(0, desktop);
        tenant.insert(QStringLiteral("clients"), clients);
    });
}

QString challengeFor(const QString &verifier)
{
    return QString::fromLatin1(jose::base64UrlEncode(QCryptographicHash::hash(verifier.toLatin1(), QCryptographicHash::Sha256)));
}

// The desktop client's /authorize query answered by web_message at `redirect`, with `extra` (and PKCE for a code).
QByteArray webMessageQuery(const QString &responseType, const QString &redirect, const QList<QPair<QString, QString>> &extra = {})
{
    QList<QPair<QString, QString>> parameters{{QStringLiteral("redirect_uri"), redirect}, {QStringLiteral("response_mode"), QStringLiteral("web_message")}};
    if (responseType == QLatin1String("code"))
        parameters += {{QStringLiteral("code_challenge"), challengeFor(kVerifier)}, {QStringLiteral("code_challenge_method"), QStringLiteral("S256")}};
    return "/authorize?" + query(responseType, QStringLiteral("openid profile read:calendar"), parameters + extra).toUtf8();
}

const QList<QPair<QString, QString>> kSilently{{QStringLiteral("prompt"), QStringLiteral("none")}};

// What a web_message page posts, read out of its one script as the browser would run it.
struct PostedMessage
{
    bool found = false;
    QString script; // between <script> and </script>, what the CSP hash covers
    QString targetOrigin;
    QJsonObject message;
    QJsonObject response() const { return message.value(QLatin1String("response")).toObject(); }
};

PostedMessage postedMessageOf(const QByteArray &html)
{
    PostedMessage posted;
    const QString page = QString::fromUtf8(html);
    const qsizetype open = page.indexOf(QLatin1String("<script>"));
    const qsizetype close = page.lastIndexOf(QLatin1String("</script>"));
    if (open < 0 || close < open)
        return posted;
    posted.script = page.mid(open + 8, close - open - 8);
    static const QRegularExpression target(QStringLiteral("\\n  var targetOrigin = (\"[^\"\\\\]*\");\\n"));
    static const QRegularExpression message(
        QStringLiteral("\\n  var message = (.*);\\n  \\(window\\.opener \\|\\| window\\.parent\\)\\.postMessage\\(message, targetOrigin\\);\\n"));
    const auto targetMatch = target.match(posted.script);
    const auto messageMatch = message.match(posted.script);
    if (!targetMatch.hasMatch() || !messageMatch.hasMatch())
        return posted;
    // Both are JSON (the script's escapes, \u003c and the like, are JSON escapes too).
    posted.targetOrigin = QJsonDocument::fromJson('[' + targetMatch.captured(1).toUtf8() + ']').array().at(0).toString();
    posted.message = QJsonDocument::fromJson(messageMatch.captured(1).toUtf8()).object();
    posted.found = !posted.message.isEmpty() && !posted.targetOrigin.isEmpty();
    return posted;
}

QByteArray expectedPolicy(const PostedMessage &posted)
{
    return "default-src 'none'; script-src 'sha256-" + QCryptographicHash::hash(posted.script.toUtf8(), QCryptographicHash::Sha256).toBase64()
        + "'; frame-ancestors http://localhost:3000 https://app.example.com; base-uri 'none'; form-action 'none'";
}

// Checks what every web_message page is: a 200 HTML page, never cached, never a redirect, framable by
// the allowed web origins only, running only its own script; returns its message.
PostedMessage expectWebMessagePage(const HttpReply &reply, const QString &origin)
{
    const PostedMessage posted = postedMessageOf(reply.body);
    EXPECT_EQ(reply.status, 200) << reply.body.left(400).constData();
    EXPECT_TRUE(reply.header("location").isEmpty());
    EXPECT_EQ(reply.header("content-type"), "text/html; charset=utf-8");
    EXPECT_EQ(reply.header("cache-control"), "no-store");
    EXPECT_TRUE(reply.header("x-frame-options").isEmpty()) << "the silent-login iframe must be allowed to show it";
    EXPECT_TRUE(posted.found) << reply.body.left(600).constData();
    EXPECT_EQ(reply.header("content-security-policy"), expectedPolicy(posted));
    EXPECT_FALSE(reply.header("content-security-policy").contains('*'));
    EXPECT_EQ(posted.targetOrigin, origin);
    EXPECT_EQ(posted.message.value(QLatin1String("type")).toString(), QStringLiteral("authorization_response"));
    EXPECT_EQ(posted.message.keys(), (QStringList{QStringLiteral("response"), QStringLiteral("type")}));
    return posted;
}

QStringList sorted(QStringList list)
{
    list.sort();
    return list;
}

} // namespace

// One server with the web_message tenant per test.
class WebMessage : public ::testing::Test
{
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_server.start({QStringLiteral("--config"), webMessageTenant(m_scratch.path())})) << m_server.errorText().toStdString();
    }
    quint16 port() const { return m_server.port(); }

    // Logs `browser` in at the web callback (its consent is then remembered) by an ordinary redirect login.
    void logIn(TestBrowser &browser, const QString &login = QStringLiteral("carol@example.com"))
    {
        const auto outcome
            = browser.authorize(query(QStringLiteral("token"), QStringLiteral("openid profile read:calendar"), kToWebCallback), login, kPassword);
        ASSERT_TRUE(outcome.redirect.isValid()) << outcome.failure.toStdString();
    }

    QTemporaryDir m_scratch;
    ServerProcess m_server;
};

TEST(WebMessageOrigins, AsABrowserWritesThem)
{
    using authorization::browserOrigin;
    EXPECT_EQ(browserOrigin(QUrl(QStringLiteral("https://App.Example.com:443/cb?x=1"))), QStringLiteral("https://app.example.com"));
    EXPECT_EQ(browserOrigin(QUrl(QStringLiteral("http://localhost:80/"))), QStringLiteral("http://localhost"));
    EXPECT_EQ(browserOrigin(QUrl(QStringLiteral("http://localhost:3000/callback"))), QStringLiteral("http://localhost:3000"));
    EXPECT_EQ(browserOrigin(QUrl(QStringLiteral("http://[::1]:8080/cb"))), QStringLiteral("http://[::1]:8080"));
    EXPECT_EQ(browserOrigin(QUrl(QStringLiteral("https://bücher.example/cb"))), QStringLiteral("https://xn--bcher-kva.example"));
    EXPECT_TRUE(browserOrigin(QUrl(QStringLiteral("com.example.app:/callback"))).isNull());
    EXPECT_TRUE(browserOrigin(QUrl(QStringLiteral("file:///tmp/x"))).isNull());

    authorization::Client client;
    client.name = QStringLiteral("SPA");
    client.webOrigins = {QStringLiteral("https://app.example.com/"),
                         QStringLiteral("*"),
                         QStringLiteral("https://*.example.org"),
                         QStringLiteral("https://app.example.com"),
                         QStringLiteral("http://x/path"),
                         QStringLiteral("https://a.example; script-src *"),
                         QStringLiteral("http://localhost:3000")};
    EXPECT_EQ(authorization::exactWebOrigins(client), (QStringList{QStringLiteral("https://app.example.com"), QStringLiteral("http://localhost:3000")}));
    EXPECT_TRUE(authorization::webMessageRefusal(client, QUrl(QStringLiteral("https://app.example.com/callback"))).isNull());
    const QString refused = authorization::webMessageRefusal(client, QUrl(QStringLiteral("https://sub.example.org/callback")));
    EXPECT_TRUE(refused.contains(QLatin1String("add https://sub.example.org to the Allowed Web Origins"))) << refused.toStdString();
}

TEST(WebMessageOrigins, ScriptSafeJsonKeepsTheValueAndNeverClosesTheScript)
{
    const QString hostile = QStringLiteral("</script><!--&\u2028\u2029\"\\");
    const QByteArray json = QJsonDocument(QJsonArray{hostile}).toJson(QJsonDocument::Compact);
    const QString safe = authorization::scriptSafeJson(json);
    EXPECT_EQ(safe, QStringLiteral("[\"\\u003c/script\\u003e\\u003c!--\\u0026\\u2028\\u2029\\\"\\\\\"]"));
    EXPECT_EQ(QJsonDocument::fromJson(safe.toUtf8()).array().at(0).toString(), hostile);
}

TEST_F(WebMessage, CodeWithASessionIsPostedToTheRedirectOriginAndRedeems)
{
    TestBrowser browser(port());
    logIn(browser);
    const HttpReply reply = browser.get(webMessageQuery(QStringLiteral("code"), kWebCallback, kSilently));
    const PostedMessage posted = expectWebMessagePage(reply, QStringLiteral("https://app.example.com"));
    const QJsonObject response = posted.response();
    EXPECT_EQ(sorted(response.keys()), (QStringList{QStringLiteral("code"), QStringLiteral("state")}));
    EXPECT_EQ(response.value(QLatin1String("state")).toString(), QStringLiteral("state-123"));
    const QString code = response.value(QLatin1String("code")).toString();
    EXPECT_EQ(code.size(), 43);

    // The code is a real one, bound to the web callback it was posted for.
    const HttpReply tokens = tokenRequest(port(),
                                          {{QStringLiteral("grant_type"), QStringLiteral("authorization_code")},
                                           {QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                                           {QStringLiteral("code"), code},
                                           {QStringLiteral("redirect_uri"), kWebCallback},
                                           {QStringLiteral("code_verifier"), kVerifier}});
    ASSERT_EQ(tokens.status, 200) << tokens.body.constData();
    EXPECT_EQ(claimsOf(QString::fromLatin1(tokens.json("id_token"))).value(QLatin1String("sub")).toString(), QStringLiteral("auth0|carol"));
    EXPECT_EQ(callApi(port(), "GET", "/api/appointments", QString::fromLatin1(tokens.json("access_token"))).status, 200);
}

TEST_F(WebMessage, ImplicitTokensArePostedWithEveryFragmentParameter)
{
    TestBrowser browser(port());
    logIn(browser);
    const HttpReply reply = browser.get(webMessageQuery(QStringLiteral("id_token token"), kWebCallback, kSilently));
    const QJsonObject response = expectWebMessagePage(reply, QStringLiteral("https://app.example.com")).response();
    EXPECT_EQ(sorted(response.keys()),
              (QStringList{QStringLiteral("access_token"), QStringLiteral("expires_in"), QStringLiteral("id_token"), QStringLiteral("scope"),
                           QStringLiteral("state"), QStringLiteral("token_type")}));
    EXPECT_EQ(response.value(QLatin1String("token_type")).toString(), QStringLiteral("Bearer"));
    EXPECT_EQ(response.value(QLatin1String("expires_in")), QJsonValue(86400)); // a number, as Auth0 posts it
    EXPECT_EQ(response.value(QLatin1String("scope")).toString(), QStringLiteral("openid profile read:calendar"));
    EXPECT_EQ(response.value(QLatin1String("state")).toString(), QStringLiteral("state-123"));
    const QJsonObject id = claimsOf(response.value(QLatin1String("id_token")).toString());
    EXPECT_EQ(id.value(QLatin1String("nonce")).toString(), QStringLiteral("nonce-456"));
    EXPECT_EQ(id.value(QLatin1String("aud")).toString(), QStringLiteral("organizer-desktop"));
    EXPECT_EQ(callApi(port(), "GET", "/api/appointments", response.value(QLatin1String("access_token")).toString()).status, 200);
}

TEST_F(WebMessage, PromptNoneWithoutASessionAnswersLoginRequiredByMessage)
{
    TestBrowser stranger(port());
    for (const QString &responseType : {QStringLiteral("code"), QStringLiteral("id_token token")}) {
        for (const auto &[callback, origin] :
             {std::pair{kCallback, QStringLiteral("http://localhost:3000")}, std::pair{kWebCallback, QStringLiteral("https://app.example.com")}}) {
            const HttpReply reply = stranger.get(webMessageQuery(responseType, callback, kSilently));
            const QJsonObject response = expectWebMessagePage(reply, origin).response();
            EXPECT_EQ(sorted(response.keys()), (QStringList{QStringLiteral("error"), QStringLiteral("error_description"), QStringLiteral("state")}));
            EXPECT_EQ(response.value(QLatin1String("error")).toString(), QStringLiteral("login_required"));
            EXPECT_EQ(response.value(QLatin1String("error_description")).toString(), QStringLiteral("the user is not logged in"));
            EXPECT_EQ(response.value(QLatin1String("state")).toString(), QStringLiteral("state-123"));
        }
    }
}

TEST_F(WebMessage, PromptNoneNeedingConsentAnswersConsentRequiredByMessage)
{
    TestBrowser browser(port());
    logIn(browser);
    // A scope not consented to yet at the web callback, and a loopback callback, where consent is always asked.
    const HttpReply widened
        = browser.get("/authorize?"
                      + query(QStringLiteral("token"), QStringLiteral("openid profile read:calendar create:calendar"),
                              kToWebCallback + kSilently + QList<QPair<QString, QString>>{{QStringLiteral("response_mode"), QStringLiteral("web_message")}})
                            .toUtf8());
    const QJsonObject needsConsent = expectWebMessagePage(widened, QStringLiteral("https://app.example.com")).response();
    EXPECT_EQ(needsConsent.value(QLatin1String("error")).toString(), QStringLiteral("consent_required"));
    EXPECT_EQ(needsConsent.value(QLatin1String("state")).toString(), QStringLiteral("state-123"));

    const HttpReply loopback = browser.get(webMessageQuery(QStringLiteral("code"), kCallback, kSilently));
    const QJsonObject asked = expectWebMessagePage(loopback, QStringLiteral("http://localhost:3000")).response();
    EXPECT_EQ(asked.value(QLatin1String("error")).toString(), QStringLiteral("consent_required"));
    EXPECT_FALSE(asked.contains(QLatin1String("code")));
}

TEST_F(WebMessage, RequestErrorsAfterTheRedirectIsTrustedGoByMessage)
{
    TestBrowser browser(port());
    struct Case
    {
        QByteArray path;
        const char *error;
    };
    for (const Case &c : {Case{webMessageQuery(QStringLiteral("code token"), kWebCallback), "unsupported_response_type"},
                          Case{webMessageQuery(QStringLiteral("id_token"), kWebCallback).replace("nonce=nonce-456", "nonce="), "invalid_request"},
                          Case{webMessageQuery(QStringLiteral("token"), kWebCallback).replace("audience=organize", "audience=nope"), "access_denied"},
                          Case{webMessageQuery(QStringLiteral("token"), kWebCallback) + "&state=again", "invalid_request"}}) {
        const HttpReply reply = browser.get(c.path);
        const QJsonObject response = expectWebMessagePage(reply, QStringLiteral("https://app.example.com")).response();
        EXPECT_EQ(response.value(QLatin1String("error")).toString(), QLatin1String(c.error)) << c.path.constData();
        EXPECT_FALSE(response.value(QLatin1String("error_description")).toString().isEmpty());
    }
    // Before the client and its redirect URI are trusted, a page as ever, with no script.
    QByteArray unknownClient = webMessageQuery(QStringLiteral("token"), kWebCallback);
    unknownClient.replace("client_id=organizer-desktop", "client_id=nobody");
    for (const QByteArray &path : {unknownClient, webMessageQuery(QStringLiteral("token"), QStringLiteral("https://evil.example/callback"))}) {
        const HttpReply reply = browser.get(path);
        EXPECT_EQ(reply.status, 400);
        EXPECT_TRUE(reply.header("location").isEmpty());
        EXPECT_FALSE(reply.body.contains("<script"));
    }
}

TEST_F(WebMessage, AnOriginThatIsNotAnAllowedWebOriginIsNeverPostedTo)
{
    TestBrowser browser(port());
    logIn(browser);
    for (const auto &[callback, origin] :
         {std::pair{kUnlistedCallback, QByteArray("https://unlisted.example.com")}, std::pair{kLoopbackCallback, QByteArray("http://127.0.0.1:51111")}}) {
        for (const auto &extra : {QList<QPair<QString, QString>>{}, kSilently}) {
            const HttpReply reply = browser.get(webMessageQuery(QStringLiteral("token"), callback, extra));
            EXPECT_EQ(reply.status, 400) << callback.toStdString();
            EXPECT_TRUE(reply.header("location").isEmpty());
            EXPECT_EQ(reply.header("x-frame-options"), "DENY");
            EXPECT_FALSE(reply.body.contains("<script"));
            EXPECT_FALSE(reply.body.contains("postMessage"));
            EXPECT_TRUE(reply.body.contains("add " + origin + " to the Allowed Web Origins")) << reply.body.constData();
        }
        // The same callback answered by redirect is fine: it is registered.
        const HttpReply redirected
            = browser.get("/authorize?" + query(QStringLiteral("token"), QStringLiteral("openid"), {{QStringLiteral("redirect_uri"), callback}}).toUtf8());
        EXPECT_EQ(redirected.status, 302) << callback.toStdString();
    }
}

TEST_F(WebMessage, AHostileStateCannotLeaveTheScript)
{
    const QString hostile = QStringLiteral("</script><script>alert(1)</script></ScRiPt><!--<script>\u2028alert(2)\u2029\"'\\&amp;</");
    auto hostileQuery = [&](const QString &responseType, const QList<QPair<QString, QString>> &extra) {
        QByteArray path = webMessageQuery(responseType, kWebCallback, extra);
        return path.replace("state=state-123", "state=" + QUrl::toPercentEncoding(hostile));
    };
    TestBrowser stranger(port());
    TestBrowser browser(port());
    logIn(browser);
    for (const auto &[reply, expectError] : {std::pair{stranger.get(hostileQuery(QStringLiteral("code"), kSilently)), true},
                                             std::pair{browser.get(hostileQuery(QStringLiteral("code"), kSilently)), false},
                                             std::pair{browser.get(hostileQuery(QStringLiteral("id_token token"), kSilently)), false}}) {
        const QJsonObject response = expectWebMessagePage(reply, QStringLiteral("https://app.example.com")).response();
        EXPECT_EQ(response.value(QLatin1String("state")).toString(), hostile) << "the value arrives exactly as sent";
        EXPECT_EQ(response.contains(QLatin1String("error")), expectError);
        const QByteArray lower = reply.body.toLower();
        EXPECT_EQ(lower.count("<script"), 1) << reply.body.constData();
        EXPECT_EQ(lower.count("</script"), 1) << reply.body.constData();
        EXPECT_FALSE(reply.body.contains("<!--"));
        EXPECT_FALSE(reply.body.contains("\xE2\x80\xA8")) << "U+2028 ends a line in older JavaScript";
        EXPECT_FALSE(reply.body.contains("\xE2\x80\xA9"));
    }
}

TEST_F(WebMessage, APopupLoginGoesThroughTheLoginAndConsentPagesThenPosts)
{
    // loginWithPopup: no prompt=none, so the popup shows the login page and (loopback callback) the
    // consent page; the response mode survives both, and the last answer is the message page.
    TestBrowser popup(port());
    const auto outcome
        = popup.authorize(QString::fromUtf8(webMessageQuery(QStringLiteral("code"), kCallback).mid(11)), QStringLiteral("carol@example.com"), kPassword);
    EXPECT_TRUE(outcome.sawConsent);
    const QJsonObject response = expectWebMessagePage(outcome.lastReply, QStringLiteral("http://localhost:3000")).response();
    EXPECT_EQ(sorted(response.keys()), (QStringList{QStringLiteral("code"), QStringLiteral("state")}));
    EXPECT_EQ(response.value(QLatin1String("state")).toString(), QStringLiteral("state-123"));
    const HttpReply tokens = exchangeCode(port(), response.value(QLatin1String("code")).toString(), kVerifier);
    EXPECT_EQ(tokens.status, 200) << tokens.body.constData();

    // Denied on the consent page: access_denied by message.
    TestBrowser denied(port());
    const auto refusal = denied.authorize(QString::fromUtf8(webMessageQuery(QStringLiteral("id_token token"), kCallback).mid(11)),
                                          QStringLiteral("carol@example.com"), kPassword, /*accept=*/false);
    const QJsonObject deniedResponse = expectWebMessagePage(refusal.lastReply, QStringLiteral("http://localhost:3000")).response();
    EXPECT_EQ(deniedResponse.value(QLatin1String("error")).toString(), QStringLiteral("access_denied"));
    EXPECT_EQ(deniedResponse.value(QLatin1String("state")).toString(), QStringLiteral("state-123"));
    EXPECT_FALSE(deniedResponse.contains(QLatin1String("access_token")));
}

TEST_F(WebMessage, DiscoveryListsTheMode)
{
    const HttpReply reply = sendHttp(port(), {"GET", "/.well-known/openid-configuration", {}, {}});
    const QJsonArray modes = QJsonDocument::fromJson(reply.body).object().value(QLatin1String("response_modes_supported")).toArray();
    EXPECT_EQ(modes, (QJsonArray{QStringLiteral("query"), QStringLiteral("fragment"), QStringLiteral("form_post"), QStringLiteral("web_message")}));
}

namespace {

// Every Set-Cookie of `reply` for `name`: one per path the cookie is scoped to.
QList<QByteArray> cookieHeaders(const HttpReply &reply, const QByteArray &name)
{
    QList<QByteArray> found;
    for (const auto &[header, value] : reply.headers) {
        if (header == "set-cookie" && value.startsWith(name + '='))
            found.append(value);
    }
    return found;
}

// Logs a fresh browser in on `port`; the Set-Cookie headers of the browser cookie (from /authorize) and
// the session cookie (from the login), and of the session cookie's removal at logout.
struct CookiesSeen
{
    QList<QByteArray> browser;
    QList<QByteArray> session;
    QList<QByteArray> cleared;
};

CookiesSeen cookiesOfALogin(quint16 port)
{
    CookiesSeen seen;
    TestBrowser browser(port);
    const HttpReply start = browser.get("/authorize?" + query(QStringLiteral("token"), QStringLiteral("openid")).toUtf8());
    seen.browser = cookieHeaders(start, "organizer_browser");
    const HttpReply page = browser.get(start.header("location"));
    const HttpReply login = browser.postForm("/login",
                                             {{QStringLiteral("transaction"), TestBrowser::hiddenField(page.body, QStringLiteral("transaction"))},
                                              {QStringLiteral("csrf"), TestBrowser::hiddenField(page.body, QStringLiteral("csrf"))},
                                              {QStringLiteral("username"), QStringLiteral("dave@example.com")},
                                              {QStringLiteral("password"), kPassword}});
    seen.session = cookieHeaders(login, "organizer_session");
    const HttpReply logout = browser.get("/v2/logout?client_id=organizer-desktop");
    seen.cleared = cookieHeaders(logout, "organizer_session");
    return seen;
}

} // namespace

TEST(WebMessageCookies, SameSiteLaxForAnHttpIssuerAndNoneSecureForAnHttpsOne)
{
    // An http issuer: SameSite=Lax (a browser drops SameSite=None without Secure, and Secure needs https).
    {
        ServerProcess server;
        ASSERT_TRUE(server.start()) << server.errorText().toStdString();
        ASSERT_TRUE(server.issuer().startsWith(QLatin1String("http://")));
        const CookiesSeen seen = cookiesOfALogin(server.port());
        ASSERT_EQ(seen.browser.size(), 5);
        ASSERT_EQ(seen.session.size(), 5);
        ASSERT_EQ(seen.cleared.size(), 5);
        for (const QList<QByteArray> &cookies : {seen.browser, seen.session, seen.cleared}) {
            for (const QByteArray &cookie : cookies) {
                EXPECT_TRUE(cookie.contains("; HttpOnly; SameSite=Lax; Max-Age=")) << cookie.constData();
                EXPECT_FALSE(cookie.contains("Secure")) << cookie.constData();
                EXPECT_FALSE(cookie.contains("SameSite=None")) << cookie.constData();
            }
        }
    }
    // An https issuer (its public URL; TLS may end here or in front): the silent-login iframe in the
    // application's site must receive the session, so SameSite=None; Secure on every interaction cookie.
    {
        ServerProcess server;
        ASSERT_TRUE(server.start({QStringLiteral("--public-url"), QStringLiteral("https://login.example.test/")})) << server.errorText().toStdString();
        const HttpReply discovery = sendHttp(server.port(), {"GET", "/.well-known/openid-configuration", {}, {}});
        ASSERT_EQ(discovery.json("issuer"), "https://login.example.test/");
        const CookiesSeen seen = cookiesOfALogin(server.port());
        ASSERT_EQ(seen.browser.size(), 5);
        ASSERT_EQ(seen.session.size(), 5);
        ASSERT_EQ(seen.cleared.size(), 5);
        for (const QList<QByteArray> &cookies : {seen.browser, seen.session, seen.cleared}) {
            for (const QByteArray &cookie : cookies) {
                EXPECT_TRUE(cookie.contains("; HttpOnly; Secure; SameSite=None; Max-Age=")) << cookie.constData();
                EXPECT_FALSE(cookie.contains("SameSite=Lax")) << cookie.constData();
            }
        }
        EXPECT_TRUE(seen.session.first().contains("Max-Age=28800"));
        EXPECT_TRUE(seen.cleared.first().contains("Max-Age=0"));
    }
}
