#include "authorizationserver.h"

#include "authorizationcodegrant.h"
#include "authorize.h"
#include "clientcredentialsgrant.h"
#include "consent.h"
#include "discovery.h"
#include "endsession.h"
#include "jwks.h"
#include "login.h"
#include "logout.h"
#include "pages.h"
#include "passwordgrant.h"
#include "refreshtokengrant.h"
#include "revoke.h"
#include "token.h"
#include "userinfo.h"

namespace organizer::authorization {

namespace {

// A unit's method that answers at once.
template <typename Unit>
http::Handler sync(Unit &unit, http::Response (Unit::*method)(const http::Request &))
{
    return [&unit, method](const http::Request &request, http::Responder respond) { respond((unit.*method)(request)); };
}

template <typename Unit>
http::Handler sync(const Unit &unit, http::Response (Unit::*method)() const)
{
    return [&unit, method](const http::Request &, http::Responder respond) { respond((unit.*method)()); };
}

http::Handler sync(http::Response (*function)(const http::Request &))
{
    return [function](const http::Request &request, http::Responder respond) { respond(function(request)); };
}

// One that answers when it can: after a KDF check, a key fetch or a signature on another thread.
template <typename Unit>
http::Handler async(Unit &unit, void (Unit::*method)(const http::Request &, http::Responder))
{
    return [&unit, method](const http::Request &request, http::Responder respond) { (unit.*method)(request, std::move(respond)); };
}

std::vector<std::unique_ptr<TokenGrant>> grants(AuthorizationContext &context)
{
    std::vector<std::unique_ptr<TokenGrant>> grants;
    grants.push_back(std::make_unique<ClientCredentialsGrant>(context));
    grants.push_back(std::make_unique<AuthorizationCodeGrant>(context));
    grants.push_back(std::make_unique<RefreshTokenGrant>(context));
    grants.push_back(std::make_unique<PasswordGrant>(context, PasswordGrant::Variant::Password));
    grants.push_back(std::make_unique<PasswordGrant>(context, PasswordGrant::Variant::PasswordRealm));
    return grants;
}

} // namespace

struct AuthorizationServer::Endpoints
{
    explicit Endpoints(AuthorizationContext &context)
        : authorize(context), login(context), consent(context), token(context, grants(context)), revocation(context), userinfo(context), logout(context),
          endSession(context), discovery(context), jwks(context)
    {}

    AuthorizeEndpoint authorize;
    LoginEndpoint login;
    ConsentEndpoint consent;
    TokenEndpoint token;
    RevocationEndpoint revocation;
    UserinfoEndpoint userinfo;
    LogoutEndpoint logout;
    EndSessionEndpoint endSession;
    DiscoveryEndpoint discovery;
    JwksEndpoint jwks;
};

AuthorizationServer::AuthorizationServer(Tenant tenant, TokenMinter *minter, store::ConsentStore *consents, resource::AccessTokenVerifier *userinfoVerifier,
                                         std::function<QByteArray()> publishedKeys, std::shared_ptr<store::Database> database,
                                         resource::TokenRevocations *revocations, Clock clock)
    : m_context(std::move(tenant), {minter, consents, userinfoVerifier, std::move(publishedKeys), std::move(database), revocations, std::move(clock)}),
      m_endpoints(std::make_unique<Endpoints>(m_context)), m_routes(routeTable())
{
    m_sweeper.setInterval(30'000);
    QObject::connect(&m_sweeper, &QTimer::timeout, [this] { m_context.prune(); });
    m_sweeper.start();
}

AuthorizationServer::~AuthorizationServer() = default;

QList<AuthorizationServer::Route> AuthorizationServer::routeTable()
{
    // Every route runs on the worker that read its request: a slow one (a family revocation, a KDF
    // check's queue) holds up only its own connection, and token issuance uses every core.
    constexpr auto anyThread = http::Router::Affinity::AnyThread;
    Endpoints &e = *m_endpoints;
    return {
        {"GET", QStringLiteral("/authorize"), sync(e.authorize, &AuthorizeEndpoint::authorize), anyThread},
        {"GET", QStringLiteral("/login"), sync(e.login, &LoginEndpoint::form), anyThread},
        {"POST", QStringLiteral("/login"), async(e.login, &LoginEndpoint::submit), anyThread},
        {"GET", QStringLiteral("/consent"), sync(e.consent, &ConsentEndpoint::form), anyThread},
        {"POST", QStringLiteral("/consent"), sync(e.consent, &ConsentEndpoint::submit), anyThread},
        {"POST", QStringLiteral("/oauth/token"), async(e.token, &TokenEndpoint::token), anyThread},
        {"POST", QStringLiteral("/oauth/revoke"), async(e.revocation, &RevocationEndpoint::revoke), anyThread},
        {"GET", QStringLiteral("/userinfo"), async(e.userinfo, &UserinfoEndpoint::userinfo), anyThread},
        {"POST", QStringLiteral("/userinfo"), async(e.userinfo, &UserinfoEndpoint::userinfo), anyThread},
        {"GET", QStringLiteral("/v2/logout"), sync(e.logout, &LogoutEndpoint::logout), anyThread},
        {"GET", QStringLiteral("/oidc/logout"), sync(e.endSession, &EndSessionEndpoint::logout), anyThread},
        {"POST", QStringLiteral("/oidc/logout"), sync(e.endSession, &EndSessionEndpoint::confirm), anyThread},
        {"GET", QStringLiteral("/.well-known/openid-configuration"), sync(e.discovery, &DiscoveryEndpoint::configuration), anyThread},
        {"GET", QStringLiteral("/.well-known/jwks.json"), sync(e.jwks, &JwksEndpoint::keys), anyThread},
        {"GET", QStringLiteral("/assets/{name}"), sync(&assetResponse), anyThread},
    };
}

void AuthorizationServer::registerRoutes(http::Router &router)
{
    for (const Route &route : std::as_const(m_routes))
        router.add(route.method, route.path, route.handler, route.affinity);
}

} // namespace organizer::authorization
