#pragma once

#include <QByteArray>
#include <QHash>
#include <QReadWriteLock>
#include <QString>

namespace organizer::authorization {

// Client secrets this process has already checked with the slow KDF, so a machine-to-machine client
// that presents its right secret again pays one HMAC instead of 600,000 PBKDF2 rounds (CI jobs fetch
// tokens from many runners at once). Kept as HMAC-SHA256 under a random key made at start, never as the
// secret; one per client ID (Auth0 clients have one secret). The stored secret hash is part of what is
// keyed, so a client whose secret changes no longer matches its old entry. Safe to use from any thread.
class VerifiedSecrets
{
public:
    VerifiedSecrets();

    bool matches(const QString &clientId, const QString &secretHash, const QString &secret) const;
    void remember(const QString &clientId, const QString &secretHash, const QString &secret);
    void forget(const QString &clientId)
    {
        QWriteLocker lock(&m_lock);
        m_verified.remove(clientId);
    }
    void clear()
    {
        QWriteLocker lock(&m_lock);
        m_verified.clear();
    }
    qsizetype size() const
    {
        QReadLocker lock(&m_lock);
        return m_verified.size();
    }

private:
    QByteArray keyed(const QString &clientId, const QString &secretHash, const QString &secret) const;

    QByteArray m_key;
    mutable QReadWriteLock m_lock;
    QHash<QString, QByteArray> m_verified; // client ID → keyed hash of the secret last verified
};

} // namespace organizer::authorization
