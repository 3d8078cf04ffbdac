// Handlers and policies tested as plain values: no socket, no process.

#include "accesstokenverifier.h"
#include "bearertoken.h"
#include "recordvalidation.h"
#include "oautherror.h"
#include "router.h"
#include "tokencache.h"
#include "collectionapi.h"
#include "recordstore.h"
#include "testdatabase.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>
#include <QTemporaryDir>
#include <QUrl>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

using namespace organizer;
using namespace organizer::resource;
using namespace organizer::store;
using namespace organizer::oauth;
using namespace organizer::catalogue;

namespace {

const ApiSpec &contactsSpec()
{
    return *organizerService().api(QStringLiteral("contacts"));
}

const ApiSpec &appointmentsSpec()
{
    return *organizerService().api(QStringLiteral("calendar"));
}

http::Request requestWith(QList<QPair<QByteArray, QByteArray>> headers, const QString &query = {})
{
    http::Request request;
    request.method = "GET";
    request.path = QStringLiteral("/api/contacts");
    request.headers = std::move(headers);
    request.query = FormData::parse(query.toLatin1());
    return request;
}

} // namespace

struct BearerCase
{
    const char *name;
    QList<QPair<QByteArray, QByteArray>> headers;
    QString query;
    BearerCredentials::Kind kind;
    QByteArray token;
};

// Test names already say which row failed; print the same instead of raw bytes.
void PrintTo(const BearerCase &c, std::ostream *os)
{
    *os << c.name;
}

class BearerParsing : public ::testing::TestWithParam<BearerCase>
{};

TEST_P(BearerParsing, ClassifiesTheAuthorizationHeader)
{
    const BearerCase &c = GetParam();
    const BearerCredentials credentials = readBearerCredentials(requestWith(c.headers, c.query));
    EXPECT_EQ(credentials.kind, c.kind);
    EXPECT_EQ(credentials.token, c.token);
    if (c.kind != BearerCredentials::Kind::Present) {
        EXPECT_FALSE(credentials.problem.isEmpty());
    }
}

using Kind = BearerCredentials::Kind;
INSTANTIATE_TEST_SUITE_P(Rfc6750, BearerParsing,
                         ::testing::Values(BearerCase{"no_header", {}, {}, Kind::Missing, {}},
                                           BearerCase{"bearer", {{"authorization", "Bearer abc.def.ghi"}}, {}, Kind::Present, "abc.def.ghi"},
                                           BearerCase{"lower_case_scheme", {{"authorization", "bearer abc"}}, {}, Kind::Present, "abc"},
                                           BearerCase{"upper_case_scheme", {{"authorization", "BEARER abc"}}, {}, Kind::Present, "abc"},
                                           BearerCase{"b64token_padding", {{"authorization", "Bearer a+b/c~d=="}}, {}, Kind::Present, "a+b/c~d=="},
                                           BearerCase{"basic_scheme", {{"authorization", "Basic dXNlcjpwYXNz"}}, {}, Kind::OtherScheme, {}},
                                           BearerCase{"scheme_without_token", {{"authorization", "Bearer"}}, {}, Kind::Malformed, {}},
                                           BearerCase{"two_tokens", {{"authorization", "Bearer a b"}}, {}, Kind::Malformed, {}},
                                           BearerCase{"bad_characters", {{"authorization", "Bearer a,b"}}, {}, Kind::Malformed, {}},
                                           BearerCase{"padding_in_the_middle", {{"authorization", "Bearer a=b"}}, {}, Kind::Malformed, {}},
                                           BearerCase{"empty_header", {{"authorization", ""}}, {}, Kind::Malformed, {}},
                                           BearerCase{"two_headers", {{"authorization", "Bearer a"}, {"authorization", "Bearer b"}}, {}, Kind::Malformed, {}},
                                           BearerCase{"token_in_query", {}, QStringLiteral("access_token=abc"), Kind::Malformed, {}}),
                         [](const auto &row) { return std::string(row.param.name); });

// --- OAuthError and its writers: the exact bytes of every place an error goes ---------------------

namespace {

struct WireNameCase
{
    ErrorCode code;
    const char *name;
};

// Spelled out here on purpose: the wire names are a contract with clients (RFC 6749 §4.1.2.1, §4.2.2.1,
// §5.2; OpenID Connect Core §3.1.2.6; RFC 6750 §3.1; RFC 7009 §2.2.1; Auth0's Management API).
const WireNameCase kWireNames[] = {
    {ErrorCode::InvalidRequest, "invalid_request"},
    {ErrorCode::InvalidClient, "invalid_client"},
    {ErrorCode::InvalidGrant, "invalid_grant"},
    {ErrorCode::UnauthorizedClient, "unauthorized_client"},
    {ErrorCode::UnsupportedGrantType, "unsupported_grant_type"},
    {ErrorCode::InvalidScope, "invalid_scope"},
    {ErrorCode::AccessDenied, "access_denied"},
    {ErrorCode::UnsupportedResponseType, "unsupported_response_type"},
    {ErrorCode::ServerError, "server_error"},
    {ErrorCode::TemporarilyUnavailable, "temporarily_unavailable"},
    {ErrorCode::LoginRequired, "login_required"},
    {ErrorCode::ConsentRequired, "consent_required"},
    {ErrorCode::InteractionRequired, "interaction_required"},
    {ErrorCode::RequestNotSupported, "request_not_supported"},
    {ErrorCode::RequestUriNotSupported, "request_uri_not_supported"},
    {ErrorCode::InvalidToken, "invalid_token"},
    {ErrorCode::InsufficientScope, "insufficient_scope"},
    {ErrorCode::UnsupportedTokenType, "unsupported_token_type"},
    {ErrorCode::Unauthorized, "unauthorized"},
    {ErrorCode::NotFound, "not_found"},
    {ErrorCode::MethodNotAllowed, "method_not_allowed"},
    {ErrorCode::TooManyAttempts, "too_many_attempts"},
    {ErrorCode::TooManyRequests, "too_many_requests"},
    {ErrorCode::InvalidBody, "invalid_body"},
    {ErrorCode::InvalidQueryString, "invalid_query_string"},
    {ErrorCode::InexistentResourceServer, "inexistent_resource_server"},
    {ErrorCode::InexistentClient, "inexistent_client"},
    {ErrorCode::InexistentClientGrant, "inexistent_client_grant"},
    {ErrorCode::InexistentUser, "inexistent_user"},
    {ErrorCode::InexistentRole, "inexistent_role"},
    {ErrorCode::ResourceServerConflict, "resource_server_conflict"},
    {ErrorCode::ClientGrantConflict, "client_grant_conflict"},
    {ErrorCode::RoleConflict, "role_conflict"},
    {ErrorCode::Conflict, "conflict"},
    {ErrorCode::OperationNotSupported, "operation_not_supported"},
    {ErrorCode::InternalError, "internal_error"},
};

class OAuthErrorWriters : public ::testing::TestWithParam<WireNameCase>
{};

QByteArray headerNames(const http::Response &response)
{
    QByteArrayList names;
    for (const auto &header : response.headers)
        names.append(header.first);
    return names.join(',');
}

} // namespace

