#pragma once

#include "authorizerequest.h"
#include "httpmessage.h"
#include "oautherror.h"
#include "tenant.h"

namespace organizer::authorization {

// The answer to the client that sent an /authorize request, in its response mode: a redirect with the
// parameters in the query or the fragment, form_post's page that posts them (OAuth 2.0 Form Post
// Response Mode), or web_message's page that posts them to the window that framed or opened it
// (webmessage.h; `tenant` says which origins the client allows now). Empty values are left out.
http::Response answer(const Tenant &tenant, const AuthorizeRequest &request, const QList<QPair<QString, QString>> &parameters);

// RFC 6749 §4.1.2.1 / §4.2.2.1: error, error_description and state, the same way.
http::Response answerError(const Tenant &tenant, const AuthorizeRequest &request, const oauth::OAuthError &error);

} // namespace organizer::authorization
