#include "accesstokenverifier.h"

#include <QThread>

namespace organizer::server {

AccessTokenVerifier::AccessTokenVerifier(IssuerKeys *issuerKeys, Settings settings, jose::Clock clock)
    : m_issuerKeys(issuerKeys), m_settings(std::move(settings)), m_clock(std::move(clock)), m_cache(m_settings.cacheCapacity)
{
}

jose::Result<jose::VerifiedJwt> AccessTokenVerifier::verifyNow(const QByteArray &token) const
{
    if (!m_issuerKeys || m_issuerKeys->issuer().isEmpty())
        return jose::fail(jose::ErrorCode::UnknownKeyId, QStringLiteral("the issuer's metadata is not available yet"));
    const jose::JwtVerifier verifier({m_issuerKeys->issuer(), m_settings.audience, m_settings.leewaySeconds}, m_clock);
    return verifier.verify(token, m_issuerKeys->keys());
}

bool AccessTokenVerifier::keysMayBeStale(const jose::Error &error)
{
    // A new kid (key rotation at the issuer) or a signature that fails with the key we hold under that
    // kid could both be fixed by fresh keys; nothing else can.
    return error.code == jose::ErrorCode::UnknownKeyId || error.code == jose::ErrorCode::AmbiguousKey;
}

void AccessTokenVerifier::verify(const QByteArray &token, Completion done)
{
    const qint64 now = m_clock();
    if (m_revocations && m_revocations->isRevoked(token, now)) {
        done(jose::fail(jose::ErrorCode::Revoked, QStringLiteral("the token has been revoked")));
        return;
    }
    if (const std::optional<jose::VerifiedJwt> cached = m_cache.find(token, now, m_settings.leewaySeconds)) {
        // A withdrawn key takes its tokens with it: a cached verdict counts only while the key that
        // signed the token is still published (bundled keys and --authority keys alike).
        if (m_issuerKeys && m_issuerKeys->keys().find(cached->keyId) != nullptr) {
            done(*cached);
            return;
        }
        m_cache.remove(token);
    }
    auto result = verifyNow(token);
    if (result) {
        m_cache.insert(token, result.value(), now, m_settings.leewaySeconds);
        done(result);
        return;
    }
    if (!keysMayBeStale(result.error()) || !m_issuerKeys) {
        done(result);
        return;
    }
    // The keys are fetched on their own thread; the verdict is given there.
    auto refresh = [this, token, done, result, onKeysThread = QThread::currentThread() == m_issuerKeys->thread()] {
        if (!onKeysThread) {
            // Keys may have arrived between this worker's attempt and now: try them before a refetch.
            if (auto retried = verifyNow(token)) {
                m_cache.insert(token, retried.value(), m_clock(), m_settings.leewaySeconds);
                done(retried);
                return;
            }
        }
        const bool refreshing = m_issuerKeys->refresh([this, token, done] {
            auto retried = verifyNow(token);
            if (retried)
                m_cache.insert(token, retried.value(), m_clock(), m_settings.leewaySeconds);
            done(retried);
        });
        if (!refreshing)
            done(result);
    };
    if (QThread::currentThread() == m_issuerKeys->thread())
        refresh();
    else
        QMetaObject::invokeMethod(m_issuerKeys, std::move(refresh), Qt::QueuedConnection);
}

} // namespace organizer::server
