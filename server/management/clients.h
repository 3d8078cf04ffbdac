#pragma once

#include "managementcontext.h"

namespace organizer::management {

// /api/v2/clients: the tenant's applications, created, changed and deleted as Auth0's are. What Organizer
// acts on (name, callbacks, logout URLs, web and CORS origins, grant types, how the client authenticates)
// is read into the tenant, live from the next request; every other member of Auth0's application (app_type,
// description, jwt_configuration, logo_uri, refresh_token, client_metadata, …) is kept and answered with,
// so a Deploy-CLI export or a Terraform plan goes through unchanged. A confidential client's secret is
// made here (48 random bytes, 64 base64url characters), shown once (in the answer to POST and to
// rotate-secret) and kept only as its KDF hash: no later answer can show it.
class Clients
{
public:
    explicit Clients(ManagementContext &context) : m_context(context) {}

    http::Response list(const http::Request &request);
    http::Response get(const http::Request &request);
    http::Response create(const http::Request &request);
    http::Response update(const http::Request &request);
    http::Response remove(const http::Request &request);
    http::Response rotateSecret(const http::Request &request);

    // The secret a POST, PATCH or rotate-secret will store, given or made, when the call would be taken:
    // hashed before the call runs.
    static ManagementContext::SecretsToHash secretsToCreate(const authorization::Tenant &tenant, const http::Request &request, const QStringList &scopes);
    static ManagementContext::SecretsToHash secretsToUpdate(const authorization::Tenant &tenant, const http::Request &request, const QStringList &scopes);
    static ManagementContext::SecretsToHash secretsToRotate(const authorization::Tenant &tenant, const http::Request &request, const QStringList &scopes);

private:
    ManagementContext &m_context;
};

// 404 inexistent_client, as Auth0 answers for a client_id it does not know (here and in client grants).
http::Response noSuchClient();

} // namespace organizer::management
