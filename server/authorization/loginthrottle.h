#pragma once

#include <QHash>
#include <QString>

namespace organizer::authorization {

// Failed logins, per account and per client address, with exponential backoff: after `freeAttempts`
// failures each further one doubles the wait (1 s, 2 s, 4 s … up to 15 minutes). Accounts that do not
// exist are counted the same way, so the answer never reveals whether a login exists.
class LoginThrottle
{
public:
    explicit LoginThrottle(int freeAttempts = 5) : m_freeAttempts(freeAttempts) {}

    // Seconds to wait before `key` may try again; 0 when it may try now.
    qint64 retryAfter(const QString &key, qint64 now) const;
    void recordFailure(const QString &key, qint64 now);
    void recordSuccess(const QString &key) { m_entries.remove(key); }

private:
    struct Entry
    {
        int failures = 0;
        qint64 lastFailure = 0;
    };
    QHash<QString, Entry> m_entries;
    int m_freeAttempts;
};

} // namespace organizer::authorization
