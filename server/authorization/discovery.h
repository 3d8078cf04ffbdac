#pragma once

#include "authorizationcontext.h"
#include "httpmessage.h"

namespace organizer::authorization {

// GET /.well-known/openid-configuration (OpenID Connect Discovery 1.0 §3): the endpoints under the
// issuer, what they support, and every scope the tenant's APIs define.
class DiscoveryEndpoint
{
public:
    explicit DiscoveryEndpoint(AuthorizationContext &context) : m_context(context) {}

    http::Response configuration() const;

private:
    AuthorizationContext &m_context;
};

} // namespace organizer::authorization