TEST(OAuthError, EveryCodeHasItsWireName)
{
    ASSERT_EQ(allErrorCodes().size(), std::size(kWireNames)) << "a code was added: give it a row in kWireNames";
    QSet<QString> seen;
    for (const WireNameCase &row : kWireNames) {
        EXPECT_EQ(wireName(row.code), QLatin1StringView(row.name));
        EXPECT_FALSE(seen.contains(wireName(row.code))) << row.name << " is spelled twice";
        seen.insert(wireName(row.code));
    }
    for (const ErrorCode code : allErrorCodes())
        EXPECT_TRUE(seen.contains(wireName(code)));
}

TEST(OAuthError, NamedConstructorsCarryTheirStatus)
{
    EXPECT_EQ(OAuthError::invalidRequest(QStringLiteral("d")), (OAuthError{ErrorCode::InvalidRequest, QStringLiteral("d"), 400}));
    EXPECT_EQ(OAuthError::invalidRequest(QStringLiteral("d"), 415).status, 415);
    EXPECT_EQ(OAuthError::invalidClient(QStringLiteral("d")).status, 401);
    EXPECT_EQ(OAuthError::invalidGrant(QStringLiteral("d")).status, 400);
    EXPECT_EQ(OAuthError::unauthorizedClient(QStringLiteral("d")).status, 400);
    EXPECT_EQ(OAuthError::unsupportedGrantType(QStringLiteral("d")).status, 400);
    EXPECT_EQ(OAuthError::invalidScope(QStringLiteral("d")).status, 400);
    EXPECT_EQ(OAuthError::accessDenied(QStringLiteral("d")).status, 403);
    EXPECT_EQ(OAuthError::serverError(QStringLiteral("d")).status, 500);
    EXPECT_EQ(OAuthError::temporarilyUnavailable(QStringLiteral("d")).status, 503);
    EXPECT_EQ(OAuthError::invalidToken(QStringLiteral("d")), (OAuthError{ErrorCode::InvalidToken, QStringLiteral("d"), 401}));
    EXPECT_EQ(OAuthError::insufficientScope(QStringLiteral("d")), (OAuthError{ErrorCode::InsufficientScope, QStringLiteral("d"), 403}));
    EXPECT_EQ(OAuthError::unauthorized(QStringLiteral("d")), (OAuthError{ErrorCode::Unauthorized, QStringLiteral("d"), 401}));
    EXPECT_EQ(OAuthError::notFound(QStringLiteral("d")), (OAuthError{ErrorCode::NotFound, QStringLiteral("d"), 404}));
    EXPECT_EQ(OAuthError::methodNotAllowed(QStringLiteral("d")), (OAuthError{ErrorCode::MethodNotAllowed, QStringLiteral("d"), 405}));
}

// RFC 6749 §5.2: {"error", "error_description"} as JSON, the description kept to its characters.
TEST_P(OAuthErrorWriters, JsonBody)
{
    const QByteArray name = GetParam().name;
    const OAuthError error{GetParam().code, QStringLiteral("the \"scope\" claim\n"), 400};
    const QByteArray expected = "{\"error\":\"" + name + "\",\"error_description\":\"the 'scope' claim?\"}";

    const http::Response plain = jsonResponse(error, Caching::Unstated);
    EXPECT_EQ(plain.status, 400);
    EXPECT_EQ(plain.body, expected);
    EXPECT_EQ(headerNames(plain), "content-type");
    EXPECT_EQ(plain.header("content-type"), "application/json");

    const http::Response noStore = jsonResponse({GetParam().code, QStringLiteral("the \"scope\" claim\n"), 503});
    EXPECT_EQ(noStore.status, 503);
    EXPECT_EQ(noStore.body, expected);
    EXPECT_EQ(headerNames(noStore), "content-type,cache-control");
    EXPECT_EQ(noStore.header("cache-control"), "no-store");

    const http::Response token = jsonResponse(error, Caching::NoStoreNoCache);
    EXPECT_EQ(token.body, expected);
    EXPECT_EQ(headerNames(token), "content-type,cache-control,pragma");
    EXPECT_EQ(token.header("pragma"), "no-cache");

    EXPECT_EQ(QJsonDocument(jsonBody(error)).toJson(QJsonDocument::Compact), expected);
}

