#include "rsakey.h"

#include "base64url.h"

#include <QCryptographicHash>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

namespace organizer::jose {

namespace {

template <typename T, void (*Free)(T *)>
struct Deleter
{
    void operator()(T *p) const { Free(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_clear_free>>;
using CtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;

QString opensslReason(const char *what)
{
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0)
        return QString::fromLatin1(what);
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    return QStringLiteral("%1 (%2)").arg(QString::fromLatin1(what), QString::fromLatin1(buffer));
}

BnPtr toBignum(const QByteArray &bigEndian)
{
    return BnPtr(BN_bin2bn(reinterpret_cast<const unsigned char *>(bigEndian.constData()), int(bigEndian.size()), nullptr));
}

QByteArray bignumParam(EVP_PKEY *key, const char *name)
{
    BIGNUM *raw = nullptr;
    if (!key || EVP_PKEY_get_bn_param(key, name, &raw) != 1)
        return {};
    BnPtr value(raw);
    QByteArray out(BN_num_bytes(value.get()), Qt::Uninitialized);
    BN_bn2bin(value.get(), reinterpret_cast<unsigned char *>(out.data()));
    return out;
}

QByteArray bioContents(BIO *bio)
{
    char *data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return QByteArray(data, size);
}

QByteArray withoutLeadingZeros(QByteArray value)
{
    qsizetype first = 0;
    while (first + 1 < value.size() && value.at(first) == '\0')
        ++first;
    return value.mid(first);
}

} // namespace

RsaKey::RsaKey(EVP_PKEY *key, bool hasPrivate) : m_key(key, EVP_PKEY_free), m_hasPrivate(hasPrivate) {}

Result<RsaKey> RsaKey::generate(int bits)
{
    if (bits < kMinimumBits)
        return fail(ErrorCode::KeyTooSmall, QStringLiteral("RSA keys must have at least %1 bits").arg(kMinimumBits));
    CtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), bits) != 1)
        return fail(ErrorCode::CryptoFailure, opensslReason("cannot prepare RSA key generation"));
    EVP_PKEY *key = nullptr;
    if (EVP_PKEY_generate(ctx.get(), &key) != 1)
        return fail(ErrorCode::CryptoFailure, opensslReason("RSA key generation failed"));
    return RsaKey(key, true);
}

Result<RsaKey> RsaKey::fromPem(const QByteArray &pem)
{
    const bool isPrivate = pem.contains("PRIVATE KEY");
    BioPtr bio(BIO_new_mem_buf(pem.constData(), int(pem.size())));
    if (!bio)
        return fail(ErrorCode::CryptoFailure, opensslReason("cannot allocate a memory BIO"));
    EVP_PKEY *key = isPrivate ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr);
    if (!key)
        return fail(ErrorCode::InvalidKey, opensslReason("the PEM data holds no readable key"));
    RsaKey result(key, isPrivate);
    if (EVP_PKEY_is_a(key, "RSA") != 1)
        return fail(ErrorCode::InvalidKey, QStringLiteral("the PEM key is not an RSA key"));
    if (result.bits() < kMinimumBits)
        return fail(ErrorCode::KeyTooSmall, QStringLiteral("the RSA key has %1 bits; at least %2 are required").arg(result.bits()).arg(kMinimumBits));
    return result;
}

Result<RsaKey> RsaKey::fromComponents(const Components &c)
{
    if (c.n.isEmpty() || c.e.isEmpty())
        return fail(ErrorCode::InvalidKey, QStringLiteral("an RSA key needs both n and e"));
    const bool isPrivate = !c.d.isEmpty();
    ParamBldPtr builder(OSSL_PARAM_BLD_new());
    BnPtr n = toBignum(c.n), e = toBignum(c.e);
    BnPtr d, p, q, dp, dq, qi;
    if (!builder || !n || !e)
        return fail(ErrorCode::CryptoFailure, opensslReason("cannot allocate RSA parameters"));
    bool ok = OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) && OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get());
    if (isPrivate) {
        d = toBignum(c.d);
        ok = ok && d && OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_D, d.get());
        if (!c.p.isEmpty() && !c.q.isEmpty()) {
            p = toBignum(c.p);
            q = toBignum(c.q);
            ok = ok && p && q && OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_FACTOR1, p.get())
                && OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_FACTOR2, q.get());
            if (!c.dp.isEmpty() && !c.dq.isEmpty() && !c.qi.isEmpty()) {
                dp = toBignum(c.dp);
                dq = toBignum(c.dq);
                qi = toBignum(c.qi);
                ok = ok && dp && dq && qi && OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_EXPONENT1, dp.get())
                    && OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_EXPONENT2, dq.get())
                    && OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qi.get());
            }
        }
    }
    if (!ok)
        return fail(ErrorCode::CryptoFailure, opensslReason("cannot build RSA parameters"));
    ParamPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
    CtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
    EVP_PKEY *key = nullptr;
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1
        || EVP_PKEY_fromdata(ctx.get(), &key, isPrivate ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
        return fail(ErrorCode::InvalidKey, opensslReason("the RSA parameters do not form a key"));
    RsaKey result(key, isPrivate);
    if (result.bits() < kMinimumBits)
        return fail(ErrorCode::KeyTooSmall, QStringLiteral("the RSA key has %1 bits; at least %2 are required").arg(result.bits()).arg(kMinimumBits));
    return result;
}

