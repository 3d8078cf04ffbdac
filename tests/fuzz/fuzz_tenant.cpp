// libFuzzer target: the tenant file loader.
#include "managementapi.h"
#include "tenantfile.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    // Grants may name the Management API's scopes.
    static const organizer::authorization::ManagementApiDefinition managementApi = organizer::management::ManagementApi::definition();
    (void)organizer::authorization::parseTenant(QByteArray(reinterpret_cast<const char *>(data), qsizetype(size)), managementApi);
    return 0;
}
