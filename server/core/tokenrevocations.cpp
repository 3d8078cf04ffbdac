#include "tokenrevocations.h"

#include <QCryptographicHash>

namespace organizer::server {

QByteArray TokenRevocations::fingerprint(QByteArrayView token)
{
    return QCryptographicHash::hash(token, QCryptographicHash::Sha256);
}

void TokenRevocations::revoke(const QByteArray &fingerprint, qint64 expiresAt, qint64 now)
{
    if (expiresAt <= now)
        return; // expired tokens are refused anyway
    QWriteLocker lock(&m_lock);
    m_entries.removeIf([now](const auto &entry) { return entry.value() <= now; });
    m_entries.insert(fingerprint, expiresAt);
    m_empty = false;
}

bool TokenRevocations::isRevoked(QByteArrayView token, qint64 now) const
{
    if (m_empty.load(std::memory_order_acquire))
        return false; // the common case costs nothing
    const QByteArray key = fingerprint(token);
    QReadLocker lock(&m_lock);
    const auto it = m_entries.constFind(key);
    return it != m_entries.cend() && it.value() > now;
}

} // namespace organizer::server
