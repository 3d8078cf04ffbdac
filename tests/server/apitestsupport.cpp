#include "apitestsupport.h"

#include "jws.h"

#include <QDateTime>
#include <QDir>
#include <QJsonDocument>

namespace organizer::test {

jose::SigningKey activeSigningKey(const QString &dataDir, const std::optional<store::DatabaseLocation> &database, const QString &secretsFile)
{
    const store::DatabaseLocation location = database.value_or(store::DatabaseLocation::sqlite(QDir(dataDir).filePath(QStringLiteral("organizer.sqlite"))));
    auto kek = store::keyEncryptionKeyFor(secretsFile, dataDir, location);
    if (!kek)
        qFatal("%s", qPrintable(kek.error()));
    auto opened = store::Database::open(location);
    if (!opened)
        qFatal("%s", qPrintable(opened.error()));
    auto keys = store::StoredSigningKeys::open(opened.value(), kek.value(), QString());
    if (!keys)
        qFatal("%s", qPrintable(keys.error()));
    return (*keys)->activeKey();
}

TokenFactory::TokenFactory(const QString &dataDir, QString issuer)
    : m_key(activeSigningKey(dataDir)), m_otherKey(jose::RsaKey::generate(2048).value()), m_issuer(std::move(issuer))
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
    return jose::signCompactJws(header, QJsonDocument(claimSet).toJson(QJsonDocument::Compact), m_key.key, m_key.kid).value();
}

QByteArray TokenFactory::signedByOtherKey(const QString &scope) const
{
    return jose::signCompactJws({}, QJsonDocument(claims(scope)).toJson(QJsonDocument::Compact), m_otherKey, m_key.kid).value();
}

} // namespace organizer::test
