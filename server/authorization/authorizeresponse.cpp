#include "authorizeresponse.h"

#include "pages.h"
#include "webmessage.h"

namespace organizer::authorization {

http::Response answer(const Tenant &tenant, const AuthorizeRequest &request, const QList<QPair<QString, QString>> &parameters)
{
    if (request.responseMode == kWebMessageMode)
        return webMessagePage(tenant.client(request.clientId), request.redirectUri, parameters);
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

http::Response answerError(const Tenant &tenant, const AuthorizeRequest &request, const oauth::OAuthError &error)
{
    return answer(tenant, request, oauth::redirectParameters(error, request.state));
}

} // namespace organizer::authorization
