#pragma once

#include "httpmessage.h"

#include <QJsonObject>
#include <QLatin1StringView>
#include <QList>
#include <QPair>
#include <QString>
#include <QUrl>

#include <span>

namespace organizer::oauth {

// Every error code the server writes, OAuth's and the dialects beside it. wireName() is the one place
// their strings are spelled; everything else names them by this enum.
enum class ErrorCode {
    // RFC 6749 §4.1.2.1, §4.2.2.1, §5.2
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    AccessDenied,
    UnsupportedResponseType,
    ServerError,
    TemporarilyUnavailable,
    // OpenID Connect Core §3.1.2.6
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    // RFC 6750 §3.1
    InvalidToken,
    InsufficientScope,
    // RFC 7009 §2.2.1
    UnsupportedTokenType,
    // No credentials were sent (RFC 6750 §3.1): a challenge then carries no error code, a JSON body
    // says "unauthorized" and the Management dialect no errorCode.
    Unauthorized,
    // This server's answers outside OAuth's vocabulary, in the same JSON shape.
    NotFound,
    MethodNotAllowed,
    TooManyAttempts, // Auth0's word for a client locked out after failed authentications
    TooManyRequests, // Auth0's Management API rate limit (429)
    // Auth0's Management API errorCode values.
    InvalidBody,
    InvalidQueryString,
    InexistentResourceServer,
    InexistentClient,
    InexistentClientGrant,
    InexistentUser,
    InexistentRole,
    ResourceServerConflict,
    ClientGrantConflict,
    RoleConflict,
    Conflict,
    OperationNotSupported,
    InternalError,
};

// The code as it goes on the wire: "invalid_request", "insufficient_scope", "inexistent_user", …
QLatin1StringView wireName(ErrorCode code);
// Every code, in declaration order (for tests and for reading a code back).
std::span<const ErrorCode> allErrorCodes();

// An error as a value: what went wrong (the code a client acts on), a sentence for a person, and the
// HTTP status it is answered with. The writers below turn it into each place an error goes; the
// description is made safe for each there, so it may hold anything (a path, a kid, a client's input).
struct OAuthError
{
    ErrorCode code = ErrorCode::InvalidRequest;
    QString description;
    int status = 400;

    static OAuthError invalidRequest(QString description, int status = 400) { return {ErrorCode::InvalidRequest, std::move(description), status}; }
    static OAuthError invalidClient(QString description) { return {ErrorCode::InvalidClient, std::move(description), 401}; }
    static OAuthError invalidGrant(QString description) { return {ErrorCode::InvalidGrant, std::move(description), 400}; }
    static OAuthError unauthorizedClient(QString description, int status = 400) { return {ErrorCode::UnauthorizedClient, std::move(description), status}; }
    static OAuthError unsupportedGrantType(QString description) { return {ErrorCode::UnsupportedGrantType, std::move(description), 400}; }
    static OAuthError invalidScope(QString description) { return {ErrorCode::InvalidScope, std::move(description), 400}; }
    static OAuthError accessDenied(QString description, int status = 403) { return {ErrorCode::AccessDenied, std::move(description), status}; }
    static OAuthError serverError(QString description) { return {ErrorCode::ServerError, std::move(description), 500}; }
    static OAuthError temporarilyUnavailable(QString description) { return {ErrorCode::TemporarilyUnavailable, std::move(description), 503}; }
    static OAuthError invalidToken(QString description) { return {ErrorCode::InvalidToken, std::move(description), 401}; }
    static OAuthError insufficientScope(QString description) { return {ErrorCode::InsufficientScope, std::move(description), 403}; }
    static OAuthError unauthorized(QString description) { return {ErrorCode::Unauthorized, std::move(description), 401}; }
    static OAuthError notFound(QString description) { return {ErrorCode::NotFound, std::move(description), 404}; }
    static OAuthError methodNotAllowed(QString description) { return {ErrorCode::MethodNotAllowed, std::move(description), 405}; }

    bool operator==(const OAuthError &) const = default;
};

// --- RFC 6749 §5.2: the JSON body -------------------------------------------------------------------

// {"error": <code>, "error_description": <description made safe>}; for answers that add members.
QJsonObject jsonBody(const OAuthError &error);

// What the answer says about caching: the authorization server's endpoints answer "no-store", the
// token endpoint adds "Pragma: no-cache" (RFC 6749 §5.1), the resource server's record errors say nothing.
enum class Caching { Unstated, NoStore, NoStoreNoCache };
http::Response jsonResponse(const OAuthError &error, Caching caching = Caching::NoStore);

// The one "nothing here" of the server, whichever part finds nothing (no route, no API at a path, no
// record with an id, no asset): not_found in the JSON shape above, nothing said about caching.
http::Response notFoundResponse(const QString &description);

// The HTTP layer's own refusals (http::Refusal) in the JSON shape above, nothing said about caching:
// invalid_request, temporarily_unavailable, not_found (notFoundResponse) and method_not_allowed.
// A RefusalWriter for http::Server and http::Router.
http::Response refusalResponse(http::Refusal refusal, int status, const QString &description);

// --- RFC 6749 §4.1.2.1 / §4.2.2.1: the redirect back to the client ----------------------------------

// error, error_description (made safe) and state, in that order; empty values are left for the
// caller to skip, as it skips them in a success.
QList<QPair<QString, QString>> redirectParameters(const OAuthError &error, const QString &state);
enum class RedirectMode { Query, Fragment };
// `redirectUri` with the parameters (the empty ones left out) added to its query (after any it has) or
// set as its fragment.
QUrl redirectUrl(const QUrl &redirectUri, const OAuthError &error, const QString &state, RedirectMode mode);

// --- RFC 6750 §3: the WWW-Authenticate challenge ----------------------------------------------------

// Bearer realm="…"[, error="…"[, error_description="…"][, scope="…"]]: no error attribute for
// ErrorCode::Unauthorized (no credentials were sent); `scope` names what an insufficient_scope needed.
QByteArray challenge(const QString &realm, const OAuthError &error, const QString &scope = {});
// The challenge with a JSON body that says the same (plus "scope" when given), no-store.
http::Response bearerResponse(const QString &realm, const OAuthError &error, const QString &scope = {});

// --- Auth0's Management API dialect -----------------------------------------------------------------

// {"statusCode": 404, "error": "Not Found", "message": <description>, "errorCode": "inexistent_role"},
// no-store; no errorCode for ErrorCode::Unauthorized. Auth0's SDKs read these members; the message is
// written as given, as Auth0 does.
http::Response managementResponse(const OAuthError &error);

// A quoted-string value (RFC 9110 §5.6.4) safe for a header: quotes and backslashes escaped, control
// characters (CR, LF, …) and non-ASCII replaced, so nothing a client sends can split a header.
QByteArray quotedHeaderValue(const QString &value);

} // namespace organizer::oauth
