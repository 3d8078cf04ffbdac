// Users of the tenant's database connection through the Management API as Auth0's are (issue 24): created,
// changed (password, blocked, profile, metadata) and deleted, each live at the login page and the token
// endpoint from the next request; found by Auth0's Lucene subset and by email; a role's users, paged by
// offset and by checkpoint; who may do any of it; kept across a restart and followed by another instance.
// Against a real organizer-server process.

#include "authorizationfixture.h"
#include "managementfixture.h"
#include "base64url.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::test;

namespace {

const QString kStrong = QStringLiteral("Correct-Horse-9");
const QString kStronger = QStringLiteral("Battery-Staple-42");

QByteArray percent(const QString &text)
{
    return QUrl::toPercentEncoding(text);
}

// The desktop client's login through the real pages with `login`/`password`, asking offline_access.
struct Login
{
    bool loggedIn = false;
    QString failure; // the page it stopped at
    QString refreshToken;
    QByteArray page = {}; // the whole of the last page seen
};
Login logIn(quint16 port, const QString &login, const QString &password, TestBrowser *browser = nullptr)
{
    const QString verifier = verifierFor('\x51');
    const QString challenge = QString::fromLatin1(jose::base64UrlEncode(QCryptographicHash::hash(verifier.toLatin1(), QCryptographicHash::Sha256)));
    TestBrowser own(port);
    TestBrowser &walker = browser ? *browser : own;
    const auto outcome
        = walker.authorize(query(QStringLiteral("code"), QStringLiteral("openid offline_access"),
                                 {{QStringLiteral("code_challenge"), challenge}, {QStringLiteral("code_challenge_method"), QStringLiteral("S256")}}),
                           login, password);
    if (!outcome.redirect.isValid())
        return {false, outcome.failure, {}, outcome.lastReply.body};
    const HttpReply tokens = exchangeCode(port, value(outcome.parameters(), "code"), verifier);
    EXPECT_EQ(tokens.status, 200) << tokens.body.constData();
    return {true, {}, QString::fromUtf8(tokens.json("refresh_token"))};
}

class ManagementUsers : public ManagementApiTest
{
protected:
    QJsonObject body(const QString &email, const QString &password = kStrong)
    {
        return {{QStringLiteral("connection"), QStringLiteral("Username-Password-Authentication")},
                {QStringLiteral("email"), email},
                {QStringLiteral("password"), password}};
    }
    QJsonObject created(const QJsonObject &request)
    {
        const HttpReply reply = call("POST", "/api/v2/users", request);
        EXPECT_EQ(reply.status, 201) << reply.body.constData();
        return objectOf(reply);
    }
    QString createdId(const QString &email, const QJsonObject &extra = {})
    {
        QJsonObject request = body(email);
        for (auto it = extra.begin(); it != extra.end(); ++it)
            request.insert(it.key(), *it);
        return created(request).value(QLatin1String("user_id")).toString();
    }
    QByteArray userPath(const QString &userId) { return "/api/v2/users/" + percent(userId); }
    // The emails a search finds, in the order answered.
    QStringList found(const QString &q, int expectStatus = 200)
    {
        const HttpReply reply = call("GET", "/api/v2/users?search_engine=v3&per_page=100&q=" + percent(q));
        EXPECT_EQ(reply.status, expectStatus) << q.toStdString() << ": " << reply.body.constData();
        QStringList emails;
        for (const QJsonValue &user : arrayOf(reply))
            emails.append(user[QLatin1String("email")].toString());
        return emails;
    }
};

} // namespace

