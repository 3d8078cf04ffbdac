#pragma once

// What the authorization server's endpoints share: cookies, form parameters, pages, redirects and
// the token endpoint's error shape. Internal to server/authorization/; one file per endpoint
// includes it.

#include "authorizationserver.h"
#include "base64url.h"
#include "grants.h"
#include "oautherror.h"
#include "pages.h"
#include "passwordhash.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>

#include <optional>

namespace organizer::authorization::endpoint {

inline constexpr qint64 kTransactionLifetime = 15 * 60;
inline constexpr qint64 kSessionLifetime = 8 * 3600;
inline constexpr qint64 kCodeLifetime = 60;
inline const QByteArray kSessionCookie = "organizer_session";
inline const QByteArray kBrowserCookie = "organizer_browser";

inline QHash<QByteArray, QByteArray> cookiesOf(const http::Request &request)
{
    QHash<QByteArray, QByteArray> cookies;
    for (const auto &[name, value] : request.headers) {
        if (name != "cookie")
            continue;
        for (const QByteArray &pair : value.split(';')) {
            const qsizetype eq = pair.indexOf('=');
            if (eq > 0)
                cookies.insert(pair.left(eq).trimmed(), pair.mid(eq + 1).trimmed());
        }
    }
    return cookies;
}

// Sets `name` once for each path that reads it. Cookies are not isolated by port (RFC 6265 §8.5), and
// a loopback redirect may go to any port of this host (RFC 8252 §7.3): with Path=/ the browser would
// hand the session to whatever listens on http://127.0.0.1:<port>/callback. Scoped to these paths
// (which no loopback callback may use, see Tenant), no callback ever receives them.
// HttpOnly: scripts never see it; SameSite=Lax: other sites' forms do not carry it.
inline void setCookie(http::Response &response, const QByteArray &name, const QByteArray &value, qint64 maxAge)
{
    for (const QString &path : sessionCookiePaths())
        response.headers.append(qMakePair(
            QByteArray("set-cookie"), name + '=' + value + "; Path=" + path.toLatin1() + "; HttpOnly; SameSite=Lax; Max-Age=" + QByteArray::number(maxAge)));
}

// A form body (application/x-www-form-urlencoded); null when it is not UTF-8.
inline std::optional<FormData> parseForm(const QByteArray &body)
{
    FormData form = FormData::parse(body);
    if (form.hasInvalidUtf8())
        return std::nullopt;
    return form;
}

inline QString param(const FormData &form, const QString &name)
{
    return form.value(name);
}

inline bool isRepeated(const FormData &form, const QString &name)
{
    return form.count(name) > 1;
}

inline QString originOf(const QUrl &url)
{
    return url.adjusted(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo).toString();
}

// `formTarget`: the client's origin, which a login or consent form ends up redirecting to; CSP's
// form-action also governs redirects that follow a form submission.
inline http::Response page(int status, const QByteArray &html, const QString &formTarget = {})
{
    http::Response response;
    response.status = status;
    response.body = html;
    response.setHeader("content-type", "text/html; charset=utf-8");
    response.setHeader("cache-control", "no-store");
    const QByteArray formAction = formTarget.isEmpty() ? QByteArray("'self'") : "'self' " + formTarget.toUtf8();
    response.setHeader("content-security-policy",
                       "default-src 'none'; style-src 'self'; img-src 'self'; form-action " + formAction + "; frame-ancestors 'none'; base-uri 'none'");
    response.setHeader("x-frame-options", "DENY");
    response.setHeader("referrer-policy", "no-referrer");
    return response;
}

inline http::Response redirect(const QUrl &location)
{
    http::Response response;
    response.status = 302;
    response.setHeader("location", location.toString(QUrl::FullyEncoded).toUtf8());
    response.setHeader("cache-control", "no-store");
    return response;
}

inline QByteArray hashOf(const QByteArray &secret)
{
    return QCryptographicHash::hash(secret, QCryptographicHash::Sha256);
}

inline http::Response tokenError(int status, oauth::ErrorCode error, const QString &description)
{
    return oauth::jsonResponse({error, description, status}, oauth::Caching::NoStoreNoCache);
}

// The parameters of a token or revocation request: a form or, as Auth0 also takes them, a JSON
// object of strings; each name at most once.
inline Expected<FormData, http::Response> readEndpointParameters(const http::Request &request)
{
    FormData parameters;
    const QByteArray contentType = request.header("content-type").split(';').first().trimmed().toLower();
    if (contentType == "application/x-www-form-urlencoded") {
        const auto form = parseForm(request.body);
        if (!form)
            return Unexpected<http::Response>(tokenError(400, oauth::ErrorCode::InvalidRequest, QStringLiteral("the body is not valid UTF-8")));
        parameters = *form;
    } else if (contentType == "application/json") {
        QJsonParseError parseError;
        const QJsonDocument document = QJsonDocument::fromJson(request.body, &parseError);
        if (parseError.error != QJsonParseError::NoError || !document.isObject())
            return Unexpected<http::Response>(tokenError(400, oauth::ErrorCode::InvalidRequest, QStringLiteral("the body is not a JSON object")));
        const QJsonObject object = document.object();
        for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
            if (!it.value().isString())
                return Unexpected<http::Response>(
                    tokenError(400, oauth::ErrorCode::InvalidRequest, QStringLiteral("%1 must be a string").arg(it.key().left(40))));
            parameters.add(it.key(), it.value().toString());
        }
    } else {
        return Unexpected<http::Response>(
            tokenError(400, oauth::ErrorCode::InvalidRequest, QStringLiteral("send the parameters as application/x-www-form-urlencoded or JSON")));
    }
    if (const QString repeated = parameters.firstRepeatedName(); !repeated.isNull())
        return Unexpected<http::Response>(
            tokenError(400, oauth::ErrorCode::InvalidRequest, QStringLiteral("the %1 parameter is repeated").arg(repeated.left(40))));
    return parameters;
}

} // namespace organizer::authorization::endpoint