// RFC 6749 §4.1.2.1 / §4.2.2.1: error, error_description, state on the redirect URI; its own query kept.
TEST_P(OAuthErrorWriters, Redirect)
{
    const QByteArray name = GetParam().name;
    const OAuthError error{GetParam().code, QStringLiteral("no \"x\" here"), 400};
    const QList<QPair<QString, QString>> parameters = redirectParameters(error, QStringLiteral("s t"));
    ASSERT_EQ(parameters.size(), 3);
    EXPECT_EQ(parameters[0], qMakePair(QStringLiteral("error"), QString::fromLatin1(name)));
    EXPECT_EQ(parameters[1], qMakePair(QStringLiteral("error_description"), QStringLiteral("no 'x' here")));
    EXPECT_EQ(parameters[2], qMakePair(QStringLiteral("state"), QStringLiteral("s t")));

    const QUrl client(QStringLiteral("https://client.example/cb?tab=1"));
    EXPECT_EQ(redirectUrl(client, error, QStringLiteral("s t"), RedirectMode::Query).toString(QUrl::FullyEncoded),
              QStringLiteral("https://client.example/cb?tab=1&error=%1&error_description=no%20%27x%27%20here&state=s%20t").arg(QLatin1String(name)));
    EXPECT_EQ(redirectUrl(client, error, QStringLiteral("s t"), RedirectMode::Fragment).toString(QUrl::FullyEncoded),
              QStringLiteral("https://client.example/cb?tab=1#error=%1&error_description=no%20%27x%27%20here&state=s%20t").arg(QLatin1String(name)));
    // No state was sent: none comes back.
    EXPECT_EQ(redirectUrl(QUrl(QStringLiteral("http://127.0.0.1:5000/cb")), {GetParam().code, {}, 400}, {}, RedirectMode::Query).toString(QUrl::FullyEncoded),
              QStringLiteral("http://127.0.0.1:5000/cb?error=%1").arg(QLatin1String(name)));
}

// RFC 6750 §3: the challenge names the code, a safe description and the scope; without credentials only the realm.
TEST_P(OAuthErrorWriters, ChallengeAndBearerResponse)
{
    const QByteArray name = GetParam().name;
    const OAuthError error{GetParam().code, QStringLiteral("lacks"), 403};
    const bool noCredentials = GetParam().code == ErrorCode::Unauthorized;
    const QByteArray expected = noCredentials ? QByteArray("Bearer realm=\"organize\"")
                                              : "Bearer realm=\"organize\", error=\"" + name + "\", error_description=\"lacks\", scope=\"read:calendar\"";
    EXPECT_EQ(challenge(QStringLiteral("organize"), error, QStringLiteral("read:calendar")), expected);
    EXPECT_EQ(challenge(QStringLiteral("organize"), {GetParam().code, {}, 401}),
              noCredentials ? QByteArray("Bearer realm=\"organize\"") : "Bearer realm=\"organize\", error=\"" + name + "\"");

    const http::Response response = bearerResponse(QStringLiteral("organize"), error, QStringLiteral("read:calendar"));
    EXPECT_EQ(response.status, 403);
    EXPECT_EQ(response.body, "{\"error\":\"" + name + "\",\"error_description\":\"lacks\",\"scope\":\"read:calendar\"}");
    EXPECT_EQ(headerNames(response), "content-type,www-authenticate,cache-control");
    EXPECT_EQ(response.header("www-authenticate"), expected);
    EXPECT_EQ(response.header("cache-control"), "no-store");
    EXPECT_EQ(bearerResponse(QStringLiteral("organize"), error).body, "{\"error\":\"" + name + "\",\"error_description\":\"lacks\"}");
}

// Auth0's Management API: {"statusCode", "error" (the status's words), "message", "errorCode"}.
TEST_P(OAuthErrorWriters, ManagementDialect)
{
    const QByteArray name = GetParam().name;
    const http::Response response = managementResponse({GetParam().code, QStringLiteral("The role \"x\" does not exist."), 404});
    EXPECT_EQ(response.status, 404);
    const QByteArray errorCode = GetParam().code == ErrorCode::Unauthorized ? QByteArray() : ",\"errorCode\":\"" + name + "\"";
    EXPECT_EQ(response.body, "{\"error\":\"Not Found\"" + errorCode + ",\"message\":\"The role \\\"x\\\" does not exist.\",\"statusCode\":404}");
    EXPECT_EQ(headerNames(response), "content-type,cache-control");
    EXPECT_EQ(response.header("cache-control"), "no-store");
}

INSTANTIATE_TEST_SUITE_P(EveryCode, OAuthErrorWriters, ::testing::ValuesIn(kWireNames), [](const auto &row) { return std::string(row.param.name); });

TEST(OAuthError, ManagementDialectWordsEachStatusAsAuth0Does)
{
    const QList<QPair<int, QString>> phrases = {{400, QStringLiteral("Bad Request")},
                                                {401, QStringLiteral("Unauthorized")},
                                                {403, QStringLiteral("Forbidden")},
                                                {404, QStringLiteral("Not Found")},
                                                {409, QStringLiteral("Conflict")},
                                                {415, QStringLiteral("Unsupported Media Type")},
                                                {500, QStringLiteral("Internal Server Error")},
                                                {503, QStringLiteral("Internal Server Error")}};
    for (const auto &[status, phrase] : phrases) {
        const QJsonObject body = QJsonDocument::fromJson(managementResponse({ErrorCode::InternalError, QStringLiteral("m"), status}).body).object();
        EXPECT_EQ(body.value(QLatin1String("error")).toString(), phrase) << status;
        EXPECT_EQ(body.value(QLatin1String("statusCode")).toInt(), status);
    }
    const QJsonObject missing = QJsonDocument::fromJson(managementResponse(OAuthError::unauthorized(QStringLiteral("Missing authentication"))).body).object();
    EXPECT_FALSE(missing.contains(QLatin1String("errorCode")));
}

TEST(OAuthError, EveryPartAnswersNothingHereAlike)
{
    const http::Response response = notFoundResponse(QStringLiteral("no resource at /\"x\""));
    EXPECT_EQ(response.status, 404);
    EXPECT_EQ(response.body, "{\"error\":\"not_found\",\"error_description\":\"no resource at /'x'\"}");
    EXPECT_EQ(headerNames(response), "content-type");
}

