#include "logout.h"

#include "browsersession.h"
#include "pages.h"

namespace organizer::authorization {

http::Response LogoutEndpoint::logout(const http::Request &request)
{
    const QString returnTo = request.query.value(QStringLiteral("returnTo"));
    const QString clientId = request.query.value(QStringLiteral("client_id"));
    http::Response response;
    if (!returnTo.isEmpty()) {
        const TenantSnapshot tenant = m_context.tenant();
        const Client *client = tenant->client(clientId);
        const QUrl target(returnTo, QUrl::StrictMode);
        if (!client || !target.isValid() || !client->allowsLogoutUrl(target))
            return errorPage(400, QStringLiteral("Logout target not allowed"),
                             QStringLiteral("\"%1\" is not an allowed logout URL for this application.").arg(returnTo.left(200)));
        response = redirect(target);
    } else {
        response = loggedOutPage();
    }
    return endSession(m_context, request, std::move(response));
}

} // namespace organizer::authorization
