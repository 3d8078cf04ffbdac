// The authorization server: its state (transactions, sessions, codes), its routes and its pages.
#include "authorizationserver.h"

#include "endpointsupport.h"

#include <QMessageAuthenticationCode>

namespace organizer::authorization {

using namespace endpoint;

Q_LOGGING_CATEGORY(lcAuthorization, "organizer.server.authorization")

AuthorizationServer::AuthorizationServer(Tenant tenant, TokenMinter *minter, ConsentStore *consents, server::AccessTokenVerifier *userinfoVerifier,
                                         std::function<QByteArray()> publishedKeys, server::TokenRevocations *revocations, jose::Clock clock)
    : m_tenant(std::move(tenant)), m_minter(minter), m_consents(consents), m_userinfoVerifier(userinfoVerifier), m_publishedKeys(std::move(publishedKeys)),
      m_clock(clock), m_revocations(revocations), m_refresh(revocations, clock)
{
    m_sweeper.setInterval(30'000);
    QObject::connect(&m_sweeper, &QTimer::timeout, [this] { prune(); });
    m_sweeper.start();
}

void AuthorizationServer::storeTransaction(const QByteArray &id, Transaction transaction)
{
    TransactionBudget &mine = m_transactionsByAddress[transaction.address];
    ++mine.count;
    mine.bytes += transaction.bytes;
    ++m_transactionTotal.count;
    m_transactionTotal.bytes += transaction.bytes;
    m_transactions.insert(id, std::move(transaction));
}

void AuthorizationServer::dropTransaction(const QByteArray &id)
{
    const auto it = m_transactions.constFind(id);
    if (it == m_transactions.cend())
        return;
    auto mine = m_transactionsByAddress.find(it->address);
    if (mine != m_transactionsByAddress.end()) {
        --mine->count;
        mine->bytes -= it->bytes;
        if (mine->count <= 0)
            m_transactionsByAddress.erase(mine);
    }
    --m_transactionTotal.count;
    m_transactionTotal.bytes -= it->bytes;
    m_transactions.erase(it);
}

void AuthorizationServer::registerRoutes(http::Router &router)
{
    auto sync = [](auto method) { return [method](const http::Request &request, http::Responder respond) { respond(method(request)); }; };
    router.add("GET", QStringLiteral("/authorize"), sync([this](const http::Request &r) { return authorize(r); }));
    router.add("GET", QStringLiteral("/login"), sync([this](const http::Request &r) { return loginPage(r); }));
    router.add("POST", QStringLiteral("/login"), [this](const http::Request &r, http::Responder respond) { login(r, std::move(respond)); });
    router.add("GET", QStringLiteral("/consent"), sync([this](const http::Request &r) { return consentPage(r); }));
    router.add("POST", QStringLiteral("/consent"), sync([this](const http::Request &r) { return consent(r); }));
    router.add("POST", QStringLiteral("/oauth/token"), [this](const http::Request &r, http::Responder respond) { token(r, std::move(respond)); });
    router.add("POST", QStringLiteral("/oauth/revoke"), [this](const http::Request &r, http::Responder respond) { revoke(r, std::move(respond)); });
    router.add("GET", QStringLiteral("/userinfo"), [this](const http::Request &r, http::Responder respond) { userinfo(r, std::move(respond)); });
    router.add("POST", QStringLiteral("/userinfo"), [this](const http::Request &r, http::Responder respond) { userinfo(r, std::move(respond)); });
    router.add("GET", QStringLiteral("/v2/logout"), sync([this](const http::Request &r) { return logout(r); }));
    router.add("GET", QStringLiteral("/oidc/logout"), sync([this](const http::Request &r) { return oidcLogout(r); }));
    router.add("POST", QStringLiteral("/oidc/logout"), sync([this](const http::Request &r) { return confirmOidcLogout(r); }));
    router.add("GET", QStringLiteral("/.well-known/openid-configuration"), sync([this](const http::Request &) { return discovery(); }));
    router.add("GET", QStringLiteral("/.well-known/jwks.json"), sync([this](const http::Request &) {
                   http::Response response;
                   response.body = m_publishedKeys();
                   response.setHeader("content-type", "application/json");
                   response.setHeader("cache-control", "public, max-age=300");
                   return response;
               }));
    router.add("GET", QStringLiteral("/assets/{name}"), sync([](const http::Request &r) {
                   const QString name = r.pathParameters.value(QStringLiteral("name"));
                   const QByteArray asset = name.endsWith(QLatin1String(".html")) ? QByteArray() : pageAsset(name);
                   if (asset.isEmpty())
                       return http::Response::json(404, server::oauthErrorObject(QStringLiteral("not_found"), QStringLiteral("no such asset")));
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

http::Response AuthorizationServer::renderLogin(const QByteArray &transactionId, const Transaction &transaction, const QString &username,
                                                const QString &error) const
{
    const Client *client = m_tenant.client(transaction.request.clientId);
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
    const qint64 now = m_clock();
    QList<QByteArray> expired;
    for (auto it = m_transactions.cbegin(); it != m_transactions.cend(); ++it) {
        if (it->expiresAt <= now)
            expired.append(it.key());
    }
    for (const QByteArray &id : expired)
        dropTransaction(id);
    m_sessions.removeIf([now](const auto &entry) { return entry.value().expiresAt <= now; });
    m_codes.removeIf([now](const auto &entry) { return std::max(entry.value().expiresAt, entry.value().accessExpiresAt) <= now; });
}

} // namespace organizer::authorization
