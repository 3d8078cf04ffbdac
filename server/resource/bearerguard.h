#pragma once

#include "accesstokenverifier.h"
#include "bearertoken.h"
#include "httpmessage.h"
#include "oautherror.h"

namespace organizer::resource {

// The one place that reads an Authorization header and verifies its token, shared by the resource
// server's APIs, /userinfo and the Management API.
class BearerGuard
{
public:
    explicit BearerGuard(AccessTokenVerifier *verifier) : m_verifier(verifier) {}

    // A rejection is classified as RFC 6750 §3 does: no credentials (ErrorCode::Unauthorized, 401), a
    // malformed header (InvalidRequest, 400) or a token that does not verify (InvalidToken, 401). Each
    // caller writes it in its own dialect: RFC 6750 (oauth::bearerResponse) for the APIs and /userinfo,
    // Auth0's body (oauth::managementResponse) for the Management API.
    using Outcome = Expected<jose::VerifiedJwt, oauth::OAuthError>;
    // Calls `then` exactly once: at once nearly always, later only when the issuer's keys must be
    // fetched first (then on the key source's thread; `then` must not hold pointers that may go).
    void authenticate(const http::Request &request, std::function<void(const http::Request &, const Outcome &)> then) const;

    // The outcome when it can be given at once (nearly always); nullopt when the issuer's keys must be
    // fetched first, and then authenticate() is the way. Saves the hot path a closure.
    std::optional<Outcome> authenticateAtOnce(const http::Request &request) const;

private:
    AccessTokenVerifier *m_verifier;
};

} // namespace organizer::resource
