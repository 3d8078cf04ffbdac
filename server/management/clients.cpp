// /api/v2/clients: the tenant's applications, read-only (their secrets are never shown).
#include "managementapi.h"

namespace organizer::management {

http::Response ManagementApi::listClients(const http::Request &request)
{
    QJsonArray all;
    for (const authorization::Client &client : tenant().clients)
        all.append(clientJson(client));
    return pageOf(request, QStringLiteral("clients"), all);
}

http::Response ManagementApi::getClient(const http::Request &request)
{
    const authorization::Client *client = tenant().client(request.pathParameters.value(QStringLiteral("id")));
    if (!client)
        return managementError(404, QStringLiteral("The client does not exist"), QStringLiteral("inexistent_client"));
    return jsonAnswer(200, clientJson(*client));
}

} // namespace organizer::management
