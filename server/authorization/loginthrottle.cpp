#include "loginthrottle.h"

#include <QLoggingCategory>
#include <QSqlError>
#include <QSqlQuery>

#include <algorithm>

namespace organizer::authorization {

namespace {
Q_LOGGING_CATEGORY(lcThrottle, "organizer.server.authorization.throttle")
constexpr qint64 kMaxDelaySeconds = 15 * 60;

bool run(QSqlQuery &query, const QString &sql, const QVariantList &values)
{
    query.setForwardOnly(true);
    if (!query.prepare(sql))
        return false;
    for (const QVariant &value : values)
        query.addBindValue(value);
    return query.exec();
}
} // namespace

qint64 LoginThrottle::retryAfter(const QString &key, qint64 now) const
{
    QSqlQuery query(m_database->connection());
    if (!run(query, QStringLiteral("SELECT failures, last_failure FROM login_throttle WHERE counter = ?"), {counter(key)})) {
        qCCritical(lcThrottle).noquote() << store::Database::describe(QStringLiteral("cannot read a login throttle"), query.lastError());
        return 1;
    }
    if (!query.next())
        return 0;
    const qint64 failures = query.value(0).toLongLong();
    const qint64 lastFailure = query.value(1).toLongLong();
    if (failures < m_freeAttempts)
        return 0;
    const qint64 doublings = std::min<qint64>(failures - m_freeAttempts, 10);
    const qint64 delay = std::min<qint64>(qint64(1) << doublings, kMaxDelaySeconds);
    return std::max<qint64>(0, lastFailure + delay - now);
}

void LoginThrottle::recordFailure(const QString &key, qint64 now)
{
    // One statement, so failures counted by several instances at once all count.
    QSqlQuery query(m_database->connection());
    if (!run(query,
             QStringLiteral("INSERT INTO login_throttle (counter, failures, last_failure) VALUES (?, 1, ?) "
                            "ON CONFLICT (counter) DO UPDATE SET failures = login_throttle.failures + 1, last_failure = excluded.last_failure"),
             {counter(key), now}))
        qCCritical(lcThrottle).noquote() << store::Database::describe(QStringLiteral("cannot count a failed login"), query.lastError());
}

void LoginThrottle::recordSuccess(const QString &key)
{
    QSqlQuery query(m_database->connection());
    if (!run(query, QStringLiteral("DELETE FROM login_throttle WHERE counter = ?"), {counter(key)}))
        qCWarning(lcThrottle).noquote() << store::Database::describe(QStringLiteral("cannot reset a login throttle"), query.lastError());
}

void LoginThrottle::prune(qint64 now)
{
    QSqlQuery query(m_database->connection());
    if (!run(query, QStringLiteral("DELETE FROM login_throttle WHERE counter LIKE ? AND last_failure < ?"),
             {m_kind + QStringLiteral("|%"), now - kMaxDelaySeconds}))
        qCWarning(lcThrottle).noquote() << store::Database::describe(QStringLiteral("cannot forget old login failures"), query.lastError());
}

} // namespace organizer::authorization
