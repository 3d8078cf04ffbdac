#pragma once

#include "authorizationcontext.h"
#include "httpmessage.h"
#include "tokengrant.h"

#include <memory>
#include <vector>

namespace organizer::authorization {

// POST /oauth/token (RFC 6749 §3.2): reads the parameters, authenticates the client
// (clientauthentication.h) and hands the request to the grant its grant_type names; writes the
// grant's answer (§5.1) or error (§5.2), never cached.
class TokenEndpoint
{
public:
    TokenEndpoint(AuthorizationContext &context, std::vector<std::unique_ptr<TokenGrant>> grants);

    void token(const http::Request &request, http::Responder respond);

private:
    TokenGrant *grantFor(const QString &type);

    AuthorizationContext &m_context;
    std::vector<std::unique_ptr<TokenGrant>> m_grants;
};

} // namespace organizer::authorization
