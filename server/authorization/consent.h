#pragma once

#include "authorizationcontext.h"
#include "httpmessage.h"

namespace organizer::authorization {

// The consent page and POST /consent: the requested scopes per API with their descriptions, Accept
// or Deny; an accepted consent is remembered (except for loopback redirects, RFC 8252 §8.6).
class ConsentEndpoint
{
public:
    explicit ConsentEndpoint(AuthorizationContext &context) : m_context(context) {}

    // GET /consent?transaction=…: the form.
    http::Response form(const http::Request &request);
    // POST /consent: Accept or Deny.
    http::Response submit(const http::Request &request);

private:
    AuthorizationContext &m_context;
};

} // namespace organizer::authorization
