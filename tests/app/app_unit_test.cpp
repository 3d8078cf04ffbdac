// The app's session logic without a network: URL building, redirect parsing, and every relying-party
// rejection (OpenID conformance RP cases for "id_token token").

#include "apiclient.h"
#include "appcontroller.h"
#include "base64url.h"
#include "demooptions.h"
#include "jws.h"
#include "loginautomation.h"
#include "loginsession.h"
#include "profilelist.h"
#include "profiles.h"
#include "provideroptions.h"
#include "redirectvalidation.h"
#include "recordscontroller.h"
#include "tenantadmin.h"
#include "tenantcontroller.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSettings>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTimer>

#include <gtest/gtest.h>

#include "waitfor.h"

using namespace organizer;
using namespace organizer::app;

namespace {

constexpr qint64 kNow = 1'800'000'000;
const QString kIssuer = QStringLiteral("http://127.0.0.1:3001/");
const QString kClient = QStringLiteral("organizer-desktop");

struct Keys
{
    jose::RsaKey signing = jose::RsaKey::generate(2048).value();
    jose::RsaKey other = jose::RsaKey::generate(2048).value();
};
const Keys &keys()
{
    static const Keys instance;
    return instance;
}

QByteArray atHash(const QByteArray &accessToken)
{
    const QByteArray digest = QCryptographicHash::hash(accessToken, QCryptographicHash::Sha256);
    return jose::base64UrlEncode(digest.left(16));
}

QJsonObject idClaims(const QByteArray &accessToken)
{
    return {{QStringLiteral("iss"), kIssuer},
            {QStringLiteral("sub"), QStringLiteral("auth0|alice")},
            {QStringLiteral("aud"), kClient},
            {QStringLiteral("iat"), kNow},
            {QStringLiteral("exp"), kNow + 3600},
            {QStringLiteral("nonce"), QStringLiteral("the-nonce")},
            {QStringLiteral("at_hash"), QString::fromLatin1(atHash(accessToken))}};
}

QByteArray sign(const QJsonObject &claims, const jose::RsaKey &key, const QString &kid = QStringLiteral("k1"))
{
    return jose::signCompactJws({{QStringLiteral("typ"), QStringLiteral("JWT")}}, QJsonDocument(claims).toJson(QJsonDocument::Compact), key, kid).value();
}

ExpectedLogin expected()
{
    return {kIssuer, kClient, QStringLiteral("the-state"), QStringLiteral("the-nonce"), {QStringLiteral("openid"), QStringLiteral("read:contacts")}, {}};
}

jose::JwkSet published(bool twoKeys = false)
{
    QList<jose::Jwk> list{jose::Jwk::forSigningKey(keys().signing, QStringLiteral("k1"))};
    if (twoKeys)
        list.append(jose::Jwk::forSigningKey(keys().other, QStringLiteral("k2")));
    return jose::JwkSet(list);
}

FormData fragment(const QByteArray &accessToken, const QByteArray &idToken, const QString &state = QStringLiteral("the-state"))
{
    FormData q;
    q.add(QStringLiteral("access_token"), QString::fromLatin1(accessToken));
    q.add(QStringLiteral("id_token"), QString::fromLatin1(idToken));
    q.add(QStringLiteral("token_type"), QStringLiteral("Bearer"));
    q.add(QStringLiteral("expires_in"), QStringLiteral("86400"));
    q.add(QStringLiteral("scope"), QStringLiteral("openid read:contacts"));
    if (!state.isNull())
        q.add(QStringLiteral("state"), state);
    return q;
}

const QByteArray kAccessToken = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhdXRoMHxhbGljZSJ9.c2ln";

Expected<LoginResult, LoginError> validate(const FormData &q, const jose::JwkSet &set = published())
{
    return validateTokenResponse(q, expected(), set, true, true, [] { return kNow; });
}

} // namespace

TEST(RelyingParty, AcceptsAValidResponse)
{
    auto result = validate(fragment(kAccessToken, sign(idClaims(kAccessToken), keys().signing)));
    ASSERT_TRUE(result) << result.error().message.toStdString();
    EXPECT_EQ(result->grantedScopes, (QStringList{QStringLiteral("openid"), QStringLiteral("read:contacts")}));
    EXPECT_EQ(result->idTokenClaims.value(QLatin1String("sub")).toString(), QStringLiteral("auth0|alice"));
    EXPECT_EQ(result->expiresAt, kNow + 86400);
}

struct RejectionCase
{
    const char *name;
    std::function<FormData()> response;
    LoginError::Kind kind;
    bool twoKeys = false;
};
void PrintTo(const RejectionCase &c, std::ostream *os)
{
    *os << c.name;
}

class RelyingPartyRejects : public ::testing::TestWithParam<RejectionCase>
{};

TEST_P(RelyingPartyRejects, WithAReadableReason)
{
    auto result = validate(GetParam().response(), published(GetParam().twoKeys));
    ASSERT_FALSE(result) << "accepted";
    EXPECT_EQ(result.error().kind, GetParam().kind);
    EXPECT_FALSE(result.error().message.isEmpty());
    EXPECT_FALSE(result.error().message.contains(QString::fromLatin1(kAccessToken)));
}

namespace {
QJsonObject with(QJsonObject claims, const char *name, const QJsonValue &value)
{
    if (value.isUndefined())
        claims.remove(QLatin1String(name));
    else
        claims.insert(QLatin1String(name), value);
    return claims;
}
} // namespace