TEST_F(ManagementUsers, ACreatedUserHasAuth0sShapeAndLogsInAtOnce)
{
    QJsonObject request = body(QStringLiteral("Erin.Evans@Example.com"));
    request.insert(QStringLiteral("given_name"), QStringLiteral("Erin"));
    request.insert(QStringLiteral("family_name"), QStringLiteral("Evans"));
    request.insert(QStringLiteral("user_metadata"), QJsonObject{{QStringLiteral("theme"), QStringLiteral("dark")}});
    request.insert(QStringLiteral("app_metadata"), QJsonObject{{QStringLiteral("plan"), QStringLiteral("gold")}});
    const QJsonObject user = created(request);
    const QString userId = user.value(QLatin1String("user_id")).toString();
    EXPECT_TRUE(QRegularExpression(QStringLiteral("^auth0\\|[0-9a-f]{24}$")).match(userId).hasMatch()) << userId.toStdString();
    EXPECT_EQ(user.value(QLatin1String("email")).toString(), QStringLiteral("erin.evans@example.com")) << "kept in lower case, as Auth0 does";
    EXPECT_EQ(user.value(QLatin1String("email_verified")), QJsonValue(false));
    EXPECT_EQ(user.value(QLatin1String("name")).toString(), QStringLiteral("erin.evans@example.com"));
    EXPECT_EQ(user.value(QLatin1String("nickname")).toString(), QStringLiteral("erin.evans"));
    EXPECT_EQ(user.value(QLatin1String("given_name")).toString(), QStringLiteral("Erin"));
    EXPECT_EQ(user.value(QLatin1String("blocked")), QJsonValue(false));
    EXPECT_EQ(user.value(QLatin1String("user_metadata")).toObject().value(QLatin1String("theme")).toString(), QStringLiteral("dark"));
    EXPECT_EQ(user.value(QLatin1String("app_metadata")).toObject().value(QLatin1String("plan")).toString(), QStringLiteral("gold"));
    EXPECT_TRUE(user.value(QLatin1String("created_at")).toString().endsWith(QLatin1Char('Z')));
    EXPECT_EQ(user.value(QLatin1String("created_at")), user.value(QLatin1String("updated_at")));
    const QJsonObject identity = user.value(QLatin1String("identities")).toArray().at(0).toObject();
    EXPECT_EQ(identity.value(QLatin1String("connection")).toString(), QStringLiteral("Username-Password-Authentication"));
    EXPECT_EQ(identity.value(QLatin1String("provider")).toString(), QStringLiteral("auth0"));
    EXPECT_EQ(QStringLiteral("auth0|") + identity.value(QLatin1String("user_id")).toString(), userId);
    EXPECT_EQ(identity.value(QLatin1String("isSocial")), QJsonValue(false));
    for (const char *secret : {"password", "password_hash"})
        EXPECT_FALSE(user.contains(QLatin1String(secret))) << secret;

    EXPECT_EQ(objectOf(call("GET", userPath(userId))), user);
    // The next request logs in with it, by the email in any case.
    const Login login = logIn(port(), QStringLiteral("ERIN.evans@example.com"), kStrong);
    EXPECT_TRUE(login.loggedIn) << login.failure.toStdString();
    EXPECT_FALSE(logIn(port(), QStringLiteral("erin.evans@example.com"), kStronger).loggedIn);
}

