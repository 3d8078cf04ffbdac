#include "managementjson.h"

#include "tenantdeploy.h"

#include <QJsonDocument>

#include <algorithm>

namespace organizer::management {

oauth::OAuthError payloadError(const QString &problem)
{
    return {oauth::ErrorCode::InvalidBody, QStringLiteral("Payload validation error: '%1'.").arg(problem), 400};
}

http::Response invalidBody(const QString &problem)
{
    return oauth::managementResponse(payloadError(problem));
}

QString missingProperty(const QString &detail)
{
    return QStringLiteral("Missing required property") + detail;
}

QString payloadProblem(const JsonProblem &problem)
{
    if (problem.kind == JsonProblem::Kind::UnknownMember)
        return QStringLiteral("Additional properties not allowed: %1").arg(problem.path);
    // Auth0 names the member after its words, and whatever detail follows it after the name.
    static const QString missing = missingProperty();
    if (problem.problem.startsWith(missing))
        return QStringLiteral("%1: %2%3").arg(missing, problem.path, problem.problem.mid(missing.size()));
    return problem.toString();
}

http::Response invalidBody(const JsonProblem &problem)
{
    return invalidBody(payloadProblem(problem));
}

http::Response jsonAnswer(int status, const QJsonValue &value)
{
    http::Response response;
    response.status = status;
    response.body
        = value.isArray() ? QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact) : QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    response.setHeader("content-type", "application/json");
    response.setHeader("cache-control", "no-store");
    return response;
}

Expected<QJsonObject, oauth::OAuthError> readObject(const http::Request &request)
{
    const QByteArray contentType = request.header("content-type").split(';').first().trimmed().toLower();
    if (contentType != "application/json")
        return Unexpected<oauth::OAuthError>(payloadError(QStringLiteral("Send the body as JSON with Content-Type: application/json")));
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(request.body, &error);
    if (error.error != QJsonParseError::NoError)
        return Unexpected<oauth::OAuthError>(payloadError(QStringLiteral("Invalid JSON: %1 at byte %2").arg(error.errorString()).arg(error.offset)));
    if (!document.isObject())
        return Unexpected<oauth::OAuthError>(
            payloadError(QStringLiteral("Expected type object but found type %1").arg(document.isArray() ? QStringLiteral("array") : QStringLiteral("other"))));
    return document.object();
}

JsonReader bodyReader(const QJsonObject &body)
{
    // The words the Management API has always used ("token_lifetime must be …"), after the path.
    static const JsonReadOptions options = [] {
        JsonReadOptions o;
        o.wording.missing = missingProperty();
        o.wording.string = QStringLiteral("must be a string");
        o.wording.nonEmptyString = QStringLiteral("must be a non-empty string");
        o.wording.boolean = QStringLiteral("must be true or false");
        o.wording.integer = QStringLiteral("must be a whole number");
        o.wording.integerRange = QStringLiteral("must be a whole number from %1 to %2");
        o.wording.array = QStringLiteral("must be an array");
        o.wording.arrayLength = QStringLiteral("must be an array of %1 to %2 items");
        o.wording.stringArray = QStringLiteral("must be an array of strings");
        o.wording.object = QStringLiteral("must be an object");
        return o;
    }();
    return JsonReader(body, {}, options);
}

std::optional<QString> boundedString(const JsonReader &at, JsonCount length, Spaces spaces, const QString &expected, JsonReader::Presence presence)
{
    if (at.isAbsent()) {
        if (presence == JsonReader::Required)
            at.fail(at.options().wording.missing, JsonProblem::Kind::Missing);
        return std::nullopt;
    }
    std::optional<QString> value = at.string(expected);
    if (!value)
        return std::nullopt;
    if (spaces == Spaces::Trimmed)
        *value = value->trimmed();
    const bool blank = value->trimmed().isEmpty();
    if ((blank && length.min > 0) || value->size() < length.min || value->size() > length.max) {
        at.fail(expected.isEmpty() ? QStringLiteral("must be a string of %1 to %2 characters").arg(length.min).arg(length.max) : expected,
                JsonProblem::Kind::OutOfRange);
        return std::nullopt;
    }
    return value;
}

std::optional<oauth::OAuthError> firstProblemOf(const JsonReader &read)
{
    if (read.ok())
        return std::nullopt;
    return payloadError(payloadProblem(read.problems().first()));
}

std::optional<http::Response> refusalOf(const JsonReader &read)
{
    if (auto problem = firstProblemOf(read))
        return oauth::managementResponse(*problem);
    return std::nullopt;
}

