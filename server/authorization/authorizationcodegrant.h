#pragma once

#include "tokengrant.h"

namespace organizer::authorization {

// grant_type=authorization_code (RFC 6749 §4.1.3): the code is spent on first presentation on any
// instance, checked against its client, redirect_uri and PKCE verifier (RFC 7636 §4.6); a code
// presented twice withdraws what its first redemption issued (§4.1.2).
class AuthorizationCodeGrant : public TokenGrant
{
public:
    explicit AuthorizationCodeGrant(AuthorizationContext &context) : m_context(context) {}

    QLatin1StringView type() const override { return QLatin1StringView("authorization_code"); }
    void issue(const Request &request, Done done) override { done(redeem(request)); }

private:
    Result redeem(const Request &request);

    AuthorizationContext &m_context;
};

} // namespace organizer::authorization