TEST_F(ManagementUsers, ACreationThatCannotBeIsRefusedAndChangesNothing)
{
    const qsizetype before = arrayOf(call("GET", "/api/v2/users")).size();
    const auto refusal = [this](const QJsonObject &request, int status, const QString &message) {
        const HttpReply reply = call("POST", "/api/v2/users", request);
        EXPECT_EQ(reply.status, status) << reply.body.constData();
        const QJsonObject answer = objectOf(reply);
        EXPECT_EQ(answer.value(QLatin1String("statusCode")).toInt(), status);
        EXPECT_TRUE(answer.value(QLatin1String("error")).isString());
        EXPECT_EQ(answer.value(QLatin1String("message")).toString(), message) << reply.body.constData();
    };
    // Auth0's words for a taken email, however it is written.
    refusal(body(QStringLiteral("ALICE@example.com")), 409, QStringLiteral("The user already exists."));
    // Auth0's "Fair" policy: 8 characters with a lower-case letter, an upper-case letter and a digit.
    for (const QString &weak : {QStringLiteral("Short1"), QStringLiteral("alllowercase1"), QStringLiteral("NoDigitsHere"), QStringLiteral("ALLUPPER123")})
        refusal(body(QStringLiteral("weak@example.com"), weak), 400, QStringLiteral("PasswordStrengthError: Password is too weak"));
    QJsonObject noConnection = body(QStringLiteral("x@example.com"));
    noConnection.remove(QStringLiteral("connection"));
    refusal(noConnection, 400, QStringLiteral("Payload validation error: 'Missing required property: connection'."));
    QJsonObject otherConnection = body(QStringLiteral("x@example.com"));
    otherConnection.insert(QStringLiteral("connection"), QStringLiteral("google-oauth2"));
    EXPECT_EQ(call("POST", "/api/v2/users", otherConnection).status, 400);
    QJsonObject noPassword = body(QStringLiteral("x@example.com"));
    noPassword.remove(QStringLiteral("password"));
    refusal(noPassword, 400, QStringLiteral("Payload validation error: 'Missing required property: password'."));
    refusal(body(QStringLiteral("not-an-email")), 400,
            QStringLiteral("Payload validation error: 'email: Object didn't pass validation for format email: not-an-email'."));
    QJsonObject unknown = body(QStringLiteral("x@example.com"));
    unknown.insert(QStringLiteral("username"), QStringLiteral("x"));
    refusal(unknown, 400, QStringLiteral("Payload validation error: 'Additional properties not allowed: username'."));
    EXPECT_EQ(arrayOf(call("GET", "/api/v2/users")).size(), before);
}

TEST_F(ManagementUsers, APatchedPasswordOrBlockIsLiveAtOnce)
{
    const QString userId = createdId(QStringLiteral("frank@example.com"));
    const Login first = logIn(port(), QStringLiteral("frank@example.com"), kStrong);
    ASSERT_TRUE(first.loggedIn) << first.failure.toStdString();
    ASSERT_FALSE(first.refreshToken.isEmpty());

    // A weak new password is refused and the old one still works.
    EXPECT_EQ(call("PATCH", userPath(userId), {{QStringLiteral("password"), QStringLiteral("weak")}}).status, 400);
    EXPECT_TRUE(logIn(port(), QStringLiteral("frank@example.com"), kStrong).loggedIn);
    // A new password works from the next request, and the old one no longer does.
    const HttpReply changed = call("PATCH", userPath(userId), {{QStringLiteral("password"), kStronger}});
    ASSERT_EQ(changed.status, 200) << changed.body.constData();
    EXPECT_FALSE(objectOf(changed).contains(QLatin1String("password")));
    EXPECT_FALSE(logIn(port(), QStringLiteral("frank@example.com"), kStrong).loggedIn);
    EXPECT_TRUE(logIn(port(), QStringLiteral("frank@example.com"), kStronger).loggedIn);

    // Blocked: the right password gets "blocked", the refresh token is refused; unblocked, both work again.
    const HttpReply blocked = call("PATCH", userPath(userId), {{QStringLiteral("blocked"), true}});
    ASSERT_EQ(blocked.status, 200) << blocked.body.constData();
    EXPECT_EQ(objectOf(blocked).value(QLatin1String("blocked")), QJsonValue(true));
    const Login refused = logIn(port(), QStringLiteral("frank@example.com"), kStronger);
    EXPECT_FALSE(refused.loggedIn);
    EXPECT_TRUE(refused.page.contains("This account is blocked.")) << refused.failure.toStdString();
    const HttpReply refresh = refreshGrant(port(), first.refreshToken);
    EXPECT_EQ(refresh.status, 403) << refresh.body.constData();
    EXPECT_EQ(refresh.json("error_description"), "user is blocked");
    EXPECT_EQ(call("PATCH", userPath(userId), {{QStringLiteral("blocked"), false}}).status, 200);
    EXPECT_TRUE(logIn(port(), QStringLiteral("frank@example.com"), kStronger).loggedIn);
    EXPECT_EQ(refreshGrant(port(), first.refreshToken).status, 200);

    // Another user's email is taken; the profile and metadata change as Auth0 changes them (metadata merged
    // at its top level, null removes).
    const HttpReply taken = call("PATCH", userPath(userId), {{QStringLiteral("email"), QStringLiteral("Bob@Example.com")}});
    EXPECT_EQ(taken.status, 409) << taken.body.constData();
    EXPECT_EQ(objectOf(taken).value(QLatin1String("message")).toString(), QStringLiteral("The user already exists."));
    ASSERT_EQ(call("PATCH", userPath(userId),
                   {{QStringLiteral("user_metadata"), QJsonObject{{QStringLiteral("a"), 1}, {QStringLiteral("b"), 2}}},
                    {QStringLiteral("name"), QStringLiteral("Frank Fox")}})
                  .status,
              200);
    const QJsonObject after = objectOf(call("PATCH", userPath(userId),
                                            {{QStringLiteral("user_metadata"), QJsonObject{{QStringLiteral("b"), QJsonValue::Null}, {QStringLiteral("c"), 3}}},
                                             {QStringLiteral("email_verified"), true}}));
    EXPECT_EQ(after.value(QLatin1String("user_metadata")).toObject(), (QJsonObject{{QStringLiteral("a"), 1}, {QStringLiteral("c"), 3}}));
    EXPECT_EQ(after.value(QLatin1String("name")).toString(), QStringLiteral("Frank Fox"));
    EXPECT_EQ(after.value(QLatin1String("email_verified")), QJsonValue(true));
    EXPECT_GE(after.value(QLatin1String("updated_at")).toString(), after.value(QLatin1String("created_at")).toString());
    // A changed email is the login from then on.
    ASSERT_EQ(call("PATCH", userPath(userId), {{QStringLiteral("email"), QStringLiteral("frank.fox@example.com")}}).status, 200);
    EXPECT_FALSE(logIn(port(), QStringLiteral("frank@example.com"), kStronger).loggedIn);
    EXPECT_TRUE(logIn(port(), QStringLiteral("frank.fox@example.com"), kStronger).loggedIn);
    EXPECT_EQ(call("PATCH", "/api/v2/users/auth0%7Cnobody", {{QStringLiteral("name"), QStringLiteral("x")}}).status, 404);
}

