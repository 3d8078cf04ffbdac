// libFuzzer target: the tenant file loader.
#include "tenantfile.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    (void)organizer::authorization::parseTenant(QByteArray(reinterpret_cast<const char *>(data), qsizetype(size)));
    return 0;
}
