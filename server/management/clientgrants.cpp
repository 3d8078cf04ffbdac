#include "clientgrants.h"

#include "clients.h"

#include <QRandomGenerator>

namespace organizer::management {

namespace {

using authorization::Tenant;

http::Response notFound()
{
    return oauth::managementResponse({oauth::ErrorCode::InexistentClientGrant, QStringLiteral("The client grant does not exist"), 404});
}

// {client index, grant index} of the grant with this id, or {-1, -1}.
std::pair<qsizetype, qsizetype> find(const Tenant &tenant, const QString &id)
{
    for (qsizetype c = 0; c < tenant.clients.size(); ++c) {
        const auto &grants = tenant.clients.at(c).clientGrants;
        for (qsizetype g = 0; g < grants.size(); ++g) {
            if (grants.at(g).id == id)
                return {c, g};
        }
    }
    return {-1, -1};
}

// The "scope" member: scopes the audience's API defines, each once.
QStringList readScopes(const JsonReader &read, const authorization::Api &api)
{
    QStringList scopes;
    read["scope"].forEach(
        [&](const JsonReader &entry) {
            const std::optional<QString> scope = entry.string();
            if (!scope)
                return;
            if (!api.hasScope(*scope))
                return entry.fail(QStringLiteral("\"%1\" is not a scope of %2").arg(scope->left(100), api.identifier));
            if (!scopes.contains(*scope))
                scopes.append(*scope);
        },
        JsonReader::Required, missingProperty(QStringLiteral(" (an array of scopes)")));
    return scopes;
}

QString newGrantId()
{
    quint32 words[4];
    QRandomGenerator::system()->generate(std::begin(words), std::end(words));
    return QStringLiteral("cgr_") + QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(words), sizeof words).toHex().left(16));
}

} // namespace

http::Response ClientGrants::list(const http::Request &request)
{
    const QString audience = request.query.value(u"audience");
    const QString clientId = request.query.value(u"client_id");
    QJsonArray all;
    for (const authorization::Client &client : m_context.tenant().clients) {
        if (!clientId.isNull() && client.clientId != clientId)
            continue;
        for (const authorization::ClientGrant &grant : client.clientGrants) {
            if (audience.isNull() || grant.audience == audience)
                all.append(clientGrantJson(client, grant));
        }
    }
    return pageOf(request, QStringLiteral("client_grants"), all, QStringLiteral("id"));
}

http::Response ClientGrants::create(const http::Request &request)
{
    auto body = readObject(request);
    if (!body)
        return oauth::managementResponse(body.error());
    const JsonReader read = bodyReader(*body);
    if (!read.allowOnly({QStringLiteral("client_id"), QStringLiteral("audience"), QStringLiteral("scope")}))
        return *refusalOf(read);
    // Auth0 answers a client_id or an audience it cannot use as one it does not have.
    const QString clientId = read["client_id"].requiredString(missingProperty());
    const QString audience = read["audience"].requiredString(missingProperty());
    if (auto refusal = refusalOf(read))
        return *refusal;
    const authorization::Client *client = m_context.tenant().client(clientId);
    if (!client)
        return noSuchClient();
    const authorization::Api *api = m_context.tenant().api(audience);
    if (!api)
        return oauth::managementResponse({oauth::ErrorCode::InexistentResourceServer, QStringLiteral("No resource server found by specified identifier"), 404});
    const QStringList scopes = readScopes(read, *api);
    if (auto refusal = refusalOf(read))
        return *refusal;
    if (client->grantFor(audience))
        return oauth::managementResponse(
            {oauth::ErrorCode::ClientGrantConflict, QStringLiteral("A client grant for this client and audience already exists"), 409});
    if (!client->allowsGrant(QStringLiteral("client_credentials")))
        return invalidBody(QStringLiteral("%1 does not use the client_credentials grant, so a client grant would never be used").arg(clientId.left(100)));
    Tenant next = m_context.tenant();
    const QString id = newGrantId();
    for (authorization::Client &entry : next.clients) {
        if (entry.clientId == clientId)
            entry.clientGrants.append({id, audience, scopes});
    }
    return m_context.commit(std::move(next), QStringLiteral("authorized %1 for %2: %3").arg(clientId, audience, scopes.join(QLatin1Char(' '))), [this, id] {
        const auto [c, g] = find(m_context.tenant(), id);
        return jsonAnswer(201, clientGrantJson(m_context.tenant().clients.at(c), m_context.tenant().clients.at(c).clientGrants.at(g)));
    });
}

http::Response ClientGrants::update(const http::Request &request)
{
    const QString id = request.pathParameters.value(QStringLiteral("id"));
    const auto [c, g] = find(m_context.tenant(), id);
    if (c < 0)
        return notFound();
    auto body = readObject(request);
    if (!body)
        return oauth::managementResponse(body.error());
    const JsonReader read = bodyReader(*body);
    if (!read.allowOnly({QStringLiteral("scope")}))
        return *refusalOf(read);
    const authorization::ClientGrant &grant = m_context.tenant().clients.at(c).clientGrants.at(g);
    if (grant.setAside)
        return invalidBody(QStringLiteral("client grant %1 is for an API named like the Management API, which is set aside; delete it").arg(id.left(60)));
    const authorization::Api *api = m_context.tenant().api(grant.audience);
    const QStringList scopes = readScopes(read, *api);
    if (auto refusal = refusalOf(read))
        return *refusal;
    Tenant next = m_context.tenant();
    next.clients[c].clientGrants[g].scopes = scopes;
    return m_context.commit(std::move(next), QStringLiteral("client grant %1 now allows %2").arg(id, scopes.join(QLatin1Char(' '))), [this, c = c, g = g] {
        return jsonAnswer(200, clientGrantJson(m_context.tenant().clients.at(c), m_context.tenant().clients.at(c).clientGrants.at(g)));
    });
}

http::Response ClientGrants::remove(const http::Request &request)
{
    const QString id = request.pathParameters.value(QStringLiteral("id"));
    const auto [c, g] = find(m_context.tenant(), id);
    if (c < 0)
        return notFound();
    Tenant next = m_context.tenant();
    next.clients[c].clientGrants.removeAt(g);
    return m_context.commit(std::move(next), QStringLiteral("deleted client grant %1").arg(id), [] { return http::Response::noContent(); });
}

} // namespace organizer::management
