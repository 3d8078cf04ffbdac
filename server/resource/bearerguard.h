#pragma once

#include "accesstokenverifier.h"
#include "bearertoken.h"
#include "httpmessage.h"

namespace organizer::resource {

// Why a request's bearer token was not accepted, as RFC 6750 §3 classifies it: no credentials (401,
// no error code), a malformed header (400 invalid_request) or a token that does not verify (401
// invalid_token). Each caller writes it in its own dialect: RFC 6750 for the APIs and /userinfo,
// Auth0's error body for the Management API.
struct BearerRejection
{
    int status = 401;
    QString error; // empty, "invalid_request" or "invalid_token"
    QString description;
};

// The one place that reads an Authorization header and verifies its token, shared by the resource
// server's APIs, /userinfo and the Management API.
class BearerGuard
{
public:
    explicit BearerGuard(AccessTokenVerifier *verifier) : m_verifier(verifier) {}

    using Outcome = Expected<jose::VerifiedJwt, BearerRejection>;
    // Calls `then` exactly once: at once nearly always, later only when the issuer's keys must be
    // fetched first (then on the key source's thread; `then` must not hold pointers that may go).
    void authenticate(const http::Request &request, std::function<void(const http::Request &, const Outcome &)> then) const;

    // The outcome when it can be given at once (nearly always); nullopt when the issuer's keys must be
    // fetched first, and then authenticate() is the way. Saves the hot path a closure.
    std::optional<Outcome> authenticateAtOnce(const http::Request &request) const;

    // The RFC 6750 answer to a rejection, with its WWW-Authenticate challenge.
    static http::Response rfc6750Response(const QString &realm, const BearerRejection &rejection);

private:
    AccessTokenVerifier *m_verifier;
};

} // namespace organizer::resource
