#pragma once

#include "formencoding.h"
#include "httpmessage.h"

#include <QByteArray>
#include <QHash>
#include <QString>
#include <QUrl>

#include <optional>

namespace organizer::authorization {

// HTML escaping for text and attribute values.
QString htmlEscape(const QString &text);

// Renders a page from resources/pages: {{name}} is replaced by the escaped value, {{{name}}} by the
// value as is (only for HTML this code built itself).
QByteArray renderPage(const QString &page, const QHash<QString, QString> &values);

// A static asset (CSS, SVG) by file name, empty when unknown.
QByteArray pageAsset(const QString &name);

// GET /assets/{name}: the hosted pages' stylesheet and logo, cacheable for an hour; never a page template.
http::Response assetResponse(const http::Request &request);

// An HTML answer, never cached, framed or followed by a referrer, with a CSP that allows only this
// server's styles and images. `formTarget`: the client's origin, which a login or consent form ends up
// redirecting to; CSP's form-action also governs redirects that follow a form submission.
http::Response page(int status, const QByteArray &html, const QString &formTarget = {});

// The message page that says why a login cannot go on, and that the person starts it again.
http::Response errorPage(int status, const QString &title, const QString &message);

// A 302 that is never cached.
http::Response redirect(const QUrl &location);

// A form a hosted page posted (application/x-www-form-urlencoded); null when it is not UTF-8.
std::optional<FormData> parseForm(const QByteArray &body);

// scheme://host[:port] of `url`.
QString originOf(const QUrl &url);

} // namespace organizer::authorization
