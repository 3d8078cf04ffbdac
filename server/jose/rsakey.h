#pragma once

#include "joseerror.h"

#include <QByteArray>
#include <QString>

#include <memory>

typedef struct evp_pkey_st EVP_PKEY;

namespace organizer::jose {

// An RSA key (public, or a key pair) held by OpenSSL 3's EVP layer. Copies share one
// reference-counted EVP_PKEY, which is immutable once built.
class RsaKey
{
public:
    static constexpr int kMinimumBits = 2048;

    RsaKey() = default;

    static Result<RsaKey> generate(int bits = kMinimumBits);
    // PKCS#8 / traditional private PEM, or SubjectPublicKeyInfo public PEM.
    static Result<RsaKey> fromPem(const QByteArray &pem);

    struct Components
    {
        QByteArray n, e; // public (big-endian, unsigned)
        QByteArray d, p, q; // private; empty for a public key
        QByteArray dp, dq, qi; // optional CRT values
    };
    static Result<RsaKey> fromComponents(const Components &components);

    bool isNull() const { return !m_key; }
    bool hasPrivateKey() const { return m_hasPrivate; }
    int bits() const;
    QByteArray modulus() const;
    QByteArray publicExponent() const;

    QByteArray publicPem() const;
    Result<QByteArray> privatePem() const;
    RsaKey publicOnly() const;

    // RSASSA-PKCS1-v1_5 with SHA-256 (JWA RS256, RFC 7518 §3.3).
    Result<QByteArray> signSha256(QByteArrayView data) const;
    bool verifySha256(QByteArrayView data, QByteArrayView signature) const;

    // RFC 7638 JWK thumbprint (SHA-256, base64url): a stable key id derived from the key itself.
    QString thumbprint() const;

private:
    explicit RsaKey(EVP_PKEY *key, bool hasPrivate);
    std::shared_ptr<EVP_PKEY> m_key;
    bool m_hasPrivate = false;
};

} // namespace organizer::jose
