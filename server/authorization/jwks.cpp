#include "jwks.h"

namespace organizer::authorization {

http::Response JwksEndpoint::keys() const
{
    http::Response response;
    response.body = m_context.publishedKeys();
    response.setHeader("content-type", "application/json");
    response.setHeader("cache-control", "public, max-age=300");
    return response;
}

} // namespace organizer::authorization
