#pragma once

#include "authorizationstate.h"
#include "authorizerequest.h"

#include <QLatin1StringView>

#include <functional>
#include <optional>
#include <span>

namespace organizer::authorization {

// One /authorize request as its checks see it: what was sent and the tenant it is checked against,
// and what the checks have read so far — which is also where and how an error is redirected.
struct AuthorizeChecking
{
    const FormData &query;
    const Tenant &tenant;
    AuthorizeRequest request{};
    const Client *client = nullptr; // once the client check passed
    QStringList responseTypes{}; // response_type's words, once read
    // The browser's side, for the session checks: how to find its session, and the time. Without a
    // way to find it the browser counts as logged out.
    std::function<std::optional<Session>()> findSession{};
    qint64 now = 0;
    std::optional<Session> session{}; // once the session check ran
};

// One small check of an /authorize request, as node-oidc-provider's lib/actions/authorization does
// them: it continues (nullopt) or refuses with one specific error. Errors before the client and its
// redirect URI are trusted are shown on a page; after, they go back to the client.
struct AuthorizeCheck
{
    QLatin1StringView name;
    std::optional<AuthorizeError> (*run)(AuthorizeChecking &checking);
};

// Every check, in the order they run: the request's own, then the browser's session against max_age
// and prompt (OpenID Connect Core §3.1.2.1).
std::span<const AuthorizeCheck> authorizeChecks();
// The checks that need nothing but the request and the tenant: the list up to the session.
std::span<const AuthorizeCheck> requestChecks();

// Runs `checks` in order and stops at the first refusal, which carries the request as read so far.
std::optional<AuthorizeError> runChecks(std::span<const AuthorizeCheck> checks, AuthorizeChecking &checking);

} // namespace organizer::authorization
