// The authorization server's pieces as plain values: password hashing, the tenant loader, RBAC,
// /authorize request checks (the list, each check alone), redirect URI matching, at_hash and PKCE
// vectors, and the route table with two endpoints answered without a socket.

#include "authorizationserver.h"
#include "authorizechecks.h"
#include "authorizerequest.h"
#include "base64url.h"
#include "consentstore.h"
#include "grantedscopes.h"
#include "loginthrottle.h"
#include "managementapi.h"
#include "testdatabase.h"
#include "pages.h"
#include "passwordhash.h"
#include "tenantfile.h"
#include "tokenminter.h"
#include "tokenrevocations.h"

#include <QCryptographicHash>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::authorization;

namespace {

const Tenant &demoTenant()
{
    static const Tenant tenant = loadTenant(defaultTenantPath(), management::ManagementApi::definition()).value();
    return tenant;
}

QJsonObject demoTenantJson()
{
    QFile file(defaultTenantPath());
    file.open(QIODevice::ReadOnly);
    return QJsonDocument::fromJson(file.readAll()).object();
}

} // namespace

TEST(PasswordHash, VerifiesTheRightPasswordOnly)
{
    const QString hash = hashPassword(QStringLiteral("correct horse"), 1000);
    EXPECT_TRUE(hash.startsWith(QLatin1String("pbkdf2-sha256$1000$")));
    EXPECT_TRUE(verifyPassword(QStringLiteral("correct horse"), hash));
    EXPECT_FALSE(verifyPassword(QStringLiteral("correct horsE"), hash));
    EXPECT_FALSE(verifyPassword(QStringLiteral("correct horse"), QStringLiteral("plaintext")));
    EXPECT_NE(hashPassword(QStringLiteral("same"), 1000), hashPassword(QStringLiteral("same"), 1000)); // salted
}

