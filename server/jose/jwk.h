#pragma once

#include "rsakey.h"

#include <QJsonObject>
#include <QList>
#include <QStringList>

namespace organizer::jose {

// One RSA JSON Web Key (RFC 7517 §4, RFC 7518 §6.3).
struct Jwk
{
    QString kid;
    QString use; // "sig" for signing keys; empty when the publisher did not say
    QString alg; // "RS256" or empty
    RsaKey key;

    static Result<Jwk> fromJson(const QJsonObject &object);
    static Jwk forSigningKey(const RsaKey &key, const QString &kid);
    // Public members only: a private key never leaves through a JWKS.
    QJsonObject toPublicJson() const;
};

// A JWK Set (RFC 7517 §5). Members this verifier cannot use (EC, oct, encryption keys, keys for
// other algorithms) are skipped, not fatal: a provider's JWKS may legitimately hold them.
class JwkSet
{
public:
    JwkSet() = default;
    explicit JwkSet(QList<Jwk> keys) : m_keys(std::move(keys)) {}

    static Result<JwkSet> fromJson(const QByteArray &json);
    QByteArray toJson() const;

    const QList<Jwk> &keys() const { return m_keys; }
    const QStringList &skipped() const { return m_skipped; }
    bool isEmpty() const { return m_keys.isEmpty(); }
    const Jwk *find(const QString &kid) const;

private:
    QList<Jwk> m_keys;
    QStringList m_skipped;
};

} // namespace organizer::jose
