#include "consentstore.h"

#include <QDateTime>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

namespace organizer::store {

namespace {

// A login without an audience (OpenID scopes only) is stored under the empty audience: a null
// QString would bind as SQL NULL, which the NOT NULL column refuses and no equality ever matches.
QString storedAudience(const QString &audience)
{
    return audience.isNull() ? QStringLiteral("") : audience;
}

} // namespace

QStringList ConsentStore::granted(const QString &subject, const QString &clientId, const QString &audience) const
{
    QSqlQuery query(m_database->connection());
    query.prepare(QStringLiteral("SELECT scopes FROM consents WHERE subject = ? AND client_id = ? AND audience = ?"));
    query.addBindValue(subject);
    query.addBindValue(clientId);
    query.addBindValue(storedAudience(audience));
    if (!query.exec() || !query.next())
        return {};
    return query.value(0).toString().split(QLatin1Char(' '), Qt::SkipEmptyParts);
}

bool ConsentStore::covers(const QString &subject, const QString &clientId, const QString &audience, const QStringList &scopes) const
{
    const QStringList previous = granted(subject, clientId, audience);
    if (previous.isEmpty())
        return false; // never asked: even an empty scope set needs a first answer
    for (const QString &scope : scopes) {
        if (!previous.contains(scope))
            return false;
    }
    return true;
}

Expected<Done, QString> ConsentStore::remember(const QString &subject, const QString &clientId, const QString &audience, const QStringList &scopes)
{
    QStringList all = granted(subject, clientId, audience) + scopes;
    all.append(QStringLiteral("openid")); // a consent on record is never empty
    all.removeDuplicates();
    all.sort();
    QSqlQuery query(m_database->connection());
    query.prepare(QStringLiteral("INSERT INTO consents (subject, client_id, audience, scopes, granted_at) VALUES (?, ?, ?, ?, ?) "
                                 "ON CONFLICT (subject, client_id, audience) DO UPDATE SET scopes = excluded.scopes, granted_at = excluded.granted_at"));
    query.addBindValue(subject);
    query.addBindValue(clientId);
    query.addBindValue(storedAudience(audience));
    query.addBindValue(all.join(QLatin1Char(' ')));
    query.addBindValue(QDateTime::currentSecsSinceEpoch());
    if (!query.exec())
        return Unexpected<QString>(QStringLiteral("cannot store the consent: %1").arg(query.lastError().text()));
    return Done{};
}

} // namespace organizer::store
