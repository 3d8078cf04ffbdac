#include "qaplan.h"

#include "catalogue.h"
#include "jsonreader.h"

#include <QSet>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace organizer::qa {

namespace {

using Failure = Unexpected<QString>;

// A plan names what it does not know as "unknown field (known: …)"; every other problem in its own words.
JsonReadOptions planOptions()
{
    JsonReadOptions options;
    options.wording.unknownMember = QStringLiteral("unknown field (known: %1)");
    return options;
}

// Reports `problem` where `at` stands; what a reader that stops at its first problem returns.
std::nullopt_t failed(const JsonReader &at, const QString &problem)
{
    at.fail(problem);
    return std::nullopt;
}

bool isScopeName(const QString &scope)
{
    // RFC 6749 §3.3 scope-token: printable ASCII without space, quote or backslash.
    static const QRegularExpression token(QStringLiteral("^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$"));
    return token.match(scope).hasMatch();
}

QStringList readScopeList(const JsonReader &list)
{
    QStringList scopes;
    list.forEach(
        [&scopes](const JsonReader &item) {
            const QString scope = item.value().toString();
            if (!item.value().isString() || !isScopeName(scope))
                item.fail(QStringLiteral("expected a scope name like \"read:contacts\""));
            else if (!scopes.contains(scope))
                scopes.append(scope);
        },
        JsonReader::Required, QStringLiteral("expected a list of scopes like [\"read:contacts\"]"));
    return scopes;
}

std::optional<Endpoint> readEndpoint(const JsonReader &read)
{
    if (!read.expectObject(JsonReader::Required, QStringLiteral("expected an object with method, path and scope")))
        return std::nullopt;
    Endpoint endpoint;
    const QString method = read["method"].value().toString().toUpper();
    static const QStringList methods{QStringLiteral("GET"), QStringLiteral("POST"), QStringLiteral("PUT"), QStringLiteral("PATCH"), QStringLiteral("DELETE")};
    if (!methods.contains(method))
        return failed(read["method"], QStringLiteral("expected one of %1").arg(methods.join(QLatin1String(", "))));
    endpoint.method = method.toLatin1();
    endpoint.path = read["path"].value().toString();
    if (!endpoint.path.startsWith(QLatin1Char('/')) || endpoint.path.contains(QLatin1Char(' ')) || endpoint.path.contains(QLatin1Char('?')))
        return failed(read["path"], QStringLiteral("expected a path like /api/contacts or /api/contacts/{id}"));
    if (endpoint.path.count(QStringLiteral("{id}")) > 1 || (endpoint.needsRecord() && !endpoint.path.endsWith(QLatin1String("/{id}"))))
        return failed(read["path"], QStringLiteral("{id} may only stand for the last segment, once"));
    endpoint.scope = read["scope"].value().toString();
    if (!isScopeName(endpoint.scope))
        return failed(read["scope"], QStringLiteral("expected the scope the endpoint requires, like \"read:contacts\""));
    if (!read["body"].isAbsent()) {
        if (!read["body"].expectObject(JsonReader::Required, QStringLiteral("expected a JSON object to send")))
            return std::nullopt;
        endpoint.body = read["body"].value().toObject();
    }
    const bool writes = endpoint.method == "POST" || endpoint.method == "PUT" || endpoint.method == "PATCH";
    if (writes && endpoint.body.isEmpty())
        return failed(read["body"], QStringLiteral("a %1 needs a sample body").arg(method));
    if (!read.allowOnly({QStringLiteral("method"), QStringLiteral("path"), QStringLiteral("scope"), QStringLiteral("body")}))
        return std::nullopt;
    return endpoint;
}

std::optional<PlanUser> readUser(const JsonReader &read)
{
    if (!read.expectObject(JsonReader::Required, QStringLiteral("expected {\"login\", \"password\"} or {\"client_credentials\", \"secret\"}")))
        return std::nullopt;
    PlanUser user;
    if (!read["client_credentials"].isAbsent()) {
        user.kind = PlanUser::Kind::ClientCredentials;
        user.clientId = read["client_credentials"].value().toString();
        user.clientSecret = read["secret"].value().toString();
        if (user.clientId.isEmpty())
            return failed(read["client_credentials"], QStringLiteral("expected the client_id of a machine-to-machine application"));
        if (user.clientSecret.isEmpty())
            return failed(read["secret"], QStringLiteral("expected the client's secret"));
        return user;
    }
    user.login = read["login"].value().toString();
    user.password = read["password"].value().toString();
    if (user.login.isEmpty())
        return failed(read["login"], QStringLiteral("expected the user's email (or use client_credentials)"));
    if (!read["password"].value().isString() || user.password.isEmpty())
        return failed(read["password"], QStringLiteral("expected the user's password"));
    return user;
}

std::optional<Pin> readPin(const JsonReader &read, const QList<Endpoint> &endpoints)
{
    if (!read.expectObject(JsonReader::Required, QStringLiteral("expected {\"endpoint\", \"status\"} with optional user, scopes, error, reason")))
        return std::nullopt;
    Pin pin;
    pin.user = read["user"].value().toString();
    if (!read["scopes"].isAbsent()) {
        const qsizetype problems = read.problems().size();
        pin.scopes = readScopeList(read["scopes"]);
        if (read.problems().size() > problems)
            return std::nullopt;
    }
    pin.endpoint = read["endpoint"].value().toString();
    const bool known = std::any_of(endpoints.begin(), endpoints.end(), [&](const Endpoint &e) { return e.name() == pin.endpoint; });
    if (!known)
        return failed(read["endpoint"], QStringLiteral("\"%1\" is not one of the plan's endpoints (write it as \"GET /api/contacts\")").arg(pin.endpoint));
    const int status = read["status"].value().toInt(0);
    if (status < 100 || status > 599)
        return failed(read["status"], QStringLiteral("expected an HTTP status code like 403"));
    pin.status = status;
    pin.error = read["error"].value().toString();
    pin.reason = read["reason"].value().toString();
    return pin;
}

// A tenant file's rules, read leniently (organizer-server checks the file itself): only the scopes
// the plan's expectations are derived from must be scope names.
app::AccessRules readAccessRules(const JsonReader &tenant)
{
    app::AccessRules rules;
    const JsonReader apis = tenant["apis"];
    for (qsizetype i = 0; i < apis.size(); ++i) {
        const JsonReader api = apis.at(i);
        app::AccessRules::Api read{api["identifier"].value().toString(), api["rbac"].value().toBool(false), {}};
        const JsonReader scopes = api["scopes"];
        for (qsizetype s = 0; s < scopes.size(); ++s) {
            const JsonReader entry = scopes.at(s);
            const QString scope = entry.isObject() ? entry["value"].value().toString() : entry.value().toString();
            if (!isScopeName(scope))
                entry.fail(QStringLiteral("expected {\"value\": \"read:contacts\"}"));
            read.scopes.append(scope);
        }
        rules.apis.append(read);
    }
    const JsonReader users = tenant["users"];
    for (qsizetype i = 0; i < users.size(); ++i) {
        const JsonReader user = users.at(i);
        app::AccessRules::Person person{user["email"].value().toString(), user["user_id"].value().toString(), {}};
        if (user["permissions"].isObject())
            user["permissions"].forEachMember(
                [&person](const QString &api, const JsonReader &scopes) { person.permissions.insert(api, readScopeList(scopes)); });
        rules.users.append(person);
    }
    const JsonReader clients = tenant["clients"];
    for (qsizetype i = 0; i < clients.size(); ++i) {
        const JsonReader client = clients.at(i);
        app::AccessRules::Application application{client["client_id"].value().toString(), {}};
        const JsonReader grants = client["client_grants"];
        for (qsizetype g = 0; g < grants.size(); ++g)
            application.grants.insert(grants.at(g)["audience"].value().toString(), readScopeList(grants.at(g)["scopes"]));
        rules.clients.append(application);
    }
    return rules;
}

} // namespace

