#pragma once

#include "managementcontext.h"

namespace organizer::management {

// /api/v2/roles: Auth0's RBAC roles, named sets of permissions users are given together.
class Roles
{
public:
    explicit Roles(ManagementContext &context) : m_context(context) {}

    http::Response list(const http::Request &request);
    http::Response get(const http::Request &request);
    http::Response create(const http::Request &request);
    http::Response update(const http::Request &request);
    http::Response remove(const http::Request &request);
    http::Response listPermissions(const http::Request &request);
    http::Response addPermissions(const http::Request &request);
    http::Response removePermissions(const http::Request &request);
    http::Response listUsers(const http::Request &request);
    http::Response addUsers(const http::Request &request);

private:
    ManagementContext &m_context;
};

} // namespace organizer::management