TEST(PasswordHash, DefaultsToAtLeast600kIterations)
{
    EXPECT_GE(kPasswordIterations, 600'000);
    for (const User &user : demoTenant().users)
        EXPECT_TRUE(user.passwordHash.startsWith(QLatin1String("pbkdf2-sha256$600000$"))) << user.email.toStdString();
}

TEST(PasswordHash, DemoUsersHaveTheDocumentedPassword)
{
    const User *alice = demoTenant().userByLogin(QStringLiteral("ALICE@example.com"));
    ASSERT_NE(alice, nullptr);
    EXPECT_TRUE(verifyPassword(QStringLiteral("organizer"), alice->passwordHash));
    EXPECT_TRUE(verifyPassword(QStringLiteral("organizer-cli-secret"), demoTenant().client(QStringLiteral("organizer-cli"))->secretHash));
}

TEST(PasswordHash, ConstantTimeEqualsComparesWholeValues)
{
    EXPECT_TRUE(constantTimeEquals("abc", "abc"));
    EXPECT_FALSE(constantTimeEquals("abc", "abd"));
    EXPECT_FALSE(constantTimeEquals("abc", "abcd"));
    EXPECT_EQ(randomToken(32).size(), 43);
}

TEST(Tenant, DefaultTenantMatchesTheSpec)
{
    const Tenant &tenant = demoTenant();
    const Api *api = tenant.api(QStringLiteral("organize"));
    ASSERT_NE(api, nullptr);
    EXPECT_EQ(api->name, QStringLiteral("Organizer Service"));
    EXPECT_EQ(api->scopeValues().size(), 8);
    EXPECT_TRUE(api->rbac);
    const Client *desktop = tenant.client(QStringLiteral("organizer-desktop"));
    ASSERT_NE(desktop, nullptr);
    EXPECT_FALSE(desktop->confidential);
    EXPECT_TRUE(desktop->allowsGrant(QStringLiteral("implicit")));
    EXPECT_TRUE(desktop->allowsGrant(QStringLiteral("authorization_code")));
    const Client *cli = tenant.client(QStringLiteral("organizer-cli"));
    ASSERT_NE(cli, nullptr);
    EXPECT_EQ(cli->grantFor(QStringLiteral("organize"))->scopes, (QStringList{QStringLiteral("read:contacts"), QStringLiteral("read:calendar")}));
    EXPECT_EQ(tenant.users.size(), 4);
    EXPECT_TRUE(tenant.hasDemoEntries());
}

struct TenantErrorCase
{
    const char *name;
    std::function<void(QJsonObject &)> breakIt;
    const char *expected; // the start of the error
};
void PrintTo(const TenantErrorCase &c, std::ostream *os)
{
    *os << c.name;
}

class TenantErrors : public ::testing::TestWithParam<TenantErrorCase>
{};

TEST_P(TenantErrors, NameTheFieldAndTheProblem)
{
    QJsonObject tenant = demoTenantJson();
    GetParam().breakIt(tenant);
    auto parsed = parseTenant(QJsonDocument(tenant).toJson(), management::ManagementApi::definition());
    ASSERT_FALSE(parsed);
    EXPECT_TRUE(parsed.error().startsWith(QLatin1String(GetParam().expected))) << parsed.error().toStdString();
}

namespace {
void setIn(QJsonObject &root, const char *array, int index, const char *field, const QJsonValue &value)
{
    QJsonArray list = root.value(QLatin1String(array)).toArray();
    QJsonObject entry = list.at(index).toObject();
    if (value.isUndefined())
        entry.remove(QLatin1String(field));
    else
        entry.insert(QLatin1String(field), value);
    list.replace(index, entry);
    root.insert(QLatin1String(array), list);
}
} // namespace

INSTANTIATE_TEST_SUITE_P(
    Fields, TenantErrors,
    ::testing::Values(
        TenantErrorCase{"api_without_identifier", [](QJsonObject &tenant) { setIn(tenant, "apis", 0, "identifier", QJsonValue::Undefined); },
                        "apis[0].identifier: is required"},
        TenantErrorCase{"api_hs256", [](QJsonObject &tenant) { setIn(tenant, "apis", 0, "signing_alg", QStringLiteral("HS256")); },
                        "apis[0].signing_alg: only RS256"},
        TenantErrorCase{"api_bad_profile", [](QJsonObject &tenant) { setIn(tenant, "apis", 0, "token_profile", QStringLiteral("jwt")); },
                        "apis[0].token_profile"},
        TenantErrorCase{"client_bad_type", [](QJsonObject &tenant) { setIn(tenant, "clients", 0, "type", QStringLiteral("spa")); }, "clients[0].type"},
        TenantErrorCase{"loopback_callback_under_a_cookie_path",
                        [](QJsonObject &tenant) { setIn(tenant, "clients", 0, "callbacks", QJsonArray{QStringLiteral("http://127.0.0.1/authorize/cb")}); },
                        "clients[0].callbacks[0]: a loopback callback may not use the path /authorize"},
        TenantErrorCase{"localhost_callback_at_a_cookie_path",
                        [](QJsonObject &tenant) { setIn(tenant, "clients", 0, "callbacks", QJsonArray{QStringLiteral("http://localhost:3000/login")}); },
                        "clients[0].callbacks[0]: a loopback callback may not use the path /login"},
        TenantErrorCase{"client_bad_callback", [](QJsonObject &tenant) { setIn(tenant, "clients", 0, "callbacks", QJsonArray{QStringLiteral("not a url")}); },
                        "clients[0].callbacks[0]: must be an absolute http(s) URL"},
        TenantErrorCase{
            "client_bad_grant",
            [](QJsonObject &tenant) { setIn(tenant, "clients", 0, "grant_types", QJsonArray{QStringLiteral("urn:ietf:params:oauth:grant-type:device_code")}); },
            "clients[0].grant_types[0]"},
        TenantErrorCase{"confidential_without_secret", [](QJsonObject &tenant) { setIn(tenant, "clients", 1, "client_secret_hash", QJsonValue::Undefined); },
                        "clients[1].client_secret_hash"},
        TenantErrorCase{"grant_for_unknown_api",
                        [](QJsonObject &tenant) {
                            setIn(tenant, "clients", 1, "client_grants",
                                  QJsonArray{QJsonObject{{QStringLiteral("audience"), QStringLiteral("nope")}, {QStringLiteral("scopes"), QJsonArray{}}}});
                        },
                        "clients[1].client_grants[0].audience"},
        TenantErrorCase{"user_plaintext_password", [](QJsonObject &tenant) { setIn(tenant, "users", 0, "password_hash", QStringLiteral("organizer")); },
                        "users[0].password_hash"},
        TenantErrorCase{"user_unknown_permission",
                        [](QJsonObject &tenant) {
                            setIn(tenant, "users", 0, "permissions", QJsonObject{{QStringLiteral("organize"), QJsonArray{QStringLiteral("read:notes")}}});
                        },
                        "users[0].permissions.organize"},
        TenantErrorCase{"duplicate_user", [](QJsonObject &tenant) { setIn(tenant, "users", 1, "email", QStringLiteral("alice@example.com")); },
                        "users[1].email"},
        TenantErrorCase{"no_clients", [](QJsonObject &tenant) { tenant.remove(QStringLiteral("clients")); }, "clients: must be an array"},
        TenantErrorCase{"empty_connection", [](QJsonObject &tenant) { tenant.insert(QStringLiteral("connection"), QString()); },
                        "connection: must be a non-empty string"},
        TenantErrorCase{"user_blocked_not_boolean", [](QJsonObject &tenant) { setIn(tenant, "users", 0, "blocked", QStringLiteral("yes")); },
                        "users[0].blocked: must be true or false"}),
    [](const auto &row) { return std::string(row.param.name); });

// The database connection's name and a user's block are read, and written back as they were.
TEST(Tenant, KeepsItsConnectionAndBlockedUsers)
{
    auto defaulted = parseTenant(R"({"apis": [], "clients": []})", management::ManagementApi::definition());
    ASSERT_TRUE(defaulted) << defaulted.error().toStdString();
    EXPECT_EQ(defaulted->connection, QStringLiteral("Username-Password-Authentication")) << "Auth0's name for a new tenant's database connection";
    auto parsed = parseTenant(R"({"connection": "employees", "apis": [], "clients": [],
        "users": [{"user_id": "eve", "email": "eve@example.com", "password_hash": "pbkdf2-sha256$600000$ZnxamyOBA67FHL8K0hNvTQ$yCqclV5n63HUDTqIsS3O-Npbtt4q4X0HGYKKXcb0wpM", "blocked": true}]})",
                              management::ManagementApi::definition());
    ASSERT_TRUE(parsed) << parsed.error().toStdString();
    EXPECT_EQ(parsed->connection, QStringLiteral("employees"));
    ASSERT_EQ(parsed->users.size(), 1);
    EXPECT_TRUE(parsed->users.at(0).blocked);
    auto reread = parseTenant(tenantToJson(*parsed), management::ManagementApi::definition());
    ASSERT_TRUE(reread) << reread.error().toStdString();
    EXPECT_EQ(reread->connection, QStringLiteral("employees"));
    EXPECT_TRUE(reread->users.at(0).blocked);
}

