#pragma once

#include "jwtverifier.h"

#include <QHash>

namespace organizer::server {

// Verified tokens, keyed by the whole token, kept until they expire, so repeated calls with one token
// pay RS256 once. Bounded: when full, expired entries go first, then the oldest half.
class TokenCache
{
public:
    explicit TokenCache(qsizetype capacity = 10'000) : m_capacity(capacity) {}

    // The cached result if `token` was verified before and has not expired at `now` (leeway included).
    const jose::VerifiedJwt *find(const QByteArray &token, qint64 now, qint64 leewaySeconds) const;
    void insert(const QByteArray &token, const jose::VerifiedJwt &verified, qint64 now, qint64 leewaySeconds);
    void remove(const QByteArray &token) { m_entries.remove(token); }
    void clear() { m_entries.clear(); }
    qsizetype size() const { return m_entries.size(); }

private:
    struct Entry
    {
        jose::VerifiedJwt verified;
        quint64 sequence;
    };
    QHash<QByteArray, Entry> m_entries;
    qsizetype m_capacity;
    quint64 m_nextSequence = 0;
};

} // namespace organizer::server
