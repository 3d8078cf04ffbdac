#include "authorizationcodegrant.h"

#include "base64url.h"
#include "tokenresponse.h"
#include "tokenrevocations.h"

#include <QCryptographicHash>
#include <QRegularExpression>

namespace organizer::authorization {

using oauth::OAuthError;

auto AuthorizationCodeGrant::redeem(const Request &grant) -> Result
{
    const Tenant &tenant = *grant.tenant;
    const Client &client = grant.client;
    const FormData &parameters = grant.parameters;
    auto refuse = [](const OAuthError &error) { return Unexpected<OAuthError>(error); };
    const QByteArray code = parameters.value(QStringLiteral("code")).toLatin1();
    if (code.isEmpty())
        return refuse(OAuthError::invalidRequest(QStringLiteral("the code parameter is missing")));
    AuthorizationState &state = m_context.state();
    // Single use: the code is spent whatever happens next (RFC 6749 §4.1.2), on whichever instance is asked first.
    const QByteArray codeHash = storedHashOf(code);
    auto redeemed = state.redeemCode(codeHash);
    if (!redeemed) {
        qCCritical(lcAuthorization).noquote() << redeemed.error();
        return refuse(OAuthError::temporarilyUnavailable(QStringLiteral("the authorization server cannot reach its database")));
    }
    if (redeemed->outcome == AuthorizationState::Redemption::PresentedAgain) {
        // Presented twice: someone else may hold it. What the first redemption issued is withdrawn.
        const Code &spent = redeemed->code;
        if (!spent.refreshFamily.isEmpty())
            m_context.refreshTokens().revokeFamily(spent.refreshFamily);
        if (!spent.accessFingerprint.isEmpty())
            state.revokeAccessToken(spent.accessFingerprint, spent.accessExpiresAt);
        qCWarning(lcAuthorization).noquote() << "an authorization code was presented twice; the tokens issued for it are revoked";
        return refuse(OAuthError::invalidGrant(QStringLiteral("the authorization code was already used; the tokens issued for it are revoked")));
    }
    if (redeemed->outcome == AuthorizationState::Redemption::Unknown)
        return refuse(OAuthError::invalidGrant(QStringLiteral("the authorization code is invalid, expired or already used")));
    const Code stored = redeemed->code;
    if (stored.request.clientId != client.clientId)
        return refuse(OAuthError::invalidGrant(QStringLiteral("the authorization code was issued to another client")));
    if (parameters.value(QStringLiteral("redirect_uri")) != stored.request.redirectUri.toString(QUrl::FullyEncoded))
        return refuse(OAuthError::invalidGrant(QStringLiteral("redirect_uri does not match the authorization request")));
    const QString verifier = parameters.value(QStringLiteral("code_verifier"));
    if (!stored.request.codeChallenge.isEmpty()) {
        static const QRegularExpression syntax(QStringLiteral("^[A-Za-z0-9._~-]{43,128}$"));
        if (!syntax.match(verifier).hasMatch())
            return refuse(OAuthError::invalidGrant(QStringLiteral("code_verifier is missing or not 43-128 unreserved characters")));
        // RFC 7636 §4.6: S256 compares BASE64URL(SHA256(ASCII(verifier))) with the challenge.
        const QByteArray computed = stored.request.codeChallengeMethod == QLatin1String("S256")
            ? jose::base64UrlEncode(QCryptographicHash::hash(verifier.toLatin1(), QCryptographicHash::Sha256))
            : verifier.toLatin1();
        if (!constantTimeEquals(computed, stored.request.codeChallenge.toLatin1()))
            return refuse(OAuthError::invalidGrant(QStringLiteral("code_verifier does not match the code_challenge")));
    } else if (!verifier.isEmpty()) {
        return refuse(OAuthError::invalidGrant(QStringLiteral("a code_verifier was sent but the request had no code_challenge")));
    }
    const Api *api = tenant.api(stored.request.audience);
    const bool offline
        = stored.scopes.contains(QStringLiteral("offline_access")) && api && api->allowOfflineAccess && client.allowsGrant(QStringLiteral("refresh_token"));
    std::optional<RefreshTokens::Issued> refresh;
    if (offline) {
        auto started = m_context.refreshTokens().start({client.clientId, stored.subject, api->identifier, stored.scopes},
                                                       {api->refreshTokenLifetimeSeconds, api->refreshTokenIdleLifetimeSeconds});
        if (!started) {
            qCCritical(lcAuthorization).noquote() << started.error();
            return refuse(OAuthError::temporarilyUnavailable(QStringLiteral("the authorization server cannot reach its database")));
        }
        refresh = std::move(started).value();
    }
    auto issued
        = issueUserTokens(m_context, tenant, api, stored.subject, client, stored.scopes, stored.request.nonce, stored.authTime, refresh ? &*refresh : nullptr);
    if (!issued)
        return refuse(issued.error());
    // Noted, so a second presentation of the code or a revoked family can withdraw them.
    const QByteArray fingerprint = resource::TokenRevocations::fingerprint(issued->accessToken);
    if (auto noted = state.noteCodeTokens(codeHash, refresh ? refresh->family : QByteArray(), fingerprint, issued->accessExpiresAt); !noted)
        qCWarning(lcAuthorization).noquote() << noted.error();
    if (refresh)
        m_context.refreshTokens().noteAccessToken(refresh->family, fingerprint, issued->accessExpiresAt);
    return issued->body;
}

} // namespace organizer::authorization
