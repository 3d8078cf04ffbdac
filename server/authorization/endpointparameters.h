#pragma once

#include "expected.h"
#include "formencoding.h"
#include "httpmessage.h"
#include "oautherror.h"

namespace organizer::authorization {

// The parameters of a token or revocation request: a form or, as Auth0 also takes them, a JSON object
// of strings; each name at most once.
Expected<FormData, oauth::OAuthError> readEndpointParameters(const http::Request &request);

// How the token and revocation endpoints answer an error: the RFC 6749 §5.2 body, never cached
// (Cache-Control: no-store and Pragma: no-cache, §5.1).
http::Response tokenErrorResponse(const oauth::OAuthError &error);

} // namespace organizer::authorization
