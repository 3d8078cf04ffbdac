// Auth0's GET /v2/logout and RP-Initiated Logout's /oidc/logout.
#include "authorizationserver.h"

#include "endpointsupport.h"

#include "pages.h"

#include <QMessageAuthenticationCode>

namespace organizer::authorization {

using namespace endpoint;

namespace {

// The audience a hint's signature and issuer are checked against: its own, whatever its shape (a
// string, or an array with azp naming the client), so that only the signature and issuer decide
// whether the hint came from here.
QString claimedAudience(const QJsonObject &claims)
{
    const QJsonValue aud = claims.value(QLatin1String("aud"));
    if (!aud.isArray())
        return aud.toString();
    const QJsonArray audiences = aud.toArray();
    const QString azp = claims.value(QLatin1String("azp")).toString();
    if (!azp.isEmpty() && audiences.contains(azp))
        return azp;
    return audiences.isEmpty() ? QString() : audiences.first().toString();
}

// The client a token of this issuer was issued to as an ID token, or nothing when it is not one.
// This issuer signs access tokens with the same key, so the signature alone does not make an ID token
// (RP-Initiated Logout §2): an access token has a "scope" (and "gty" from client_credentials,
// "client_id" and typ at+jwt under RFC 9068), and its aud is an API; an ID token's aud is a client of
// this tenant, alone, or among others with azp naming it (OpenID Connect Core §2).
std::optional<QString> idTokenClient(const jose::VerifiedJwt &token, const Tenant &tenant)
{
    const QString type = token.header.value(QLatin1String("typ")).toString();
    if (type.endsWith(QLatin1String("at+jwt"), Qt::CaseInsensitive))
        return std::nullopt;
    for (const QLatin1String accessTokenClaim : {QLatin1String("scope"), QLatin1String("gty"), QLatin1String("client_id"), QLatin1String("permissions")}) {
        if (token.claims.contains(accessTokenClaim))
            return std::nullopt;
    }
    const QJsonValue aud = token.claims.value(QLatin1String("aud"));
    const QString azp = token.claims.value(QLatin1String("azp")).toString();
    QString client = aud.isString() ? aud.toString() : azp;
    if (client.isEmpty() && aud.isArray() && aud.toArray().size() == 1)
        client = aud.toArray().first().toString();
    if (aud.isArray() && !aud.toArray().contains(client))
        return std::nullopt;
    if (client.isEmpty() || (!azp.isEmpty() && azp != client) || !tenant.client(client) || token.subject().isEmpty())
        return std::nullopt;
    return client;
}

} // namespace

http::Response AuthorizationServer::loggedOutPage() const
{
    return page(200,
                renderPage(QStringLiteral("message.html"),
                           {{QStringLiteral("title"), QStringLiteral("You are logged out")},
                            {QStringLiteral("body"), QStringLiteral("<p class=\"lead\">You can close this window.</p>")}}));
}

http::Response AuthorizationServer::endSession(const http::Request &request, http::Response response)
{
    const QByteArray sessionId = cookiesOf(request).value(kSessionCookie);
    if (!sessionId.isEmpty()) {
        if (auto dropped = m_state.dropSession(hashOf(sessionId)); !dropped)
            return storageUnavailable(dropped.error()); // the cookie stays: the session still exists
    }
    setCookie(response, kSessionCookie, QByteArray(), 0);
    return response;
}

http::Response AuthorizationServer::logout(const http::Request &request)
{
    // Auth0's /v2/logout: end the session, then go to returnTo if the client allows it.
    const QString returnTo = param(request.query, QStringLiteral("returnTo"));
    const QString clientId = param(request.query, QStringLiteral("client_id"));
    http::Response response;
    if (!returnTo.isEmpty()) {
        const TenantSnapshot tenant = this->tenant();
        const Client *client = tenant->client(clientId);
        const QUrl target(returnTo, QUrl::StrictMode);
        if (!client || !target.isValid() || !client->allowsLogoutUrl(target))
            return errorPage(400, QStringLiteral("Logout target not allowed"),
                             QStringLiteral("\"%1\" is not an allowed logout URL for this application.").arg(returnTo.left(200)));
        response = redirect(target);
    } else {
        response = loggedOutPage();
    }
    return endSession(request, std::move(response));
}

Expected<http::Response, http::Response> AuthorizationServer::logoutDestination(const Tenant &tenant, const QString &clientId, const QString &target,
                                                                                const QString &state) const
{
    if (target.isEmpty())
        return loggedOutPage();
    const Client *client = tenant.client(clientId);
    QUrl url(target, QUrl::StrictMode);
    if (!client || !url.isValid() || !client->allowsLogoutUrl(url))
        return Unexpected<http::Response>(errorPage(400, QStringLiteral("Logout target not allowed"),
                                                    QStringLiteral("\"%1\" is not a registered logout URL for this application.").arg(target.left(200))));
    if (!state.isEmpty()) {
        FormData query = FormData::parse(url.query(QUrl::FullyEncoded).toLatin1());
        query.add(QStringLiteral("state"), state);
        url.setQuery(query.toString(), QUrl::StrictMode);
    }
    return redirect(url);
}

QByteArray AuthorizationServer::logoutConfirmationToken(const QByteArray &sessionId) const
{
    return jose::base64UrlEncode(QMessageAuthenticationCode::hash("oidc-logout:" + sessionId, m_formKey, QCryptographicHash::Sha256));
}

http::Response AuthorizationServer::oidcLogout(const http::Request &request)
{
    // OpenID Connect RP-Initiated Logout 1.0: id_token_hint names the client, whose registered
    // post_logout_redirect_uri is the only place we send the browser.
    const QString hint = param(request.query, QStringLiteral("id_token_hint"));
    const QString target = param(request.query, QStringLiteral("post_logout_redirect_uri"));
    const QString state = param(request.query, QStringLiteral("state"));
    QString clientId = param(request.query, QStringLiteral("client_id"));
    const TenantSnapshot tenant = this->tenant();
    const std::optional<Session> session = currentSession(*tenant, request);
    bool hintNamesTheSessionsUser = false;
    if (!hint.isEmpty()) {
        auto parsed = jose::parseCompactJws(hint.toLatin1());
        if (!parsed)
            return errorPage(400, QStringLiteral("Logout request not valid"), QStringLiteral("id_token_hint is not a token."));
        const QJsonObject claims = QJsonDocument::fromJson(parsed->payload).object();
        // An expired hint is fine (the session may have outlived it); a foreign one is not.
        jose::JwtVerifier verifier({m_minter->issuer(), claimedAudience(claims), 100 * 365 * 86400LL});
        auto verified = verifier.verify(hint.toLatin1(), jose::JwkSet::fromJson(m_publishedKeys()).value());
        if (!verified)
            return errorPage(400, QStringLiteral("Logout request not valid"),
                             QStringLiteral("id_token_hint was not issued here: %1").arg(verified.error().description));
        // A token of ours that is not an ID token (an access token) names no client and no user: the
        // user is asked, as without a hint.
        if (const std::optional<QString> hinted = idTokenClient(*verified, *tenant)) {
            if (!clientId.isEmpty() && clientId != *hinted)
                return errorPage(400, QStringLiteral("Logout request not valid"), QStringLiteral("client_id does not match id_token_hint."));
            clientId = *hinted;
            hintNamesTheSessionsUser = session && session->subject == verified->subject();
        }
    }
    auto destination = logoutDestination(*tenant, clientId, target, state);
    if (!destination)
        return destination.error();
    const QByteArray sessionId = cookiesOf(request).value(kSessionCookie);
    if (!session || hintNamesTheSessionsUser)
        return endSession(request, std::move(destination).value());
    // §2 / §6: without a hint for this user (none, another user's ID token, an access token) anyone
    // could log the user out with a link; ask first.
    const QString form
        = QStringLiteral("<p class=\"lead\">Do you want to log out of Organizer?</p>"
                         "<form method=\"post\" action=\"/oidc/logout\">"
                         "<input type=\"hidden\" name=\"csrf\" value=\"%1\">"
                         "<input type=\"hidden\" name=\"client_id\" value=\"%2\">"
                         "<input type=\"hidden\" name=\"post_logout_redirect_uri\" value=\"%3\">"
                         "<input type=\"hidden\" name=\"state\" value=\"%4\">"
                         "<div class=\"actions\"><button class=\"secondary\" type=\"submit\" name=\"decision\" value=\"stay\">Stay logged in</button>"
                         "<button class=\"primary\" type=\"submit\" name=\"decision\" value=\"logout\" autofocus>Log out</button></div></form>")
              .arg(QString::fromLatin1(logoutConfirmationToken(sessionId)), htmlEscape(clientId), htmlEscape(target), htmlEscape(state));
    const QUrl targetUrl(target, QUrl::StrictMode);
    return page(200, renderPage(QStringLiteral("message.html"), {{QStringLiteral("title"), QStringLiteral("Log out?")}, {QStringLiteral("body"), form}}),
                target.isEmpty() ? QString() : originOf(targetUrl));
}

http::Response AuthorizationServer::confirmOidcLogout(const http::Request &request)
{
    const auto form = parseForm(request.body);
    if (!form)
        return errorPage(400, QStringLiteral("The form could not be read"), QStringLiteral("The form was not valid UTF-8."));
    const QByteArray sessionId = cookiesOf(request).value(kSessionCookie);
    const TenantSnapshot tenant = this->tenant();
    if (!currentSession(*tenant, request))
        return loggedOutPage(); // nothing to end
    if (!constantTimeEquals(form->value(u"csrf").toLatin1(), logoutConfirmationToken(sessionId)))
        return errorPage(400, QStringLiteral("The form could not be verified"), QStringLiteral("The form's security token does not match."));
    if (form->value(u"decision") != QLatin1String("logout"))
        return page(200,
                    renderPage(QStringLiteral("message.html"),
                               {{QStringLiteral("title"), QStringLiteral("You are still logged in")},
                                {QStringLiteral("body"), QStringLiteral("<p class=\"lead\">You can close this window.</p>")}}));
    auto destination = logoutDestination(*tenant, form->value(u"client_id"), form->value(u"post_logout_redirect_uri"), form->value(u"state"));
    if (!destination)
        return destination.error();
    return endSession(request, std::move(destination).value());
}

} // namespace organizer::authorization
