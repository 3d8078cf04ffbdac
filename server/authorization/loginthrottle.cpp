#include "loginthrottle.h"

#include <QLoggingCategory>

#include <algorithm>

namespace organizer::authorization {

namespace {
Q_LOGGING_CATEGORY(lcThrottle, "organizer.server.authorization.throttle")
constexpr qint64 kMaxDelaySeconds = 15 * 60;
} // namespace

qint64 LoginThrottle::retryAfter(const QString &key, qint64 now) const
{
    auto query = m_database->execute(QStringLiteral("SELECT failures, last_failure FROM login_throttle WHERE counter = ?"), {counter(key)},
                                     QStringLiteral("cannot read a login throttle"));
    if (!query) {
        qCCritical(lcThrottle).noquote() << query.error();
        return 1;
    }
    if (!query->next())
        return 0;
    const qint64 failures = query->value(0).toLongLong();
    const qint64 lastFailure = query->value(1).toLongLong();
    if (failures < m_freeAttempts)
        return 0;
    const qint64 doublings = std::min<qint64>(failures - m_freeAttempts, 10);
    const qint64 delay = std::min<qint64>(qint64(1) << doublings, kMaxDelaySeconds);
    return std::max<qint64>(0, lastFailure + delay - now);
}

void LoginThrottle::recordFailure(const QString &key, qint64 now)
{
    // One statement, so failures counted by several instances at once all count.
    auto query = m_database->execute(QStringLiteral("INSERT INTO login_throttle (counter, failures, last_failure) VALUES (?, 1, ?) "
                                                    "ON CONFLICT (counter) DO UPDATE SET failures = login_throttle.failures + 1, "
                                                    "last_failure = excluded.last_failure"),
                                     {counter(key), now}, QStringLiteral("cannot count a failed login"));
    if (!query)
        qCCritical(lcThrottle).noquote() << query.error();
}

void LoginThrottle::recordSuccess(const QString &key)
{
    auto query
        = m_database->execute(QStringLiteral("DELETE FROM login_throttle WHERE counter = ?"), {counter(key)}, QStringLiteral("cannot reset a login throttle"));
    if (!query)
        qCWarning(lcThrottle).noquote() << query.error();
}

void LoginThrottle::prune(qint64 now)
{
    auto query = m_database->execute(QStringLiteral("DELETE FROM login_throttle WHERE counter LIKE ? AND last_failure < ?"),
                                     {m_kind + QStringLiteral("|%"), now - kMaxDelaySeconds}, QStringLiteral("cannot forget old login failures"));
    if (!query)
        qCWarning(lcThrottle).noquote() << query.error();
}

} // namespace organizer::authorization
