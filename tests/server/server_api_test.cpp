// The resource server through real HTTP against a real organizer-server process.

#include "apitestsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QDeadlineTimer>
#include <QHostAddress>
#include <QTcpSocket>

#include <gtest/gtest.h>

#include <memory>

using namespace organizer::test;

namespace {

QByteArray jsonBody(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

const QList<QPair<QByteArray, QByteArray>> kJson{{"content-type", "application/json"}};

} // namespace

class ApiTest : public ::testing::Test
{
protected:
    static void SetUpTestSuite()
    {
        s_server = new ServerProcess();
        ASSERT_TRUE(s_server->start()) << s_server->errorText().toStdString();
        s_tokens = new TokenFactory(s_server->dataDir(), s_server->issuer());
    }
    static void TearDownTestSuite()
    {
        delete s_tokens;
        delete s_server;
    }

    static HttpReply call(const QByteArray &method, const QByteArray &path, const QByteArray &token = {}, const QByteArray &body = {},
                          QList<QPair<QByteArray, QByteArray>> headers = {})
    {
        if (!token.isEmpty())
            headers.append({"authorization", bearer(token)});
        if (!body.isEmpty())
            headers += kJson;
        HttpReply reply = sendHttp(s_server->port(), {method, path, headers, body});
        EXPECT_TRUE(reply.error.isEmpty()) << reply.error.toStdString();
        return reply;
    }
    static QByteArray fullToken() { return s_tokens->token(kAllScopes); }

    // Creates a record with an all-scopes token and returns its id.
    static qint64 createRecord(const QByteArray &collection)
    {
        const QByteArray body = collection == "contacts"
            ? jsonBody({{QStringLiteral("name"), QStringLiteral("Test Person")}, {QStringLiteral("email"), QStringLiteral("test@example.com")}})
            : jsonBody({{QStringLiteral("title"), QStringLiteral("Test meeting")}, {QStringLiteral("time"), QStringLiteral("2026-12-10T10:00:00+01:00")}});
        const HttpReply reply = call("POST", "/api/" + collection, fullToken(), body);
        EXPECT_EQ(reply.status, 201) << reply.body.toStdString();
        return QJsonDocument::fromJson(reply.body).object().value(QLatin1String("id")).toInteger();
    }

