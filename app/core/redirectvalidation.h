#pragma once

#include "expected.h"
#include "jwtverifier.h"
#include "loginresult.h"

#include "formencoding.h"

#include <QUrl>

namespace organizer::app {

// The redirect's parameters: the fragment for token responses, the query for code responses, read
// as application/x-www-form-urlencoded ('+' is a space, as most providers encode it).
FormData redirectParameters(const QUrl &redirect);

// Checks an authorization response in a fixed order, one specific error per step:
// error parameter → state → tokens present → ID token (signature by kid against the issuer's JWKS,
// iss, aud = client_id, exp) → nonce → at_hash. `requireAtHash`: an ID token issued with an access token
// from /authorize must carry at_hash (OpenID Connect Core §3.2.2.9).
Expected<LoginResult, LoginError> validateTokenResponse(const FormData &parameters, const ExpectedLogin &expected, const jose::JwkSet &keys,
                                                        bool expectAccessToken, bool requireAtHash, const Clock &clock);

// The first steps alone (error, state), for code responses before the code is redeemed.
std::optional<LoginError> checkAuthorizationResponse(const FormData &parameters, const ExpectedLogin &expected);

// One readable sentence for an authorization server's error code.
QString describeProviderError(const QString &error, const QString &description);

} // namespace organizer::app
