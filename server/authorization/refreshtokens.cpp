#include "refreshtokens.h"

#include "base64url.h"

#include <QRandomGenerator>

namespace organizer::authorization {

QByteArray RefreshTokens::newToken()
{
    QByteArray bytes(32, Qt::Uninitialized);
    QRandomGenerator::system()->generate(reinterpret_cast<quint32 *>(bytes.data()), reinterpret_cast<quint32 *>(bytes.data() + bytes.size()));
    return jose::base64UrlEncode(bytes);
}

RefreshTokens::Issued RefreshTokens::start(const RefreshGrant &grant, const RefreshLifetimes &lifetimes)
{
    const qint64 now = m_clock();
    prune(now);
    Issued issued{newToken(), newToken()};
    Family family;
    family.grant = grant;
    family.lifetimes = lifetimes;
    family.createdAt = now;
    family.lastUsedAt = now;
    family.current = server::TokenRevocations::fingerprint(issued.token);
    m_tokens.insert(family.current, issued.family);
    m_families.insert(issued.family, std::move(family));
    return issued;
}

Expected<RefreshGrant, QString> RefreshTokens::use(QByteArrayView token, const QString &clientId)
{
    const qint64 now = m_clock();
    const QByteArray fingerprint = server::TokenRevocations::fingerprint(token);
    const auto found = m_tokens.constFind(fingerprint);
    const auto family = found == m_tokens.cend() ? m_families.constEnd() : m_families.constFind(found.value());
    if (family == m_families.cend() || family->grant.clientId != clientId)
        return Unexpected<QString>(QStringLiteral("the refresh token is invalid or was issued to another client"));
    if (family->revoked)
        return Unexpected<QString>(QStringLiteral("the refresh token was revoked"));
    if (family->current != fingerprint) {
        // RFC 9700 §4.14.2: a retired token used again was copied; nobody in the family can be trusted.
        revokeFamily(found.value());
        return Unexpected<QString>(QStringLiteral("the refresh token was already used; every token issued from it is revoked now"));
    }
    if (now >= family->createdAt + family->lifetimes.absoluteSeconds)
        return Unexpected<QString>(
            QStringLiteral("the refresh token expired (its family is older than %1 seconds); log in again").arg(family->lifetimes.absoluteSeconds));
    if (now >= family->lastUsedAt + family->lifetimes.inactivitySeconds)
        return Unexpected<QString>(
            QStringLiteral("the refresh token expired (unused for more than %1 seconds); log in again").arg(family->lifetimes.inactivitySeconds));
    return family->grant;
}

RefreshTokens::Issued RefreshTokens::rotate(QByteArrayView token)
{
    const QByteArray id = m_tokens.value(server::TokenRevocations::fingerprint(token));
    auto family = m_families.find(id);
    Issued next{newToken(), id};
    family->retired.append(family->current);
    family->current = server::TokenRevocations::fingerprint(next.token);
    family->lastUsedAt = m_clock();
    m_tokens.insert(family->current, id);
    return next;
}

void RefreshTokens::noteAccessToken(const QByteArray &family, const QByteArray &fingerprint, qint64 expiresAt)
{
    if (auto it = m_families.find(family); it != m_families.end())
        it->accessTokens.insert(fingerprint, expiresAt);
}

RefreshTokens::Revocation RefreshTokens::revoke(QByteArrayView token, const QString &clientId)
{
    const auto found = m_tokens.constFind(server::TokenRevocations::fingerprint(token));
    if (found == m_tokens.cend() || !m_families.contains(found.value()))
        return Revocation::Unknown;
    if (m_families.value(found.value()).grant.clientId != clientId)
        return Revocation::OtherClient;
    revokeFamily(found.value());
    return Revocation::Revoked;
}

void RefreshTokens::revokeFamily(const QByteArray &id)
{
    auto family = m_families.find(id);
    if (family == m_families.end())
        return;
    family->revoked = true;
    const qint64 now = m_clock();
    for (auto it = family->accessTokens.cbegin(); it != family->accessTokens.cend(); ++it)
        m_revocations->revoke(it.key(), it.value(), now);
}

void RefreshTokens::prune(qint64 now)
{
    // A family past either lifetime can never be used again; forget it and its tokens.
    if (m_families.size() < 1000)
        return;
    QList<QByteArray> gone;
    for (auto it = m_families.cbegin(); it != m_families.cend(); ++it) {
        const Family &family = it.value();
        if (now >= family.createdAt + family.lifetimes.absoluteSeconds || now >= family.lastUsedAt + family.lifetimes.inactivitySeconds)
            gone.append(it.key());
    }
    for (const QByteArray &id : gone) {
        const Family family = m_families.take(id);
        m_tokens.remove(family.current);
        for (const QByteArray &retired : family.retired)
            m_tokens.remove(retired);
    }
}

} // namespace organizer::authorization