INSTANTIATE_TEST_SUITE_P(
    OpenIdConformance, RelyingPartyRejects,
    ::testing::Values(
        RejectionCase{"provider_error", [] { return FormData::parse("error=access_denied&error_description=User%20did%20not%20authorize&state=the-state"); },
                      LoginError::Kind::ProviderError},
        RejectionCase{"missing_state", [] { return fragment(kAccessToken, sign(idClaims(kAccessToken), keys().signing), QString()); },
                      LoginError::Kind::MissingState},
        RejectionCase{"state_mismatch", [] { return fragment(kAccessToken, sign(idClaims(kAccessToken), keys().signing), QStringLiteral("other")); },
                      LoginError::Kind::StateMismatch},
        RejectionCase{"missing_id_token", [] { return fragment(kAccessToken, {}); }, LoginError::Kind::MissingToken},
        RejectionCase{
            "bad_at_hash",
            [] { return fragment(kAccessToken, sign(with(idClaims(kAccessToken), "at_hash", QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA")), keys().signing)); },
            LoginError::Kind::AtHashMismatch},
        RejectionCase{"missing_at_hash",
                      [] { return fragment(kAccessToken, sign(with(idClaims(kAccessToken), "at_hash", QJsonValue::Undefined), keys().signing)); },
                      LoginError::Kind::AtHashMismatch},
        RejectionCase{"at_hash_of_another_token", [] { return fragment(kAccessToken + "x", sign(idClaims(kAccessToken), keys().signing)); },
                      LoginError::Kind::AtHashMismatch},
        RejectionCase{"invalid_nonce",
                      [] { return fragment(kAccessToken, sign(with(idClaims(kAccessToken), "nonce", QStringLiteral("replayed")), keys().signing)); },
                      LoginError::Kind::NonceMismatch},
        RejectionCase{"missing_nonce",
                      [] { return fragment(kAccessToken, sign(with(idClaims(kAccessToken), "nonce", QJsonValue::Undefined), keys().signing)); },
                      LoginError::Kind::NonceMismatch},
        RejectionCase{"issuer_mismatch",
                      [] { return fragment(kAccessToken, sign(with(idClaims(kAccessToken), "iss", QStringLiteral("https://evil.example/")), keys().signing)); },
                      LoginError::Kind::InvalidIdToken},
        RejectionCase{"wrong_aud",
                      [] { return fragment(kAccessToken, sign(with(idClaims(kAccessToken), "aud", QStringLiteral("another-client")), keys().signing)); },
                      LoginError::Kind::InvalidIdToken},
        RejectionCase{"expired", [] { return fragment(kAccessToken, sign(with(idClaims(kAccessToken), "exp", kNow - 3600), keys().signing)); },
                      LoginError::Kind::InvalidIdToken},
        RejectionCase{"bad_signature", [] { return fragment(kAccessToken, sign(idClaims(kAccessToken), keys().other)); }, LoginError::Kind::InvalidIdToken},
        RejectionCase{"kid_absent_no_key_verifies", [] { return fragment(kAccessToken, sign(idClaims(kAccessToken), keys().other, QString())); },
                      LoginError::Kind::InvalidIdToken}),
    [](const auto &row) { return std::string(row.param.name); });

TEST(RelyingParty, KidAbsentWithOneKeyIsAccepted)
{
    EXPECT_TRUE(validate(fragment(kAccessToken, sign(idClaims(kAccessToken), keys().signing, QString()))));
}

TEST(RelyingParty, KidAbsentWithSeveralKeysTriesEach)
{
    // OpenID conformance rp-id_token-kid-absent-multiple-jwks: trying every published key is allowed.
    EXPECT_TRUE(validate(fragment(kAccessToken, sign(idClaims(kAccessToken), keys().signing, QString())), published(true)));
}

// The token inspector checks the access token for the API this login asked for, never for whichever
// audience the token names in its own unverified payload; without one asked for, as issued by the issuer.
TEST(RelyingParty, TheInspectorVerifiesTheAccessTokenForTheAudienceAskedFor)
{
    const auto accessToken = [](const QJsonValue &aud, const QString &issuer = kIssuer) {
        return sign({{QStringLiteral("iss"), issuer},
                     {QStringLiteral("sub"), QStringLiteral("auth0|alice")},
                     {QStringLiteral("aud"), aud},
                     {QStringLiteral("iat"), kNow},
                     {QStringLiteral("exp"), kNow + 3600},
                     {QStringLiteral("scope"), QStringLiteral("read:contacts")}},
                    keys().signing);
    };
    const auto inspected = [](const QByteArray &token, const QStringList &audiences) {
        ExpectedLogin login = expected();
        login.audiences = audiences;
        auto result = validateTokenResponse(fragment(token, sign(idClaims(token), keys().signing)), login, published(), true, true, [] { return kNow; });
        EXPECT_TRUE(result) << result.error().message.toStdString();
        return result && result->accessTokenSignatureValid;
    };
    const QStringList organize{QStringLiteral("organize")};
    EXPECT_TRUE(inspected(accessToken(QStringLiteral("organize")), organize));
    EXPECT_TRUE(inspected(accessToken(QJsonArray{QStringLiteral("organize"), kIssuer + QStringLiteral("userinfo")}), organize));
    EXPECT_TRUE(inspected(accessToken(QJsonArray{kIssuer + QStringLiteral("userinfo"), QStringLiteral("organize")}), organize));
    EXPECT_FALSE(inspected(accessToken(QStringLiteral("https://other.api")), organize)) << "an API the login did not ask for";
    EXPECT_FALSE(inspected(accessToken(QStringLiteral("organize"), QStringLiteral("https://evil.example/")), organize));
    // Nothing asked for: the provider chose the API; its issuer and signature decide.
    EXPECT_TRUE(inspected(accessToken(QStringLiteral("https://other.api")), {}));
    EXPECT_FALSE(inspected(accessToken(QStringLiteral("organize"), QStringLiteral("https://evil.example/")), {}));
    EXPECT_FALSE(inspected(kAccessToken, organize)) << "not signed";
}

TEST(RelyingParty, ReadsTheRedirectAsAFormEncodedString)
{
    // A provider may encode spaces as '+' (application/x-www-form-urlencoded): two granted scopes, not one.
    const QUrl redirect(QStringLiteral("http://localhost:3000/callback#access_token=") + QString::fromLatin1(kAccessToken) + QStringLiteral("&id_token=")
                        + QString::fromLatin1(sign(idClaims(kAccessToken), keys().signing))
                        + QStringLiteral("&token_type=Bearer&expires_in=60&scope=read%3Acontacts+read%3Acalendar&state=the-state"));
    auto result = validate(redirectParameters(redirect));
    ASSERT_TRUE(result) << result.error().message.toStdString();
    EXPECT_EQ(result->grantedScopes, (QStringList{QStringLiteral("read:contacts"), QStringLiteral("read:calendar")}));
    const QUrl query(QStringLiteral("http://localhost:3000/callback?code=a%2Bb+c&state=x"));
    EXPECT_EQ(redirectParameters(query).value(u"code"), QStringLiteral("a+b c"));
}

TEST(RelyingParty, ProviderErrorsReadPlainly)
{
    auto result = validate(FormData::parse("error=access_denied&error_description=User+did+not+authorize+the+request&state=the-state"));
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().providerError, QStringLiteral("access_denied"));
    EXPECT_EQ(result.error().message, QStringLiteral("Access was denied: User did not authorize the request"));
}

TEST(LoginUrl, CarriesFreshSecretsAndAlwaysOpenid)
{
    ProviderMetadata metadata;
    metadata.authorizationEndpoint = QUrl(QStringLiteral("http://127.0.0.1:3001/authorize"));
    LoginSettings settings{
        QUrl(kIssuer), kClient, QStringLiteral("organize"), {}, QUrl(QStringLiteral("http://localhost:3000/callback")), {QStringLiteral("read:contacts")},
        Flow::Implicit};
    const QUrl implicitUrl = LoginSession::authorizationUrl(metadata, settings, QStringLiteral("s t"), QStringLiteral("n"), {});
    const FormData implicit = FormData::parse(implicitUrl.query(QUrl::FullyEncoded).toLatin1());
    EXPECT_EQ(implicit.value(u"response_type"), QStringLiteral("id_token token"));
    EXPECT_EQ(implicit.value(u"scope"), QStringLiteral("openid read:contacts"));
    EXPECT_EQ(implicit.value(u"redirect_uri"), QStringLiteral("http://localhost:3000/callback"));
    EXPECT_EQ(implicit.value(u"audience"), QStringLiteral("organize"));
    EXPECT_FALSE(implicit.contains(u"resource"));
    EXPECT_FALSE(implicit.contains(u"code_challenge"));
    // Exact bytes: spaces as %20 (read the same by form decoders and plain percent-decoders).
    EXPECT_TRUE(implicitUrl.toString(QUrl::FullyEncoded)
                    .contains(QStringLiteral("response_type=id_token%20token&client_id=organizer-desktop"
                                             "&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback"
                                             "&scope=openid%20read%3Acontacts&state=s%20t&nonce=n&audience=organize")))
        << implicitUrl.toString(QUrl::FullyEncoded).toStdString();

    settings.flow = Flow::AuthorizationCodePkce;
    settings.resource = QStringLiteral("https://api.example.com/organize");
    const FormData code = FormData::parse(LoginSession::authorizationUrl(metadata, settings, QStringLiteral("s"), QStringLiteral("n"), QStringLiteral("ch"))
                                              .query(QUrl::FullyEncoded)
                                              .toLatin1());
    EXPECT_EQ(code.value(u"response_type"), QStringLiteral("code"));
    EXPECT_EQ(code.value(u"code_challenge"), QStringLiteral("ch"));
    EXPECT_EQ(code.value(u"code_challenge_method"), QStringLiteral("S256"));
    EXPECT_EQ(code.value(u"resource"), QStringLiteral("https://api.example.com/organize")); // RFC 8707

    EXPECT_NE(LoginSession::randomSecret(), LoginSession::randomSecret());
    EXPECT_EQ(LoginSession::randomSecret().size(), 43);
}

TEST(LoginUrl, PkceChallengeMatchesRfc7636AppendixB)
{
    EXPECT_EQ(LoginSession::pkceChallenge(QStringLiteral("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")),
              QStringLiteral("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
}

TEST(Redirect, ParametersComeFromTheFragmentOrTheQuery)
{
    EXPECT_EQ(redirectParameters(QUrl(QStringLiteral("http://localhost:3000/callback#access_token=a&state=s"))).value(u"state"), QStringLiteral("s"));
    EXPECT_EQ(redirectParameters(QUrl(QStringLiteral("http://localhost:3000/callback?code=c&state=s"))).value(u"code"), QStringLiteral("c"));
}

TEST(Redirect, SessionRecognizesOnlyItsRedirectUri)
{
    OidcClient client;
    LoginSession session(&client);
    EXPECT_FALSE(session.isRedirect(QUrl(QStringLiteral("http://localhost:3000/callback#x")))); // no login in progress
    session.start({QUrl(QStringLiteral("http://127.0.0.1:9/")), kClient, {}, {}, QUrl(QStringLiteral("http://localhost:3000/callback")), {}, Flow::Implicit});
    EXPECT_TRUE(session.isRedirect(QUrl(QStringLiteral("http://localhost:3000/callback#access_token=a"))));
    EXPECT_FALSE(session.isRedirect(QUrl(QStringLiteral("http://localhost:3000/callbackx"))));
    EXPECT_FALSE(session.isRedirect(QUrl(QStringLiteral("http://localhost:3001/callback"))));
    EXPECT_FALSE(session.isRedirect(QUrl(QStringLiteral("http://127.0.0.1:3001/login"))));
}

TEST(ApiScopes, EachRouteNeedsItsOwnScope)
{
    EXPECT_EQ(requiredScope("GET", QStringLiteral("/api/contacts")), QStringLiteral("read:contacts"));
    EXPECT_EQ(requiredScope("POST", QStringLiteral("/api/contacts")), QStringLiteral("create:contacts"));
    EXPECT_EQ(requiredScope("PUT", QStringLiteral("/api/appointments/3")), QStringLiteral("update:calendar"));
    EXPECT_EQ(requiredScope("DELETE", QStringLiteral("/api/calendar/3")), QStringLiteral("delete:calendar"));
    EXPECT_EQ(requiredScope("DELETE", QStringLiteral("/api/contacts")), QString());
    EXPECT_EQ(requiredScope("GET", QStringLiteral("/healthz")), QString());
}

TEST(ApiCalls, SummariesAreReadable)
{
    ApiCall forbidden;
    forbidden.status = 403;
    forbidden.body = R"({"error":"insufficient_scope","error_description":"this token lacks the create:contacts scope","scope":"create:contacts"})";
    EXPECT_EQ(forbidden.summary(), QStringLiteral("403: this token lacks create:contacts"));
    ApiCall unreachable;
    unreachable.error = QStringLiteral("Connection refused");
    EXPECT_EQ(unreachable.summary(), QStringLiteral("No answer: Connection refused"));
}

TEST(RelyingParty, AnUnknownKidAsksForFreshKeysAndABadSignatureDoesNot)
{
    auto unknown = validate(fragment(kAccessToken, sign(idClaims(kAccessToken), keys().signing, QStringLiteral("rotated"))));
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().kind, LoginError::Kind::InvalidIdToken);
    EXPECT_TRUE(unknown.error().unknownSigningKey);
    auto forged = validate(fragment(kAccessToken, sign(idClaims(kAccessToken), keys().other)));
    ASSERT_FALSE(forged);
    EXPECT_FALSE(forged.error().unknownSigningKey);
}

// ---------------------------------------------------------------------------------------------
// Login automation: pages are recognised by what they offer, not by where they live.

namespace {

// A browser whose pages are scripted: each answer the automation gives loads the next page.
class ScriptedBrowser : public LoginBrowser
{
public:
    QList<PageShape> pages; // shown in order
    QStringList actions;
    int shown = -1;

    void open(const QUrl &) override { next(); }
    void inspect(std::function<void(const PageShape &)> done) override
    {
        const PageShape page = shown >= 0 && shown < pages.size() ? pages.at(shown) : PageShape{};
        QTimer::singleShot(0, this, [page, done] { done(page); });
    }
    void submitLogin(const QString &login, const QString &password) override
    {
        actions << QStringLiteral("submit %1/%2").arg(login, password.isEmpty() ? QString() : QStringLiteral("***"));
        next();
    }
    void answerConsent(bool accept) override
    {
        actions << (accept ? QStringLiteral("accept") : QStringLiteral("deny"));
        next();
    }
    void clearSession() override {}

private:
    void next()
    {
        ++shown;
        if (shown < pages.size())
            QTimer::singleShot(0, this, [this] { Q_EMIT pageLoaded(pages.at(shown).url, true); });
    }
};

PageShape shape(const char *url, bool identifier, bool password, bool accept, const QString &error = {})
{
    PageShape page;
    page.url = QUrl(QString::fromLatin1(url));
    page.title = QStringLiteral("Title");
    page.identifierField = identifier;
    page.passwordField = password;
    page.acceptButton = accept;
    page.errorText = error;
    page.formAction = QStringLiteral("POST ") + page.url.path();
    return page;
}

struct AutomationRun
{
    QStringList actions;
    QString failure;
    bool consented = false;
    qint64 ms = 0;
};

AutomationRun automate(QList<PageShape> pages)
{
    ScriptedBrowser browser;
    browser.pages = std::move(pages);
    LoginAutomation automation(&browser);
    AutomationRun run;
    QObject::connect(&automation, &LoginAutomation::failed, [&run](const QString &reason) { run.failure = reason; });
    QObject::connect(&automation, &LoginAutomation::consentAccepted, [&run] { run.consented = true; });
    automation.expect(QStringLiteral("alice@example.com"), QStringLiteral("secret"));
    QElapsedTimer timer;
    timer.start();
    browser.open({});
    organizer::test::waitFor([&] { return !run.failure.isEmpty() || browser.shown >= browser.pages.size(); }, 10'000);
    run.ms = timer.elapsed();
    run.actions = browser.actions;
    return run;
}

} // namespace

TEST(LoginAutomation, FillsALoginPageThenAcceptsConsent)
{
    const AutomationRun run = automate({shape("http://op/login", true, true, false), shape("http://op/consent", false, false, true)});
    EXPECT_EQ(run.actions, (QStringList{QStringLiteral("submit alice@example.com/***"), QStringLiteral("accept")}));
    EXPECT_TRUE(run.consented);
    EXPECT_TRUE(run.failure.isEmpty()) << run.failure.toStdString();
}

TEST(LoginAutomation, FollowsAnIdentifierFirstLogin)
{
    // Auth0's Universal Login: the identifier on one page, the password on the next.
    const AutomationRun run = automate({shape("http://op/u/login", true, false, false), shape("http://op/u/login/password", false, true, false),
                                        shape("http://op/u/consent", false, false, true)});
    EXPECT_EQ(run.actions, (QStringList{QStringLiteral("submit alice@example.com/"), QStringLiteral("submit /***"), QStringLiteral("accept")}));
    EXPECT_TRUE(run.failure.isEmpty()) << run.failure.toStdString();
}

TEST(LoginAutomation, APasswordPageThatComesBackIsARefusedLogin)
{
    const AutomationRun run = automate({shape("http://op/u/login", true, false, false), shape("http://op/u/login/password", false, true, false),
                                        shape("http://op/u/login/password", false, true, false, QStringLiteral("Wrong email or password"))});
    EXPECT_EQ(run.actions.size(), 2);
    EXPECT_TRUE(run.failure.contains(QStringLiteral("the password page came back (wrong email or password for alice@example.com?)")));
    EXPECT_TRUE(run.failure.contains(QStringLiteral("Wrong email or password")));
}

TEST(LoginAutomation, AnUnrecognisedPageIsNamedWithinSeconds)
{
    const AutomationRun run = automate({shape("http://op/u/mfa?state=x", false, false, false, QStringLiteral("Enter the code we sent"))});
    EXPECT_TRUE(run.actions.isEmpty());
    EXPECT_TRUE(run.failure.contains(QStringLiteral("the page http://op/u/mfa (\"Title\") has no login form"))) << run.failure.toStdString();
    EXPECT_TRUE(run.failure.contains(QStringLiteral("Enter the code we sent")));
    EXPECT_GE(run.ms, LoginAutomation::kRecogniseWithinMs - 500); // scripts get time to build the page…
    EXPECT_LT(run.ms, LoginAutomation::kRecogniseWithinMs + 3000); // …but the answer comes within seconds
}

TEST(LoginAutomation, DisarmedItTouchesNothing)
{
    ScriptedBrowser browser;
    browser.pages = {shape("http://op/login", true, true, false)};
    LoginAutomation automation(&browser);
    browser.open({});
    organizer::test::waitFor([] { return false; }, 300);
    EXPECT_TRUE(browser.actions.isEmpty());
}

// ---------------------------------------------------------------------------------------------
// A provider from the command line

namespace {

Expected<Profile, QString> resolveArguments(const QStringList &arguments, ProfileStore &store)
{
    QCommandLineParser parser;
    ProviderOptions options;
    options.addTo(parser);
    EXPECT_TRUE(parser.parse(QStringList{QStringLiteral("organizer")} + arguments)) << parser.errorText().toStdString();
    return options.resolve(parser, store);
}

} // namespace

TEST(ProviderOptions, InlineProviderBecomesAProfile)
{
    QSettings settings(QDir::temp().filePath(QStringLiteral("organizer-provider-options-%1.ini").arg(QCoreApplication::applicationPid())),
                       QSettings::IniFormat);
    ProfileStore store(&settings);
    auto profile = resolveArguments({QStringLiteral("--issuer"), QStringLiteral("https://tenant.example.com/"), QStringLiteral("--client-id"),
                                     QStringLiteral("abc"), QStringLiteral("--resource"), QStringLiteral("urn:organize"), QStringLiteral("--api-base"),
                                     QStringLiteral("http://127.0.0.1:3010/")},
                                    store);
    ASSERT_TRUE(profile) << profile.error().toStdString();
    EXPECT_FALSE(profile->local);
    EXPECT_EQ(profile->issuer, QUrl(QStringLiteral("https://tenant.example.com/")));
    EXPECT_EQ(profile->clientId, QStringLiteral("abc"));
    EXPECT_TRUE(profile->audience.isEmpty());
    EXPECT_EQ(profile->resource, QStringLiteral("urn:organize"));
    EXPECT_EQ(profile->apiBaseUrl, QUrl(QStringLiteral("http://127.0.0.1:3010/")));
    EXPECT_EQ(profile->loginSettings({}).resource, QStringLiteral("urn:organize"));

    EXPECT_TRUE(resolveArguments({}, store)->local);

    Profile saved;
    saved.name = QStringLiteral("Tenant");
    saved.issuer = QUrl(QStringLiteral("https://tenant.example.com/"));
    store.save({Profile::localProfile(), saved});
    auto byName = resolveArguments({QStringLiteral("--profile"), QStringLiteral("Tenant")}, store);
    ASSERT_TRUE(byName);
    EXPECT_EQ(byName->issuer, saved.issuer);
    QFile::remove(settings.fileName());
}

TEST(ProviderOptions, MistakesNameTheOption)
{
    QSettings settings(QDir::temp().filePath(QStringLiteral("organizer-provider-options-b-%1.ini").arg(QCoreApplication::applicationPid())),
                       QSettings::IniFormat);
    ProfileStore store(&settings);
    const QString issuer = QStringLiteral("https://tenant.example.com/");
    const struct
    {
        QStringList arguments;
        const char *message;
    } cases[] = {
        {{QStringLiteral("--client-id"), QStringLiteral("x")}, "--client-id needs --issuer"},
        {{QStringLiteral("--issuer"), issuer, QStringLiteral("--api-base"), QStringLiteral("http://a/")}, "--issuer needs --client-id"},
        {{QStringLiteral("--issuer"), issuer, QStringLiteral("--client-id"), QStringLiteral("x")}, "--issuer needs --api-base"},
        {{QStringLiteral("--issuer"), QStringLiteral("ftp://x/"), QStringLiteral("--client-id"), QStringLiteral("x"), QStringLiteral("--api-base"),
          QStringLiteral("http://a/")},
         "--issuer must be an absolute http(s) URL"},
        {{QStringLiteral("--issuer"), issuer, QStringLiteral("--client-id"), QStringLiteral("x"), QStringLiteral("--api-base"), QStringLiteral("http://a/"),
          QStringLiteral("--resource"), QStringLiteral("relative/path")},
         "--resource must be an absolute URI"},
        {{QStringLiteral("--issuer"), issuer, QStringLiteral("--profile"), QStringLiteral("p")}, "either --profile or --issuer"},
        {{QStringLiteral("--profile"), QStringLiteral("Nope")}, "no profile named \"Nope\""},
    };
    for (const auto &c : cases) {
        auto result = resolveArguments(c.arguments, store);
        ASSERT_FALSE(result) << c.message;
        EXPECT_TRUE(result.error().contains(QLatin1String(c.message))) << result.error().toStdString();
    }
    QFile::remove(settings.fileName());
}

TEST(ScopeMenu, OffersTheApiScopesEvenWhenDiscoveryListsNone)
{
    Profile profile;
    profile.scopes = {QStringLiteral("openid"), QStringLiteral("read:samples")};
    // Auth0's discovery names only OpenID scopes.
    const QStringList choices = scopeChoices(profile, {QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("offline_access")});
    for (const QString &scope : organizerApiScopes())
        EXPECT_TRUE(choices.contains(scope)) << scope.toStdString();
    EXPECT_TRUE(choices.contains(QStringLiteral("read:samples")));
    EXPECT_TRUE(choices.contains(QStringLiteral("offline_access")));
    EXPECT_FALSE(choices.contains(QStringLiteral("openid")));
    EXPECT_EQ(choices.count(QStringLiteral("profile")), 1);
}

// The Tenant tab reaches an Auth0 tenant the way Auth0 lays it out: the Management API and the token
// endpoint under the issuer, the audience the issuer plus api/v2/. The bundled server has the same layout.
TEST(TenantAdmin, ReachesAnyIssuerByAuth0sLayout)
{
    const app::ManagementTarget auth0
        = app::ManagementTarget::forIssuer(QUrl(QStringLiteral("https://organizer-demo.eu.auth0.com/")), QStringLiteral("m2m"), QStringLiteral("s"));
    EXPECT_EQ(auth0.apiBase, QUrl(QStringLiteral("https://organizer-demo.eu.auth0.com/api/v2/")));
    EXPECT_EQ(auth0.tokenEndpoint, QUrl(QStringLiteral("https://organizer-demo.eu.auth0.com/oauth/token")));
    EXPECT_EQ(auth0.audience, QStringLiteral("https://organizer-demo.eu.auth0.com/api/v2/"));
    EXPECT_TRUE(auth0.isValid());
    // An issuer written without its trailing slash still has the same layout.
    EXPECT_EQ(app::ManagementTarget::forIssuer(QUrl(QStringLiteral("http://127.0.0.1:3001")), QStringLiteral("m"), QStringLiteral("s")).audience,
              QStringLiteral("http://127.0.0.1:3001/api/v2/"));
    EXPECT_FALSE(app::ManagementTarget::forIssuer(QUrl(QStringLiteral("https://x/")), QStringLiteral("m"), QString()).isValid()) << "no secret, no target";
}

// An Auth0 tenant has no organizer_apis: the record tabs are the catalogue's. A declared API the
// server lists is added; a malformed one is left out, not shown half.
TEST(TenantAdmin, RecordApisAreTheCataloguesPlusWhatTheServerDeclares)
{
    app::TenantAdmin admin;
    EXPECT_EQ(admin.recordApis(QStringLiteral("organize")), catalogue::organizerService().apis);
    app::ApiClient api;
    app::RecordsController records(&api);
    EXPECT_EQ(records.apis(), catalogue::organizerService().apis);
    QList<catalogue::ApiSpec> more = catalogue::organizerService().apis;
    more.append(
        catalogue::declaredApiFromJson(QJsonDocument::fromJson(R"({"name":"samples","fields":[{"name":"title"}]})").object(), QStringLiteral("x")).value());
    int changes = 0;
    QObject::connect(&records, &app::RecordsController::apisChanged, [&changes] { ++changes; });
    records.setApis(more);
    records.setApis(more);
    EXPECT_EQ(changes, 1) << "the same APIs again change nothing";
    ASSERT_NE(records.api(QStringLiteral("samples")), nullptr);
    EXPECT_EQ(records.api(QStringLiteral("samples"))->path(), QStringLiteral("/api/samples"));
}

// The Management API's answers as typed values: the wire keys are read in app/core only, and an
// answer that cannot be read says which member and why.
TEST(ManagementValues, AResourceServerIsReadIntoItsSettings)
{
    const auto system = app::resourceServerFromJson(
        QJsonDocument::fromJson(R"({"id":"rs0","name":"Auth0 Management API","identifier":"http://x/api/v2/","is_system":true,"signing_alg":"RS256"})")
            .object(),
        QStringLiteral("resource_servers[0]"));
    ASSERT_TRUE(system) << system.error().toStdString();
    EXPECT_TRUE(system->isSystem);
    EXPECT_EQ(system->signingAlgorithm, QStringLiteral("RS256"));
    EXPECT_EQ(system->tokenLifetimeSeconds, 86400) << "absent: Auth0's default";

    const auto custom = app::resourceServerFromJson(QJsonDocument::fromJson(R"({"id":"rs1","name":"Organizer Service","identifier":"organize",
        "token_lifetime":600,"enforce_policies":true,"token_dialect":"access_token_authz","allow_offline_access":false,
        "scopes":[{"value":"read:contacts","description":"Read your contacts"},{"value":"read:calendar"}],
        "organizer_apis":[{"name":"contacts","builtin":true,"path":"/api/contacts","scopes":["read:contacts"]},
                          {"name":"samples","fields":[{"name":"title"}],"path":"/api/samples","scopes":["read:samples"],"builtin":false},
                          {"name":"broken","fields":"no"}]})")
                                                        .object(),
                                                    QStringLiteral("resource_servers[1]"));
    ASSERT_TRUE(custom) << custom.error().toStdString();
    EXPECT_FALSE(custom->isSystem);
    EXPECT_EQ(custom->tokenLifetimeSeconds, 600);
    EXPECT_TRUE(custom->rbac);
    EXPECT_TRUE(custom->permissionsInToken);
    EXPECT_FALSE(custom->allowOfflineAccess);
    EXPECT_EQ(custom->scopeValues(), (QStringList{QStringLiteral("read:contacts"), QStringLiteral("read:calendar")}));
    EXPECT_EQ(custom->scopes.at(0).description, QStringLiteral("Read your contacts"));
    ASSERT_EQ(custom->declaredApis.size(), 1) << "the built-in API is the catalogue's, the malformed one is left out";
    EXPECT_EQ(custom->declaredApis.at(0).name, QStringLiteral("samples"));
}

TEST(ManagementValues, WhatCannotBeReadIsNamed)
{
    const auto wrongType
        = app::resourceServerFromJson(QJsonDocument::fromJson(R"({"id":7,"identifier":"organize"})").object(), QStringLiteral("resource_servers[2]"));
    ASSERT_FALSE(wrongType);
    EXPECT_EQ(wrongType.error(), QStringLiteral("resource_servers[2].id: expected a string"));
    const auto badScope = app::resourceServerFromJson(QJsonDocument::fromJson(R"({"id":"a","scopes":[{"value":false}]})").object(), QStringLiteral("rs"));
    ASSERT_FALSE(badScope);
    EXPECT_EQ(badScope.error(), QStringLiteral("rs.scopes[0].value: expected a string"));
    const auto systemAsText = app::resourceServerFromJson(QJsonDocument::fromJson(R"({"id":"a","is_system":"yes"})").object(), QStringLiteral("rs"));
    ASSERT_FALSE(systemAsText);
    EXPECT_EQ(systemAsText.error(), QStringLiteral("rs.is_system: expected true or false"));
    EXPECT_EQ(app::userFromJson(QJsonValue(3), QStringLiteral("users[0]")).error(), QStringLiteral("users[0]: expected an object"));

    const auto notJson = app::managementPageFromJson("{not json", QStringLiteral("users"));
    ASSERT_FALSE(notJson);
    EXPECT_TRUE(notJson.error().startsWith(QLatin1String("the answer is not JSON"))) << notJson.error().toStdString();
    const auto notAList = app::managementPageFromJson(R"({"users":{},"total":1})", QStringLiteral("users"));
    ASSERT_FALSE(notAList);
    EXPECT_EQ(notAList.error(), QStringLiteral("users: expected a list"));
    const auto page = app::managementPageFromJson(R"({"users":[{"user_id":"auth0|alice"}],"total":3})", QStringLiteral("users"));
    ASSERT_TRUE(page) << page.error().toStdString();
    EXPECT_EQ(page->items.size(), 1);
    EXPECT_EQ(page->total, 3);

    const auto users = app::listFromJson<app::User>(QJsonDocument::fromJson(R"([{"user_id":"a","email":"a@example.com"},{"user_id":["b"]}])").array(),
                                                    QStringLiteral("users"), app::userFromJson);
    ASSERT_FALSE(users);
    EXPECT_EQ(users.error(), QStringLiteral("users[1].user_id: expected a string"));
}

TEST(ManagementValues, GrantsPermissionsAndEditsSpeakAuth0sShapes)
{
    const auto grant = app::clientGrantFromJson(
        QJsonDocument::fromJson(R"({"id":"cg1","client_id":"organizer-admin","audience":"organize","scope":["read:contacts"]})").object(), QStringLiteral("g"));
    ASSERT_TRUE(grant);
    EXPECT_EQ(grant->scopes, QStringList{QStringLiteral("read:contacts")});
    const auto client = app::clientFromJson(QJsonDocument::fromJson(R"({"client_id":"m","grant_types":["client_credentials"]})").object(), QStringLiteral("c"));
    ASSERT_TRUE(client);
    EXPECT_TRUE(client->usesClientCredentials());

    const auto direct = app::permissionFromJson(QJsonDocument::fromJson(R"({"permission_name":"read:contacts","resource_server_identifier":"organize",
        "sources":[{"source_type":"DIRECT"}]})")
                                                    .object(),
                                                QStringLiteral("p"));
    ASSERT_TRUE(direct);
    EXPECT_TRUE(direct->isDirect());
    const auto viaRole = app::permissionFromJson(QJsonDocument::fromJson(R"({"permission_name":"read:contacts","resource_server_identifier":"organize",
        "sources":[{"source_type":"ROLE","source_name":"Readers"}]})")
                                                     .object(),
                                                 QStringLiteral("p"));
    ASSERT_TRUE(viaRole);
    EXPECT_FALSE(viaRole->isDirect());
    EXPECT_EQ(viaRole->sources.at(0).roleName, QStringLiteral("Readers"));

    app::ApiSettingsEdit edit;
    EXPECT_TRUE(edit.toJson().isEmpty()) << "a PATCH sends only what is set";
    edit.rbac = true;
    edit.permissionsInToken = false;
    edit.scopes = QList<app::ScopeDefinition>{{QStringLiteral("read:x"), QStringLiteral("Read x")}};
    const QJsonObject body = edit.toJson();
    EXPECT_EQ(body.value(QLatin1String("enforce_policies")), QJsonValue(true));
    EXPECT_EQ(body.value(QLatin1String("token_dialect")), QJsonValue(QStringLiteral("access_token")));
    EXPECT_FALSE(body.contains(QLatin1String("token_lifetime")));
    EXPECT_EQ(body.value(QLatin1String("scopes")).toArray().at(0).toObject().value(QLatin1String("value")).toString(), QStringLiteral("read:x"));

    app::TenantAdmin admin;
    EXPECT_FALSE(admin.resourceServer(QStringLiteral("organize")).has_value());
    EXPECT_TRUE(admin.scopes(QStringLiteral("organize")).isEmpty());
}

// The default login scopes and the audience come from the catalogue, not from a list typed out again.
TEST(DefaultScopes, AreOpenidProfileAndEachApisReadScope)
{
    EXPECT_EQ(app::defaultLoginScopes(),
              (QStringList{QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("read:contacts"), QStringLiteral("read:calendar")}));
    EXPECT_EQ(app::Profile().scopes, app::defaultLoginScopes());
    EXPECT_EQ(app::Profile().audience, catalogue::organizerService().identifier);
}

// The controller hands the login's access token to the records client itself: no window is needed,
// and whoever hears of the login finds the token already there.
TEST(AppController, HandsTheTokenToTheRecordsClientWithoutAWindow)
{
    ServerLauncher server;
    OidcClient oidc;
    LoginSession session(&oidc);
    ApiClient api;
    AppController controller(&server, &session, &api);
    ASSERT_FALSE(api.hasAccessToken());
    bool tokenThereWhenTold = false;
    QObject::connect(&controller, &AppController::loggedIn, [&](const LoginResult &) { tokenThereWhenTold = api.hasAccessToken(); });
    LoginResult result;
    result.accessToken = "eyJ.access.token";
    result.grantedScopes = {QStringLiteral("openid"), QStringLiteral("read:contacts")};
    Q_EMIT session.succeeded(result);
    EXPECT_TRUE(api.hasAccessToken());
    EXPECT_TRUE(tokenThereWhenTold) << "loggedIn() comes after the hand-off";
    ASSERT_TRUE(controller.login().has_value());
    EXPECT_EQ(controller.login()->grantedScopes, result.grantedScopes);
    bool toldOut = false;
    QObject::connect(&controller, &AppController::loggedOut, [&toldOut] { toldOut = true; });
    controller.logout();
    EXPECT_FALSE(api.hasAccessToken());
    EXPECT_FALSE(controller.login().has_value());
    EXPECT_TRUE(toldOut);
}

TEST(AppController, PicksTheManagementSecretAndTheBrowser)
{
    qunsetenv("ORGANIZER_MANAGEMENT_CLIENT_SECRET");
    const Profile local = Profile::localProfile();
    EXPECT_EQ(AppController::knownManagementSecret(local), AppController::demoTenantTarget(QUrl()).clientSecret) << "the demo tenant's is public";
    Profile remote;
    remote.name = QStringLiteral("Remote");
    remote.issuer = QUrl(QStringLiteral("http://127.0.0.1:9/"));
    remote.managementClientId = QStringLiteral("organizer-admin");
    EXPECT_TRUE(AppController::knownManagementSecret(remote).isEmpty()) << "another tenant's secret is never assumed";

    ServerLauncher server;
    OidcClient oidc;
    LoginSession session(&oidc);
    ApiClient api;
    AppController controller(&server, &session, &api);
    controller.useProfile(remote);
    EXPECT_EQ(controller.connectTenant(), AppController::TenantAccess::NeedsSecret);
    EXPECT_FALSE(controller.tenantAdmin()->hasTarget());
    EXPECT_EQ(controller.connectTenant(QStringLiteral("typed-in")), AppController::TenantAccess::Connected);
    EXPECT_EQ(controller.tenantAdmin()->target().clientId, QStringLiteral("organizer-admin"));
    EXPECT_EQ(controller.tenantAdmin()->target().apiBase, QUrl(QStringLiteral("http://127.0.0.1:9/api/v2/")));
    qputenv("ORGANIZER_MANAGEMENT_CLIENT_SECRET", "from-the-environment");
    EXPECT_EQ(AppController::knownManagementSecret(remote), QStringLiteral("from-the-environment"));
    EXPECT_EQ(AppController::knownManagementSecret(local), QStringLiteral("from-the-environment"));
    qunsetenv("ORGANIZER_MANAGEMENT_CLIENT_SECRET");
    remote.managementClientId.clear();
    controller.useProfile(remote);
    EXPECT_EQ(controller.connectTenant(), AppController::TenantAccess::NoManagementClient);
    EXPECT_FALSE(controller.tenantAdmin()->hasTarget());

    // One decision for the browser: the bundled server's login always in the embedded view.
    Profile system = remote;
    system.useSystemBrowser = true;
    EXPECT_EQ(LoginController::browserFor(system), AppController::Browser::System);
    Profile localSystem = local;
    localSystem.useSystemBrowser = true;
    EXPECT_EQ(LoginController::browserFor(localSystem), AppController::Browser::Embedded);
    EXPECT_FALSE(controller.canLogIn(local)) << "the bundled server is not running";
    EXPECT_TRUE(controller.canLogIn(remote));
}

TEST(DemoOptions, ComeFromTheCommandLineAsOneValue)
{
    const auto parse = [](const QStringList &arguments) {
        QCommandLineParser parser;
        DemoOptions::addTo(parser);
        EXPECT_TRUE(parser.parse(QStringList{QStringLiteral("organizer")} + arguments)) << parser.errorText().toStdString();
        return DemoOptions::fromParser(parser);
    };
    const auto defaults = parse({});
    ASSERT_TRUE(defaults);
    EXPECT_FALSE(defaults->demo);
    EXPECT_EQ(defaults->user, QStringLiteral("alice@example.com"));
    EXPECT_EQ(defaults->flow, Flow::Implicit);
    EXPECT_EQ(defaults->scopes, defaultLoginScopes());
    const auto given = parse({QStringLiteral("--demo"), QStringLiteral("--flow"), QStringLiteral("code"), QStringLiteral("--user"),
                              QStringLiteral("bob@example.com"), QStringLiteral("--exit-when-done"), QStringLiteral("--tutorial")});
    ASSERT_TRUE(given);
    EXPECT_TRUE(given->demo && given->exitWhenDone && given->tutorial);
    EXPECT_EQ(given->flow, Flow::AuthorizationCodePkce);
    EXPECT_EQ(given->user, QStringLiteral("bob@example.com"));
    const auto wrong = parse({QStringLiteral("--flow"), QStringLiteral("password")});
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error(), QStringLiteral("--flow must be implicit or code, not \"password\""));
}

// ---------------------------------------------------------------------------------------------
// The controller under the window: profiles, the login's intents, the tenant's intents

namespace {

// The settings file of one test, and a store over it.
struct SavedProfiles
{
    QTemporaryDir dir;
    QString path = dir.filePath(QStringLiteral("organizer.ini"));
    QSettings settings{path, QSettings::IniFormat};
    ProfileStore store{&settings};

    // What another start of the app would read.
    QList<Profile> reread() const
    {
        QSettings again(path, QSettings::IniFormat);
        return ProfileStore(&again).load();
    }
    QString rereadCurrent() const
    {
        QSettings again(path, QSettings::IniFormat);
        return ProfileStore(&again).currentName();
    }
};

Profile tenantProfile(const QString &name)
{
    Profile profile;
    profile.name = name;
    profile.issuer = QUrl(QStringLiteral("http://127.0.0.1:9/"));
    profile.apiBaseUrl = QUrl(QStringLiteral("http://127.0.0.1:9/"));
    return profile;
}

QStringList names(const QList<Profile> &profiles)
{
    QStringList out;
    for (const Profile &profile : profiles)
        out.append(profile.name);
    return out;
}

} // namespace

// The profiles live under the controller: the window asks for each change, and each is saved at
// once; one from the command line is used without being saved until something edits it.
TEST(ProfileList, TheControllerKeepsAndSavesTheProfilesTheWindowShows)
{
    SavedProfiles saved;
    saved.store.save({Profile::localProfile(), tenantProfile(QStringLiteral("Saved"))});
    saved.store.setCurrentName(QStringLiteral("Saved"));
    ServerLauncher server;
    OidcClient oidc;
    LoginSession session(&oidc);
    ApiClient api;
    AppController controller(&server, &session, &api, &saved.store);
    const ProfileList *profiles = controller.profiles();
    EXPECT_EQ(profiles->names(), (QStringList{QStringLiteral("Local"), QStringLiteral("Saved")}));
    EXPECT_EQ(profiles->savedCurrentName(), QStringLiteral("Saved"));
    EXPECT_TRUE(controller.profile().local) << "nothing is followed before the window picks a profile";

    int listChanges = 0;
    QStringList currents;
    QObject::connect(profiles, &ProfileList::listChanged, [&listChanges] { ++listChanges; });
    QObject::connect(profiles, &ProfileList::currentChanged, [&currents](const Profile &profile) { currents.append(profile.name); });

    controller.selectProfile(profiles->savedCurrentName());
    EXPECT_EQ(controller.profile().name, QStringLiteral("Saved"));
    EXPECT_EQ(currents, QStringList{QStringLiteral("Saved")});

    // Edits of the current profile are saved as they happen.
    controller.setFlow(Flow::AuthorizationCodePkce);
    controller.setScopeRequested(QStringLiteral("read:calendar"), false);
    controller.setScopeRequested(QStringLiteral("create:contacts"), true);
    const Profile stored = saved.reread().at(1);
    EXPECT_EQ(stored.flow, Flow::AuthorizationCodePkce);
    EXPECT_FALSE(stored.scopes.contains(QStringLiteral("read:calendar")));
    EXPECT_TRUE(stored.scopes.contains(QStringLiteral("create:contacts")));

    // A new profile is saved and in use; an edit under a new name replaces the old one.
    controller.saveProfile(tenantProfile(QStringLiteral("New")));
    EXPECT_EQ(controller.profile().name, QStringLiteral("New"));
    EXPECT_EQ(names(saved.reread()), (QStringList{QStringLiteral("Local"), QStringLiteral("Saved"), QStringLiteral("New")}));
    EXPECT_EQ(saved.rereadCurrent(), QStringLiteral("New"));
    Profile renamed = controller.profile();
    renamed.name = QStringLiteral("Renamed");
    controller.saveProfile(renamed, QStringLiteral("New"));
    EXPECT_EQ(names(saved.reread()), (QStringList{QStringLiteral("Local"), QStringLiteral("Saved"), QStringLiteral("Renamed")}));
    EXPECT_EQ(listChanges, 2);

    // One from the command line: in use, not saved; saved with the first edit.
    controller.useProfile(tenantProfile(QStringLiteral("From the command line")));
    EXPECT_EQ(controller.profile().name, QStringLiteral("From the command line"));
    EXPECT_EQ(profiles->names().size(), 4);
    EXPECT_EQ(saved.reread().size(), 3) << "not saved until edited";
    controller.setFlow(Flow::Implicit);
    EXPECT_EQ(saved.reread().size(), 4);

    // Removing: never Local; the removed one's place goes to Local.
    EXPECT_FALSE(controller.removeProfile(QStringLiteral("Local")));
    EXPECT_TRUE(controller.removeProfile(QStringLiteral("From the command line")));
    EXPECT_TRUE(controller.profile().local);
    EXPECT_EQ(names(saved.reread()), (QStringList{QStringLiteral("Local"), QStringLiteral("Saved"), QStringLiteral("Renamed")}));
    EXPECT_EQ(saved.rereadCurrent(), QStringLiteral("Local"));
    EXPECT_EQ(currents.last(), QStringLiteral("Local"));

    // Selecting a profile that is gone falls back to Local.
    controller.selectProfile(QStringLiteral("Saved"));
    controller.selectProfile(QStringLiteral("Nope"));
    EXPECT_TRUE(controller.profile().local);

    // Without a store (the headless runs): Local only, and nothing written anywhere.
    ProfileList memory;
    EXPECT_EQ(memory.names(), QStringList{QStringLiteral("Local")});
    memory.put(tenantProfile(QStringLiteral("Kept in memory")));
    EXPECT_EQ(memory.current().name, QStringLiteral("Kept in memory"));
}

// The window's login goes through the controller: it refuses when the bundled server is not up,
// the walkthrough's login adds its scopes to the profile, the failure and the pages the view loaded
// come back through it, and the tokens to copy are there only while logged in.
TEST(AppController, TheLoginsIntentsGoThroughTheControllerNotTheSession)
{
    SavedProfiles saved;
    ServerLauncher server;
    OidcClient oidc;
    LoginSession session(&oidc);
    ApiClient api;
    AppController controller(&server, &session, &api, &saved.store);
    controller.selectProfile(QStringLiteral("Local"));
    std::optional<AppController::Browser> starting;
    QObject::connect(&controller, &AppController::loginStarting, [&starting](AppController::Browser browser) { starting = browser; });

    const auto refused = controller.logIn();
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error(), QStringLiteral("The bundled server is not running yet."));
    EXPECT_FALSE(starting.has_value()) << "no login dialog for a login that cannot start";
    EXPECT_FALSE(controller.isLoggingIn());

    // A provider nothing listens on: the login starts in the embedded view, then fails plainly.
    controller.saveProfile(tenantProfile(QStringLiteral("Unreachable")));
    std::optional<LoginError> failure;
    QObject::connect(&controller, &AppController::loginFailed, [&failure](const LoginError &error) { failure = error; });
    bool scopeMenuTold = false;
    QObject::connect(&controller, &AppController::scopeChoicesChanged, [&scopeMenuTold] { scopeMenuTold = true; });
    const auto started = controller.logInAskingFor({QStringLiteral("read:samples")});
    ASSERT_TRUE(started) << started.error().toStdString();
    EXPECT_EQ(*started, AppController::Browser::Embedded);
    EXPECT_EQ(starting, AppController::Browser::Embedded);
    EXPECT_TRUE(scopeMenuTold);
    EXPECT_TRUE(controller.profile().scopes.contains(QStringLiteral("read:samples")));
    EXPECT_TRUE(saved.reread().at(1).scopes.contains(QStringLiteral("read:samples"))) << "the walkthrough's scopes are saved with the profile";
    EXPECT_TRUE(controller.isLoggingIn());
    EXPECT_TRUE(controller.isLoginRedirect(QUrl(QStringLiteral("http://localhost:3000/callback#access_token=x"))));
    EXPECT_FALSE(controller.isLoginRedirect(QUrl(QStringLiteral("http://localhost:3000/other"))));

    // The pages a person acts on become steps of the timeline; other navigation does not.
    const qsizetype before = controller.loginController()->timeline().steps().size();
    controller.notePageLoaded(QUrl(QStringLiteral("http://127.0.0.1:9/login?state=x")));
    controller.notePageLoaded(QUrl(QStringLiteral("http://127.0.0.1:9/favicon.ico")));
    controller.notePageLoaded(QUrl(QStringLiteral("http://127.0.0.1:9/consent")));
    const QList<FlowStep> steps = controller.loginController()->timeline().steps();
    ASSERT_EQ(steps.size(), before + 2);
    EXPECT_EQ(steps.at(before).label, QStringLiteral("login page"));
    EXPECT_EQ(steps.at(before + 1).label, QStringLiteral("consent page"));

    ASSERT_TRUE(test::waitFor([&failure] { return failure.has_value(); }, 15000));
    EXPECT_EQ(failure->kind, LoginError::Kind::Network);
    EXPECT_TRUE(failure->message.startsWith(QLatin1String("Cannot reach the login server"))) << failure->message.toStdString();
    EXPECT_FALSE(controller.isLoggingIn());

    // Cancelling a login under way reaches the session through the controller.
    failure.reset();
    ASSERT_TRUE(controller.logIn());
    controller.cancelLogin();
    ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->kind, LoginError::Kind::Cancelled);

    // The tokens to copy: none while logged out, the login's own afterwards, none after logout.
    EXPECT_TRUE(controller.copyableToken(AppController::Token::Access).isEmpty());
    LoginResult result;
    result.accessToken = "eyJ.access";
    result.idToken = "eyJ.id";
    Q_EMIT session.succeeded(result);
    EXPECT_EQ(controller.copyableToken(AppController::Token::Access), QStringLiteral("eyJ.access"));
    EXPECT_EQ(controller.copyableToken(AppController::Token::Id), QStringLiteral("eyJ.id"));
    controller.logout();
    EXPECT_TRUE(controller.copyableToken(AppController::Token::Id).isEmpty());
}

