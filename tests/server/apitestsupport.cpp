#include "apitestsupport.h"

#include "jws.h"

#include <QDateTime>
#include <QDir>
#include <QJsonDocument>

namespace organizer::test {

TokenFactory::TokenFactory(const QString &dataDir, QString issuer)
    : m_keys(jose::SigningKeyStore::open(QDir(dataDir).filePath(QStringLiteral("keys"))).value()), m_otherKey(jose::RsaKey::generate(2048).value()),
      m_issuer(std::move(issuer))
{}

QJsonObject TokenFactory::claims(const QString &scope) const
{
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    return QJsonObject{{QStringLiteral("iss"), m_issuer},
                       {QStringLiteral("sub"), QStringLiteral("auth0|tester")},
                       {QStringLiteral("aud"), QStringLiteral("organize")},
                       {QStringLiteral("iat"), now},
                       {QStringLiteral("exp"), now + 600},
                       {QStringLiteral("scope"), scope}};
}

QByteArray TokenFactory::token(const QString &scope, const QString &subject) const
{
    QJsonObject claimSet = claims(scope);
    claimSet.insert(QStringLiteral("sub"), subject);
    return token(claimSet);
}

QByteArray TokenFactory::token(const QJsonObject &claimSet, const QJsonObject &header) const
{
    const jose::SigningKey &key = m_keys.activeKey();
    return jose::signCompactJws(header, QJsonDocument(claimSet).toJson(QJsonDocument::Compact), key.key, key.kid).value();
}

QByteArray TokenFactory::signedByOtherKey(const QString &scope) const
{
    return jose::signCompactJws({}, QJsonDocument(claims(scope)).toJson(QJsonDocument::Compact), m_otherKey, m_keys.activeKey().kid).value();
}

} // namespace organizer::test
