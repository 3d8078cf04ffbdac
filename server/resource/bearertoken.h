#pragma once

#include "httpmessage.h"

namespace organizer::resource {

// What the Authorization header holds, per RFC 6750 §2.1. Tokens are read from that header only:
// never from the query string or a form body, where they end up in logs and browser history.
struct BearerCredentials
{
    enum class Kind {
        Missing, // no Authorization header (or another scheme): 401 with no error code
        OtherScheme, // e.g. Basic: this API does not take those, 401 with no error code
        Malformed, // 400 invalid_request
        Present,
    };
    Kind kind = Kind::Missing;
    QByteArray token;
    QString problem; // for Missing/OtherScheme/Malformed: what to tell the client
};

BearerCredentials readBearerCredentials(const http::Request &request);

} // namespace organizer::resource
