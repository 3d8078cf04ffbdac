#pragma once

#include "managementcontext.h"

namespace organizer::management {

// /api/v2/users: the tenant's users (its database connection's, created, changed and deleted as Auth0's
// are), the permissions assigned to them directly and the roles they hold; /api/v2/users-by-email.
class Users
{
public:
    explicit Users(ManagementContext &context) : m_context(context) {}

    http::Response list(const http::Request &request);
    http::Response listByEmail(const http::Request &request);
    http::Response get(const http::Request &request);
    http::Response create(const http::Request &request);
    http::Response update(const http::Request &request);
    http::Response remove(const http::Request &request);
    http::Response listPermissions(const http::Request &request);
    http::Response addPermissions(const http::Request &request);
    http::Response removePermissions(const http::Request &request);
    http::Response listRoles(const http::Request &request);
    http::Response addRoles(const http::Request &request);
    http::Response removeRoles(const http::Request &request);

    // The password a POST or PATCH will store, when its body would be taken: hashed before the call runs.
    static ManagementContext::SecretsToHash secretsToCreate(const authorization::Tenant &tenant, const http::Request &request, const QStringList &scopes);
    static ManagementContext::SecretsToHash secretsToUpdate(const authorization::Tenant &tenant, const http::Request &request, const QStringList &scopes);

private:
    ManagementContext &m_context;
};

} // namespace organizer::management
