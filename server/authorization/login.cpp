#include "login.h"

#include "cookies.h"
#include "interaction.h"
#include "pages.h"

namespace organizer::authorization {

http::Response LoginEndpoint::form(const http::Request &request)
{
    const QByteArray id = request.query.value(QStringLiteral("transaction")).toLatin1();
    auto transaction = pendingTransaction(m_context, id, QStringLiteral("The login request is unknown or has expired."));
    if (!transaction)
        return transaction.error();
    return render(*m_context.tenant(), id, *transaction, {}, {});
}

void LoginEndpoint::submit(const http::Request &request, http::Responder respond)
{
    const auto form = parseForm(request.body);
    if (!form)
        return respond(errorPage(400, QStringLiteral("The form could not be read"), QStringLiteral("The form was not valid UTF-8.")));
    for (const QString &name : {QStringLiteral("transaction"), QStringLiteral("csrf"), QStringLiteral("username"), QStringLiteral("password")}) {
        if (form->count(name) > 1)
            return respond(errorPage(400, QStringLiteral("The form could not be read"), QStringLiteral("The %1 field was sent twice.").arg(name)));
    }
    const QByteArray id = form->value(QStringLiteral("transaction")).toLatin1();
    auto transaction = pendingTransaction(m_context, id, QStringLiteral("The login form has expired or was already used."));
    if (!transaction)
        return respond(transaction.error());
    const QByteArray browser = cookiesOf(request).value(kBrowserCookie);
    if (browser.isEmpty() || !constantTimeEquals(browser, transaction->browser))
        return respond(errorPage(400, QStringLiteral("Cookies are needed"),
                                 QStringLiteral("This browser did not send the login cookie. Allow cookies for this site and start again.")));
    if (!constantTimeEquals(form->value(QStringLiteral("csrf")).toLatin1(), transaction->csrf))
        return respond(errorPage(400, QStringLiteral("The form could not be verified"), QStringLiteral("The form's security token does not match.")));

    const QString username = form->value(QStringLiteral("username")).trimmed().left(254);
    const QString password = form->value(QStringLiteral("password")).left(1024);
    // Failures count per account (known or not, so the answer never tells which). Per address only
    // names that do not exist count: on loopback every browser is 127.0.0.1, and a local process
    // failing with made-up names must not lock real users out.
    const QString accountKey = QStringLiteral("account:") + normalizedLogin(username);
    const QString addressKey = QStringLiteral("address:") + http::addressGroup(request.peer); // an IPv6 host holds a /64
    const TenantSnapshot tenant = m_context.tenant();
    if (const qint64 wait = m_context.throttles().account.retryAfter(accountKey, m_context.now()); wait > 0)
        return respond(tooManyLogins(*tenant, id, *transaction, username, wait));
    const User *user = tenant->userByLogin(username);
    // A missing user costs the same KDF work as a wrong password: timing does not reveal which it was.
    // The KDF runs off the event loop, so guessing cannot delay anyone else.
    const QString subject = user ? user->subject() : QString();
    const QString peer = request.peer.toString();
    const bool queued = m_context.passwordChecks().submit(
        password, user ? user->passwordHash : QString(), m_context.callbacks(),
        [this, id, username, subject, accountKey, addressKey, peer, respond](bool valid) {
            auto pending = pendingTransaction(m_context, id, QStringLiteral("The login form has expired or was already used."));
            if (!pending)
                return respond(pending.error());
            // The tenant as it is now: the user may have gone or changed while the KDF ran.
            const TenantSnapshot current = m_context.tenant();
            const User *who = subject.isEmpty() ? nullptr : current->userBySubject(subject);
            const qint64 now = m_context.now();
            LoginThrottles &throttles = m_context.throttles();
            if (!valid || !who) {
                throttles.account.recordFailure(accountKey, now);
                if (subject.isEmpty())
                    throttles.unknownName.recordFailure(addressKey, now);
                qCInfo(lcAuthorization).noquote() << "failed login from" << peer;
                // Once an address has tried many names that do not exist, every wrong answer from it is
                // "too many" — for real accounts too, so the difference reveals nothing. A right password
                // still works.
                if (const qint64 wait = throttles.unknownName.retryAfter(addressKey, now); wait > 0)
                    return respond(tooManyLogins(*current, id, *pending, username, wait));
                return respond(render(*current, id, *pending, username, QStringLiteral("Wrong email or password.")));
            }
            throttles.account.recordSuccess(accountKey);
            // Said only after the right password, so it tells a guesser nothing.
            if (who->blocked)
                return respond(render(*current, id, *pending, username, QStringLiteral("This account is blocked.")));
            const QByteArray sessionId = randomToken();
            if (auto stored = m_context.state().putSession(storedHashOf(sessionId), Session{who->subject(), now, now + kSessionLifetime}); !stored)
                return respond(storageUnavailable(stored.error()));
            pending->subject = who->subject();
            pending->authTime = now;
            pending->csrf = randomToken(); // the login form cannot be replayed against the consent step
            if (auto stored = m_context.state().markLoggedIn(id, pending->subject, now, pending->csrf); !stored)
                return respond(storageUnavailable(stored.error()));
            http::Response response = advance(m_context, *current, id, *pending);
            setCookie(response, cookieSitesFor(m_context.issuer()), kSessionCookie, sessionId, kSessionLifetime);
            respond(std::move(response));
        });
    if (!queued)
        respond(busyPage());
}

http::Response LoginEndpoint::render(const Tenant &tenant, const QByteArray &transactionId, const Transaction &transaction, const QString &username,
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

http::Response LoginEndpoint::tooManyLogins(const Tenant &tenant, const QByteArray &id, const Transaction &transaction, const QString &username,
                                            qint64 wait) const
{
    http::Response response
        = render(tenant, id, transaction, username,
                 QStringLiteral("Too many failed attempts. Try again in %1 second%2.").arg(wait).arg(wait == 1 ? QString() : QStringLiteral("s")));
    response.status = 429;
    response.setHeader("retry-after", QByteArray::number(wait));
    return response;
}

http::Response LoginEndpoint::busyPage()
{
    http::Response busy
        = errorPage(503, QStringLiteral("The login service is busy"), QStringLiteral("Too many password checks are waiting. Try again in a moment."));
    busy.setHeader("retry-after", "1");
    return busy;
}

} // namespace organizer::authorization
