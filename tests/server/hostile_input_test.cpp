// The catalogue of hostile inputs: one table, each row a raw request and the answer it must get.
// Everything here must be refused clearly — never a crash, a hang, a silent success or a split header.
//
// Attacks that take several steps are tested where their steps live; the catalogue lists them too:
//   session cookies reaching a loopback listener, replayed ......... interop_chromium (browser.mjs)
//   a loopback callback under a cookie path ........................ authorization_unit_test TenantErrors
//   silent authorization to a new loopback port .................... Authorization.ConsentForALoopbackRedirectIsAskedEveryTime
//   a refresh token used twice (family revoked) .................... Authorization.ARefreshTokenUsedTwiceRevokesItsWholeFamily
//   a family refreshed 8,000 times, then revoked (issue 21) ........ StoreConformance.RevokingAFamilyTakesAsManyStatementsForTwoThousandAccessTokensAsForOne,
//                                                                    ARefreshLoopLeavesOnlyItsUnexpiredAccessTokensBehind,
//                                                                    ARefreshFamilyFromBeforeGenerationsIsStillRecognised,
//                                                                    TokenRevocations.AddingLooksAtEachEntryOnlyAFewTimesAndExpiredOnesStillGo,
//                                                                    Authorization.AFiftyTimesRefreshedFamilyKeepsNoRetiredTokensAndItsFirstTokenStillRevokesIt
//   refresh tokens past their idle / absolute lifetime ............. Authorization.RefreshTokensExpireByInactivityAndAbsoluteLifetime
//   revocation (RFC 7009), another client's token .................. Authorization.RevocationEndpointFollowsRfc7009
//   an authorization code used twice (its tokens revoked) .......... Authorization.CodeFlowWithPkceRefreshAndSingleUseCodes
//   client-secret guessing: throttle, decoy timing, flood .......... Authorization.SecretGuessingIsThrottledPerClient,
//                                                                    AnUnknownClientTakesAsLongAsAWrongSecret, AFloodOfSecretGuessesDoesNotDelayOtherRequests
//   a flood of unfinished /authorize requests from five addresses .. Authorization.AFloodOfUnfinishedLoginsNeverLocksOthersOut (issue 21),
//                                                                    StoreConformance.PendingLoginsMakeRoomFromTheHeaviestSenderAndCountWithoutAScan,
//                                                                    HttpMessage.AddressGroupsAreIpv4AddressesAndIpv6Slash64s
//   a user asking /authorize for the Management API's audience ..... Authorization.AUserLoginNeverAdministersTheTenant (issue 21)
//   an API planted under a future issuer's …/api/v2/ identifier ... ManagementIdentifier.NoApiCanBeNamedLikeAManagementApiNorStandInForIt
//   eight CI jobs presenting the right client secret at once ....... Authorization.ARightSecretIsNeverThrottledHoweverManyPresentItAtOnce
//   max_age=0 within the second of the last login .................. Authorization.MaxAgeZeroAsksForTheLoginEvenWithinTheSameSecond
//   declared-API fields named xmin/ctid/rowid, dropped, retyped .... Authorization.ChangingADeclaredApiNeverTurnsItsWritesIntoServerErrors,
//                                                                    StoreConformance.AFieldDroppedOrMadeOptional…, AFieldWhoseTypeChanges…
//   made-up names locking every account from 127.0.0.1 ............. Authorization.MadeUpNamesFromOneAddressDoNotLockRealUsersOut
//   "ſam" on a fresh throttle counter .............................. Authorization.LoginsAreNormalisedOnceForLookupAndThrottle
//   a cached token outliving its withdrawn key, a revoked token .... AccessTokenVerifier.ACachedTokenDiesWithItsSigningKey,
//                                                                    ARevokedTokenIsRefusedEvenFromTheCache
//   logging someone out with a link ................................ Authorization.OidcLogoutWithoutAHintAsksFirst
//   another user's ID token or an access token as id_token_hint .... Authorization.OidcLogoutAsksFirstUnlessTheHintIsAnIdTokenOfTheSessionsUser
//   '+' for spaces, error_description characters, nosniff ......... interop_wire (wire.mjs)
//   a smuggled request after bad framing is never served .......... http_server_test Catalogue/Smuggling
//   CR/LF, NEL, U+2028 in a client_id or path (log forging) ........ ServerCli.RequestValuesCannotForgeALineOfTheLog
//   every framing variant, split anywhere; http-parser differential  http_parser_test Smuggling/Framing, RequestParserDifferential
//   150 MB of chunked body (counted as it arrives, RSS bounded) .... ConnectionLimits.AChunkedFloodIsRefusedWithoutBeingBuffered
//   pipelining without reading the answers ......................... HttpServer.AClientThatDoesNotReadIsNotReadFrom, EverySocketCountsUntilItIsClosed
//   600 idle + 50 slowloris connections ............................ ConnectionLimits.SixHundredIdleAndFiftySlowlorisConnectionsDoNotStopANormalRequest
//   connection slots held by silent or busy clients ................ HttpServer.AtTheCapTheOldestIdleConnectionMakesRoom, ...NoIdleConnection...503,
//                                                                    ConnectionsPerAddressAreCapped, ASilentConnectionGetsTheRequestTimeout...

