#pragma once

#include "authorizationcontext.h"
#include "expected.h"
#include "httpmessage.h"

#include <QUrl>

#include <optional>

namespace organizer::authorization {

// OpenID Connect RP-Initiated Logout 1.0 at /oidc/logout (discovery's end_session_endpoint):
// id_token_hint names the client, whose registered post_logout_redirect_uri is the only place the
// browser is sent. Without a hint for the session's user the person is asked first (GET shows the
// question, POST answers it), so a link alone cannot log anyone out.
class EndSessionEndpoint
{
public:
    explicit EndSessionEndpoint(AuthorizationContext &context) : m_context(context) {}

    // GET /oidc/logout
    http::Response logout(const http::Request &request);
    // POST /oidc/logout: the answer to the question.
    http::Response confirm(const http::Request &request);

private:
    // Where the browser goes afterwards: the registered post_logout_redirect_uri with state, or nullopt
    // for the logged-out page; an unregistered target is refused with the sentence the page shows.
    static Expected<std::optional<QUrl>, QString> destination(const Tenant &tenant, const QString &clientId, const QString &target, const QString &state);
    QByteArray confirmationToken(const QByteArray &sessionId) const;
    http::Response leave(const http::Request &request, const Tenant &tenant, const QString &clientId, const QString &target, const QString &state);

    AuthorizationContext &m_context;
};

} // namespace organizer::authorization
