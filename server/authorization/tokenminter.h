#pragma once

#include "jwtverifier.h"
#include "signingkeystore.h"
#include "tenant.h"

namespace organizer::authorization {

// Mints the tokens of the bundled issuer: access tokens in Auth0's profile (or RFC 9068's) and
// OpenID Connect ID tokens, signed RS256 with the active key.
class TokenMinter
{
public:
    // `activeKey` returns a copy (cheap: the RSA key is shared and immutable): minting runs on any thread
    // while the keys may be reloaded.
    TokenMinter(std::function<jose::SigningKey()> activeKey, Clock clock = systemClock()) : m_activeKey(std::move(activeKey)), m_clock(std::move(clock)) {}

    void setIssuer(const QString &issuer) { m_issuer = issuer; }
    QString issuer() const { return m_issuer; }
    QString userinfoAudience() const { return m_issuer + QStringLiteral("userinfo"); }

    struct AccessToken
    {
        QByteArray token;
        qint64 expiresIn = 0;
    };

    // `api` null: a token for /userinfo only (an /authorize request without an audience).
    // `grantType`: Auth0's `gty` claim for a user's token from a grant Auth0 names in it ("password");
    // a machine-to-machine token always says "client-credentials".
    jose::Result<AccessToken> accessToken(const Api *api, const QString &subject, const QString &clientId, const QStringList &scopes, bool machineToMachine,
                                          const QString &grantType = {}) const;

    // An access token with its claims decided, not yet signed: a plain value that signs on any thread
    // (an EVP_PKEY may sign concurrently), so busy token endpoints use every core for RS256.
    struct UnsignedAccessToken
    {
        QJsonObject header;
        QByteArray payload;
        jose::SigningKey key;
        qint64 expiresIn = 0;

        jose::Result<AccessToken> sign() const;
    };
    UnsignedAccessToken prepareAccessToken(const Api *api, const QString &subject, const QString &clientId, const QStringList &scopes, bool machineToMachine,
                                           const QString &grantType = {}) const;

    struct IdTokenClaims
    {
        const User *user = nullptr;
        QString clientId;
        QString nonce;
        QStringList scopes;
        qint64 authTime = 0;
        QByteArray accessToken; // for at_hash; empty when none is issued with it
        QString code; // for c_hash in hybrid flows; unused for now
        qint64 lifetime = kDefaultIdTokenLifetime; // the client's (Client::idTokenLifetime)
    };
    jose::Result<QByteArray> idToken(const IdTokenClaims &claims) const;

    qint64 now() const { return m_clock(); }

private:
    std::function<jose::SigningKey()> m_activeKey;
    Clock m_clock;
    QString m_issuer;
};

// OpenID Connect Core §3.2.2.9: base64url of the left half of SHA-256 of the access token.
QByteArray accessTokenHash(const QByteArray &accessToken);

// The profile/email claims a scope set releases (ID token and /userinfo).
QJsonObject userClaims(const User &user, const QStringList &scopes);

} // namespace organizer::authorization
