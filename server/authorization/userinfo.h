#pragma once

#include "authorizationcontext.h"
#include "httpmessage.h"

namespace organizer::authorization {

// GET/POST /userinfo (OpenID Connect Core §5.3): behind the same bearer guard as the APIs; a user's
// token with the openid scope gets the claims its scopes release.
class UserinfoEndpoint
{
public:
    explicit UserinfoEndpoint(AuthorizationContext &context) : m_context(context) {}

    void userinfo(const http::Request &request, http::Responder respond);

private:
    AuthorizationContext &m_context;
};

} // namespace organizer::authorization
