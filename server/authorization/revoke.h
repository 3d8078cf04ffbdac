#pragma once

#include "authorizationcontext.h"
#include "expected.h"
#include "formencoding.h"
#include "httpmessage.h"
#include "oautherror.h"

namespace organizer::authorization {

// POST /oauth/revoke (RFC 7009, as Auth0 has it): a refresh token takes its whole family and the access
// tokens it issued along; one of this issuer's access tokens is refused by the bundled APIs until it
// would expire. The client authenticates as at the token endpoint and may revoke only its own tokens.
class RevocationEndpoint
{
public:
    explicit RevocationEndpoint(AuthorizationContext &context) : m_context(context) {}

    void revoke(const http::Request &request, http::Responder respond);

private:
    Expected<Done, oauth::OAuthError> revokeFor(const Client &client, const FormData &parameters);

    AuthorizationContext &m_context;
};

} // namespace organizer::authorization
