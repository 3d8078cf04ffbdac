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

// 404 inexistent_client, as Auth0 answers for a client_id it does not know (here and in client grants).
http::Response noSuchClient();

} // namespace organizer::management