TEST_F(ManagementUsers, ADeletedUserLosesTheirSessionsAndRefreshTokensAtOnce)
{
    const QString userId = createdId(QStringLiteral("gina@example.com"));
    TestBrowser browser(port());
    const Login login = logIn(port(), QStringLiteral("gina@example.com"), kStrong, &browser);
    ASSERT_TRUE(login.loggedIn) << login.failure.toStdString();
    // Silent authentication tells a live session (consent is never remembered for a loopback callback) from none.
    const auto silently = [this, &browser] {
        const QString challenge = QString::fromLatin1(
            jose::base64UrlEncode(QCryptographicHash::hash("unused-verifier-unused-verifier-unused-verifier", QCryptographicHash::Sha256)));
        const auto outcome = browser.authorize(query(QStringLiteral("code"), QStringLiteral("openid"),
                                                     {{QStringLiteral("prompt"), QStringLiteral("none")},
                                                      {QStringLiteral("code_challenge"), challenge},
                                                      {QStringLiteral("code_challenge_method"), QStringLiteral("S256")}}),
                                               {}, {});
        return value(outcome.parameters(), "error");
    };
    EXPECT_EQ(silently(), QStringLiteral("consent_required"));
    EXPECT_EQ(refreshGrant(port(), login.refreshToken).status, 200) << "a refresh before the deletion works";

    const HttpReply deleted = call("DELETE", userPath(userId));
    EXPECT_EQ(deleted.status, 204) << deleted.body.constData();
    EXPECT_EQ(call("GET", userPath(userId)).status, 404);
    EXPECT_EQ(silently(), QStringLiteral("login_required"));
    const HttpReply refresh = refreshGrant(port(), login.refreshToken);
    EXPECT_EQ(refresh.status, 400) << refresh.body.constData();
    EXPECT_EQ(refresh.json("error"), "invalid_grant");
    EXPECT_FALSE(logIn(port(), QStringLiteral("gina@example.com"), kStrong).loggedIn);
    EXPECT_EQ(call("DELETE", userPath(userId)).status, 404);
    // The email is free again, for a new user with a new id.
    const QString again = createdId(QStringLiteral("gina@example.com"));
    EXPECT_NE(again, userId);
    EXPECT_EQ(refreshGrant(port(), login.refreshToken).status, 400) << "the new user does not inherit the old one's tokens";
}

