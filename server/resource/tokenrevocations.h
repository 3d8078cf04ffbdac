#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QList>

#include <atomic>
#include <QReadWriteLock>

namespace organizer::resource {

// Access tokens withdrawn before they expire: revoked at /oauth/revoke (RFC 7009 §2.1), issued from a
// refresh-token family that was revoked, or from an authorization code presented twice (RFC 6749
// §4.1.2). The bundled APIs and /userinfo refuse them. A JWT cannot be recalled, so this list works
// where the APIs follow the issuer's revocations: in its process, and in every instance sharing its
// database (which copies the shared list in within a second). An entry lives until its token would
// expire. Written by the authorization server's thread, read by every HTTP worker.
//
// A family revocation withdraws thousands of tokens at once while workers keep reading, so adding is
// O(1) per entry: expired entries are swept only when the list has doubled since the last sweep (each
// sweep is paid for by the entries added before it) and on the authorization server's timer, never on
// every insert.
class TokenRevocations
{
public:
    static QByteArray fingerprint(QByteArrayView token); // SHA-256 of the token: no token is kept

    struct Revoked
    {
        QByteArray fingerprint;
        qint64 expiresAt = 0;
    };
    void revoke(const QByteArray &fingerprint, qint64 expiresAt, qint64 now);
    // Many at once, under one lock: readers wait once, not once per token.
    void revokeAll(const QList<Revoked> &tokens, qint64 now);
    bool isRevoked(QByteArrayView token, qint64 now) const;
    // Forgets the entries whose tokens have expired.
    void prune(qint64 now);
    qsizetype size() const
    {
        QReadLocker lock(&m_lock);
        return m_entries.size();
    }
    // Entries looked at by sweeps so far, for tests that bound what adding costs.
    qint64 entriesSwept() const
    {
        QReadLocker lock(&m_lock);
        return m_entriesSwept;
    }

private:
    void pruneLocked(qint64 now);

    mutable QReadWriteLock m_lock;
    std::atomic<bool> m_empty{true}; // read without the lock: the common case costs nothing
    QHash<QByteArray, qint64> m_entries; // fingerprint → the token's exp
    qsizetype m_sizeAfterSweep = 0;
    qint64 m_entriesSwept = 0;
};

} // namespace organizer::resource