QString probeName(Probe probe)
{
    switch (probe) {
    case Probe::NoToken:
        return QStringLiteral("no_token");
    case Probe::ExpiredToken:
        return QStringLiteral("expired_token");
    case Probe::TamperedToken:
        return QStringLiteral("tampered_token");
    case Probe::OtherAudience:
        return QStringLiteral("other_audience");
    case Probe::WithoutOpenId:
        return QStringLiteral("without_openid");
    }
    return {};
}

QString probeDescription(Probe probe)
{
    switch (probe) {
    case Probe::NoToken:
        return QStringLiteral("no token");
    case Probe::ExpiredToken:
        return QStringLiteral("an expired token");
    case Probe::TamperedToken:
        return QStringLiteral("a tampered token");
    case Probe::OtherAudience:
        return QStringLiteral("a token for another audience");
    case Probe::WithoutOpenId:
        return QStringLiteral("a token without openid");
    }
    return {};
}

std::optional<Probe> probeFromName(const QString &name)
{
    for (Probe probe : {Probe::NoToken, Probe::ExpiredToken, Probe::TamperedToken, Probe::OtherAudience, Probe::WithoutOpenId}) {
        if (probeName(probe) == name)
            return probe;
    }
    return std::nullopt;
}

Expected<app::AccessRules, QString> readAccessRules(const QJsonObject &tenant, const QString &where)
{
    const JsonReader read(tenant, where, planOptions());
    app::AccessRules rules = readAccessRules(read);
    if (!read.ok())
        return Failure(read.error());
    return rules;
}

