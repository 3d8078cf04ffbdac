#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>

#include <atomic>
#include <QReadWriteLock>

namespace organizer::server {

// Access tokens withdrawn before they expire: revoked at /oauth/revoke (RFC 7009 §2.1), issued from a
// refresh-token family that was revoked, or from an authorization code presented twice (RFC 6749
// §4.1.2). The bundled APIs and /userinfo refuse them. A JWT cannot be recalled, so this list works
// where the APIs follow the issuer's revocations: in its process, and in every instance sharing its
// database (which copies the shared list in within a second). An entry lives until its token would
// expire. Written by the authorization server's thread, read by every HTTP worker.
class TokenRevocations
{
public:
    static QByteArray fingerprint(QByteArrayView token); // SHA-256 of the token: no token is kept

    void revoke(const QByteArray &fingerprint, qint64 expiresAt, qint64 now);
    bool isRevoked(QByteArrayView token, qint64 now) const;
    qsizetype size() const
    {
        QReadLocker lock(&m_lock);
        return m_entries.size();
    }

private:
    mutable QReadWriteLock m_lock;
    std::atomic<bool> m_empty{true}; // read without the lock: the common case costs nothing
    QHash<QByteArray, qint64> m_entries; // fingerprint → the token's exp
};

} // namespace organizer::server
