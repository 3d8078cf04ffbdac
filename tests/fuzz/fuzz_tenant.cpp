// libFuzzer target: the tenant file loader.
#include "managementapi.h"
#include "tenantfile.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const bool declared = (organizer::management::declareManagementScopes(), true); // grants may name Management API scopes
    (void)declared;
    (void)organizer::authorization::parseTenant(QByteArray(reinterpret_cast<const char *>(data), qsizetype(size)));
    return 0;
}
