#pragma once

#include "authorizationcontext.h"
#include "authorizerequest.h"
#include "httpmessage.h"

namespace organizer::authorization {

// GET /authorize: the checks in order (authorizechecks.h), then the login under way that the login
// and consent pages continue.
class AuthorizeEndpoint
{
public:
    explicit AuthorizeEndpoint(AuthorizationContext &context) : m_context(context) {}

    http::Response authorize(const http::Request &request);

private:
    // Pending logins are bounded, so a flood of /authorize requests cannot grow the store: per address
    // group and in total, by count and by the bytes their parameters hold. At a bound the oldest of the
    // heaviest sender go, never the newcomer: a flood only ever pushes out its own.
    static constexpr PendingLoginLimits kPendingLoginLimits{2'000, 4 * 1024 * 1024, 20'000, 16 * 1024 * 1024};

    // The checks' refusal, written where it may go: on a page while the client or its redirect URI is
    // not trusted, to the client after (by redirect, form_post or web_message).
    static http::Response refuse(const Tenant &tenant, const AuthorizeError &error);

    AuthorizationContext &m_context;
};

} // namespace organizer::authorization
