#pragma once

#include "authorizationcontext.h"
#include "expected.h"
#include "formencoding.h"
#include "oautherror.h"

#include <QHostAddress>
#include <QJsonObject>
#include <QLatin1StringView>

#include <functional>

namespace organizer::authorization {

// One grant type of the token endpoint (RFC 6749 §4): it gets an authenticated client that may use it,
// and answers with the token response's members (§5.1) or the error (§5.2); the token endpoint writes
// either. Adding a grant is a class like this and a line in AuthorizationServer.
class TokenGrant
{
public:
    struct Request
    {
        TenantSnapshot tenant; // holds `client`
        const Client &client;
        const FormData &parameters;
        QHostAddress peer; // who sent the request, for throttles per address
    };
    // The §5.2 error, and for an attempt turned away by a throttle the seconds to wait (Retry-After).
    struct Refusal
    {
        Refusal(oauth::OAuthError refused, qint64 wait = 0) : error(std::move(refused)), retryAfter(wait) {}
        oauth::OAuthError error;
        qint64 retryAfter = 0;
    };
    using Result = Expected<QJsonObject, Refusal>;
    using Done = std::function<void(const Result &)>;

    virtual ~TokenGrant() = default;
    // The grant_type value.
    virtual QLatin1StringView type() const = 0;
    // Calls `done` once, at once or later from another thread; `request` lives only until this returns.
    virtual void issue(const Request &request, Done done) = 0;
};

} // namespace organizer::authorization
