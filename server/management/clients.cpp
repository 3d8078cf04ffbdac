#include "clients.h"

namespace organizer::management {

http::Response noSuchClient()
{
    return oauth::managementResponse({oauth::ErrorCode::InexistentClient, QStringLiteral("The client does not exist"), 404});
}

http::Response Clients::list(const http::Request &request)
{
    QJsonArray all;
    for (const authorization::Client &client : m_context.tenant().clients)
        all.append(clientJson(client));
    return pageOf(request, QStringLiteral("clients"), all);
}

http::Response Clients::get(const http::Request &request)
{
    const authorization::Client *client = m_context.tenant().client(request.pathParameters.value(QStringLiteral("id")));
    if (!client)
        return noSuchClient();
    return jsonAnswer(200, clientJson(*client));
}

} // namespace organizer::management
