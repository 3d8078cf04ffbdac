#pragma once

#include "expected.h"
#include "jwtverifier.h"
#include "tokenrevocations.h"

#include <QHash>
#include <QSet>
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
// a time without use. Only fingerprints (SHA-256) of tokens are kept.
class RefreshTokens
{
public:
    RefreshTokens(server::TokenRevocations *revocations, jose::Clock clock) : m_revocations(revocations), m_clock(std::move(clock)) {}

    struct Issued
    {
        QByteArray token;
        QByteArray family;
    };
    Issued start(const RefreshGrant &grant, const RefreshLifetimes &lifetimes);

    // The grant `token` stands for if `clientId` may use it now, or why not; a retired token coming
    // back revokes its whole family. Nothing is rotated yet: the caller checks the request first.
    Expected<RefreshGrant, QString> use(QByteArrayView token, const QString &clientId);
    // Retires `token` (which use() accepted) and returns its successor.
    Issued rotate(QByteArrayView token);

    // An access token issued from `family`, so revoking the family can take it along.
    void noteAccessToken(const QByteArray &family, const QByteArray &fingerprint, qint64 expiresAt);

    enum class Revocation { Revoked, Unknown, OtherClient };
    // RFC 7009: revokes the family `token` belongs to.
    Revocation revoke(QByteArrayView token, const QString &clientId);
    void revokeFamily(const QByteArray &family);

private:
    struct Family
    {
        RefreshGrant grant;
        RefreshLifetimes lifetimes;
        qint64 createdAt = 0;
        qint64 lastUsedAt = 0;
        QByteArray current; // fingerprint of the only token that may be used now
        QList<QByteArray> retired;
        QHash<QByteArray, qint64> accessTokens; // fingerprint → exp
        bool revoked = false;
    };
    void prune(qint64 now);
    static QByteArray newToken();

    QHash<QByteArray, Family> m_families; // by family id
    QHash<QByteArray, QByteArray> m_tokens; // token fingerprint → family id (current and retired)
    server::TokenRevocations *m_revocations;
    jose::Clock m_clock;
};

} // namespace organizer::authorization
