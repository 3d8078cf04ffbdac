#include "authorizerequest.h"

#include <QRegularExpression>

namespace organizer::authorization {

namespace {

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

QString value(const FormData &query, const QString &name)
{
    return query.value(name);
}

Unexpected<AuthorizeError> refuse(const AuthorizeRequest &partial, const QString &error, const QString &description)
{
    return Unexpected<AuthorizeError>(AuthorizeError{true, error, description, partial});
}

Unexpected<AuthorizeError> refuseOnPage(const QString &error, const QString &description)
{
    return Unexpected<AuthorizeError>(AuthorizeError{false, error, description, {}});
}

} // namespace

Expected<AuthorizeRequest, AuthorizeError> parseAuthorizeRequest(const FormData &query, const Tenant &tenant)
{
    AuthorizeRequest request;

    // 0: nothing oversized is read, stored or echoed back (state and nonce return in redirects and tokens).
    for (const auto &[name, parameterValue] : query.items()) {
        if (name.size() > 64 || parameterValue.size() > kMaxParameterLength)
            return refuseOnPage(QStringLiteral("invalid_request"),
                                QStringLiteral("the %1 parameter is longer than %2 characters").arg(name.left(64)).arg(kMaxParameterLength));
    }

    // 1-3: who is asking and where the answer may go. Until both are trusted, nothing is redirected.
    for (const QString &name : {QStringLiteral("client_id"), QStringLiteral("redirect_uri")}) {
        if (query.count(name) > 1)
            return refuseOnPage(QStringLiteral("invalid_request"), QStringLiteral("the %1 parameter is repeated").arg(name));
    }
    request.clientId = value(query, QStringLiteral("client_id"));
    if (request.clientId.isEmpty())
        return refuseOnPage(QStringLiteral("invalid_request"), QStringLiteral("the client_id parameter is missing"));
    const Client *client = tenant.client(request.clientId);
    if (!client)
        return refuseOnPage(QStringLiteral("invalid_request"), QStringLiteral("unknown client: %1").arg(request.clientId.left(100)));
    const QString redirect = value(query, QStringLiteral("redirect_uri"));
    if (redirect.isEmpty())
        return refuseOnPage(QStringLiteral("invalid_request"), QStringLiteral("the redirect_uri parameter is missing"));
    request.redirectUri = QUrl(redirect, QUrl::StrictMode);
    if (!request.redirectUri.isValid() || request.redirectUri.hasFragment() || !client->allowsRedirect(request.redirectUri))
        return refuseOnPage(QStringLiteral("invalid_request"),
                            QStringLiteral("the redirect_uri \"%1\" is not registered for client %2").arg(redirect.left(200), client->name));

    // From here on, errors go back to the client (RFC 6749 §4.1.2.1).
    request.state = value(query, QStringLiteral("state"));
    request.responseType = value(query, QStringLiteral("response_type"));
    const QStringList types = request.responseType.split(QLatin1Char(' '), Qt::SkipEmptyParts);
    request.wantsCode = types.contains(QStringLiteral("code"));
    request.wantsAccessToken = types.contains(QStringLiteral("token"));
    request.wantsIdToken = types.contains(QStringLiteral("id_token"));
    request.responseMode = request.wantsCode ? QStringLiteral("query") : QStringLiteral("fragment");
    for (const QString &name : kSingleValued) {
        if (query.count(name) > 1)
            return refuse(request, QStringLiteral("invalid_request"), QStringLiteral("the %1 parameter is repeated").arg(name));
    }
    if (request.responseType.isEmpty())
        return refuse(request, QStringLiteral("invalid_request"), QStringLiteral("the response_type parameter is missing"));
    // OpenID Connect Core §6: request objects are not supported, and saying so beats ignoring them
    // (the parameters inside would silently not apply).
    if (query.contains(u"request"))
        return refuse(request, QStringLiteral("request_not_supported"), QStringLiteral("request objects (the request parameter) are not supported"));
    if (query.contains(u"request_uri"))
        return refuse(request, QStringLiteral("request_uri_not_supported"), QStringLiteral("the request_uri parameter is not supported"));
    const bool supported = types.size() == (int(request.wantsCode) + int(request.wantsAccessToken) + int(request.wantsIdToken))
        && (request.wantsCode != (request.wantsAccessToken || request.wantsIdToken));
    if (!supported)
        return refuse(
            request, QStringLiteral("unsupported_response_type"),
            QStringLiteral("response_type \"%1\" is not supported; use code, token, id_token or \"id_token token\"").arg(request.responseType.left(60)));

    const QString mode = value(query, QStringLiteral("response_mode"));
    if (!mode.isEmpty()) {
        if (mode != QLatin1String("query") && mode != QLatin1String("fragment") && mode != QLatin1String("form_post"))
            return refuse(request, QStringLiteral("invalid_request"), QStringLiteral("response_mode \"%1\" is not supported").arg(mode.left(40)));
        // OAuth 2.0 Multiple Response Types §5: tokens never travel in a query string.
        if (mode == QLatin1String("query") && !request.wantsCode)
            return refuse(request, QStringLiteral("invalid_request"), QStringLiteral("tokens cannot be returned with response_mode=query"));
        request.responseMode = mode;
    }

    const QString grant = request.wantsCode ? QStringLiteral("authorization_code") : QStringLiteral("implicit");
    if (!client->allowsGrant(grant))
        return refuse(request, QStringLiteral("unauthorized_client"), QStringLiteral("client %1 may not use the %2 grant").arg(client->name, grant));

    request.scopes = value(query, QStringLiteral("scope")).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    request.scopes.removeDuplicates();
    request.nonce = value(query, QStringLiteral("nonce"));
    if (request.wantsIdToken && !request.scopes.contains(QStringLiteral("openid")))
        return refuse(request, QStringLiteral("invalid_request"), QStringLiteral("an id_token needs the openid scope"));
    // OpenID Connect Core §3.2.2.1: nonce is required whenever the ID token comes from /authorize.
    if (request.wantsIdToken && request.nonce.isEmpty())
        return refuse(request, QStringLiteral("invalid_request"), QStringLiteral("the nonce parameter is required when an id_token is returned"));

    request.prompt = value(query, QStringLiteral("prompt"));
    if (!request.prompt.isEmpty() && request.prompt != QLatin1String("none") && request.prompt != QLatin1String("login")
        && request.prompt != QLatin1String("consent"))
        return refuse(request, QStringLiteral("invalid_request"),
                      QStringLiteral("prompt \"%1\" is not supported; use none, login or consent").arg(request.prompt.left(40)));

    if (query.contains(u"max_age")) {
        static const QRegularExpression digits(QStringLiteral("^[0-9]{1,9}$"));
        const QString maxAge = value(query, QStringLiteral("max_age"));
        if (!digits.match(maxAge).hasMatch())
            return refuse(request, QStringLiteral("invalid_request"), QStringLiteral("max_age must be a whole number of seconds"));
        request.maxAge = maxAge.toLongLong();
    }

    request.codeChallenge = value(query, QStringLiteral("code_challenge"));
    request.codeChallengeMethod = value(query, QStringLiteral("code_challenge_method"));
    if (request.wantsCode) {
        static const QRegularExpression challengeSyntax(QStringLiteral("^[A-Za-z0-9._~-]{43,128}$"));
        if (request.codeChallenge.isEmpty() && !client->confidential)
            return refuse(request, QStringLiteral("invalid_request"), QStringLiteral("a public client must send a PKCE code_challenge (RFC 7636)"));
        if (!request.codeChallenge.isEmpty()) {
            if (request.codeChallengeMethod.isEmpty())
                request.codeChallengeMethod = QStringLiteral("plain");
            if (request.codeChallengeMethod == QLatin1String("plain") && !client->confidential)
                return refuse(request, QStringLiteral("invalid_request"),
                              QStringLiteral("code_challenge_method plain is refused for public clients; use S256"));
            if (request.codeChallengeMethod != QLatin1String("S256") && request.codeChallengeMethod != QLatin1String("plain"))
                return refuse(request, QStringLiteral("invalid_request"),
                              QStringLiteral("code_challenge_method \"%1\" is not supported; use S256").arg(request.codeChallengeMethod.left(20)));
            if (!challengeSyntax.match(request.codeChallenge).hasMatch())
                return refuse(request, QStringLiteral("invalid_request"), QStringLiteral("code_challenge must be 43 to 128 characters of [A-Za-z0-9._~-]"));
        }
    }

    request.audience = value(query, QStringLiteral("audience"));
    if (!request.audience.isEmpty() && !tenant.api(request.audience))
        return refuse(request, QStringLiteral("access_denied"), QStringLiteral("Service not found: %1").arg(request.audience.left(200)));
    return request;
}

QUrl redirectWith(const AuthorizeRequest &request, const QList<QPair<QString, QString>> &parameters)
{
    FormData answer;
    for (const auto &[name, parameterValue] : parameters) {
        if (!parameterValue.isEmpty())
            answer.add(name, parameterValue);
    }
    const QString encoded = answer.toString();
    QUrl url = request.redirectUri;
    if (request.responseMode == QLatin1String("query")) {
        const QString existing = url.query(QUrl::FullyEncoded);
        url.setQuery(existing.isEmpty() ? encoded : existing + QLatin1Char('&') + encoded, QUrl::StrictMode);
    } else {
        url.setFragment(encoded, QUrl::StrictMode);
    }
    return url;
}

} // namespace organizer::authorization
