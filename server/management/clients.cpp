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
        return oauth::managementResponse({oauth::ErrorCode::InexistentClient, QStringLiteral("The client does not exist"), 404});
    return jsonAnswer(200, clientJson(*client));
}

} // namespace organizer::management