namespace {

http::Response invalidQuery(const QString &property, const QString &value, const QString &detail = {})
{
    return oauth::managementResponse({oauth::ErrorCode::InvalidQueryString,
                                      QStringLiteral("Query validation error: 'Invalid value \"%1\" for property %2%3'.").arg(value.left(40), property, detail),
                                      400});
}

http::Response checkpointPageOf(const http::Request &request, const QString &key, const QJsonArray &all, const QString &checkpointKey)
{
    qint64 take = 50;
    if (const QString text = request.query.value(u"take"); !text.isNull()) {
        bool ok = false;
        take = text.toLongLong(&ok);
        if (!ok || take < 1 || text.startsWith(QLatin1Char('+')))
            return invalidQuery(QStringLiteral("take"), text, QStringLiteral(" (a whole number from 1)"));
        take = std::min<qint64>(take, 100); // Auth0 caps take at 100
    }
    // The cursor is the name of the first item of the next page, base64url: opaque to clients.
    QString from;
    if (const QString text = request.query.value(u"from"); !text.isEmpty()) {
        const auto decoded = QByteArray::fromBase64Encoding(text.toLatin1(), QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded || decoded.decoded.isEmpty() || text.size() > 2000)
            return invalidQuery(QStringLiteral("from"), text, QStringLiteral(" (the next of an earlier page)"));
        from = QString::fromUtf8(decoded.decoded);
    }
    QList<QJsonObject> items;
    for (const QJsonValue &item : all) {
        if (item.toObject().value(checkpointKey).toString() >= from)
            items.append(item.toObject());
    }
    std::sort(items.begin(), items.end(),
              [&checkpointKey](const QJsonObject &a, const QJsonObject &b) { return a.value(checkpointKey).toString() < b.value(checkpointKey).toString(); });
    QJsonArray page;
    for (qsizetype i = 0; i < items.size() && i < take; ++i)
        page.append(items.at(i));
    QJsonObject answer{{key, page}};
    if (items.size() > take)
        answer.insert(QStringLiteral("next"),
                      QString::fromLatin1(
                          items.at(take).value(checkpointKey).toString().toUtf8().toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals)));
    return jsonAnswer(200, answer);
}

} // namespace

http::Response pageOf(const http::Request &request, const QString &key, const QJsonArray &all, const QString &checkpointKey)
{
    if (!checkpointKey.isEmpty() && (!request.query.value(u"from").isNull() || !request.query.value(u"take").isNull()))
        return checkpointPageOf(request, key, all, checkpointKey);
    const auto number = [&request](const char *name, qint64 fallback, qint64 max) -> std::optional<qint64> {
        const QString text = request.query.value(QString::fromLatin1(name));
        if (text.isNull())
            return fallback;
        bool ok = false;
        const qint64 value = text.toLongLong(&ok);
        if (!ok || value < 0 || value > max || text.startsWith(QLatin1Char('+')))
            return std::nullopt;
        return value;
    };
    const auto page = number("page", 0, 1'000'000);
    const auto perPage = number("per_page", 50, 100);
    if (!page)
        return oauth::managementResponse(
            {oauth::ErrorCode::InvalidQueryString,
             QStringLiteral("Query validation error: 'Invalid value \"%1\" for property page'.").arg(request.query.value(u"page").left(20)), 400});
    if (!perPage)
        return oauth::managementResponse({oauth::ErrorCode::InvalidQueryString,
                                          QStringLiteral("Query validation error: 'Invalid value \"%1\" for property per_page (from 0 to 100)'.")
                                              .arg(request.query.value(u"per_page").left(20)),
                                          400});
    const QString totals = request.query.value(u"include_totals");
    if (!totals.isNull() && totals != QLatin1String("true") && totals != QLatin1String("false"))
        return oauth::managementResponse({oauth::ErrorCode::InvalidQueryString,
                                          QStringLiteral("Query validation error: 'Invalid value \"%1\" for property include_totals'.").arg(totals.left(20)),
                                          400});
    const qint64 start = *page * *perPage;
    QJsonArray slice;
    for (qint64 i = start; i < all.size() && i < start + *perPage; ++i)
        slice.append(all.at(i));
    if (totals != QLatin1String("true"))
        return jsonAnswer(200, slice);
    return jsonAnswer(200,
                      QJsonObject{{QStringLiteral("start"), start},
                                  {QStringLiteral("limit"), *perPage},
                                  {QStringLiteral("length"), slice.size()},
                                  {QStringLiteral("total"), all.size()},
                                  {key, slice}});
}

Expected<QList<Permission>, oauth::OAuthError> readPermissions(const authorization::Tenant &tenant, const QJsonObject &body)
{
    const JsonReader read = bodyReader(body);
    read.allowOnly({QStringLiteral("permissions")});
    QList<Permission> out;
    std::optional<oauth::OAuthError> refused; // the first permission the tenant cannot give, as Auth0 answers it
    read["permissions"].forEach(
        [&](const JsonReader &entry) {
            if (refused || !read.ok() || !entry.allowOnly({QStringLiteral("resource_server_identifier"), QStringLiteral("permission_name")}))
                return;
            const Permission permission{entry["resource_server_identifier"].value().toString(), entry["permission_name"].value().toString()};
            if (permission.apiIdentifier.isEmpty() || permission.name.isEmpty())
                return entry.fail(QStringLiteral("each permission needs resource_server_identifier and permission_name"));
            const authorization::Api *api = tenant.api(permission.apiIdentifier);
            if (!api || api->system)
                refused = oauth::OAuthError{oauth::ErrorCode::InexistentResourceServer,
                                            QStringLiteral("Resource server \"%1\" does not exist").arg(permission.apiIdentifier.left(200)), 404};
            else if (!api->hasScope(permission.name))
                refused = oauth::OAuthError{
                    oauth::ErrorCode::InvalidBody,
                    QStringLiteral("Permission \"%1\" is not defined on the resource server \"%2\"").arg(permission.name.left(100), api->identifier), 400};
            else
                out.append(permission);
        },
        JsonReader::Required, QStringLiteral("must be an array of 1 to 1000 permissions"), {1, 1000});
    if (auto problem = firstProblemOf(read))
        return Unexpected<oauth::OAuthError>(*problem);
    if (refused)
        return Unexpected<oauth::OAuthError>(*refused);
    return out;
}