#include "serverprocess.h"
#include "testhttp.h"

#include <gtest/gtest.h>

using namespace organizer::test;

namespace {

struct HostileCase
{
    const char *name;
    std::function<QByteArray()> request; // raw bytes sent on a fresh connection
    int status;
    std::function<void(const HttpReply &)> extra = {};
};
void PrintTo(const HostileCase &c, std::ostream *os)
{
    *os << c.name;
}

QByteArray get(const QByteArray &target, const QByteArray &headers = {})
{
    return "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + headers + "\r\n";
}

QByteArray post(const QByteArray &target, const QByteArray &contentType, const QByteArray &body)
{
    return "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: " + contentType
        + "\r\nAuthorization: Bearer x.y.z\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

// A POST whose framing headers are `headers`, followed by a request that must never be served.
QByteArray framed(const QByteArray &headers)
{
    return "POST /oauth/token HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
}

const QByteArray kAuthorize = "/authorize?client_id=organizer-desktop&response_type=token&scope=openid&redirect_uri=";
const QByteArray kCallback = "http%3A%2F%2Flocalhost%3A3000%2Fcallback";

void noHeaderSplitting(const HttpReply &reply)
{
    for (const auto &[name, value] : reply.headers) {
        EXPECT_NE(name, "set-cookie-injected");
        EXPECT_FALSE(value.contains('\r') || value.contains('\n'));
    }
    EXPECT_EQ(reply.headerCount("x-injected"), 0);
}

} // namespace

class HostileInput : public ::testing::TestWithParam<HostileCase>
{
protected:
    static void SetUpTestSuite()
    {
        s_server = new ServerProcess();
        ASSERT_TRUE(s_server->start());
    }
    static void TearDownTestSuite() { delete s_server; }
    static inline ServerProcess *s_server = nullptr;
};

TEST_P(HostileInput, IsRefusedClearly)
{
    const HttpReply reply = sendRaw(s_server->port(), GetParam().request(), 15000);
    ASSERT_TRUE(reply.error.isEmpty()) << reply.error.toStdString();
    EXPECT_EQ(reply.status, GetParam().status) << reply.body.left(300).toStdString();
    if (GetParam().extra)
        GetParam().extra(reply);
    EXPECT_EQ(reply.header("x-content-type-options"), "nosniff"); // every answer, refusals included
    const QByteArray description = reply.json("error_description");
    for (const char c : description) // RFC 6749 §5.2 / RFC 6750 §3
        EXPECT_TRUE(c == 0x20 || c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e)) << "error_description: " << description.constData();
    EXPECT_EQ(sendHttp(s_server->port(), {"GET", "/healthz", {}, {}}).status, 200) << "the server stopped serving";
}

