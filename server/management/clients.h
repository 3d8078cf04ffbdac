#pragma once

#include "managementcontext.h"

namespace organizer::management {

// /api/v2/clients: the tenant's applications, read-only (their secrets are never shown).
class Clients
{
public:
    explicit Clients(ManagementContext &context) : m_context(context) {}

    http::Response list(const http::Request &request);
    http::Response get(const http::Request &request);

private:
    ManagementContext &m_context;
};

} // namespace organizer::management
