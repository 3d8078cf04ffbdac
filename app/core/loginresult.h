#pragma once

#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <QUrl>

namespace organizer::app {

// Why a login did not produce tokens. `message` is one sentence for the person; `detail` is for the log.
struct LoginError
{
    enum class Kind {
        ProviderError, // the authorization server answered with error=… (e.g. access_denied)
        MissingState,
        StateMismatch,
        MissingToken,
        InvalidIdToken, // signature, issuer, audience, expiry, kid
        NonceMismatch,
        AtHashMismatch,
        Network,
        Cancelled,
        Timeout,
        Configuration,
    };
    Kind kind = Kind::ProviderError;
    QString message;
    QString detail;
    QString providerError; // the RFC 6749 error code when kind == ProviderError
    bool unknownSigningKey = false; // the ID token names a kid the provider's JWKS (as we read it) lacks
};

// What a successful login leaves in memory (never on disk).
struct LoginResult
{
    QByteArray accessToken;
    QByteArray idToken;
    QByteArray refreshToken;
    QJsonObject idTokenHeader;
    QJsonObject idTokenClaims; // verified
    QJsonObject accessTokenHeader;
    QJsonObject accessTokenClaims; // decoded for display; the API verifies it
    bool accessTokenSignatureValid = false;
    QStringList requestedScopes;
    QStringList grantedScopes;
    qint64 expiresAt = 0; // seconds since the epoch

    // Who logged in, for people: the ID token's name, else its subject.
    QString displayName() const { return idTokenClaims.value(QLatin1String("name")).toString(idTokenClaims.value(QLatin1String("sub")).toString()); }
    // The key the ID token was signed with (its header's kid).
    QString idTokenKeyId() const { return idTokenHeader.value(QLatin1String("kid")).toString(); }
};

// What the client expects back from this login (OpenID Connect Core §3.2.2.11 / §3.1.3.7).
struct ExpectedLogin
{
    QString issuer;
    QString clientId;
    QString state;
    QString nonce;
    QStringList requestedScopes;
    // The APIs the access token was asked for (the audience and resource parameters sent). Empty: the
    // provider chose (Auth0's default audience), and the access token is checked as issued by it.
    QStringList audiences;
};

} // namespace organizer::app
