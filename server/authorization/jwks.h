#pragma once

#include "authorizationcontext.h"
#include "httpmessage.h"

namespace organizer::authorization {

// GET /.well-known/jwks.json (RFC 7517 §5): the public keys tokens are signed with, the next and the
// retiring ones included, cacheable for five minutes.
class JwksEndpoint
{
public:
    explicit JwksEndpoint(AuthorizationContext &context) : m_context(context) {}

    http::Response keys() const;

private:
    AuthorizationContext &m_context;
};

} // namespace organizer::authorization
