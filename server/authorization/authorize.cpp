#include "authorize.h"

#include "authorizechecks.h"
#include "authorizeresponse.h"
#include "browsersession.h"
#include "cookies.h"
#include "interaction.h"
#include "pages.h"

namespace organizer::authorization {

http::Response AuthorizeEndpoint::refuse(const Tenant &tenant, const AuthorizeError &refused)
{
    qCInfo(lcAuthorization).noquote() << "authorize refused:" << oauth::wireName(refused.error.code) << refused.error.description;
    if (!refused.redirectable)
        return errorPage(400, QStringLiteral("This login request cannot be completed"), refused.error.description);
    return answerError(tenant, refused.partial, refused.error);
}

http::Response AuthorizeEndpoint::authorize(const http::Request &request)
{
    const TenantSnapshot tenant = m_context.tenant();
    AuthorizeChecking checking{request.query, *tenant};
    checking.findSession = [&] { return currentSession(m_context, *tenant, request); };
    checking.now = m_context.now();
    if (std::optional<AuthorizeError> refused = runChecks(authorizeChecks(), checking))
        return refuse(*tenant, *refused);

    Transaction transaction;
    transaction.request = checking.request;
    transaction.csrf = randomToken();
    transaction.expiresAt = m_context.now() + kTransactionLifetime;
    transaction.address = http::addressGroup(request.peer); // counted like the HTTP layer's connections: IPv4, or IPv6 /64
    transaction.bytes = 512 + 2 * request.query.encode().size(); // its values, held as UTF-16
    transaction.browser = cookiesOf(request).value(kBrowserCookie);
    bool newBrowser = false;
    if (transaction.browser.size() != 43) {
        transaction.browser = randomToken();
        newBrowser = true;
    }
    // A session (the checks kept it only if max_age allows) logs the user in, unless prompt=login asks again.
    if (checking.session && transaction.request.prompt != QLatin1String("login")) {
        transaction.subject = checking.session->subject;
        transaction.authTime = checking.session->authTime;
    }
    const QByteArray id = randomToken(24);
    auto stored = m_context.state().putTransaction(id, transaction, kPendingLoginLimits);
    if (!stored)
        return storageUnavailable(stored.error());
    if (*stored > 0)
        qCInfo(lcAuthorization).noquote() << "made room for a login from" << transaction.address << "by dropping" << *stored
                                          << "unfinished logins (the oldest of the address that holds most)";
    http::Response response = advance(m_context, *tenant, id, transaction);
    if (newBrowser)
        setCookie(response, cookieSitesFor(m_context.issuer()), kBrowserCookie, transaction.browser, kSessionLifetime);
    return response;
}

} // namespace organizer::authorization
