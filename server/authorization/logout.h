#pragma once

#include "authorizationcontext.h"
#include "httpmessage.h"

namespace organizer::authorization {

// Auth0's GET /v2/logout: ends the browser's session, then goes to returnTo if the client allows it
// (its Allowed Logout URLs), or shows the logged-out page.
class LogoutEndpoint
{
public:
    explicit LogoutEndpoint(AuthorizationContext &context) : m_context(context) {}

    http::Response logout(const http::Request &request);

private:
    AuthorizationContext &m_context;
};

} // namespace organizer::authorization
