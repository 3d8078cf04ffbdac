#include "verifiedsecrets.h"

#include "constanttime.h"

#include <QMessageAuthenticationCode>
#include <QRandomGenerator>

namespace organizer::authorization {

VerifiedSecrets::VerifiedSecrets() : m_key(32, Qt::Uninitialized)
{
    QRandomGenerator::system()->generate(reinterpret_cast<quint32 *>(m_key.data()), reinterpret_cast<quint32 *>(m_key.data() + m_key.size()));
}

QByteArray VerifiedSecrets::keyed(const QString &clientId, const QString &secretHash, const QString &secret) const
{
    QMessageAuthenticationCode mac(QCryptographicHash::Sha256, m_key);
    // Lengths first, so no two different triples are ever fed as the same bytes.
    for (const QString &part : {clientId, secretHash, secret}) {
        const QByteArray bytes = part.toUtf8();
        mac.addData(QByteArray::number(bytes.size()) + ':');
        mac.addData(bytes);
    }
    return mac.result();
}

bool VerifiedSecrets::matches(const QString &clientId, const QString &secretHash, const QString &secret) const
{
    if (secretHash.isEmpty())
        return false;
    QByteArray verified;
    {
        QReadLocker lock(&m_lock);
        verified = m_verified.value(clientId);
    }
    // The HMAC outside the lock: concurrent checks of one client do not wait for one another.
    return !verified.isEmpty() && constantTimeEquals(verified, keyed(clientId, secretHash, secret));
}

void VerifiedSecrets::remember(const QString &clientId, const QString &secretHash, const QString &secret)
{
    if (secretHash.isEmpty())
        return;
    const QByteArray entry = keyed(clientId, secretHash, secret);
    QWriteLocker lock(&m_lock);
    m_verified.insert(clientId, entry);
}

} // namespace organizer::authorization