TEST(BearerChallenge, DescriptionCannotSplitTheHeader)
{
    const QByteArray value = challenge(QStringLiteral("organize"), OAuthError::invalidToken(QStringLiteral("kid \"x\"\r\nSet-Cookie: a=b \\ é")));
    EXPECT_FALSE(value.contains('\r'));
    EXPECT_FALSE(value.contains('\n'));
    // RFC 6750 §3: no '"' or '\\' inside error_description at all, so nothing needs escaping.
    EXPECT_TRUE(value.contains("error_description=\"kid 'x'??Set-Cookie: a=b / ?\"")) << value.toStdString();
    // The realm is a client's word too (an audience): quoted, never split.
    EXPECT_EQ(challenge(QStringLiteral("a\"b\\c\r\nd"), OAuthError::unauthorized({})), "Bearer realm=\"a\\\"b\\\\c??d\"");
}

TEST(ErrorDescription, KeepsToTheRfc6749Characters)
{
    QString everything;
    for (char16_t c = 0; c < 0x180; ++c)
        everything += QChar(c);
    const QString safe = http::errorDescriptionText(everything);
    EXPECT_EQ(safe.size(), everything.size());
    EXPECT_TRUE(http::isErrorDescriptionText(safe));
    for (const QChar ch : safe) {
        const char16_t c = ch.unicode();
        EXPECT_TRUE(c == 0x20 || c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e)) << int(c);
    }
    EXPECT_EQ(http::errorDescriptionText(u"no key with kid \"k1\" in C:\\keys"), QStringLiteral("no key with kid 'k1' in C:/keys"));
    const QJsonObject body = QJsonDocument::fromJson(jsonResponse(OAuthError::invalidRequest(QStringLiteral("the \"scope\" claim\n"))).body).object();
    EXPECT_EQ(body.value(QLatin1String("error_description")).toString(), QStringLiteral("the 'scope' claim?"));
    const http::Response generic = jsonResponse(OAuthError::notFound(QStringLiteral("no resource at /\"ü\"")), Caching::Unstated);
    EXPECT_EQ(QJsonDocument::fromJson(generic.body).object().value(QLatin1String("error_description")).toString(), QStringLiteral("no resource at /'?'"));
}

TEST(FormData, DecodesLikeABrowser)
{
    const FormData form = FormData::parse("scope=openid+read%3Acontacts&state=a%2Bb+c&empty=&bare&%E2%9C%93=%C3%A9&bad=%zz%4&a=1&a=2");
    EXPECT_EQ(form.value(u"scope"), QStringLiteral("openid read:contacts"));
    EXPECT_EQ(form.value(u"state"), QStringLiteral("a+b c"));
    EXPECT_TRUE(form.contains(u"empty"));
    EXPECT_TRUE(form.value(u"empty").isEmpty());
    EXPECT_FALSE(form.value(u"empty").isNull());
    EXPECT_TRUE(form.contains(u"bare"));
    EXPECT_EQ(form.value(QStringLiteral("\u2713")), QStringLiteral("\u00e9"));
    EXPECT_EQ(form.value(u"bad"), QStringLiteral("%zz%4")); // not an escape: kept literally, as browsers do
    EXPECT_EQ(form.count(u"a"), 2);
    EXPECT_EQ(form.values(u"a"), (QStringList{QStringLiteral("1"), QStringLiteral("2")}));
    EXPECT_EQ(form.firstRepeatedName(), QStringLiteral("a"));
    EXPECT_TRUE(form.value(u"missing").isNull());
    EXPECT_FALSE(form.hasInvalidUtf8());
    EXPECT_TRUE(FormData::parse("x=%FF%FE").hasInvalidUtf8());
    EXPECT_TRUE(FormData::parse("").isEmpty());
    EXPECT_EQ(FormData::parse("&&a=1&&").items().size(), 1);
}

TEST(FormData, EncodesWhatEveryDecoderReadsTheSame)
{
    FormData form{{QStringLiteral("scope"), QStringLiteral("openid read:contacts")}, {QStringLiteral("state"), QStringLiteral("a+b&c=d/é~*")}};
    // Spaces as %20: a form decoder and decodeURIComponent agree on it; '+' is escaped.
    EXPECT_EQ(form.encode(), QByteArray("scope=openid%20read%3Acontacts&state=a%2Bb%26c%3Dd%2F%C3%A9%7E*"));
    const FormData back = FormData::parse(form.encode());
    EXPECT_EQ(back.items(), form.items());
    form.set(QStringLiteral("scope"), QStringLiteral("x"));
    EXPECT_EQ(form.count(u"scope"), 1);
    EXPECT_EQ(form.value(u"scope"), QStringLiteral("x"));
}

// ---------------------------------------------------------------------------------------------

struct ValidationCase
{
    const char *name;
    const ApiSpec *spec;
    const char *json;
    QStringList badFields; // empty: valid
};

// Test names already say which row failed; print the same instead of raw bytes.
void PrintTo(const ValidationCase &c, std::ostream *os)
{
    *os << c.name;
}

class RecordValidation : public ::testing::TestWithParam<ValidationCase>
{};

TEST_P(RecordValidation, ReportsEachBadField)
{
    const ValidationCase &c = GetParam();
    QList<FieldError> errors;
    const QJsonObject record = validateRecord(*c.spec, QJsonDocument::fromJson(c.json).object(), &errors);
    QStringList fields;
    for (const FieldError &error : errors) {
        fields.append(error.field);
        EXPECT_FALSE(error.message.isEmpty());
    }
    EXPECT_EQ(fields, c.badFields);
    EXPECT_EQ(record.isEmpty(), !c.badFields.isEmpty());
}

