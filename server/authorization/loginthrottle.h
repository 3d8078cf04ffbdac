#pragma once

#include "database.h"

#include <QString>

#include <memory>

namespace organizer::authorization {

// Failed logins, per account and per client address, with exponential backoff: after `freeAttempts`
// failures each further one doubles the wait (1 s, 2 s, 4 s … up to 15 minutes). Accounts that do not
// exist are counted the same way, so the answer never reveals whether a login exists. The counters
// live in the server's database, so guesses spread over several instances add up. `kind` keeps the
// throttles that share the table apart.
class LoginThrottle
{
public:
    LoginThrottle(std::shared_ptr<store::Database> database, QString kind, int freeAttempts = 5)
        : m_database(std::move(database)), m_kind(std::move(kind)), m_freeAttempts(freeAttempts)
    {}

    // Seconds to wait before `key` may try again; 0 when it may try now. When the counters cannot be
    // read, 1: better a short wait than unthrottled guessing.
    qint64 retryAfter(const QString &key, qint64 now) const;
    void recordFailure(const QString &key, qint64 now);
    void recordSuccess(const QString &key);

    // Forgets counters quiet for longer than the longest delay.
    void prune(qint64 now);

private:
    QString counter(const QString &key) const { return m_kind + QLatin1Char('|') + key; }
    std::shared_ptr<store::Database> m_database;
    QString m_kind;
    int m_freeAttempts;
};

} // namespace organizer::authorization
