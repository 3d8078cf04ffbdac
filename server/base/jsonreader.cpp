#include "jsonreader.h"

#include <QJsonArray>
#include <QJsonObject>

namespace organizer {

namespace {

// A member name in a path is cut here: whatever a document holds, its problems stay readable.
constexpr qsizetype kMemberNameInPath = 60;

QString memberPath(const QString &path, const QString &name)
{
    return path.isEmpty() ? name : path + QLatin1Char('.') + name;
}

} // namespace

QString JsonProblem::toString() const
{
    return path.isEmpty() ? problem : QStringLiteral("%1: %2").arg(path, problem);
}

struct JsonReader::Document
{
    JsonReadOptions options;
    QList<JsonProblem> problems;
};

JsonReader::JsonReader(const QJsonValue &document, const QString &path, const JsonReadOptions &options)
    : m_document(std::make_shared<Document>(Document{options, {}})), m_value(document), m_path(path)
{}

JsonReader::JsonReader(std::shared_ptr<Document> document, const QJsonValue &value, QString path)
    : m_document(std::move(document)), m_value(value), m_path(std::move(path))
{}

bool JsonReader::isAbsent() const
{
    return m_value.isUndefined() || (m_value.isNull() && m_document->options.nullIsAbsent);
}

qsizetype JsonReader::size() const
{
    return m_value.isArray() ? m_value.toArray().size() : 0;
}

JsonReader JsonReader::operator[](const char *member) const
{
    return this->member(QString::fromLatin1(member));
}

JsonReader JsonReader::member(const QString &name) const
{
    // Only an object has members; anything else has nothing below it (undefined).
    return JsonReader(m_document, m_value.isObject() ? m_value.toObject().value(name) : QJsonValue(QJsonValue::Undefined), memberPath(m_path, name));
}

JsonReader JsonReader::at(qsizetype index) const
{
    return JsonReader(m_document, m_value.isArray() ? m_value.toArray().at(index) : QJsonValue(QJsonValue::Undefined),
                      QStringLiteral("%1[%2]").arg(m_path).arg(index));
}

void JsonReader::report(JsonProblem::Kind kind, const QString &expected, const QString &wording) const
{
    m_document->problems.append({kind, m_path, expected.isEmpty() ? wording : expected});
}

void JsonReader::fail(const QString &problem, JsonProblem::Kind kind) const
{
    m_document->problems.append({kind, m_path, problem});
}

std::optional<QString> JsonReader::string(const QString &expected) const
{
    if (isAbsent())
        return std::nullopt;
    if (!m_value.isString()) {
        report(JsonProblem::Kind::WrongType, expected, m_document->options.wording.string);
        return std::nullopt;
    }
    return m_value.toString();
}

QString JsonReader::requiredString(const QString &expected) const
{
    if (isAbsent()) {
        report(JsonProblem::Kind::Missing, expected, m_document->options.wording.missing);
        return {};
    }
    if (!m_value.isString() || m_value.toString().isEmpty()) {
        report(JsonProblem::Kind::WrongType, expected, m_document->options.wording.nonEmptyString);
        return {};
    }
    return m_value.toString();
}

std::optional<bool> JsonReader::boolean(const QString &expected) const
{
    if (isAbsent())
        return std::nullopt;
    if (!m_value.isBool()) {
        report(JsonProblem::Kind::WrongType, expected, m_document->options.wording.boolean);
        return std::nullopt;
    }
    return m_value.toBool();
}

std::optional<qint64> JsonReader::integer(const QString &expected) const
{
    if (isAbsent())
        return std::nullopt;
    // Within ±2^63 a double converts to qint64 exactly when it is whole.
    const double number = m_value.toDouble();
    if (!m_value.isDouble() || !(number >= -9.2233720368547758e18 && number < 9.2233720368547758e18) || number != double(qint64(number))) {
        report(JsonProblem::Kind::WrongType, expected, m_document->options.wording.integer);
        return std::nullopt;
    }
    return qint64(number);
}

std::optional<qint64> JsonReader::integer(qint64 min, qint64 max, const QString &expected) const
{
    if (isAbsent())
        return std::nullopt;
    // The bounds first, so the conversion below only ever sees numbers that fit.
    const double number = m_value.toDouble();
    const bool inRange = number >= double(min) && number <= double(max);
    if (!m_value.isDouble() || !inRange || number != double(qint64(number))) {
        report(m_value.isDouble() && !inRange ? JsonProblem::Kind::OutOfRange : JsonProblem::Kind::WrongType, expected,
               m_document->options.wording.integerRange.arg(min).arg(max));
        return std::nullopt;
    }
    return qint64(number);
}

QStringList JsonReader::strings(Items items, const QString &expected) const
{
    QStringList out;
    if (isAbsent())
        return out;
    if (!m_value.isArray()) {
        report(JsonProblem::Kind::WrongType, expected, m_document->options.wording.stringArray);
        return out;
    }
    const QJsonArray array = m_value.toArray();
    out.reserve(array.size());
    for (qsizetype i = 0; i < array.size(); ++i) {
        const QJsonValue item = array.at(i);
        if (!item.isString() || (items == NonEmptyStrings && item.toString().isEmpty())) {
            const JsonWording &wording = m_document->options.wording;
            at(i).report(JsonProblem::Kind::WrongType, {}, items == NonEmptyStrings ? wording.nonEmptyString : wording.string);
        }
        out.append(item.toString());
    }
    return out;
}

bool JsonReader::arrayHere(Presence presence, const QString &expected, JsonCount count) const
{
    const JsonWording &wording = m_document->options.wording;
    if (isAbsent()) {
        if (presence == Required)
            report(JsonProblem::Kind::Missing, expected, wording.missing);
        return false;
    }
    if (!m_value.isArray()) {
        report(JsonProblem::Kind::WrongType, expected, wording.array);
        return false;
    }
    const qsizetype length = m_value.toArray().size();
    if (length < count.min || length > count.max) {
        report(JsonProblem::Kind::OutOfRange, expected, wording.arrayLength.arg(count.min).arg(count.max));
        return false;
    }
    return true;
}

bool JsonReader::forEach(const std::function<void(const JsonReader &item)> &read, Presence presence, const QString &expected, JsonCount count) const
{
    if (!arrayHere(presence, expected, count))
        return false;
    const qsizetype length = size();
    for (qsizetype i = 0; i < length; ++i)
        read(at(i));
    return true;
}

bool JsonReader::forEachObject(const std::function<void(const JsonReader &item)> &read, Presence presence, const QString &expected, JsonCount count) const
{
    return forEach(
        [&read](const JsonReader &item) {
            // Whatever an item is instead (null included), the list wanted an object there.
            if (item.expectObject(Required, item.options().wording.object))
                read(item);
        },
        presence, expected, count);
}

bool JsonReader::forEachMember(const std::function<void(const QString &name, const JsonReader &value)> &read, Presence presence, const QString &expected) const
{
    if (!expectObject(presence, expected))
        return false;
    const QJsonObject object = m_value.toObject();
    for (auto it = object.constBegin(); it != object.constEnd(); ++it)
        read(it.key(), JsonReader(m_document, it.value(), memberPath(m_path, it.key())));
    return true;
}

bool JsonReader::expectObject(Presence presence, const QString &expected) const
{
    if (isAbsent()) {
        if (presence == Required)
            report(JsonProblem::Kind::Missing, expected, m_document->options.wording.missing);
        return false;
    }
    if (!m_value.isObject()) {
        report(JsonProblem::Kind::WrongType, expected, m_document->options.wording.object);
        return false;
    }
    return true;
}

bool JsonReader::allowOnly(const QStringList &known, const QString &expected) const
{
    const QJsonObject object = m_value.toObject();
    for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
        if (known.contains(it.key()))
            continue;
        JsonReader(m_document, it.value(), memberPath(m_path, it.key().left(kMemberNameInPath)))
            .report(JsonProblem::Kind::UnknownMember, expected, m_document->options.wording.unknownMember.arg(known.join(QLatin1String(", "))));
        return false;
    }
    return true;
}

bool JsonReader::ok() const
{
    return m_document->problems.isEmpty();
}

const QList<JsonProblem> &JsonReader::problems() const
{
    return m_document->problems;
}

QString JsonReader::error() const
{
    return m_document->problems.isEmpty() ? QString() : m_document->problems.first().toString();
}

const JsonReadOptions &JsonReader::options() const
{
    return m_document->options;
}

} // namespace organizer
