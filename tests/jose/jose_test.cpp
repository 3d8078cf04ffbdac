#include "base64url.h"
#include "jwk.h"
#include "jws.h"
#include "jwtverifier.h"
#include "keyencryption.h"
#include "signingkeystore.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <sys/stat.h>

using namespace organizer::jose;

namespace {

// RFC 7515 Appendix A.2 (RS256) — the key and the example JWS, verbatim from the RFC.
const QByteArray kA2N
    = "ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHmfHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_"
      "YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7OMg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwKh9kG4LT6_"
      "I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ";
const QByteArray kA2D = "Eq5xpGnNCivDflJsRQBXHx1hdR1k6Ulwe2JZD50LpXyWPEAeP88vLNO97IjlA7_GQ5sLKMgvfTeXZx9SE-7YwVol2NXOoAJe46sui395IW_GO-pWJ1O0BkTGoVEn2bKVRUCgu-"
                        "GjBVaYLU6f3l9kJfFNS3E0QbVdxzubSu3Mkqzjkn439X0M_V51gfpRLI9JYanrC4D4qAdGcopV_"
                        "0ZHHzQlBjudU2QvXt4ehNYTCBr6XCLQUShb1juUO1ZdiYoFaFQT5Tw8bGUl_x_jTj3ccPDVZFD9pIuhLhBOneufuBiB4cS98l2SR_RQyGWSeWjnczT0QU91p1DhOVRuOopznQ";
const QByteArray kA2P = "4BzEEOtIpmVdVEZNCqS7baC4crd0pqnRH_5IB3jw3bcxGn6QLvnEtfdUdiYrqBdss1l58BQ3KhooKeQTa9AB0Hw_"
                        "Py5PJdTJNPY8cQn7ouZ2KKDcmnPGBY5t7yLc1QlQ5xHdwW1VhvKn-nXqhJTBgIPgtldC-KDV5z-y2XDwGUc";
const QByteArray kA2Q = "uQPEfgmVtjL0Uyyx88GZFF1fOunH3-7cepKmtH4pxhtCoHqpWmT8YAmZxaewHgHAjLYsp1ZSe7zFYHj7C6ul7TjeLQeZD_YwD66t62wDmpe_HlB-TnBA-"
                        "njbglfIsRLtXlnDzQkv5dTltRJ11BKBBypeeF6689rjcJIDEz9RWdc";
const QByteArray kA2SigningInput = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
const QByteArray kA2Signature
    = "cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_"
      "nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-"
      "eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

// RFC 7517 Appendix A.1 (public keys) with the A.3 symmetric keys appended.
const QByteArray kRfc7517Keys = R"({"keys":[
  {"kty":"EC","crv":"P-256","x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM","use":"enc","kid":"1"},
  {"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"},
  {"kty":"oct","alg":"A128KW","k":"GawgguFyGrWKav7AX4VKUg"},
  {"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow","kid":"HMAC key used in JWS A.1 example"}
]})";

QByteArray decoded(const QByteArray &text)
{
    return base64UrlDecode(text).value_or(QByteArray());
}

QByteArray compact(const QJsonObject &header, const QJsonObject &claims, const QByteArray &signature)
{
    return base64UrlEncode(QJsonDocument(header).toJson(QJsonDocument::Compact)) + '.' + base64UrlEncode(QJsonDocument(claims).toJson(QJsonDocument::Compact))
        + '.' + base64UrlEncode(signature);
}

} // namespace

TEST(Base64Url, RoundTripsWithoutPadding)
{
    EXPECT_EQ(base64UrlEncode(QByteArray("\xfb\xff\xfe", 3)), "-__-");
    EXPECT_EQ(base64UrlEncode("ab"), "YWI");
    EXPECT_EQ(base64UrlDecode("YWI"), QByteArray("ab"));
    EXPECT_EQ(base64UrlDecode(""), QByteArray());
}

TEST(Base64Url, RejectsPaddingForeignAlphabetAndNonCanonicalBits)
{
    EXPECT_FALSE(base64UrlDecode("YWI=")); // padding
    EXPECT_FALSE(base64UrlDecode("+/8")); // standard alphabet
    EXPECT_FALSE(base64UrlDecode("YW I")); // whitespace
    EXPECT_FALSE(base64UrlDecode("Y")); // impossible length
    EXPECT_FALSE(base64UrlDecode("YWJ")); // same bytes as "YWI" with stray low bits
}

TEST(Rfc7515, AppendixA2SignatureVerifiesWithThePublicKey)
{
    auto jwk = Jwk::fromJson(QJsonObject{
        {QStringLiteral("kty"), QStringLiteral("RSA")}, {QStringLiteral("n"), QString::fromLatin1(kA2N)}, {QStringLiteral("e"), QStringLiteral("AQAB")}});
    ASSERT_TRUE(jwk) << jwk.error().description.toStdString();
    auto jws = parseCompactJws(kA2SigningInput + '.' + kA2Signature);
    ASSERT_TRUE(jws);
    EXPECT_EQ(jws->header.value(QLatin1String("alg")).toString(), QStringLiteral("RS256"));
    EXPECT_TRUE(jwk->key.verifySha256(jws->signingInput, jws->signature));
    EXPECT_EQ(QJsonDocument::fromJson(jws->payload).object().value(QLatin1String("iss")).toString(), QStringLiteral("joe"));
}

