#pragma once

// One way to read a JSON document into typed values, for every format Organizer reads: the tenant file,
// the APIs declared with records, Management API request bodies, the Management API's answers in the
// app and the QA plan. Each problem is named by its path ("apis[2].scopes[0].value: expected a string"),
// so whoever wrote the document can find and fix it.
//
//     JsonReader read(document);
//     api.name = read["name"].requiredString();
//     api.tokenLifetimeSeconds = read["token_lifetime"].integer(60, 2592000).value_or(86400);
//     read["scopes"].forEachObject([&](const JsonReader &scope) { ... });
//     if (!read.ok())
//         return Unexpected<QString>(read.error());
//
// A reader is a position in the document (its value and its path); the readers below it share its list
// of problems, so reading goes on after a problem and the first one found is the one to report (or all
// of them). Members nobody reads are kept (ignored) unless the caller asks for allowOnly().

#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <limits>
#include <memory>
#include <optional>

namespace organizer {

// One thing wrong in a JSON document, and where it is.
struct JsonProblem
{
    enum class Kind {
        Missing, // a required member is absent
        WrongType, // a string where a number belongs, an empty string where a name belongs
        OutOfRange, // a number or a list length outside its bounds
        UnknownMember, // a member the format does not have (its own path names it)
        Invalid, // the caller's own check: "only RS256 is supported"
    };
    Kind kind = Kind::Invalid;
    QString path; // "apis[2].scopes[0].value"; empty: the document itself
    QString problem; // "expected a string"

    QString toString() const; // "apis[2].scopes[0].value: expected a string", or the problem alone at the root
    bool operator==(const JsonProblem &) const = default;
};

// How a format words its problems. The defaults say what was expected; a format whose messages people
// already know in other words (the tenant file's "must be …") keeps them. A call may give its own words
// instead ("expected a scope name like \"read:contacts\"").
struct JsonWording
{
    QString missing = QStringLiteral("is required");
    QString string = QStringLiteral("expected a string");
    QString nonEmptyString = QStringLiteral("expected a non-empty string");
    QString boolean = QStringLiteral("expected true or false");
    QString integer = QStringLiteral("expected a whole number");
    QString integerRange = QStringLiteral("expected a whole number from %1 to %2"); // %1, %2: the bounds
    QString array = QStringLiteral("expected a list");
    QString arrayLength = QStringLiteral("expected a list of %1 to %2 items"); // %1, %2: the bounds
    QString stringArray = QStringLiteral("expected a list of strings");
    QString object = QStringLiteral("expected an object");
    QString unknownMember = QStringLiteral("unknown member (known: %1)"); // %1: the known members, comma-separated
};

struct JsonReadOptions
{
    // Auth0 writes null for what is not set: read it as absent. Elsewhere null is a value of the wrong type.
    bool nullIsAbsent = false;
    JsonWording wording;
};

// How many items a list may have.
struct JsonCount
{
    qsizetype min = 0;
    qsizetype max = std::numeric_limits<qsizetype>::max();
};

class JsonReader
{
public:
    enum Presence { Optional, Required };
    enum Items { AnyStrings, NonEmptyStrings };

    // The document (or a part of one, named `path`: "organizer_apis[0]", "tenant.json").
    explicit JsonReader(const QJsonValue &document, const QString &path = {}, const JsonReadOptions &options = {});

    const QString &path() const { return m_path; }
    const QJsonValue &value() const { return m_value; }
    bool isAbsent() const; // undefined, or null when nullIsAbsent
    bool isObject() const { return m_value.isObject(); }
    bool isArray() const { return m_value.isArray(); }
    qsizetype size() const; // the items of an array here; 0 for anything else

    // The reader one level down; absent when there is nothing there. Its problems are this document's.
    JsonReader operator[](const char *member) const; // member names are Latin-1 literals
    JsonReader member(const QString &name) const;
    JsonReader at(qsizetype index) const;

    // Typed values. Absent is no problem for the optional ones (nullopt: the caller's default applies);
    // a value of the wrong type is reported here and reads as absent. `expected` replaces the wording.
    std::optional<QString> string(const QString &expected = {}) const;
    QString requiredString(const QString &expected = {}) const; // present, a string, not empty; {} otherwise
    std::optional<bool> boolean(const QString &expected = {}) const;
    std::optional<qint64> integer(const QString &expected = {}) const;
    std::optional<qint64> integer(qint64 min, qint64 max, const QString &expected = {}) const; // whole, within [min, max]
    QStringList strings(Items items = AnyStrings, const QString &expected = {}) const; // each bad item is reported at its own path

    // Arrays and objects: `read` is called for each item (or member) in order. False when there is no
    // such array here (absent, or reported); `expected` words the problem with the array itself.
    bool forEach(const std::function<void(const JsonReader &item)> &read, Presence presence = Optional, const QString &expected = {},
                 JsonCount count = {}) const;
    // As forEach(), for arrays of objects: an item that is not an object (null included) is reported and skipped.
    bool forEachObject(const std::function<void(const JsonReader &item)> &read, Presence presence = Optional, const QString &expected = {},
                       JsonCount count = {}) const;
    bool forEachMember(const std::function<void(const QString &name, const JsonReader &value)> &read, Presence presence = Optional,
                       const QString &expected = {}) const;
    // Whether this is an object (reported when present and not one, or absent and required).
    bool expectObject(Presence presence = Required, const QString &expected = {}) const;

    // Refuses members not in `known`: the first one (in key order) is reported at its own path, its
    // name cut to 60 characters. Formats that keep what they do not know simply never call this.
    bool allowOnly(const QStringList &known, const QString &expected = {}) const;

    // Reports the caller's own finding about the value here ("only RS256 is supported").
    void fail(const QString &problem, JsonProblem::Kind kind = JsonProblem::Kind::Invalid) const;

    bool ok() const;
    const QList<JsonProblem> &problems() const; // in the order found
    QString error() const; // the first problem as text; empty when there is none
    const JsonReadOptions &options() const;

private:
    struct Document;
    JsonReader(std::shared_ptr<Document> document, const QJsonValue &value, QString path);
    void report(JsonProblem::Kind kind, const QString &expected, const QString &wording) const;
    bool arrayHere(Presence presence, const QString &expected, JsonCount count) const;

    std::shared_ptr<Document> m_document;
    QJsonValue m_value;
    QString m_path;
};

} // namespace organizer
