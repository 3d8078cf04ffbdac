#include "qaplan.h"

#include "catalogue.h"

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

Failure fieldError(const QString &field, const QString &problem)
{
    return Failure(QStringLiteral("%1: %2").arg(field, problem));
}

QString indexed(const QString &field, qsizetype index)
{
    return QStringLiteral("%1[%2]").arg(field).arg(index);
}

bool isScopeName(const QString &scope)
{
    // RFC 6749 §3.3 scope-token: printable ASCII without space, quote or backslash.
    static const QRegularExpression token(QStringLiteral("^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$"));
    return token.match(scope).hasMatch();
}

Expected<QStringList, QString> readScopeList(const QJsonValue &value, const QString &field)
{
    if (!value.isArray())
        return fieldError(field, QStringLiteral("expected a list of scopes like [\"read:contacts\"]"));
    QStringList scopes;
    const QJsonArray array = value.toArray();
    for (qsizetype i = 0; i < array.size(); ++i) {
        const QString scope = array.at(i).toString();
        if (!array.at(i).isString() || !isScopeName(scope))
            return fieldError(indexed(field, i), QStringLiteral("expected a scope name like \"read:contacts\""));
        if (!scopes.contains(scope))
            scopes.append(scope);
    }
    return scopes;
}

Expected<Endpoint, QString> readEndpoint(const QJsonValue &value, const QString &field)
{
    if (!value.isObject())
        return fieldError(field, QStringLiteral("expected an object with method, path and scope"));
    const QJsonObject object = value.toObject();
    Endpoint endpoint;
    const QString method = object.value(QLatin1String("method")).toString().toUpper();
    static const QStringList methods{QStringLiteral("GET"), QStringLiteral("POST"), QStringLiteral("PUT"), QStringLiteral("PATCH"), QStringLiteral("DELETE")};
    if (!methods.contains(method))
        return fieldError(field + QStringLiteral(".method"), QStringLiteral("expected one of %1").arg(methods.join(QLatin1String(", "))));
    endpoint.method = method.toLatin1();
    endpoint.path = object.value(QLatin1String("path")).toString();
    if (!endpoint.path.startsWith(QLatin1Char('/')) || endpoint.path.contains(QLatin1Char(' ')) || endpoint.path.contains(QLatin1Char('?')))
        return fieldError(field + QStringLiteral(".path"), QStringLiteral("expected a path like /api/contacts or /api/contacts/{id}"));
    if (endpoint.path.count(QStringLiteral("{id}")) > 1 || (endpoint.needsRecord() && !endpoint.path.endsWith(QLatin1String("/{id}"))))
        return fieldError(field + QStringLiteral(".path"), QStringLiteral("{id} may only stand for the last segment, once"));
    endpoint.scope = object.value(QLatin1String("scope")).toString();
    if (!isScopeName(endpoint.scope))
        return fieldError(field + QStringLiteral(".scope"), QStringLiteral("expected the scope the endpoint requires, like \"read:contacts\""));
    if (object.contains(QLatin1String("body"))) {
        if (!object.value(QLatin1String("body")).isObject())
            return fieldError(field + QStringLiteral(".body"), QStringLiteral("expected a JSON object to send"));
        endpoint.body = object.value(QLatin1String("body")).toObject();
    }
    const bool writes = endpoint.method == "POST" || endpoint.method == "PUT" || endpoint.method == "PATCH";
    if (writes && endpoint.body.isEmpty())
        return fieldError(field + QStringLiteral(".body"), QStringLiteral("a %1 needs a sample body").arg(method));
    for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
        static const QStringList known{QStringLiteral("method"), QStringLiteral("path"), QStringLiteral("scope"), QStringLiteral("body")};
        if (!known.contains(it.key()))
            return fieldError(field + QLatin1Char('.') + it.key(), QStringLiteral("unknown field (known: method, path, scope, body)"));
    }
    return endpoint;
}

