// libFuzzer target: the APIs' JSON bodies (every catalogue API's validation) and the Management
// API's declarations of APIs with records.
#include "recordvalidation.h"

#include <QJsonDocument>

#include <cstdint>

using namespace organizer::catalogue;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QJsonObject object = QJsonDocument::fromJson(QByteArray(reinterpret_cast<const char *>(data), qsizetype(size))).object();
    for (const ApiSpec &api : organizerService().apis) {
        QList<FieldError> errors;
        (void)validateRecord(api, object, &errors);
        (void)fieldErrorsToJson(errors);
    }
    if (auto declared = declaredApiFromJson(object, QStringLiteral("api")))
        (void)apiToJson(*declared);
    return 0;
}
