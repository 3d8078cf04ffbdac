#pragma once

// response_mode=web_message as Auth0 answers it — what auth0-spa-js (getTokenSilently's hidden iframe,
// loginWithPopup) and auth0-js (checkSession) wait for: a page whose one script posts
// {type: "authorization_response", response: {…}} to the window that framed or opened it, addressed to
// exactly the redirect URI's origin. Only an origin among the application's Allowed Web Origins is ever
// posted to, and only those origins may frame the page.

#include "httpmessage.h"
#include "tenant.h"

#include <QList>
#include <QPair>
#include <QString>
#include <QUrl>

namespace organizer::authorization {

inline constexpr QLatin1StringView kWebMessageMode("web_message");

// scheme://host[:port] as a browser serializes an origin: lower case, the host in ASCII (punycode), the
// scheme's default port left out. A null string when `url` is not an http(s) URL with a host.
QString browserOrigin(const QUrl &url);

// The client's allowed web origins that each name exactly one origin, in the tenant's order; a wildcard
// ("https://*.example.com", "*"), a path or anything else is left out: never framed by, never posted to.
QStringList exactWebOrigins(const Client &client);

// Why `client` may not be answered by web_message at `redirectUri` (its origin is not one of the client's
// allowed web origins, as Auth0 requires), or a null string when it may.
QString webMessageRefusal(const Client &client, const QUrl &redirectUri);

// JSON made safe inside an HTML <script>: "<", ">", "&", U+2028 and U+2029 are written as \uXXXX, so no
// value can close the script, open a comment or end a JavaScript line, and the JSON means the same.
QString scriptSafeJson(const QByteArray &compactJson);

// The page that posts `parameters` (a code, tokens, or error, error_description; and state) to the
// window that framed or opened it, for `client` at `redirectUri`; empty values are left out, expires_in
// is a number. An error page instead, never a post, when the client (no longer) allows that origin.
// 200 text/html, no-store; its CSP allows its one script (by hash) and framing by the allowed web origins.
http::Response webMessagePage(const Client *client, const QUrl &redirectUri, const QList<QPair<QString, QString>> &parameters);

} // namespace organizer::authorization
