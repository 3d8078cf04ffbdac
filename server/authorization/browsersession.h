#pragma once

#include "authorizationcontext.h"
#include "httpmessage.h"

#include <optional>

namespace organizer::authorization {

// The browser's login session, named by its cookie: what /authorize and logout read, what a login
// starts (login.cpp) and logout ends.
std::optional<Session> currentSession(AuthorizationContext &context, const Tenant &tenant, const http::Request &request);

// The page that says the person is logged out.
http::Response loggedOutPage();

// Forgets the browser's session and tells it to drop the cookie; a 503 page instead when the database
// cannot forget it (the cookie then stays, as the session does).
http::Response endSession(AuthorizationContext &context, const http::Request &request, http::Response response);

} // namespace organizer::authorization
