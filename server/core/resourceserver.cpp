#include "resourceserver.h"

#include "bearertoken.h"
#include "oautherrors.h"

namespace organizer::server {

Q_LOGGING_CATEGORY(lcAuth, "organizer.server.auth")

ResourceServer::ResourceServer(Settings settings, AccessTokenVerifier *verifier, RecordStore *store)
    : m_settings(std::move(settings)), m_verifier(verifier), m_contacts(contactsSpec(), store), m_appointments(appointmentsSpec(), store)
{
}

void ResourceServer::registerRoutes(http::Router &router)
{
    if (m_settings.serveContacts)
        addCollection(router, &m_contacts, {QStringLiteral("/api/contacts")});
    // The calendar API lives at /api/appointments; /api/calendar is the same API under its scope's name.
    if (m_settings.serveCalendar)
        addCollection(router, &m_appointments, {QStringLiteral("/api/appointments"), QStringLiteral("/api/calendar")});
}

QString ResourceServer::scopeFor(const QByteArray &method, const QString &path, const QString &scope) const
{
    const QString override = m_settings.scopeOverrides.value(QString::fromLatin1(method) + QLatin1Char(' ') + path);
    if (override.isEmpty())
        return scope;
    qCWarning(lcAuth).noquote() << method << path << "requires" << override << "instead of" << scope << "(--route-scope, for testing only)";
    return override;
}

void ResourceServer::addCollection(http::Router &router, const CollectionApi *api, const QStringList &basePaths)
{
    const CollectionSpec &spec = api->spec();
    for (const QString &base : basePaths) {
        const QString item = base + QStringLiteral("/{id}");
        // Token verification, the scope check and the store are safe to run on every HTTP worker at once.
        constexpr auto anyThread = http::Router::Affinity::AnyThread;
        router.add("GET", base, guarded(scopeFor("GET", base, spec.scope("read")), [api](const http::Request &r) { return api->list(r); }), anyThread);
        router.add("POST", base, guarded(scopeFor("POST", base, spec.scope("create")), [api](const http::Request &r) { return api->create(r); }), anyThread);
        router.add("GET", item, guarded(scopeFor("GET", item, spec.scope("read")), [api](const http::Request &r) { return api->get(r); }), anyThread);
        router.add("PUT", item, guarded(scopeFor("PUT", item, spec.scope("update")), [api](const http::Request &r) { return api->replace(r); }), anyThread);
        router.add("DELETE", item, guarded(scopeFor("DELETE", item, spec.scope("delete")), [api](const http::Request &r) { return api->remove(r); }), anyThread);
    }
}

http::Handler ResourceServer::guarded(const QString &scope, Operation handler)
{
    return [this, scope, handler = std::move(handler)](const http::Request &request, http::Responder respond) {
        const QString realm = m_settings.realm;
        const BearerCredentials credentials = readBearerCredentials(request);
        switch (credentials.kind) {
        case BearerCredentials::Kind::Missing:
        case BearerCredentials::Kind::OtherScheme:
            respond(bearerError(401, {realm, {}, credentials.problem, {}}));
            return;
        case BearerCredentials::Kind::Malformed:
            respond(bearerError(400, {realm, QStringLiteral("invalid_request"), credentials.problem, {}}));
            return;
        case BearerCredentials::Kind::Present:
            break;
        }
        const auto decide = [realm, &scope, &handler](const http::Request &call, const jose::Result<jose::VerifiedJwt> &result) {
            if (!result) {
                qCInfo(lcAuth).noquote() << call.method << call.path.left(200) << "rejected token:" << result.error().description;
                return bearerError(401, {realm, QStringLiteral("invalid_token"), result.error().description, {}});
            }
            if (!result->hasScope(scope)) {
                qCInfo(lcAuth).noquote() << call.method << call.path.left(200) << "sub" << result->subject().left(128) << "lacks" << scope;
                return bearerError(403, {realm, QStringLiteral("insufficient_scope"), QStringLiteral("this token lacks the %1 scope").arg(scope), scope});
            }
            return handler(call);
        };
        // Nearly always the verdict is there at once; only a key fetch makes the answer wait.
        if (auto verdict = m_verifier->verifyAtOnce(credentials.token)) {
            respond(decide(request, *verdict));
            return;
        }
        m_verifier->verify(credentials.token, [decide, request, respond](const jose::Result<jose::VerifiedJwt> &result) {
            respond(decide(request, result));
        });
    };
}

bool CorsPolicy::isAllowed(const QByteArray &origin) const
{
    if (origin.isEmpty())
        return false;
    const QString value = QString::fromUtf8(origin);
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
    response.setHeader("access-control-allow-headers", "Authorization, Content-Type");
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

} // namespace organizer::server
