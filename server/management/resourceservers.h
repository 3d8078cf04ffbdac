#pragma once

#include "managementcontext.h"

namespace organizer::management {

// /api/v2/resource-servers: the tenant's APIs (the tutorial's "Create API", its Settings and its
// Permissions tab), the served one with the APIs with records it declares. The system Management API
// is listed but cannot be changed or deleted.
class ResourceServers
{
public:
    explicit ResourceServers(ManagementContext &context) : m_context(context) {}

    http::Response list(const http::Request &request);
    http::Response get(const http::Request &request);
    http::Response create(const http::Request &request);
    http::Response update(const http::Request &request);
    http::Response remove(const http::Request &request);

private:
    QJsonObject shapeOf(const QString &identifier) const;
    QJsonObject shapeOf(const authorization::Api &api) const;

    ManagementContext &m_context;
};

} // namespace organizer::management
