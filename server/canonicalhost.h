#pragma once

// One canonical host for the bundled issuer. Auth0's SDKs expect `iss` to be exactly their domain plus
// "/", and a browser keeps the session cookie per host: a login that starts on http://127.0.0.1:3001 and
// an SPA configured with localhost:3001 would never meet. So a server reached through loopback has one
// name, `localhost` (an SPA on http://localhost:3000 is same-site with it), and a browser that arrives by
// another loopback name is sent to that one before any cookie is set.

#include "httpmessage.h"

#include <QHostAddress>
#include <QUrl>

#include <optional>

namespace organizer::server {

// The host a URL names for a listener on `address`: "localhost" for loopback (and for an any-address
// listener, reached through loopback from this machine), else the address itself ("[…]" for IPv6).
QString canonicalHostFor(const QHostAddress &address);

// A browser navigation (GET or HEAD of /authorize, /v2/logout, /oidc/logout) that arrived by another
// loopback name of the canonical host (127.0.0.1 or [::1] for localhost, on the same port) gets a 302 to
// the same path and query on `publicUrl`. Anything else — API calls, token requests, form posts,
// another host entirely (a load balancer's health check by address) — is served where it arrived.
std::optional<http::Response> redirectToCanonicalHost(const http::Request &request, const QUrl &publicUrl);

} // namespace organizer::server
