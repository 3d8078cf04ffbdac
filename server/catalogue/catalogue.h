#pragma once

#include "expected.h"
#include "jsonreader.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <array>
#include <optional>

namespace organizer::catalogue {

// One field of a record, with the rule a client's JSON must satisfy.
struct RecordField
{
    enum class Type { Text, Email, Phone, DateTime, Minutes };
    QString name;
    Type type = Type::Text;
    bool required = false;
    int maxLength = 200;

    QString label() const; // "duration_minutes" → "Duration (minutes)"
    bool operator==(const RecordField &) const = default;
};

QString typeName(RecordField::Type type); // "text", "email", "phone", "datetime", "minutes"

// What a client may do with an API's records; each is guarded by its own scope, "action:api".
enum class Action { Read, Create, Update, Delete };
inline constexpr std::array<Action, 4> allActions{Action::Read, Action::Create, Action::Update, Action::Delete};
QString actionName(Action action); // "read", "create", "update", "delete"

// One API the resource server stands for ("think of each one as a microservice"): its scopes,
// where it is served and the records it keeps.
struct ApiSpec
{
    QString name; // the scope namespace: "contacts", "calendar"
    QString title; // "Contacts", "Calendar"
    QString collection; // the plural noun, the list's JSON key and route: /api/appointments
    QString singular; // "appointment"
    QStringList aliases; // other route names for the same API: /api/calendar
    QList<RecordField> fields;
    QString sortField; // lists are ordered by this field, then by id
    QString table; // where the store keeps the records
    QString seedResource; // records a new store starts with; empty: none
    bool builtin = true; // compiled in, as opposed to declared through the Management API

    QString scope(Action action) const { return actionName(action) + QLatin1Char(':') + name; }
    QStringList scopes() const;
    QString scopeDescription(Action action) const; // "Read your appointments"
    QString path() const { return QStringLiteral("/api/") + collection; }
    // True for the route segment after /api/: the collection or an alias.
    bool isServedAt(const QString &segment) const { return segment == collection || aliases.contains(segment); }
    const RecordField *field(const QString &fieldName) const;
    bool operator==(const ApiSpec &) const = default;
};

// The resource server, in the terms of Auth0's API settings, and the APIs it represents.
struct ResourceServerSpec
{
    QString name = QStringLiteral("Organizer Service");
    QString identifier = QStringLiteral("organize"); // the audience
    QString signingAlgorithm = QStringLiteral("RS256");
    qint64 tokenLifetimeSeconds = 86400;
    bool rbac = true;
    bool addPermissionsToAccessToken = true;
    bool allowOfflineAccess = true;
    QList<ApiSpec> apis;

    QStringList scopes() const; // every API's scopes, API by API, in action order
    const ApiSpec *api(const QString &apiName) const;
    const ApiSpec *apiServedAt(const QString &segment) const;
    const ApiSpec *apiForScope(const QString &scope) const; // by the part after ':'
};

// A record with every required field filled with a valid value ("QA Probe", "qa.probe@example.com",
// …): what the scope QA plan creates and replaces, whatever the API.
QJsonObject sampleRecord(const ApiSpec &api);

// The catalogue compiled into Organizer: Organizer Service with its contacts and calendar APIs.
const ResourceServerSpec &organizerService();

// The Management API's extension for declaring an API with records on a resource server (Auth0's
// APIs have no records): {"name": "samples", "singular": "sample", "fields": [{"name": "title",
// "type": "text", "required": true, "max_length": 200}]}. Declared APIs keep their records in a
// table of their own ("api_samples"). The declaration is read where `read` stands, its first problem
// reported there ("organizer_apis[0].fields[1].type: …"); nullopt when it has one.
std::optional<ApiSpec> readDeclaredApi(const JsonReader &read);
// The same for a declaration on its own; `where` prefixes the error ("organizer_apis[0].fields[1].type").
Expected<ApiSpec, QString> declaredApiFromJson(const QJsonObject &object, const QString &where);
QJsonObject apiToJson(const ApiSpec &api);

// A declared API declared again with changes: whether its stored records survive them. Fields may be added,
// removed or made optional (values stay stored, and return with the field). A type may change when every
// stored value still reads back: minutes become their decimal text, and text, email, phone and datetime
// values are kept as they are (one that does not fit the new type is returned as stored and must fit when its
// record is next written). Any other type into minutes is refused, naming the field: text is not in general
// a number, and a value read back as a number it never was (or as 0) is worse than a refusal.
Expected<Done, QString> checkFieldChanges(const ApiSpec &before, const ApiSpec &after, const QString &where);

} // namespace organizer::catalogue
