#include "refreshtokens.h"

#include "base64url.h"

#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QSqlError>
#include <QSqlQuery>

namespace organizer::authorization {

namespace {

Q_LOGGING_CATEGORY(lcRefresh, "organizer.server.authorization.refresh")

using store::Database;

QString fingerprintOf(QByteArrayView token)
{
    return QString::fromLatin1(server::TokenRevocations::fingerprint(token).toHex());
}

} // namespace

QByteArray RefreshTokens::newToken()
{
    QByteArray bytes(32, Qt::Uninitialized);
    QRandomGenerator::system()->generate(reinterpret_cast<quint32 *>(bytes.data()), reinterpret_cast<quint32 *>(bytes.data() + bytes.size()));
    return jose::base64UrlEncode(bytes);
}

Expected<RefreshTokens::Issued, QString> RefreshTokens::start(const RefreshGrant &grant, const RefreshLifetimes &lifetimes)
{
    const qint64 now = m_clock();
    Issued issued{newToken(), newToken()};
    const QString current = fingerprintOf(issued.token);
    auto stored = m_database->transaction([&](QSqlDatabase &db) -> Expected<Done, QString> {
        auto family = Database::execute(
            db,
            QStringLiteral("INSERT INTO refresh_families (id, client_id, subject, audience, scopes, absolute_seconds, inactivity_seconds, "
                           "created_at, last_used_at, current_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            {QString::fromLatin1(issued.family), grant.clientId, grant.subject, grant.audience.isNull() ? QStringLiteral("") : grant.audience,
             grant.scopes.join(QLatin1Char(' ')), lifetimes.absoluteSeconds, lifetimes.inactivitySeconds, now, now, current},
            QStringLiteral("cannot store the refresh token"));
        if (!family)
            return Unexpected<QString>(family.error());
        auto token = Database::execute(db, QStringLiteral("INSERT INTO refresh_tokens (fingerprint, family) VALUES (?, ?)"),
                                       {current, QString::fromLatin1(issued.family)}, QStringLiteral("cannot store the refresh token"));
        if (!token)
            return Unexpected<QString>(token.error());
        return Done{};
    });
    if (!stored)
        return Unexpected<QString>(stored.error());
    return issued;
}

Expected<std::optional<RefreshTokens::Family>, QString> RefreshTokens::familyOf(QByteArrayView token) const
{
    auto query = m_database->execute(
        QStringLiteral("SELECT f.id, f.client_id, f.subject, f.audience, f.scopes, f.absolute_seconds, f.inactivity_seconds, f.created_at, "
                       "f.last_used_at, f.current_token, f.revoked FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family "
                       "WHERE t.fingerprint = ?"),
        {fingerprintOf(token)}, QStringLiteral("cannot read the refresh token"));
    if (!query)
        return Unexpected<QString>(query.error());
    if (!query->next())
        return std::optional<Family>();
    Family family;
    family.id = query->value(0).toString().toLatin1();
    family.grant = {query->value(1).toString(), query->value(2).toString(), query->value(3).toString(),
                    query->value(4).toString().split(QLatin1Char(' '), Qt::SkipEmptyParts)};
    family.lifetimes = {query->value(5).toLongLong(), query->value(6).toLongLong()};
    family.createdAt = query->value(7).toLongLong();
    family.lastUsedAt = query->value(8).toLongLong();
    family.current = query->value(9).toString();
    family.revoked = query->value(10).toInt() != 0;
    return std::optional<Family>(std::move(family));
}

Expected<RefreshGrant, RefreshTokens::Refusal> RefreshTokens::use(QByteArrayView token, const QString &clientId)
{
    const qint64 now = m_clock();
    auto found = familyOf(token);
    if (!found)
        return Unexpected<Refusal>(Refusal{found.error(), true});
    const std::optional<Family> &family = found.value();
    if (!family || family->grant.clientId != clientId)
        return Unexpected<Refusal>(Refusal{QStringLiteral("the refresh token is invalid or was issued to another client")});
    if (family->revoked)
        return Unexpected<Refusal>(Refusal{QStringLiteral("the refresh token was revoked")});
    if (family->current != fingerprintOf(token)) {
        // RFC 9700 §4.14.2: a retired token used again was copied; nobody in the family can be trusted.
        revokeFamily(family->id);
        return Unexpected<Refusal>(Refusal{QStringLiteral("the refresh token was already used; every token issued from it is revoked now")});
    }
    if (now >= family->createdAt + family->lifetimes.absoluteSeconds)
        return Unexpected<Refusal>(
            Refusal{QStringLiteral("the refresh token expired (its family is older than %1 seconds); log in again").arg(family->lifetimes.absoluteSeconds)});
    if (now >= family->lastUsedAt + family->lifetimes.inactivitySeconds)
        return Unexpected<Refusal>(
            Refusal{QStringLiteral("the refresh token expired (unused for more than %1 seconds); log in again").arg(family->lifetimes.inactivitySeconds)});
    return family->grant;
}

Expected<RefreshTokens::Issued, RefreshTokens::Refusal> RefreshTokens::rotate(QByteArrayView token)
{
    auto found = familyOf(token);
    if (!found)
        return Unexpected<Refusal>(Refusal{found.error(), true});
    if (!found->has_value())
        return Unexpected<Refusal>(Refusal{QStringLiteral("the refresh token is invalid or was issued to another client")});
    const QByteArray id = (*found)->id;
    const QString presented = fingerprintOf(token);
    Issued next{newToken(), id};
    const QString successor = fingerprintOf(next.token);
    bool moved = false;
    auto rotated = m_database->transaction([&](QSqlDatabase &db) -> Expected<Done, QString> {
        // Compare-and-set: only the request that still holds the current token moves the family on.
        auto update = Database::execute(
            db, QStringLiteral("UPDATE refresh_families SET current_token = ?, last_used_at = ? WHERE id = ? AND current_token = ? AND revoked = 0"),
            {successor, m_clock(), QString::fromLatin1(id), presented}, QStringLiteral("cannot rotate the refresh token"));
        if (!update)
            return Unexpected<QString>(update.error());
        moved = update->numRowsAffected() == 1;
        if (!moved)
            return Done{};
        auto insert = Database::execute(db, QStringLiteral("INSERT INTO refresh_tokens (fingerprint, family) VALUES (?, ?)"),
                                        {successor, QString::fromLatin1(id)}, QStringLiteral("cannot store the refresh token"));
        if (!insert)
            return Unexpected<QString>(insert.error());
        return Done{};
    });
    if (!rotated)
        return Unexpected<Refusal>(Refusal{rotated.error(), true});
    if (!moved) {
        // Another request (here or on another instance) rotated this token first: the same token was
        // used twice, which is what a stolen copy looks like.
        revokeFamily(id);
        return Unexpected<Refusal>(Refusal{QStringLiteral("the refresh token was already used; every token issued from it is revoked now")});
    }
    return next;
}

void RefreshTokens::noteAccessToken(const QByteArray &family, const QByteArray &fingerprint, qint64 expiresAt)
{
    auto noted = m_database->execute( // Two refreshes in one second can mint byte-identical tokens: noted once.
        QStringLiteral("INSERT INTO refresh_access_tokens (family, fingerprint, expires_at) VALUES (?, ?, ?) "
                       "ON CONFLICT (family, fingerprint) DO NOTHING"),
        {QString::fromLatin1(family), QString::fromLatin1(fingerprint.toHex()), expiresAt},
        QStringLiteral("cannot note an access token of a refresh-token family"));
    if (!noted)
        qCWarning(lcRefresh).noquote() << noted.error();
}

RefreshTokens::Revocation RefreshTokens::revoke(QByteArrayView token, const QString &clientId)
{
    auto found = familyOf(token);
    if (!found || !found->has_value())
        return Revocation::Unknown;
    if ((*found)->grant.clientId != clientId)
        return Revocation::OtherClient;
    revokeFamily((*found)->id);
    return Revocation::Revoked;
}

void RefreshTokens::revokeFamily(const QByteArray &id)
{
    auto revoked = m_database->execute(QStringLiteral("UPDATE refresh_families SET revoked = 1 WHERE id = ?"), {QString::fromLatin1(id)},
                                       QStringLiteral("cannot revoke a refresh-token family"));
    if (!revoked) {
        qCCritical(lcRefresh).noquote() << revoked.error();
        return;
    }
    auto issued = m_database->execute(QStringLiteral("SELECT fingerprint, expires_at FROM refresh_access_tokens WHERE family = ? AND expires_at > ?"),
                                      {QString::fromLatin1(id), m_clock()}, QStringLiteral("cannot read a family's access tokens"));
    if (!issued) {
        qCCritical(lcRefresh).noquote() << issued.error();
        return;
    }
    // Read them all first: revoking writes on the same connection, which would cut a result still streaming.
    QList<std::pair<QByteArray, qint64>> tokens;
    while (issued->next())
        tokens.append({QByteArray::fromHex(issued->value(0).toString().toLatin1()), issued->value(1).toLongLong()});
    issued->finish();
    for (const auto &[fingerprint, expiresAt] : std::as_const(tokens))
        m_revokeAccessToken(fingerprint, expiresAt);
}

void RefreshTokens::prune()
{
    // A family past either lifetime can never be used again; forget it and its tokens.
    const qint64 now = m_clock();
    auto pruned = m_database->transaction([&](QSqlDatabase &db) -> Expected<Done, QString> {
        const QString expired
            = QStringLiteral("SELECT id FROM refresh_families WHERE created_at + absolute_seconds <= ? OR last_used_at + inactivity_seconds <= ?");
        for (const QString &table : {QStringLiteral("refresh_tokens"), QStringLiteral("refresh_access_tokens")}) {
            auto gone = Database::execute(db, QStringLiteral("DELETE FROM %1 WHERE family IN (%2)").arg(table, expired), {now, now},
                                          QStringLiteral("cannot forget expired refresh tokens"));
            if (!gone)
                return Unexpected<QString>(gone.error());
        }
        auto gone = Database::execute(
            db, QStringLiteral("DELETE FROM refresh_families WHERE created_at + absolute_seconds <= ? OR last_used_at + inactivity_seconds <= ?"), {now, now},
            QStringLiteral("cannot forget expired refresh-token families"));
        if (!gone)
            return Unexpected<QString>(gone.error());
        return Done{};
    });
    if (!pruned)
        qCWarning(lcRefresh).noquote() << pruned.error();
}

} // namespace organizer::authorization
