#pragma once

#include "issuerkeys.h"
#include "jwtverifier.h"
#include "tokencache.h"
#include "tokenrevocations.h"

#include <QPointer>

#include <atomic>
#include <optional>

namespace organizer::resource {

// Verifies access tokens for the resource server: JwtVerifier against the trusted issuer's keys,
// one key refresh on an unknown kid (rate limited by the key source), and a cache of verified tokens.
class AccessTokenVerifier
{
public:
    struct Settings
    {
        QString audience = QStringLiteral("organize");
        qint64 leewaySeconds = 30;
        qsizetype cacheCapacity = 10'000;
    };

    AccessTokenVerifier(IssuerKeys *issuerKeys, Settings settings, Clock clock = systemClock());

    using Completion = std::function<void(const jose::Result<jose::VerifiedJwt> &)>;
    // Calls `done` exactly once, immediately unless the issuer's keys must be fetched first (then on the
    // issuer keys' thread). Safe to call from several threads at once.
    void verify(const QByteArray &token, Completion done);
    // The verdict when it can be given at once (almost always: a cached token, a verified one, a
    // refusal no key refresh could change); nullopt when the issuer's keys must be fetched first, and
    // then verify() is the way. Saves the caller a closure on the hot path.
    std::optional<jose::Result<jose::VerifiedJwt>> verifyAtOnce(const QByteArray &token);

    const Settings &settings() const { return m_settings; }
    // For audiences known only once the server listens (the issuer's /userinfo URL).
    // Tokens on this list are refused even when they verify (the bundled issuer's revocations).
    void setRevocations(const TokenRevocations *revocations) { m_revocations = revocations; }
    void setAudience(const QString &audience)
    {
        m_settings.audience = audience;
        m_cache.clear();
        m_epoch.fetch_add(1); // every thread's own cache forgets too
    }

private:
    jose::Result<jose::VerifiedJwt> verifyNow(const QByteArray &token) const;
    static bool keysMayBeStale(const jose::Error &error);

    // The verdict from this thread's own small cache, checked against the keys still published; null
    // when there is none. Each HTTP worker answers repeated tokens from there without touching
    // memory another core writes (the shared cache's lock and reference counts would bounce between cores).
    const jose::VerifiedJwt *fromThreadCache(const QByteArray &token, qint64 now) const;
    void toThreadCache(const QByteArray &token, const jose::VerifiedJwt &verified) const;

    IssuerKeys *m_issuerKeys; // outlives the verifier
    Settings m_settings;
    Clock m_clock;
    TokenCache m_cache; // shared by every thread, sharded
    const quint64 m_id; // names this verifier in the threads' caches
    std::atomic<quint64> m_epoch{0};
    const TokenRevocations *m_revocations = nullptr;
};

} // namespace organizer::resource
