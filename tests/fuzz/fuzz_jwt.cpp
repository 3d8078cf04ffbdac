// libFuzzer target: JWS parsing and JWT verification of arbitrary bytes.
#include "jws.h"
#include "jwtverifier.h"

#include <cstdint>

using namespace organizer::jose;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const JwkSet keys = [] {
        const RsaKey key = RsaKey::generate(2048).value();
        return JwkSet({Jwk::forSigningKey(key, QStringLiteral("k1"))});
    }();
    static const JwtVerifier verifier({QStringLiteral("http://127.0.0.1:3001/"), QStringLiteral("organize"), 30}, [] { return qint64(1'800'000'000); });
    const QByteArrayView input(reinterpret_cast<const char *>(data), qsizetype(size));
    (void)parseCompactJws(input);
    (void)verifier.verify(input, keys);
    return 0;
}
