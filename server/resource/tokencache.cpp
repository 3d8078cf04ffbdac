#include "tokencache.h"

#include <algorithm>

namespace organizer::resource {

TokenCache::TokenCache(qsizetype capacity) : m_shardCapacity(capacity <= 0 ? 0 : std::max<qsizetype>(1, capacity / kShards)) {}

TokenCache::Shard &TokenCache::shardFor(const QByteArray &token, size_t *hash) const
{
    *hash = qHash(token);
    // The low bits pick the bucket inside the shard's hash: take the shard from the high ones.
    return m_shards[(*hash >> 24) % kShards];
}

std::optional<jose::VerifiedJwt> TokenCache::find(const QByteArray &token, qint64 now, qint64 leewaySeconds) const
{
    size_t hash = 0;
    Shard &shard = shardFor(token, &hash);
    QMutexLocker lock(&shard.mutex);
    const auto it = shard.entries.constFind(token);
    if (it == shard.entries.cend() || now >= it->verified.expiresAt + leewaySeconds)
        return std::nullopt;
    return it->verified;
}

void TokenCache::insert(const QByteArray &token, const jose::VerifiedJwt &verified, qint64 now, qint64 leewaySeconds)
{
    if (m_shardCapacity <= 0)
        return;
    size_t hash = 0;
    Shard &shard = shardFor(token, &hash);
    QMutexLocker lock(&shard.mutex);
    if (shard.entries.size() >= m_shardCapacity) {
        shard.entries.removeIf([&](const auto &entry) { return now >= entry.value().verified.expiresAt + leewaySeconds; });
        if (shard.entries.size() >= m_shardCapacity) {
            QList<quint64> sequences;
            sequences.reserve(shard.entries.size());
            for (const Entry &entry : std::as_const(shard.entries))
                sequences.append(entry.sequence);
            const auto middle = sequences.begin() + sequences.size() / 2;
            std::nth_element(sequences.begin(), middle, sequences.end());
            const quint64 cutoff = *middle;
            shard.entries.removeIf([cutoff](const auto &entry) { return entry.value().sequence <= cutoff; });
        }
    }
    shard.entries.insert(token, Entry{verified, shard.nextSequence++});
}

void TokenCache::remove(const QByteArray &token)
{
    size_t hash = 0;
    Shard &shard = shardFor(token, &hash);
    QMutexLocker lock(&shard.mutex);
    shard.entries.remove(token);
}

void TokenCache::clear()
{
    for (Shard &shard : m_shards) {
        QMutexLocker lock(&shard.mutex);
        shard.entries.clear();
    }
}

qsizetype TokenCache::size() const
{
    qsizetype total = 0;
    for (const Shard &shard : m_shards) {
        QMutexLocker lock(&shard.mutex);
        total += shard.entries.size();
    }
    return total;
}

} // namespace organizer::resource
