#include "refreshtokens.h"

#include "authorizationstate.h"
#include "base64url.h"
#include "constanttime.h"

#include <QLoggingCategory>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>
#include <QSqlError>
#include <QSqlQuery>

namespace organizer::authorization {

namespace {

Q_LOGGING_CATEGORY(lcRefresh, "organizer.server.authorization.refresh")

using store::Database;

QString fingerprintOf(QByteArrayView token)
{
    return QString::fromLatin1(resource::TokenRevocations::fingerprint(token).toHex());
}

QByteArray randomText(int bytes)
{
    QByteArray random(bytes, Qt::Uninitialized);
    QRandomGenerator::system()->generate(reinterpret_cast<quint32 *>(random.data()), reinterpret_cast<quint32 *>(random.data() + random.size()));
    return jose::base64UrlEncode(random);
}

// The MAC binds family and generation to the random part; the label keeps it from meaning anything
// under another use of the same key.
QByteArray macOf(const QByteArray &body, const QByteArray &key)
{
    return jose::base64UrlEncode(QMessageAuthenticationCode::hash(QByteArrayLiteral("organizer refresh token v1\n") + body, key, QCryptographicHash::Sha256));
}

struct Described
{
    QByteArray family;
    qint64 generation = 0;
};

// FAMILY.GENERATION.RANDOM.MAC, read only once its MAC holds: nothing a client made up reaches a query.
std::optional<Described> readToken(QByteArrayView token, const QByteArray &key)
{
    if (token.size() > 256)
        return std::nullopt;
    const qsizetype macAt = token.lastIndexOf('.');
    if (macAt < 0)
        return std::nullopt;
    const QByteArray body = token.first(macAt).toByteArray();
    if (!constantTimeEquals(macOf(body, key), token.sliced(macAt + 1)))
        return std::nullopt;
    const QList<QByteArray> parts = body.split('.');
    bool number = false;
    const qint64 generation = parts.size() == 3 ? parts.at(1).toLongLong(&number) : 0;
    if (!number || generation < 1)
        return std::nullopt;
    return Described{parts.at(0), generation};
}

const QString kFamilyColumns = QStringLiteral("f.id, f.client_id, f.subject, f.audience, f.scopes, f.absolute_seconds, f.inactivity_seconds, "
                                              "f.created_at, f.last_used_at, f.current_token, f.revoked, f.generation");

} // namespace

QByteArray RefreshTokens::tokenFor(const QByteArray &family, qint64 generation, const QByteArray &key)
{
    const QByteArray body = family + '.' + QByteArray::number(generation) + '.' + randomText(16);
    return body + '.' + macOf(body, key);
}

Expected<QByteArray, QString> RefreshTokens::tokenKey() const
{
    QMutexLocker lock(&m_keyMutex);
    if (m_key.isEmpty()) {
        auto key = sharedSecret(*m_database, QStringLiteral("refresh-token-key"));
        if (!key)
            return Unexpected<QString>(key.error());
        m_key = key.value();
    }
    return m_key;
}

Expected<RefreshTokens::Issued, QString> RefreshTokens::start(const RefreshGrant &grant, const RefreshLifetimes &lifetimes)
{
    const qint64 now = m_clock();
    auto key = tokenKey();
    if (!key)
        return Unexpected<QString>(key.error());
    const QByteArray family = randomText(32);
    Issued issued{tokenFor(family, 1, key.value()), family};
    auto stored = m_database->execute(
        QStringLiteral("INSERT INTO refresh_families (id, client_id, subject, audience, scopes, absolute_seconds, inactivity_seconds, "
                       "created_at, last_used_at, current_token, generation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)"),
        {QString::fromLatin1(issued.family), grant.clientId, grant.subject, grant.audience.isNull() ? QStringLiteral("") : grant.audience,
         grant.scopes.join(QLatin1Char(' ')), lifetimes.absoluteSeconds, lifetimes.inactivitySeconds, now, now, fingerprintOf(issued.token)},
        QStringLiteral("cannot store the refresh token"));
    if (!stored)
        return Unexpected<QString>(stored.error());
    return issued;
}

Expected<std::optional<RefreshTokens::Presented>, QString> RefreshTokens::locate(QByteArrayView token) const
{
    const QString fingerprint = fingerprintOf(token);
    std::optional<Described> described;
    if (token.contains('.')) {
        auto key = tokenKey();
        if (!key)
            return Unexpected<QString>(key.error());
        described = readToken(token, key.value());
        if (!described)
            return std::optional<Presented>();
    }
    // A token from before generations is found by its own row; a self-describing one by its family's.
    auto query = described ? m_database->execute(QStringLiteral("SELECT %1 FROM refresh_families f WHERE f.id = ?").arg(kFamilyColumns),
                                                 {QString::fromLatin1(described->family)}, QStringLiteral("cannot read the refresh token"))
                           : m_database->execute(QStringLiteral("SELECT %1 FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family "
                                                                "WHERE t.fingerprint = ?")
                                                     .arg(kFamilyColumns),
                                                 {fingerprint}, QStringLiteral("cannot read the refresh token"));
    if (!query)
        return Unexpected<QString>(query.error());
    if (!query->next())
        return std::optional<Presented>();
    Presented presented;
    Family &family = presented.family;
    family.id = query->value(0).toString().toLatin1();
    family.grant = {query->value(1).toString(), query->value(2).toString(), query->value(3).toString(),
                    query->value(4).toString().split(QLatin1Char(' '), Qt::SkipEmptyParts)};
    family.lifetimes = {query->value(5).toLongLong(), query->value(6).toLongLong()};
    family.createdAt = query->value(7).toLongLong();
    family.lastUsedAt = query->value(8).toLongLong();
    family.current = query->value(9).toString();
    family.revoked = query->value(10).toInt() != 0;
    family.generation = query->value(11).toLongLong();
    presented.current = family.current == fingerprint;
    // Same family and MAC but neither current nor older: a successor that lost its compare-and-set
    // and was never handed out. Nobody can hold it, so it says nothing about the family.
    if (described && !presented.current && described->generation >= family.generation)
        return std::optional<Presented>();
    return std::optional<Presented>(std::move(presented));
}

Expected<RefreshGrant, RefreshTokens::Refusal> RefreshTokens::use(QByteArrayView token, const QString &clientId)
{
    const qint64 now = m_clock();
    auto found = locate(token);
    if (!found)
        return Unexpected<Refusal>(Refusal{found.error(), true});
    if (!found->has_value() || (*found)->family.grant.clientId != clientId)
        return Unexpected<Refusal>(Refusal{QStringLiteral("the refresh token is invalid or was issued to another client")});
    const Family &family = (*found)->family;
    if (family.revoked)
        return Unexpected<Refusal>(Refusal{QStringLiteral("the refresh token was revoked")});
    if (!(*found)->current) {
        // RFC 9700 §4.14.2: a retired token used again was copied; nobody in the family can be trusted.
        revokeFamily(family.id);
        return Unexpected<Refusal>(Refusal{QStringLiteral("the refresh token was already used; every token issued from it is revoked now")});
    }
    if (now >= family.createdAt + family.lifetimes.absoluteSeconds)
        return Unexpected<Refusal>(
            Refusal{QStringLiteral("the refresh token expired (its family is older than %1 seconds); log in again").arg(family.lifetimes.absoluteSeconds)});
    if (now >= family.lastUsedAt + family.lifetimes.inactivitySeconds)
        return Unexpected<Refusal>(
            Refusal{QStringLiteral("the refresh token expired (unused for more than %1 seconds); log in again").arg(family.lifetimes.inactivitySeconds)});
    return family.grant;
}

Expected<RefreshTokens::Issued, RefreshTokens::Refusal> RefreshTokens::rotate(QByteArrayView token)
{
    auto found = locate(token);
    if (!found)
        return Unexpected<Refusal>(Refusal{found.error(), true});
    if (!found->has_value())
        return Unexpected<Refusal>(Refusal{QStringLiteral("the refresh token is invalid or was issued to another client")});
    const Family &family = (*found)->family;
    const QByteArray id = family.id;
    auto key = tokenKey();
    if (!key)
        return Unexpected<Refusal>(Refusal{key.error(), true});
    // The successor is one generation on; the retired token needs no row of its own to be recognised.
    Issued next{tokenFor(id, family.generation + 1, key.value()), id};
    // Compare-and-set: only the request that still holds the current token moves the family on.
    auto rotated = m_database->execute(
        QStringLiteral("UPDATE refresh_families SET current_token = ?, generation = ?, last_used_at = ? WHERE id = ? AND current_token = ? AND revoked = 0"),
        {fingerprintOf(next.token), family.generation + 1, m_clock(), QString::fromLatin1(id), fingerprintOf(token)},
        QStringLiteral("cannot rotate the refresh token"));
    if (!rotated)
        return Unexpected<Refusal>(Refusal{rotated.error(), true});
    if (rotated->numRowsAffected() != 1) {
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
    auto found = locate(token);
    if (!found || !found->has_value())
        return Revocation::Unknown;
    if ((*found)->family.grant.clientId != clientId)
        return Revocation::OtherClient;
    revokeFamily((*found)->family.id);
    return Revocation::Revoked;
}

void RefreshTokens::revokeFamily(const QByteArray &id)
{
    // By family, never token by token: a family refreshed thousands of times has thousands of live
    // access tokens, and one statement per token (each its own commit) held the server for seconds.
    const qint64 now = m_clock();
    const QString family = QString::fromLatin1(id);
    QList<resource::TokenRevocations::Revoked> withdrawn;
    auto revoked = m_database->transaction([&](QSqlDatabase &db) -> Expected<Done, QString> {
        withdrawn.clear();
        auto flip = Database::execute(db, QStringLiteral("UPDATE refresh_families SET revoked = 1 WHERE id = ? AND revoked = 0"), {family},
                                      QStringLiteral("cannot revoke a refresh-token family"));
        if (!flip)
            return Unexpected<QString>(flip.error());
        if (flip->numRowsAffected() != 1)
            return Done{}; // revoked before (its tokens went then) or gone
        // Onto the shared list in one statement, which also hands back what this process's list needs.
        auto shared = Database::execute(db,
                                        QStringLiteral("INSERT INTO revoked_tokens (fingerprint, expires_at) SELECT fingerprint, expires_at "
                                                       "FROM refresh_access_tokens WHERE family = ? AND expires_at > ? RETURNING fingerprint, expires_at"),
                                        {family, now}, QStringLiteral("cannot share the revocation of a family's access tokens"));
        if (!shared)
            return Unexpected<QString>(shared.error());
        while (shared->next())
            withdrawn.append({QByteArray::fromHex(shared->value(0).toString().toLatin1()), shared->value(1).toLongLong()});
        shared->finish(); // read to the end before writing on the same connection
        // On the shared list now; a revoked family issues nothing more.
        auto forgotten = Database::execute(db, QStringLiteral("DELETE FROM refresh_access_tokens WHERE family = ?"), {family},
                                           QStringLiteral("cannot forget a revoked family's access tokens"));
        if (!forgotten)
            return Unexpected<QString>(forgotten.error());
        Database::announce(db, QStringLiteral("revocations")); // the other instances read the list at once, not at their next poll
        return Done{};
    });
    if (!revoked) {
        qCCritical(lcRefresh).noquote() << revoked.error();
        return;
    }
    if (!withdrawn.isEmpty()) {
        m_revokeAccessTokens(withdrawn);
        qCInfo(lcRefresh).noquote() << "refresh-token family revoked with" << withdrawn.size() << "access token(s)";
    }
}

void RefreshTokens::prune()
{
    // A family past either lifetime can never be used again; forget it and its tokens. An access token
    // past its own expiry is refused anyway, so a revocation never needs it: without this, each refresh
    // of a long-lived family left a row for the family's whole lifetime.
    const qint64 now = m_clock();
    auto pruned = m_database->transaction([&](QSqlDatabase &db) -> Expected<Done, QString> {
        auto swept = Database::execute(db, QStringLiteral("DELETE FROM refresh_access_tokens WHERE expires_at <= ?"), {now},
                                       QStringLiteral("cannot forget expired access tokens of refresh-token families"));
        if (!swept)
            return Unexpected<QString>(swept.error());
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
