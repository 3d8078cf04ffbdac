// libFuzzer target: the APIs' JSON bodies (contacts and appointments validation).
#include "collection.h"

#include <QJsonDocument>

#include <cstdint>

using namespace organizer::server;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QJsonObject object = QJsonDocument::fromJson(QByteArray(reinterpret_cast<const char *>(data), qsizetype(size))).object();
    QList<FieldError> errors;
    (void)validateRecord(contactsSpec(), object, &errors);
    errors.clear();
    (void)validateRecord(appointmentsSpec(), object, &errors);
    (void)fieldErrorsToJson(errors);
    return 0;
}