TEST(Tenant, RejectsNonJson)
{
    auto parsed = parseTenant("{ nope", management::ManagementApi::definition());
    ASSERT_FALSE(parsed);
    EXPECT_TRUE(parsed.error().startsWith(QLatin1String("not valid JSON")));
}

// The reader knows no management scope of its own: the system API, and what grants and a user's own
// login may get of it, are what it is handed.
TEST(Tenant, BuildsTheSystemApiFromTheDefinitionItIsGiven)
{
    const ManagementApiDefinition definition{{QStringLiteral("read:things"), QStringLiteral("update:things")}, {QStringLiteral("read:self")}};
    auto parsed = parseTenant(R"({"apis": [], "clients": []})", definition);
    ASSERT_TRUE(parsed) << parsed.error().toStdString();
    const Api *system = parsed->api(parsed->managementAudience);
    ASSERT_TRUE(system && system->system);
    EXPECT_EQ(system->scopeValues(), (QStringList{QStringLiteral("read:things"), QStringLiteral("update:things"), QStringLiteral("read:self")}));
    EXPECT_EQ(grantedScopes(splitScopes(QStringLiteral("openid read:things read:self")), system, {}),
              (QStringList{QStringLiteral("openid"), QStringLiteral("read:self")}))
        << "a user's own login gets the current_user scopes only";
    // A grant naming a management scope the definition does not have is refused, as for any API.
    QJsonObject tenant = demoTenantJson();
    const ManagementApiDefinition none;
    auto refused = parseTenant(QJsonDocument(tenant).toJson(), none);
    ASSERT_FALSE(refused) << "the bundled tenant grants management scopes";
    EXPECT_TRUE(refused.error().contains(QLatin1String("client_grants"))) << refused.error().toStdString();
}

// ---------------------------------------------------------------------------------------------

struct RbacCase
{
    const char *login;
    QStringList expected;
};
void PrintTo(const RbacCase &c, std::ostream *os)
{
    *os << c.login;
}

class RbacIntersection : public ::testing::TestWithParam<RbacCase>
{};