TEST(Rfc7515, AppendixA2PrivateKeyReproducesTheSignatureExactly)
{
    RsaKey::Components components;
    components.n = decoded(kA2N);
    components.e = decoded("AQAB");
    components.d = decoded(kA2D);
    components.p = decoded(kA2P);
    components.q = decoded(kA2Q);
    auto key = RsaKey::fromComponents(components);
    ASSERT_TRUE(key) << key.error().description.toStdString();
    auto signature = key->signSha256(kA2SigningInput);
    ASSERT_TRUE(signature);
    EXPECT_EQ(base64UrlEncode(*signature), kA2Signature); // PKCS#1 v1.5 is deterministic
}

TEST(Rfc7517, AppendixAKeySetParsesKeepingTheRsaSigningKey)
{
    auto set = JwkSet::fromJson(kRfc7517Keys);
    ASSERT_TRUE(set) << set.error().description.toStdString();
    ASSERT_EQ(set->keys().size(), 1);
    const Jwk *rsa = set->find(QStringLiteral("2011-04-29"));
    ASSERT_NE(rsa, nullptr);
    EXPECT_EQ(rsa->alg, QStringLiteral("RS256"));
    EXPECT_EQ(rsa->key.bits(), 2048);
    EXPECT_EQ(base64UrlEncode(rsa->key.publicExponent()), "AQAB");
    // The EC encryption key and both symmetric keys are reported, not silently dropped.
    ASSERT_EQ(set->skipped().size(), 3);
    EXPECT_TRUE(set->skipped().at(0).contains(QLatin1String("EC")));
    EXPECT_TRUE(set->skipped().at(1).contains(QLatin1String("oct")));
}

TEST(Rfc7638, ThumbprintOfTheRfcExampleKey)
{
    auto set = JwkSet::fromJson(kRfc7517Keys);
    ASSERT_TRUE(set);
    EXPECT_EQ(set->keys().first().key.thumbprint(), QStringLiteral("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"));
}

TEST(JwkSet, PublishesOnlyPublicMembersAndRoundTrips)
{
    auto key = RsaKey::generate(2048);
    ASSERT_TRUE(key);
    const JwkSet set({Jwk::forSigningKey(*key, key->thumbprint())});
    const QByteArray json = set.toJson();
    const QJsonObject published = QJsonDocument::fromJson(json).object().value(QLatin1String("keys")).toArray().first().toObject();
    EXPECT_EQ(
        QStringList(published.keys()),
        (QStringList{QStringLiteral("alg"), QStringLiteral("e"), QStringLiteral("kid"), QStringLiteral("kty"), QStringLiteral("n"), QStringLiteral("use")}));
    auto parsed = JwkSet::fromJson(json);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->keys().first().key.modulus(), key->modulus());
    EXPECT_FALSE(parsed->keys().first().key.hasPrivateKey());
}

TEST(JwkSet, RejectsDocumentsThatAreNotKeySets)
{
    EXPECT_FALSE(JwkSet::fromJson("not json"));
    EXPECT_FALSE(JwkSet::fromJson("{\"keys\":{}}"));
    auto set = JwkSet::fromJson(R"({"keys":[{"kty":"RSA","n":"!!","e":"AQAB"},{"kty":"RSA","e":"AQAB"}]})");
    ASSERT_TRUE(set);
    EXPECT_TRUE(set->isEmpty());
    EXPECT_EQ(set->skipped().size(), 2);
}

TEST(RsaKey, RefusesKeysBelow2048Bits)
{
    auto small = RsaKey::generate(1024);
    ASSERT_FALSE(small);
    EXPECT_EQ(small.error().code, ErrorCode::KeyTooSmall);
}

TEST(RsaKey, PemRoundTripKeepsTheKey)
{
    auto key = RsaKey::generate(2048);
    ASSERT_TRUE(key);
    auto pem = key->privatePem();
    ASSERT_TRUE(pem);
    auto reloaded = RsaKey::fromPem(*pem);
    ASSERT_TRUE(reloaded);
    EXPECT_TRUE(reloaded->hasPrivateKey());
    EXPECT_EQ(reloaded->thumbprint(), key->thumbprint());
    auto publicKey = RsaKey::fromPem(key->publicPem());
    ASSERT_TRUE(publicKey);
    EXPECT_FALSE(publicKey->hasPrivateKey());
    EXPECT_FALSE(RsaKey::fromPem("-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n"));
}

// ---------------------------------------------------------------------------------------------
// The verifier, with an injected clock so every expiry case is deterministic.

class JwtVerifierTest : public ::testing::Test
{
protected:
    static constexpr qint64 kNow = 1'800'000'000;
    static inline const QString kIssuer = QStringLiteral("http://127.0.0.1:3001/");

    static void SetUpTestSuite()
    {
        s_key = new RsaKey(RsaKey::generate(2048).value());
        s_otherKey = new RsaKey(RsaKey::generate(2048).value());
    }
    static void TearDownTestSuite()
    {
        delete s_key;
        delete s_otherKey;
    }

    JwtVerifier verifier(qint64 leeway = 30) const
    {
        return JwtVerifier({kIssuer, QStringLiteral("organize"), leeway}, [] { return kNow; });
    }
    static JwkSet keys() { return JwkSet({Jwk::forSigningKey(*s_key, QStringLiteral("k1"))}); }