Expected<TenantRules, QString> TenantRules::forAudience(const app::AccessRules &tenant, const QString &audience, const QString &where)
{
    const app::AccessRules::Api *api = tenant.api(audience);
    if (!api)
        return Failure(QStringLiteral("%1.apis: no API with the identifier \"%2\"").arg(where, audience));
    TenantRules rules;
    rules.audience = audience;
    rules.rbac = api->rbac;
    rules.apiScopes = api->scopes;
    for (const app::AccessRules::Person &person : tenant.users) {
        const QStringList granted = person.permissions.value(audience);
        for (const QString &id : {person.email, person.userId}) {
            if (!id.isEmpty())
                rules.userPermissions.insert(id, granted);
        }
    }
    for (const app::AccessRules::Application &application : tenant.clients) {
        if (application.grants.contains(audience))
            rules.clientGrants.insert(application.clientId, application.grants.value(audience));
    }
    return rules;
}

QList<ScopeSet> defaultScopeSets(const QStringList &apiScopes)
{
    QList<ScopeSet> sets;
    QStringList apis; // "contacts", "calendar": the part after the action, in the order first seen
    for (const QString &scope : apiScopes) {
        sets.append({scope, {scope}});
        const QString api = scope.section(QLatin1Char(':'), 1);
        if (!api.isEmpty() && !apis.contains(api))
            apis.append(api);
    }
    for (const QString &api : apis) {
        QStringList together;
        for (const QString &scope : apiScopes) {
            if (scope.section(QLatin1Char(':'), 1) == api)
                together.append(scope);
        }
        if (together.size() > 1)
            sets.append({QStringLiteral("%1 (all)").arg(api), together});
    }
    if (apis.size() > 1 || sets.size() > 1)
        sets.append({QStringLiteral("all"), apiScopes});
    sets.append({QStringLiteral("none"), {}});
    return sets;
}

