#include "clients.h"

#include "passwordhash.h"
#include "tenantfile.h"

#include <QRandomGenerator>

namespace organizer::management {

namespace {

using authorization::Client;
using authorization::Tenant;

// Every member of Auth0's application a body may hold: POST and PATCH /api/v2/clients as the `auth0` Node
// SDK 7.1 describes them, and cross_origin_auth, which older exports carry. Anything else is refused, as
// Auth0 refuses it ("Additional properties not allowed").
const QStringList &auth0Members()
{
    static const QStringList members = [] {
        QStringList names;
        for (const char *name : {"name",
                                 "description",
                                 "client_secret",
                                 "logo_uri",
                                 "callbacks",
                                 "oidc_logout",
                                 "oidc_backchannel_logout",
                                 "session_transfer",
                                 "allowed_origins",
                                 "web_origins",
                                 "client_aliases",
                                 "allowed_clients",
                                 "allowed_logout_urls",
                                 "grant_types",
                                 "token_endpoint_auth_method",
                                 "is_token_endpoint_ip_header_trusted",
                                 "app_type",
                                 "is_first_party",
                                 "oidc_conformant",
                                 "jwt_configuration",
                                 "encryption_key",
                                 "sso",
                                 "cross_origin_authentication",
                                 "cross_origin_auth",
                                 "cross_origin_loc",
                                 "sso_disabled",
                                 "custom_login_page_on",
                                 "custom_login_page",
                                 "custom_login_page_preview",
                                 "form_template",
                                 "addons",
                                 "client_metadata",
                                 "mobile",
                                 "initiate_login_uri",
                                 "native_social_login",
                                 "fedcm_login",
                                 "refresh_token",
                                 "default_organization",
                                 "organization_usage",
                                 "organization_require_behavior",
                                 "organization_discovery_methods",
                                 "client_authentication_methods",
                                 "require_pushed_authorization_requests",
                                 "require_proof_of_possession",
                                 "signed_request_object",
                                 "token_vault_privileged_access",
                                 "compliance_level",
                                 "skip_non_verifiable_callback_uri_confirmation_prompt",
                                 "token_exchange",
                                 "par_request_expiry",
                                 "token_quota",
                                 "resource_server_identifier",
                                 "identity_assertion_authorization_grant",
                                 "anonymous_sessions",
                                 "third_party_security_mode",
                                 "redirection_policy",
                                 "express_configuration",
                                 "my_organization_configuration",
                                 "async_approval_notification_channels"})
            names.append(QLatin1String(name));
        return names;
    }();
    return members;
}

// The members read into the tenant's model; every other one of auth0Members() is kept as given.
const QStringList &actedOnMembers()
{
    static const QStringList members{
        QStringLiteral("name"),        QStringLiteral("client_secret"),   QStringLiteral("callbacks"),  QStringLiteral("allowed_logout_urls"),
        QStringLiteral("web_origins"), QStringLiteral("allowed_origins"), QStringLiteral("grant_types")};
    return members;
}

const QStringList kAppTypes{QStringLiteral("spa"), QStringLiteral("native"), QStringLiteral("non_interactive"), QStringLiteral("regular_web")};
const QStringList kAuthMethods{QStringLiteral("none"), QStringLiteral("client_secret_post"), QStringLiteral("client_secret_basic")};
const QString kUpdateClientKeys = QStringLiteral("update:client_keys");

qsizetype indexOf(const Tenant &tenant, const QString &clientId)
{
    for (qsizetype i = 0; i < tenant.clients.size(); ++i) {
        if (tenant.clients.at(i).clientId == clientId)
            return i;
    }
    return -1;
}

// 32 letters and digits, as Auth0's client IDs are.
QString newClientId(const Tenant &tenant)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (;;) {
        QString id;
        while (id.size() < 32) {
            const quint32 byte = QRandomGenerator::system()->generate() & 0xff;
            if (byte < 248) // 248 = 4 × 62: every character equally likely
                id.append(QLatin1Char(alphabet[byte % 62]));
        }
        if (indexOf(tenant, id) < 0)
            return id;
    }
}

// 48 random bytes, 64 base64url characters: as long as Auth0's secrets and beyond any guessing.
QString newClientSecret()
{
    return QString::fromLatin1(authorization::randomToken(48));
}

// An origin a browser sends: scheme, host, optional port, nothing after it but an optional "/".
QString originProblem(const QString &origin)
{
    if (origin.contains(QLatin1Char('*')))
        return QStringLiteral("\"%1\": wildcard origins are not supported: list each origin").arg(origin.left(100));
    const QUrl url(origin, QUrl::StrictMode);
    const QString path = url.path();
    if (!url.isValid() || url.host().isEmpty() || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")) || !url.userInfo().isEmpty()
        || url.hasQuery() || url.hasFragment() || (!path.isEmpty() && path != QLatin1String("/")))
        return QStringLiteral("\"%1\" must be an origin: http(s)://host with an optional port and no path").arg(origin.left(100));
    return {};
}

// A list of URLs, each checked by `problemOf`; nullopt when the member is absent or wrong.
std::optional<QStringList> urls(const JsonReader &at, const std::function<QString(const QString &)> &problemOf)
{
    if (at.isAbsent())
        return std::nullopt;
    const qsizetype problemsBefore = at.problems().size();
    const QStringList values = at.strings(JsonReader::NonEmptyStrings, QStringLiteral("must be an array of URLs"));
    for (qsizetype i = 0; i < values.size() && at.problems().size() == problemsBefore; ++i) {
        if (const QString problem = problemOf(values.at(i)); !problem.isEmpty())
            at.at(i).fail(problem);
    }
    if (at.problems().size() != problemsBefore)
        return std::nullopt;
    QStringList unique = values;
    unique.removeDuplicates();
    return unique;
}

// A member Auth0 has for a security feature Organizer has not got: kept while it asks for nothing, refused
// when it asks for the feature, since keeping it then would promise what no request gets.
void refuseIfRequested(const JsonReader &read, const char *member, const std::function<bool(const QJsonValue &)> &requests, const QString &why)
{
    const QJsonValue value = read[member].value();
    if (!value.isUndefined() && !value.isNull() && requests(value))
        read[member].fail(why);
}

// Reads `read` (a POST or PATCH body) onto `client`: the members Organizer acts on into the model, the
// rest of Auth0's kept in auth0Settings (null drops one). A secret the body sets is left in `secret`.
// What is wrong is left in `read`, the first problem first.
void applyBody(const JsonReader &read, Client &client, bool creating, std::optional<QString> &secret)
{
    if (!read.allowOnly(auth0Members()))
        return;
    QJsonObject &kept = client.auth0Settings;

    const QString nameRule = QStringLiteral("must be a string of 1 to 200 characters without < or >");
    if (auto name = boundedString(read["name"], {1, 200}, Spaces::Kept, nameRule, creating ? JsonReader::Required : JsonReader::Optional)) {
        if (name->contains(QLatin1Char('<')) || name->contains(QLatin1Char('>')))
            read["name"].fail(nameRule);
        else
            client.name = *name;
    }
    if (!read["description"].value().isNull())
        boundedString(read["description"], {0, 140}, Spaces::Kept, QStringLiteral("must be a string of at most 140 characters"));
    if (!read["app_type"].value().isNull()) {
        const QString appTypes = QStringLiteral("must be spa, native, non_interactive or regular_web");
        if (auto appType = read["app_type"].string(appTypes); appType && !kAppTypes.contains(*appType))
            read["app_type"].fail(appTypes);
    }
    for (const char *flag : {"is_first_party", "oidc_conformant"}) {
        if (!read[flag].value().isNull())
            read[flag].boolean();
    }
    if (const JsonReader jwt = read["jwt_configuration"]; !jwt.value().isNull() && jwt.expectObject(JsonReader::Optional)) {
        jwt.allowOnly({QStringLiteral("alg"), QStringLiteral("lifetime_in_seconds"), QStringLiteral("secret_encoded"), QStringLiteral("scopes")});
        // ID tokens are signed as access tokens are: RS256, whose public key the JWKS publishes.
        const QString onlyRs256 = QStringLiteral("must be RS256, the only algorithm Organizer signs ID tokens with");
        if (auto alg = jwt["alg"].string(onlyRs256); alg && *alg != QLatin1String("RS256"))
            jwt["alg"].fail(onlyRs256);
        jwt["lifetime_in_seconds"].integer(1, 2'592'000, QStringLiteral("must be a whole number of seconds from 1 to 2592000"));
        jwt["secret_encoded"].boolean();
        jwt["scopes"].expectObject(JsonReader::Optional);
    }
    refuseIfRequested(
        read, "require_pushed_authorization_requests", [](const QJsonValue &v) { return v.toBool(); },
        QStringLiteral("Organizer has no pushed authorization requests (PAR): leave it false"));
    refuseIfRequested(
        read, "require_proof_of_possession", [](const QJsonValue &v) { return v.toBool(); },
        QStringLiteral("Organizer issues no sender-constrained tokens (DPoP, mTLS): leave it false"));
    refuseIfRequested(
        read, "client_authentication_methods", [](const QJsonValue &v) { return !v.isObject() || !v.toObject().isEmpty(); },
        QStringLiteral("Organizer authenticates applications by token_endpoint_auth_method alone (no private_key_jwt or mTLS)"));
    refuseIfRequested(
        read, "signed_request_object", [](const QJsonValue &v) { return v.toObject().value(QLatin1String("required")).toBool(); },
        QStringLiteral("Organizer takes no signed request objects (JAR): leave required false"));
    if (!read.ok())
        return;

    // How the client authenticates decides whether it has a secret, and Auth0's defaults for what a new
    // application leaves out follow its kind: a browser or native app (spa, native) has no secret.
    const QString appType = read["app_type"].value().isString() ? read["app_type"].value().toString() : kept.value(QLatin1String("app_type")).toString();
    const QString methods = QStringLiteral("must be none, client_secret_post or client_secret_basic");
    if (auto method = read["token_endpoint_auth_method"].string(methods)) {
        if (!kAuthMethods.contains(*method))
            read["token_endpoint_auth_method"].fail(methods);
        client.confidential = *method != QLatin1String("none");
    } else if (creating) {
        client.confidential = appType != QLatin1String("spa") && appType != QLatin1String("native");
        kept.insert(QStringLiteral("token_endpoint_auth_method"), client.confidential ? QStringLiteral("client_secret_post") : QStringLiteral("none"));
    }

    if (const JsonReader grants = read["grant_types"]; !grants.isAbsent()) {
        const QStringList served = authorization::grantTypesServed();
        const QStringList values = grants.strings(JsonReader::NonEmptyStrings, QStringLiteral("must be an array of grant types"));
        for (qsizetype i = 0; i < values.size(); ++i) {
            if (!served.contains(values.at(i)))
                grants.at(i).fail(
                    QStringLiteral("\"%1\" is not a grant type Organizer serves (%2)").arg(values.at(i).left(100), served.join(QLatin1String(", "))));
        }
        client.grantTypes = values;
        client.grantTypes.removeDuplicates();
    } else if (creating) {
        client.grantTypes = appType == QLatin1String("non_interactive")
            ? QStringList{QStringLiteral("client_credentials")}
            : QStringList{QStringLiteral("authorization_code"), QStringLiteral("implicit"), QStringLiteral("refresh_token")};
        if (client.confidential && appType != QLatin1String("non_interactive"))
            client.grantTypes.append(QStringLiteral("client_credentials"));
    }
    if (client.allowsGrant(QStringLiteral("client_credentials")) && !client.confidential)
        read["grant_types"].fail(QStringLiteral("client_credentials needs a client that authenticates: token_endpoint_auth_method client_secret_post or "
                                                "client_secret_basic"));

    if (auto callbacks = urls(read["callbacks"], authorization::callbackProblem))
        client.callbacks = *callbacks;
    if (auto logoutUrls = urls(read["allowed_logout_urls"], authorization::absoluteUrlProblem))
        client.logoutUrls = *logoutUrls;
    if (auto webOrigins = urls(read["web_origins"], originProblem))
        client.webOrigins = *webOrigins;
    if (auto allowedOrigins = urls(read["allowed_origins"], originProblem))
        client.allowedOrigins = *allowedOrigins;

    if (auto given = boundedString(read["client_secret"], {32, 512}, Spaces::Kept, QStringLiteral("must be a string of 32 to 512 characters"))) {
        if (!client.confidential)
            read["client_secret"].fail(QStringLiteral("an application with token_endpoint_auth_method none has no secret"));
        else
            secret = *given;
    }
    if (!read.ok())
        return;

    const QJsonObject body = read.value().toObject();
    for (auto it = body.constBegin(); it != body.constEnd(); ++it) {
        if (actedOnMembers().contains(it.key()))
            continue;
        if (it.value().isNull()) {
            kept.remove(it.key());
        } else if (it.key() == QLatin1String("jwt_configuration") && it.value().isObject()) {
            // Merged member by member, as Auth0 does: the Deploy CLI sends it without secret_encoded,
            // which Auth0 keeps.
            QJsonObject merged = kept.value(it.key()).toObject();
            const QJsonObject changes = it.value().toObject();
            for (auto change = changes.constBegin(); change != changes.constEnd(); ++change) {
                if (change.value().isNull())
                    merged.remove(change.key());
                else
                    merged.insert(change.key(), change.value());
            }
            kept.insert(it.key(), merged);
        } else {
            kept.insert(it.key(), it.value());
        }
    }
}

// The answer about `client` as the tenant has it now, with the secret this call made or was given.
http::Response answerWith(const Tenant &tenant, const QString &clientId, int status, const QString &secret = {})
{
    const Client *client = tenant.client(clientId);
    if (!client)
        return noSuchClient();
    QJsonObject object = clientJson(*client);
    if (!secret.isEmpty())
        object.insert(QStringLiteral("client_secret"), secret);
    return jsonAnswer(status, object);
}

// The application a POST body makes, checked against `tenant`, with the secret the body gives (not yet
// hashed), or the answer refusing the body.
struct NewClient
{
    Client client;
    std::optional<QString> given;
};
Expected<NewClient, http::Response> newClientFrom(const Tenant &tenant, const http::Request &request)
{
    auto body = readObject(request);
    if (!body)
        return Unexpected<http::Response>(oauth::managementResponse(body.error()));
    const JsonReader read = bodyReader(*body);
    NewClient made;
    made.client.clientId = newClientId(tenant);
    applyBody(read, made.client, true, made.given);
    if (auto refusal = refusalOf(read))
        return Unexpected<http::Response>(*refusal);
    return made;
}

// A PATCH body applied to the application at `index` in `tenant`, with the secret the body gives (not yet
// hashed), or the answer refusing the body. `mayChangeKeys`: the caller has update:client_keys.
struct ClientUpdate
{
    qsizetype index = -1;
    Client client;
    bool wasConfidential = false;
    std::optional<QString> given;
};
Expected<ClientUpdate, http::Response> clientUpdateFrom(const Tenant &tenant, const http::Request &request, bool mayChangeKeys)
{
    const qsizetype index = indexOf(tenant, request.pathParameters.value(QStringLiteral("id")));
    if (index < 0)
        return Unexpected<http::Response>(noSuchClient());
    auto body = readObject(request);
    if (!body)
        return Unexpected<http::Response>(oauth::managementResponse(body.error()));
    const JsonReader read = bodyReader(*body);
    ClientUpdate change{index, tenant.clients.at(index), tenant.clients.at(index).confidential, std::nullopt};
    applyBody(read, change.client, false, change.given);
    if (auto refusal = refusalOf(read))
        return Unexpected<http::Response>(*refusal);
    if (change.given && !mayChangeKeys)
        return Unexpected<http::Response>(
            oauth::managementResponse({oauth::ErrorCode::InsufficientScope,
                                       QStringLiteral("Insufficient scope, expected any of: %1 (to set client_secret)").arg(kUpdateClientKeys), 403}));
    return change;
}

// Why the application at `index` in `tenant` has no secret to rotate, if it has none.
std::optional<http::Response> rotationRefusal(const Tenant &tenant, qsizetype index)
{
    if (index < 0)
        return noSuchClient();
    if (!tenant.clients.at(index).confidential)
        return oauth::managementResponse({oauth::ErrorCode::OperationNotSupported,
                                          QStringLiteral("The client authenticates with token_endpoint_auth_method none and has no secret to rotate; set "
                                                         "client_secret_post or client_secret_basic first"),
                                          403});
    return std::nullopt;
}

} // namespace