    static QJsonObject claims()
    {
        return QJsonObject{{QStringLiteral("iss"), kIssuer},
                           {QStringLiteral("sub"), QStringLiteral("auth0|alice")},
                           {QStringLiteral("aud"), QStringLiteral("organize")},
                           {QStringLiteral("iat"), kNow - 10},
                           {QStringLiteral("exp"), kNow + 3600},
                           {QStringLiteral("scope"), QStringLiteral("read:contacts read:calendar")}};
    }
    static QByteArray sign(const QJsonObject &claimSet, QJsonObject header = {{QStringLiteral("typ"), QStringLiteral("JWT")}}, const RsaKey *key = nullptr,
                           const QString &kid = QStringLiteral("k1"))
    {
        return signCompactJws(header, QJsonDocument(claimSet).toJson(QJsonDocument::Compact), key ? *key : *s_key, kid).value();
    }
    static QJsonObject with(QJsonObject object, const QString &name, const QJsonValue &value)
    {
        if (value.isUndefined())
            object.remove(name);
        else
            object.insert(name, value);
        return object;
    }
    ErrorCode rejection(const QByteArray &token, const JwkSet &set = keys()) const
    {
        auto result = verifier().verify(token, set);
        EXPECT_FALSE(result) << "the token was accepted";
        return result ? ErrorCode::CryptoFailure : result.error().code;
    }

    static inline RsaKey *s_key = nullptr;
    static inline RsaKey *s_otherKey = nullptr;
};

TEST_F(JwtVerifierTest, VerifiesUnexpired)
{
    auto result = verifier().verify(sign(claims()), keys());
    ASSERT_TRUE(result) << result.error().description.toStdString();
    EXPECT_EQ(result->subject(), QStringLiteral("auth0|alice"));
    EXPECT_EQ(result->keyId, QStringLiteral("k1"));
    EXPECT_EQ(result->expiresAt, kNow + 3600);
    EXPECT_EQ(result->scopes(), (QStringList{QStringLiteral("read:contacts"), QStringLiteral("read:calendar")}));
}

TEST_F(JwtVerifierTest, RejectsExpired)
{
    auto result = verifier().verify(sign(with(claims(), QStringLiteral("exp"), kNow - 31)), keys());
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, ErrorCode::Expired);
    EXPECT_TRUE(result.error().description.contains(QLatin1String("expired at")));
}

TEST_F(JwtVerifierTest, HonoursLeewayOnExpiry)
{
    EXPECT_TRUE(verifier().verify(sign(with(claims(), QStringLiteral("exp"), kNow - 29)), keys()));
    EXPECT_FALSE(verifier(0).verify(sign(with(claims(), QStringLiteral("exp"), kNow)), keys()));
}

TEST_F(JwtVerifierTest, RejectsFutureNotBeforeAndAcceptsItWithinLeeway)
{
    EXPECT_EQ(rejection(sign(with(claims(), QStringLiteral("nbf"), kNow + 120))), ErrorCode::NotYetValid);
    EXPECT_TRUE(verifier().verify(sign(with(claims(), QStringLiteral("nbf"), kNow + 20)), keys()));
}

TEST_F(JwtVerifierTest, RejectsAlgNone)
{
    const QByteArray token = compact({{QStringLiteral("alg"), QStringLiteral("none")}, {QStringLiteral("typ"), QStringLiteral("JWT")}}, claims(), {});
    EXPECT_EQ(rejection(token), ErrorCode::UnsupportedAlgorithm);
}

TEST_F(JwtVerifierTest, RejectsHs256KeyedWithThePublicKey)
{
    // The classic confusion attack: HMAC with the RSA public key (PEM) as the shared secret.
    const QJsonObject header{
        {QStringLiteral("alg"), QStringLiteral("HS256")}, {QStringLiteral("typ"), QStringLiteral("JWT")}, {QStringLiteral("kid"), QStringLiteral("k1")}};
    const QByteArray input
        = base64UrlEncode(QJsonDocument(header).toJson(QJsonDocument::Compact)) + '.' + base64UrlEncode(QJsonDocument(claims()).toJson(QJsonDocument::Compact));
    const QByteArray mac = QMessageAuthenticationCode::hash(input, s_key->publicPem(), QCryptographicHash::Sha256);
    EXPECT_EQ(rejection(input + '.' + base64UrlEncode(mac)), ErrorCode::UnsupportedAlgorithm);
}

TEST_F(JwtVerifierTest, RejectsOtherAsymmetricAlgorithms)
{
    for (const char *alg : {"RS512", "PS256", "ES256", "rs256"}) {
        const QByteArray token = compact({{QStringLiteral("alg"), QLatin1String(alg)}, {QStringLiteral("kid"), QStringLiteral("k1")}}, claims(), "sig");
        EXPECT_EQ(rejection(token), ErrorCode::UnsupportedAlgorithm) << alg;
    }
}

TEST_F(JwtVerifierTest, RejectsUnknownKid)
{
    EXPECT_EQ(rejection(sign(claims(), {{QStringLiteral("typ"), QStringLiteral("JWT")}}, s_key, QStringLiteral("other"))), ErrorCode::UnknownKeyId);
}

TEST_F(JwtVerifierTest, RejectsSignatureFromAnotherKeyUnderAKnownKid)
{
    EXPECT_EQ(rejection(sign(claims(), {{QStringLiteral("typ"), QStringLiteral("JWT")}}, s_otherKey)), ErrorCode::BadSignature);
}