Expected<Plan, QString> Plan::parse(const QByteArray &json, const QString &source, const QString &baseDir, const app::AccessRules &tenantFallback)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return Failure(QStringLiteral("%1: not JSON (%2 at byte %3)").arg(source, parseError.errorString()).arg(parseError.offset));
    if (!document.isObject())
        return Failure(QStringLiteral("%1: expected a JSON object with endpoints, users and scope_sets").arg(source));
    // Each part is read whole before the next, which may depend on it (pins name endpoints, users are
    // looked up in the tenant): the first problem found is the one reported.
    const JsonReader read(document.object(), {}, planOptions());
    if (!read.allowOnly({QStringLiteral("description"), QStringLiteral("audience"), QStringLiteral("tenant"), QStringLiteral("login_scopes"),
                         QStringLiteral("endpoints"), QStringLiteral("users"), QStringLiteral("scope_sets"), QStringLiteral("negative_probes"),
                         QStringLiteral("expect")}))
        return Failure(read.error());

    Plan plan;
    plan.source = source;
    plan.description = read["description"].value().toString();
    if (!read["audience"].isAbsent())
        plan.audience = read["audience"].requiredString(QStringLiteral("expected the API identifier, like \"organize\""));
    if (!read["login_scopes"].isAbsent())
        plan.loginScopes = readScopeList(read["login_scopes"]);
    if (!read.ok())
        return Failure(read.error());

    // The tenant's rules: the bundled demo tenant (or whichever the caller gives), a tenant file, or
    // the same shape inline.
    const JsonReader tenant = read["tenant"];
    QString tenantWhere = QStringLiteral("tenant");
    app::AccessRules tenantRules = tenantFallback;
    if (tenant.value().isString() && tenant.value().toString() != QLatin1String("bundled")) {
        const QString path = QDir(baseDir).absoluteFilePath(tenant.value().toString());
        QFile file(path);
        const bool opened = file.open(QIODevice::ReadOnly);
        const QJsonDocument tenantDocument = opened ? QJsonDocument::fromJson(file.readAll()) : QJsonDocument();
        if (!opened) {
            tenant.fail(QStringLiteral("cannot read the tenant file %1: %2").arg(path, file.errorString()));
        } else if (!tenantDocument.isObject()) {
            tenant.fail(QStringLiteral("%1 is not a tenant file (a JSON object with apis, clients, users)").arg(path));
        } else {
            // Another document: its problems are named by the file's name ("t.json.users[0]…").
            tenantWhere = QFileInfo(path).fileName();
            auto fromFile = readAccessRules(tenantDocument.object(), tenantWhere);
            if (!fromFile)
                return Failure(fromFile.error());
            tenantRules = *fromFile;
        }
    } else if (tenant.isObject()) {
        tenantRules = readAccessRules(tenant);
    } else if (!tenant.isAbsent() && !tenant.value().isString()) {
        tenant.fail(QStringLiteral("expected \"bundled\", a tenant file's path, or the tenant's rules inline"));
    }
    if (!read.ok())
        return Failure(read.error());
    auto rules = TenantRules::forAudience(tenantRules, plan.audience, tenantWhere);
    if (!rules)
        return Failure(rules.error());
    plan.tenant = *rules;

    read["endpoints"].forEach(
        [&plan](const JsonReader &entry) {
            const auto endpoint = readEndpoint(entry);
            if (!endpoint)
                return;
            for (const Endpoint &other : std::as_const(plan.endpoints)) {
                if (other.name() == endpoint->name())
                    return entry.fail(QStringLiteral("%1 is listed twice").arg(endpoint->name()));
            }
            plan.endpoints.append(*endpoint);
        },
        JsonReader::Required, QStringLiteral("expected a non-empty list of {method, path, scope}"), {1});
    if (!read.ok())
        return Failure(read.error());
    // A {id} endpoint works on a record the run creates with the collection's POST body.
    for (qsizetype i = 0; i < plan.endpoints.size(); ++i) {
        const Endpoint &endpoint = plan.endpoints.at(i);
        if (!endpoint.needsRecord())
            continue;
        const bool creatable = std::any_of(plan.endpoints.begin(), plan.endpoints.end(),
                                           [&](const Endpoint &e) { return e.method == "POST" && e.path == endpoint.collectionPath(); });
        if (!creatable)
            read["endpoints"].at(i)["path"].fail(
                QStringLiteral("{id} needs a POST %1 endpoint with a body, to create the record it works on").arg(endpoint.collectionPath()));
    }
    if (!read.ok())
        return Failure(read.error());

    read["users"].forEach(
        [&plan](const JsonReader &entry) {
            const auto user = readUser(entry);
            if (!user)
                return;
            if (user->kind == PlanUser::Kind::Password && !plan.tenant.userPermissions.contains(user->login))
                return entry["login"].fail(QStringLiteral("%1 is not a user of the tenant, so what it is granted cannot be derived").arg(user->login));
            if (user->kind == PlanUser::Kind::ClientCredentials && !plan.tenant.clientGrants.contains(user->clientId))
                return entry["client_credentials"].fail(QStringLiteral("%1 has no client grant for %2 in the tenant").arg(user->clientId, plan.audience));
            plan.users.append(*user);
        },
        JsonReader::Required, QStringLiteral("expected a non-empty list of users"), {1});
    if (!read.ok())
        return Failure(read.error());

    if (read["scope_sets"].isAbsent()) {
        plan.scopeSets = defaultScopeSets(plan.tenant.apiScopes);
    } else {
        read["scope_sets"].forEach(
            [&plan](const JsonReader &entry) {
                const QStringList scopes = readScopeList(entry);
                plan.scopeSets.append({scopes.isEmpty() ? QStringLiteral("none") : scopes.join(QLatin1Char(' ')), scopes});
            },
            JsonReader::Required, QStringLiteral("expected a non-empty list of scope lists (omit it for the default sets)"), {1});
    }
    if (!read.ok())
        return Failure(read.error());

    if (read["negative_probes"].isAbsent()) {
        plan.probes = {Probe::NoToken, Probe::ExpiredToken, Probe::TamperedToken, Probe::OtherAudience, Probe::WithoutOpenId};
    } else {
        read["negative_probes"].forEach(
            [&plan](const JsonReader &entry) {
                const auto probe = probeFromName(entry.value().toString());
                if (!probe)
                    return entry.fail(QStringLiteral("expected one of no_token, expired_token, tampered_token, other_audience, without_openid"));
                if (!plan.probes.contains(*probe))
                    plan.probes.append(*probe);
            },
            JsonReader::Required, QStringLiteral("expected a list like [\"no_token\", \"expired_token\"]"));
    }
    if (!read.ok())
        return Failure(read.error());

    read["expect"].forEach(
        [&plan](const JsonReader &entry) {
            if (const auto pin = readPin(entry, plan.endpoints))
                plan.pins.append(*pin);
        },
        JsonReader::Optional, QStringLiteral("expected a list of pinned expectations"));
    if (!read.ok())
        return Failure(read.error());
    return plan;
}