http::Response noSuchClient()
{
    return oauth::managementResponse({oauth::ErrorCode::InexistentClient, QStringLiteral("The client does not exist"), 404});
}

http::Response Clients::list(const http::Request &request)
{
    // Auth0's filters that mean something here: app_type (comma-separated) and is_first_party.
    const QStringList appTypes = request.query.value(u"app_type").split(QLatin1Char(','), Qt::SkipEmptyParts);
    const QString firstParty = request.query.value(u"is_first_party");
    if (!firstParty.isNull() && firstParty != QLatin1String("true") && firstParty != QLatin1String("false"))
        return oauth::managementResponse(
            {oauth::ErrorCode::InvalidQueryString,
             QStringLiteral("Query validation error: 'Invalid value \"%1\" for property is_first_party'.").arg(firstParty.left(20)), 400});
    QJsonArray all;
    for (const Client &client : m_context.tenant().clients) {
        const QJsonObject object = clientJson(client);
        if (!appTypes.isEmpty() && !appTypes.contains(object.value(QLatin1String("app_type")).toString()))
            continue;
        if (!firstParty.isNull() && object.value(QLatin1String("is_first_party")).toBool() != (firstParty == QLatin1String("true")))
            continue;
        all.append(object);
    }
    return pageOf(request, QStringLiteral("clients"), all, QStringLiteral("client_id"));
}

