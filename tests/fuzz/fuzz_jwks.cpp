// libFuzzer target: JWK Set parsing (a provider's /.well-known/jwks.json is untrusted input).
#include "jwk.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    auto set = organizer::jose::JwkSet::fromJson(QByteArray(reinterpret_cast<const char *>(data), qsizetype(size)));
    if (set)
        (void)set->toJson();
    return 0;
}