TEST_F(ManagementUsers, TheLuceneSubsetFindsExactlyWhatItSays)
{
    createdId(QStringLiteral("ann.lee@example.org"), {{QStringLiteral("name"), QStringLiteral("Ann Lee")}, {QStringLiteral("blocked"), true}});
    createdId(QStringLiteral("anna@example.org"), {{QStringLiteral("family_name"), QStringLiteral("Lee")}});

    EXPECT_EQ(found(QStringLiteral("email:\"ALICE@example.com\"")), QStringList{QStringLiteral("alice@example.com")});
    EXPECT_EQ(found(QStringLiteral("email:alice@example.com")), QStringList{QStringLiteral("alice@example.com")});
    EXPECT_EQ(found(QStringLiteral("email:\"alice@example\"")), QStringList{}) << "exact, not a prefix";
    EXPECT_EQ(found(QStringLiteral("email:ann*")), (QStringList{QStringLiteral("ann.lee@example.org"), QStringLiteral("anna@example.org")}));
    EXPECT_EQ(found(QStringLiteral("name:\"ann lee\"")), QStringList{QStringLiteral("ann.lee@example.org")});
    EXPECT_EQ(found(QStringLiteral("name:LEE")), QStringList{QStringLiteral("ann.lee@example.org")}) << "a word of the name";
    EXPECT_EQ(found(QStringLiteral("family_name:lee")), QStringList{QStringLiteral("anna@example.org")});
    EXPECT_EQ(found(QStringLiteral("user_id:\"auth0|bob\"")), QStringList{QStringLiteral("bob@example.com")});
    EXPECT_EQ(found(QStringLiteral("email:alice* OR email:bob*")), (QStringList{QStringLiteral("alice@example.com"), QStringLiteral("bob@example.com")}));
    EXPECT_EQ(found(QStringLiteral("email:ann* AND blocked:true")), QStringList{QStringLiteral("ann.lee@example.org")});
    EXPECT_EQ(found(QStringLiteral("blocked:true")), QStringList{QStringLiteral("ann.lee@example.org")});
    EXPECT_EQ(found(QStringLiteral("(email:ann* OR email:carol*) AND blocked:false")),
              (QStringList{QStringLiteral("carol@example.com"), QStringLiteral("anna@example.org")}));
    EXPECT_EQ(found(QStringLiteral("email:dave* OR email:ann* AND blocked:true")),
              (QStringList{QStringLiteral("dave@example.com"), QStringLiteral("ann.lee@example.org")}))
        << "AND binds tighter than OR";
    EXPECT_EQ(found(QStringLiteral("email.domain:example.org")).size(), 2);

    // Exact totals with paging.
    const HttpReply paged = call("GET", "/api/v2/users?search_engine=v3&include_totals=true&per_page=1&page=1&q=" + percent(QStringLiteral("email:ann*")));
    ASSERT_EQ(paged.status, 200) << paged.body.constData();
    EXPECT_EQ(objectOf(paged).value(QLatin1String("total")).toInt(), 2);
    EXPECT_EQ(objectOf(paged).value(QLatin1String("users")).toArray().size(), 1);
    EXPECT_EQ(objectOf(paged).value(QLatin1String("start")).toInt(), 1);

    // What is not served is refused with the reason, never answered with a list that means something else.
    for (const QString &unsupported :
         {QStringLiteral("alice"), QStringLiteral("NOT email:alice*"), QStringLiteral("email:*lice"), QStringLiteral("user_metadata.theme:dark"),
          QStringLiteral("email:alice* email:bob*"), QStringLiteral("(email:alice*"), QStringLiteral("email:\"alice"), QStringLiteral("blocked:maybe"),
          QStringLiteral("logins_count:[1 TO 5]"), QStringLiteral("name:al?ce")}) {
        const HttpReply reply = call("GET", "/api/v2/users?search_engine=v3&q=" + percent(unsupported));
        EXPECT_EQ(reply.status, 400) << unsupported.toStdString() << ": " << reply.body.constData();
        EXPECT_EQ(objectOf(reply).value(QLatin1String("errorCode")).toString(), QStringLiteral("invalid_query_string")) << unsupported.toStdString();
        EXPECT_TRUE(objectOf(reply).value(QLatin1String("message")).toString().startsWith(QLatin1String("Query validation error: 'Unsupported query: ")))
            << reply.body.constData();
    }
    EXPECT_EQ(call("GET", "/api/v2/users?search_engine=v2&q=" + percent(QStringLiteral("email:alice*"))).status, 400);
}