http::Response Clients::get(const http::Request &request)
{
    const Client *client = m_context.tenant().client(request.pathParameters.value(QStringLiteral("id")));
    if (!client)
        return noSuchClient();
    return jsonAnswer(200, clientJson(*client));
}

http::Response Clients::create(const http::Request &request)
{
    auto made = newClientFrom(m_context.tenant(), request);
    if (!made)
        return made.error();
    Client &client = made->client;
    QString shown;
    if (client.confidential) {
        shown = made->given ? *made->given : m_context.generatedSecret(newClientSecret);
        // Hashed before the call took the Management API's lock, off the HTTP worker (ManagementApi).
        client.secretHash = m_context.hashOf(shown);
    }
    Tenant next = m_context.tenant();
    next.clients.append(client);
    const QString clientId = client.clientId;
    return m_context.commit(std::move(next), QStringLiteral("created the application %1 (%2)").arg(client.name, clientId),
                            [this, clientId, shown] { return answerWith(m_context.tenant(), clientId, 201, shown); });
}

http::Response Clients::update(const http::Request &request)
{
    auto change = clientUpdateFrom(m_context.tenant(), request, m_context.callerHasScope(kUpdateClientKeys));
    if (!change)
        return change.error();
    Client &client = change->client;
    if (!client.confidential)
        client.secretHash.clear();
    else if (change->given)
        client.secretHash = m_context.hashOf(*change->given);
    else if (!change->wasConfidential)
        // It must authenticate from now on, with a secret nobody has seen yet: rotate-secret shows one.
        client.secretHash = m_context.hashOf(m_context.generatedSecret(newClientSecret));
    Tenant next = m_context.tenant();
    next.clients[change->index] = client;
    const QString clientId = client.clientId;
    return m_context.commit(std::move(next), QStringLiteral("updated the application %1").arg(clientId),
                            [this, clientId] { return answerWith(m_context.tenant(), clientId, 200); });
}

