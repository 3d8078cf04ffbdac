#include "oautherror.h"

#include "formencoding.h"

#include <array>

namespace organizer::oauth {

namespace {

constexpr std::array kAllCodes{
    ErrorCode::InvalidRequest,
    ErrorCode::InvalidClient,
    ErrorCode::InvalidGrant,
    ErrorCode::UnauthorizedClient,
    ErrorCode::UnsupportedGrantType,
    ErrorCode::InvalidScope,
    ErrorCode::AccessDenied,
    ErrorCode::UnsupportedResponseType,
    ErrorCode::ServerError,
    ErrorCode::TemporarilyUnavailable,
    ErrorCode::LoginRequired,
    ErrorCode::ConsentRequired,
    ErrorCode::InteractionRequired,
    ErrorCode::RequestNotSupported,
    ErrorCode::RequestUriNotSupported,
    ErrorCode::InvalidToken,
    ErrorCode::InsufficientScope,
    ErrorCode::UnsupportedTokenType,
    ErrorCode::Unauthorized,
    ErrorCode::NotFound,
    ErrorCode::MethodNotAllowed,
    ErrorCode::TooManyAttempts,
    ErrorCode::TooManyRequests,
    ErrorCode::InvalidBody,
    ErrorCode::InvalidQueryString,
    ErrorCode::InexistentResourceServer,
    ErrorCode::InexistentClient,
    ErrorCode::InexistentClientGrant,
    ErrorCode::InexistentUser,
    ErrorCode::InexistentRole,
    ErrorCode::ResourceServerConflict,
    ErrorCode::ClientGrantConflict,
    ErrorCode::RoleConflict,
    ErrorCode::Conflict,
    ErrorCode::OperationNotSupported,
    ErrorCode::InternalError,
};
static_assert(kAllCodes.size() == size_t(ErrorCode::InternalError) + 1, "list every ErrorCode in kAllCodes");

// Auth0 words the status in the body; it names only the statuses its Management API answers with.
QString managementReasonPhrase(int status)
{
    switch (status) {
    case 400:
        return QStringLiteral("Bad Request");
    case 401:
        return QStringLiteral("Unauthorized");
    case 403:
        return QStringLiteral("Forbidden");
    case 404:
        return QStringLiteral("Not Found");
    case 409:
        return QStringLiteral("Conflict");
    case 415:
        return QStringLiteral("Unsupported Media Type");
    case 429:
        return QStringLiteral("Too Many Requests");
    default:
        return QStringLiteral("Internal Server Error");
    }
}

} // namespace

QLatin1StringView wireName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::InvalidRequest:
        return QLatin1StringView("invalid_request");
    case ErrorCode::InvalidClient:
        return QLatin1StringView("invalid_client");
    case ErrorCode::InvalidGrant:
        return QLatin1StringView("invalid_grant");
    case ErrorCode::UnauthorizedClient:
        return QLatin1StringView("unauthorized_client");
    case ErrorCode::UnsupportedGrantType:
        return QLatin1StringView("unsupported_grant_type");
    case ErrorCode::InvalidScope:
        return QLatin1StringView("invalid_scope");
    case ErrorCode::AccessDenied:
        return QLatin1StringView("access_denied");
    case ErrorCode::UnsupportedResponseType:
        return QLatin1StringView("unsupported_response_type");
    case ErrorCode::ServerError:
        return QLatin1StringView("server_error");
    case ErrorCode::TemporarilyUnavailable:
        return QLatin1StringView("temporarily_unavailable");
    case ErrorCode::LoginRequired:
        return QLatin1StringView("login_required");
    case ErrorCode::ConsentRequired:
        return QLatin1StringView("consent_required");
    case ErrorCode::InteractionRequired:
        return QLatin1StringView("interaction_required");
    case ErrorCode::RequestNotSupported:
        return QLatin1StringView("request_not_supported");
    case ErrorCode::RequestUriNotSupported:
        return QLatin1StringView("request_uri_not_supported");
    case ErrorCode::InvalidToken:
        return QLatin1StringView("invalid_token");
    case ErrorCode::InsufficientScope:
        return QLatin1StringView("insufficient_scope");
    case ErrorCode::UnsupportedTokenType:
        return QLatin1StringView("unsupported_token_type");
    case ErrorCode::Unauthorized:
        return QLatin1StringView("unauthorized");
    case ErrorCode::NotFound:
        return QLatin1StringView("not_found");
    case ErrorCode::MethodNotAllowed:
        return QLatin1StringView("method_not_allowed");
    case ErrorCode::TooManyAttempts:
        return QLatin1StringView("too_many_attempts");
    case ErrorCode::TooManyRequests:
        return QLatin1StringView("too_many_requests");
    case ErrorCode::InvalidBody:
        return QLatin1StringView("invalid_body");
    case ErrorCode::InvalidQueryString:
        return QLatin1StringView("invalid_query_string");
    case ErrorCode::InexistentResourceServer:
        return QLatin1StringView("inexistent_resource_server");
    case ErrorCode::InexistentClient:
        return QLatin1StringView("inexistent_client");
    case ErrorCode::InexistentClientGrant:
        return QLatin1StringView("inexistent_client_grant");
    case ErrorCode::InexistentUser:
        return QLatin1StringView("inexistent_user");
    case ErrorCode::InexistentRole:
        return QLatin1StringView("inexistent_role");
    case ErrorCode::ResourceServerConflict:
        return QLatin1StringView("resource_server_conflict");
    case ErrorCode::ClientGrantConflict:
        return QLatin1StringView("client_grant_conflict");
    case ErrorCode::RoleConflict:
        return QLatin1StringView("role_conflict");
    case ErrorCode::Conflict:
        return QLatin1StringView("conflict");
    case ErrorCode::OperationNotSupported:
        return QLatin1StringView("operation_not_supported");
    case ErrorCode::InternalError:
        return QLatin1StringView("internal_error");
    }
    Q_UNREACHABLE();
}