TEST_F(ManagementUsers, UsersByEmail)
{
    const HttpReply alice = call("GET", "/api/v2/users-by-email?email=" + percent(QStringLiteral("Alice@Example.com")));
    ASSERT_EQ(alice.status, 200) << alice.body.constData();
    ASSERT_EQ(arrayOf(alice).size(), 1);
    EXPECT_EQ(arrayOf(alice).at(0)[QLatin1String("user_id")].toString(), QStringLiteral("auth0|alice"));
    EXPECT_EQ(arrayOf(call("GET", "/api/v2/users-by-email?email=nobody%40example.com")).size(), 0);
    EXPECT_EQ(call("GET", "/api/v2/users-by-email").status, 400);
    EXPECT_EQ(call("GET", "/api/v2/users-by-email?email=alice%40example.com", {}, adminToken(port(), issuer(), QStringLiteral("read:roles"))).status, 403);
}

TEST_F(ManagementUsers, ARolesUsersByOffsetAndByCheckpoint)
{
    const HttpReply role = call("POST", "/api/v2/roles", {{QStringLiteral("name"), QStringLiteral("Editors")}});
    ASSERT_EQ(role.status, 200) << role.body.constData();
    const QByteArray rolePath = "/api/v2/roles/" + objectOf(role).value(QLatin1String("id")).toString().toLatin1();
    QSet<QString> members;
    QJsonArray ids;
    for (int i = 0; i < 5; ++i) {
        const QString id = createdId(QStringLiteral("editor%1@example.com").arg(i));
        members.insert(id);
        ids.append(id);
    }
    ids.append(QStringLiteral("auth0|alice"));
    members.insert(QStringLiteral("auth0|alice"));
    EXPECT_EQ(call("POST", rolePath + "/users", {{QStringLiteral("users"), QJsonArray{QStringLiteral("auth0|nobody")}}}).status, 404);
    EXPECT_EQ(call("POST", "/api/v2/roles/rol_nothere/users", {{QStringLiteral("users"), ids}}).status, 404);
    EXPECT_EQ(call("POST", rolePath + "/users", {{QStringLiteral("users"), QJsonArray{}}}).status, 400);
    const HttpReply assigned = call("POST", rolePath + "/users", {{QStringLiteral("users"), ids}});
    ASSERT_EQ(assigned.status, 204) << assigned.body.constData();
    EXPECT_EQ(arrayOf(call("GET", "/api/v2/users/auth0%7Calice/roles")).at(0)[QLatin1String("name")].toString(), QStringLiteral("Editors"));

    const HttpReply paged = call("GET", rolePath + "/users?per_page=4&page=1&include_totals=true");
    ASSERT_EQ(paged.status, 200) << paged.body.constData();
    EXPECT_EQ(objectOf(paged).value(QLatin1String("total")).toInt(), 6);
    EXPECT_EQ(objectOf(paged).value(QLatin1String("users")).toArray().size(), 2);

    // By checkpoint: every member once, in order, no `next` on the last page; a member removed meanwhile
    // (deleted) shifts nothing that stayed.
    QStringList seen;
    QString from;
    int pages = 0;
    for (; pages < 10; ++pages) {
        const HttpReply page = call("GET", rolePath + "/users?take=4" + (from.isEmpty() ? QByteArray() : "&from=" + percent(from)));
        ASSERT_EQ(page.status, 200) << page.body.constData();
        for (const QJsonValue &user : objectOf(page).value(QLatin1String("users")).toArray()) {
            seen.append(user[QLatin1String("user_id")].toString());
            EXPECT_TRUE(user[QLatin1String("email")].isString());
        }
        if (!objectOf(page).contains(QLatin1String("next")))
            break;
        from = objectOf(page).value(QLatin1String("next")).toString();
    }
    EXPECT_EQ(pages, 1) << "two pages";
    EXPECT_EQ(QSet<QString>(seen.begin(), seen.end()), members);
    EXPECT_EQ(seen.size(), 6);
    QStringList sorted = seen;
    sorted.sort();
    EXPECT_EQ(seen, sorted);

    // Auth0 asks read:users beside read:roles, and create:role_members to assign.
    const QString rolesOnly = adminToken(port(), issuer(), QStringLiteral("read:roles update:roles"));
    EXPECT_EQ(call("GET", rolePath + "/users", {}, rolesOnly).status, 403);
    EXPECT_EQ(call("POST", rolePath + "/users", {{QStringLiteral("users"), ids}}, rolesOnly).status, 403);
    EXPECT_EQ(call("GET", rolePath + "/users", {}, adminToken(port(), issuer(), QStringLiteral("read:roles read:users"))).status, 200);
}

