// The one JSON reader (server/base/jsonreader.h): paths, types, bounds, lists, unknown members, wording.
#include "jsonreader.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <gtest/gtest.h>

using namespace organizer;

namespace {

QJsonValue json(const char *text)
{
    const QJsonDocument document = QJsonDocument::fromJson(QByteArray(text));
    return document.isArray() ? QJsonValue(document.array()) : QJsonValue(document.object());
}

QStringList texts(const JsonReader &read)
{
    QStringList out;
    for (const JsonProblem &problem : read.problems())
        out.append(problem.toString());
    return out;
}

} // namespace

TEST(JsonReader, NamesEachProblemByItsPath)
{
    const JsonReader read(json(R"({"apis":[{},{},{"scopes":[{"value":7}]}]})"));
    const JsonReader value = read["apis"].at(2)["scopes"].at(0)["value"];
    EXPECT_EQ(value.path(), QStringLiteral("apis[2].scopes[0].value"));
    EXPECT_EQ(value.string(), std::nullopt);
    EXPECT_EQ(read.error(), QStringLiteral("apis[2].scopes[0].value: expected a string"));
    ASSERT_EQ(read.problems().size(), 1);
    EXPECT_EQ(read.problems().first().kind, JsonProblem::Kind::WrongType);
    EXPECT_EQ(read.problems().first().path, QStringLiteral("apis[2].scopes[0].value"));
    EXPECT_EQ(read.problems().first().problem, QStringLiteral("expected a string"));
}

TEST(JsonReader, PrefixesPathsWithWhereTheDocumentIs)
{
    const JsonReader read(json(R"({"users":[{"permissions":{"organize":"read:contacts"}}]})"), QStringLiteral("tenant.json"));
    read["users"].at(0)["permissions"].forEachMember([](const QString &, const JsonReader &scopes) { scopes.strings(); });
    EXPECT_EQ(read.error(), QStringLiteral("tenant.json.users[0].permissions.organize: expected a list of strings"));
    // At the root of a document read without a name, a problem is its text alone.
    const JsonReader bare(QJsonValue(3));
    bare.expectObject();
    EXPECT_EQ(bare.error(), QStringLiteral("expected an object"));
    const JsonReader list(json("[1]"));
    list.at(0).string();
    EXPECT_EQ(list.error(), QStringLiteral("[0]: expected a string"));
}

TEST(JsonReader, ReadsEachTypeAndReportsTheWrongOnes)
{
    const JsonReader read(json(R"({"name":"Organizer","on":true,"count":42,"ratio":0.5,"text":"42","list":["a","b"],"nothing":null})"));
    EXPECT_EQ(read["name"].string(), QStringLiteral("Organizer"));
    EXPECT_EQ(read["name"].requiredString(), QStringLiteral("Organizer"));
    EXPECT_EQ(read["on"].boolean(), true);
    EXPECT_EQ(read["count"].integer(), 42);
    EXPECT_EQ(read["list"].strings(), (QStringList{QStringLiteral("a"), QStringLiteral("b")}));
    EXPECT_TRUE(read.ok()) << read.error().toStdString();

    // Absent optional members are no problem: the caller's default applies.
    EXPECT_EQ(read["missing"].string().value_or(QStringLiteral("fallback")), QStringLiteral("fallback"));
    EXPECT_EQ(read["missing"].boolean().value_or(true), true);
    EXPECT_EQ(read["missing"].integer(1, 9).value_or(5), 5);
    EXPECT_TRUE(read["missing"].strings().isEmpty());
    EXPECT_TRUE(read.ok());

    EXPECT_EQ(read["count"].string(), std::nullopt);
    EXPECT_EQ(read["name"].boolean(), std::nullopt);
    EXPECT_EQ(read["text"].integer(), std::nullopt) << "a number in a string is not a number";
    EXPECT_EQ(read["ratio"].integer(), std::nullopt) << "not whole";
    EXPECT_EQ(read["name"].strings(), QStringList());
    EXPECT_EQ(read["nothing"].string(), std::nullopt) << "null is a value of the wrong type unless nullIsAbsent";
    EXPECT_EQ(texts(read),
              (QStringList{QStringLiteral("count: expected a string"), QStringLiteral("name: expected true or false"),
                           QStringLiteral("text: expected a whole number"), QStringLiteral("ratio: expected a whole number"),
                           QStringLiteral("name: expected a list of strings"), QStringLiteral("nothing: expected a string")}));
    EXPECT_EQ(read.error(), QStringLiteral("count: expected a string")) << "the first problem found is the one reported";
}

