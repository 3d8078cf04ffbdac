#include "resourceservers.h"

#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSet>

namespace organizer::management {

namespace {

using authorization::Api;
using authorization::Tenant;

http::Response notFound()
{
    return oauth::managementResponse({oauth::ErrorCode::InexistentResourceServer, QStringLiteral("The resource server does not exist"), 404});
}

// By Auth0's id, or by identifier (as Auth0 also accepts). An API set aside (named like the Management
// API, see Tenant::bindIssuer) is reached by its id only, so it can be deleted but never stands in for it.
qsizetype indexOf(const Tenant &tenant, const QString &idOrIdentifier)
{
    for (qsizetype i = 0; i < tenant.apis.size(); ++i) {
        const Api &api = tenant.apis.at(i);
        if (api.id == idOrIdentifier || (api.identifier == idOrIdentifier && !api.setAside))
            return i;
    }
    return -1;
}

QString newResourceServerId()
{
    QByteArray bytes(12, Qt::Uninitialized);
    QRandomGenerator::system()->generate(reinterpret_cast<quint32 *>(bytes.data()), reinterpret_cast<quint32 *>(bytes.data() + bytes.size()));
    return QString::fromLatin1(bytes.toHex());
}

// The members of a resource server a client may set, shared by create and update, applied to `api`;
// what is wrong with them is left in `read`.
void applySettings(const JsonReader &read, Api &api, const QString &servedAudience, bool creating)
{
    QStringList allowed{QStringLiteral("name"),
                        QStringLiteral("signing_alg"),
                        QStringLiteral("scopes"),
                        QStringLiteral("enforce_policies"),
                        QStringLiteral("token_dialect"),
                        QStringLiteral("allow_offline_access"),
                        QStringLiteral("token_lifetime"),
                        QStringLiteral("token_lifetime_for_web"),
                        QStringLiteral("skip_consent_for_verifiable_first_party_clients"),
                        QStringLiteral("organizer_apis")};
    if (creating)
        allowed.append(QStringLiteral("identifier"));
    if (!read.allowOnly(allowed))
        return;
    if (auto name = boundedString(read["name"], {1, 200}, Spaces::Trimmed, QStringLiteral("must be a string of 1 to 200 characters")))
        api.name = *name;
    // RS256 only: the resource server's allow-list, and what the tutorial picks.
    const QString onlyRs256 = QStringLiteral("must be RS256, the only algorithm Organizer signs and accepts");
    if (auto algorithm = read["signing_alg"].string(onlyRs256); algorithm && *algorithm != QLatin1String("RS256"))
        read["signing_alg"].fail(onlyRs256);

    const JsonReader scopes = read["scopes"];
    QList<authorization::ApiScope> parsed;
    QSet<QString> seen;
    const bool scopesGiven = scopes.forEachObject(
        [&](const JsonReader &scope) {
            if (!scope.allowOnly({QStringLiteral("value"), QStringLiteral("description")}))
                return;
            static const QRegularExpression scopeToken(QStringLiteral(R"(^[\x21\x23-\x5b\x5d-\x7e]{1,280}$)")); // RFC 6749 §3.3 scope-token
            const auto notAToken = [](const QString &name) {
                return QStringLiteral("scope \"%1\" must be 1 to 280 printable characters without spaces, quotes or backslashes").arg(name.left(60));
            };
            const QString name = scope["value"].requiredString(notAToken({}));
            if (name.isEmpty())
                return;
            if (!scopeToken.match(name).hasMatch())
                return scope["value"].fail(notAToken(name));
            if (seen.contains(name))
                return scope["value"].fail(QStringLiteral("scope \"%1\" is listed twice").arg(name.left(60)));
            seen.insert(name);
            const QString description = scope["description"].string().value_or(QString()).trimmed();
            if (description.size() > 500)
                return scope["description"].fail(QStringLiteral("the description of \"%1\" is longer than 500 characters").arg(name.left(60)));
            parsed.append({name, description.isEmpty() ? name : description});
        },
        JsonReader::Optional, QStringLiteral("must be an array of at most 1000 {value, description}"), {0, 1000});
    if (scopesGiven)
        api.scopes = parsed;

    api.rbac = read["enforce_policies"].boolean().value_or(api.rbac);
    api.allowOfflineAccess = read["allow_offline_access"].boolean().value_or(api.allowOfflineAccess);
    read["skip_consent_for_verifiable_first_party_clients"].boolean(); // accepted as Auth0 does; Organizer asks no consent of its clients
    const QString dialects = QStringLiteral("must be access_token, access_token_authz, rfc9068_profile or rfc9068_profile_authz");
    if (auto dialect = read["token_dialect"].string(dialects)) {
        if (!authorization::applyTokenDialect(api, *dialect))
            read["token_dialect"].fail(dialects);
    }
    const QString lifetime = QStringLiteral("must be a whole number of seconds from 60 to 2592000");
    api.tokenLifetimeSeconds = read["token_lifetime"].integer(60, 2'592'000, lifetime).value_or(api.tokenLifetimeSeconds);
    read["token_lifetime_for_web"].integer(60, 2'592'000, lifetime); // answered as min(token_lifetime, 7200)
    if (!read.ok())
        return;

    const JsonReader declared = read["organizer_apis"];
    QList<catalogue::ApiSpec> apis;
    QSet<QString> names;
    const bool apisGiven = declared.forEach(
        [&](const JsonReader &entry) {
            if (!read.ok())
                return; // a declaration is checked against the ones before it: only while they are sound
            if (entry["builtin"].boolean().value_or(false))
                return; // the catalogue's own, listed by GET: read-only, so a GET's answer can be sent back
            auto spec = catalogue::readDeclaredApi(entry);
            if (!spec)
                return;
            if (catalogue::organizerService().api(spec->name) || catalogue::organizerService().apiServedAt(spec->name) || names.contains(spec->name))
                return entry["name"].fail(QStringLiteral("\"%1\" names an API that exists already").arg(spec->name));
            names.insert(spec->name);
            for (const catalogue::ApiSpec &before : std::as_const(api.declaredApis)) {
                if (before.name != spec->name)
                    continue;
                // Its problem names the field by its whole path, so it is the document's own (at the root).
                if (auto kept = catalogue::checkFieldChanges(before, *spec, entry.path()); !kept)
                    return read.fail(kept.error());
            }
            apis.append(*spec);
        },
        JsonReader::Optional, QStringLiteral("must be an array of APIs with records, like [{\"name\": \"samples\", \"fields\": [{\"name\": \"title\"}]}]"));
    if (!apisGiven || !read.ok())
        return;
    if (!apis.isEmpty() && api.identifier != servedAudience)
        return declared.fail(QStringLiteral("only the API %1, which this server serves, can declare APIs with records").arg(servedAudience));
    api.declaredApis = apis;
}

} // namespace

QJsonObject ResourceServers::shapeOf(const QString &identifier) const
{
    const Api *api = m_context.tenant().api(identifier);
    return api ? shapeOf(*api) : QJsonObject();
}

QJsonObject ResourceServers::shapeOf(const Api &api) const
{
    // The served API lists its APIs with records: the catalogue's and the declared ones.
    return resourceServerJson(
        api, api.identifier == m_context.settings().servedAudience && !api.setAside ? m_context.servedApisOf(m_context.tenant()) : QList<catalogue::ApiSpec>());
}

http::Response ResourceServers::list(const http::Request &request)
{
    // Auth0's `identifiers` filter: repeated, or comma-separated.
    QStringList wanted;
    for (const QString &value : request.query.values(u"identifiers"))
        wanted += value.split(QLatin1Char(','), Qt::SkipEmptyParts);
    QJsonArray all;
    for (const Api &api : m_context.tenant().apis) {
        if (wanted.isEmpty() || wanted.contains(api.identifier))
            all.append(shapeOf(api));
    }
    return pageOf(request, QStringLiteral("resource_servers"), all);
}

http::Response ResourceServers::get(const http::Request &request)
{
    const qsizetype index = indexOf(m_context.tenant(), request.pathParameters.value(QStringLiteral("id")));
    if (index < 0)
        return notFound();
    return jsonAnswer(200, shapeOf(m_context.tenant().apis.at(index)));
}

http::Response ResourceServers::create(const http::Request &request)
{
    auto body = readObject(request);
    if (!body)
        return oauth::managementResponse(body.error());
    const JsonReader read = bodyReader(*body);
    // Auth0 answers an identifier or a name it cannot use as one it does not have.
    const QString identifier = boundedString(read["identifier"], {1, 600}, Spaces::Kept, missingProperty(), JsonReader::Required).value_or(QString());
    boundedString(read["name"], {}, Spaces::Kept, missingProperty(), JsonReader::Required); // its length is applySettings' to check
    if (auto refusal = refusalOf(read))
        return *refusal;
    // Whatever the issuer becomes after a restart on another port or a new --public-url, its
    // Management API must not already be somebody's API.
    if (authorization::looksLikeManagementIdentifier(identifier))
        return invalidBody(
            QStringLiteral("identifier \"%1\" is reserved: identifiers ending in /api/v2/ name an issuer's Management API").arg(identifier.left(200)));
    Api api;
    api.identifier = identifier;
    api.id = newResourceServerId();
    api.rbac = false; // Auth0's defaults for a new API
    api.allowOfflineAccess = false;
    applySettings(read, api, m_context.settings().servedAudience, true);
    if (auto refusal = refusalOf(read))
        return *refusal;
    if (m_context.tenant().api(api.identifier))
        return oauth::managementResponse(
            {oauth::ErrorCode::ResourceServerConflict, QStringLiteral("A resource server with the same identifier already exists"), 409});
    Tenant next = m_context.tenant();
    next.apis.insert(next.apis.size() - (next.apis.isEmpty() || !next.apis.last().system ? 0 : 1), api);
    return m_context.commit(std::move(next), QStringLiteral("created the API %1 (%2)").arg(api.name, api.identifier),
                            [this, identifier = api.identifier] { return jsonAnswer(201, shapeOf(identifier)); });
}

http::Response ResourceServers::update(const http::Request &request)
{
    const qsizetype index = indexOf(m_context.tenant(), request.pathParameters.value(QStringLiteral("id")));
    if (index < 0)
        return notFound();
    if (m_context.tenant().apis.at(index).system)
        return oauth::managementResponse({oauth::ErrorCode::OperationNotSupported, QStringLiteral("You cannot update a system resource server"), 403});
    auto body = readObject(request);
    if (!body)
        return oauth::managementResponse(body.error());
    Tenant next = m_context.tenant();
    Api &api = next.apis[index];
    const JsonReader read = bodyReader(*body);
    applySettings(read, api, m_context.settings().servedAudience, false);
    if (auto refusal = refusalOf(read))
        return *refusal;
    const QString identifier = api.identifier;
    return m_context.commit(std::move(next), QStringLiteral("updated the API %1").arg(identifier),
                            [this, identifier] { return jsonAnswer(200, shapeOf(identifier)); });
}

http::Response ResourceServers::remove(const http::Request &request)
{
    const qsizetype index = indexOf(m_context.tenant(), request.pathParameters.value(QStringLiteral("id")));
    if (index < 0)
        return notFound();
    if (m_context.tenant().apis.at(index).system)
        return oauth::managementResponse({oauth::ErrorCode::OperationNotSupported, QStringLiteral("You cannot delete a system resource server"), 403});
    Tenant next = m_context.tenant();
    const QString identifier = next.apis.takeAt(index).identifier;
    return m_context.commit(std::move(next), QStringLiteral("deleted the API %1").arg(identifier), [] { return http::Response::noContent(); });
}

} // namespace organizer::management