QJsonObject resourceServerJson(const authorization::Api &api, const QList<catalogue::ApiSpec> &servedApis)
{
    QJsonArray scopes;
    for (const authorization::ApiScope &scope : api.scopes)
        scopes.append(QJsonObject{{QStringLiteral("value"), scope.value}, {QStringLiteral("description"), scope.description}});
    QJsonObject object{{QStringLiteral("id"), api.id},
                       {QStringLiteral("name"), api.name},
                       {QStringLiteral("identifier"), api.identifier},
                       {QStringLiteral("is_system"), api.system},
                       {QStringLiteral("signing_alg"), api.signingAlgorithm},
                       {QStringLiteral("scopes"), scopes},
                       {QStringLiteral("token_lifetime"), api.tokenLifetimeSeconds},
                       {QStringLiteral("token_lifetime_for_web"), std::min<qint64>(api.tokenLifetimeSeconds, 7200)},
                       {QStringLiteral("allow_offline_access"), api.allowOfflineAccess},
                       {QStringLiteral("skip_consent_for_verifiable_first_party_clients"), false}};
    if (!api.system) {
        object.insert(QStringLiteral("enforce_policies"), api.rbac);
        object.insert(QStringLiteral("token_dialect"), tokenDialectOf(api));
        QJsonArray apis;
        for (const catalogue::ApiSpec &spec : servedApis)
            apis.append(catalogue::apiToJson(spec));
        object.insert(QStringLiteral("organizer_apis"), apis);
    }
    return object;
}

QString tokenEndpointAuthMethodOf(const authorization::Client &client)
{
    if (!client.confidential)
        return QStringLiteral("none");
    const QString kept = client.auth0Settings.value(QLatin1String("token_endpoint_auth_method")).toString();
    return kept == QLatin1String("client_secret_basic") ? kept : QStringLiteral("client_secret_post");
}

QJsonObject clientJson(const authorization::Client &client)
{
    QJsonObject object = authorization::clientSettingsShown(client);
    object.insert(QStringLiteral("client_id"), client.clientId);
    object.insert(QStringLiteral("name"), client.name);
    object.insert(QStringLiteral("grant_types"), QJsonArray::fromStringList(client.grantTypes));
    object.insert(QStringLiteral("callbacks"), QJsonArray::fromStringList(client.callbacks));
    object.insert(QStringLiteral("allowed_logout_urls"), QJsonArray::fromStringList(client.logoutUrls));
    object.insert(QStringLiteral("web_origins"), QJsonArray::fromStringList(client.webOrigins));
    object.insert(QStringLiteral("allowed_origins"), QJsonArray::fromStringList(client.allowedOrigins));
    object.insert(QStringLiteral("token_endpoint_auth_method"), tokenEndpointAuthMethodOf(client));
    return object; // the secret's hash is never shown, and the secret is not kept
}

QJsonObject clientGrantJson(const authorization::Client &client, const authorization::ClientGrant &grant)
{
    return QJsonObject{{QStringLiteral("id"), grant.id},
                       {QStringLiteral("client_id"), client.clientId},
                       {QStringLiteral("audience"), grant.audience},
                       {QStringLiteral("scope"), QJsonArray::fromStringList(grant.scopes)}};
}

QJsonObject userJson(const authorization::User &user, const QString &connection)
{
    QJsonObject json = user.auth0Profile;
    json.insert(QStringLiteral("user_id"), user.subject());
    json.insert(QStringLiteral("email"), user.email);
    json.insert(QStringLiteral("email_verified"), user.emailVerified);
    json.insert(QStringLiteral("name"), user.name);
    json.insert(QStringLiteral("nickname"), user.nickname);
    json.insert(QStringLiteral("blocked"), user.blocked);
    json.insert(QStringLiteral("identities"),
                QJsonArray{QJsonObject{{QStringLiteral("provider"), QStringLiteral("auth0")},
                                       {QStringLiteral("user_id"), user.userId},
                                       {QStringLiteral("connection"), connection},
                                       {QStringLiteral("isSocial"), false}}});
    return json;
}

QJsonObject roleJson(const authorization::Role &role)
{
    return QJsonObject{{QStringLiteral("id"), role.id}, {QStringLiteral("name"), role.name}, {QStringLiteral("description"), role.description}};
}

} // namespace organizer::management
