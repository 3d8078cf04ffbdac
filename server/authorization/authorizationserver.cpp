// The authorization server: its state (transactions, sessions, codes), its routes and its pages.
#include "authorizationserver.h"

#include "endpointsupport.h"

#include <QMessageAuthenticationCode>

namespace organizer::authorization {

using namespace endpoint;

Q_LOGGING_CATEGORY(lcAuthorization, "organizer.server.authorization")

AuthorizationServer::AuthorizationServer(Tenant tenant, TokenMinter *minter, store::ConsentStore *consents, resource::AccessTokenVerifier *userinfoVerifier,
                                         std::function<QByteArray()> publishedKeys, std::shared_ptr<store::Database> database,
                                         resource::TokenRevocations *revocations, Clock clock)
    : m_tenant(std::make_shared<const Tenant>(std::move(tenant))), m_minter(minter), m_consents(consents), m_userinfoVerifier(userinfoVerifier),
      m_publishedKeys(std::move(publishedKeys)), m_clock(clock), m_throttle(database, QStringLiteral("account")),
      m_unknownNameThrottle(database, QStringLiteral("unknown-name"), 20), m_clientThrottle(database, QStringLiteral("client")),
      m_unknownClientThrottle(database, QStringLiteral("unknown-client"), 20), m_revocations(revocations), m_state(database, revocations, clock),
      m_refresh(
          database, [this](const QList<resource::TokenRevocations::Revoked> &tokens) { m_revocations->revokeAll(tokens, m_clock()); }, clock)
{
    m_sweeper.setInterval(30'000);
    QObject::connect(&m_sweeper, &QTimer::timeout, [this] { prune(); });
    m_sweeper.start();
    followSharedState(); // revocations made before this instance started
    auto formKey = m_state.sharedSecret(QStringLiteral("logout-form-key"));
    if (!formKey)
        qCCritical(lcAuthorization).noquote() << formKey.error() << "- logout confirmations work on this instance only";
    m_formKey = formKey ? formKey.value() : randomToken(32);
}

void AuthorizationServer::followSharedState()
{
    if (auto followed = m_state.followRevocations(); !followed)
        qCWarning(lcAuthorization).noquote() << followed.error();
    else if (*followed > 0)
        qCInfo(lcAuthorization).noquote() << "took on" << *followed << "revocation(s) made by other instances";
}

http::Response AuthorizationServer::storageUnavailable(const QString &reason) const
{
    qCCritical(lcAuthorization).noquote() << reason;
    http::Response busy = errorPage(503, QStringLiteral("The login service is unavailable"),
                                    QStringLiteral("The login service cannot reach its database. Try again in a moment."));
    busy.setHeader("retry-after", "5");
    return busy;
}

Expected<Transaction, http::Response> AuthorizationServer::pendingTransaction(const QByteArray &id, const QString &expired, bool needsUser) const
{
    auto found = m_state.transaction(id);
    if (!found)
        return Unexpected<http::Response>(storageUnavailable(found.error()));
    if (!found->has_value() || (needsUser && (*found)->subject.isEmpty()))
        return Unexpected<http::Response>(errorPage(400, QStringLiteral("This login has expired"), expired));
    return std::move(**found);
}

void AuthorizationServer::replaceTenant(Tenant tenant)
{
    auto next = std::make_shared<const Tenant>(std::move(tenant));
    QMutexLocker lock(&m_tenantMutex);
    // A verified secret is forgotten with its client or the secret it was checked against. A check that
    // finishes later compares the secret it checked with the client's in the tenant of that moment.
    for (const Client &before : m_tenant->clients) {
        const Client *after = next->client(before.clientId);
        if (!after || after->secretHash != before.secretHash)
            m_verifiedSecrets.forget(before.clientId);
    }
    m_tenant = std::move(next);
}

void AuthorizationServer::bindIssuer(const QString &issuer)
{
    Tenant bound = *tenant();
    bound.bindIssuer(issuer);
    QMutexLocker lock(&m_tenantMutex);
    m_tenant = std::make_shared<const Tenant>(std::move(bound));
}

void AuthorizationServer::registerRoutes(http::Router &router)
{
    // Every route runs on the worker that read its request: a slow one (a family revocation, a KDF
    // check's queue) holds up only its own connection, and token issuance uses every core.
    constexpr auto anyThread = http::Router::Affinity::AnyThread;
    const auto add
        = [&router](const QByteArray &method, const QString &pattern, http::Handler handler) { router.add(method, pattern, std::move(handler), anyThread); };
    auto sync = [](auto method) { return [method](const http::Request &request, http::Responder respond) { respond(method(request)); }; };
    add("GET", QStringLiteral("/authorize"), sync([this](const http::Request &r) { return authorize(r); }));
    add("GET", QStringLiteral("/login"), sync([this](const http::Request &r) { return loginPage(r); }));
    add("POST", QStringLiteral("/login"), [this](const http::Request &r, http::Responder respond) { login(r, std::move(respond)); });
    add("GET", QStringLiteral("/consent"), sync([this](const http::Request &r) { return consentPage(r); }));
    add("POST", QStringLiteral("/consent"), sync([this](const http::Request &r) { return consent(r); }));
    add("POST", QStringLiteral("/oauth/token"), [this](const http::Request &r, http::Responder respond) { token(r, std::move(respond)); });
    add("POST", QStringLiteral("/oauth/revoke"), [this](const http::Request &r, http::Responder respond) { revoke(r, std::move(respond)); });
    add("GET", QStringLiteral("/userinfo"), [this](const http::Request &r, http::Responder respond) { userinfo(r, std::move(respond)); });
    add("POST", QStringLiteral("/userinfo"), [this](const http::Request &r, http::Responder respond) { userinfo(r, std::move(respond)); });
    add("GET", QStringLiteral("/v2/logout"), sync([this](const http::Request &r) { return logout(r); }));
    add("GET", QStringLiteral("/oidc/logout"), sync([this](const http::Request &r) { return oidcLogout(r); }));
    add("POST", QStringLiteral("/oidc/logout"), sync([this](const http::Request &r) { return confirmOidcLogout(r); }));
    add("GET", QStringLiteral("/.well-known/openid-configuration"), sync([this](const http::Request &) { return discovery(); }));
    add("GET", QStringLiteral("/.well-known/jwks.json"), sync([this](const http::Request &) {
            http::Response response;
            response.body = m_publishedKeys();
            response.setHeader("content-type", "application/json");
            response.setHeader("cache-control", "public, max-age=300");
            return response;
        }));
    add("GET", QStringLiteral("/assets/{name}"), sync([](const http::Request &r) {
            const QString name = r.pathParameters.value(QStringLiteral("name"));
            const QByteArray asset = name.endsWith(QLatin1String(".html")) ? QByteArray() : pageAsset(name);
            if (asset.isEmpty())
                return oauth::jsonResponse(oauth::OAuthError::notFound(QStringLiteral("no such asset")), oauth::Caching::Unstated);
            http::Response response;
            response.body = asset;
            response.setHeader("content-type", name.endsWith(QLatin1String(".css")) ? "text/css; charset=utf-8" : "image/svg+xml");
            response.setHeader("cache-control", "public, max-age=3600");
            return response;
        }));
}

// ---------------------------------------------------------------------------------------------
// Pages

http::Response AuthorizationServer::errorPage(int status, const QString &title, const QString &message) const
{
    return page(status,
                renderPage(QStringLiteral("message.html"),
                           {{QStringLiteral("title"), title},
                            {QStringLiteral("body"),
                             QStringLiteral("<p class=\"error\">%1</p><p class=\"muted\">Go back to the application and start "
                                            "the login again.</p>")
                                 .arg(htmlEscape(message))}}));
}

http::Response AuthorizationServer::renderLogin(const Tenant &tenant, const QByteArray &transactionId, const Transaction &transaction, const QString &username,
                                                const QString &error) const
{
    const Client *client = tenant.client(transaction.request.clientId);
    return page(error.isEmpty() ? 200 : 401,
                renderPage(QStringLiteral("login.html"),
                           {{QStringLiteral("client_name"), client ? client->name : transaction.request.clientId},
                            {QStringLiteral("transaction"), QString::fromLatin1(transactionId)},
                            {QStringLiteral("csrf"), QString::fromLatin1(transaction.csrf)},
                            {QStringLiteral("username"), username},
                            // After a failed attempt the email is kept and the cursor waits in the password field.
                            {QStringLiteral("focus_username"), username.isEmpty() ? QStringLiteral("autofocus") : QString()},
                            {QStringLiteral("focus_password"), username.isEmpty() ? QString() : QStringLiteral("autofocus")},
                            {QStringLiteral("error"),
                             error.isEmpty() ? QString() : QStringLiteral("<p class=\"error\" role=\"alert\">%1</p>").arg(htmlEscape(error))}}),
                originOf(transaction.request.redirectUri));
}

void AuthorizationServer::prune()
{
    m_state.prune();
    m_refresh.prune();
    const qint64 now = m_clock();
    m_revocations->prune(now);
    for (LoginThrottle *throttle : {&m_throttle, &m_unknownNameThrottle, &m_clientThrottle, &m_unknownClientThrottle})
        throttle->prune(now);
}

} // namespace organizer::authorization
