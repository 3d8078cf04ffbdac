#pragma once

#include "database.h"
#include "expected.h"
#include "jwtverifier.h"
#include "tokenrevocations.h"

#include <functional>
#include <memory>
#include <QMutex>
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
//
// What a refresh loop leaves behind is bounded: a token reads `FAMILY.GENERATION.RANDOM.MAC` (an
// HMAC-SHA256 under a key every instance shares), so a retired token is recognised as "family F,
// generation g below the current one" from the family's row alone, without a row per retired token
// kept for the family's lifetime (30 days by default). Only the current token's fingerprint is
// stored, so the key alone never makes a usable token. Tokens from before (random, listed in
// refresh_tokens) are still recognised. The access tokens a family issued are noted until they
// expire, and no longer: a revocation only needs the ones still usable.
class RefreshTokens
{
public:
    // This process's side of a family revocation (the shared list is written with the family's row).
    using RevokeAccessTokens = std::function<void(const QList<resource::TokenRevocations::Revoked> &tokens)>;
    RefreshTokens(std::shared_ptr<store::Database> database, RevokeAccessTokens revokeAccessTokens, Clock clock)
        : m_database(std::move(database)), m_revokeAccessTokens(std::move(revokeAccessTokens)), m_clock(std::move(clock))
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
    // Marks the family revoked and puts every unexpired access token it issued on the shared list, in
    // one transaction of a fixed number of statements however many tokens that is; then on this
    // process's list, under one lock. A family revoked already is left as it is.
    void revokeFamily(const QByteArray &family);

    // Forgets families past either lifetime, and access tokens past their own.
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
        qint64 generation = 0; // of the current token; 0 for a family from before generations
        bool revoked = false;
    };
    struct Presented
    {
        Family family;
        bool current = false; // false: a retired token of the family
    };
    // The family `token` belongs to (current or retired), if any.
    Expected<std::optional<Presented>, QString> locate(QByteArrayView token) const;
    // The key every instance MACs refresh tokens with, read from the database once.
    Expected<QByteArray, QString> tokenKey() const;
    static QByteArray tokenFor(const QByteArray &family, qint64 generation, const QByteArray &key);

    std::shared_ptr<store::Database> m_database;
    RevokeAccessTokens m_revokeAccessTokens;
    Clock m_clock;
    mutable QMutex m_keyMutex;
    mutable QByteArray m_key;
};

} // namespace organizer::authorization
