// GET /authorize: the checks in order, then the transaction that login and consent continue.
#include "authorizationserver.h"

#include "endpointsupport.h"

#include "grants.h"
#include "pages.h"

namespace organizer::authorization {

using namespace endpoint;

http::Response AuthorizationServer::authorize(const http::Request &request)
{
    const TenantSnapshot tenant = this->tenant();
    auto parsed = parseAuthorizeRequest(request.query, *tenant);
    if (!parsed) {
        const AuthorizeError &error = parsed.error();
        qCInfo(lcAuthorization).noquote() << "authorize refused:" << error.error << error.description;
        if (!error.redirectable)
            return errorPage(400, QStringLiteral("This login request cannot be completed"), error.description);
        return answerError(error.partial, error.error, error.description);
    }
    Transaction transaction;
    transaction.request = parsed.value();
    transaction.csrf = randomToken();
    transaction.expiresAt = m_clock() + kTransactionLifetime;
    transaction.address = http::addressGroup(request.peer); // counted like the HTTP layer's connections: IPv4, or IPv6 /64
    transaction.bytes = 512 + 2 * request.query.encode().size(); // its values, held as UTF-16
    const QHash<QByteArray, QByteArray> cookies = cookiesOf(request);
    transaction.browser = cookies.value(kBrowserCookie);
    bool newBrowser = false;
    if (transaction.browser.size() != 43) {
        transaction.browser = randomToken();
        newBrowser = true;
    }

    std::optional<Session> session = currentSession(*tenant, request);
    // OpenID Connect Core §3.1.2.1: a session older than max_age must log in again, and max_age=0 is
    // prompt=login — also within the second of the last login, which whole seconds cannot tell apart.
    const qint64 maxAge = transaction.request.maxAge;
    if (session && maxAge >= 0 && (maxAge == 0 || m_clock() - session->authTime > maxAge)) {
        if (transaction.request.prompt == QLatin1String("none"))
            return answerError(transaction.request, QStringLiteral("login_required"),
                               QStringLiteral("the last login is older than max_age=%1 seconds").arg(transaction.request.maxAge));
        session.reset();
    }
    if (transaction.request.prompt == QLatin1String("none")) {
        if (!session)
            return answerError(transaction.request, QStringLiteral("login_required"), QStringLiteral("the user is not logged in"));
    }
    if (session && transaction.request.prompt != QLatin1String("login")) {
        transaction.subject = session->subject;
        transaction.authTime = session->authTime;
    }
    const QByteArray id = randomToken(24);
    const QByteArray browser = transaction.browser;
    auto stored = m_state.putTransaction(id, transaction, kPendingLoginLimits);
    if (!stored)
        return storageUnavailable(stored.error());
    if (*stored > 0)
        qCInfo(lcAuthorization).noquote() << "made room for a login from" << transaction.address << "by dropping" << *stored
                                          << "unfinished logins (the oldest of the address that holds most)";
    http::Response response = advance(*tenant, id, transaction);
    if (newBrowser)
        setCookie(response, kBrowserCookie, browser, kSessionLifetime);
    return response;
}

std::optional<Session> AuthorizationServer::currentSession(const Tenant &tenant, const http::Request &request) const
{
    const QByteArray id = cookiesOf(request).value(kSessionCookie);
    if (id.isEmpty())
        return std::nullopt;
    auto session = m_state.session(hashOf(id));
    if (!session) {
        qCCritical(lcAuthorization).noquote() << session.error() << "- treating the browser as logged out";
        return std::nullopt;
    }
    if (!session->has_value() || !tenant.userBySubject((*session)->subject))
        return std::nullopt;
    return *session;
}

QStringList AuthorizationServer::grantedFor(const Tenant &tenant, const AuthorizeRequest &request, const User &user)
{
    const Api *api = tenant.api(request.audience);
    return grantedScopes(request.scopes, api, api ? tenant.permissionsOf(user, api->identifier) : QStringList());
}

http::Response AuthorizationServer::advance(const Tenant &tenant, const QByteArray &id, const Transaction &transaction)
{
    const AuthorizeRequest &request = transaction.request;
    if (transaction.subject.isEmpty()) {
        QUrl login(QStringLiteral("/login"));
        login.setQuery(QStringLiteral("transaction=") + QString::fromLatin1(id));
        return redirect(login);
    }
    const User *user = tenant.userBySubject(transaction.subject);
    if (!user)
        return answerError(request, QStringLiteral("login_required"), QStringLiteral("the user no longer exists"));
    QStringList toConsent = grantedFor(tenant, request, *user);
    toConsent.removeAll(QStringLiteral("openid"));
    // RFC 8252 §8.6, as Auth0 does: any local process can listen on a loopback redirect, so the
    // server cannot know which app it is talking to; consent there is always asked, never remembered.
    const bool loopback = isLoopbackRedirect(request.redirectUri);
    const bool remembered = !loopback && m_consents->covers(user->subject(), request.clientId, request.audience, toConsent);
    if (!remembered || request.prompt == QLatin1String("consent")) {
        if (request.prompt == QLatin1String("none"))
            return answerError(request, QStringLiteral("consent_required"),
                               loopback ? QStringLiteral("consent for a loopback redirect URI is asked every time")
                                        : QStringLiteral("the user has not consented to these scopes yet"));
        QUrl consentUrl(QStringLiteral("/consent"));
        consentUrl.setQuery(QStringLiteral("transaction=") + QString::fromLatin1(id));
        return redirect(consentUrl);
    }
    return complete(tenant, id, transaction);
}

http::Response AuthorizationServer::complete(const Tenant &tenant, const QByteArray &id, const Transaction &transaction)
{
    const AuthorizeRequest request = transaction.request;
    const User *user = tenant.userBySubject(transaction.subject);
    const qint64 authTime = transaction.authTime;
    // Exactly once, even when the same consent is answered twice at once on two instances.
    auto taken = m_state.takeTransaction(id);
    if (!taken)
        return storageUnavailable(taken.error());
    if (!*taken)
        return errorPage(400, QStringLiteral("This login has expired"), QStringLiteral("This login was already completed."));
    if (!user)
        return answerError(request, QStringLiteral("login_required"), QStringLiteral("the user no longer exists"));
    const QStringList scopes = grantedFor(tenant, request, *user);
    const Api *api = tenant.api(request.audience);

    QList<QPair<QString, QString>> parameters;
    if (request.wantsCode) {
        const QByteArray code = randomToken();
        Code issued;
        issued.request = request;
        issued.subject = user->subject();
        issued.scopes = scopes;
        issued.authTime = authTime;
        issued.expiresAt = m_clock() + kCodeLifetime;
        if (auto stored = m_state.putCode(hashOf(code), issued); !stored) {
            qCCritical(lcAuthorization).noquote() << stored.error();
            return answerError(request, QStringLiteral("temporarily_unavailable"), QStringLiteral("the authorization code could not be stored"));
        }
        parameters = {{QStringLiteral("code"), QString::fromLatin1(code)}, {QStringLiteral("state"), request.state}};
        return answer(request, parameters);
    }
    QByteArray accessToken;
    if (request.wantsAccessToken) {
        auto minted = m_minter->accessToken(api, user->subject(), request.clientId, scopes, false);
        if (!minted)
            return answerError(request, QStringLiteral("server_error"), QStringLiteral("the access token could not be signed"));
        accessToken = minted->token;
        parameters += {{QStringLiteral("access_token"), QString::fromLatin1(accessToken)},
                       {QStringLiteral("token_type"), QStringLiteral("Bearer")},
                       {QStringLiteral("expires_in"), QString::number(minted->expiresIn)}};
    }
    parameters.append({QStringLiteral("scope"), scopes.join(QLatin1Char(' '))});
    if (request.wantsIdToken) {
        auto idToken = m_minter->idToken({user, request.clientId, request.nonce, scopes, authTime, accessToken, {}});
        if (!idToken)
            return answerError(request, QStringLiteral("server_error"), QStringLiteral("the ID token could not be signed"));
        parameters.append({QStringLiteral("id_token"), QString::fromLatin1(*idToken)});
    }
    parameters.append({QStringLiteral("state"), request.state});
    qCInfo(lcAuthorization).noquote() << "issued" << request.responseType << "to" << request.clientId << "for" << user->subject() << "scope"
                                      << scopes.join(QLatin1Char(' '));
    return answer(request, parameters);
}

http::Response AuthorizationServer::answer(const AuthorizeRequest &request, const QList<QPair<QString, QString>> &parameters)
{
    if (request.responseMode == QLatin1String("form_post")) {
        QString fields;
        for (const auto &[name, value] : parameters) {
            if (!value.isEmpty())
                fields += QStringLiteral("<input type=\"hidden\" name=\"%1\" value=\"%2\">\n").arg(htmlEscape(name), htmlEscape(value));
        }
        http::Response response
            = page(200,
                   renderPage(QStringLiteral("form_post.html"),
                              {{QStringLiteral("action"), request.redirectUri.toString(QUrl::FullyEncoded)}, {QStringLiteral("fields"), fields}}));
        // OAuth 2.0 Form Post Response Mode §5: the page may post to the client's origin and run its one script.
        response.setHeader("content-security-policy",
                           "default-src 'none'; script-src 'unsafe-inline'; form-action " + originOf(request.redirectUri).toUtf8()
                               + "; frame-ancestors 'none'");
        return response;
    }
    return redirect(redirectWith(request, parameters));
}

http::Response AuthorizationServer::answerError(const AuthorizeRequest &request, const QString &error, const QString &description)
{
    return answer(request,
                  {{QStringLiteral("error"), error},
                   {QStringLiteral("error_description"), http::errorDescriptionText(description)},
                   {QStringLiteral("state"), request.state}});
}

} // namespace organizer::authorization
