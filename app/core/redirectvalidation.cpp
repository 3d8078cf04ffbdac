#include "redirectvalidation.h"

#include "base64url.h"
#include "constanttime.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

namespace organizer::app {

namespace {

Unexpected<LoginError> reject(LoginError::Kind kind, const QString &message, const QString &detail = {})
{
    return Unexpected<LoginError>(LoginError{kind, message, detail.isEmpty() ? message : detail, {}});
}

QString param(const FormData &q, const char *name)
{
    return q.value(QString::fromLatin1(name));
}

QJsonObject decodePart(const QByteArray &token, int index)
{
    const QList<QByteArray> parts = token.split('.');
    if (parts.size() != 3)
        return {};
    return QJsonDocument::fromJson(jose::base64UrlDecode(parts.at(index)).value_or(QByteArray())).object();
}

} // namespace

FormData redirectParameters(const QUrl &redirect)
{
    return FormData::parse((redirect.hasFragment() ? redirect.fragment(QUrl::FullyEncoded) : redirect.query(QUrl::FullyEncoded)).toLatin1());
}

QString describeProviderError(const QString &error, const QString &description)
{
    QString sentence;
    if (error == QLatin1String("access_denied"))
        sentence = QStringLiteral("Access was denied");
    else if (error == QLatin1String("login_required"))
        sentence = QStringLiteral("You need to log in");
    else if (error == QLatin1String("consent_required"))
        sentence = QStringLiteral("Consent is needed for these scopes");
    else if (error == QLatin1String("invalid_scope"))
        sentence = QStringLiteral("A requested scope is not valid");
    else if (error == QLatin1String("unauthorized_client"))
        sentence = QStringLiteral("This application may not use this flow");
    else
        sentence = QStringLiteral("The authorization server refused the login (%1)").arg(error);
    return description.isEmpty() ? sentence + QLatin1Char('.') : QStringLiteral("%1: %2").arg(sentence, description);
}

std::optional<LoginError> checkAuthorizationResponse(const FormData &parameters, const ExpectedLogin &expected)
{
    // RFC 6749 §4.1.2.1 / §4.2.2.1: an error response may still carry state; it is reported as is.
    const QString error = param(parameters, "error");
    if (!error.isEmpty()) {
        LoginError failure{LoginError::Kind::ProviderError, describeProviderError(error, param(parameters, "error_description")), {}, error};
        failure.detail = QStringLiteral("error=%1 error_description=%2").arg(error, param(parameters, "error_description"));
        return failure;
    }
    const QString state = param(parameters, "state");
    if (state.isEmpty())
        return LoginError{LoginError::Kind::MissingState, QStringLiteral("The login answer has no state; it was not started by this app."), {}, {}};
    if (!constantTimeEquals(state.toUtf8(), expected.state.toUtf8()))
        return LoginError{
            LoginError::Kind::StateMismatch, QStringLiteral("The login answer belongs to another login attempt (state mismatch); it was ignored."), {}, {}};
    return std::nullopt;
}

Expected<LoginResult, LoginError> validateTokenResponse(const FormData &parameters, const ExpectedLogin &expected, const jose::JwkSet &keys,
                                                        bool expectAccessToken, bool requireAtHash, const Clock &clock)
{
    if (auto failure = checkAuthorizationResponse(parameters, expected))
        return Unexpected<LoginError>(*failure);

    LoginResult result;
    result.accessToken = param(parameters, "access_token").toLatin1();
    result.idToken = param(parameters, "id_token").toLatin1();
    result.refreshToken = param(parameters, "refresh_token").toLatin1();
    if (result.idToken.isEmpty())
        return reject(LoginError::Kind::MissingToken, QStringLiteral("The login answer has no ID token."));
    if (expectAccessToken && result.accessToken.isEmpty())
        return reject(LoginError::Kind::MissingToken, QStringLiteral("The login answer has no access token."));

    // ID token: RS256 only, key by kid from the issuer's JWKS, iss exact, aud = our client_id, exp.
    const jose::JwtVerifier verifier({expected.issuer, expected.clientId, 60}, clock);
    auto verified = verifier.verify(result.idToken, keys);
    if (!verified) {
        LoginError error{LoginError::Kind::InvalidIdToken, QStringLiteral("The ID token was rejected: %1.").arg(verified.error().description), {}, {}};
        error.detail = error.message;
        error.unknownSigningKey = verified.error().code == jose::ErrorCode::UnknownKeyId;
        return Unexpected<LoginError>(error);
    }
    const QString nonce = verified->claims.value(QLatin1String("nonce")).toString();
    if (nonce.isEmpty() || !constantTimeEquals(nonce.toUtf8(), expected.nonce.toUtf8()))
        return reject(LoginError::Kind::NonceMismatch, QStringLiteral("The ID token's nonce does not match this login (a replayed token?)."));

    if (!result.accessToken.isEmpty()) {
        const QString atHash = verified->claims.value(QLatin1String("at_hash")).toString();
        if (atHash.isEmpty() && requireAtHash)
            return reject(LoginError::Kind::AtHashMismatch, QStringLiteral("The ID token has no at_hash, so the access token cannot be tied to it."));
        if (!atHash.isEmpty()) {
            // OpenID Connect Core §3.2.2.9: base64url of the left half of SHA-256 of the access token.
            const QByteArray digest = QCryptographicHash::hash(result.accessToken, QCryptographicHash::Sha256);
            const QByteArray computed = jose::base64UrlEncode(digest.left(digest.size() / 2));
            if (!constantTimeEquals(computed, atHash.toLatin1()))
                return reject(LoginError::Kind::AtHashMismatch, QStringLiteral("The access token does not belong to the ID token (at_hash mismatch)."));
        }
    }

    result.idTokenHeader = verified->header;
    result.idTokenClaims = verified->claims;
    result.requestedScopes = expected.requestedScopes;
    // RFC 6749 §5.1: scope is only required when it differs from the request; absent means as requested.
    result.grantedScopes = parameters.contains(u"scope") ? param(parameters, "scope").split(QLatin1Char(' '), Qt::SkipEmptyParts) : expected.requestedScopes;
    if (!result.accessToken.isEmpty()) {
        result.accessTokenHeader = decodePart(result.accessToken, 0);
        result.accessTokenClaims = decodePart(result.accessToken, 1);
        // The API is the judge of its token; the inspector still shows whether it verifies against the
        // issuer's keys, for an API this login asked for (never one the token names for itself).
        jose::JwtPolicy policy = jose::JwtPolicy::issuedHere(expected.issuer, 60);
        if (!expected.audiences.isEmpty()) {
            policy.anyAudience = false;
            policy.audiences = expected.audiences;
        }
        result.accessTokenSignatureValid = bool(jose::JwtVerifier(policy, clock).verify(result.accessToken, keys));
    }
    const qint64 expiresIn = param(parameters, "expires_in").toLongLong();
    result.expiresAt = clock() + (expiresIn > 0 ? expiresIn : 3600);
    return result;
}

} // namespace organizer::app