TEST_F(JwtVerifierTest, RejectsEachTamperedPart)
{
    const QByteArray token = sign(claims());
    const QList<QByteArray> parts = token.split('.');
    const QByteArray forgedClaims
        = base64UrlEncode(QJsonDocument(with(claims(), QStringLiteral("scope"), QStringLiteral("delete:contacts"))).toJson(QJsonDocument::Compact));
    const QByteArray forgedHeader = base64UrlEncode(R"({"typ":"at+jwt","alg":"RS256","kid":"k1"})");
    QByteArray signature = decoded(parts[2]);
    signature[10] = char(signature[10] ^ 0x01);
    EXPECT_EQ(rejection(parts[0] + '.' + forgedClaims + '.' + parts[2]), ErrorCode::BadSignature);
    EXPECT_EQ(rejection(forgedHeader + '.' + parts[1] + '.' + parts[2]), ErrorCode::BadSignature);
    EXPECT_EQ(rejection(parts[0] + '.' + parts[1] + '.' + base64UrlEncode(signature)), ErrorCode::BadSignature);
    EXPECT_EQ(rejection(parts[0] + '.' + parts[1] + '.' + parts[2].chopped(1)), ErrorCode::MalformedToken);
}

TEST_F(JwtVerifierTest, RejectsWrongIssuer)
{
    EXPECT_EQ(rejection(sign(with(claims(), QStringLiteral("iss"), QStringLiteral("https://evil.example/")))), ErrorCode::IssuerMismatch);
    // Auth0 issuers end with '/': without it the issuer is a different string.
    EXPECT_EQ(rejection(sign(with(claims(), QStringLiteral("iss"), QStringLiteral("http://127.0.0.1:3001")))), ErrorCode::IssuerMismatch);
    EXPECT_EQ(rejection(sign(with(claims(), QStringLiteral("iss"), QJsonValue::Undefined))), ErrorCode::MissingClaim);
}

TEST_F(JwtVerifierTest, AcceptsAudienceAsStringOrArrayMember)
{
    const QJsonArray both{QStringLiteral("organize"), kIssuer + QStringLiteral("userinfo")};
    EXPECT_TRUE(verifier().verify(sign(with(claims(), QStringLiteral("aud"), both)), keys()));
}

TEST_F(JwtVerifierTest, RejectsWrongAudience)
{
    EXPECT_EQ(rejection(sign(with(claims(), QStringLiteral("aud"), QStringLiteral("https://other.api")))), ErrorCode::AudienceMismatch);
    EXPECT_EQ(rejection(sign(with(claims(), QStringLiteral("aud"), QJsonArray{QStringLiteral("organizer"), QStringLiteral("organ")}))),
              ErrorCode::AudienceMismatch);
    EXPECT_EQ(rejection(sign(with(claims(), QStringLiteral("aud"), QJsonValue::Undefined))), ErrorCode::MissingClaim);
    EXPECT_EQ(rejection(sign(with(claims(), QStringLiteral("aud"), 42))), ErrorCode::InvalidClaim);
}

TEST_F(JwtVerifierTest, ASetOfAudiencesAcceptsAnyOneOfThem)
{
    JwtPolicy policy{kIssuer, QString(), 30};
    policy.audiences = {QStringLiteral("organize"), QStringLiteral("https://calendar.api")};
    const JwtVerifier verifier(policy, [] { return kNow; });
    EXPECT_TRUE(verifier.verify(sign(with(claims(), QStringLiteral("aud"), QStringLiteral("https://calendar.api"))), keys()));
    EXPECT_TRUE(verifier.verify(sign(with(claims(), QStringLiteral("aud"), QJsonArray{QStringLiteral("x"), QStringLiteral("organize")})), keys()));
    auto other = verifier.verify(sign(with(claims(), QStringLiteral("aud"), QStringLiteral("https://other.api"))), keys());
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().code, ErrorCode::AudienceMismatch);
    EXPECT_TRUE(other.error().description.contains(QLatin1String("https://calendar.api"))) << other.error().description.toStdString();
}

TEST_F(JwtVerifierTest, IssuedHereTakesAnyAudienceButStillTheIssuerAndTheSignature)
{
    // For tokens that come back to the issuer that signed them (revocation, logout hints): only the
    // signature and the issuer decide, never an audience read from the token's own unverified payload.
    const JwtVerifier verifier(JwtPolicy::issuedHere(kIssuer, 30), [] { return kNow; });
    EXPECT_TRUE(verifier.verify(sign(with(claims(), QStringLiteral("aud"), QStringLiteral("https://any.api"))), keys()));
    EXPECT_TRUE(verifier.verify(sign(with(claims(), QStringLiteral("aud"), QJsonArray{QStringLiteral("client-a"), QStringLiteral("client-b")})), keys()));
    const auto code = [&verifier](const QByteArray &token, const JwkSet &set = keys()) {
        auto result = verifier.verify(token, set);
        EXPECT_FALSE(result) << "the token was accepted";
        return result ? ErrorCode::CryptoFailure : result.error().code;
    };
    EXPECT_EQ(code(sign(with(claims(), QStringLiteral("iss"), QStringLiteral("https://evil.example/")))), ErrorCode::IssuerMismatch);
    EXPECT_EQ(code(sign(claims(), {{QStringLiteral("typ"), QStringLiteral("JWT")}}, s_otherKey)), ErrorCode::BadSignature);
    EXPECT_EQ(code(sign(with(claims(), QStringLiteral("aud"), QJsonValue::Undefined))), ErrorCode::MissingClaim);
    EXPECT_EQ(code(sign(with(claims(), QStringLiteral("aud"), QJsonArray()))), ErrorCode::AudienceMismatch) << "an empty aud names no audience";
    EXPECT_EQ(code(sign(with(claims(), QStringLiteral("aud"), QJsonArray{42}))), ErrorCode::InvalidClaim);
    EXPECT_EQ(code(sign(with(claims(), QStringLiteral("exp"), kNow - 31))), ErrorCode::Expired);
}