TEST(JsonReader, RequiredStringsArePresentAndNotEmpty)
{
    const JsonReader read(json(R"({"empty":"","number":1})"));
    EXPECT_EQ(read["absent"].requiredString(), QString());
    EXPECT_EQ(read["empty"].requiredString(), QString());
    EXPECT_EQ(read["number"].requiredString(QStringLiteral("expected the user's email")), QString());
    EXPECT_EQ(read["absent"].requiredString(QStringLiteral("expected the user's email")), QString());
    EXPECT_EQ(texts(read),
              (QStringList{QStringLiteral("absent: is required"), QStringLiteral("empty: expected a non-empty string"),
                           QStringLiteral("number: expected the user's email"), QStringLiteral("absent: expected the user's email")}));
    EXPECT_EQ(read.problems().at(0).kind, JsonProblem::Kind::Missing);
    EXPECT_EQ(read.problems().at(1).kind, JsonProblem::Kind::WrongType);
}

TEST(JsonReader, NullIsAbsentWhenTheFormatSaysSo)
{
    JsonReadOptions auth0;
    auth0.nullIsAbsent = true;
    const JsonReader read(json(R"({"name":null,"on":null,"count":null,"list":null})"), QStringLiteral("rs"), auth0);
    EXPECT_TRUE(read["name"].isAbsent());
    EXPECT_EQ(read["name"].string(), std::nullopt);
    EXPECT_EQ(read["on"].boolean().value_or(true), true);
    EXPECT_EQ(read["count"].integer().value_or(7), 7);
    EXPECT_TRUE(read["list"].strings().isEmpty());
    EXPECT_FALSE(read["list"].forEach([](const JsonReader &) {}));
    EXPECT_TRUE(read.ok()) << read.error().toStdString();
    read["name"].requiredString();
    EXPECT_EQ(read.error(), QStringLiteral("rs.name: is required"));
    // An item of a list of objects is wanted, null or not.
    const JsonReader list(json(R"({"scopes":[null,{"value":"a"}]})"), QStringLiteral("rs"), auth0);
    QStringList values;
    list["scopes"].forEachObject([&values](const JsonReader &scope) { values.append(scope["value"].string().value_or(QString())); });
    EXPECT_EQ(values, QStringList{QStringLiteral("a")});
    EXPECT_EQ(list.error(), QStringLiteral("rs.scopes[0]: expected an object"));
}

TEST(JsonReader, IntegersKeepToTheirBounds)
{
    const JsonReader read(json(R"({"low":59,"min":60,"max":2592000,"high":2592001,"half":60.5,"huge":1e300,"tiny":-1e300,"text":"60"})"));
    EXPECT_EQ(read["min"].integer(60, 2592000), 60);
    EXPECT_EQ(read["max"].integer(60, 2592000), 2592000);
    EXPECT_TRUE(read.ok());
    for (const char *member : {"low", "high", "half", "huge", "tiny", "text"})
        EXPECT_EQ(read[member].integer(60, 2592000), std::nullopt) << member;
    ASSERT_EQ(read.problems().size(), 6);
    for (const JsonProblem &problem : read.problems())
        EXPECT_EQ(problem.problem, QStringLiteral("expected a whole number from 60 to 2592000")) << problem.path.toStdString();
    EXPECT_EQ(read.problems().at(0).kind, JsonProblem::Kind::OutOfRange);
    EXPECT_EQ(read.problems().at(2).kind, JsonProblem::Kind::WrongType) << "60.5 is in range but not whole";
    EXPECT_EQ(read.problems().at(5).kind, JsonProblem::Kind::WrongType);
    // The whole range of qint64 that a double can hold exactly.
    const JsonReader big(json(R"({"n":-9007199254740992,"m":9.3e18})"));
    EXPECT_EQ(big["n"].integer(), Q_INT64_C(-9007199254740992));
    EXPECT_EQ(big["m"].integer(), std::nullopt) << "beyond qint64";
}