INSTANTIATE_TEST_SUITE_P(
    Catalogue, HostileInput,
    ::testing::Values(
        HostileCase{"oversized_header", [] { return get("/api/contacts", "X-Big: " + QByteArray(40 * 1024, 'a') + "\r\n"); }, 431},
        HostileCase{"log_forging_client_id", [] { return get("/authorize?client_id=evil%0A2026-01-01%20organizer.server%3A%20forged"); }, 400},
        HostileCase{"oversized_target", [] { return get("/api/contacts?q=" + QByteArray(40 * 1000, 'a')); }, 414,
                    [](const HttpReply &r) { EXPECT_TRUE(r.json("error_description").contains("target")) << r.body.left(300).toStdString(); }},
        HostileCase{"thousands_of_headers",
                    [] {
                        QByteArray headers;
                        for (int i = 0; i < 3000; ++i)
                            headers += "X-H" + QByteArray::number(i) + ": v\r\n";
                        return get("/api/contacts", headers);
                    },
                    431},
        HostileCase{"repeated_authorization", [] { return get("/api/contacts", "Authorization: Bearer a\r\nAuthorization: Bearer b\r\n"); }, 400},
        HostileCase{"announced_huge_body",
                    [] { return QByteArray("POST /api/contacts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 999999999\r\n\r\n{"); },
                    413},
        HostileCase{"json_bomb_nesting", [] { return post("/api/contacts", "application/json", QByteArray(20000, '[') + QByteArray(20000, ']')); }, 401,
                    [](const HttpReply &r) { EXPECT_EQ(r.json("error"), "invalid_token"); }},
        HostileCase{"bad_utf8_login_form", [] { return post("/login", "application/x-www-form-urlencoded", "transaction=%FF&csrf=%FE&username=%C0%AF"); }, 400},
        HostileCase{"bad_utf8_token_request", [] { return post("/oauth/token", "application/x-www-form-urlencoded", "grant_type=%FF%FE"); }, 400},
        HostileCase{"path_traversal", [] { return get("/assets/..%2F..%2Fetc%2Fpasswd"); }, 404},
        HostileCase{"dot_segments_in_api_path", [] { return get("/api/contacts/..%2F..%2Fhealthz"); }, 404},
        HostileCase{"crlf_in_state_is_encoded",
                    [] { return get(kAuthorize + kCallback + "&audience=nope&state=x%0D%0ASet-Cookie-Injected:%20a%3Db%0D%0AX-Injected:%201"); }, 302,
                    [](const HttpReply &r) {
                        noHeaderSplitting(r);
                        EXPECT_TRUE(r.header("location").contains("state=x%0D%0ASet-Cookie-Injected")) << r.header("location").toStdString();
                    }},
        HostileCase{"crlf_in_bearer_description",
                    [] { return get("/api/contacts", "Authorization: Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6IlxyXG5YLUluamVjdGVkOiAxIn0.e30.AA\r\n"); }, 401,
                    noHeaderSplitting},
        HostileCase{"open_redirect_via_redirect_uri", [] { return get(kAuthorize + "https%3A%2F%2Fevil.example%2Fcallback"); }, 400,
                    [](const HttpReply &r) { EXPECT_TRUE(r.header("location").isEmpty()); }},
        HostileCase{"open_redirect_via_lookalike_uri", [] { return get(kAuthorize + "http%3A%2F%2Flocalhost%3A3000%40evil.example%2Fcallback"); }, 400,
                    [](const HttpReply &r) { EXPECT_TRUE(r.header("location").isEmpty()); }},
        HostileCase{"open_redirect_via_return_to", [] { return get("/v2/logout?client_id=organizer-desktop&returnTo=https%3A%2F%2Fevil.example%2F"); }, 400,
                    [](const HttpReply &r) { EXPECT_TRUE(r.header("location").isEmpty()); }},
        HostileCase{"protocol_relative_return_to", [] { return get("/v2/logout?client_id=organizer-desktop&returnTo=%2F%2Fevil.example%2F"); }, 400},
        HostileCase{"repeated_authorize_parameters", [] { return get(kAuthorize + kCallback + "&client_id=other"); }, 400},
        HostileCase{"unknown_method", [] { return QByteArray("BREW /api/contacts HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); }, 501},
        // Framing (RFC 9112 §6.3): every request whose length two parsers could read differently is
        // refused and its connection closed (http_server_test Catalogue/Smuggling proves nothing
        // after it is served; http_parser_test has the full catalogue and the differential).
        HostileCase{"smuggling_cl_te", [] { return framed("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n"); }, 400},
        HostileCase{"smuggling_te_cl", [] { return framed("Transfer-Encoding: chunked\r\nContent-Length: 4\r\n"); }, 400},
        HostileCase{"smuggling_duplicate_content_length", [] { return framed("Content-Length: 0\r\nContent-Length: 36\r\n"); }, 400},
        HostileCase{"smuggling_content_length_list", [] { return framed("Content-Length: 0, 36\r\n"); }, 400},
        HostileCase{"smuggling_negative_content_length", [] { return framed("Content-Length: -1\r\n"); }, 400},
        HostileCase{"smuggling_hex_content_length", [] { return framed("Content-Length: 0x24\r\n"); }, 400},
        HostileCase{"smuggling_signed_content_length", [] { return framed("Content-Length: +36\r\n"); }, 400},
        HostileCase{"smuggling_chunked_then_identity", [] { return framed("Transfer-Encoding: chunked, identity\r\n"); }, 400},
        HostileCase{"smuggling_gzip_then_chunked", [] { return framed("Transfer-Encoding: gzip, chunked\r\n"); }, 501},
        HostileCase{"smuggling_space_before_colon", [] { return framed("Transfer-Encoding : chunked\r\n"); }, 400},
        HostileCase{"smuggling_te_in_http_1_0", [] { return QByteArray("POST /oauth/token HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"); }, 400},
        HostileCase{"missing_host", [] { return QByteArray("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n"); }, 400},
        HostileCase{"duplicate_host", [] { return QByteArray("GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n"); }, 400},
        HostileCase{"bare_lf_line_ends", [] { return QByteArray("GET /healthz HTTP/1.1\nHost: x\n\n"); }, 400},
        HostileCase{"http_2_request_line", [] { return QByteArray("GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n"); }, 505},
        HostileCase{"unsupported_expectation",
                    [] { return QByteArray("POST /oauth/token HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\na"); }, 417},
        HostileCase{"token_in_query_string", [] { return get("/api/contacts?access_token=abc"); }, 400},
        // Paths are split on '/' as sent, then decoded: neither form reaches the contacts API.
        HostileCase{"encoded_slash_in_api_path", [] { return get("/api%2fcontacts", "Authorization: Bearer x.y.z\r\n"); }, 404},
        HostileCase{"double_slash_in_api_path", [] { return get("/api//contacts", "Authorization: Bearer x.y.z\r\n"); }, 404},
        // A kid with quotes and a backslash: the challenge stays a valid quoted-string, the description in the RFC's characters.
        HostileCase{"quotes_in_token_kid", [] { return get("/api/contacts", "Authorization: Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6ImtcIjFcXHgifQ.e30.AA\r\n"); },
                    401,
                    [](const HttpReply &r) {
                        const QByteArray challenge = r.header("www-authenticate");
                        const QByteArray description = challenge.mid(challenge.indexOf("error_description=\"") + 19);
                        EXPECT_FALSE(description.left(description.indexOf('"')).contains('\\')) << challenge.constData();
                    }},
        HostileCase{"request_object", [] { return get(kAuthorize + kCallback + "&request=eyJhbGciOiJub25lIn0.e30.&state=s"); }, 302,
                    [](const HttpReply &r) { EXPECT_TRUE(r.header("location").contains("error=request_not_supported")) << r.header("location").constData(); }},
        HostileCase{"request_uri", [] { return get(kAuthorize + kCallback + "&request_uri=https%3A%2F%2Fevil.example%2Fr&state=s"); }, 302,
                    [](const HttpReply &r) { EXPECT_TRUE(r.header("location").contains("error=request_uri_not_supported")); }},
        HostileCase{"bad_max_age", [] { return get(kAuthorize + kCallback + "&max_age=-5&state=s"); }, 302,
                    [](const HttpReply &r) { EXPECT_TRUE(r.header("location").contains("error=invalid_request")); }},
        // A value that looks like a page placeholder is returned as sent, never expanded.
        HostileCase{"placeholder_in_state", [] { return get(kAuthorize + kCallback + "&audience=nope&state=abc%7B%7Bcsrf%7D%7D"); }, 302,
                    [](const HttpReply &r) { EXPECT_TRUE(r.header("location").contains("state=abc%7B%7Bcsrf%7D%7D")) << r.header("location").constData(); }},
        // Plus is a space: a URLSearchParams-encoded response type is understood.
        HostileCase{"plus_encoded_response_type",
                    [] {
                        return get("/authorize?client_id=organizer-desktop&redirect_uri=" + kCallback
                                   + "&response_type=id_token+token&nonce=n&scope=openid+profile&state=a+b");
                    },
                    302, [](const HttpReply &r) { EXPECT_TRUE(r.header("location").startsWith("/login?transaction=")) << r.header("location").constData(); }},
        HostileCase{"loopback_callback_cookie_free", [] { return get(kAuthorize + "http%3A%2F%2F127.0.0.1%3A9%2Fcallback&state=s"); }, 302,
                    [](const HttpReply &r) {
                        // The cookies this answer sets are scoped to the server's pages, never "/".
                        for (const auto &[name, value] : r.headers) {
                            if (name == "set-cookie") {
                                EXPECT_FALSE(value.contains("Path=/;")) << value.constData();
                            }
                        }
                    }},
        HostileCase{"revoke_with_bearer_auth",
                    [] { return post("/oauth/revoke", "application/x-www-form-urlencoded", "token=abc&client_id=organizer-desktop"); }, 400},
        HostileCase{"logout_confirmation_forged", [] { return post("/oidc/logout", "application/x-www-form-urlencoded", "csrf=forged&decision=logout"); }, 200,
                    [](const HttpReply &r) {
                        EXPECT_TRUE(r.body.contains("logged out")); /* no session: nothing to end */
                    }}),
    [](const auto &row) { return std::string(row.param.name); });
