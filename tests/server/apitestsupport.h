#pragma once

#include "serverprocess.h"
#include "signingkeystore.h"
#include "testhttp.h"

#include <QJsonObject>

namespace organizer::test {

// Mints tokens the way the bundled issuer does, with the key a test server wrote to its data directory,
// plus deliberate defects (wrong issuer, audience, expiry, key) for the rejection cases.
class TokenFactory
{
public:
    TokenFactory(const QString &dataDir, QString issuer);

    QByteArray token(const QString &scope, const QString &subject = QStringLiteral("auth0|tester")) const;
    QByteArray token(const QJsonObject &claims, const QJsonObject &header = {{QStringLiteral("typ"), QStringLiteral("JWT")}}) const;
    QJsonObject claims(const QString &scope) const;
    QByteArray signedByOtherKey(const QString &scope) const;

private:
    jose::SigningKeyStore m_keys;
    jose::RsaKey m_otherKey;
    QString m_issuer;
};

inline const QString kAllScopes
    = QStringLiteral("read:contacts create:contacts update:contacts delete:contacts read:calendar create:calendar update:calendar delete:calendar");

} // namespace organizer::test
