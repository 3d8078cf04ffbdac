#include "tokenrevocations.h"

#include <QCryptographicHash>

#include <algorithm>

namespace organizer::resource {

namespace {

// Below this many entries a sweep is not worth taking the lock for longer.
constexpr qsizetype kSmallestSweep = 1024;

} // namespace

QByteArray TokenRevocations::fingerprint(QByteArrayView token)
{
    return QCryptographicHash::hash(token, QCryptographicHash::Sha256);
}

void TokenRevocations::revoke(const QByteArray &fingerprint, qint64 expiresAt, qint64 now)
{
    revokeAll({Revoked{fingerprint, expiresAt}}, now);
}

void TokenRevocations::revokeAll(const QList<Revoked> &tokens, qint64 now)
{
    QWriteLocker lock(&m_lock);
    for (const Revoked &token : tokens) {
        if (token.expiresAt > now) // expired tokens are refused anyway
            m_entries.insert(token.fingerprint, token.expiresAt);
    }
    if (m_entries.isEmpty())
        return;
    m_empty = false;
    // Amortised: a sweep of n entries happens only after at least n/2 were added since the last one.
    if (m_entries.size() >= std::max(kSmallestSweep, 2 * m_sizeAfterSweep))
        pruneLocked(now);
}

void TokenRevocations::prune(qint64 now)
{
    QWriteLocker lock(&m_lock);
    pruneLocked(now);
}

void TokenRevocations::pruneLocked(qint64 now)
{
    m_entriesSwept += m_entries.size();
    m_entries.removeIf([now](const auto &entry) { return entry.value() <= now; });
    m_sizeAfterSweep = m_entries.size();
    m_empty = m_entries.isEmpty();
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

} // namespace organizer::resource