    static inline ServerProcess *s_server = nullptr;
    static inline TokenFactory *s_tokens = nullptr;
};

// ---------------------------------------------------------------------------------------------
// Scope × route: each route opens with exactly its own scope and answers 403 for each of the others.

struct RouteCase
{
    const char *name;
    QByteArray method;
    QByteArray collection; // path segment; the record collection for item routes
    bool item;
    QString scope;
    int successStatus;
};

const QList<RouteCase> &routes()
{
    static const QList<RouteCase> list = [] {
        QList<RouteCase> out;
        const struct
        {
            const char *segment;
            const char *api;
        } collections[] = {{"contacts", "contacts"}, {"appointments", "calendar"}, {"calendar", "calendar"}};
        for (const auto &c : collections) {
            const QString api = QLatin1String(c.api);
            out.append({"list", "GET", c.segment, false, QStringLiteral("read:") + api, 200});
            out.append({"create", "POST", c.segment, false, QStringLiteral("create:") + api, 201});
            out.append({"get", "GET", c.segment, true, QStringLiteral("read:") + api, 200});
            out.append({"replace", "PUT", c.segment, true, QStringLiteral("update:") + api, 200});
            out.append({"delete", "DELETE", c.segment, true, QStringLiteral("delete:") + api, 204});
        }
        return out;
    }();
    return list;
}

struct ScopeCase
{
    RouteCase route;
    QString granted;
};

// Test names already say which row failed; print the same instead of raw bytes.
void PrintTo(const ScopeCase &c, std::ostream *os)
{
    *os << c.route.method.constData() << ' ' << c.route.collection.constData() << " with " << c.granted.toStdString();
}

class ScopeMatrix : public ApiTest, public ::testing::WithParamInterface<ScopeCase>
{};

TEST_P(ScopeMatrix, RouteOpensOnlyWithItsScope)
{
    const ScopeCase &c = GetParam();
    const QByteArray recordCollection = c.route.collection == "contacts" ? QByteArray("contacts") : QByteArray("appointments");
    QByteArray path = "/api/" + c.route.collection;
    if (c.route.item)
        path += '/' + QByteArray::number(createRecord(recordCollection));
    QByteArray body;
    if (c.route.method == "POST" || c.route.method == "PUT") {
        body = recordCollection == "contacts"
            ? jsonBody({{QStringLiteral("name"), QStringLiteral("Scoped")}, {QStringLiteral("email"), QStringLiteral("scoped@example.com")}})
            : jsonBody({{QStringLiteral("title"), QStringLiteral("Scoped")}, {QStringLiteral("time"), QStringLiteral("2026-12-11T09:00:00Z")}});
    }
    const HttpReply reply = call(c.route.method, path, s_tokens->token(c.granted), body);
    if (c.granted == c.route.scope) {
        EXPECT_EQ(reply.status, c.route.successStatus) << reply.body.toStdString();
        EXPECT_TRUE(reply.header("www-authenticate").isEmpty());
    } else {
        EXPECT_EQ(reply.status, 403) << reply.body.toStdString();
        EXPECT_EQ(reply.header("www-authenticate"),
                  "Bearer realm=\"organize\", error=\"insufficient_scope\", error_description=\"this token lacks the " + c.route.scope.toUtf8()
                      + " scope\", scope=\"" + c.route.scope.toUtf8() + "\"");
        EXPECT_EQ(reply.json("error"), "insufficient_scope");
        EXPECT_EQ(reply.json("scope"), c.route.scope.toUtf8());
    }
}

std::vector<ScopeCase> scopeCases()
{
    std::vector<ScopeCase> cases;
    const QStringList all = kAllScopes.split(QLatin1Char(' '));
    for (const RouteCase &route : routes()) {
        for (const QString &scope : all)
            cases.push_back({route, scope});
    }
    return cases;
}

INSTANTIATE_TEST_SUITE_P(AllRoutes, ScopeMatrix, ::testing::ValuesIn(scopeCases()), [](const auto &row) {
    QString name = QStringLiteral("%1_%2_%3_with_%4")
                       .arg(QString::fromLatin1(row.param.route.method), QString::fromLatin1(row.param.route.collection),
                            row.param.route.item ? QStringLiteral("item") : QStringLiteral("collection"), row.param.granted);
    name.replace(QLatin1Char(':'), QLatin1Char('_'));
    return name.toStdString();
});

TEST_F(ApiTest, ScopeIsMatchedTokenByTokenNotBySubstring)
{
    EXPECT_EQ(call("GET", "/api/contacts", s_tokens->token(QStringLiteral("read:contacts:all"))).status, 403);
    EXPECT_EQ(call("GET", "/api/contacts", s_tokens->token(QStringLiteral("xread:contacts read:contactsx"))).status, 403);
    EXPECT_EQ(call("GET", "/api/contacts", s_tokens->token(QStringLiteral("openid  read:contacts  profile"))).status, 200);
}

// ---------------------------------------------------------------------------------------------
// RFC 6750 §3.1 answers.

TEST_F(ApiTest, NoCredentialsIs401WithABareChallenge)
{
    const HttpReply reply = call("GET", "/api/contacts");
    EXPECT_EQ(reply.status, 401);
    EXPECT_EQ(reply.header("www-authenticate"), "Bearer realm=\"organize\"");
    EXPECT_EQ(reply.header("content-type"), "application/json");
    EXPECT_FALSE(reply.json("error_description").isEmpty());
}

TEST_F(ApiTest, OtherSchemeIsTreatedAsNoBearerCredentials)
{
    const HttpReply reply = call("GET", "/api/contacts", {}, {}, {{"authorization", "Basic dXNlcjpwYXNz"}});
    EXPECT_EQ(reply.status, 401);
    EXPECT_EQ(reply.header("www-authenticate"), "Bearer realm=\"organize\"");
}

TEST_F(ApiTest, SchemeNameIsCaseInsensitive)
{
    EXPECT_EQ(call("GET", "/api/contacts", {}, {}, {{"authorization", "bEaReR " + s_tokens->token(QStringLiteral("read:contacts"))}}).status, 200);
}

struct MalformedCase
{
    const char *name;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray query;
};

// Test names already say which row failed; print the same instead of raw bytes.
void PrintTo(const MalformedCase &c, std::ostream *os)
{
    *os << c.name;
}

class MalformedAuthorization : public ApiTest, public ::testing::WithParamInterface<MalformedCase>
{};

TEST_P(MalformedAuthorization, Is400InvalidRequest)
{
    const HttpReply reply = call("GET", "/api/contacts" + GetParam().query, {}, {}, GetParam().headers);
    EXPECT_EQ(reply.status, 400);
    EXPECT_TRUE(reply.header("www-authenticate").startsWith("Bearer realm=\"organize\", error=\"invalid_request\", error_description=\""));
    EXPECT_EQ(reply.json("error"), "invalid_request");
}

INSTANTIATE_TEST_SUITE_P(Rfc6750, MalformedAuthorization,
                         ::testing::Values(MalformedCase{"bearer_without_token", {{"authorization", "Bearer"}}, {}},
                                           MalformedCase{"two_tokens", {{"authorization", "Bearer abc def"}}, {}},
                                           MalformedCase{"illegal_characters", {{"authorization", "Bearer ab\"c"}}, {}},
                                           MalformedCase{"two_authorization_headers", {{"authorization", "Bearer abc"}, {"authorization", "Bearer def"}}, {}},
                                           MalformedCase{"token_in_query_string", {}, "?access_token=abc.def.ghi"}),
                         [](const auto &row) { return std::string(row.param.name); });

struct InvalidTokenCase
{
    const char *name;
    std::function<QByteArray(const TokenFactory &)> make;
    const char *descriptionContains;
};

// Test names already say which row failed; print the same instead of raw bytes.
void PrintTo(const InvalidTokenCase &c, std::ostream *os)
{
    *os << c.name;
}

class InvalidToken : public ApiTest, public ::testing::WithParamInterface<InvalidTokenCase>
{};

TEST_P(InvalidToken, Is401InvalidTokenWithAReason)
{
    const QByteArray token = GetParam().make(*s_tokens);
    const HttpReply reply = call("GET", "/api/contacts", token);
    EXPECT_EQ(reply.status, 401) << reply.body.toStdString();
    const QByteArray challenge = reply.header("www-authenticate");
    EXPECT_TRUE(challenge.startsWith("Bearer realm=\"organize\", error=\"invalid_token\", error_description=\"")) << challenge.toStdString();
    EXPECT_EQ(reply.json("error"), "invalid_token");
    EXPECT_TRUE(reply.json("error_description").contains(GetParam().descriptionContains)) << reply.json("error_description").toStdString();
    EXPECT_FALSE(challenge.contains(token.left(40)));
}

INSTANTIATE_TEST_SUITE_P(
    Rfc6750, InvalidToken,
    ::testing::Values(
        InvalidTokenCase{"garbage", [](const TokenFactory &) { return QByteArray("not-a-jwt"); }, "compact JWS"},
        InvalidTokenCase{"20_kilobytes", [](const TokenFactory &) { return QByteArray(20 * 1024, 'A'); }, "at most"},
        InvalidTokenCase{"expired",
                         [](const TokenFactory &f) {
                             QJsonObject c = f.claims(QStringLiteral("read:contacts"));
                             c.insert(QStringLiteral("exp"), c.value(QLatin1String("iat")).toInteger() - 3600);
                             return f.token(c);
                         },
                         "expired"},
        InvalidTokenCase{"not_yet_valid",
                         [](const TokenFactory &f) {
                             QJsonObject c = f.claims(QStringLiteral("read:contacts"));
                             c.insert(QStringLiteral("nbf"), c.value(QLatin1String("iat")).toInteger() + 3600);
                             return f.token(c);
                         },
                         "not valid before"},
        InvalidTokenCase{"wrong_audience",
                         [](const TokenFactory &f) {
                             QJsonObject c = f.claims(QStringLiteral("read:contacts"));
                             c.insert(QStringLiteral("aud"), QStringLiteral("https://another.api/"));
                             return f.token(c);
                         },
                         "audience"},
        InvalidTokenCase{"wrong_issuer",
                         [](const TokenFactory &f) {
                             QJsonObject c = f.claims(QStringLiteral("read:contacts"));
                             c.insert(QStringLiteral("iss"), QStringLiteral("https://evil.example/"));
                             return f.token(c);
                         },
                         "issuer"},
        InvalidTokenCase{"missing_exp",
                         [](const TokenFactory &f) {
                             QJsonObject c = f.claims(QStringLiteral("read:contacts"));
                             c.remove(QStringLiteral("exp"));
                             return f.token(c);
                         },
                         "exp"},
        InvalidTokenCase{"signed_by_another_key", [](const TokenFactory &f) { return f.signedByOtherKey(QStringLiteral("read:contacts")); }, "signature"},
        InvalidTokenCase{"unknown_critical_header",
                         [](const TokenFactory &f) {
                             return f.token(f.claims(QStringLiteral("read:contacts")),
                                            {{QStringLiteral("crit"), QJsonArray{QStringLiteral("b64")}}, {QStringLiteral("b64"), false}});
                         },
                         "critical"},
        InvalidTokenCase{"alg_none",
                         [](const TokenFactory &f) {
                             const QByteArray header
                                 = QByteArray(R"({"alg":"none","typ":"JWT"})").toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
                             const QByteArray payload = QJsonDocument(f.claims(QStringLiteral("read:contacts")))
                                                            .toJson(QJsonDocument::Compact)
                                                            .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
                             return header + '.' + payload + '.';
                         },
                         "alg"}),
    [](const auto &row) { return std::string(row.param.name); });

TEST_F(ApiTest, TokensNeverReachTheLog)
{
    const QByteArray token = s_tokens->token(QStringLiteral("read:contacts"));
    ASSERT_EQ(call("GET", "/api/contacts?access_token=" + token.left(20), token).status, 400); // query token refused, and not logged
    ASSERT_EQ(call("GET", "/api/contacts", token).status, 200);
    ASSERT_EQ(call("GET", "/api/appointments", token).status, 403);
    // The access log is written off the request path: read the server's output until its line is there
    // (log() waits for the server to write more).
    QByteArray log = s_server->log();
    const QDeadlineTimer deadline(10'000);
    while (!log.contains("\"GET /api/contacts HTTP/1.1\" 200 ") && !deadline.hasExpired())
        log = s_server->log();
    EXPECT_TRUE(log.contains("\"GET /api/contacts HTTP/1.1\" 200 ")) << log.right(2000).toStdString();
    EXPECT_FALSE(log.contains(token.left(20)));
    EXPECT_FALSE(log.contains(token.split('.').at(1)));
    EXPECT_FALSE(log.contains(token.split('.').at(2).left(30)));
}

// ---------------------------------------------------------------------------------------------
// The APIs' own behaviour.

TEST_F(ApiTest, ListsKeepTheSampleShape)
{
    const HttpReply contacts = call("GET", "/api/contacts", s_tokens->token(QStringLiteral("read:contacts")));
    ASSERT_EQ(contacts.status, 200);
    const QJsonArray list = QJsonDocument::fromJson(contacts.body).object().value(QLatin1String("contacts")).toArray();
    ASSERT_FALSE(list.isEmpty());
    bool sawJane = false;
    for (const QJsonValue &value : list) {
        const QJsonObject contact = value.toObject();
        EXPECT_TRUE(contact.value(QLatin1String("id")).isDouble());
        sawJane = sawJane
            || (contact.value(QLatin1String("name")) == QStringLiteral("Jane") && contact.value(QLatin1String("email")) == QStringLiteral("jane@example.com"));
    }
    EXPECT_TRUE(sawJane);

    const HttpReply appointments = call("GET", "/api/appointments", s_tokens->token(QStringLiteral("read:calendar")));
    ASSERT_EQ(appointments.status, 200);
    const QJsonArray items = QJsonDocument::fromJson(appointments.body).object().value(QLatin1String("appointments")).toArray();
    bool sawOneOnOne = false;
    for (const QJsonValue &value : items) {
        sawOneOnOne = sawOneOnOne
            || (value.toObject().value(QLatin1String("title")) == QStringLiteral("1 on 1")
                && value.toObject().value(QLatin1String("time")) == QStringLiteral("2026-11-30T14:30:00-05:00"));
    }
    EXPECT_TRUE(sawOneOnOne);
    // The alias serves the same API.
    EXPECT_EQ(call("GET", "/api/calendar", s_tokens->token(QStringLiteral("read:calendar"))).body, appointments.body);
}

TEST_F(ApiTest, CreateReadReplaceDeleteRoundTrip)
{
    const QByteArray token = fullToken();
    const HttpReply created
        = call("POST", "/api/contacts", token,
               jsonBody({{QStringLiteral("name"), QStringLiteral("  Ada Lovelace ")}, {QStringLiteral("email"), QStringLiteral("ada@example.com")}}));
    ASSERT_EQ(created.status, 201);
    const qint64 id = QJsonDocument::fromJson(created.body).object().value(QLatin1String("id")).toInteger();
    EXPECT_EQ(created.header("location"), "/api/contacts/" + QByteArray::number(id));
    EXPECT_EQ(created.json("name"), "Ada Lovelace");

    const QByteArray path = "/api/contacts/" + QByteArray::number(id);
    EXPECT_EQ(call("GET", path, token).json("email"), "ada@example.com");
    const HttpReply replaced = call(
        "PUT", path, token,
        jsonBody(
            {{QStringLiteral("name"), QStringLiteral("Ada King")}, {QStringLiteral("email"), QStringLiteral("ada@example.org")}, {QStringLiteral("id"), id}}));
    ASSERT_EQ(replaced.status, 200) << replaced.body.toStdString();
    EXPECT_EQ(call("GET", path, token).json("name"), "Ada King");
    EXPECT_EQ(call("DELETE", path, token).status, 204);
    EXPECT_EQ(call("GET", path, token).status, 404);
    EXPECT_EQ(call("DELETE", path, token).status, 404);
}

TEST_F(ApiTest, InvalidBodiesAre400WithFieldErrors)
{
    const HttpReply reply = call(
        "POST", "/api/appointments", fullToken(),
        jsonBody(
            {{QStringLiteral("title"), QString()}, {QStringLiteral("time"), QStringLiteral("tomorrow")}, {QStringLiteral("colour"), QStringLiteral("red")}}));
    ASSERT_EQ(reply.status, 400);
    EXPECT_EQ(reply.json("error"), "invalid_request");
    const QJsonArray errors = QJsonDocument::fromJson(reply.body).object().value(QLatin1String("errors")).toArray();
    QStringList fields;
    for (const QJsonValue &error : errors)
        fields.append(error.toObject().value(QLatin1String("field")).toString());
    EXPECT_EQ(fields, (QStringList{QStringLiteral("title"), QStringLiteral("time"), QStringLiteral("colour")}));

    EXPECT_EQ(call("POST", "/api/contacts", fullToken(), "{\"name\":").status, 400);
    EXPECT_EQ(call("POST", "/api/contacts", fullToken(), "[1,2]").status, 400);
    EXPECT_EQ(
        call("PUT", "/api/contacts/1", fullToken(),
             jsonBody({{QStringLiteral("name"), QStringLiteral("J")}, {QStringLiteral("email"), QStringLiteral("j@example.com")}, {QStringLiteral("id"), 2}}))
            .status,
        400);
    EXPECT_EQ(
        call("POST", "/api/contacts", fullToken(),
             jsonBody({{QStringLiteral("id"), 5}, {QStringLiteral("name"), QStringLiteral("J")}, {QStringLiteral("email"), QStringLiteral("j@example.com")}}))
            .status,
        400);
}

TEST_F(ApiTest, NonJsonContentTypeIs415)
{
    const HttpReply reply
        = sendHttp(s_server->port(),
                   {"POST", "/api/contacts", {{"authorization", bearer(fullToken())}, {"content-type", "application/x-www-form-urlencoded"}}, "name=Jane"});
    EXPECT_EQ(reply.status, 415);
    EXPECT_EQ(reply.json("error"), "invalid_request");
}

TEST_F(ApiTest, UnknownIdsAndRoutesAre404)
{
    EXPECT_EQ(call("GET", "/api/contacts/999999", fullToken()).status, 404);
    EXPECT_EQ(call("GET", "/api/contacts/abc", fullToken()).status, 404);
    EXPECT_EQ(call("GET", "/api/contacts/-1", fullToken()).status, 404);
    const HttpReply unknown = call("GET", "/api/notes", fullToken());
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(unknown.json("error"), "not_found");
}

TEST_F(ApiTest, WrongMethodIs405WithAllow)
{
    const HttpReply reply = call("PATCH", "/api/contacts/1", fullToken(), jsonBody({{QStringLiteral("name"), QStringLiteral("x")}}));
    EXPECT_EQ(reply.status, 405);
    EXPECT_EQ(reply.header("allow"), "GET, PUT, DELETE, HEAD");
    EXPECT_EQ(call("DELETE", "/api/contacts", fullToken()).status, 405);
}

TEST_F(ApiTest, OversizedBodyIs413)
{
    const QByteArray huge = "{\"name\":\"" + QByteArray(200 * 1024, 'x') + "\",\"email\":\"a@example.com\"}";
    const HttpReply reply = call("POST", "/api/contacts", fullToken(), huge);
    EXPECT_EQ(reply.status, 413);
    EXPECT_EQ(reply.json("error"), "invalid_request");
}

TEST_F(ApiTest, OversizedHeadersAre431AndTheConnectionCloses)
{
    const HttpReply reply = call("GET", "/api/contacts", QByteArray(64 * 1024, 'A'));
    EXPECT_EQ(reply.status, 431);
    EXPECT_EQ(reply.header("connection"), "close");
    EXPECT_EQ(reply.json("error"), "invalid_request");
    EXPECT_EQ(call("GET", "/healthz").status, 200);
}

TEST_F(ApiTest, HeadAnswersWithoutABody)
{
    const HttpReply reply = call("HEAD", "/api/contacts", s_tokens->token(QStringLiteral("read:contacts")));
    EXPECT_EQ(reply.status, 200);
    EXPECT_TRUE(reply.body.isEmpty());
    EXPECT_GT(reply.header("content-length").toInt(), 0);
}

TEST_F(ApiTest, PreflightIsAnsweredBeforeAuthentication)
{
    const HttpReply allowed = call(
        "OPTIONS", "/api/contacts", {}, {},
        {{"origin", "http://localhost:3000"}, {"access-control-request-method", "POST"}, {"access-control-request-headers", "authorization,content-type"}});
    EXPECT_EQ(allowed.status, 204);
    EXPECT_EQ(allowed.header("access-control-allow-origin"), "http://localhost:3000");
    EXPECT_EQ(allowed.header("access-control-allow-methods"), "GET, POST, HEAD");
    EXPECT_TRUE(allowed.header("access-control-allow-headers").contains("Authorization"));
    EXPECT_TRUE(allowed.header("www-authenticate").isEmpty());

    const HttpReply foreign = call("OPTIONS", "/api/contacts", {}, {}, {{"origin", "https://evil.example"}, {"access-control-request-method", "GET"}});
    EXPECT_EQ(foreign.status, 204);
    EXPECT_TRUE(foreign.header("access-control-allow-origin").isEmpty());

    // Responses to an allowed origin carry the header too, errors included, and expose the challenge.
    const HttpReply denied = call("GET", "/api/contacts", {}, {}, {{"origin", "http://localhost:3000"}});
    EXPECT_EQ(denied.status, 401);
    EXPECT_EQ(denied.header("access-control-allow-origin"), "http://localhost:3000");
    EXPECT_TRUE(denied.header("access-control-expose-headers").contains("WWW-Authenticate"));
}

TEST_F(ApiTest, HealthNeedsNoToken)
{
    const HttpReply reply = call("GET", "/healthz");
    EXPECT_EQ(reply.status, 200);
    EXPECT_EQ(reply.json("status"), "ok");
    EXPECT_EQ(reply.json("issuer"), s_server->issuer().toUtf8());
}

TEST_F(ApiTest, JwksPublishesTheKeyThatSignsAndDiscoveryMatchesIss)
{
    const HttpReply jwks = call("GET", "/.well-known/jwks.json");
    ASSERT_EQ(jwks.status, 200);
    const QJsonObject key = QJsonDocument::fromJson(jwks.body).object().value(QLatin1String("keys")).toArray().first().toObject();
    for (const char *member : {"kty", "use", "alg", "kid", "n", "e"})
        EXPECT_TRUE(key.contains(QLatin1String(member))) << member;
    EXPECT_FALSE(key.contains(QLatin1String("d")));
    const QByteArray token = s_tokens->token(QStringLiteral("read:contacts"));
    const QJsonObject header = QJsonDocument::fromJson(QByteArray::fromBase64(token.split('.').first(), QByteArray::Base64UrlEncoding)).object();
    EXPECT_EQ(header.value(QLatin1String("kid")), key.value(QLatin1String("kid")));

    const HttpReply discovery = call("GET", "/.well-known/openid-configuration");
    ASSERT_EQ(discovery.status, 200);
    EXPECT_EQ(discovery.json("issuer"), s_server->issuer().toUtf8());
    EXPECT_TRUE(discovery.json("issuer").endsWith('/'));
    EXPECT_EQ(discovery.json("jwks_uri"), s_server->issuer().toUtf8() + ".well-known/jwks.json");
}

TEST_F(ApiTest, KeepAliveConnectionServesSeveralRequestsAndHonoursClose)
{
    const QByteArray token = s_tokens->token(QStringLiteral("read:contacts"));
    const QByteArray request = "GET /api/contacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n\r\n";
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, s_server->port());
    ASSERT_TRUE(socket.waitForConnected(5000));
    socket.write(request + request + "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    QByteArray received;
    QDeadlineTimer deadline(10000);
    while (socket.state() == QAbstractSocket::ConnectedState && !deadline.hasExpired()) {
        socket.waitForReadyRead(100);
        received += socket.readAll();
    }
    received += socket.readAll();
    EXPECT_EQ(received.count("HTTP/1.1 200 OK"), 3);
    EXPECT_TRUE(received.contains("connection: close"));
    EXPECT_NE(socket.state(), QAbstractSocket::ConnectedState) << "the server must close after Connection: close";
}

// ---------------------------------------------------------------------------------------------

TEST(ApiPersistence, WritesSurviveARestart)
{
    QTemporaryDir dir;
    qint64 id = 0;
    {
        ServerProcess server(dir.path());
        ASSERT_TRUE(server.start()) << server.errorText().toStdString();
        const TokenFactory tokens(dir.path(), server.issuer());
        const HttpReply created = sendHttp(server.port(),
                                           {"POST",
                                            "/api/appointments",
                                            {{"authorization", bearer(tokens.token(kAllScopes))}, {"content-type", "application/json"}},
                                            R"({"title":"Survives","time":"2026-12-24T18:00:00+01:00","duration_minutes":90})"});
        ASSERT_EQ(created.status, 201);
        id = QJsonDocument::fromJson(created.body).object().value(QLatin1String("id")).toInteger();
        const HttpReply removed = sendHttp(server.port(), {"DELETE", "/api/contacts/1", {{"authorization", bearer(tokens.token(kAllScopes))}}, {}});
        ASSERT_EQ(removed.status, 204);
    }
    ServerProcess restarted(dir.path());
    ASSERT_TRUE(restarted.start()) << restarted.errorText().toStdString();
    const TokenFactory tokens(dir.path(), restarted.issuer());
    const HttpReply read
        = sendHttp(restarted.port(), {"GET", "/api/appointments/" + QByteArray::number(id), {{"authorization", bearer(tokens.token(kAllScopes))}}, {}});
    ASSERT_EQ(read.status, 200);
    EXPECT_EQ(read.json("title"), "Survives");
    EXPECT_EQ(read.json("time"), "2026-12-24T18:00:00+01:00");
    // The seed runs once: the deleted sample contact stays deleted.
    EXPECT_EQ(sendHttp(restarted.port(), {"GET", "/api/contacts/1", {{"authorization", bearer(tokens.token(kAllScopes))}}, {}}).status, 404);
}
