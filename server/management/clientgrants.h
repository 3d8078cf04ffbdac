#pragma once

#include "managementcontext.h"

namespace organizer::management {

// /api/v2/client-grants: which machine-to-machine application may ask for which API's scopes (the
// dashboard's "Machine to Machine Applications" tab of an API).
class ClientGrants
{
public:
    explicit ClientGrants(ManagementContext &context) : m_context(context) {}

    http::Response list(const http::Request &request);
    http::Response create(const http::Request &request);
    http::Response update(const http::Request &request);
    http::Response remove(const http::Request &request);

private:
    ManagementContext &m_context;
};

} // namespace organizer::management
