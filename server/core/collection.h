#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace organizer::server {

// One field of a stored record, with the rule a client's JSON must satisfy.
struct FieldSpec
{
    enum class Type { Text, Email, Phone, DateTime, Minutes };
    QString name;
    Type type = Type::Text;
    bool required = false;
    int maxLength = 200;
};

// A collection the resource server hosts: its route, its API (which names the scopes) and its fields.
// Contacts and appointments differ only in these values, so they share one store and one handler.
struct CollectionSpec
{
    QString name;     // route segment and table: "contacts", "appointments"
    QString singular; // "contact", "appointment"
    QString api;      // scope namespace: "contacts", "calendar"
    QList<FieldSpec> fields;
    QString orderBy; // SQL ORDER BY of the list
    QString seedResource;

    QString scope(const char *action) const { return QLatin1String(action) + QLatin1Char(':') + api; }
};

const CollectionSpec &contactsSpec();
const CollectionSpec &appointmentsSpec();

struct FieldError
{
    QString field;
    QString message;
};

// Checks a client's JSON object against the spec (PUT replaces the whole record, so POST and PUT
// share the rules). On success returns the normalized record (trimmed text, canonical times);
// otherwise fills `errors` with one entry per bad field.
QJsonObject validateRecord(const CollectionSpec &spec, const QJsonObject &input, QList<FieldError> *errors);
QJsonArray fieldErrorsToJson(const QList<FieldError> &errors);

} // namespace organizer::server
