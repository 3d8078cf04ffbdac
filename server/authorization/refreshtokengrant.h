#pragma once

#include "tokengrant.h"

namespace organizer::authorization {

// grant_type=refresh_token (RFC 6749 §6): the token's family rotates (refreshtokens.h), the scope may
// narrow but never widen, and the user must still exist.
class RefreshTokenGrant : public TokenGrant
{
public:
    explicit RefreshTokenGrant(AuthorizationContext &context) : m_context(context) {}

    QLatin1StringView type() const override { return QLatin1StringView("refresh_token"); }
    void issue(const Request &request, Done done) override { done(refresh(request)); }

private:
    Result refresh(const Request &request);

    AuthorizationContext &m_context;
};

} // namespace organizer::authorization
