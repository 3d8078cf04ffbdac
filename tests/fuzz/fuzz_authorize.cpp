// libFuzzer target: the /authorize request checks on an arbitrary query string.
#include "authorizerequest.h"
#include "managementapi.h"
#include "tenantfile.h"

#include <cstdint>

using namespace organizer::authorization;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const Tenant tenant = loadTenant(defaultTenantPath(), organizer::management::ManagementApi::definition()).value();
    const organizer::FormData query = organizer::FormData::parse(QByteArrayView(reinterpret_cast<const char *>(data), qsizetype(size)));
    // Whatever was sent, what is written back decodes to the same value.
    if (organizer::FormData::parse(query.encode()).items() != query.items())
        __builtin_trap();
    auto parsed = parseAuthorizeRequest(query, tenant);
    if (parsed)
        (void)redirectWith(*parsed, {{QStringLiteral("state"), parsed->state}});
    return 0;
}