int RsaKey::bits() const
{
    return m_key ? EVP_PKEY_get_bits(m_key.get()) : 0;
}

QByteArray RsaKey::modulus() const
{
    return bignumParam(m_key.get(), OSSL_PKEY_PARAM_RSA_N);
}

QByteArray RsaKey::publicExponent() const
{
    return bignumParam(m_key.get(), OSSL_PKEY_PARAM_RSA_E);
}

QByteArray RsaKey::publicPem() const
{
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!m_key || !bio || PEM_write_bio_PUBKEY(bio.get(), m_key.get()) != 1)
        return {};
    return bioContents(bio.get());
}

Result<QByteArray> RsaKey::privatePem() const
{
    if (!m_hasPrivate)
        return fail(ErrorCode::InvalidKey, QStringLiteral("this is a public key; there is no private part to write"));
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), m_key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
        return fail(ErrorCode::CryptoFailure, opensslReason("cannot encode the private key as PEM"));
    return bioContents(bio.get());
}

RsaKey RsaKey::publicOnly() const
{
    if (!m_hasPrivate)
        return *this;
    Components components;
    components.n = modulus();
    components.e = publicExponent();
    auto key = fromComponents(components);
    return key ? key.value() : RsaKey();
}

Result<QByteArray> RsaKey::signSha256(QByteArrayView data) const
{
    if (!m_hasPrivate)
        return fail(ErrorCode::InvalidKey, QStringLiteral("signing needs a private key"));
    MdCtxPtr ctx(EVP_MD_CTX_new());
    size_t length = 0;
    if (!ctx || EVP_DigestSignInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, m_key.get(), nullptr) != 1
        || EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char *>(data.data()), size_t(data.size())) != 1)
        return fail(ErrorCode::CryptoFailure, opensslReason("cannot start an RS256 signature"));
    QByteArray signature(qsizetype(length), Qt::Uninitialized);
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char *>(signature.data()), &length, reinterpret_cast<const unsigned char *>(data.data()),
                       size_t(data.size()))
        != 1)
        return fail(ErrorCode::CryptoFailure, opensslReason("RS256 signing failed"));
    signature.resize(qsizetype(length));
    return signature;
}

bool RsaKey::verifySha256(QByteArrayView data, QByteArrayView signature) const
{
    if (!m_key || signature.size() != (bits() + 7) / 8)
        return false;
    MdCtxPtr ctx(EVP_MD_CTX_new());
    const bool ok = ctx && EVP_DigestVerifyInit_ex(ctx.get(), nullptr, "SHA256", nullptr, nullptr, m_key.get(), nullptr) == 1
        && EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char *>(signature.data()), size_t(signature.size()),
                            reinterpret_cast<const unsigned char *>(data.data()), size_t(data.size()))
            == 1;
    ERR_clear_error();
    return ok;
}

QString RsaKey::thumbprint() const
{
    // RFC 7638 §3.2: required members only, lexicographic order, no whitespace.
    const QByteArray canonical = "{\"e\":\"" + base64UrlEncode(withoutLeadingZeros(publicExponent())) + "\",\"kty\":\"RSA\",\"n\":\""
        + base64UrlEncode(withoutLeadingZeros(modulus())) + "\"}";
    return QString::fromLatin1(base64UrlEncode(QCryptographicHash::hash(canonical, QCryptographicHash::Sha256)));
}

} // namespace organizer::jose
