#include "recordvalidation.h"

#include <QDateTime>
#include <QRegularExpression>
#include <QSet>

namespace organizer::catalogue {

namespace {

using Type = RecordField::Type;

bool isEmailAddress(const QString &value)
{
    // Deliberately modest (RFC 5322 is far wider): one @, a dot in the domain, no spaces.
    static const QRegularExpression pattern(QStringLiteral(R"(^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$)"));
    return pattern.match(value).hasMatch();
}

bool isPhoneNumber(const QString &value)
{
    static const QRegularExpression pattern(QStringLiteral(R"(^\+?[0-9 ()./-]{3,40}$)"));
    return pattern.match(value).hasMatch();
}

// ISO 8601 with an explicit offset ("Z" or ±hh:mm): an appointment time without one is ambiguous.
QString canonicalDateTime(const QString &value)
{
    static const QRegularExpression hasOffset(QStringLiteral(R"((Z|[+-]\d\d:\d\d)$)"));
    if (!hasOffset.match(value).hasMatch())
        return {};
    const QDateTime parsed = QDateTime::fromString(value, Qt::ISODateWithMs);
    if (!parsed.isValid())
        return {};
    return parsed.toString(Qt::ISODate);
}

} // namespace

QJsonObject validateRecord(const ApiSpec &spec, const QJsonObject &input, QList<FieldError> *errors)
{
    QJsonObject record;
    QSet<QString> known{QStringLiteral("id")};
    for (const RecordField &field : spec.fields) {
        known.insert(field.name);
        const QJsonValue value = input.value(field.name);
        if (value.isUndefined() || value.isNull()) {
            if (field.required)
                errors->append({field.name, QStringLiteral("is required")});
            continue;
        }
        if (field.type == Type::Minutes) {
            const double minutes = value.toDouble(-1);
            if (!value.isDouble() || minutes != double(qint64(minutes)) || minutes < 1 || minutes > 24 * 60)
                errors->append({field.name, QStringLiteral("must be a whole number of minutes from 1 to 1440")});
            else
                record.insert(field.name, qint64(minutes));
            continue;
        }
        if (!value.isString()) {
            errors->append({field.name, QStringLiteral("must be a string")});
            continue;
        }
        const QString text = value.toString().trimmed();
        if (text.isEmpty()) {
            if (field.required)
                errors->append({field.name, QStringLiteral("must not be empty")});
            continue;
        }
        if (text.size() > field.maxLength) {
            errors->append({field.name, QStringLiteral("must be at most %1 characters").arg(field.maxLength)});
            continue;
        }
        switch (field.type) {
        case Type::Email:
            if (!isEmailAddress(text)) {
                errors->append({field.name, QStringLiteral("must be an email address like jane@example.com")});
                continue;
            }
            break;
        case Type::Phone:
            if (!isPhoneNumber(text)) {
                errors->append({field.name, QStringLiteral("must be a phone number (digits, spaces, + ( ) . -)")});
                continue;
            }
            break;
        case Type::DateTime: {
            const QString canonical = canonicalDateTime(text);
            if (canonical.isEmpty()) {
                errors->append({field.name, QStringLiteral("must be an ISO 8601 date-time with an offset, like 2026-11-30T14:30:00-05:00")});
                continue;
            }
            record.insert(field.name, canonical);
            continue;
        }
        default:
            break;
        }
        record.insert(field.name, text);
    }
    for (auto it = input.constBegin(); it != input.constEnd(); ++it) {
        if (!known.contains(it.key()))
            errors->append({it.key().left(64), QStringLiteral("is not a field of a %1").arg(spec.singular)});
    }
    return errors->isEmpty() ? record : QJsonObject();
}

QJsonArray fieldErrorsToJson(const QList<FieldError> &errors)
{
    QJsonArray array;
    for (const FieldError &error : errors)
        array.append(QJsonObject{{QStringLiteral("field"), error.field}, {QStringLiteral("message"), error.message}});
    return array;
}

} // namespace organizer::catalogue