Expected<PlanUser, QString> readUser(const QJsonValue &value, const QString &field)
{
    if (!value.isObject())
        return fieldError(field, QStringLiteral("expected {\"login\", \"password\"} or {\"client_credentials\", \"secret\"}"));
    const QJsonObject object = value.toObject();
    PlanUser user;
    if (object.contains(QLatin1String("client_credentials"))) {
        user.kind = PlanUser::Kind::ClientCredentials;
        user.clientId = object.value(QLatin1String("client_credentials")).toString();
        user.clientSecret = object.value(QLatin1String("secret")).toString();
        if (user.clientId.isEmpty())
            return fieldError(field + QStringLiteral(".client_credentials"), QStringLiteral("expected the client_id of a machine-to-machine application"));
        if (user.clientSecret.isEmpty())
            return fieldError(field + QStringLiteral(".secret"), QStringLiteral("expected the client's secret"));
        return user;
    }
    user.login = object.value(QLatin1String("login")).toString();
    user.password = object.value(QLatin1String("password")).toString();
    if (user.login.isEmpty())
        return fieldError(field + QStringLiteral(".login"), QStringLiteral("expected the user's email (or use client_credentials)"));
    if (!object.value(QLatin1String("password")).isString() || user.password.isEmpty())
        return fieldError(field + QStringLiteral(".password"), QStringLiteral("expected the user's password"));
    return user;
}

Expected<Pin, QString> readPin(const QJsonValue &value, const QString &field, const QList<Endpoint> &endpoints)
{
    if (!value.isObject())
        return fieldError(field, QStringLiteral("expected {\"endpoint\", \"status\"} with optional user, scopes, error, reason"));
    const QJsonObject object = value.toObject();
    Pin pin;
    pin.user = object.value(QLatin1String("user")).toString();
    if (object.contains(QLatin1String("scopes"))) {
        auto scopes = readScopeList(object.value(QLatin1String("scopes")), field + QStringLiteral(".scopes"));
        if (!scopes)
            return Failure(scopes.error());
        pin.scopes = *scopes;
    }
    pin.endpoint = object.value(QLatin1String("endpoint")).toString();
    const bool known = std::any_of(endpoints.begin(), endpoints.end(), [&](const Endpoint &e) { return e.name() == pin.endpoint; });
    if (!known)
        return fieldError(field + QStringLiteral(".endpoint"),
                          QStringLiteral("\"%1\" is not one of the plan's endpoints (write it as \"GET /api/contacts\")").arg(pin.endpoint));
    const int status = object.value(QLatin1String("status")).toInt(0);
    if (status < 100 || status > 599)
        return fieldError(field + QStringLiteral(".status"), QStringLiteral("expected an HTTP status code like 403"));
    pin.status = status;
    pin.error = object.value(QLatin1String("error")).toString();
    pin.reason = object.value(QLatin1String("reason")).toString();
    return pin;
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
    app::AccessRules rules;
    const QJsonArray apis = tenant.value(QLatin1String("apis")).toArray();
    for (qsizetype i = 0; i < apis.size(); ++i) {
        const QJsonObject api = apis.at(i).toObject();
        app::AccessRules::Api read{api.value(QLatin1String("identifier")).toString(), api.value(QLatin1String("rbac")).toBool(false), {}};
        const QJsonArray scopes = api.value(QLatin1String("scopes")).toArray();
        for (qsizetype s = 0; s < scopes.size(); ++s) {
            const QString scope = scopes.at(s).isObject() ? scopes.at(s).toObject().value(QLatin1String("value")).toString() : scopes.at(s).toString();
            if (!isScopeName(scope))
                return fieldError(QStringLiteral("%1.apis[%2].scopes[%3]").arg(where).arg(i).arg(s), QStringLiteral("expected {\"value\": \"read:contacts\"}"));
            read.scopes.append(scope);
        }
        rules.apis.append(read);
    }
    const QJsonArray users = tenant.value(QLatin1String("users")).toArray();
    for (qsizetype i = 0; i < users.size(); ++i) {
        const QJsonObject user = users.at(i).toObject();
        app::AccessRules::Person person{user.value(QLatin1String("email")).toString(), user.value(QLatin1String("user_id")).toString(), {}};
        const QJsonObject permissions = user.value(QLatin1String("permissions")).toObject();
        for (auto it = permissions.constBegin(); it != permissions.constEnd(); ++it) {
            auto list = readScopeList(it.value(), QStringLiteral("%1.users[%2].permissions.%3").arg(where).arg(i).arg(it.key()));
            if (!list)
                return Failure(list.error());
            person.permissions.insert(it.key(), *list);
        }
        rules.users.append(person);
    }
    const QJsonArray clients = tenant.value(QLatin1String("clients")).toArray();
    for (qsizetype i = 0; i < clients.size(); ++i) {
        const QJsonObject client = clients.at(i).toObject();
        app::AccessRules::Application application{client.value(QLatin1String("client_id")).toString(), {}};
        const QJsonArray grants = client.value(QLatin1String("client_grants")).toArray();
        for (qsizetype g = 0; g < grants.size(); ++g) {
            const QJsonObject grant = grants.at(g).toObject();
            auto list = readScopeList(grant.value(QLatin1String("scopes")), QStringLiteral("%1.clients[%2].client_grants[%3].scopes").arg(where).arg(i).arg(g));
            if (!list)
                return Failure(list.error());
            application.grants.insert(grant.value(QLatin1String("audience")).toString(), *list);
        }
        rules.clients.append(application);
    }
    return rules;
}

