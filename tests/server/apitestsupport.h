#pragma once

#include "serverprocess.h"
#include "signingkeystore.h"
#include "storedsigningkeys.h"
#include "testhttp.h"

#include <QJsonObject>

namespace organizer::test {

// Mints tokens the way the bundled issuer does, with the active key of a test server's database (SQLite in
// its data directory, opened with the data directory's secrets.key), plus deliberate defects (wrong
// issuer, audience, expiry, key) for the rejection cases.
class TokenFactory
{
public:
    TokenFactory(const QString &dataDir, QString issuer);

    QByteArray token(const QString &scope, const QString &subject = QStringLiteral("auth0|tester")) const;
    QByteArray token(const QJsonObject &claims, const QJsonObject &header = {{QStringLiteral("typ"), QStringLiteral("JWT")}}) const;
    QJsonObject claims(const QString &scope) const;
    QByteArray signedByOtherKey(const QString &scope) const;

private:
    jose::SigningKey m_key;
    jose::RsaKey m_otherKey;
    QString m_issuer;
};

// The active signing key of the server whose data directory is `dataDir` (SQLite), or of `database`
// with the key-encryption key in `secretsFile`.
jose::SigningKey activeSigningKey(const QString &dataDir, const std::optional<store::DatabaseLocation> &database = std::nullopt,
                                  const QString &secretsFile = QString());

inline const QString kAllScopes
    = QStringLiteral("read:contacts create:contacts update:contacts delete:contacts read:calendar create:calendar update:calendar delete:calendar");

} // namespace organizer::test
