#include "resourceserver.h"

#include "oautherror.h"

namespace organizer::resource {

Q_LOGGING_CATEGORY(lcAuth, "organizer.server.auth")

namespace {
std::atomic<quint64> nextResourceServerId{1};
} // namespace

ResourceServer::ResourceServer(Settings settings, AccessTokenVerifier *verifier, store::RecordStore *store)
    : m_settings(std::move(settings)), m_verifier(verifier), m_guard(verifier), m_store(store), m_served(std::make_shared<Served>()),
      m_id(nextResourceServerId.fetch_add(1))
{}

void ResourceServer::registerRoutes(http::Router &router, const QList<catalogue::ApiSpec> &builtinApis)
{
    // Token verification, the scope check and the store are safe to run on every HTTP worker at once.
    constexpr auto anyThread = http::Router::Affinity::AnyThread;
    using catalogue::Action;
    // The catalogue's APIs by their literal paths, first: the hot path matches at once and carries no
    // path parameter for the API.
    for (const catalogue::ApiSpec &api : builtinApis) {
        if (!m_settings.apiNames.isEmpty() && !m_settings.apiNames.contains(api.name))
            continue;
        for (const QString &segment : QStringList{api.collection} + api.aliases) {
            const QString base = QStringLiteral("/api/") + segment;
            router.add("GET", base, serve(Action::Read, &CollectionApi::list, false, segment), anyThread);
            router.add("POST", base, serve(Action::Create, &CollectionApi::create, false, segment), anyThread);
            router.add("GET", base + QStringLiteral("/{id}"), serve(Action::Read, &CollectionApi::get, true, segment), anyThread);
            router.add("PUT", base + QStringLiteral("/{id}"), serve(Action::Update, &CollectionApi::replace, true, segment), anyThread);
            router.add("DELETE", base + QStringLiteral("/{id}"), serve(Action::Delete, &CollectionApi::remove, true, segment), anyThread);
        }
    }
}

void ResourceServer::registerDeclaredApiRoutes(http::Router &router)
{
    constexpr auto anyThread = http::Router::Affinity::AnyThread;
    using catalogue::Action;
    router.add("GET", QStringLiteral("/api/{api}"), serve(Action::Read, &CollectionApi::list, false, {}), anyThread);
    router.add("POST", QStringLiteral("/api/{api}"), serve(Action::Create, &CollectionApi::create, false, {}), anyThread);
    router.add("GET", QStringLiteral("/api/{api}/{id}"), serve(Action::Read, &CollectionApi::get, true, {}), anyThread);
    router.add("PUT", QStringLiteral("/api/{api}/{id}"), serve(Action::Update, &CollectionApi::replace, true, {}), anyThread);
    router.add("DELETE", QStringLiteral("/api/{api}/{id}"), serve(Action::Delete, &CollectionApi::remove, true, {}), anyThread);
}

Expected<Done, QString> ResourceServer::publish(const QList<catalogue::ApiSpec> &apis, std::optional<QSet<QString>> definedScopes)
{
    auto next = std::make_shared<Served>();
    next->definedScopes = std::move(definedScopes);
    const std::shared_ptr<const Served> before = [this] {
        QMutexLocker lock(&m_publishMutex);
        return m_served;
    }();
    for (const catalogue::ApiSpec &spec : apis) {
        if (!m_settings.apiNames.isEmpty() && !m_settings.apiNames.contains(spec.name))
            continue;
        // An API whose description did not change keeps its handlers (and each thread's list cache).
        std::shared_ptr<const CollectionApi> kept;
        for (const auto &existing : before->apis) {
            if (existing->spec() == spec)
                kept = existing;
        }
        if (!kept) {
            if (auto prepared = m_store->prepare(spec); !prepared)
                return Unexpected<QString>(prepared.error());
            kept = std::make_shared<const CollectionApi>(spec, m_store);
        }
        next->apis.append(std::move(kept));
    }
    QMutexLocker lock(&m_publishMutex);
    m_served = std::move(next);
    m_generation.fetch_add(1, std::memory_order_release);
    return Done{};
}

QList<catalogue::ApiSpec> ResourceServer::servedApis() const
{
    QList<catalogue::ApiSpec> out;
    for (const auto &api : current()->apis)
        out.append(api->spec());
    return out;
}

const std::shared_ptr<const ResourceServer::Served> &ResourceServer::current() const
{
    struct Cached
    {
        quint64 server = 0;
        quint64 generation = 0;
        std::shared_ptr<const Served> served;
    };
    thread_local Cached cached;
    if (cached.server != m_id || cached.generation != m_generation.load(std::memory_order_acquire)) {
        QMutexLocker lock(&m_publishMutex);
        cached = Cached{m_id, m_generation.load(std::memory_order_relaxed), m_served};
    }
    return cached.served;
}

const CollectionApi *ResourceServer::Served::apiServedAt(const QString &segment) const
{
    for (const auto &api : apis) {
        if (api->spec().isServedAt(segment))
            return api.get();
    }
    return nullptr;
}

QString ResourceServer::scopeFor(const QByteArray &method, const QString &route, const QString &scope) const
{
    if (m_settings.scopeOverrides.isEmpty())
        return scope;
    const QString override = m_settings.scopeOverrides.value(QString::fromLatin1(method) + QLatin1Char(' ') + route);
    if (override.isEmpty())
        return scope;
    qCWarning(lcAuth).noquote() << method << route << "requires" << override << "instead of" << scope << "(--route-scope, for testing only)";
    return override;
}

http::Handler ResourceServer::serve(catalogue::Action action, Operation operation, bool item, const QString &fixedSegment)
{
    return [this, action, operation, item, fixedSegment](const http::Request &request, http::Responder respond) {
        const std::shared_ptr<const Served> &served = current(); // this thread's: stays put while this handler runs
        // References, not copies: these strings are shared by every worker, and a copy would bump a
        // reference count that all their cores write.
        const QString routed = fixedSegment.isEmpty() ? request.pathParameters.value(QStringLiteral("api")) : QString();
        const QString &segment = fixedSegment.isEmpty() ? routed : fixedSegment;
        const CollectionApi *api = served->apiServedAt(segment);
        if (!api) {
            respond(oauth::notFoundResponse(QStringLiteral("no API is served at /api/%1").arg(segment.left(60))));
            return;
        }
        const QString overridden = m_settings.scopeOverrides.isEmpty()
            ? QString()
            : scopeFor(request.method == "HEAD" ? QByteArray("GET") : request.method,
                       QStringLiteral("/api/") + segment + (item ? QStringLiteral("/{id}") : QString()), api->scope(action));
        const QString &scope = overridden.isEmpty() ? api->scope(action) : overridden;
        if (auto outcome = m_guard.authenticateAtOnce(request)) {
            respond(decide(request, *outcome, *served, *api, scope, operation));
            return;
        }
        m_guard.authenticate(request, [this, served, api, scope, operation, respond](const http::Request &call, const BearerGuard::Outcome &outcome) {
            respond(decide(call, outcome, *served, *api, scope, operation));
        });
    };
}

http::Response ResourceServer::decide(const http::Request &request, const BearerGuard::Outcome &outcome, const Served &served, const CollectionApi &api,
                                      const QString &scope, Operation operation) const
{
    if (!outcome) {
        if (outcome.error().code == oauth::ErrorCode::InvalidToken)
            qCInfo(lcAuth).noquote() << request.method << request.path.left(200) << "rejected token:" << outcome.error().description;
        return oauth::bearerResponse(m_settings.realm, outcome.error());
    }
    if (!outcome->hasScope(scope)) {
        qCInfo(lcAuth).noquote() << request.method << request.path.left(200) << "sub" << outcome->subject().left(128) << "lacks" << scope;
        return oauth::bearerResponse(m_settings.realm, oauth::OAuthError::insufficientScope(QStringLiteral("this token lacks the %1 scope").arg(scope)), scope);
    }
    // A scope the tenant's API no longer has opens nothing, even on a token issued before it went.
    if (served.definedScopes && !served.definedScopes->contains(scope)) {
        qCInfo(lcAuth).noquote() << request.method << request.path.left(200) << "needs" << scope << "which the API no longer defines";
        return oauth::bearerResponse(
            m_settings.realm,
            oauth::OAuthError::insufficientScope(QStringLiteral("the %1 scope is no longer defined on the API %2").arg(scope, m_settings.realm)), scope);
    }
    return (api.*operation)(request);
}

bool CorsPolicy::isAllowed(const QByteArray &origin) const
{
    if (origin.isEmpty())
        return false;
    const QString value = QString::fromUtf8(origin);
    QReadLocker lock(&m_lock);
    return m_allowedOrigins.contains(QStringLiteral("*")) || m_allowedOrigins.contains(value);
}

http::Response CorsPolicy::preflight(const http::Request &request, const QByteArrayList &allowedMethods) const
{
    http::Response response = http::Response::noContent();
    response.setHeader("allow", (allowedMethods + QByteArrayList{"OPTIONS"}).join(", "));
    const QByteArray origin = request.header("origin");
    response.setHeader("vary", "Origin");
    if (!isAllowed(origin))
        return response; // no CORS headers: the browser refuses the cross-origin call, as it should
    response.setHeader("access-control-allow-origin", origin);
    response.setHeader("access-control-allow-methods", allowedMethods.join(", "));
    // Auth0's browser SDKs (auth0-spa-js, auth0-js) send Auth0-Client on every token, revoke and userinfo call.
    response.setHeader("access-control-allow-headers", "Authorization, Content-Type, Auth0-Client");
    response.setHeader("access-control-max-age", "600");
    return response;
}

void CorsPolicy::decorate(const QByteArray &origin, http::Response &response) const
{
    if (!isAllowed(origin))
        return;
    response.setHeader("access-control-allow-origin", origin);
    response.setHeader("access-control-expose-headers", "WWW-Authenticate, Location");
    response.setHeader("vary", "Origin");
}

} // namespace organizer::resource