Expected<TenantRules, QString> TenantRules::forAudience(const app::AccessRules &tenant, const QString &audience, const QString &where)
{
    const app::AccessRules::Api *api = tenant.api(audience);
    if (!api)
        return fieldError(where + QStringLiteral(".apis"), QStringLiteral("no API with the identifier \"%1\"").arg(audience));
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
    const QJsonObject root = document.object();
    static const QStringList known{QStringLiteral("description"),  QStringLiteral("audience"),        QStringLiteral("tenant"),
                                   QStringLiteral("login_scopes"), QStringLiteral("endpoints"),       QStringLiteral("users"),
                                   QStringLiteral("scope_sets"),   QStringLiteral("negative_probes"), QStringLiteral("expect")};
    for (auto it = root.constBegin(); it != root.constEnd(); ++it) {
        if (!known.contains(it.key()))
            return fieldError(it.key(), QStringLiteral("unknown field (known: %1)").arg(known.join(QLatin1String(", "))));
    }

    Plan plan;
    plan.source = source;
    plan.description = root.value(QLatin1String("description")).toString();
    if (root.contains(QLatin1String("audience"))) {
        plan.audience = root.value(QLatin1String("audience")).toString();
        if (plan.audience.isEmpty())
            return fieldError(QStringLiteral("audience"), QStringLiteral("expected the API identifier, like \"organize\""));
    }
    if (root.contains(QLatin1String("login_scopes"))) {
        auto scopes = readScopeList(root.value(QLatin1String("login_scopes")), QStringLiteral("login_scopes"));
        if (!scopes)
            return Failure(scopes.error());
        plan.loginScopes = *scopes;
    }

    // The tenant's rules: the bundled demo tenant (or whichever the caller gives), a tenant file, or
    // the same shape inline.
    const QJsonValue tenant = root.value(QLatin1String("tenant"));
    QString tenantWhere = QStringLiteral("tenant");
    Expected<app::AccessRules, QString> tenantRules = tenantFallback;
    if (tenant.isString() && tenant.toString() != QLatin1String("bundled")) {
        const QString path = QDir(baseDir).absoluteFilePath(tenant.toString());
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return fieldError(QStringLiteral("tenant"), QStringLiteral("cannot read the tenant file %1: %2").arg(path, file.errorString()));
        const QJsonDocument tenantDocument = QJsonDocument::fromJson(file.readAll());
        if (!tenantDocument.isObject())
            return fieldError(QStringLiteral("tenant"), QStringLiteral("%1 is not a tenant file (a JSON object with apis, clients, users)").arg(path));
        tenantWhere = QFileInfo(path).fileName();
        tenantRules = readAccessRules(tenantDocument.object(), tenantWhere);
    } else if (tenant.isObject()) {
        tenantRules = readAccessRules(tenant.toObject(), tenantWhere);
    } else if (!tenant.isUndefined() && !tenant.isString()) {
        return fieldError(QStringLiteral("tenant"), QStringLiteral("expected \"bundled\", a tenant file's path, or the tenant's rules inline"));
    }
    if (!tenantRules)
        return Failure(tenantRules.error());
    auto rules = TenantRules::forAudience(*tenantRules, plan.audience, tenantWhere);
    if (!rules)
        return Failure(rules.error());
    plan.tenant = *rules;

    const QJsonValue endpoints = root.value(QLatin1String("endpoints"));
    if (!endpoints.isArray() || endpoints.toArray().isEmpty())
        return fieldError(QStringLiteral("endpoints"), QStringLiteral("expected a non-empty list of {method, path, scope}"));
    for (qsizetype i = 0; i < endpoints.toArray().size(); ++i) {
        auto endpoint = readEndpoint(endpoints.toArray().at(i), indexed(QStringLiteral("endpoints"), i));
        if (!endpoint)
            return Failure(endpoint.error());
        for (const Endpoint &other : std::as_const(plan.endpoints)) {
            if (other.name() == endpoint->name())
                return fieldError(indexed(QStringLiteral("endpoints"), i), QStringLiteral("%1 is listed twice").arg(endpoint->name()));
        }
        plan.endpoints.append(*endpoint);
    }
    // A {id} endpoint works on a record the run creates with the collection's POST body.
    for (qsizetype i = 0; i < plan.endpoints.size(); ++i) {
        const Endpoint &endpoint = plan.endpoints.at(i);
        if (!endpoint.needsRecord())
            continue;
        const bool creatable = std::any_of(plan.endpoints.begin(), plan.endpoints.end(),
                                           [&](const Endpoint &e) { return e.method == "POST" && e.path == endpoint.collectionPath(); });
        if (!creatable)
            return fieldError(indexed(QStringLiteral("endpoints"), i) + QStringLiteral(".path"),
                              QStringLiteral("{id} needs a POST %1 endpoint with a body, to create the record it works on").arg(endpoint.collectionPath()));
    }

    const QJsonValue users = root.value(QLatin1String("users"));
    if (!users.isArray() || users.toArray().isEmpty())
        return fieldError(QStringLiteral("users"), QStringLiteral("expected a non-empty list of users"));
    for (qsizetype i = 0; i < users.toArray().size(); ++i) {
        const QString field = indexed(QStringLiteral("users"), i);
        auto user = readUser(users.toArray().at(i), field);
        if (!user)
            return Failure(user.error());
        if (user->kind == PlanUser::Kind::Password && !plan.tenant.userPermissions.contains(user->login))
            return fieldError(field + QStringLiteral(".login"),
                              QStringLiteral("%1 is not a user of the tenant, so what it is granted cannot be derived").arg(user->login));
        if (user->kind == PlanUser::Kind::ClientCredentials && !plan.tenant.clientGrants.contains(user->clientId))
            return fieldError(field + QStringLiteral(".client_credentials"),
                              QStringLiteral("%1 has no client grant for %2 in the tenant").arg(user->clientId, plan.audience));
        plan.users.append(*user);
    }

    const QJsonValue scopeSets = root.value(QLatin1String("scope_sets"));
    if (scopeSets.isUndefined()) {
        plan.scopeSets = defaultScopeSets(plan.tenant.apiScopes);
    } else {
        if (!scopeSets.isArray() || scopeSets.toArray().isEmpty())
            return fieldError(QStringLiteral("scope_sets"), QStringLiteral("expected a non-empty list of scope lists (omit it for the default sets)"));
        for (qsizetype i = 0; i < scopeSets.toArray().size(); ++i) {
            auto scopes = readScopeList(scopeSets.toArray().at(i), indexed(QStringLiteral("scope_sets"), i));
            if (!scopes)
                return Failure(scopes.error());
            plan.scopeSets.append({scopes->isEmpty() ? QStringLiteral("none") : scopes->join(QLatin1Char(' ')), *scopes});
        }
    }

    const QJsonValue probes = root.value(QLatin1String("negative_probes"));
    if (probes.isUndefined()) {
        plan.probes = {Probe::NoToken, Probe::ExpiredToken, Probe::TamperedToken, Probe::OtherAudience, Probe::WithoutOpenId};
    } else {
        if (!probes.isArray())
            return fieldError(QStringLiteral("negative_probes"), QStringLiteral("expected a list like [\"no_token\", \"expired_token\"]"));
        for (qsizetype i = 0; i < probes.toArray().size(); ++i) {
            const auto probe = probeFromName(probes.toArray().at(i).toString());
            if (!probe)
                return fieldError(indexed(QStringLiteral("negative_probes"), i),
                                  QStringLiteral("expected one of no_token, expired_token, tampered_token, other_audience, without_openid"));
            if (!plan.probes.contains(*probe))
                plan.probes.append(*probe);
        }
    }

    const QJsonValue pins = root.value(QLatin1String("expect"));
    if (!pins.isUndefined() && !pins.isArray())
        return fieldError(QStringLiteral("expect"), QStringLiteral("expected a list of pinned expectations"));
    for (qsizetype i = 0; i < pins.toArray().size(); ++i) {
        auto pin = readPin(pins.toArray().at(i), indexed(QStringLiteral("expect"), i), plan.endpoints);
        if (!pin)
            return Failure(pin.error());
        plan.pins.append(*pin);
    }
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