namespace {

// A Management API on a loopback port: a token for anyone, one API, one user with one permission,
// one client grant; every change is recorded and answered 200, or refused with `refuseChanges`.
class FakeManagementApi : public QObject
{
public:
    struct Change
    {
        QByteArray method;
        QString path;
        QJsonObject body;
    };

    FakeManagementApi()
    {
        m_server.listen(QHostAddress::LocalHost);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] { serve(socket); });
                connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }
    QUrl issuer() const { return QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(m_server.serverPort())); }

    QList<Change> changes;
    int refuseChanges = 0;

private:
    void serve(QTcpSocket *socket)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        for (;;) {
            const qsizetype headersEnd = buffer.indexOf("\r\n\r\n");
            if (headersEnd < 0)
                return;
            const QList<QByteArray> lines = buffer.left(headersEnd).split('\n');
            qsizetype length = 0;
            for (const QByteArray &line : lines) {
                if (line.toLower().startsWith("content-length:"))
                    length = line.mid(15).trimmed().toLongLong();
            }
            if (buffer.size() < headersEnd + 4 + length)
                return;
            const QList<QByteArray> requestLine = lines.first().trimmed().split(' ');
            const QByteArray body = buffer.mid(headersEnd + 4, length);
            buffer.remove(0, headersEnd + 4 + length);
            const auto [status, answer] = answerFor(requestLine.value(0), QString::fromLatin1(requestLine.value(1)), body);
            socket->write("HTTP/1.1 " + QByteArray::number(status)
                          + " X\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(answer.size()) + "\r\n\r\n" + answer);
        }
    }

    std::pair<int, QByteArray> answerFor(const QByteArray &method, const QString &target, const QByteArray &body)
    {
        const QString path = target.section(QLatin1Char('?'), 0, 0);
        if (path == QLatin1String("/oauth/token"))
            return {200, R"({"access_token":"management-token","token_type":"Bearer","expires_in":3600})"};
        if (method != "GET") {
            changes.append({method, path, QJsonDocument::fromJson(body).object()});
            if (refuseChanges)
                return {refuseChanges, R"({"statusCode":409,"error":"Conflict","message":"An API with this identifier exists already"})"};
            return {200, "{}"};
        }
        const auto page = [](const char *key, const QByteArray &items) {
            return QByteArray(R"({"start":0,"limit":100,"total":)") + QByteArray::number(items == "[]" ? 0 : 1) + ",\"" + key + "\":" + items + "}";
        };
        if (path == QLatin1String("/api/v2/resource-servers"))
            return {200, page("resource_servers", R"([{"id":"rs1","name":"Organizer Service","identifier":"organize","enforce_policies":true,
                "scopes":[{"value":"read:contacts","description":"Read contacts"},{"value":"read:calendar","description":"Read calendar"}]}])")};
        if (path == QLatin1String("/api/v2/users"))
            return {200, page("users", R"([{"user_id":"auth0|bob","email":"bob@example.com"}])")};
        if (path == QLatin1String("/api/v2/users/auth0%7Cbob/permissions") || path == QLatin1String("/api/v2/users/auth0|bob/permissions"))
            return {
                200,
                page("permissions", R"([{"permission_name":"read:contacts","resource_server_identifier":"organize","sources":[{"source_type":"DIRECT"}]}])")};
        if (path == QLatin1String("/api/v2/client-grants"))
            return {200, page("client_grants", R"([{"id":"cg1","client_id":"organizer-cli","audience":"organize","scope":["read:calendar"]}])")};
        for (const char *key : {"clients", "roles"}) {
            if (path.endsWith(QLatin1String(key)))
                return {200, page(key, "[]")};
        }
        return {404, R"({"statusCode":404,"error":"Not Found","message":"no such route"})"};
    }

    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_buffers;
};

} // namespace

