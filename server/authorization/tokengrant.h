#pragma once

#include "authorizationcontext.h"
#include "expected.h"
#include "formencoding.h"
#include "oautherror.h"

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
    };
    using Result = Expected<QJsonObject, oauth::OAuthError>;
    using Done = std::function<void(const Result &)>;

    virtual ~TokenGrant() = default;
    // The grant_type value.
    virtual QLatin1StringView type() const = 0;
    // Calls `done` once, at once or later from another thread; `request` lives only until this returns.
    virtual void issue(const Request &request, Done done) = 0;
};

} // namespace organizer::authorization
