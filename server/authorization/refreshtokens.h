#pragma once

#include "database.h"
#include "expected.h"
#include "jwtverifier.h"
#include "tokenrevocations.h"

#include <functional>
#include <memory>
#include <QStringList>

namespace organizer::authorization {

// What a refresh token stands for: one user's grant to one client for one API.
struct RefreshGrant
{
    QString clientId;
    QString subject;
    QString audience;
    QStringList scopes;
};

struct RefreshLifetimes
{
    qint64 absoluteSeconds = 2'592'000; // from the first token of the family (Auth0's default: 30 days)
    qint64 inactivitySeconds = 1'296'000; // since the family was last used (15 days)
};

// Refresh tokens as families (RFC 9700 §4.14.2): each use returns a new token and retires the old
// one; presenting a retired token again means it was copied, so the whole family is revoked, and
// with it every access token the family issued. Families expire after an absolute lifetime and after
// a time without use. Only fingerprints (SHA-256) of tokens are kept, in the server's database: a
// rotation is a compare-and-set on the family's current token, so two instances handed the same
// token at once cannot both rotate it (the loser sees a reuse and revokes the family).
class RefreshTokens
{
public:
    using RevokeAccessToken = std::function<void(const QByteArray &fingerprint, qint64 expiresAt)>;
    RefreshTokens(std::shared_ptr<store::Database> database, RevokeAccessToken revokeAccessToken, jose::Clock clock)
        : m_database(std::move(database)), m_revokeAccessToken(std::move(revokeAccessToken)), m_clock(std::move(clock))
    {}

    struct Issued
    {
        QByteArray token;
        QByteArray family;
    };
    // Why a token cannot be used: the client's fault (invalid_grant, `reason` says why), or the
    // database's (`unavailable`: try again; `reason` is for the log only).
    struct Refusal
    {
        QString reason;
        bool unavailable = false;
    };
    Expected<Issued, QString> start(const RefreshGrant &grant, const RefreshLifetimes &lifetimes);

    // The grant `token` stands for if `clientId` may use it now, or why not; a retired token coming
    // back revokes its whole family. Nothing is rotated yet: the caller checks the request first.
    Expected<RefreshGrant, Refusal> use(QByteArrayView token, const QString &clientId);
    // Retires `token` (which use() accepted) and returns its successor; fails when another request
    // rotated it in the meantime, which counts as reuse.
    Expected<Issued, Refusal> rotate(QByteArrayView token);

    // An access token issued from `family`, so revoking the family can take it along.
    void noteAccessToken(const QByteArray &family, const QByteArray &fingerprint, qint64 expiresAt);

    enum class Revocation { Revoked, Unknown, OtherClient };
    // RFC 7009: revokes the family `token` belongs to.
    Revocation revoke(QByteArrayView token, const QString &clientId);
    void revokeFamily(const QByteArray &family);

    // Forgets families past either lifetime.
    void prune();

private:
    struct Family
    {
        QByteArray id;
        RefreshGrant grant;
        RefreshLifetimes lifetimes;
        qint64 createdAt = 0;
        qint64 lastUsedAt = 0;
        QString current; // fingerprint (hex) of the only token that may be used now
        bool revoked = false;
    };
    // The family `token` belongs to (current or retired), if any.
    Expected<std::optional<Family>, QString> familyOf(QByteArrayView token) const;
    static QByteArray newToken();

    std::shared_ptr<store::Database> m_database;
    RevokeAccessToken m_revokeAccessToken;
    jose::Clock m_clock;
};

} // namespace organizer::authorization
