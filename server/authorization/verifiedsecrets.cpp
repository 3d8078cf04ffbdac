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
    const auto found = m_verified.constFind(clientId);
    if (found == m_verified.constEnd() || secretHash.isEmpty())
        return false;
    return jose::constantTimeEquals(*found, keyed(clientId, secretHash, secret));
}

void VerifiedSecrets::remember(const QString &clientId, const QString &secretHash, const QString &secret)
{
    if (!secretHash.isEmpty())
        m_verified.insert(clientId, keyed(clientId, secretHash, secret));
}

} // namespace organizer::authorization
