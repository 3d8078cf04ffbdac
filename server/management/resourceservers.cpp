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

// The members of a resource server a client may set, shared by create and update. Returns the
// problem, empty when `body` was applied to `api`.
QString applySettings(const QJsonObject &body, Api &api, const QString &servedAudience, bool creating)
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
    if (const QString unexpected = unexpectedMember(body, allowed); !unexpected.isEmpty())
        return unexpected;
    if (body.contains(QLatin1String("name"))) {
        const QString name = body.value(QLatin1String("name")).toString().trimmed();
        if (name.isEmpty() || name.size() > 200 || !body.value(QLatin1String("name")).isString())
            return QStringLiteral("name must be a string of 1 to 200 characters");
        api.name = name;
    }
    if (body.contains(QLatin1String("signing_alg"))) {
        // RS256 only: the resource server's allow-list, and what the tutorial picks.
        if (body.value(QLatin1String("signing_alg")).toString() != QLatin1String("RS256"))
            return QStringLiteral("signing_alg must be RS256, the only algorithm Organizer signs and accepts");
        api.signingAlgorithm = QStringLiteral("RS256");
    }
    if (body.contains(QLatin1String("scopes"))) {
        const QJsonValue scopes = body.value(QLatin1String("scopes"));
        if (!scopes.isArray() || scopes.toArray().size() > 1000)
            return QStringLiteral("scopes must be an array of at most 1000 {value, description}");
        QList<authorization::ApiScope> parsed;
        QSet<QString> seen;
        for (const QJsonValue &value : scopes.toArray()) {
            const QJsonObject scope = value.toObject();
            if (const QString unexpected = unexpectedMember(scope, {QStringLiteral("value"), QStringLiteral("description")}); !unexpected.isEmpty())
                return unexpected;
            const QString name = scope.value(QLatin1String("value")).toString();
            static const QRegularExpression scopeToken(QStringLiteral(R"(^[\x21\x23-\x5b\x5d-\x7e]{1,280}$)")); // RFC 6749 §3.3 scope-token
            if (!scopeToken.match(name).hasMatch())
                return QStringLiteral("scope \"%1\" must be 1 to 280 printable characters without spaces, quotes or backslashes").arg(name.left(60));
            if (seen.contains(name))
                return QStringLiteral("scope \"%1\" is listed twice").arg(name.left(60));
            seen.insert(name);
            const QString description = scope.value(QLatin1String("description")).toString().trimmed();
            if (description.size() > 500)
                return QStringLiteral("the description of \"%1\" is longer than 500 characters").arg(name.left(60));
            parsed.append({name, description.isEmpty() ? name : description});
        }
        api.scopes = parsed;
    }
    const auto readBool = [&body](const char *member, bool *target) -> QString {
        const QJsonValue value = body.value(QLatin1String(member));
        if (value.isUndefined())
            return {};
        if (!value.isBool())
            return QStringLiteral("%1 must be true or false").arg(QLatin1String(member));
        *target = value.toBool();
        return {};
    };
    if (QString problem = readBool("enforce_policies", &api.rbac); !problem.isEmpty())
        return problem;
    if (QString problem = readBool("allow_offline_access", &api.allowOfflineAccess); !problem.isEmpty())
        return problem;
    bool skipConsent = false;
    if (QString problem = readBool("skip_consent_for_verifiable_first_party_clients", &skipConsent); !problem.isEmpty())
        return problem;
    if (body.contains(QLatin1String("token_dialect"))) {
        const QString dialect = body.value(QLatin1String("token_dialect")).toString();
        if (dialect == QLatin1String("access_token") || dialect == QLatin1String("access_token_authz"))
            api.profile = authorization::TokenProfile::Auth0;
        else if (dialect == QLatin1String("rfc9068_profile") || dialect == QLatin1String("rfc9068_profile_authz"))
            api.profile = authorization::TokenProfile::Rfc9068;
        else
            return QStringLiteral("token_dialect must be access_token, access_token_authz, rfc9068_profile or rfc9068_profile_authz");
        api.addPermissionsToAccessToken = dialect.endsWith(QLatin1String("_authz"));
    }
    for (const char *member : {"token_lifetime", "token_lifetime_for_web"}) {
        const QJsonValue value = body.value(QLatin1String(member));
        if (value.isUndefined())
            continue;
        const double seconds = value.toDouble(-1);
        if (!value.isDouble() || seconds != double(qint64(seconds)) || seconds < 60 || seconds > 2'592'000)
            return QStringLiteral("%1 must be a whole number of seconds from 60 to 2592000").arg(QLatin1String(member));
        if (qstrcmp(member, "token_lifetime") == 0)
            api.tokenLifetimeSeconds = qint64(seconds);
    }
    if (body.contains(QLatin1String("organizer_apis"))) {
        const QJsonValue declared = body.value(QLatin1String("organizer_apis"));
        if (!declared.isArray())
            return QStringLiteral("organizer_apis must be an array of APIs with records, like [{\"name\": \"samples\", \"fields\": [{\"name\": \"title\"}]}]");
        QList<catalogue::ApiSpec> apis;
        QSet<QString> names;
        const QJsonArray entries = declared.toArray();
        for (qsizetype i = 0; i < entries.size(); ++i) {
            const QJsonObject entry = entries.at(i).toObject();
            if (entry.value(QLatin1String("builtin")).toBool())
                continue; // the catalogue's own, listed by GET: read-only, so a GET's answer can be sent back
            auto spec = catalogue::declaredApiFromJson(entry, QStringLiteral("organizer_apis[%1]").arg(i));
            if (!spec)
                return spec.error();
            if (catalogue::organizerService().api(spec->name) || catalogue::organizerService().apiServedAt(spec->name) || names.contains(spec->name))
                return QStringLiteral("organizer_apis[%1].name: \"%2\" names an API that exists already").arg(i).arg(spec->name);
            names.insert(spec->name);
            for (const catalogue::ApiSpec &before : std::as_const(api.declaredApis)) {
                if (before.name != spec->name)
                    continue;
                if (auto kept = catalogue::checkFieldChanges(before, *spec, QStringLiteral("organizer_apis[%1]").arg(i)); !kept)
                    return kept.error();
            }
            apis.append(*spec);
        }
        if (!apis.isEmpty() && api.identifier != servedAudience)
            return QStringLiteral("organizer_apis: only the API %1, which this server serves, can declare APIs with records").arg(servedAudience);
        api.declaredApis = apis;
    }
    return {};
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
        return body.error();
    const QJsonValue identifier = body->value(QLatin1String("identifier"));
    if (!identifier.isString() || identifier.toString().trimmed().isEmpty() || identifier.toString().size() > 600)
        return invalidBody(QStringLiteral("Missing required property: identifier"));
    if (!body->value(QLatin1String("name")).isString())
        return invalidBody(QStringLiteral("Missing required property: name"));
    // Whatever the issuer becomes after a restart on another port or a new --public-url, its
    // Management API must not already be somebody's API.
    if (authorization::looksLikeManagementIdentifier(identifier.toString()))
        return invalidBody(QStringLiteral("identifier \"%1\" is reserved: identifiers ending in /api/v2/ name an issuer's Management API")
                               .arg(identifier.toString().left(200)));
    Api api;
    api.identifier = identifier.toString();
    api.id = newResourceServerId();
    api.rbac = false; // Auth0's defaults for a new API
    api.allowOfflineAccess = false;
    if (QString problem = applySettings(*body, api, m_context.settings().servedAudience, true); !problem.isEmpty())
        return invalidBody(problem);
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
        return oauth::managementResponse(
            {oauth::ErrorCode::OperationNotSupported, QStringLiteral("The Management API is a system API and cannot be changed"), 403});
    auto body = readObject(request);
    if (!body)
        return body.error();
    Tenant next = m_context.tenant();
    Api &api = next.apis[index];
    if (QString problem = applySettings(*body, api, m_context.settings().servedAudience, false); !problem.isEmpty())
        return invalidBody(problem);
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
        return oauth::managementResponse(
            {oauth::ErrorCode::OperationNotSupported, QStringLiteral("The Management API is a system API and cannot be deleted"), 403});
    Tenant next = m_context.tenant();
    const QString identifier = next.apis.takeAt(index).identifier;
    return m_context.commit(std::move(next), QStringLiteral("deleted the API %1").arg(identifier), [] { return http::Response::noContent(); });
}

} // namespace organizer::management
