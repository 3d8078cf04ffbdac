#include "loginthrottle.h"

#include <algorithm>

namespace organizer::authorization {

namespace {
constexpr qint64 kMaxDelaySeconds = 15 * 60;
}

qint64 LoginThrottle::retryAfter(const QString &key, qint64 now) const
{
    const auto it = m_entries.constFind(key);
    if (it == m_entries.cend() || it->failures < m_freeAttempts)
        return 0;
    const int doublings = std::min(it->failures - m_freeAttempts, 10);
    const qint64 delay = std::min<qint64>(qint64(1) << doublings, kMaxDelaySeconds);
    return std::max<qint64>(0, it->lastFailure + delay - now);
}

void LoginThrottle::recordFailure(const QString &key, qint64 now)
{
    Entry &entry = m_entries[key];
    ++entry.failures;
    entry.lastFailure = now;
    if (m_entries.size() > 100'000) // bounded: forget entries quiet for the longest possible delay
        m_entries.removeIf([now](const auto &e) { return now - e.value().lastFailure > kMaxDelaySeconds; });
}

} // namespace organizer::authorization
