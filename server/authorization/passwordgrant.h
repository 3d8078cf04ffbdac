#pragma once

#include "tokengrant.h"

namespace organizer::authorization {

// grant_type=password (RFC 6749 §4.3) and Auth0's http://auth0.com/oauth/grant-type/password-realm,
// which names the database connection in `realm`: a user's tokens for their email and password, for
// applications that enable the grant type (Auth0's guidance for automated tests; RFC 9700 §2.4 says
// it must not be used otherwise). The password is checked as the login page checks it: the same
// normalised login, the KDF off the event loop, the same throttles per account and per address, the
// same RBAC. Consent is implied, as for Auth0's first-party applications.
class PasswordGrant : public TokenGrant
{
public:
    enum class Variant { Password, PasswordRealm };
    PasswordGrant(AuthorizationContext &context, Variant variant) : m_context(context), m_variant(variant) {}

    QLatin1StringView type() const override;
    void issue(const Request &request, Done done) override;

private:
    // What the request asked for, kept while the KDF runs (the request is gone by then).
    struct Attempt
    {
        QString grantType;
        QString clientId;
        QString subject; // empty: no such user
        QString audience;
        QStringList requested;
        QString accountKey;
        QString addressKey;
        QString peer;
    };
    // On the context's callback thread, with the KDF's verdict; reads the tenant as it is now.
    Result answer(const Attempt &attempt, bool passwordValid);

    AuthorizationContext &m_context;
    Variant m_variant;
};

} // namespace organizer::authorization