TEST(JsonReader, StringListsNameTheItemThatIsWrong)
{
    const JsonReader read(json(R"({"callbacks":["http://a/",3,""],"names":["a",""]})"), QStringLiteral("clients[1]"));
    const QStringList callbacks = read["callbacks"].strings(JsonReader::NonEmptyStrings);
    EXPECT_EQ(callbacks.size(), 3) << "every item is kept: the caller decides what a list with problems is worth";
    EXPECT_EQ(read["names"].strings(), (QStringList{QStringLiteral("a"), QString()})) << "an empty string is a string";
    EXPECT_EQ(texts(read),
              (QStringList{QStringLiteral("clients[1].callbacks[1]: expected a non-empty string"),
                           QStringLiteral("clients[1].callbacks[2]: expected a non-empty string")}));
}

TEST(JsonReader, ListsAndTheirLengths)
{
    const JsonReader read(json(R"({"fields":[{"name":"a"},7,{"name":"b"}],"none":[],"object":{}})"));
    QStringList names;
    EXPECT_TRUE(read["fields"].forEachObject([&names](const JsonReader &field) { names.append(field["name"].requiredString()); }));
    EXPECT_EQ(names, (QStringList{QStringLiteral("a"), QStringLiteral("b")})) << "the item that is not an object is skipped";
    EXPECT_EQ(read.error(), QStringLiteral("fields[1]: expected an object"));

    const JsonReader lists(json(R"({"fields":[1,2,3],"none":[],"object":{}})"));
    qsizetype visited = 0;
    EXPECT_TRUE(lists["fields"].forEach([&visited](const JsonReader &) { ++visited; }, JsonReader::Required, {}, {1, 3}));
    EXPECT_EQ(visited, 3);
    EXPECT_FALSE(lists["fields"].forEach([&visited](const JsonReader &) { ++visited; }, JsonReader::Optional, {}, {1, 2}));
    EXPECT_EQ(visited, 3) << "a list of the wrong length is not read";
    EXPECT_FALSE(lists["none"].forEach([](const JsonReader &) {}, JsonReader::Required, QStringLiteral("expected a non-empty list of users"), {1}));
    EXPECT_FALSE(lists["object"].forEach([](const JsonReader &) {}));
    EXPECT_FALSE(lists["absent"].forEach([](const JsonReader &) {}, JsonReader::Required));
    EXPECT_FALSE(lists["absent"].forEach([](const JsonReader &) {}));
    EXPECT_EQ(texts(lists),
              (QStringList{QStringLiteral("fields: expected a list of 1 to 2 items"), QStringLiteral("none: expected a non-empty list of users"),
                           QStringLiteral("object: expected a list"), QStringLiteral("absent: is required")}));
    EXPECT_EQ(lists.problems().at(0).kind, JsonProblem::Kind::OutOfRange);
    EXPECT_EQ(lists["fields"].size(), 3);
    EXPECT_EQ(lists["object"].size(), 0);
}

TEST(JsonReader, MembersOfAnObjectInKeyOrder)
{
    const JsonReader read(json(R"({"permissions":{"b":["x"],"a":[]},"notAnObject":[1]})"), QStringLiteral("users[0]"));
    QStringList seen;
    EXPECT_TRUE(
        read["permissions"].forEachMember([&seen](const QString &name, const JsonReader &value) { seen.append(name + QLatin1Char('@') + value.path()); }));
    EXPECT_EQ(seen, (QStringList{QStringLiteral("a@users[0].permissions.a"), QStringLiteral("b@users[0].permissions.b")}));
    EXPECT_FALSE(read["notAnObject"].forEachMember([](const QString &, const JsonReader &) {}));
    EXPECT_EQ(read.error(), QStringLiteral("users[0].notAnObject: expected an object"));
}

TEST(JsonReader, UnknownMembersAreKeptUnlessTheCallerRefusesThem)
{
    const JsonReader kept(json(R"({"name":"a","extra":1})"));
    EXPECT_EQ(kept["name"].string(), QStringLiteral("a"));
    EXPECT_TRUE(kept.ok()) << "a member nobody reads is no problem by itself";

    const JsonReader endpoint(json(R"({"method":"GET","zeta":1,"scopes":"x"})"), QStringLiteral("endpoints[0]"));
    EXPECT_FALSE(endpoint.allowOnly({QStringLiteral("method"), QStringLiteral("path"), QStringLiteral("scope"), QStringLiteral("body")}));
    ASSERT_EQ(endpoint.problems().size(), 1) << "the first unknown member only";
    EXPECT_EQ(endpoint.error(), QStringLiteral("endpoints[0].scopes: unknown member (known: method, path, scope, body)")) << "in key order";
    EXPECT_EQ(endpoint.problems().first().kind, JsonProblem::Kind::UnknownMember);

    const JsonReader known(json(R"({"method":"GET"})"));
    EXPECT_TRUE(known.allowOnly({QStringLiteral("method")}));
    EXPECT_TRUE(known.ok());

    const QString longName(500, QLatin1Char('x'));
    const JsonReader hostile(QJsonObject{{longName, 1}}, QStringLiteral("organizer_apis[0]"));
    EXPECT_FALSE(hostile.allowOnly({QStringLiteral("name")}, QStringLiteral("is not a member of an API (name, title, singular, fields)")));
    EXPECT_EQ(hostile.error(),
              QStringLiteral("organizer_apis[0].%1: is not a member of an API (name, title, singular, fields)").arg(QString(60, QLatin1Char('x'))))
        << "a member's name is cut in the path, whatever its length";
}

TEST(JsonReader, AFormatKeepsItsOwnWords)
{
    JsonReadOptions tenantFile;
    tenantFile.wording.string = tenantFile.wording.nonEmptyString = QStringLiteral("must be a non-empty string");
    tenantFile.wording.integerRange = QStringLiteral("must be a whole number from %1 to %2");
    tenantFile.wording.array = QStringLiteral("must be an array");
    tenantFile.wording.unknownMember = QStringLiteral("unknown field (known: %1)");
    const JsonReader read(json(R"({"apis":[{"identifier":"","token_lifetime":5,"x":1}],"clients":{}})"), {}, tenantFile);
    read["apis"].forEachObject([](const JsonReader &api) {
        api["identifier"].requiredString();
        api["token_lifetime"].integer(60, 2592000);
        api.allowOnly({QStringLiteral("identifier"), QStringLiteral("token_lifetime")});
    });
    read["clients"].forEach([](const JsonReader &) {}, JsonReader::Required);
    EXPECT_EQ(texts(read),
              (QStringList{QStringLiteral("apis[0].identifier: must be a non-empty string"),
                           QStringLiteral("apis[0].token_lifetime: must be a whole number from 60 to 2592000"),
                           QStringLiteral("apis[0].x: unknown field (known: identifier, token_lifetime)"), QStringLiteral("clients: must be an array")}));
    EXPECT_EQ(read["apis"].at(0).options().wording.array, QStringLiteral("must be an array")) << "readers below share the document's options";
}

TEST(JsonReader, TheCallersOwnFindingsAndSharedProblems)
{
    const JsonReader read(json(R"({"apis":[{"signing_alg":"HS256"}]})"));
    const JsonReader api = read["apis"].at(0);
    if (api["signing_alg"].string() != QStringLiteral("RS256"))
        api["signing_alg"].fail(QStringLiteral("only RS256 is supported"));
    api.fail(QStringLiteral("\"x\" is used twice"), JsonProblem::Kind::Invalid);
    EXPECT_FALSE(read.ok()) << "a problem found below is the document's";
    EXPECT_EQ(texts(api), (QStringList{QStringLiteral("apis[0].signing_alg: only RS256 is supported"), QStringLiteral("apis[0]: \"x\" is used twice")}));
    // Readers of other documents keep their own problems.
    const JsonReader other(json(R"({})"));
    EXPECT_TRUE(other.ok());
    EXPECT_EQ(other.error(), QString());
}

TEST(JsonReader, ReadsNothingBelowWhatIsNotAContainer)
{
    const JsonReader read(json(R"({"name":"a","list":[1]})"));
    EXPECT_TRUE(read["name"]["inner"].isAbsent());
    EXPECT_TRUE(read["name"].at(0).isAbsent());
    EXPECT_TRUE(read["list"]["x"].isAbsent());
    EXPECT_TRUE(read["list"].at(5).isAbsent());
    EXPECT_EQ(read["list"].at(5).path(), QStringLiteral("list[5]"));
    EXPECT_EQ(read["name"]["inner"].string(), std::nullopt);
    EXPECT_TRUE(read.ok());
}