Expected<Plan, QString> Plan::load(const QString &path, const app::AccessRules &tenantFallback)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Failure(QStringLiteral("cannot read the QA plan %1: %2").arg(path, file.errorString()));
    if (file.size() > 4 * 1024 * 1024)
        return Failure(QStringLiteral("%1: a QA plan larger than 4 MiB is surely not one").arg(path));
    return parse(file.readAll(), QFileInfo(path).fileName(), QFileInfo(path).absolutePath(), tenantFallback);
}

app::AccessRules Plan::bundledTenant()
{
    // The build's own test reads this tenant; a broken one fails there, not here.
    QFile file(QStringLiteral(":/organizer/qa/tenant.json"));
    file.open(QIODevice::ReadOnly);
    const auto rules = readAccessRules(QJsonDocument::fromJson(file.readAll()).object(), QStringLiteral("tenant.json"));
    Q_ASSERT_X(rules, "Plan::bundledTenant", qPrintable(rules ? QString() : rules.error()));
    return rules ? *rules : app::AccessRules{};
}

QJsonArray defaultEndpoints(const catalogue::ResourceServerSpec &service)
{
    QJsonArray endpoints;
    for (const catalogue::ApiSpec &api : service.apis) {
        const QString item = api.path() + QStringLiteral("/{id}");
        const QJsonObject body = catalogue::sampleRecord(api);
        const auto endpoint = [&api](const char *method, const QString &path, catalogue::Action action, const QJsonObject &sent = {}) {
            QJsonObject entry{{QStringLiteral("method"), QLatin1String(method)}, {QStringLiteral("path"), path}, {QStringLiteral("scope"), api.scope(action)}};
            if (!sent.isEmpty())
                entry.insert(QStringLiteral("body"), sent);
            return entry;
        };
        endpoints.append(endpoint("GET", api.path(), catalogue::Action::Read));
        endpoints.append(endpoint("POST", api.path(), catalogue::Action::Create, body));
        endpoints.append(endpoint("GET", item, catalogue::Action::Read));
        endpoints.append(endpoint("PUT", item, catalogue::Action::Update, body));
        endpoints.append(endpoint("DELETE", item, catalogue::Action::Delete));
    }
    return endpoints;
}

Plan Plan::builtIn()
{
    // The build's own test reads this plan; a broken one fails there, not here.
    auto plan = builtIn(catalogue::organizerService().apis, bundledTenant());
    Q_ASSERT_X(plan, "Plan::builtIn", qPrintable(plan ? QString() : plan.error()));
    return plan ? *plan : Plan{};
}

Expected<Plan, QString> Plan::builtIn(const QList<catalogue::ApiSpec> &apis, const app::AccessRules &tenant)
{
    // Users, probes and the audience from resources/qa-plan.json; the endpoints from the APIs.
    QFile file(QStringLiteral(":/organizer/qa/qa-plan.json"));
    file.open(QIODevice::ReadOnly);
    QJsonObject document = QJsonDocument::fromJson(file.readAll()).object();
    catalogue::ResourceServerSpec service = catalogue::organizerService();
    service.apis = apis;
    document.insert(QStringLiteral("endpoints"), defaultEndpoints(service));
    // Only the plan's users the tenant has: logins it knows, clients it granted this API to.
    const QString audience = document.value(QLatin1String("audience")).toString();
    QSet<QString> logins;
    for (const app::AccessRules::Person &person : tenant.users)
        logins.insert(person.email);
    QSet<QString> grantedClients;
    for (const app::AccessRules::Application &application : tenant.clients) {
        if (application.grants.contains(audience))
            grantedClients.insert(application.clientId);
    }
    QJsonArray users;
    for (const QJsonValue &user : document.value(QLatin1String("users")).toArray()) {
        const QJsonObject entry = user.toObject();
        if (logins.contains(entry.value(QLatin1String("login")).toString())
            || grantedClients.contains(entry.value(QLatin1String("client_credentials")).toString()))
            users.append(entry);
    }
    document.insert(QStringLiteral("users"), users);
    return parse(QJsonDocument(document).toJson(), QStringLiteral("built-in default plan"), {}, tenant);
}

} // namespace organizer::qa