INSTANTIATE_TEST_SUITE_P(
    Bodies, RecordValidation,
    ::testing::Values(
        ValidationCase{"contact_ok", &contactsSpec(), R"({"name":"Jane","email":"jane@example.com"})", {}},
        ValidationCase{
            "contact_full", &contactsSpec(), R"({"name":"Jane","email":"jane@example.com","phone":"+1 (212) 555-0143","company":"X","notes":"n"})", {}},
        ValidationCase{"contact_missing_both", &contactsSpec(), R"({})", {QStringLiteral("name"), QStringLiteral("email")}},
        ValidationCase{"contact_blank_name", &contactsSpec(), R"({"name":"   ","email":"jane@example.com"})", {QStringLiteral("name")}},
        ValidationCase{"contact_bad_email", &contactsSpec(), R"({"name":"Jane","email":"jane at example"})", {QStringLiteral("email")}},
        ValidationCase{"contact_number_name", &contactsSpec(), R"({"name":5,"email":"jane@example.com"})", {QStringLiteral("name")}},
        ValidationCase{"contact_bad_phone", &contactsSpec(), R"({"name":"J","email":"j@example.com","phone":"call me"})", {QStringLiteral("phone")}},
        ValidationCase{"contact_unknown_field", &contactsSpec(), R"({"name":"J","email":"j@example.com","emial":"x"})", {QStringLiteral("emial")}},
        ValidationCase{"contact_too_long",
                       &contactsSpec(),
                       "{\"name\":\""
                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                       "x\",\"email\":\"j@example.com\"}",
                       {QStringLiteral("name")}},
        ValidationCase{"appointment_ok", &appointmentsSpec(), R"({"title":"1 on 1","time":"2026-11-30T14:30:00-05:00"})", {}},
        ValidationCase{"appointment_utc", &appointmentsSpec(), R"({"title":"t","time":"2026-11-30T19:30:00Z","duration_minutes":45})", {}},
        ValidationCase{"appointment_no_offset", &appointmentsSpec(), R"({"title":"t","time":"2026-11-30T14:30:00"})", {QStringLiteral("time")}},
        ValidationCase{"appointment_not_a_date", &appointmentsSpec(), R"({"title":"t","time":"next tuesday"})", {QStringLiteral("time")}},
        ValidationCase{"appointment_bad_duration",
                       &appointmentsSpec(),
                       R"({"title":"t","time":"2026-11-30T19:30:00Z","duration_minutes":0.5})",
                       {QStringLiteral("duration_minutes")}},
        ValidationCase{"appointment_missing", &appointmentsSpec(), R"({"location":"here"})", {QStringLiteral("title"), QStringLiteral("time")}}),
    [](const auto &row) { return std::string(row.param.name); });

TEST(RecordValidation, NormalizesTextAndTimes)
{
    QList<FieldError> errors;
    const QJsonObject record
        = validateRecord(appointmentsSpec(), QJsonDocument::fromJson(R"({"title":"  1 on 1 ","time":"2026-11-30T14:30:00.000-05:00"})").object(), &errors);
    ASSERT_TRUE(errors.isEmpty());
    EXPECT_EQ(record.value(QLatin1String("title")).toString(), QStringLiteral("1 on 1"));
    EXPECT_EQ(record.value(QLatin1String("time")).toString(), QStringLiteral("2026-11-30T14:30:00-05:00"));
}

// ---------------------------------------------------------------------------------------------

TEST(HttpMessage, AddressGroupsAreIpv4AddressesAndIpv6Slash64s)
{
    // What the server budgets per client (pending logins, unknown client IDs) is counted the way the
    // HTTP layer counts connections: one host usually holds a whole IPv6 /64.
    EXPECT_EQ(http::addressGroup(QHostAddress(QStringLiteral("192.0.2.7"))), QStringLiteral("192.0.2.7"));
    EXPECT_EQ(http::addressGroup(QHostAddress(QStringLiteral("::ffff:192.0.2.7"))), QStringLiteral("192.0.2.7"));
    const QString group = http::addressGroup(QHostAddress(QStringLiteral("2001:db8:1:2:aaaa:bbbb:cccc:dddd")));
    EXPECT_EQ(group, QStringLiteral("2001:db8:1:2::/64"));
    EXPECT_EQ(http::addressGroup(QHostAddress(QStringLiteral("2001:db8:1:2::1"))), group);
    EXPECT_NE(http::addressGroup(QHostAddress(QStringLiteral("2001:db8:1:3::1"))), group);
    EXPECT_EQ(http::addressGroup(QHostAddress(QStringLiteral("::1"))), QStringLiteral("::/64"));
}

TEST(Router, UnknownPathIs404AndWrongMethodIs405WithAllow)
{
    http::Router router;
    router.add("GET", QStringLiteral("/api/contacts/{id}"), [](const http::Request &r, http::Responder respond) {
        respond(http::Response::json(200, QJsonObject{{QStringLiteral("id"), r.pathParameters.value(QStringLiteral("id"))}}));
    });
    router.add("DELETE", QStringLiteral("/api/contacts/{id}"), [](const http::Request &, http::Responder respond) { respond(http::Response::noContent()); });

    http::Response last;
    auto capture = [&last](http::Response r) { last = std::move(r); };
    http::Request request;
    request.method = "GET";
    request.path = QStringLiteral("/api/contacts/7");
    router.dispatch(request, capture);
    EXPECT_EQ(last.status, 200);
    EXPECT_TRUE(last.body.contains("\"7\""));

    request.method = "PATCH";
    router.dispatch(request, capture);
    EXPECT_EQ(last.status, 405);
    EXPECT_EQ(last.header("allow"), "GET, DELETE, HEAD");

    request.method = "GET";
    request.path = QStringLiteral("/api/contacts/7/extra");
    router.dispatch(request, capture);
    EXPECT_EQ(last.status, 404);
}