TEST_F(JwtVerifierTest, RejectsMissingOrNonNumericExp)
{
    EXPECT_EQ(rejection(sign(with(claims(), QStringLiteral("exp"), QJsonValue::Undefined))), ErrorCode::MissingClaim);
    EXPECT_EQ(rejection(sign(with(claims(), QStringLiteral("exp"), QStringLiteral("tomorrow")))), ErrorCode::InvalidClaim);
}

TEST_F(JwtVerifierTest, RejectsUnknownCriticalHeader)
{
    QJsonObject header{
        {QStringLiteral("typ"), QStringLiteral("JWT")}, {QStringLiteral("crit"), QJsonArray{QStringLiteral("exp")}}, {QStringLiteral("exp"), kNow}};
    EXPECT_EQ(rejection(sign(claims(), header)), ErrorCode::UnsupportedCritical);
}

TEST_F(JwtVerifierTest, RejectsNonStringKid)
{
    const QJsonObject header{{QStringLiteral("alg"), QStringLiteral("RS256")}, {QStringLiteral("kid"), 7}};
    const QByteArray input
        = base64UrlEncode(QJsonDocument(header).toJson(QJsonDocument::Compact)) + '.' + base64UrlEncode(QJsonDocument(claims()).toJson(QJsonDocument::Compact));
    EXPECT_EQ(rejection(input + '.' + base64UrlEncode(s_key->signSha256(input).value())), ErrorCode::MalformedToken);
}

TEST_F(JwtVerifierTest, Rejects64KilobytesOfGarbage)
{
    EXPECT_EQ(rejection(QByteArray(64 * 1024, 'A')), ErrorCode::TokenTooLarge);
    EXPECT_EQ(rejection("garbage"), ErrorCode::MalformedToken);
    EXPECT_EQ(rejection("a.b.c.d"), ErrorCode::MalformedToken);
    EXPECT_EQ(rejection(base64UrlEncode("[]") + ".e30.AA"), ErrorCode::MalformedToken);
}

TEST_F(JwtVerifierTest, AcceptsJwtAndAtJwtTypesOnly)
{
    EXPECT_TRUE(verifier().verify(sign(claims(), {{QStringLiteral("typ"), QStringLiteral("at+jwt")}}), keys()));
    EXPECT_TRUE(verifier().verify(sign(claims(), {{QStringLiteral("typ"), QStringLiteral("application/at+JWT")}}), keys()));
    EXPECT_TRUE(verifier().verify(sign(claims(), QJsonObject{}), keys())); // typ is optional (RFC 7519 §5.1)
    EXPECT_EQ(rejection(sign(claims(), {{QStringLiteral("typ"), QStringLiteral("dpop+jwt")}})), ErrorCode::UnsupportedType);
}

TEST_F(JwtVerifierTest, KidlessTokenIsTriedWithEveryPublishedKeyUpToABound)
{
    // RFC 7515 §4.1.4: kid is optional, so each published key is a candidate.
    const QByteArray token = sign(claims(), {{QStringLiteral("typ"), QStringLiteral("JWT")}}, s_key, QString());
    EXPECT_TRUE(verifier().verify(token, keys()));
    const JwkSet two({Jwk::forSigningKey(*s_otherKey, QStringLiteral("k2")), Jwk::forSigningKey(*s_key, QStringLiteral("k1"))});
    auto verified = verifier().verify(token, two);
    ASSERT_TRUE(verified) << verified.error().description.toStdString();
    EXPECT_EQ(verified->keyId, QStringLiteral("k1")); // the key that verified, not the first one
    // Signed by a key the issuer does not publish: no candidate verifies.
    const QByteArray foreign = sign(claims(), {{QStringLiteral("typ"), QStringLiteral("JWT")}}, s_otherKey, QString());
    EXPECT_EQ(rejection(foreign, JwkSet({Jwk::forSigningKey(*s_key, QStringLiteral("k1"))})), ErrorCode::BadSignature);
    // More candidates than the bound: refused without trying them.
    QList<Jwk> many;
    for (int i = 0; i < JwtVerifier::kMaxKidlessCandidates; ++i)
        many.append(Jwk::forSigningKey(*s_otherKey, QStringLiteral("o%1").arg(i)));
    many.append(Jwk::forSigningKey(*s_key, QStringLiteral("k1")));
    EXPECT_EQ(rejection(token, JwkSet(many)), ErrorCode::AmbiguousKey);
    many.removeFirst();
    EXPECT_TRUE(verifier().verify(token, JwkSet(many)));
}