TEST_P(RbacIntersection, GrantsRequestedTimesApiTimesPermissions)
{
    const QStringList requested = splitScopes(QStringLiteral("openid profile read:contacts create:contacts read:calendar delete:calendar read:notes"));
    const User *user = demoTenant().userByLogin(QLatin1String(GetParam().login));
    ASSERT_NE(user, nullptr);
    EXPECT_EQ(grantedScopes(requested, demoTenant().api(QStringLiteral("organize")), demoTenant().permissionsOf(*user, QStringLiteral("organize"))),
              GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(DemoUsers, RbacIntersection,
                         ::testing::Values(RbacCase{"alice@example.com",
                                                    {QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("read:contacts"),
                                                     QStringLiteral("create:contacts"), QStringLiteral("read:calendar"), QStringLiteral("delete:calendar")}},
                                           RbacCase{"bob@example.com", {QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("read:contacts")}},
                                           RbacCase{"carol@example.com",
                                                    {QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("read:calendar"),
                                                     QStringLiteral("delete:calendar")}},
                                           RbacCase{"dave@example.com", {QStringLiteral("openid"), QStringLiteral("profile")}}),
                         [](const auto &row) { return QString::fromLatin1(row.param.login).section(QLatin1Char('@'), 0, 0).toStdString(); });

TEST(Rbac, WithRbacOffEveryApiScopeRequestedIsGranted)
{
    Api api = *demoTenant().api(QStringLiteral("organize"));
    api.rbac = false;
    const User *dave = demoTenant().userByLogin(QStringLiteral("dave@example.com"));
    EXPECT_EQ(
        grantedScopes(splitScopes(QStringLiteral("openid read:contacts read:notes offline_access")), &api, demoTenant().permissionsOf(*dave, api.identifier)),
        (QStringList{QStringLiteral("openid"), QStringLiteral("read:contacts"), QStringLiteral("offline_access")}));
}

// ---------------------------------------------------------------------------------------------

TEST(Vectors, Rfc7636AppendixB)
{
    const QByteArray verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    EXPECT_EQ(jose::base64UrlEncode(QCryptographicHash::hash(verifier, QCryptographicHash::Sha256)), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(Vectors, AtHashOfTheOpenIdConnectExample)
{
    // OpenID Connect Core 1.0, Appendix A.4 (response_type "id_token token").
    EXPECT_EQ(accessTokenHash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"), "77QmUPtjPfzWtF2AnpK9RQ");
}

// ---------------------------------------------------------------------------------------------

TEST(RedirectUri, ExactMatchExceptLoopbackPorts)
{
    const Client *desktop = demoTenant().client(QStringLiteral("organizer-desktop"));
    EXPECT_TRUE(desktop->allowsRedirect(QUrl(QStringLiteral("http://localhost:3000/callback"))));
    EXPECT_FALSE(desktop->allowsRedirect(QUrl(QStringLiteral("http://localhost:3000/callback/"))));
    EXPECT_FALSE(desktop->allowsRedirect(QUrl(QStringLiteral("http://localhost:3001/callback")))); // localhost is a name: exact
    EXPECT_FALSE(desktop->allowsRedirect(QUrl(QStringLiteral("http://localhost:3000/callback?x=1"))));
    EXPECT_TRUE(desktop->allowsRedirect(QUrl(QStringLiteral("http://127.0.0.1:51234/callback")))); // RFC 8252 §7.3
    EXPECT_TRUE(desktop->allowsRedirect(QUrl(QStringLiteral("http://127.0.0.1/callback"))));
    EXPECT_FALSE(desktop->allowsRedirect(QUrl(QStringLiteral("http://127.0.0.1:51234/evil"))));
    EXPECT_FALSE(desktop->allowsRedirect(QUrl(QStringLiteral("https://127.0.0.1:51234/callback"))));
    EXPECT_FALSE(desktop->allowsRedirect(QUrl(QStringLiteral("http://127.0.0.2:51234/callback"))));
    EXPECT_FALSE(desktop->allowsRedirect(QUrl(QStringLiteral("http://evil.example/callback"))));
}

struct AuthorizeCase
{
    const char *name;
    const char *query;
    bool redirectable;
    const char *error;
    const char *descriptionContains;
};
void PrintTo(const AuthorizeCase &c, std::ostream *os)
{
    *os << c.name;
}

class AuthorizeChecks : public ::testing::TestWithParam<AuthorizeCase>
{};

TEST_P(AuthorizeChecks, RefuseWithOneSpecificError)
{
    auto parsed = parseAuthorizeRequest(FormData::parse(GetParam().query), demoTenant());
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().redirectable, GetParam().redirectable);
    EXPECT_EQ(oauth::wireName(parsed.error().error.code), QLatin1String(GetParam().error));
    EXPECT_TRUE(parsed.error().error.description.contains(QLatin1String(GetParam().descriptionContains))) << parsed.error().error.description.toStdString();
}

#define OK_CLIENT "client_id=organizer-desktop&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback"
INSTANTIATE_TEST_SUITE_P(
    Ordered, AuthorizeChecks,
    ::testing::Values(
        AuthorizeCase{"missing_client", "response_type=token", false, "invalid_request", "client_id"},
        AuthorizeCase{"unknown_client", "client_id=nope&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&response_type=token", false, "invalid_request",
                      "unknown client"},
        AuthorizeCase{"missing_redirect", "client_id=organizer-desktop&response_type=token", false, "invalid_request", "redirect_uri"},
        AuthorizeCase{"unregistered_redirect", "client_id=organizer-desktop&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&response_type=token", false,
                      "invalid_request", "not registered"},
        AuthorizeCase{"repeated_client", "client_id=organizer-desktop&" OK_CLIENT "&response_type=token", false, "invalid_request", "repeated"},
        AuthorizeCase{"missing_response_type", OK_CLIENT, true, "invalid_request", "response_type"},
        AuthorizeCase{"unsupported_response_type", OK_CLIENT "&response_type=code%20token", true, "unsupported_response_type", "not supported"},
        AuthorizeCase{"unknown_response_type", OK_CLIENT "&response_type=password", true, "unsupported_response_type", "password"},
        AuthorizeCase{"tokens_in_query", OK_CLIENT "&response_type=token&response_mode=query", true, "invalid_request", "query"},
        AuthorizeCase{"id_token_without_openid", OK_CLIENT "&response_type=id_token&nonce=n&scope=profile", true, "invalid_request", "openid"},
        AuthorizeCase{"id_token_without_nonce", OK_CLIENT "&response_type=id_token%20token&scope=openid", true, "invalid_request", "nonce"},
        AuthorizeCase{"bad_prompt", OK_CLIENT "&response_type=token&prompt=select_account", true, "invalid_request", "prompt"},
        AuthorizeCase{"code_without_pkce", OK_CLIENT "&response_type=code&scope=openid", true, "invalid_request", "code_challenge"},
        AuthorizeCase{"code_with_plain_pkce",
                      OK_CLIENT "&response_type=code&code_challenge=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk&code_challenge_method=plain", true,
                      "invalid_request", "plain"},
        AuthorizeCase{"short_challenge", OK_CLIENT "&response_type=code&code_challenge=abc&code_challenge_method=S256", true, "invalid_request", "43 to 128"},
        AuthorizeCase{"unknown_audience", OK_CLIENT "&response_type=token&audience=https%3A%2F%2Fother.api", true, "access_denied",
                      "Service not found: https://other.api"},
        AuthorizeCase{"request_object", OK_CLIENT "&response_type=token&request=eyJhbGciOiJub25lIn0.e30.", true, "request_not_supported", "request objects"},
        AuthorizeCase{"request_uri", OK_CLIENT "&response_type=token&request_uri=urn%3Aexample%3Ar", true, "request_uri_not_supported", "request_uri"},
        AuthorizeCase{"negative_max_age", OK_CLIENT "&response_type=token&max_age=-1", true, "invalid_request", "max_age"},
        AuthorizeCase{"textual_max_age", OK_CLIENT "&response_type=token&max_age=soon", true, "invalid_request", "max_age"},
        AuthorizeCase{"repeated_max_age", OK_CLIENT "&response_type=token&max_age=1&max_age=2", true, "invalid_request", "repeated"},
        AuthorizeCase{"plus_is_a_space_in_response_type", OK_CLIENT "&response_type=code+token", true, "unsupported_response_type", "code token"},
        AuthorizeCase{"web_message_to_an_origin_not_allowed",
                      "client_id=organizer-desktop&redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fcallback&response_type=token&response_mode=web_message", false,
                      "invalid_request", "add http://127.0.0.1:5000 to the Allowed Web Origins"},
        AuthorizeCase{"web_message_error_goes_by_message", OK_CLIENT "&response_type=token&response_mode=web_message&prompt=never", true, "invalid_request",
                      "prompt"},
        AuthorizeCase{"m2m_client_implicit", "client_id=organizer-cli&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback&response_type=token", false,
                      "invalid_request", "not registered"}),
    [](const auto &row) { return std::string(row.param.name); });

TEST(AuthorizeChecks, AcceptsTheTutorialRequest)
{
    auto parsed = parseAuthorizeRequest(FormData::parse(OK_CLIENT "&response_type=id_token%20token&scope=openid%20profile%20read%3Acontacts"
                                                                  "&audience=organize&state=s1&nonce=n1"),
                                        demoTenant());
    ASSERT_TRUE(parsed) << parsed.error().error.description.toStdString();
    EXPECT_TRUE(parsed->wantsIdToken);
    EXPECT_TRUE(parsed->wantsAccessToken);
    EXPECT_EQ(parsed->responseMode, QStringLiteral("fragment"));
    const QUrl answer = redirectWith(*parsed, {{QStringLiteral("access_token"), QStringLiteral("a.b+c")}, {QStringLiteral("state"), QStringLiteral("s 1&x")}});
    EXPECT_EQ(answer.toString(QUrl::FullyEncoded), QStringLiteral("http://localhost:3000/callback#access_token=a.b%2Bc&state=s%201%26x"));
}

TEST(AuthorizeChecks, ReadsPlusAsASpaceLikeEveryFormEncoder)
{
    // URLSearchParams, Python's urlencode and most OAuth libraries write spaces as '+'.
    auto parsed = parseAuthorizeRequest(FormData::parse("client_id=organizer-desktop&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcallback"
                                                        "&response_type=id_token+token&scope=openid+profile+read%3Acontacts"
                                                        "&audience=organize&state=a+b%2Bc&nonce=n+1&max_age=0"),
                                        demoTenant());
    ASSERT_TRUE(parsed) << parsed.error().error.description.toStdString();
    EXPECT_TRUE(parsed->wantsIdToken);
    EXPECT_TRUE(parsed->wantsAccessToken);
    EXPECT_EQ(parsed->scopes, (QStringList{QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("read:contacts")}));
    EXPECT_EQ(parsed->state, QStringLiteral("a b+c"));
    EXPECT_EQ(parsed->nonce, QStringLiteral("n 1"));
    EXPECT_EQ(parsed->maxAge, 0);
    const QUrl answer = redirectWith(*parsed, {{QStringLiteral("state"), parsed->state}});
    EXPECT_EQ(answer.toString(QUrl::FullyEncoded), QStringLiteral("http://localhost:3000/callback#state=a%20b%2Bc"));
}

TEST(AuthorizeChecks, MaxAgeIsOptional)
{
    auto parsed = parseAuthorizeRequest(FormData::parse(OK_CLIENT "&response_type=token"), demoTenant());
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->maxAge, -1);
}

TEST(AuthorizeChecks, WebMessageIsTheAnswersModeOnceTheRedirectIsTrusted)
{
    for (const char *type : {"code&code_challenge=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk&code_challenge_method=S256", "token",
                             "id_token&scope=openid&nonce=n", "id_token%20token&scope=openid&nonce=n"}) {
        auto parsed = parseAuthorizeRequest(FormData::parse(QByteArray(OK_CLIENT "&response_mode=web_message&response_type=") + type), demoTenant());
        ASSERT_TRUE(parsed) << type << ": " << parsed.error().error.description.toStdString();
        EXPECT_EQ(parsed->responseMode, QStringLiteral("web_message")) << type;
    }
    // An error in the request itself is answered by message too, where the SDK waits for it.
    auto refused = parseAuthorizeRequest(FormData::parse(OK_CLIENT "&response_mode=web_message&response_type=code%20token"), demoTenant());
    ASSERT_FALSE(refused);
    EXPECT_TRUE(refused.error().redirectable);
    EXPECT_EQ(refused.error().partial.responseMode, QStringLiteral("web_message"));
}

TEST(AuthorizeChecks, RunInTheDocumentedOrder)
{
    // The order is behaviour: the first failing check names the error, and nothing is redirected
    // before client and redirect_uri passed.
    QStringList names;
    for (const AuthorizeCheck &check : authorizeChecks())
        names.append(QString(check.name));
    EXPECT_EQ(names,
              (QStringList{QStringLiteral("parameter_length"),
                           QStringLiteral("client_and_redirect_once"),
                           QStringLiteral("client"),
                           QStringLiteral("redirect_uri"),
                           QStringLiteral("web_message_origin"),
                           QStringLiteral("redirect_parameters"),
                           QStringLiteral("single_valued"),
                           QStringLiteral("response_type_sent"),
                           QStringLiteral("request_object"),
                           QStringLiteral("response_type"),
                           QStringLiteral("response_mode"),
                           QStringLiteral("grant_allowed"),
                           QStringLiteral("scope"),
                           QStringLiteral("nonce"),
                           QStringLiteral("prompt"),
                           QStringLiteral("max_age"),
                           QStringLiteral("pkce"),
                           QStringLiteral("audience"),
                           QStringLiteral("session"),
                           QStringLiteral("session_age"),
                           QStringLiteral("prompt_none")}));
    EXPECT_EQ(requestChecks().size() + 3, authorizeChecks().size()) << "the request's checks are the list up to the session";
}

namespace {

const AuthorizeCheck &checkNamed(QLatin1StringView name)
{
    for (const AuthorizeCheck &check : authorizeChecks()) {
        if (check.name == name)
            return check;
    }
    ADD_FAILURE() << "no check " << name.data();
    return authorizeChecks().front();
}

} // namespace

TEST(AuthorizeChecks, EachCheckRunsAlone)
{
    // A public client's code request without PKCE, seen by the PKCE check only.
    const FormData query = FormData::parse("response_type=code");
    AuthorizeChecking checking{query, demoTenant()};
    checking.client = demoTenant().client(QStringLiteral("organizer-desktop"));
    checking.request.wantsCode = true;
    auto refused = checkNamed(QLatin1StringView("pkce")).run(checking);
    ASSERT_TRUE(refused);
    EXPECT_TRUE(refused->redirectable);
    EXPECT_EQ(refused->error.code, oauth::ErrorCode::InvalidRequest);
    EXPECT_TRUE(refused->error.description.contains(QLatin1String("code_challenge")));
    EXPECT_FALSE(checkNamed(QLatin1StringView("audience")).run(checking)) << "no audience: nothing to refuse";
}

TEST(AuthorizeChecks, AnOldSessionIsForgottenOrRefusedByMaxAge)
{
    auto run = [](const char *query, std::optional<Session> session) {
        const FormData parsed = FormData::parse(QByteArray(OK_CLIENT "&response_type=token&") + query);
        AuthorizeChecking checking{parsed, demoTenant()};
        checking.findSession = [session] { return session; };
        checking.now = 1'000;
        auto refused = runChecks(authorizeChecks(), checking);
        return std::make_pair(refused, checking.session);
    };
    const Session tenSecondsOld{QStringLiteral("auth0|alice"), 990, 5'000};
    EXPECT_TRUE(run("max_age=60", tenSecondsOld).second) << "young enough: the session logs the user in";
    const auto [forgotten, none] = run("max_age=5", tenSecondsOld);
    EXPECT_FALSE(forgotten) << "too old: the user logs in again";
    EXPECT_FALSE(none);
    EXPECT_FALSE(run("max_age=0", tenSecondsOld).second) << "max_age=0 is prompt=login";
    const auto [refused, kept] = run("max_age=5&prompt=none", tenSecondsOld);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->error.code, oauth::ErrorCode::LoginRequired);
    EXPECT_EQ(refused->partial.redirectUri, QUrl(QStringLiteral("http://localhost:3000/callback")));
    const auto [notLoggedIn, nobody] = run("prompt=none", std::nullopt);
    ASSERT_TRUE(notLoggedIn);
    EXPECT_EQ(notLoggedIn->error.description, QStringLiteral("the user is not logged in"));
}

namespace {

struct ServerUnderTest
{
    ServerUnderTest() : database(organizer::testing::sqliteDatabase(dir.filePath(QStringLiteral("organizer.sqlite")))), consents(database)
    {
        minter.setIssuer(QStringLiteral("http://127.0.0.1:3001/"));
    }

    http::Response call(const QByteArray &method, const QByteArray &target)
    {
        http::Request request;
        request.method = method;
        const QUrl url(QString::fromLatin1(target));
        request.path = url.path();
        request.rawPath = url.path(QUrl::FullyEncoded);
        request.query = FormData::parse(url.query(QUrl::FullyEncoded).toLatin1());
        std::optional<http::Response> answered;
        router.dispatch(request, [&answered](http::Response response) { answered = std::move(response); });
        EXPECT_TRUE(answered) << "answered at once";
        return answered.value_or(http::Response{});
    }

    QTemporaryDir dir;
    std::shared_ptr<store::Database> database;
    jose::SigningKey key{QStringLiteral("k1"), jose::RsaKey::generate(2048).value(), 0};
    TokenMinter minter{[this] { return key; }};
    store::ConsentStore consents;
    resource::TokenRevocations revocations;
    AuthorizationServer server{demoTenant(), &minter, &consents, nullptr, [] { return QByteArray(R"({"keys":[]})"); }, database, &revocations};
    http::Router router;
};

} // namespace

TEST(AuthorizationServer, OneOrderedTableRoutesEveryEndpoint)
{
    ServerUnderTest under;
    QStringList rows;
    for (const AuthorizationServer::Route &route : under.server.routes()) {
        rows.append(QString::fromLatin1(route.method) + QLatin1Char(' ') + route.path);
        EXPECT_EQ(route.affinity, http::Router::Affinity::AnyThread) << route.path.toStdString();
    }
    EXPECT_EQ(rows,
              (QStringList{QStringLiteral("GET /authorize"), QStringLiteral("GET /login"), QStringLiteral("POST /login"), QStringLiteral("GET /consent"),
                           QStringLiteral("POST /consent"), QStringLiteral("POST /oauth/token"), QStringLiteral("POST /oauth/revoke"),
                           QStringLiteral("GET /userinfo"), QStringLiteral("POST /userinfo"), QStringLiteral("GET /v2/logout"),
                           QStringLiteral("GET /oidc/logout"), QStringLiteral("POST /oidc/logout"), QStringLiteral("GET /.well-known/openid-configuration"),
                           QStringLiteral("GET /.well-known/jwks.json"), QStringLiteral("GET /assets/{name}")}));

    under.server.registerRoutes(under.router);
    EXPECT_EQ(under.call("GET", "/.well-known/jwks.json").body, QByteArray(R"({"keys":[]})"));
    EXPECT_EQ(under.call("GET", "/assets/login.html").status, 404) << "page templates are not assets";
}

TEST(AuthorizationServer, AuthorizeRefusalsStayOnThePageUntilTheRedirectUriIsTrusted)
{
    ServerUnderTest under;
    under.server.registerRoutes(under.router);
    const http::Response untrusted
        = under.call("GET", "/authorize?client_id=organizer-desktop&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&response_type=token");
    EXPECT_EQ(untrusted.status, 400);
    EXPECT_TRUE(untrusted.header("content-type").startsWith("text/html"));
    EXPECT_FALSE(untrusted.body.contains("evil.example/cb#")) << "nothing goes to an untrusted redirect URI";

    const http::Response redirected = under.call("GET", "/authorize?" OK_CLIENT "&response_type=password&state=s1");
    EXPECT_EQ(redirected.status, 302);
    const QByteArray location = redirected.header("location");
    EXPECT_TRUE(location.startsWith("http://localhost:3000/callback#error=unsupported_response_type&error_description=")) << location.constData();
    EXPECT_TRUE(location.endsWith("&state=s1")) << location.constData();
}

TEST(Pages, PlaceholdersAreExpandedInOnePass)
{
    // A value that looks like a placeholder is text, never expanded again: no CSRF token or markup leaks.
    const QString page = QString::fromUtf8(renderPage(QStringLiteral("login.html"),
                                                      {{QStringLiteral("client_name"), QStringLiteral("{{csrf}}")},
                                                       {QStringLiteral("transaction"), QStringLiteral("abc{{{error}}}")},
                                                       {QStringLiteral("csrf"), QStringLiteral("SECRET-CSRF")},
                                                       {QStringLiteral("username"), QStringLiteral("{{transaction}}")},
                                                       {QStringLiteral("error"), QStringLiteral("<p>real</p>")},
                                                       {QStringLiteral("focus_username"), QString()},
                                                       {QStringLiteral("focus_password"), QString()}}));
    EXPECT_EQ(page.count(QStringLiteral("SECRET-CSRF")), 1);
    EXPECT_TRUE(page.contains(QStringLiteral("<strong>{{csrf}}</strong>")));
    EXPECT_TRUE(page.contains(QStringLiteral("value=\"abc{{{error}}}\"")));
    EXPECT_TRUE(page.contains(QStringLiteral("value=\"{{transaction}}\"")));
    EXPECT_EQ(page.count(QStringLiteral("<p>real</p>")), 1);
}

TEST(Pages, ValuesAreEscapedAndUnknownPlaceholdersStay)
{
    const QString page = QString::fromUtf8(renderPage(QStringLiteral("message.html"), {{QStringLiteral("title"), QStringLiteral("<b>&\"'</b>")}}));
    EXPECT_TRUE(page.contains(QStringLiteral("&lt;b&gt;&amp;&quot;&#39;&lt;/b&gt;")));
    EXPECT_TRUE(page.contains(QStringLiteral("{{{body}}}")));
}

TEST(LoginThrottle, BacksOffExponentiallyAfterTheFreeAttempts)
{
    // Counted in the database, as instances sharing it count together.
    QTemporaryDir dir;
    LoginThrottle throttle(organizer::testing::sqliteDatabase(dir.filePath(QStringLiteral("organizer.sqlite"))), QStringLiteral("test"), 3);
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(throttle.retryAfter(QStringLiteral("k"), 100), 0);
        throttle.recordFailure(QStringLiteral("k"), 100);
    }
    EXPECT_EQ(throttle.retryAfter(QStringLiteral("k"), 100), 1);
    throttle.recordFailure(QStringLiteral("k"), 101);
    EXPECT_EQ(throttle.retryAfter(QStringLiteral("k"), 101), 2);
    throttle.recordFailure(QStringLiteral("k"), 103);
    EXPECT_EQ(throttle.retryAfter(QStringLiteral("k"), 103), 4);
    EXPECT_EQ(throttle.retryAfter(QStringLiteral("k"), 107), 0);
    throttle.recordSuccess(QStringLiteral("k"));
    EXPECT_EQ(throttle.retryAfter(QStringLiteral("k"), 107), 0);
}

TEST(TokenMinter, Rfc9068ProfileSwitchesTypeAndClaims)
{
    const jose::SigningKey key{QStringLiteral("k1"), jose::RsaKey::generate(2048).value(), 0};
    TokenMinter minter([&key]() -> const jose::SigningKey & { return key; }, [] { return qint64(1000); });
    minter.setIssuer(QStringLiteral("http://127.0.0.1:3001/"));
    Api api = *demoTenant().api(QStringLiteral("organize"));
    api.profile = TokenProfile::Rfc9068;
    const QByteArray token
        = minter.accessToken(&api, QStringLiteral("auth0|alice"), QStringLiteral("organizer-desktop"), {QStringLiteral("read:contacts")}, false).value().token;
    const QList<QByteArray> parts = token.split('.');
    const QJsonObject header = QJsonDocument::fromJson(jose::base64UrlDecode(parts[0]).value()).object();
    const QJsonObject claims = QJsonDocument::fromJson(jose::base64UrlDecode(parts[1]).value()).object();
    EXPECT_EQ(header.value(QLatin1String("typ")).toString(), QStringLiteral("at+jwt"));
    EXPECT_EQ(claims.value(QLatin1String("client_id")).toString(), QStringLiteral("organizer-desktop"));
    EXPECT_FALSE(claims.value(QLatin1String("jti")).toString().isEmpty());
    EXPECT_FALSE(claims.contains(QLatin1String("azp")));
    EXPECT_EQ(claims.value(QLatin1String("exp")).toInteger(), 1000 + 86400);
    EXPECT_EQ(claims.value(QLatin1String("permissions")).toArray(), QJsonArray{QStringLiteral("read:contacts")});

    api.profile = TokenProfile::Auth0;
    const QJsonObject auth0
        = QJsonDocument::fromJson(
              jose::base64UrlDecode(minter.accessToken(&api, QStringLiteral("x@clients"), QStringLiteral("x"), {QStringLiteral("read:calendar")}, true)
                                        .value()
                                        .token.split('.')[1])
                  .value())
              .object();
    EXPECT_EQ(auth0.value(QLatin1String("gty")).toString(), QStringLiteral("client-credentials"));
    EXPECT_EQ(auth0.value(QLatin1String("azp")).toString(), QStringLiteral("x"));
    EXPECT_EQ(auth0.value(QLatin1String("aud")).toString(), QStringLiteral("organize"));
}

TEST(TokenDialect, EveryAuth0DialectRoundTripsAndAnUnknownOneChangesNothing)
{
    for (const QString &dialect :
         {QStringLiteral("access_token"), QStringLiteral("access_token_authz"), QStringLiteral("rfc9068_profile"), QStringLiteral("rfc9068_profile_authz")}) {
        authorization::Api api;
        api.rbac = true; // "_authz" puts the permissions in the token, which needs RBAC on
        ASSERT_TRUE(authorization::applyTokenDialect(api, dialect)) << dialect.toStdString();
        EXPECT_EQ(authorization::tokenDialectOf(api), dialect);
    }
    authorization::Api api;
    api.profile = authorization::TokenProfile::Rfc9068;
    api.addPermissionsToAccessToken = true;
    EXPECT_FALSE(authorization::applyTokenDialect(api, QStringLiteral("access_token_rbac")));
    EXPECT_EQ(api.profile, authorization::TokenProfile::Rfc9068);
    EXPECT_TRUE(api.addPermissionsToAccessToken);
    api.rbac = false;
    EXPECT_EQ(authorization::tokenDialectOf(api), QStringLiteral("rfc9068_profile")) << "no permissions in the token without RBAC";
}