// The HTTP layer says why it refuses; organizer-server words it as every other error (oauth::refusalResponse).
TEST(Router, RefusalsAreWordedByTheWriterItIsGiven)
{
    http::Router router;
    router.add("GET", QStringLiteral("/api/contacts"), [](const http::Request &, http::Responder respond) { respond(http::Response::noContent()); });
    http::Response last;
    auto capture = [&last](http::Response r) { last = std::move(r); };
    http::Request request;
    request.method = "PUT";
    request.path = QStringLiteral("/api/contacts");

    router.dispatch(request, capture);
    EXPECT_EQ(last.status, 405);
    EXPECT_EQ(last.body, "PUT is not supported on /api/contacts; use GET, HEAD");
    EXPECT_EQ(last.header("content-type"), "text/plain; charset=utf-8");

    router.setRefusalWriter(refusalResponse);
    router.dispatch(request, capture);
    EXPECT_EQ(last.status, 405);
    EXPECT_EQ(last.body, "{\"error\":\"method_not_allowed\",\"error_description\":\"PUT is not supported on /api/contacts; use GET, HEAD\"}");
    EXPECT_EQ(headerNames(last), "content-type,allow");
    EXPECT_EQ(last.header("allow"), "GET, HEAD");

    request.method = "GET";
    request.path = QStringLiteral("/nowhere/\"x\"");
    router.dispatch(request, capture);
    EXPECT_EQ(last.status, 404);
    EXPECT_EQ(last.body, "{\"error\":\"not_found\",\"error_description\":\"no resource at /nowhere/'x'\"}");
    EXPECT_EQ(headerNames(last), "content-type");
    EXPECT_EQ(router.noRoute(request).body, last.body);
}

TEST(OAuthError, TheHttpLayersRefusalsInTheServersShape)
{
    const auto body = [](http::Refusal refusal, int status) {
        const http::Response response = refusalResponse(refusal, status, QStringLiteral("why"));
        EXPECT_EQ(response.status, status);
        EXPECT_EQ(headerNames(response), "content-type");
        return response.body;
    };
    EXPECT_EQ(body(http::Refusal::BadRequest, 431), "{\"error\":\"invalid_request\",\"error_description\":\"why\"}");
    EXPECT_EQ(body(http::Refusal::BadRequest, 408), "{\"error\":\"invalid_request\",\"error_description\":\"why\"}");
    EXPECT_EQ(body(http::Refusal::Unavailable, 503), "{\"error\":\"temporarily_unavailable\",\"error_description\":\"why\"}");
    EXPECT_EQ(body(http::Refusal::NoRoute, 404), "{\"error\":\"not_found\",\"error_description\":\"why\"}");
    EXPECT_EQ(body(http::Refusal::MethodNotAllowed, 405), "{\"error\":\"method_not_allowed\",\"error_description\":\"why\"}");
    const http::Response plain = http::plainRefusal(http::Refusal::BadRequest, 400, QStringLiteral("bad framing"));
    EXPECT_EQ(plain.status, 400);
    EXPECT_EQ(plain.body, "bad framing");
}

TEST(Router, SplitsThePathAsSentBeforeDecodingIt)
{
    http::Router router;
    router.add("GET", QStringLiteral("/api/contacts/{id}"), [](const http::Request &r, http::Responder respond) {
        respond(http::Response::json(200, QJsonObject{{QStringLiteral("id"), r.pathParameters.value(QStringLiteral("id"))}}));
    });
    auto statusOf = [&router](const QString &rawPath, QString *id = nullptr) {
        http::Request request;
        request.method = "GET";
        request.rawPath = rawPath;
        request.path = QUrl::fromPercentEncoding(rawPath.toLatin1());
        http::Response last;
        router.dispatch(request, [&last](http::Response r) { last = std::move(r); });
        if (id)
            *id = QJsonDocument::fromJson(last.body).object().value(QLatin1String("id")).toString();
        return last.status;
    };
    QString id;
    EXPECT_EQ(statusOf(QStringLiteral("/api/contacts/7"), &id), 200);
    EXPECT_EQ(id, QStringLiteral("7"));
    EXPECT_EQ(statusOf(QStringLiteral("/api/contacts/%37"), &id), 200);
    EXPECT_EQ(id, QStringLiteral("7"));
    EXPECT_EQ(statusOf(QStringLiteral("/api/contacts/a+b"), &id), 200);
    EXPECT_EQ(id, QStringLiteral("a+b")); // '+' is literal in a path
    EXPECT_EQ(statusOf(QStringLiteral("/api/contacts/a%2Fb")), 404); // a parameter never holds a '/'
    EXPECT_EQ(statusOf(QStringLiteral("/api/contacts/..%2F..%2Fhealthz")), 404);
    EXPECT_EQ(statusOf(QStringLiteral("/api//contacts/7")), 404);
    EXPECT_EQ(statusOf(QStringLiteral("/api%2Fcontacts/7")), 404);
    EXPECT_EQ(statusOf(QStringLiteral("/api%2fcontacts/7")), 404);
    EXPECT_EQ(statusOf(QStringLiteral("//api/contacts/7")), 404);
    EXPECT_EQ(statusOf(QStringLiteral("/api/contacts/7/")), 404);
    EXPECT_EQ(statusOf(QStringLiteral("api/contacts/7")), 404);
}

// ---------------------------------------------------------------------------------------------

TEST(TokenCache, ServesUntilExpiryAndThenForgets)
{
    TokenCache cache(10);
    jose::VerifiedJwt verified;
    verified.expiresAt = 1000;
    cache.insert("t", verified, 900, 0);
    EXPECT_TRUE(cache.find("t", 999, 0).has_value());
    EXPECT_FALSE(cache.find("t", 1000, 0).has_value());
    EXPECT_TRUE(cache.find("t", 1005, 10).has_value()); // within leeway
    EXPECT_FALSE(cache.find("other", 900, 0).has_value());
}