TEST_F(JwtVerifierTest, PicksTheKeyByKidAmongSeveral)
{
    const JwkSet two({Jwk::forSigningKey(*s_otherKey, QStringLiteral("k2")), Jwk::forSigningKey(*s_key, QStringLiteral("k1"))});
    EXPECT_TRUE(verifier().verify(sign(claims()), two));
}

TEST_F(JwtVerifierTest, ScopesMatchTokenByTokenNeverBySubstring)
{
    auto result = verifier().verify(sign(with(claims(), QStringLiteral("scope"), QStringLiteral("read:contacts:all xread:calendar openid"))), keys());
    ASSERT_TRUE(result);
    EXPECT_FALSE(result->hasScope(u"read:contacts"));
    EXPECT_FALSE(result->hasScope(u"read:calendar"));
    EXPECT_TRUE(result->hasScope(u"openid"));
    EXPECT_EQ(rejection(sign(with(claims(), QStringLiteral("scope"), QJsonArray{QStringLiteral("read:contacts")}))), ErrorCode::InvalidClaim);
}

// ---------------------------------------------------------------------------------------------

TEST(SigningKeyStore, CreatesAnOwnerOnlyKeyOnFirstOpenAndReloadsIt)
{
    QTemporaryDir dir;
    const QString keysDir = QDir(dir.path()).filePath(QStringLiteral("keys"));
    auto store = SigningKeyStore::open(keysDir);
    ASSERT_TRUE(store) << store.error().description.toStdString();
    ASSERT_EQ(store->keys().size(), 1);
    EXPECT_GE(store->activeKey().key.bits(), 2048);
    EXPECT_EQ(store->activeKey().kid, store->activeKey().key.thumbprint());

    struct stat info = {};
    ASSERT_EQ(::stat(QFile::encodeName(keysDir).constData(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0700u);
    const QStringList files = QDir(keysDir).entryList(QDir::Files);
    ASSERT_EQ(files.size(), 1);
    ASSERT_EQ(::stat(QFile::encodeName(QDir(keysDir).filePath(files.first())).constData(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);

    auto reopened = SigningKeyStore::open(keysDir);
    ASSERT_TRUE(reopened);
    EXPECT_EQ(reopened->activeKey().kid, store->activeKey().kid);
}

TEST(SigningKeyStore, RotationKeepsThePreviousKeyPublished)
{
    QTemporaryDir dir;
    auto store = SigningKeyStore::open(dir.path());
    ASSERT_TRUE(store);
    const QString first = store->activeKey().kid;
    auto rotated = store->rotate();
    ASSERT_TRUE(rotated);
    EXPECT_NE(store->activeKey().kid, first);
    const JwkSet published = store->publicKeys();
    EXPECT_EQ(published.keys().size(), 2);
    EXPECT_NE(published.find(first), nullptr);
    auto reopened = SigningKeyStore::open(dir.path());
    ASSERT_TRUE(reopened);
    EXPECT_EQ(reopened->activeKey().kid, rotated->kid);
}

TEST(SigningKeyStore, RefusesAKeyFileOthersCanRead)
{
    QTemporaryDir dir;
    ASSERT_TRUE(SigningKeyStore::open(dir.path()));
    const QString file = QDir(dir.path()).filePath(QDir(dir.path()).entryList(QDir::Files).first());
    ASSERT_EQ(::chmod(QFile::encodeName(file).constData(), 0644), 0);
    auto reopened = SigningKeyStore::open(dir.path());
    ASSERT_FALSE(reopened);
    EXPECT_EQ(reopened.error().code, ErrorCode::StorageFailure);
    EXPECT_TRUE(reopened.error().description.contains(QLatin1String("chmod 600")));
}

TEST(SigningKeyStore, PruneRetiresOnlyKeysWhoseTokensHaveExpired)
{
    QTemporaryDir dir;
    auto store = SigningKeyStore::open(dir.path());
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->rotate());
    ASSERT_TRUE(store->rotate());
    ASSERT_EQ(store->keys().size(), 3);
    const qint64 secondCreated = store->keys().at(1).createdAt;
    const qint64 thirdCreated = store->keys().at(2).createdAt;
    const QString active = store->activeKey().kid;

    // The first key stopped signing when the second was made: kept while its tokens may live.
    EXPECT_EQ(store->prune(secondCreated + 100, 100).value(), 0);
    EXPECT_EQ(store->prune(secondCreated + 101, 100).value(), 1);
    EXPECT_EQ(store->keys().size(), 2);
    // Long after everything, the active key still stays.
    EXPECT_EQ(store->prune(thirdCreated + 10'000, 100).value(), 1);
    ASSERT_EQ(store->keys().size(), 1);
    EXPECT_EQ(store->activeKey().kid, active);
    EXPECT_EQ(QDir(dir.path()).entryList(QDir::Files).size(), 1);
}

// ---------------------------------------------------------------------------------------------
// AES-256-GCM and the key-encryption key that seals the signing keys in the database.

namespace {

QByteArray hex(const char *text)
{
    return QByteArray::fromHex(text);
}

} // namespace

TEST(Aes256Gcm, MatchesTheGcmSpecificationsTestVectors)
{
    // McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test cases 13, 14 and 16 (AES-256,
    // 96-bit IV), the vectors NIST's GCM validation uses.
    struct Vector
    {
        QByteArray key, nonce, plaintext, aad, ciphertext, tag;
    };
    const QByteArray zeroKey(32, '\0');
    const QByteArray zeroNonce(12, '\0');
    const Vector vectors[] = {
        {zeroKey, zeroNonce, {}, {}, {}, hex("530f8afbc74536b9a963b4f1c4cb738b")},
        {zeroKey, zeroNonce, QByteArray(16, '\0'), {}, hex("cea7403d4d606b6e074ec5d3baf39d18"), hex("d0d1c8a799996bf0265b98b5d48ab919")},
        {hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"), hex("cafebabefacedbaddecaf888"),
         hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"),
         hex("feedfacedeadbeeffeedfacedeadbeefabaddad2"),
         hex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"),
         hex("76fc6ece0f4e1768cddf8853bb2d551b")},
    };
    for (const Vector &v : vectors) {
        auto sealed = aes256GcmEncrypt(v.key, v.nonce, v.aad, v.plaintext);
        ASSERT_TRUE(sealed) << sealed.error().description.toStdString();
        EXPECT_EQ(sealed->toHex(), (v.ciphertext + v.tag).toHex());
        auto opened = aes256GcmDecrypt(v.key, v.nonce, v.aad, v.ciphertext + v.tag);
        ASSERT_TRUE(opened) << opened.error().description.toStdString();
        EXPECT_EQ(opened.value(), v.plaintext);
        QByteArray badTag = v.ciphertext + v.tag;
        badTag[badTag.size() - 1] = char(badTag.at(badTag.size() - 1) ^ 1);
        auto refused = aes256GcmDecrypt(v.key, v.nonce, v.aad, badTag);
        ASSERT_FALSE(refused);
        EXPECT_EQ(refused.error().code, ErrorCode::DecryptionFailed);
    }
    EXPECT_FALSE(aes256GcmEncrypt(QByteArray(16, 'k'), zeroNonce, {}, "x")) << "AES-128 keys are refused, not silently used";
    EXPECT_FALSE(aes256GcmEncrypt(zeroKey, QByteArray(16, 'n'), {}, "x")) << "only 96-bit nonces";
}

TEST(KeyEncryptionKey, SealsAndOpensWithAFreshNonceEachTime)
{
    auto kek = KeyEncryptionKey::generate();
    ASSERT_TRUE(kek);
    const QByteArray secret = "-----BEGIN PRIVATE KEY-----\nnot really\n-----END PRIVATE KEY-----\n";
    auto first = kek->seal(secret, "kid-1");
    auto second = kek->seal(secret, "kid-1");
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->size(), secret.size() + KeyEncryptionKey::kOverhead);
    EXPECT_EQ(first->at(0), KeyEncryptionKey::kFormatVersion);
    EXPECT_EQ(first->mid(1, KeyEncryptionKey::kIdBytes).toHex(), kek->id().toLatin1());
    EXPECT_NE(first->mid(1 + KeyEncryptionKey::kIdBytes, KeyEncryptionKey::kNonceBytes),
              second->mid(1 + KeyEncryptionKey::kIdBytes, KeyEncryptionKey::kNonceBytes));
    EXPECT_NE(first.value(), second.value());
    EXPECT_FALSE(first->contains("PRIVATE KEY"));
    EXPECT_EQ(kek->open(first.value(), "kid-1").value(), secret);
    EXPECT_EQ(kek->open(second.value(), "kid-1").value(), secret);

    // The id names the key without giving it away, and is the same for the same bytes.
    EXPECT_EQ(kek->id().size(), 2 * KeyEncryptionKey::kIdBytes);
    EXPECT_FALSE(kek->bytes().toHex().contains(kek->id().toLatin1()));
    EXPECT_EQ(KeyEncryptionKey::fromBytes(kek->bytes())->id(), kek->id());
    EXPECT_FALSE(KeyEncryptionKey::fromBytes(QByteArray(16, 'x')));
}

TEST(KeyEncryptionKey, RefusesEveryAlteredPart)
{
    auto kek = KeyEncryptionKey::generate();
    ASSERT_TRUE(kek);
    const QByteArray sealed = kek->seal("the private key", "kid-1").value();
    const qsizetype nonceAt = 1 + KeyEncryptionKey::kIdBytes;
    const qsizetype ciphertextAt = nonceAt + KeyEncryptionKey::kNonceBytes;
    const struct
    {
        const char *part;
        qsizetype offset;
    } parts[] = {{"nonce", nonceAt},
                 {"ciphertext", ciphertextAt},
                 {"ciphertext end", sealed.size() - KeyEncryptionKey::kTagBytes - 1},
                 {"tag", sealed.size() - KeyEncryptionKey::kTagBytes},
                 {"tag end", sealed.size() - 1}};
    for (const auto &part : parts) {
        QByteArray altered = sealed;
        altered[part.offset] = char(altered.at(part.offset) ^ 0x01);
        auto opened = kek->open(altered, "kid-1");
        ASSERT_FALSE(opened) << part.part;
        EXPECT_EQ(opened.error().code, ErrorCode::DecryptionFailed) << part.part;
    }
    // Another row's associated data: a sealed key copied into another row does not open there.
    auto moved = kek->open(sealed, "kid-2");
    ASSERT_FALSE(moved);
    EXPECT_EQ(moved.error().code, ErrorCode::DecryptionFailed);
    EXPECT_FALSE(kek->open(sealed, QByteArray()));
    // Truncated, or another format version.
    EXPECT_EQ(kek->open(sealed.left(KeyEncryptionKey::kOverhead - 1), "kid-1").error().code, ErrorCode::DecryptionFailed);
    QByteArray version2 = sealed;
    version2[0] = 2;
    auto future = kek->open(version2, "kid-1");
    ASSERT_FALSE(future);
    EXPECT_TRUE(future.error().description.contains(QLatin1String("format version 2"))) << future.error().description.toStdString();
    // The KEK id in the header is authenticated too: a rewritten id does not pass as the right key.
    auto other = KeyEncryptionKey::generate().value();
    QByteArray relabelled = other.seal("x", "kid-1").value();
    relabelled.replace(1, KeyEncryptionKey::kIdBytes, QByteArray::fromHex(kek->id().toLatin1()));
    EXPECT_EQ(kek->open(relabelled, "kid-1").error().code, ErrorCode::DecryptionFailed);
}

TEST(KeyEncryptionKey, AWrongKeyIsNamedNotMistakenForDamage)
{
    auto right = KeyEncryptionKey::generate().value();
    auto wrong = KeyEncryptionKey::generate().value();
    const QByteArray sealed = right.seal("the private key", "kid-1").value();
    auto opened = wrong.open(sealed, "kid-1");
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code, ErrorCode::KeyMismatch);
    EXPECT_TRUE(opened.error().description.contains(right.id())) << opened.error().description.toStdString();
    EXPECT_TRUE(opened.error().description.contains(wrong.id())) << opened.error().description.toStdString();
}

TEST(KeyEncryptionKeyFile, CreatedOwnerOnlyNeverReplacedAndReadBack)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("secrets.key"));
    auto created = createKeyEncryptionKeyFile(path);
    ASSERT_TRUE(created) << created.error().description.toStdString();
    struct stat info = {};
    ASSERT_EQ(::stat(QFile::encodeName(path).constData(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    QFile file(path);
    ASSERT_TRUE(file.open(QIODevice::ReadOnly));
    const QByteArray line = file.readAll();
    EXPECT_TRUE(line.endsWith('\n'));
    EXPECT_EQ(QByteArray::fromBase64(line.trimmed()).size(), 32);
    file.close();

    auto read = readKeyEncryptionKeyFile(path);
    ASSERT_TRUE(read) << read.error().description.toStdString();
    EXPECT_EQ(read->id(), created->id());

    auto again = createKeyEncryptionKeyFile(path);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, ErrorCode::KeyExists);
    EXPECT_EQ(readKeyEncryptionKeyFile(path)->id(), created->id()) << "the existing key is untouched";
    EXPECT_EQ(QDir(dir.path()).entryList(QDir::Files).size(), 1) << "no temporary left behind";
}

TEST(KeyEncryptionKeyFile, RefusesFilesOthersCanReadAndWrongLengths)
{
    QTemporaryDir dir;
    auto write = [&](const QString &name, const QByteArray &contents, int mode) {
        const QString path = dir.filePath(name);
        QFile file(path);
        EXPECT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(contents);
        file.close();
        EXPECT_EQ(::chmod(QFile::encodeName(path).constData(), mode_t(mode)), 0);
        return path;
    };
    const QByteArray key(32, '\x5a');

    const QString readable = write(QStringLiteral("readable"), key.toBase64() + '\n', 0640);
    auto refused = readKeyEncryptionKeyFile(readable);
    ASSERT_FALSE(refused);
    EXPECT_TRUE(refused.error().description.contains(QLatin1String("chmod 600"))) << refused.error().description.toStdString();
    EXPECT_TRUE(refused.error().description.contains(QLatin1String("0640"))) << refused.error().description.toStdString();

    auto shortKey = readKeyEncryptionKeyFile(write(QStringLiteral("short"), QByteArray(16, 'x').toBase64() + '\n', 0600));
    ASSERT_FALSE(shortKey);
    EXPECT_TRUE(shortKey.error().description.contains(QLatin1String("holds 16 bytes"))) << shortKey.error().description.toStdString();
    EXPECT_TRUE(shortKey.error().description.contains(QLatin1String("secrets init"))) << shortKey.error().description.toStdString();

    auto twoLines = readKeyEncryptionKeyFile(write(QStringLiteral("two"), key.toBase64() + '\n' + key.toBase64() + '\n', 0600));
    ASSERT_FALSE(twoLines);
    EXPECT_TRUE(twoLines.error().description.contains(QLatin1String("one line"))) << twoLines.error().description.toStdString();

    EXPECT_FALSE(readKeyEncryptionKeyFile(write(QStringLiteral("empty"), QByteArray(), 0600)));
    EXPECT_FALSE(readKeyEncryptionKeyFile(dir.filePath(QStringLiteral("missing"))));

    // Hex works as well as base64, and both name the same key.
    auto fromHex = readKeyEncryptionKeyFile(write(QStringLiteral("hex"), key.toHex() + '\n', 0400));
    auto fromBase64 = readKeyEncryptionKeyFile(write(QStringLiteral("base64"), key.toBase64(), 0600));
    ASSERT_TRUE(fromHex) << fromHex.error().description.toStdString();
    ASSERT_TRUE(fromBase64) << fromBase64.error().description.toStdString();
    EXPECT_EQ(fromHex->id(), fromBase64->id());
}