// The Tenant tab's pages emit intents; the controller turns each into its Management API call and
// one sentence, and hands the tenant's rules on as a typed value (what the QA grid predicts from).
TEST(TenantController, PageIntentsBecomeManagementCallsAndTheTenantsRulesATypedValue)
{
    FakeManagementApi management;
    Profile remote = tenantProfile(QStringLiteral("Remote"));
    remote.issuer = management.issuer();
    remote.managementClientId = QStringLiteral("organizer-admin");
    ServerLauncher server;
    OidcClient oidc;
    LoginSession session(&oidc);
    ApiClient api;
    AppController controller(&server, &session, &api);
    std::optional<AccessRules> followed;
    QObject::connect(&controller, &AppController::tenantFollowed,
                     [&followed](const QList<catalogue::ApiSpec> &, const AccessRules &rules) { followed = rules; });
    controller.useProfile(remote);
    ASSERT_EQ(controller.connectTenant(QStringLiteral("secret")), AppController::TenantAccess::Connected);
    ASSERT_TRUE(test::waitFor([&followed] { return followed.has_value(); }, 10000));

    AccessRules expected;
    expected.apis = {{QStringLiteral("organize"), true, {QStringLiteral("read:contacts"), QStringLiteral("read:calendar")}}};
    expected.users = {{QStringLiteral("bob@example.com"), QStringLiteral("auth0|bob"), {{QStringLiteral("organize"), {QStringLiteral("read:contacts")}}}}};
    expected.clients = {{QStringLiteral("organizer-cli"), {{QStringLiteral("organize"), {QStringLiteral("read:calendar")}}}}};
    EXPECT_EQ(*followed, expected);
    EXPECT_EQ(controller.tenantAdmin()->accessRules(), expected);

    TenantController *tenant = controller.tenant();
    QStringList said;
    QStringList created;
    std::optional<QString> refused;
    QObject::connect(tenant, &TenantController::done, [&said](const QString &sentence) { said.append(sentence); });
    QObject::connect(tenant, &TenantController::apiCreated, [&created](const QString &identifier) { created.append(identifier); });
    QObject::connect(tenant, &TenantController::failed, [&refused](const QString &sentence) { refused = sentence; });

    // The walkthrough's first step creates the API the catalogue describes.
    tenant->createOrganizerService();
    ASSERT_TRUE(test::waitFor([&said] { return !said.isEmpty(); }, 10000));
    EXPECT_EQ(said.last(), QStringLiteral("Created Organizer Service."));
    ASSERT_EQ(management.changes.size(), 1);
    EXPECT_EQ(management.changes.at(0).method, "POST");
    EXPECT_EQ(management.changes.at(0).path, QStringLiteral("/api/v2/resource-servers"));
    EXPECT_EQ(management.changes.at(0).body.value(QLatin1String("identifier")).toString(), catalogue::organizerService().identifier);
    EXPECT_EQ(management.changes.at(0).body.value(QLatin1String("name")).toString(), catalogue::organizerService().name);
    EXPECT_TRUE(created.isEmpty()) << "the walkthrough stays where it is";

    // An API from the APIs page: the tab is told to show its scopes next.
    tenant->createApi(QStringLiteral("Samples"), QStringLiteral("urn:samples"), QStringLiteral("RS256"));
    ASSERT_TRUE(test::waitFor([&said] { return said.size() == 2; }, 10000));
    EXPECT_EQ(created, QStringList{QStringLiteral("urn:samples")});
    EXPECT_TRUE(said.last().startsWith(QLatin1String("Created. Now add its scopes"))) << said.last().toStdString();

    // A permission for a user: the path names the user and the body the API and scope.
    tenant->addUserPermissions(QStringLiteral("auth0|bob"), QStringLiteral("organize"), {QStringLiteral("read:calendar")});
    ASSERT_TRUE(test::waitFor([&said] { return said.size() == 3; }, 10000));
    EXPECT_EQ(said.last(), QStringLiteral("Gave auth0|bob read:calendar."));
    EXPECT_EQ(management.changes.last().method, "POST");
    EXPECT_TRUE(management.changes.last().path.endsWith(QLatin1String("/permissions"))) << management.changes.last().path.toStdString();
    const QJsonObject permission = management.changes.last().body.value(QLatin1String("permissions")).toArray().at(0).toObject();
    EXPECT_EQ(permission.value(QLatin1String("permission_name")).toString(), QStringLiteral("read:calendar"));
    EXPECT_EQ(permission.value(QLatin1String("resource_server_identifier")).toString(), QStringLiteral("organize"));

    // A refusal says what and why, and nothing claims it was done.
    management.refuseChanges = 409;
    tenant->createRole(QStringLiteral("Readers"));
    ASSERT_TRUE(test::waitFor([&refused] { return refused.has_value(); }, 10000));
    EXPECT_TRUE(refused->startsWith(QLatin1String("Could not create the role Readers"))) << refused->toStdString();
    EXPECT_EQ(said.size(), 3);
}
