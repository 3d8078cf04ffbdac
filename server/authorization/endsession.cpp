#include "endsession.h"

#include "base64url.h"
#include "browsersession.h"
#include "cookies.h"
#include "jwtverifier.h"
#include "pages.h"

#include <QJsonArray>
#include <QMessageAuthenticationCode>

namespace organizer::authorization {

namespace {

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

http::Response invalidLogout(const QString &message)
{
    return errorPage(400, QStringLiteral("Logout request not valid"), message);
}

} // namespace

Expected<std::optional<QUrl>, QString> EndSessionEndpoint::destination(const Tenant &tenant, const QString &clientId, const QString &target,
                                                                       const QString &state)
{
    if (target.isEmpty())
        return std::optional<QUrl>();
    const Client *client = tenant.client(clientId);
    QUrl url(target, QUrl::StrictMode);
    if (!client || !url.isValid() || !client->allowsLogoutUrl(url))
        return Unexpected<QString>(QStringLiteral("\"%1\" is not a registered logout URL for this application.").arg(target.left(200)));
    if (!state.isEmpty()) {
        FormData query = FormData::parse(url.query(QUrl::FullyEncoded).toLatin1());
        query.add(QStringLiteral("state"), state);
        url.setQuery(query.toString(), QUrl::StrictMode);
    }
    return std::optional<QUrl>(url);
}

http::Response EndSessionEndpoint::leave(const http::Request &request, const Tenant &tenant, const QString &clientId, const QString &target,
                                         const QString &state)
{
    auto destination = EndSessionEndpoint::destination(tenant, clientId, target, state);
    if (!destination)
        return errorPage(400, QStringLiteral("Logout target not allowed"), destination.error());
    return endSession(m_context, request, *destination ? redirect(**destination) : loggedOutPage());
}

QByteArray EndSessionEndpoint::confirmationToken(const QByteArray &sessionId) const
{
    return jose::base64UrlEncode(QMessageAuthenticationCode::hash("oidc-logout:" + sessionId, m_context.formKey(), QCryptographicHash::Sha256));
}

http::Response EndSessionEndpoint::logout(const http::Request &request)
{
    const QString hint = request.query.value(QStringLiteral("id_token_hint"));
    const QString target = request.query.value(QStringLiteral("post_logout_redirect_uri"));
    const QString state = request.query.value(QStringLiteral("state"));
    QString clientId = request.query.value(QStringLiteral("client_id"));
    const TenantSnapshot tenant = m_context.tenant();
    const std::optional<Session> session = currentSession(m_context, *tenant, request);
    bool hintNamesTheSessionsUser = false;
    if (!hint.isEmpty()) {
        if (!jose::parseCompactJws(hint.toLatin1()))
            return invalidLogout(QStringLiteral("id_token_hint is not a token."));
        // Only the signature and the issuer decide whether the hint came from here, whatever its
        // audience; an expired hint is fine (the session may have outlived it), a foreign one is not.
        const jose::JwtVerifier verifier(jose::JwtPolicy::issuedHere(m_context.issuer(), 100 * 365 * 86400LL));
        auto verified = verifier.verify(hint.toLatin1(), m_context.publishedKeySet().value());
        if (!verified)
            return invalidLogout(QStringLiteral("id_token_hint was not issued here: %1").arg(verified.error().description));
        // A token of ours that is not an ID token (an access token) names no client and no user: the
        // user is asked, as without a hint.
        if (const std::optional<QString> hinted = idTokenClient(*verified, *tenant)) {
            if (!clientId.isEmpty() && clientId != *hinted)
                return invalidLogout(QStringLiteral("client_id does not match id_token_hint."));
            clientId = *hinted;
            hintNamesTheSessionsUser = session && session->subject == verified->subject();
        }
    }
    if (!session || hintNamesTheSessionsUser)
        return leave(request, *tenant, clientId, target, state);
    if (auto checked = destination(*tenant, clientId, target, state); !checked)
        return errorPage(400, QStringLiteral("Logout target not allowed"), checked.error());
    // §2 / §6: without a hint for this user (none, another user's ID token, an access token) anyone
    // could log the user out with a link; ask first.
    const QByteArray sessionId = cookiesOf(request).value(kSessionCookie);
    const QString form
        = QStringLiteral("<p class=\"lead\">Do you want to log out of Organizer?</p>"
                         "<form method=\"post\" action=\"/oidc/logout\">"
                         "<input type=\"hidden\" name=\"csrf\" value=\"%1\">"
                         "<input type=\"hidden\" name=\"client_id\" value=\"%2\">"
                         "<input type=\"hidden\" name=\"post_logout_redirect_uri\" value=\"%3\">"
                         "<input type=\"hidden\" name=\"state\" value=\"%4\">"
                         "<div class=\"actions\"><button class=\"secondary\" type=\"submit\" name=\"decision\" value=\"stay\">Stay logged in</button>"
                         "<button class=\"primary\" type=\"submit\" name=\"decision\" value=\"logout\" autofocus>Log out</button></div></form>")
              .arg(QString::fromLatin1(confirmationToken(sessionId)), htmlEscape(clientId), htmlEscape(target), htmlEscape(state));
    const QUrl targetUrl(target, QUrl::StrictMode);
    return page(200, renderPage(QStringLiteral("message.html"), {{QStringLiteral("title"), QStringLiteral("Log out?")}, {QStringLiteral("body"), form}}),
                target.isEmpty() ? QString() : originOf(targetUrl));
}

http::Response EndSessionEndpoint::confirm(const http::Request &request)
{
    const auto form = parseForm(request.body);
    if (!form)
        return errorPage(400, QStringLiteral("The form could not be read"), QStringLiteral("The form was not valid UTF-8."));
    const QByteArray sessionId = cookiesOf(request).value(kSessionCookie);
    const TenantSnapshot tenant = m_context.tenant();
    if (!currentSession(m_context, *tenant, request))
        return loggedOutPage(); // nothing to end
    if (!constantTimeEquals(form->value(u"csrf").toLatin1(), confirmationToken(sessionId)))
        return errorPage(400, QStringLiteral("The form could not be verified"), QStringLiteral("The form's security token does not match."));
    if (form->value(u"decision") != QLatin1String("logout"))
        return page(200,
                    renderPage(QStringLiteral("message.html"),
                               {{QStringLiteral("title"), QStringLiteral("You are still logged in")},
                                {QStringLiteral("body"), QStringLiteral("<p class=\"lead\">You can close this window.</p>")}}));
    return leave(request, *tenant, form->value(u"client_id"), form->value(u"post_logout_redirect_uri"), form->value(u"state"));
}

} // namespace organizer::authorization
