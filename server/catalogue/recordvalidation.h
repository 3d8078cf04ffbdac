#pragma once

#include "catalogue.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QList>

namespace organizer::catalogue {

struct FieldError
{
    QString field;
    QString message;
};

// Checks a client's JSON object against the API's fields (PUT replaces the whole record, so POST and
// PUT share the rules). On success returns the normalized record (trimmed text, canonical times);
// otherwise fills `errors` with one entry per bad field. The app runs the same rules in its forms.
QJsonObject validateRecord(const ApiSpec &spec, const QJsonObject &input, QList<FieldError> *errors);
QJsonArray fieldErrorsToJson(const QList<FieldError> &errors);

} // namespace organizer::catalogue