TEST_F(ManagementUsers, OnlyAManagementGrantWithTheScopeMayManageUsers)
{
    const QString userId = createdId(QStringLiteral("hank@example.com"));
    // A user's own login gets at most read:current_user, even a user who holds every API permission: no
    // creating, changing or deleting users, themselves included.
    const QString verifier = verifierFor('\x52');
    QUrlQuery q;
    const auto add = [&q](const QString &name, const QString &v) { q.addQueryItem(name, QString::fromLatin1(QUrl::toPercentEncoding(v))); };
    add(QStringLiteral("client_id"), QStringLiteral("organizer-desktop"));
    add(QStringLiteral("redirect_uri"), kCallback);
    add(QStringLiteral("response_type"), QStringLiteral("code"));
    add(QStringLiteral("scope"), QStringLiteral("openid create:users update:users delete:users read:current_user"));
    add(QStringLiteral("audience"), issuer() + QStringLiteral("api/v2/"));
    add(QStringLiteral("state"), QStringLiteral("s"));
    add(QStringLiteral("code_challenge"),
        QString::fromLatin1(jose::base64UrlEncode(QCryptographicHash::hash(verifier.toLatin1(), QCryptographicHash::Sha256))));
    add(QStringLiteral("code_challenge_method"), QStringLiteral("S256"));
    TestBrowser browser(port());
    const auto outcome = browser.authorize(q.query(QUrl::FullyEncoded), QStringLiteral("hank@example.com"), kStrong);
    ASSERT_TRUE(outcome.redirect.isValid()) << outcome.failure.toStdString();
    const HttpReply tokens = exchangeCode(port(), value(outcome.parameters(), "code"), verifier);
    ASSERT_EQ(tokens.status, 200) << tokens.body.constData();
    EXPECT_EQ(tokens.json("scope"), "openid read:current_user");
    const QString userToken = QString::fromUtf8(tokens.json("access_token"));
    ASSERT_FALSE(userToken.isEmpty());
    EXPECT_FALSE(claimsOf(userToken).value(QLatin1String("scope")).toString().contains(QLatin1String("create:users")));
    EXPECT_NE(call("POST", "/api/v2/users", body(QStringLiteral("new@example.com")), userToken).status, 201);
    EXPECT_NE(call("PATCH", userPath(userId), {{QStringLiteral("blocked"), true}}, userToken).status, 200);
    EXPECT_NE(call("DELETE", userPath(userId), {}, userToken).status, 204);

    // An ordinary machine-to-machine client gets no Management API token at all, and its own API's token is refused.
    const HttpReply cli = managementClientCredentials(port(), issuer(), QStringLiteral("organizer-cli"), QStringLiteral("organizer-cli-secret"));
    EXPECT_EQ(cli.status, 403) << cli.body.constData();
    const HttpReply cliToken = tokenRequest(port(),
                                            {{QStringLiteral("grant_type"), QStringLiteral("client_credentials")},
                                             {QStringLiteral("client_id"), QStringLiteral("organizer-cli")},
                                             {QStringLiteral("client_secret"), QStringLiteral("organizer-cli-secret")},
                                             {QStringLiteral("audience"), QStringLiteral("organize")}});
    ASSERT_EQ(cliToken.status, 200);
    EXPECT_EQ(call("POST", "/api/v2/users", body(QStringLiteral("new@example.com")), QString::fromUtf8(cliToken.json("access_token"))).status, 401);

    // The admin client with a grant, but a token without the scope each call needs: 403 insufficient_scope.
    const QString readOnly = adminToken(port(), issuer(), QStringLiteral("read:users"));
    for (const HttpReply &reply :
         {call("POST", "/api/v2/users", body(QStringLiteral("new@example.com")), readOnly),
          call("PATCH", userPath(userId), {{QStringLiteral("blocked"), true}}, readOnly), call("DELETE", userPath(userId), {}, readOnly)}) {
        EXPECT_EQ(reply.status, 403) << reply.body.constData();
        EXPECT_EQ(reply.json("errorCode"), "insufficient_scope");
    }
    EXPECT_EQ(objectOf(call("GET", userPath(userId))).value(QLatin1String("blocked")), QJsonValue(false)) << "nothing changed";
    EXPECT_EQ(arrayOf(call("GET", "/api/v2/users-by-email?email=new%40example.com")).size(), 0);
}