TEST(TokenCache, StaysBounded)
{
    TokenCache cache(100);
    jose::VerifiedJwt verified;
    verified.expiresAt = 10'000;
    for (int i = 0; i < 1000; ++i)
        cache.insert(QByteArray::number(i), verified, 0, 0);
    EXPECT_LE(cache.size(), 100);
    EXPECT_GE(cache.size(), 16); // every shard keeps its newest
    EXPECT_TRUE(cache.find("999", 0, 0).has_value()); // the newest survive eviction
}

TEST(TokenCache, IsSafeToShareBetweenThreads)
{
    // Four threads insert, find and remove at once; under TSan/ASan a race shows, and every thread
    // must find what it inserted last.
    TokenCache cache(100'000);
    jose::VerifiedJwt verified;
    verified.expiresAt = 10'000;
    std::atomic<int> misses{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 20'000; ++i) {
                const QByteArray token = QByteArray::number(t) + ':' + QByteArray::number(i % 500);
                cache.insert(token, verified, 0, 0);
                if (!cache.find(token, 0, 0))
                    ++misses;
                if (i % 7 == 0)
                    cache.remove(token);
            }
        });
    }
    for (std::thread &thread : threads)
        thread.join();
    EXPECT_EQ(misses.load(), 0);
    EXPECT_LE(cache.size(), 2000);
    EXPECT_GT(cache.size(), 0);
}

// A key source that counts refreshes, to prove the verifier asks once per unknown kid and obeys a refusal.
class CountingKeys : public IssuerKeys
{
public:
    CountingKeys() { publishIssuer(QStringLiteral("https://issuer.example/")); }
    bool refresh(std::function<void()> done) override
    {
        ++refreshes;
        if (!allowRefresh)
            return false;
        publishKeys(next);
        done();
        return true;
    }
    void setKeys(const jose::JwkSet &keys) { publishKeys(keys); }
    jose::JwkSet next;
    bool allowRefresh = true;
    int refreshes = 0;
};

TEST(AccessTokenVerifier, RefreshesKeysOnceForAnUnknownKidAndCachesTheResult)
{
    const jose::RsaKey key = jose::RsaKey::generate(2048).value();
    CountingKeys keys;
    keys.next = jose::JwkSet({jose::Jwk::forSigningKey(key, QStringLiteral("new"))});
    AccessTokenVerifier verifier(&keys, {QStringLiteral("organize"), 0, 100}, [] { return qint64(1000); });
    const QJsonObject claims{{QStringLiteral("iss"), keys.issuer()},
                             {QStringLiteral("aud"), QStringLiteral("organize")},
                             {QStringLiteral("exp"), 2000},
                             {QStringLiteral("scope"), QStringLiteral("read:contacts")}};
    const QByteArray token = jose::signCompactJws({}, QJsonDocument(claims).toJson(), key, QStringLiteral("new")).value();

    int calls = 0;
    bool accepted = false;
    verifier.verify(token, [&](const auto &result) {
        ++calls;
        accepted = bool(result);
    });
    EXPECT_EQ(calls, 1);
    EXPECT_TRUE(accepted);
    EXPECT_EQ(keys.refreshes, 1);

    verifier.verify(token, [&](const auto &result) {
        ++calls;
        accepted = bool(result);
    });
    EXPECT_EQ(calls, 2);
    EXPECT_TRUE(accepted);
    EXPECT_EQ(keys.refreshes, 1); // served from the cache

    keys.allowRefresh = false;
    const QByteArray unknown = jose::signCompactJws({}, QJsonDocument(claims).toJson(), key, QStringLiteral("unknown")).value();
    QString reason;
    verifier.verify(unknown, [&](const auto &result) {
        ++calls;
        reason = result ? QString() : result.error().description;
    });
    EXPECT_EQ(calls, 3);
    EXPECT_TRUE(reason.contains(QLatin1String("no signing key with kid")));
}

TEST(AccessTokenVerifier, ACachedTokenDiesWithItsSigningKey)
{
    // After `keys rotate --retain 0` (or an --authority issuer dropping a key) a token seen before
    // must not keep opening the APIs from the cache.
    const jose::RsaKey key = jose::RsaKey::generate(2048).value();
    CountingKeys keys;
    keys.setKeys(jose::JwkSet({jose::Jwk::forSigningKey(key, QStringLiteral("old"))}));
    keys.allowRefresh = false;
    AccessTokenVerifier verifier(&keys, {QStringLiteral("organize"), 0, 100}, [] { return qint64(1000); });
    const QJsonObject claims{{QStringLiteral("iss"), keys.issuer()}, {QStringLiteral("aud"), QStringLiteral("organize")}, {QStringLiteral("exp"), 2000}};
    const QByteArray token = jose::signCompactJws({}, QJsonDocument(claims).toJson(), key, QStringLiteral("old")).value();
    bool accepted = false;
    verifier.verify(token, [&](const auto &result) { accepted = bool(result); });
    ASSERT_TRUE(accepted);
    keys.setKeys(jose::JwkSet({jose::Jwk::forSigningKey(jose::RsaKey::generate(2048).value(), QStringLiteral("newer"))}));
    QString reason;
    verifier.verify(token, [&](const auto &result) {
        accepted = bool(result);
        reason = result ? QString() : result.error().description;
    });
    EXPECT_FALSE(accepted);
    EXPECT_TRUE(reason.contains(QLatin1String("no signing key with kid 'old'"))) << reason.toStdString();
}

