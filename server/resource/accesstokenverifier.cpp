#include "accesstokenverifier.h"

#include <QThread>

namespace organizer::resource {

namespace {

std::atomic<quint64> nextVerifierId{1};

struct ThreadCacheEntry
{
    jose::VerifiedJwt verified;
    quint64 keysGeneration = 0;
    quint64 epoch = 0;
};
constexpr qsizetype kThreadCacheCapacity = 1024;
// verifier id → token → verdict, for this thread alone.
thread_local QHash<quint64, QHash<QByteArray, ThreadCacheEntry>> threadCaches;

} // namespace

AccessTokenVerifier::AccessTokenVerifier(IssuerKeys *issuerKeys, Settings settings, Clock clock)
    : m_issuerKeys(issuerKeys), m_settings(std::move(settings)), m_clock(std::move(clock)), m_cache(m_settings.cacheCapacity), m_id(nextVerifierId.fetch_add(1))
{}

const jose::VerifiedJwt *AccessTokenVerifier::fromThreadCache(const QByteArray &token, qint64 now) const
{
    if (m_settings.cacheCapacity <= 0 || !m_issuerKeys)
        return nullptr;
    auto cache = threadCaches.find(m_id);
    if (cache == threadCaches.end())
        return nullptr;
    auto it = cache->find(token);
    if (it == cache->end())
        return nullptr;
    ThreadCacheEntry &entry = it.value();
    if (entry.epoch != m_epoch.load(std::memory_order_acquire) || now >= entry.verified.expiresAt + m_settings.leewaySeconds) {
        cache->erase(it);
        return nullptr;
    }
    const quint64 generation = m_issuerKeys->keysGeneration();
    if (entry.keysGeneration != generation) {
        // New keys were published since: the verdict stands only while the signing key is among them.
        if (m_issuerKeys->keys().find(entry.verified.keyId) == nullptr) {
            cache->erase(it);
            return nullptr;
        }
        entry.keysGeneration = generation;
    }
    return &entry.verified;
}

void AccessTokenVerifier::toThreadCache(const QByteArray &token, const jose::VerifiedJwt &verified) const
{
    if (m_settings.cacheCapacity <= 0 || !m_issuerKeys)
        return;
    QHash<QByteArray, ThreadCacheEntry> &cache = threadCaches[m_id];
    if (cache.size() >= std::min(kThreadCacheCapacity, m_settings.cacheCapacity))
        cache.clear(); // the shared cache still holds them
    cache.insert(token, ThreadCacheEntry{verified, m_issuerKeys->keysGeneration(), m_epoch.load(std::memory_order_acquire)});
}

jose::Result<jose::VerifiedJwt> AccessTokenVerifier::verifyNow(const QByteArray &token) const
{
    if (!m_issuerKeys || m_issuerKeys->issuer().isEmpty())
        return jose::fail(jose::ErrorCode::UnknownKeyId, QStringLiteral("the issuer's metadata is not available yet"));
    const jose::JwtVerifier verifier({m_issuerKeys->issuer(), m_settings.audience, m_settings.leewaySeconds}, m_clock);
    return verifier.verify(token, m_issuerKeys->keys());
}

bool AccessTokenVerifier::keysMayBeStale(const jose::Error &error)
{
    // A new kid (key rotation at the issuer) or a signature that fails with the key we hold under that
    // kid could both be fixed by fresh keys; nothing else can.
    return error.code == jose::ErrorCode::UnknownKeyId || error.code == jose::ErrorCode::AmbiguousKey;
}

std::optional<jose::Result<jose::VerifiedJwt>> AccessTokenVerifier::verifyAtOnce(const QByteArray &token)
{
    const qint64 now = m_clock();
    if (m_revocations && m_revocations->isRevoked(token, now))
        return jose::Result<jose::VerifiedJwt>(jose::fail(jose::ErrorCode::Revoked, QStringLiteral("the token has been revoked")));
    if (const jose::VerifiedJwt *local = fromThreadCache(token, now))
        return jose::Result<jose::VerifiedJwt>(*local);
    if (const std::optional<jose::VerifiedJwt> cached = m_cache.find(token, now, m_settings.leewaySeconds)) {
        // A withdrawn key takes its tokens with it: a cached verdict counts only while the key that
        // signed the token is still published (bundled keys and --authority keys alike).
        if (m_issuerKeys && m_issuerKeys->keys().find(cached->keyId) != nullptr) {
            toThreadCache(token, *cached);
            return jose::Result<jose::VerifiedJwt>(*cached);
        }
        m_cache.remove(token);
    }
    auto result = verifyNow(token);
    if (result) {
        m_cache.insert(token, result.value(), now, m_settings.leewaySeconds);
        toThreadCache(token, result.value());
        return result;
    }
    if (!keysMayBeStale(result.error()) || !m_issuerKeys)
        return result;
    return std::nullopt; // fresh keys might change the verdict
}

void AccessTokenVerifier::verify(const QByteArray &token, Completion done)
{
    if (auto verdict = verifyAtOnce(token)) {
        done(*verdict);
        return;
    }
    // The keys are fetched on their own thread; the verdict is given there. Keys may also have
    // arrived between this attempt and then: they are tried before a refetch.
    auto refresh = [this, token, done] {
        auto retried = verifyNow(token);
        if (retried) {
            m_cache.insert(token, retried.value(), m_clock(), m_settings.leewaySeconds);
            toThreadCache(token, retried.value());
            done(retried);
            return;
        }
        const bool refreshing = m_issuerKeys->refresh([this, token, done] {
            auto afterRefresh = verifyNow(token);
            if (afterRefresh) {
                m_cache.insert(token, afterRefresh.value(), m_clock(), m_settings.leewaySeconds);
                toThreadCache(token, afterRefresh.value());
            }
            done(afterRefresh);
        });
        if (!refreshing)
            done(retried);
    };
    if (QThread::currentThread() == m_issuerKeys->thread())
        refresh();
    else
        QMetaObject::invokeMethod(m_issuerKeys, std::move(refresh), Qt::QueuedConnection);
}

} // namespace organizer::resource