TEST(ManagementUsersAcrossInstances, AnotherInstanceFollowsAndARestartKeepsEveryChange)
{
    ServerProcess first;
    ASSERT_TRUE(first.start()) << first.errorText().toStdString();
    ServerProcess second(first.dataDir()); // the same SQLite database
    ASSERT_TRUE(second.start()) << second.errorText().toStdString();
    const QString token = adminToken(first.port(), first.issuer());
    const HttpReply made = callApi(first.port(), "POST", "/api/v2/users", token,
                                   compactJson({{QStringLiteral("connection"), QStringLiteral("Username-Password-Authentication")},
                                                {QStringLiteral("email"), QStringLiteral("ivy@example.com")},
                                                {QStringLiteral("password"), kStrong},
                                                {QStringLiteral("app_metadata"), QJsonObject{{QStringLiteral("plan"), QStringLiteral("gold")}}}}));
    ASSERT_EQ(made.status, 201) << made.body.constData();
    const QByteArray path = "/api/v2/users/" + percent(objectOf(made).value(QLatin1String("user_id")).toString());
    ASSERT_EQ(callApi(first.port(), "PATCH", path, token, compactJson({{QStringLiteral("password"), kStronger}})).status, 200);

    // The other instance takes the change on with its next Management API call; then its login page has it too.
    const HttpReply seen = callApi(second.port(), "GET", path, adminToken(second.port(), second.issuer()));
    ASSERT_EQ(seen.status, 200) << seen.body.constData();
    EXPECT_TRUE(logIn(second.port(), QStringLiteral("ivy@example.com"), kStronger).loggedIn);
    EXPECT_FALSE(logIn(second.port(), QStringLiteral("ivy@example.com"), kStrong).loggedIn);

    first.stop();
    second.stop();
    ServerProcess restarted(first.dataDir());
    ASSERT_TRUE(restarted.start()) << restarted.errorText().toStdString();
    const QJsonObject after = objectOf(callApi(restarted.port(), "GET", path, adminToken(restarted.port(), restarted.issuer())));
    EXPECT_EQ(after.value(QLatin1String("app_metadata")).toObject().value(QLatin1String("plan")).toString(), QStringLiteral("gold"));
    EXPECT_EQ(after.value(QLatin1String("created_at")), objectOf(made).value(QLatin1String("created_at")));
    EXPECT_TRUE(logIn(restarted.port(), QStringLiteral("ivy@example.com"), kStronger).loggedIn);
}