http::Response Clients::remove(const http::Request &request)
{
    const QString clientId = request.pathParameters.value(QStringLiteral("id"));
    const qsizetype index = indexOf(m_context.tenant(), clientId);
    if (index < 0)
        return noSuchClient();
    Tenant next = m_context.tenant();
    // Its client grants go with it; tokens it was issued stay valid until they expire, as with Auth0.
    const Client gone = next.clients.takeAt(index);
    return m_context.commit(std::move(next),
                            QStringLiteral("deleted the application %1 and its %2 client grant(s)").arg(clientId).arg(gone.clientGrants.size()),
                            [] { return http::Response::noContent(); });
}

http::Response Clients::rotateSecret(const http::Request &request)
{
    const QString clientId = request.pathParameters.value(QStringLiteral("id"));
    const qsizetype index = indexOf(m_context.tenant(), clientId);
    if (auto refusal = rotationRefusal(m_context.tenant(), index))
        return *refusal;
    const QString secret = m_context.generatedSecret(newClientSecret);
    Tenant next = m_context.tenant();
    // The old secret is refused from the next request on: the verified-secret cache is keyed by the hash.
    next.clients[index].secretHash = m_context.hashOf(secret);
    return m_context.commit(std::move(next), QStringLiteral("rotated the secret of the application %1").arg(clientId),
                            [this, clientId, secret] { return answerWith(m_context.tenant(), clientId, 200, secret); });
}

ManagementContext::SecretsToHash Clients::secretsToCreate(const Tenant &tenant, const http::Request &request, const QStringList &)
{
    auto made = newClientFrom(tenant, request);
    if (!made || !made->client.confidential)
        return {};
    if (made->given)
        return {{*made->given}, {}};
    return {{}, {newClientSecret()}};
}

ManagementContext::SecretsToHash Clients::secretsToUpdate(const Tenant &tenant, const http::Request &request, const QStringList &scopes)
{
    auto change = clientUpdateFrom(tenant, request, scopes.contains(kUpdateClientKeys));
    if (!change || !change->client.confidential)
        return {};
    if (change->given)
        return {{*change->given}, {}};
    if (!change->wasConfidential)
        return {{}, {newClientSecret()}};
    return {};
}

ManagementContext::SecretsToHash Clients::secretsToRotate(const Tenant &tenant, const http::Request &request, const QStringList &)
{
    if (rotationRefusal(tenant, indexOf(tenant, request.pathParameters.value(QStringLiteral("id")))))
        return {};
    return {{}, {newClientSecret()}};
}

} // namespace organizer::management