TEST(AccessTokenVerifier, ARevokedTokenIsRefusedEvenFromTheCache)
{
    const jose::RsaKey key = jose::RsaKey::generate(2048).value();
    CountingKeys keys;
    keys.setKeys(jose::JwkSet({jose::Jwk::forSigningKey(key, QStringLiteral("k"))}));
    TokenRevocations revocations;
    AccessTokenVerifier verifier(&keys, {QStringLiteral("organize"), 0, 100}, [] { return qint64(1000); });
    verifier.setRevocations(&revocations);
    const QJsonObject claims{{QStringLiteral("iss"), keys.issuer()}, {QStringLiteral("aud"), QStringLiteral("organize")}, {QStringLiteral("exp"), 2000}};
    const QByteArray token = jose::signCompactJws({}, QJsonDocument(claims).toJson(), key, QStringLiteral("k")).value();
    bool accepted = false;
    verifier.verify(token, [&](const auto &result) { accepted = bool(result); });
    ASSERT_TRUE(accepted);
    revocations.revoke(TokenRevocations::fingerprint(token), 2000, 1000);
    verifier.verify(token, [&](const auto &result) { accepted = bool(result); });
    EXPECT_FALSE(accepted);
    EXPECT_FALSE(revocations.isRevoked("another.token.value", 1000));
    revocations.revoke(TokenRevocations::fingerprint("expired"), 900, 1000); // already expired: not kept
    EXPECT_EQ(revocations.size(), 1);
}

// Issue 21: every insert swept the whole list for expired entries, so revoking a family of n tokens
// looked at n²/2 entries while every HTTP worker waited for the lock.
TEST(TokenRevocations, AddingLooksAtEachEntryOnlyAFewTimesAndExpiredOnesStillGo)
{
    TokenRevocations revocations;
    constexpr int count = 20'000;
    for (int i = 0; i < count; ++i)
        revocations.revoke(TokenRevocations::fingerprint(QByteArray::number(i)), 2000 + i % 2, 1000);
    EXPECT_LE(revocations.entriesSwept(), 2 * count) << "sweeps are paid for by the entries added since the last one";
    QList<TokenRevocations::Revoked> family;
    for (int i = 0; i < count; ++i)
        family.append({TokenRevocations::fingerprint("family-" + QByteArray::number(i)), 2000});
    revocations.revokeAll(family, 1000);
    EXPECT_LE(revocations.entriesSwept(), 2 * 2 * count);
    EXPECT_EQ(revocations.size(), 2 * count);
    EXPECT_TRUE(revocations.isRevoked("family-19999", 1000));
    EXPECT_TRUE(revocations.isRevoked("12345", 1000));
    // The authorization server's timer forgets what expired; so does a sweep the list's growth brings.
    revocations.prune(2000);
    EXPECT_EQ(revocations.size(), count / 2) << "only the entries expiring at 2001 are left";
    revocations.prune(2001);
    EXPECT_EQ(revocations.size(), 0);
    EXPECT_FALSE(revocations.isRevoked("12345", 1000)) << "forgotten";
    revocations.revokeAll(family, 2500);
    EXPECT_EQ(revocations.size(), 0) << "expired tokens are never added";
}

// ---------------------------------------------------------------------------------------------

TEST(RecordStore, TheRevisionMovesWithEveryCommitFromAnyConnection)
{
    // Two stores on one file are two SQLite connections, as two processes would have: a commit by
    // either must move the other's revision, or a cached list would hide it.
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("organizer.sqlite"));
    auto first = RecordStore::open(organizer::testing::sqliteDatabase(path), organizerService().apis);
    ASSERT_TRUE(first) << first.error().toStdString();
    auto second = RecordStore::open(organizer::testing::sqliteDatabase(path), organizerService().apis);
    ASSERT_TRUE(second) << second.error().toStdString();
    EXPECT_TRUE((*first)->watchesWalIndex());

    const auto before = (*first)->revision();
    ASSERT_TRUE(before.has_value());
    EXPECT_EQ((*first)->revision(), before) << "no commit, no change: the list cache must hold";
    const qsizetype count = (*first)->list(contactsSpec())->size();

    auto created = (*second)->create(
        contactsSpec(), QJsonObject{{QStringLiteral("name"), QStringLiteral("Ada")}, {QStringLiteral("email"), QStringLiteral("ada@example.org")}});
    ASSERT_TRUE(created) << created.error().toStdString();
    const auto after = (*first)->revision();
    EXPECT_NE(after, before) << "another connection's commit went unnoticed";
    EXPECT_EQ((*first)->list(contactsSpec())->size(), count + 1);
    EXPECT_EQ((*first)->revision(), after);

    // The store's own writes count too, and so does every later one.
    ASSERT_TRUE((*first)->remove(contactsSpec(), created->value(QLatin1String("id")).toInteger()));
    const auto removed = (*first)->revision();
    EXPECT_NE(removed, after);
    for (int i = 0; i < 20; ++i) {
        ASSERT_TRUE((*second)->create(
            contactsSpec(),
            QJsonObject{{QStringLiteral("name"), QStringLiteral("N%1").arg(i)}, {QStringLiteral("email"), QStringLiteral("n%1@example.org").arg(i)}}));
        const auto now = (*first)->revision();
        EXPECT_NE(now, removed);
    }
}

TEST(CollectionApi, AListCachedOnOneThreadIsNeverStaleOnAnother)
{
    QTemporaryDir dir;
    auto store = RecordStore::open(organizer::testing::sqliteDatabase(dir.filePath(QStringLiteral("organizer.sqlite"))), organizerService().apis);
    ASSERT_TRUE(store);
    const ApiSpec spec = contactsSpec();
    CollectionApi api(spec, store->get());
    const auto countOf
        = [](const http::Response &response) { return QJsonDocument::fromJson(response.body).object().value(QLatin1String("contacts")).toArray().size(); };
    const qsizetype initial = countOf(api.list({}));
    // Another thread (an HTTP worker) writes through its own connection; this thread's next list sees it.
    std::thread writer([&] {
        http::Request request;
        request.headers.append(qMakePair(QByteArray("content-type"), QByteArray("application/json")));
        request.body = R"({"name":"From another thread","email":"thread@example.org"})";
        EXPECT_EQ(api.create(request).status, 201);
    });
    writer.join();
    EXPECT_EQ(countOf(api.list({})), initial + 1);
    std::thread reader([&] { EXPECT_EQ(countOf(api.list({})), initial + 1); });
    reader.join();
}
