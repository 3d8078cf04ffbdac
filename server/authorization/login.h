#pragma once

#include "authorizationcontext.h"
#include "httpmessage.h"

namespace organizer::authorization {

// The hosted login page and POST /login: the password checked off the event loop, failures throttled
// per account and, for names that do not exist, per address.
class LoginEndpoint
{
public:
    explicit LoginEndpoint(AuthorizationContext &context) : m_context(context) {}

    // GET /login?transaction=…: the form.
    http::Response form(const http::Request &request);
    // POST /login: the form's answer.
    void submit(const http::Request &request, http::Responder respond);

private:
    http::Response render(const Tenant &tenant, const QByteArray &transactionId, const Transaction &transaction, const QString &username,
                          const QString &error) const;
    http::Response tooManyLogins(const Tenant &tenant, const QByteArray &id, const Transaction &transaction, const QString &username, qint64 wait) const;
    static http::Response busyPage();

    AuthorizationContext &m_context;
};

} // namespace organizer::authorization
