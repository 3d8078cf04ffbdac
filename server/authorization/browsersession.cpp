#include "browsersession.h"

#include "cookies.h"
#include "interaction.h"
#include "pages.h"

namespace organizer::authorization {

std::optional<Session> currentSession(AuthorizationContext &context, const Tenant &tenant, const http::Request &request)
{
    const QByteArray id = cookiesOf(request).value(kSessionCookie);
    if (id.isEmpty())
        return std::nullopt;
    auto session = context.state().session(storedHashOf(id));
    if (!session) {
        qCCritical(lcAuthorization).noquote() << session.error() << "- treating the browser as logged out";
        return std::nullopt;
    }
    const User *user = session->has_value() ? tenant.userBySubject((*session)->subject) : nullptr;
    if (!user || user->blocked) // blocked since the login: logged out
        return std::nullopt;
    return *session;
}

http::Response loggedOutPage()
{
    return page(200,
                renderPage(QStringLiteral("message.html"),
                           {{QStringLiteral("title"), QStringLiteral("You are logged out")},
                            {QStringLiteral("body"), QStringLiteral("<p class=\"lead\">You can close this window.</p>")}}));
}

http::Response endSession(AuthorizationContext &context, const http::Request &request, http::Response response)
{
    const QByteArray sessionId = cookiesOf(request).value(kSessionCookie);
    if (!sessionId.isEmpty()) {
        if (auto dropped = context.state().dropSession(storedHashOf(sessionId)); !dropped)
            return storageUnavailable(dropped.error()); // the cookie stays: the session still exists
    }
    setCookie(response, cookieSitesFor(context.issuer()), kSessionCookie, QByteArray(), 0);
    return response;
}

} // namespace organizer::authorization
