// libFuzzer target: the app's handling of a redirect URL (fragment or query) from the login page.
#include "redirectvalidation.h"

#include <cstdint>

using namespace organizer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const jose::JwkSet keys({jose::Jwk::forSigningKey(jose::RsaKey::generate(2048).value(), QStringLiteral("k1"))});
    const QUrl url(QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size)));
    const app::ExpectedLogin expected{QStringLiteral("http://127.0.0.1:3001/"),
                                      QStringLiteral("organizer-desktop"),
                                      QStringLiteral("s"),
                                      QStringLiteral("n"),
                                      {QStringLiteral("openid")},
                                      {}};
    (void)app::validateTokenResponse(app::redirectParameters(url), expected, keys, true, true, [] { return qint64(1'800'000'000); });
    return 0;
}
