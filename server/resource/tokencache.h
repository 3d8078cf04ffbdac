#pragma once

#include "jwtverifier.h"

#include <QHash>
#include <QMutex>

#include <array>
#include <optional>

namespace organizer::resource {

// Verified tokens, keyed by the whole token, kept until they expire, so repeated calls with one token
// pay RS256 once. Bounded: when a shard is full, its expired entries go first, then its oldest half.
// Safe to use from several threads: the tokens are spread over shards, each with its own lock, so
// the HTTP workers rarely wait for one another.
class TokenCache
{
public:
    explicit TokenCache(qsizetype capacity = 10'000);

    // The cached result if `token` was verified before and has not expired at `now` (leeway included).
    std::optional<jose::VerifiedJwt> find(const QByteArray &token, qint64 now, qint64 leewaySeconds) const;
    void insert(const QByteArray &token, const jose::VerifiedJwt &verified, qint64 now, qint64 leewaySeconds);
    void remove(const QByteArray &token);
    void clear();
    qsizetype size() const;

private:
    static constexpr int kShards = 16;
    struct Entry
    {
        jose::VerifiedJwt verified;
        quint64 sequence;
    };
    struct Shard
    {
        mutable QMutex mutex;
        QHash<QByteArray, Entry> entries;
        quint64 nextSequence = 0;
    };
    Shard &shardFor(const QByteArray &token, size_t *hash) const;

    mutable std::array<Shard, kShards> m_shards;
    qsizetype m_shardCapacity;
};

} // namespace organizer::resource