std::span<const ErrorCode> allErrorCodes()
{
    return kAllCodes;
}

QJsonObject jsonBody(const OAuthError &error)
{
    return QJsonObject{{QStringLiteral("error"), wireName(error.code)}, {QStringLiteral("error_description"), http::errorDescriptionText(error.description)}};
}

http::Response jsonResponse(const OAuthError &error, Caching caching)
{
    http::Response response = http::Response::json(error.status, jsonBody(error));
    if (caching != Caching::Unstated)
        response.setHeader("cache-control", "no-store");
    if (caching == Caching::NoStoreNoCache)
        response.setHeader("pragma", "no-cache");
    return response;
}

http::Response notFoundResponse(const QString &description)
{
    return jsonResponse(OAuthError::notFound(description), Caching::Unstated);
}

http::Response refusalResponse(http::Refusal refusal, int status, const QString &description)
{
    switch (refusal) {
    case http::Refusal::BadRequest:
        return jsonResponse({ErrorCode::InvalidRequest, description, status}, Caching::Unstated);
    case http::Refusal::Unavailable:
        return jsonResponse({ErrorCode::TemporarilyUnavailable, description, status}, Caching::Unstated);
    case http::Refusal::NoRoute:
        return notFoundResponse(description);
    case http::Refusal::MethodNotAllowed:
        return jsonResponse({ErrorCode::MethodNotAllowed, description, status}, Caching::Unstated);
    }
    Q_UNREACHABLE();
}

QList<QPair<QString, QString>> redirectParameters(const OAuthError &error, const QString &state)
{
    return {{QStringLiteral("error"), wireName(error.code)},
            {QStringLiteral("error_description"), http::errorDescriptionText(error.description)},
            {QStringLiteral("state"), state}};
}

QUrl redirectUrl(const QUrl &redirectUri, const OAuthError &error, const QString &state, RedirectMode mode)
{
    FormData parameters;
    for (const auto &[name, value] : redirectParameters(error, state)) {
        if (!value.isEmpty())
            parameters.add(name, value);
    }
    const QString encoded = parameters.toString();
    QUrl url = redirectUri;
    if (mode == RedirectMode::Query) {
        const QString existing = url.query(QUrl::FullyEncoded);
        url.setQuery(existing.isEmpty() ? encoded : existing + QLatin1Char('&') + encoded, QUrl::StrictMode);
    } else {
        url.setFragment(encoded, QUrl::StrictMode);
    }
    return url;
}

QByteArray quotedHeaderValue(const QString &value)
{
    QByteArray out;
    out.reserve(value.size() + 2);
    out += '"';
    for (const QChar ch : value) {
        const char16_t c = ch.unicode();
        if (c == u'"' || c == u'\\') {
            out += '\\';
            out += char(c);
        } else if (c < 0x20 || c >= 0x7f) {
            out += '?'; // RFC 6750 §3: error_description is limited to printable ASCII
        } else {
            out += char(c);
        }
    }
    out += '"';
    return out;
}

QByteArray challenge(const QString &realm, const OAuthError &error, const QString &scope)
{
    QByteArray out = "Bearer realm=" + quotedHeaderValue(realm);
    if (error.code != ErrorCode::Unauthorized) {
        out += ", error=" + quotedHeaderValue(wireName(error.code));
        if (!error.description.isEmpty())
            out += ", error_description=" + quotedHeaderValue(http::errorDescriptionText(error.description));
        if (!scope.isEmpty())
            out += ", scope=" + quotedHeaderValue(scope);
    }
    return out;
}

http::Response bearerResponse(const QString &realm, const OAuthError &error, const QString &scope)
{
    QJsonObject body = jsonBody(error);
    if (!scope.isEmpty())
        body.insert(QStringLiteral("scope"), scope);
    http::Response response = http::Response::json(error.status, body);
    response.setHeader("www-authenticate", challenge(realm, error, scope));
    response.setHeader("cache-control", "no-store");
    return response;
}

http::Response managementResponse(const OAuthError &error)
{
    QJsonObject body{{QStringLiteral("statusCode"), error.status},
                     {QStringLiteral("error"), managementReasonPhrase(error.status)},
                     {QStringLiteral("message"), error.description}};
    if (error.code != ErrorCode::Unauthorized)
        body.insert(QStringLiteral("errorCode"), wireName(error.code));
    http::Response response = http::Response::json(error.status, body);
    response.setHeader("cache-control", "no-store");
    return response;
}

} // namespace organizer::oauth
