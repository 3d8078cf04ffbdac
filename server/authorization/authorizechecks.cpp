// The checks of GET /authorize, one small function each, in the order they run.
#include "authorizechecks.h"

#include "webmessage.h"

#include <QRegularExpression>

#include <array>

namespace organizer::authorization {

using oauth::ErrorCode;
using oauth::OAuthError;

namespace {

using Verdict = std::optional<AuthorizeError>;

constexpr qsizetype kMaxParameterLength = 4096;

const QStringList kSingleValued{QStringLiteral("client_id"),
                                QStringLiteral("redirect_uri"),
                                QStringLiteral("response_type"),
                                QStringLiteral("response_mode"),
                                QStringLiteral("scope"),
                                QStringLiteral("audience"),
                                QStringLiteral("state"),
                                QStringLiteral("nonce"),
                                QStringLiteral("prompt"),
                                QStringLiteral("code_challenge"),
                                QStringLiteral("code_challenge_method"),
                                QStringLiteral("max_age"),
                                QStringLiteral("request"),
                                QStringLiteral("request_uri")};

// The client or its redirect URI cannot be trusted (yet): the error is shown on a page.
Verdict onPage(const QString &description)
{
    return AuthorizeError{false, OAuthError::invalidRequest(description), {}};
}

// The error goes back to the client's redirect URI (RFC 6749 §4.1.2.1).
Verdict toClient(ErrorCode code, const QString &description)
{
    return AuthorizeError{true, {code, description, 400}, {}};
}

Verdict invalidRequest(const QString &description)
{
    return toClient(ErrorCode::InvalidRequest, description);
}

// Nothing oversized is read, stored or echoed back (state and nonce return in redirects and tokens).
Verdict parameterLength(AuthorizeChecking &checking)
{
    for (const auto &[name, value] : checking.query.items()) {
        if (name.size() > 64 || value.size() > kMaxParameterLength)
            return onPage(QStringLiteral("the %1 parameter is longer than %2 characters").arg(name.left(64)).arg(kMaxParameterLength));
    }
    return std::nullopt;
}

// Who is asking and where the answer may go, each said once. Until both are trusted, nothing is redirected.
Verdict clientAndRedirectOnce(AuthorizeChecking &checking)
{
    for (const QString &name : {QStringLiteral("client_id"), QStringLiteral("redirect_uri")}) {
        if (checking.query.count(name) > 1)
            return onPage(QStringLiteral("the %1 parameter is repeated").arg(name));
    }
    return std::nullopt;
}

Verdict client(AuthorizeChecking &checking)
{
    checking.request.clientId = checking.query.value(QStringLiteral("client_id"));
    if (checking.request.clientId.isEmpty())
        return onPage(QStringLiteral("the client_id parameter is missing"));
    checking.client = checking.tenant.client(checking.request.clientId);
    if (!checking.client)
        return onPage(QStringLiteral("unknown client: %1").arg(checking.request.clientId.left(100)));
    return std::nullopt;
}

// Exact match with a registered URI, except a loopback redirect's port (RFC 8252 §7.3); see Client::allowsRedirect.
Verdict redirectUri(AuthorizeChecking &checking)
{
    const QString redirect = checking.query.value(QStringLiteral("redirect_uri"));
    if (redirect.isEmpty())
        return onPage(QStringLiteral("the redirect_uri parameter is missing"));
    checking.request.redirectUri = QUrl(redirect, QUrl::StrictMode);
    const QUrl &uri = checking.request.redirectUri;
    if (!uri.isValid() || uri.hasFragment() || !checking.client->allowsRedirect(uri))
        return onPage(QStringLiteral("the redirect_uri \"%1\" is not registered for client %2").arg(redirect.left(200), checking.client->name));
    return std::nullopt;
}

// Auth0 answers by web_message only to an origin the application lists in its Allowed Web Origins:
// the page posts the code or tokens into whatever window framed or opened it there. Anywhere else the
// request is refused on a page, never posted.
Verdict webMessageOrigin(AuthorizeChecking &checking)
{
    if (!checking.query.values(u"response_mode").contains(kWebMessageMode))
        return std::nullopt;
    if (const QString refusal = webMessageRefusal(*checking.client, checking.request.redirectUri); !refusal.isNull())
        return onPage(refusal);
    return std::nullopt;
}

// From here on errors go back to the client: what the answer needs first, the state and the
// response mode — web_message when asked (its origin is allowed, so even an error in the request goes
// back by message, where the SDK waits for it), else the one the response type implies.
Verdict redirectParameters(AuthorizeChecking &checking)
{
    AuthorizeRequest &request = checking.request;
    request.state = checking.query.value(QStringLiteral("state"));
    request.responseType = checking.query.value(QStringLiteral("response_type"));
    checking.responseTypes = request.responseType.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    request.wantsCode = checking.responseTypes.contains(QStringLiteral("code"));
    request.wantsAccessToken = checking.responseTypes.contains(QStringLiteral("token"));
    request.wantsIdToken = checking.responseTypes.contains(QStringLiteral("id_token"));
    if (checking.query.values(u"response_mode").contains(kWebMessageMode))
        request.responseMode = kWebMessageMode;
    else
        request.responseMode = request.wantsCode ? QStringLiteral("query") : QStringLiteral("fragment");
    return std::nullopt;
}

Verdict singleValued(AuthorizeChecking &checking)
{
    for (const QString &name : kSingleValued) {
        if (checking.query.count(name) > 1)
            return invalidRequest(QStringLiteral("the %1 parameter is repeated").arg(name));
    }
    return std::nullopt;
}

Verdict responseTypeSent(AuthorizeChecking &checking)
{
    if (checking.request.responseType.isEmpty())
        return invalidRequest(QStringLiteral("the response_type parameter is missing"));
    return std::nullopt;
}

// OpenID Connect Core §6: request objects are not supported, and saying so beats ignoring them (the
// parameters inside would silently not apply).
Verdict requestObject(AuthorizeChecking &checking)
{
    if (checking.query.contains(u"request"))
        return toClient(ErrorCode::RequestNotSupported, QStringLiteral("request objects (the request parameter) are not supported"));
    if (checking.query.contains(u"request_uri"))
        return toClient(ErrorCode::RequestUriNotSupported, QStringLiteral("the request_uri parameter is not supported"));
    return std::nullopt;
}

// code, token, id_token or "id_token token": each word known, and a code never with tokens.
Verdict responseType(AuthorizeChecking &checking)
{
    const AuthorizeRequest &request = checking.request;
    const bool supported = checking.responseTypes.size() == (int(request.wantsCode) + int(request.wantsAccessToken) + int(request.wantsIdToken))
        && (request.wantsCode != (request.wantsAccessToken || request.wantsIdToken));
    if (!supported)
        return toClient(
            ErrorCode::UnsupportedResponseType,
            QStringLiteral("response_type \"%1\" is not supported; use code, token, id_token or \"id_token token\"").arg(request.responseType.left(60)));
    return std::nullopt;
}

Verdict responseMode(AuthorizeChecking &checking)
{
    const QString mode = checking.query.value(QStringLiteral("response_mode"));
    if (mode.isEmpty())
        return std::nullopt;
    if (mode != QLatin1String("query") && mode != QLatin1String("fragment") && mode != QLatin1String("form_post") && mode != kWebMessageMode)
        return invalidRequest(QStringLiteral("response_mode \"%1\" is not supported").arg(mode.left(40)));
    // OAuth 2.0 Multiple Response Types §5: tokens never travel in a query string.
    if (mode == QLatin1String("query") && !checking.request.wantsCode)
        return invalidRequest(QStringLiteral("tokens cannot be returned with response_mode=query"));
    checking.request.responseMode = mode;
    return std::nullopt;
}

Verdict grantAllowed(AuthorizeChecking &checking)
{
    const QString grant = checking.request.wantsCode ? QStringLiteral("authorization_code") : QStringLiteral("implicit");
    if (!checking.client->allowsGrant(grant))
        return toClient(ErrorCode::UnauthorizedClient, QStringLiteral("client %1 may not use the %2 grant").arg(checking.client->name, grant));
    return std::nullopt;
}

Verdict scope(AuthorizeChecking &checking)
{
    AuthorizeRequest &request = checking.request;
    request.scopes = checking.query.value(QStringLiteral("scope")).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    request.scopes.removeDuplicates();
    if (request.wantsIdToken && !request.scopes.contains(QStringLiteral("openid")))
        return invalidRequest(QStringLiteral("an id_token needs the openid scope"));
    return std::nullopt;
}

// OpenID Connect Core §3.2.2.1: nonce is required whenever the ID token comes from /authorize.
Verdict nonce(AuthorizeChecking &checking)
{
    checking.request.nonce = checking.query.value(QStringLiteral("nonce"));
    if (checking.request.wantsIdToken && checking.request.nonce.isEmpty())
        return invalidRequest(QStringLiteral("the nonce parameter is required when an id_token is returned"));
    return std::nullopt;
}

Verdict prompt(AuthorizeChecking &checking)
{
    const QString &value = checking.request.prompt = checking.query.value(QStringLiteral("prompt"));
    if (!value.isEmpty() && value != QLatin1String("none") && value != QLatin1String("login") && value != QLatin1String("consent"))
        return invalidRequest(QStringLiteral("prompt \"%1\" is not supported; use none, login or consent").arg(value.left(40)));
    return std::nullopt;
}

Verdict maxAge(AuthorizeChecking &checking)
{
    if (!checking.query.contains(u"max_age"))
        return std::nullopt;
    static const QRegularExpression digits(QStringLiteral("^[0-9]{1,9}$"));
    const QString value = checking.query.value(QStringLiteral("max_age"));
    if (!digits.match(value).hasMatch())
        return invalidRequest(QStringLiteral("max_age must be a whole number of seconds"));
    checking.request.maxAge = value.toLongLong();
    return std::nullopt;
}

// RFC 7636: a public client proves with S256 that it is the one that asked; plain only for confidential ones.
Verdict pkce(AuthorizeChecking &checking)
{
    AuthorizeRequest &request = checking.request;
    request.codeChallenge = checking.query.value(QStringLiteral("code_challenge"));
    request.codeChallengeMethod = checking.query.value(QStringLiteral("code_challenge_method"));
    if (!request.wantsCode)
        return std::nullopt;
    const bool confidential = checking.client->confidential;
    if (request.codeChallenge.isEmpty()) {
        if (!confidential)
            return invalidRequest(QStringLiteral("a public client must send a PKCE code_challenge (RFC 7636)"));
        return std::nullopt;
    }
    if (request.codeChallengeMethod.isEmpty())
        request.codeChallengeMethod = QStringLiteral("plain");
    if (request.codeChallengeMethod == QLatin1String("plain") && !confidential)
        return invalidRequest(QStringLiteral("code_challenge_method plain is refused for public clients; use S256"));
    if (request.codeChallengeMethod != QLatin1String("S256") && request.codeChallengeMethod != QLatin1String("plain"))
        return invalidRequest(QStringLiteral("code_challenge_method \"%1\" is not supported; use S256").arg(request.codeChallengeMethod.left(20)));
    static const QRegularExpression challengeSyntax(QStringLiteral("^[A-Za-z0-9._~-]{43,128}$"));
    if (!challengeSyntax.match(request.codeChallenge).hasMatch())
        return invalidRequest(QStringLiteral("code_challenge must be 43 to 128 characters of [A-Za-z0-9._~-]"));
    return std::nullopt;
}

// As Auth0 answers an audience it does not know.
Verdict audience(AuthorizeChecking &checking)
{
    checking.request.audience = checking.query.value(QStringLiteral("audience"));
    if (!checking.request.audience.isEmpty() && !checking.tenant.api(checking.request.audience))
        return toClient(ErrorCode::AccessDenied, QStringLiteral("Service not found: %1").arg(checking.request.audience.left(200)));
    return std::nullopt;
}

// The browser's session, if it has one of a user who still exists.
Verdict session(AuthorizeChecking &checking)
{
    if (checking.findSession)
        checking.session = checking.findSession();
    return std::nullopt;
}

// OpenID Connect Core §3.1.2.1: a session older than max_age must log in again, and max_age=0 is
// prompt=login — also within the second of the last login, which whole seconds cannot tell apart.
Verdict sessionAge(AuthorizeChecking &checking)
{
    const qint64 limit = checking.request.maxAge;
    if (!checking.session || limit < 0 || (limit > 0 && checking.now - checking.session->authTime <= limit))
        return std::nullopt;
    if (checking.request.prompt == QLatin1String("none"))
        return toClient(ErrorCode::LoginRequired, QStringLiteral("the last login is older than max_age=%1 seconds").arg(limit));
    checking.session.reset();
    return std::nullopt;
}

// prompt=none: answer without showing a page, so only with a session.
Verdict promptNone(AuthorizeChecking &checking)
{
    if (checking.request.prompt == QLatin1String("none") && !checking.session)
        return toClient(ErrorCode::LoginRequired, QStringLiteral("the user is not logged in"));
    return std::nullopt;
}

constexpr std::array kChecks{
    AuthorizeCheck{QLatin1StringView("parameter_length"), parameterLength},
    AuthorizeCheck{QLatin1StringView("client_and_redirect_once"), clientAndRedirectOnce},
    AuthorizeCheck{QLatin1StringView("client"), client},
    AuthorizeCheck{QLatin1StringView("redirect_uri"), redirectUri},
    AuthorizeCheck{QLatin1StringView("web_message_origin"), webMessageOrigin},
    AuthorizeCheck{QLatin1StringView("redirect_parameters"), redirectParameters},
    AuthorizeCheck{QLatin1StringView("single_valued"), singleValued},
    AuthorizeCheck{QLatin1StringView("response_type_sent"), responseTypeSent},
    AuthorizeCheck{QLatin1StringView("request_object"), requestObject},
    AuthorizeCheck{QLatin1StringView("response_type"), responseType},
    AuthorizeCheck{QLatin1StringView("response_mode"), responseMode},
    AuthorizeCheck{QLatin1StringView("grant_allowed"), grantAllowed},
    AuthorizeCheck{QLatin1StringView("scope"), scope},
    AuthorizeCheck{QLatin1StringView("nonce"), nonce},
    AuthorizeCheck{QLatin1StringView("prompt"), prompt},
    AuthorizeCheck{QLatin1StringView("max_age"), maxAge},
    AuthorizeCheck{QLatin1StringView("pkce"), pkce},
    AuthorizeCheck{QLatin1StringView("audience"), audience},
    // The browser's side: nothing above needs it.
    AuthorizeCheck{QLatin1StringView("session"), session},
    AuthorizeCheck{QLatin1StringView("session_age"), sessionAge},
    AuthorizeCheck{QLatin1StringView("prompt_none"), promptNone},
};
constexpr std::size_t kRequestChecks = 18; // up to "session"

} // namespace

std::span<const AuthorizeCheck> authorizeChecks()
{
    return kChecks;
}

std::span<const AuthorizeCheck> requestChecks()
{
    return std::span<const AuthorizeCheck>(kChecks).first(kRequestChecks);
}

std::optional<AuthorizeError> runChecks(std::span<const AuthorizeCheck> checks, AuthorizeChecking &checking)
{
    for (const AuthorizeCheck &check : checks) {
        if (std::optional<AuthorizeError> refused = check.run(checking)) {
            if (refused->redirectable)
                refused->partial = checking.request;
            return refused;
        }
    }
    return std::nullopt;
}

} // namespace organizer::authorization
