#include "tokencache.h"

#include <algorithm>

namespace organizer::server {

const jose::VerifiedJwt *TokenCache::find(const QByteArray &token, qint64 now, qint64 leewaySeconds) const
{
    const auto it = m_entries.constFind(token);
    if (it == m_entries.cend() || now >= it->verified.expiresAt + leewaySeconds)
        return nullptr;
    return &it->verified;
}

void TokenCache::insert(const QByteArray &token, const jose::VerifiedJwt &verified, qint64 now, qint64 leewaySeconds)
{
    if (m_capacity <= 0)
        return;
    if (m_entries.size() >= m_capacity) {
        m_entries.removeIf([&](const auto &entry) { return now >= entry.value().verified.expiresAt + leewaySeconds; });
        if (m_entries.size() >= m_capacity) {
            QList<quint64> sequences;
            sequences.reserve(m_entries.size());
            for (const Entry &entry : std::as_const(m_entries))
                sequences.append(entry.sequence);
            const auto middle = sequences.begin() + sequences.size() / 2;
            std::nth_element(sequences.begin(), middle, sequences.end());
            const quint64 cutoff = *middle;
            m_entries.removeIf([cutoff](const auto &entry) { return entry.value().sequence <= cutoff; });
        }
    }
    m_entries.insert(token, Entry{verified, m_nextSequence++});
}

} // namespace organizer::server
