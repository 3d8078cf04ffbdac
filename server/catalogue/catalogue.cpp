#include "catalogue.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>

namespace organizer::catalogue {

namespace {

using Type = RecordField::Type;

// Names that become SQL identifiers, route segments and scope parts: nothing to quote or escape.
bool isPlainName(const QString &name)
{
    static const QRegularExpression pattern(QStringLiteral("^[a-z][a-z0-9_]{0,30}$"));
    return pattern.match(name).hasMatch();
}

// Columns every table already has (PostgreSQL's system columns, SQLite's rowid aliases): a field of that
// name cannot be created on PostgreSQL, and on SQLite it would shadow the row id.
bool isSystemColumnName(const QString &name)
{
    static const QSet<QString> names{QStringLiteral("oid"),  QStringLiteral("tableoid"), QStringLiteral("xmin"),
                                     QStringLiteral("cmin"), QStringLiteral("xmax"),     QStringLiteral("cmax"),
                                     QStringLiteral("ctid"), QStringLiteral("rowid"),    QStringLiteral("_rowid_")};
    return names.contains(name);
}

Expected<Type, QString> typeFromName(const QString &name)
{
    static const QList<std::pair<QString, Type>> types{{QStringLiteral("text"), Type::Text},
                                                       {QStringLiteral("email"), Type::Email},
                                                       {QStringLiteral("phone"), Type::Phone},
                                                       {QStringLiteral("datetime"), Type::DateTime},
                                                       {QStringLiteral("minutes"), Type::Minutes}};
    for (const auto &[typeName, type] : types) {
        if (typeName == name)
            return type;
    }
    return Unexpected<QString>(QStringLiteral("\"%1\" is not one of text, email, phone, datetime, minutes").arg(name.left(40)));
}

} // namespace

QString RecordField::label() const
{
    if (type == Type::Minutes && name.endsWith(QLatin1String("_minutes")))
        return RecordField{name.chopped(8)}.label() + QStringLiteral(" (minutes)");
    QString text = name;
    text.replace(QLatin1Char('_'), QLatin1Char(' '));
    if (!text.isEmpty())
        text[0] = text.at(0).toUpper();
    return text;
}

QString typeName(RecordField::Type type)
{
    switch (type) {
    case Type::Text:
        return QStringLiteral("text");
    case Type::Email:
        return QStringLiteral("email");
    case Type::Phone:
        return QStringLiteral("phone");
    case Type::DateTime:
        return QStringLiteral("datetime");
    case Type::Minutes:
        return QStringLiteral("minutes");
    }
    return {};
}

QString actionName(Action action)
{
    switch (action) {
    case Action::Read:
        return QStringLiteral("read");
    case Action::Create:
        return QStringLiteral("create");
    case Action::Update:
        return QStringLiteral("update");
    case Action::Delete:
        return QStringLiteral("delete");
    }
    return {};
}

QStringList ApiSpec::scopes() const
{
    QStringList out;
    for (const Action action : allActions)
        out.append(scope(action));
    return out;
}

QString ApiSpec::scopeDescription(Action action) const
{
    switch (action) {
    case Action::Read:
        return QStringLiteral("Read your %1").arg(collection);
    case Action::Create:
        return QStringLiteral("Add %1").arg(collection);
    case Action::Update:
        return QStringLiteral("Change your %1").arg(collection);
    case Action::Delete:
        return QStringLiteral("Delete %1").arg(collection);
    }
    return {};
}

const RecordField *ApiSpec::field(const QString &fieldName) const
{
    for (const RecordField &entry : fields) {
        if (entry.name == fieldName)
            return &entry;
    }
    return nullptr;
}

QStringList ResourceServerSpec::scopes() const
{
    QStringList out;
    for (const ApiSpec &entry : apis)
        out += entry.scopes();
    return out;
}

const ApiSpec *ResourceServerSpec::api(const QString &apiName) const
{
    for (const ApiSpec &entry : apis) {
        if (entry.name == apiName)
            return &entry;
    }
    return nullptr;
}

const ApiSpec *ResourceServerSpec::apiServedAt(const QString &segment) const
{
    for (const ApiSpec &entry : apis) {
        if (entry.isServedAt(segment))
            return &entry;
    }
    return nullptr;
}

const ApiSpec *ResourceServerSpec::apiForScope(const QString &scope) const
{
    return api(scope.section(QLatin1Char(':'), 1));
}

QJsonObject sampleRecord(const ApiSpec &api)
{
    QJsonObject record;
    for (const RecordField &field : api.fields) {
        if (!field.required)
            continue;
        switch (field.type) {
        case Type::Text:
            record.insert(field.name, QStringLiteral("QA Probe").left(field.maxLength));
            break;
        case Type::Email:
            record.insert(field.name, QStringLiteral("qa.probe@example.com"));
            break;
        case Type::Phone:
            record.insert(field.name, QStringLiteral("+1 555 0100"));
            break;
        case Type::DateTime:
            record.insert(field.name, QStringLiteral("2026-12-01T10:00:00Z"));
            break;
        case Type::Minutes:
            record.insert(field.name, 30);
            break;
        }
    }
    return record;
}

const ResourceServerSpec &organizerService()
{
    static const ResourceServerSpec spec = [] {
        ResourceServerSpec service;
        service.apis = {
            ApiSpec{
                QStringLiteral("contacts"),
                QStringLiteral("Contacts"),
                QStringLiteral("contacts"),
                QStringLiteral("contact"),
                {},
                {
                    {QStringLiteral("name"), Type::Text, true, 200},
                    {QStringLiteral("email"), Type::Email, true, 254},
                    {QStringLiteral("phone"), Type::Phone, false, 40},
                    {QStringLiteral("company"), Type::Text, false, 200},
                    {QStringLiteral("notes"), Type::Text, false, 2000},
                },
                QStringLiteral("name"),
                QStringLiteral("contacts"),
                QStringLiteral(":/organizer/seed/contacts.json"),
            },
            ApiSpec{
                QStringLiteral("calendar"),
                QStringLiteral("Calendar"),
                QStringLiteral("appointments"),
                QStringLiteral("appointment"),
                {QStringLiteral("calendar")},
                {
                    {QStringLiteral("title"), Type::Text, true, 200},
                    {QStringLiteral("time"), Type::DateTime, true, 40},
                    {QStringLiteral("duration_minutes"), Type::Minutes, false, 0},
                    {QStringLiteral("location"), Type::Text, false, 200},
                    {QStringLiteral("notes"), Type::Text, false, 2000},
                },
                QStringLiteral("time"),
                QStringLiteral("appointments"),
                QStringLiteral(":/organizer/seed/appointments.json"),
            },
        };
        return service;
    }();
    return spec;
}

std::optional<ApiSpec> readDeclaredApi(const JsonReader &read)
{
    // The first problem ends the declaration: what follows it would only be reported against a half-read API.
    if (!read.expectObject())
        return std::nullopt;
    if (!read.allowOnly({QStringLiteral("name"), QStringLiteral("title"), QStringLiteral("singular"), QStringLiteral("fields")},
                        QStringLiteral("is not a member of an API (name, title, singular, fields)")))
        return std::nullopt;
    ApiSpec api;
    api.builtin = false;
    api.name = read["name"].value().toString();
    if (!isPlainName(api.name)) {
        read["name"].fail(QStringLiteral("must be 1 to 31 lowercase letters, digits or _, starting with a letter, like \"samples\""));
        return std::nullopt;
    }
    if (api.name == QLatin1String("v2")) {
        read["name"].fail(QStringLiteral("\"v2\" is where the Management API lives"));
        return std::nullopt;
    }
    api.collection = api.name;
    api.table = QStringLiteral("api_") + api.name;
    const JsonReader title = read["title"];
    if (!title.isAbsent() && (!title.value().isString() || title.value().toString().trimmed().isEmpty() || title.value().toString().size() > 60)) {
        title.fail(QStringLiteral("must be a name of 1 to 60 characters"));
        return std::nullopt;
    }
    api.title = title.value().isString() ? title.value().toString().trimmed() : RecordField{api.name}.label();
    const JsonReader singular = read["singular"];
    if (!singular.isAbsent() && (!singular.value().isString() || singular.value().toString().trimmed().isEmpty() || singular.value().toString().size() > 60)) {
        singular.fail(QStringLiteral("must be a noun of 1 to 60 characters"));
        return std::nullopt;
    }
    api.singular = singular.value().isString()
        ? singular.value().toString().trimmed()
        : (api.name.size() > 1 && api.name.endsWith(QLatin1Char('s')) ? api.name.chopped(1) : api.name + QStringLiteral(" record"));

    const qsizetype problemsBefore = read.problems().size();
    const auto failed = [&read, problemsBefore] { return read.problems().size() > problemsBefore; };
    QSet<QString> names;
    read["fields"].forEach(
        [&](const JsonReader &entry) {
            if (failed())
                return;
            if (!entry.expectObject(JsonReader::Required, QStringLiteral("must be an object like {\"name\": \"title\", \"type\": \"text\"}")))
                return;
            if (!entry.allowOnly({QStringLiteral("name"), QStringLiteral("type"), QStringLiteral("required"), QStringLiteral("max_length")},
                                 QStringLiteral("is not a member of a field (name, type, required, max_length)")))
                return;
            RecordField field;
            field.name = entry["name"].value().toString();
            if (!isPlainName(field.name) || field.name == QLatin1String("id") || field.name.endsWith(QLatin1String("_utc")))
                return entry["name"].fail(
                    QStringLiteral("must be 1 to 31 lowercase letters, digits or _, starting with a letter; not \"id\" and not ending in \"_utc\""));
            if (isSystemColumnName(field.name))
                return entry["name"].fail(
                    QStringLiteral("\"%1\" is a column the database itself defines on every table (PostgreSQL: oid, tableoid, xmin, cmin, xmax, cmax, "
                                   "ctid; SQLite: rowid, oid, _rowid_); pick another name")
                        .arg(field.name));
            if (names.contains(field.name))
                return entry["name"].fail(QStringLiteral("\"%1\" is declared twice").arg(field.name));
            names.insert(field.name);
            const JsonReader type = entry["type"];
            auto parsedType = typeFromName(type.isAbsent() ? QStringLiteral("text") : type.value().toString());
            if (!parsedType || (!type.isAbsent() && !type.value().isString()))
                return type.fail(parsedType ? QStringLiteral("must be a string") : parsedType.error());
            field.type = *parsedType;
            const auto required = entry["required"].boolean(QStringLiteral("must be true or false"));
            if (failed())
                return;
            field.required = required.value_or(false);
            const auto maxLength = entry["max_length"].integer(1, 10000, QStringLiteral("must be a whole number from 1 to 10000"));
            if (failed())
                return;
            field.maxLength = maxLength ? int(*maxLength) : (field.type == Type::DateTime ? 40 : 200);
            api.fields.append(field);
        },
        JsonReader::Required, QStringLiteral("must be an array of 1 to 32 fields, like [{\"name\": \"title\", \"type\": \"text\"}]"), {1, 32});
    if (failed())
        return std::nullopt;
    api.sortField = api.fields.first().name;
    return api;
}

Expected<ApiSpec, QString> declaredApiFromJson(const QJsonObject &object, const QString &where)
{
    const JsonReader read(object, where);
    auto api = readDeclaredApi(read);
    if (!api)
        return Unexpected<QString>(read.error());
    return *api;
}

QJsonObject apiToJson(const ApiSpec &api)
{
    QJsonArray fields;
    for (const RecordField &field : api.fields) {
        QJsonObject entry{{QStringLiteral("name"), field.name}, {QStringLiteral("type"), typeName(field.type)}, {QStringLiteral("required"), field.required}};
        if (field.type != Type::Minutes)
            entry.insert(QStringLiteral("max_length"), field.maxLength);
        fields.append(entry);
    }
    QJsonObject object{{QStringLiteral("name"), api.name},
                       {QStringLiteral("title"), api.title},
                       {QStringLiteral("singular"), api.singular},
                       {QStringLiteral("fields"), fields}};
    // What a client needs to call it: its route and its scopes; built-in APIs cannot be changed.
    object.insert(QStringLiteral("path"), api.path());
    object.insert(QStringLiteral("scopes"), QJsonArray::fromStringList(api.scopes()));
    object.insert(QStringLiteral("builtin"), api.builtin);
    return object;
}

Expected<Done, QString> checkFieldChanges(const ApiSpec &before, const ApiSpec &after, const QString &where)
{
    for (qsizetype i = 0; i < after.fields.size(); ++i) {
        const RecordField &field = after.fields.at(i);
        const RecordField *was = before.field(field.name);
        if (was && field.type == Type::Minutes && was->type != Type::Minutes)
            return Unexpected<QString>(QStringLiteral("%1.fields[%2].type: \"%3\" holds %4 values, which cannot become minutes; declare the minutes "
                                                      "under a new field name")
                                           .arg(where)
                                           .arg(i)
                                           .arg(field.name, typeName(was->type)));
    }
    return Done{};
}

} // namespace organizer::catalogue
