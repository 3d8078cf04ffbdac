#pragma once

#include "httpmessage.h"

#include <QByteArray>
#include <QHash>

namespace organizer::authorization {

// The hosted pages' two cookies: the browser's login session, and a random name for the browser
// itself, which binds a login under way to the browser that started it.
inline constexpr qint64 kSessionLifetime = 8 * 3600;
inline const QByteArray kSessionCookie = "organizer_session";
inline const QByteArray kBrowserCookie = "organizer_browser";

QHash<QByteArray, QByteArray> cookiesOf(const http::Request &request);

// Which requests carry the cookies. An application's silent login (auth0-spa-js getTokenSilently,
// auth0-js checkSession) frames /authorize in its own site: only SameSite=None reaches that frame, and
// browsers take SameSite=None only with Secure, i.e. over https. So an https issuer (its public URL,
// whether this process or a proxy in front of it speaks TLS) sets CrossSite cookies; a plain http one
// keeps SameSite=Lax, under which other sites' forms and frames do not carry them.
enum class CookieSites { SameSite, CrossSite };
CookieSites cookieSitesFor(const QString &issuer);

// Sets `name` once for each path that reads it. Cookies are not isolated by port (RFC 6265 §8.5), and
// a loopback redirect may go to any port of this host (RFC 8252 §7.3): with Path=/ the browser would
// hand the session to whatever listens on http://127.0.0.1:<port>/callback. Scoped to these paths
// (which no loopback callback may use, see Tenant), no callback ever receives them.
// HttpOnly: scripts never see it; SameSite as `sites` says (the login and consent forms carry their
// own CSRF token bound to the browser either way).
void setCookie(http::Response &response, CookieSites sites, const QByteArray &name, const QByteArray &value, qint64 maxAge);

} // namespace organizer::authorization
