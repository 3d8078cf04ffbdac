#include "authorizationserver.h"

#include "base64url.h"
#include "bearertoken.h"
#include "grants.h"
#include "oautherrors.h"
#include "pages.h"
#include "passwordhash.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>

namespace organizer::authorization {

Q_LOGGING_CATEGORY(lcAuthorization, "organizer.server.authorization")

namespace {

constexpr qint64 kTransactionLifetime = 15 * 60;
constexpr qint64 kSessionLifetime = 8 * 3600;
constexpr qint64 kCodeLifetime = 60;
const QByteArray kSessionCookie = "organizer_session";
const QByteArray kBrowserCookie = "organizer_browser";

QHash<QByteArray, QByteArray> cookiesOf(const http::Request &request)
{
    QHash<QByteArray, QByteArray> cookies;
    for (const auto &[name, value] : request.headers) {
        if (name != "cookie")
            continue;
        for (const QByteArray &pair : value.split(';')) {
            const qsizetype eq = pair.indexOf('=');
            if (eq > 0)
                cookies.insert(pair.left(eq).trimmed(), pair.mid(eq + 1).trimmed());
        }
    }
    return cookies;
}

// Sets `name` once for each path that reads it. Cookies are not isolated by port (RFC 6265 §8.5), and
// a loopback redirect may go to any port of this host (RFC 8252 §7.3): with Path=/ the browser would
// hand the session to whatever listens on http://127.0.0.1:<port>/callback. Scoped to these paths
// (which no loopback callback may use, see Tenant), no callback ever receives them.
// HttpOnly: scripts never see it; SameSite=Lax: other sites' forms do not carry it.
void setCookie(http::Response &response, const QByteArray &name, const QByteArray &value, qint64 maxAge)
{
    for (const QString &path : sessionCookiePaths())
        response.headers.append(qMakePair(QByteArray("set-cookie"), name + '=' + value + "; Path=" + path.toLatin1()
                                                                        + "; HttpOnly; SameSite=Lax; Max-Age=" + QByteArray::number(maxAge)));
}

// A form body (application/x-www-form-urlencoded); null when it is not UTF-8.
std::optional<FormData> parseForm(const QByteArray &body)
{
    FormData form = FormData::parse(body);
    if (form.hasInvalidUtf8())
        return std::nullopt;
    return form;
}

QString param(const FormData &form, const QString &name)
{
    return form.value(name);
}

bool isRepeated(const FormData &form, const QString &name)
{
    return form.count(name) > 1;
}

QString originOf(const QUrl &url)
{
    return url.adjusted(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo).toString();
}

// `formTarget`: the client's origin, which a login or consent form ends up redirecting to; CSP's
// form-action also governs redirects that follow a form submission.
http::Response page(int status, const QByteArray &html, const QString &formTarget = {})
{
    http::Response response;
    response.status = status;
    response.body = html;
    response.setHeader("content-type", "text/html; charset=utf-8");
    response.setHeader("cache-control", "no-store");
    const QByteArray formAction = formTarget.isEmpty() ? QByteArray("'self'") : "'self' " + formTarget.toUtf8();
    response.setHeader("content-security-policy",
                       "default-src 'none'; style-src 'self'; img-src 'self'; form-action " + formAction + "; frame-ancestors 'none'; base-uri 'none'");
    response.setHeader("x-frame-options", "DENY");
    response.setHeader("referrer-policy", "no-referrer");
    return response;
}

http::Response redirect(const QUrl &location)
{
    http::Response response;
    response.status = 302;
    response.setHeader("location", location.toString(QUrl::FullyEncoded).toUtf8());
    response.setHeader("cache-control", "no-store");
    return response;
}

QByteArray hashOf(const QByteArray &secret)
{
    return QCryptographicHash::hash(secret, QCryptographicHash::Sha256);
}


http::Response tokenError(int status, const QString &error, const QString &description)
{
    http::Response response = server::oauthError(status, error, description);
    response.setHeader("pragma", "no-cache");
    return response;
}

} // namespace

AuthorizationServer::AuthorizationServer(Tenant tenant, TokenMinter *minter, ConsentStore *consents,
                                         server::AccessTokenVerifier *userinfoVerifier, std::function<QByteArray()> publishedKeys,
                                         server::TokenRevocations *revocations, jose::Clock clock)
    : m_tenant(std::move(tenant)), m_minter(minter), m_consents(consents), m_userinfoVerifier(userinfoVerifier),
      m_publishedKeys(std::move(publishedKeys)), m_clock(clock), m_revocations(revocations), m_refresh(revocations, clock)
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
    auto sync = [](auto method) {
        return [method](const http::Request &request, http::Responder respond) { respond(method(request)); };
    };
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
    return page(status, renderPage(QStringLiteral("message.html"),
                                   {{QStringLiteral("title"), title},
                                    {QStringLiteral("body"), QStringLiteral("<p class=\"error\">%1</p><p class=\"muted\">Go back to the application and start "
                                                                            "the login again.</p>").arg(htmlEscape(message))}}));
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
                            {QStringLiteral("error"), error.isEmpty() ? QString() : QStringLiteral("<p class=\"error\" role=\"alert\">%1</p>").arg(htmlEscape(error))}}),
                originOf(transaction.request.redirectUri));
}

// ---------------------------------------------------------------------------------------------
// /authorize and the transaction it starts

http::Response AuthorizationServer::authorize(const http::Request &request)
{
    auto parsed = parseAuthorizeRequest(request.query, m_tenant);
    if (!parsed) {
        const AuthorizeError &error = parsed.error();
        qCInfo(lcAuthorization).noquote() << "authorize refused:" << error.error << error.description;
        if (!error.redirectable)
            return errorPage(400, QStringLiteral("This login request cannot be completed"), error.description);
        return answerError(error.partial, error.error, error.description);
    }
    Transaction transaction;
    transaction.request = parsed.value();
    transaction.csrf = randomToken();
    transaction.expiresAt = m_clock() + kTransactionLifetime;
    transaction.address = request.peer.toString();
    transaction.bytes = 512 + 2 * request.query.encode().size(); // its values, held as UTF-16
    {
        auto overMine = [&] {
            const TransactionBudget mine = m_transactionsByAddress.value(transaction.address);
            return mine.count >= kMaxTransactionsPerAddress || mine.bytes + transaction.bytes > kMaxTransactionBytesPerAddress;
        };
        auto overAll = [&] { return m_transactionTotal.count >= kMaxTransactions || m_transactionTotal.bytes + transaction.bytes > kMaxTransactionBytes; };
        if (overMine() || overAll())
            prune(); // expired ones first
        if (overMine()) {
            http::Response busy = errorPage(429, QStringLiteral("Too many logins in progress"),
                                            QStringLiteral("This computer has started too many logins that were not finished. Wait a minute and try again."));
            busy.setHeader("retry-after", "60");
            return busy;
        }
        if (overAll()) {
            http::Response busy = errorPage(503, QStringLiteral("The login service is busy"),
                                            QStringLiteral("Too many logins are in progress. Try again in a minute."));
            busy.setHeader("retry-after", "60");
            return busy;
        }
    }
    const QHash<QByteArray, QByteArray> cookies = cookiesOf(request);
    transaction.browser = cookies.value(kBrowserCookie);
    bool newBrowser = false;
    if (transaction.browser.size() != 43) {
        transaction.browser = randomToken();
        newBrowser = true;
    }

    const Session *session = currentSession(request);
    // OpenID Connect Core §3.1.2.1: a session older than max_age must log in again.
    if (session && transaction.request.maxAge >= 0 && m_clock() - session->authTime > transaction.request.maxAge) {
        if (transaction.request.prompt == QLatin1String("none"))
            return answerError(transaction.request, QStringLiteral("login_required"),
                               QStringLiteral("the last login is older than max_age=%1 seconds").arg(transaction.request.maxAge));
        session = nullptr;
    }
    if (transaction.request.prompt == QLatin1String("none")) {
        if (!session)
            return answerError(transaction.request, QStringLiteral("login_required"), QStringLiteral("the user is not logged in"));
    }
    if (session && transaction.request.prompt != QLatin1String("login")) {
        transaction.subject = session->subject;
        transaction.authTime = session->authTime;
    }
    const QByteArray id = randomToken(24);
    const QByteArray browser = transaction.browser;
    storeTransaction(id, std::move(transaction));
    http::Response response = advance(id, m_transactions[id]);
    if (newBrowser)
        setCookie(response, kBrowserCookie, browser, kSessionLifetime);
    return response;
}

AuthorizationServer::Transaction *AuthorizationServer::findTransaction(const QByteArray &id)
{
    auto it = m_transactions.find(id);
    if (it == m_transactions.end() || it->expiresAt <= m_clock())
        return nullptr;
    return &it.value();
}

const AuthorizationServer::Session *AuthorizationServer::currentSession(const http::Request &request) const
{
    const QByteArray id = cookiesOf(request).value(kSessionCookie);
    const auto it = m_sessions.constFind(hashOf(id));
    if (id.isEmpty() || it == m_sessions.cend() || it->expiresAt <= m_clock() || !m_tenant.userBySubject(it->subject))
        return nullptr;
    return &it.value();
}

QStringList AuthorizationServer::grantedFor(const AuthorizeRequest &request, const User &user) const
{
    const Api *api = m_tenant.api(request.audience);
    return grantedScopes(request.scopes, api, api ? m_tenant.permissionsOf(user, api->identifier) : QStringList());
}

http::Response AuthorizationServer::advance(const QByteArray &id, Transaction &transaction)
{
    const AuthorizeRequest &request = transaction.request;
    if (transaction.subject.isEmpty()) {
        QUrl login(QStringLiteral("/login"));
        login.setQuery(QStringLiteral("transaction=") + QString::fromLatin1(id));
        return redirect(login);
    }
    const User *user = m_tenant.userBySubject(transaction.subject);
    if (!user)
        return answerError(request, QStringLiteral("login_required"), QStringLiteral("the user no longer exists"));
    QStringList toConsent = grantedFor(request, *user);
    toConsent.removeAll(QStringLiteral("openid"));
    // RFC 8252 §8.6, as Auth0 does: any local process can listen on a loopback redirect, so the
    // server cannot know which app it is talking to; consent there is always asked, never remembered.
    const bool loopback = isLoopbackRedirect(request.redirectUri);
    const bool remembered = !loopback && m_consents->covers(user->subject(), request.clientId, request.audience, toConsent);
    if (!remembered || request.prompt == QLatin1String("consent")) {
        if (request.prompt == QLatin1String("none"))
            return answerError(request, QStringLiteral("consent_required"),
                               loopback ? QStringLiteral("consent for a loopback redirect URI is asked every time")
                                        : QStringLiteral("the user has not consented to these scopes yet"));
        QUrl consentUrl(QStringLiteral("/consent"));
        consentUrl.setQuery(QStringLiteral("transaction=") + QString::fromLatin1(id));
        return redirect(consentUrl);
    }
    return complete(id, transaction);
}

http::Response AuthorizationServer::complete(const QByteArray &id, Transaction &transaction)
{
    const AuthorizeRequest request = transaction.request;
    const User *user = m_tenant.userBySubject(transaction.subject);
    const qint64 authTime = transaction.authTime;
    dropTransaction(id);
    if (!user)
        return answerError(request, QStringLiteral("login_required"), QStringLiteral("the user no longer exists"));
    const QStringList scopes = grantedFor(request, *user);
    const Api *api = m_tenant.api(request.audience);

    QList<QPair<QString, QString>> parameters;
    if (request.wantsCode) {
        const QByteArray code = randomToken();
        Code issued;
        issued.request = request;
        issued.subject = user->subject();
        issued.scopes = scopes;
        issued.authTime = authTime;
        issued.expiresAt = m_clock() + kCodeLifetime;
        m_codes.insert(hashOf(code), issued);
        parameters = {{QStringLiteral("code"), QString::fromLatin1(code)}, {QStringLiteral("state"), request.state}};
        return answer(request, parameters);
    }
    QByteArray accessToken;
    if (request.wantsAccessToken) {
        auto minted = m_minter->accessToken(api, user->subject(), request.clientId, scopes, false);
        if (!minted)
            return answerError(request, QStringLiteral("server_error"), QStringLiteral("the access token could not be signed"));
        accessToken = minted->token;
        parameters += {{QStringLiteral("access_token"), QString::fromLatin1(accessToken)},
                       {QStringLiteral("token_type"), QStringLiteral("Bearer")},
                       {QStringLiteral("expires_in"), QString::number(minted->expiresIn)}};
    }
    parameters.append({QStringLiteral("scope"), scopes.join(QLatin1Char(' '))});
    if (request.wantsIdToken) {
        auto idToken = m_minter->idToken({user, request.clientId, request.nonce, scopes, authTime, accessToken, {}});
        if (!idToken)
            return answerError(request, QStringLiteral("server_error"), QStringLiteral("the ID token could not be signed"));
        parameters.append({QStringLiteral("id_token"), QString::fromLatin1(*idToken)});
    }
    parameters.append({QStringLiteral("state"), request.state});
    qCInfo(lcAuthorization).noquote() << "issued" << request.responseType << "to" << request.clientId << "for" << user->subject() << "scope" << scopes.join(QLatin1Char(' '));
    return answer(request, parameters);
}

http::Response AuthorizationServer::answer(const AuthorizeRequest &request, const QList<QPair<QString, QString>> &parameters)
{
    if (request.responseMode == QLatin1String("form_post")) {
        QString fields;
        for (const auto &[name, value] : parameters) {
            if (!value.isEmpty())
                fields += QStringLiteral("<input type=\"hidden\" name=\"%1\" value=\"%2\">\n").arg(htmlEscape(name), htmlEscape(value));
        }
        http::Response response = page(200, renderPage(QStringLiteral("form_post.html"),
                                                       {{QStringLiteral("action"), request.redirectUri.toString(QUrl::FullyEncoded)}, {QStringLiteral("fields"), fields}}));
        // OAuth 2.0 Form Post Response Mode §5: the page may post to the client's origin and run its one script.
        response.setHeader("content-security-policy", "default-src 'none'; script-src 'unsafe-inline'; form-action "
                                                          + originOf(request.redirectUri).toUtf8() + "; frame-ancestors 'none'");
        return response;
    }
    return redirect(redirectWith(request, parameters));
}

http::Response AuthorizationServer::answerError(const AuthorizeRequest &request, const QString &error, const QString &description)
{
    return answer(request, {{QStringLiteral("error"), error}, {QStringLiteral("error_description"), http::errorDescriptionText(description)}, {QStringLiteral("state"), request.state}});
}

// ---------------------------------------------------------------------------------------------
// Login and consent pages

http::Response AuthorizationServer::loginPage(const http::Request &request)
{
    const QByteArray id = param(request.query, QStringLiteral("transaction")).toLatin1();
    Transaction *transaction = findTransaction(id);
    if (!transaction)
        return errorPage(400, QStringLiteral("This login has expired"), QStringLiteral("The login request is unknown or has expired."));
    return renderLogin(id, *transaction, {}, {});
}

void AuthorizationServer::login(const http::Request &request, http::Responder respond)
{
    const auto form = parseForm(request.body);
    if (!form)
        return respond(errorPage(400, QStringLiteral("The form could not be read"), QStringLiteral("The form was not valid UTF-8.")));
    for (const QString &name : {QStringLiteral("transaction"), QStringLiteral("csrf"), QStringLiteral("username"), QStringLiteral("password")}) {
        if (isRepeated(*form, name))
            return respond(errorPage(400, QStringLiteral("The form could not be read"), QStringLiteral("The %1 field was sent twice.").arg(name)));
    }
    const QByteArray id = param(*form, QStringLiteral("transaction")).toLatin1();
    Transaction *transaction = findTransaction(id);
    if (!transaction)
        return respond(errorPage(400, QStringLiteral("This login has expired"), QStringLiteral("The login form has expired or was already used.")));
    const QByteArray browser = cookiesOf(request).value(kBrowserCookie);
    if (browser.isEmpty() || !constantTimeEquals(browser, transaction->browser))
        return respond(errorPage(400, QStringLiteral("Cookies are needed"),
                                 QStringLiteral("This browser did not send the login cookie. Allow cookies for this site and start again.")));
    if (!constantTimeEquals(param(*form, QStringLiteral("csrf")).toLatin1(), transaction->csrf))
        return respond(errorPage(400, QStringLiteral("The form could not be verified"), QStringLiteral("The form's security token does not match.")));

    const QString username = param(*form, QStringLiteral("username")).trimmed().left(254);
    const QString password = param(*form, QStringLiteral("password")).left(1024);
    // Failures count per account (known or not, so the answer never tells which). Per address only
    // names that do not exist count: on loopback every browser is 127.0.0.1, and a local process
    // failing with made-up names must not lock real users out.
    const QString accountKey = QStringLiteral("account:") + normalizedLogin(username);
    const QString addressKey = QStringLiteral("address:") + request.peer.toString();
    if (const qint64 wait = m_throttle.retryAfter(accountKey, m_clock()); wait > 0)
        return respond(tooManyLogins(id, *transaction, username, wait));
    const User *user = m_tenant.userByLogin(username);
    // A missing user costs the same KDF work as a wrong password: timing does not reveal which it was.
    // The KDF runs off the event loop, so guessing cannot delay anyone else.
    const QString subject = user ? user->subject() : QString();
    const QString peer = request.peer.toString();
    const bool queued = m_passwordChecks.submit(password, user ? user->passwordHash : QString(), &m_context,
                                                [this, id, username, subject, accountKey, addressKey, peer, respond](bool valid) {
        Transaction *pending = findTransaction(id);
        if (!pending)
            return respond(errorPage(400, QStringLiteral("This login has expired"), QStringLiteral("The login form has expired or was already used.")));
        const User *who = subject.isEmpty() ? nullptr : m_tenant.userBySubject(subject);
        const qint64 now = m_clock();
        if (!valid || !who) {
            m_throttle.recordFailure(accountKey, now);
            if (subject.isEmpty())
                m_unknownNameThrottle.recordFailure(addressKey, now);
            qCInfo(lcAuthorization).noquote() << "failed login from" << peer;
            // Once an address has tried many names that do not exist, every wrong answer from it is
            // "too many" — for real accounts too, so the difference reveals nothing. A right password
            // still works.
            if (const qint64 wait = m_unknownNameThrottle.retryAfter(addressKey, now); wait > 0)
                return respond(tooManyLogins(id, *pending, username, wait));
            return respond(renderLogin(id, *pending, username, QStringLiteral("Wrong email or password.")));
        }
        m_throttle.recordSuccess(accountKey);
        const QByteArray sessionId = randomToken();
        m_sessions.insert(hashOf(sessionId), Session{who->subject(), now, now + kSessionLifetime});
        pending->subject = who->subject();
        pending->authTime = now;
        pending->csrf = randomToken(); // the login form cannot be replayed against the consent step
        http::Response response = advance(id, *pending);
        setCookie(response, kSessionCookie, sessionId, kSessionLifetime);
        respond(std::move(response));
    });
    if (!queued)
        respond(busyPage());
}

http::Response AuthorizationServer::tooManyLogins(const QByteArray &id, const Transaction &transaction, const QString &username, qint64 wait) const
{
    http::Response response = renderLogin(id, transaction, username,
                                          QStringLiteral("Too many failed attempts. Try again in %1 second%2.").arg(wait).arg(wait == 1 ? QString() : QStringLiteral("s")));
    response.status = 429;
    response.setHeader("retry-after", QByteArray::number(wait));
    return response;
}

http::Response AuthorizationServer::busyPage() const
{
    http::Response busy = errorPage(503, QStringLiteral("The login service is busy"), QStringLiteral("Too many password checks are waiting. Try again in a moment."));
    busy.setHeader("retry-after", "1");
    return busy;
}

http::Response AuthorizationServer::consentPage(const http::Request &request)
{
    const QByteArray id = param(request.query, QStringLiteral("transaction")).toLatin1();
    Transaction *transaction = findTransaction(id);
    if (!transaction || transaction->subject.isEmpty())
        return errorPage(400, QStringLiteral("This login has expired"), QStringLiteral("The login request is unknown or has expired."));
    const User *user = m_tenant.userBySubject(transaction->subject);
    const Client *client = m_tenant.client(transaction->request.clientId);
    if (!user || !client)
        return errorPage(400, QStringLiteral("This login has expired"), QStringLiteral("The user or the application no longer exists."));
    const Api *api = m_tenant.api(transaction->request.audience);
    const QStringList scopes = grantedFor(transaction->request, *user);

    // Scopes grouped per API: the part after ':' names the API ("read:contacts" → contacts).
    QMap<QString, QStringList> groups;
    for (const QString &scope : scopes) {
        if (scope == QLatin1String("openid"))
            continue;
        const QString group = isOpenIdScope(scope, api) ? QStringLiteral("Your profile") : scope.section(QLatin1Char(':'), 1).toCaseFolded();
        groups[group].append(scope);
    }
    QString html;
    for (auto it = groups.constBegin(); it != groups.constEnd(); ++it) {
        QString title = it.key();
        if (title != QLatin1String("Your profile") && !title.isEmpty())
            title = title.at(0).toUpper() + title.mid(1) + QStringLiteral(" API");
        html += QStringLiteral("<section class=\"api\"><h2>%1</h2><ul>").arg(htmlEscape(title));
        for (const QString &scope : it.value()) {
            QString description = api ? api->describe(scope) : scope;
            if (scope == QLatin1String("profile"))
                description = QStringLiteral("Your name and nickname");
            else if (scope == QLatin1String("email"))
                description = QStringLiteral("Your email address");
            else if (scope == QLatin1String("offline_access"))
                description = QStringLiteral("Stay signed in (refresh tokens)");
            html += QStringLiteral("<li>%1 <code>%2</code></li>").arg(htmlEscape(description), htmlEscape(scope));
        }
        html += QStringLiteral("</ul></section>");
    }
    if (groups.isEmpty())
        html = QStringLiteral("<p class=\"muted\">Only your identity (no API access).</p>");
    const QStringList requestedButNotGranted = [&] {
        QStringList out;
        for (const QString &scope : transaction->request.scopes) {
            if (!scopes.contains(scope))
                out.append(scope);
        }
        return out;
    }();
    if (!requestedButNotGranted.isEmpty())
        html += QStringLiteral("<p class=\"muted\">Not granted (no permission): <code>%1</code></p>").arg(htmlEscape(requestedButNotGranted.join(QLatin1Char(' '))));
    return page(200, renderPage(QStringLiteral("consent.html"),
                                {{QStringLiteral("client_name"), client->name},
                                 {QStringLiteral("user_name"), user->name},
                                 {QStringLiteral("user_email"), user->email},
                                 {QStringLiteral("api_name"), api ? api->name : QStringLiteral("Organizer")},
                                 {QStringLiteral("scope_groups"), html},
                                 {QStringLiteral("transaction"), QString::fromLatin1(id)},
                                 {QStringLiteral("csrf"), QString::fromLatin1(transaction->csrf)},
                                 {QStringLiteral("redirect_origin"), originOf(transaction->request.redirectUri)}}),
                originOf(transaction->request.redirectUri));
}

http::Response AuthorizationServer::consent(const http::Request &request)
{
    const auto form = parseForm(request.body);
    if (!form)
        return errorPage(400, QStringLiteral("The form could not be read"), QStringLiteral("The form was not valid UTF-8."));
    const QByteArray id = param(*form, QStringLiteral("transaction")).toLatin1();
    Transaction *transaction = findTransaction(id);
    if (!transaction || transaction->subject.isEmpty())
        return errorPage(400, QStringLiteral("This login has expired"), QStringLiteral("The consent form has expired or was already used."));
    const QByteArray browser = cookiesOf(request).value(kBrowserCookie);
    if (browser.isEmpty() || !constantTimeEquals(browser, transaction->browser))
        return errorPage(400, QStringLiteral("Cookies are needed"),
                         QStringLiteral("This browser did not send the login cookie. Allow cookies for this site and start again."));
    if (isRepeated(*form, QStringLiteral("decision")) || !constantTimeEquals(param(*form, QStringLiteral("csrf")).toLatin1(), transaction->csrf))
        return errorPage(400, QStringLiteral("The form could not be verified"), QStringLiteral("The form's security token does not match."));
    const QString decision = param(*form, QStringLiteral("decision"));
    if (decision == QLatin1String("deny")) {
        const AuthorizeRequest denied = transaction->request;
        dropTransaction(id);
        return answerError(denied, QStringLiteral("access_denied"), QStringLiteral("User did not authorize the request"));
    }
    if (decision != QLatin1String("accept"))
        return errorPage(400, QStringLiteral("The form could not be read"), QStringLiteral("Choose Accept or Deny."));
    const User *user = m_tenant.userBySubject(transaction->subject);
    if (user && !isLoopbackRedirect(transaction->request.redirectUri)) {
        QStringList scopes = grantedFor(transaction->request, *user);
        scopes.removeAll(QStringLiteral("openid"));
        if (auto stored = m_consents->remember(user->subject(), transaction->request.clientId, transaction->request.audience, scopes); !stored)
            qCWarning(lcAuthorization).noquote() << stored.error();
    }
    return complete(id, *transaction);
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

// ---------------------------------------------------------------------------------------------
// /oauth/token (RFC 6749 §3.2, errors per §5.2)

void AuthorizationServer::authenticateClient(const http::Request &request, const FormData &parameters, ClientCheck done)
{
    QString clientId = param(parameters, QStringLiteral("client_id"));
    QString secret = param(parameters, QStringLiteral("client_secret"));
    bool usedBasic = false;
    const QByteArray authorization = request.header("authorization");
    if (!authorization.isEmpty()) {
        if (!authorization.startsWith("Basic ") && !authorization.startsWith("basic "))
            return done(Unexpected<http::Response>(tokenError(400, QStringLiteral("invalid_request"), QStringLiteral("the token endpoint accepts Basic client authentication only"))));
        if (!secret.isEmpty())
            return done(Unexpected<http::Response>(tokenError(400, QStringLiteral("invalid_request"), QStringLiteral("use one client authentication method, not two"))));
        const QByteArray decoded = QByteArray::fromBase64(authorization.mid(6).trimmed());
        const qsizetype colon = decoded.indexOf(':');
        if (colon < 0)
            return done(Unexpected<http::Response>(tokenError(400, QStringLiteral("invalid_request"), QStringLiteral("the Basic credentials are malformed"))));
        // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
        const QString basicId = FormData::decodeComponent(decoded.left(colon));
        if (!clientId.isEmpty() && clientId != basicId)
            return done(Unexpected<http::Response>(tokenError(400, QStringLiteral("invalid_request"), QStringLiteral("client_id differs from the Basic credentials"))));
        clientId = basicId;
        secret = FormData::decodeComponent(decoded.mid(colon + 1));
        usedBasic = true;
    }
    auto invalidClient = [usedBasic](const QString &description) {
        http::Response response = tokenError(401, QStringLiteral("invalid_client"), description);
        if (usedBasic)
            response.setHeader("www-authenticate", "Basic realm=\"organizer\"");
        return Unexpected<http::Response>(response);
    };
    if (clientId.isEmpty())
        return done(invalidClient(QStringLiteral("the client is not identified: send client_id")));
    const Client *client = m_tenant.client(clientId);
    if (client && !client->confidential) {
        if (!secret.isEmpty())
            return done(invalidClient(QStringLiteral("%1 is a public client and has no secret").arg(client->name)));
        return done(ClientAuthentication{client, usedBasic});
    }
    // Secret guessing is throttled per client ID (known or not, so the answer never tells which) and,
    // for IDs that do not exist, per address; like logins, a right secret still works.
    const qint64 now = m_clock();
    const QString clientKey = QStringLiteral("client:") + clientId;
    const QString addressKey = QStringLiteral("client-address:") + request.peer.toString();
    auto tooMany = [](qint64 wait) {
        http::Response response = tokenError(429, QStringLiteral("too_many_attempts"),
                                             QStringLiteral("too many failed client authentications; try again in %1 s").arg(wait));
        response.setHeader("retry-after", QByteArray::number(wait));
        return Unexpected<http::Response>(response);
    };
    if (const qint64 wait = m_clientThrottle.retryAfter(clientKey, now); wait > 0)
        return done(tooMany(wait));
    // One check at a time per client: parallel guesses cannot all slip in before the first failure counts.
    if (m_clientChecksRunning.contains(clientKey))
        return done(tooMany(1));
    // An unknown client is checked against a decoy, so it takes as long as a wrong secret.
    m_clientChecksRunning.insert(clientKey);
    const bool known = client != nullptr;
    const bool queued = m_passwordChecks.submit(secret, known ? client->secretHash : QString(), &m_context,
                                                [this, clientId, clientKey, addressKey, known, usedBasic, invalidClient, tooMany, done](bool valid) {
        m_clientChecksRunning.remove(clientKey);
        const Client *current = m_tenant.client(clientId);
        const qint64 later = m_clock();
        if (!valid || !known || !current) {
            m_clientThrottle.recordFailure(clientKey, later);
            if (!known)
                m_unknownClientThrottle.recordFailure(addressKey, later);
            if (const qint64 wait = m_unknownClientThrottle.retryAfter(addressKey, later); wait > 0)
                return done(tooMany(wait));
            return done(invalidClient(QStringLiteral("unknown client or wrong secret")));
        }
        m_clientThrottle.recordSuccess(clientKey);
        done(ClientAuthentication{current, usedBasic});
    });
    if (!queued) {
        m_clientChecksRunning.remove(clientKey);
        http::Response busy = tokenError(503, QStringLiteral("temporarily_unavailable"), QStringLiteral("too many secret checks are waiting; try again shortly"));
        busy.setHeader("retry-after", "1");
        done(Unexpected<http::Response>(busy));
    }
}

// The parameters of a token or revocation request: a form or, as Auth0 also takes them, a JSON
// object of strings; each name at most once.
static Expected<FormData, http::Response> readEndpointParameters(const http::Request &request)
{
    FormData parameters;
    const QByteArray contentType = request.header("content-type").split(';').first().trimmed().toLower();
    if (contentType == "application/x-www-form-urlencoded") {
        const auto form = parseForm(request.body);
        if (!form)
            return Unexpected<http::Response>(tokenError(400, QStringLiteral("invalid_request"), QStringLiteral("the body is not valid UTF-8")));
        parameters = *form;
    } else if (contentType == "application/json") {
        QJsonParseError parseError;
        const QJsonDocument document = QJsonDocument::fromJson(request.body, &parseError);
        if (parseError.error != QJsonParseError::NoError || !document.isObject())
            return Unexpected<http::Response>(tokenError(400, QStringLiteral("invalid_request"), QStringLiteral("the body is not a JSON object")));
        const QJsonObject object = document.object();
        for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
            if (!it.value().isString())
                return Unexpected<http::Response>(tokenError(400, QStringLiteral("invalid_request"), QStringLiteral("%1 must be a string").arg(it.key().left(40))));
            parameters.add(it.key(), it.value().toString());
        }
    } else {
        return Unexpected<http::Response>(
            tokenError(400, QStringLiteral("invalid_request"), QStringLiteral("send the parameters as application/x-www-form-urlencoded or JSON")));
    }
    if (const QString repeated = parameters.firstRepeatedName(); !repeated.isNull())
        return Unexpected<http::Response>(tokenError(400, QStringLiteral("invalid_request"), QStringLiteral("the %1 parameter is repeated").arg(repeated.left(40))));
    return parameters;
}

void AuthorizationServer::token(const http::Request &request, http::Responder respond)
{
    const auto read = readEndpointParameters(request);
    if (!read)
        return respond(read.error());
    const FormData &parameters = read.value();
    const QString grantType = param(parameters, QStringLiteral("grant_type"));
    if (grantType.isEmpty())
        return respond(tokenError(400, QStringLiteral("invalid_request"), QStringLiteral("the grant_type parameter is missing")));
    authenticateClient(request, parameters, [this, parameters, grantType, respond](const Expected<ClientAuthentication, http::Response> &authenticated) {
        if (!authenticated)
            return respond(authenticated.error());
        const Client &client = *authenticated->client;
        static const QStringList known{QStringLiteral("client_credentials"), QStringLiteral("authorization_code"), QStringLiteral("refresh_token")};
        if (!known.contains(grantType))
            return respond(tokenError(400, QStringLiteral("unsupported_grant_type"), QStringLiteral("grant_type \"%1\" is not supported").arg(grantType.left(60))));
        if (!client.allowsGrant(grantType))
            return respond(tokenError(403, QStringLiteral("unauthorized_client"), QStringLiteral("client %1 may not use the %2 grant").arg(client.name, grantType)));
        if (grantType == QLatin1String("client_credentials"))
            return respond(clientCredentialsGrant(client, parameters));
        if (grantType == QLatin1String("authorization_code"))
            return respond(authorizationCodeGrant(client, parameters));
        respond(refreshTokenGrant(client, parameters));
    });
}

http::Response AuthorizationServer::clientCredentialsGrant(const Client &client, const FormData &parameters)
{
    const QString audience = param(parameters, QStringLiteral("audience"));
    if (audience.isEmpty())
        return tokenError(400, QStringLiteral("invalid_request"), QStringLiteral("the audience parameter is required (e.g. organize)"));
    const Api *api = m_tenant.api(audience);
    if (!api)
        return tokenError(403, QStringLiteral("access_denied"), QStringLiteral("Service not found: %1").arg(audience.left(200)));
    const ClientGrant *grant = client.grantFor(audience);
    if (!grant)
        return tokenError(403, QStringLiteral("access_denied"), QStringLiteral("Client \"%1\" is not authorized to access \"%2\"").arg(client.clientId, audience));
    QStringList scopes = apiScopesOf(grant->scopes, api); // a scope the API lost is granted no more
    if (parameters.contains(QStringLiteral("scope"))) {
        const QStringList requested = splitScopes(param(parameters, QStringLiteral("scope")));
        QStringList missing;
        for (const QString &scope : requested) {
            if (!grant->scopes.contains(scope) || !api->hasScope(scope))
                missing.append(scope);
        }
        if (!missing.isEmpty())
            return tokenError(403, QStringLiteral("access_denied"), QStringLiteral("Client has not been granted scopes: %1").arg(missing.join(QLatin1String(", ")).left(300)));
        scopes = requested;
    }
    auto minted = m_minter->accessToken(api, client.clientId + QStringLiteral("@clients"), client.clientId, scopes, true);
    if (!minted)
        return tokenError(500, QStringLiteral("server_error"), QStringLiteral("the access token could not be signed"));
    qCInfo(lcAuthorization).noquote() << "client_credentials for" << client.clientId << "scope" << scopes.join(QLatin1Char(' '));
    http::Response response = http::Response::json(200, QJsonObject{{QStringLiteral("access_token"), QString::fromLatin1(minted->token)},
                                                                    {QStringLiteral("token_type"), QStringLiteral("Bearer")},
                                                                    {QStringLiteral("expires_in"), minted->expiresIn},
                                                                    {QStringLiteral("scope"), scopes.join(QLatin1Char(' '))}});
    response.setHeader("cache-control", "no-store");
    response.setHeader("pragma", "no-cache");
    return response;
}

http::Response AuthorizationServer::authorizationCodeGrant(const Client &client, const FormData &parameters)
{
    const QByteArray code = param(parameters, QStringLiteral("code")).toLatin1();
    if (code.isEmpty())
        return tokenError(400, QStringLiteral("invalid_request"), QStringLiteral("the code parameter is missing"));
    // Single use: the code is spent whatever happens next (RFC 6749 §4.1.2).
    const auto found = m_codes.find(hashOf(code));
    if (found != m_codes.end() && found->redeemed) {
        // Presented twice: someone else may hold it. What the first redemption issued is withdrawn.
        if (!found->refreshFamily.isEmpty())
            m_refresh.revokeFamily(found->refreshFamily);
        if (!found->accessFingerprint.isEmpty())
            m_revocations->revoke(found->accessFingerprint, found->accessExpiresAt, m_clock());
        qCWarning(lcAuthorization).noquote() << "an authorization code was presented twice; the tokens issued for it are revoked";
        return tokenError(400, QStringLiteral("invalid_grant"), QStringLiteral("the authorization code was already used; the tokens issued for it are revoked"));
    }
    if (found == m_codes.end() || found->expiresAt <= m_clock())
        return tokenError(400, QStringLiteral("invalid_grant"), QStringLiteral("the authorization code is invalid, expired or already used"));
    found->redeemed = true;
    const Code stored = found.value();
    if (stored.request.clientId != client.clientId)
        return tokenError(400, QStringLiteral("invalid_grant"), QStringLiteral("the authorization code was issued to another client"));
    if (param(parameters, QStringLiteral("redirect_uri")) != stored.request.redirectUri.toString(QUrl::FullyEncoded))
        return tokenError(400, QStringLiteral("invalid_grant"), QStringLiteral("redirect_uri does not match the authorization request"));
    const QString verifier = param(parameters, QStringLiteral("code_verifier"));
    if (!stored.request.codeChallenge.isEmpty()) {
        static const QRegularExpression syntax(QStringLiteral("^[A-Za-z0-9._~-]{43,128}$"));
        if (!syntax.match(verifier).hasMatch())
            return tokenError(400, QStringLiteral("invalid_grant"), QStringLiteral("code_verifier is missing or not 43-128 unreserved characters"));
        // RFC 7636 §4.6: S256 compares BASE64URL(SHA256(ASCII(verifier))) with the challenge.
        const QByteArray computed = stored.request.codeChallengeMethod == QLatin1String("S256")
                                        ? jose::base64UrlEncode(QCryptographicHash::hash(verifier.toLatin1(), QCryptographicHash::Sha256))
                                        : verifier.toLatin1();
        if (!constantTimeEquals(computed, stored.request.codeChallenge.toLatin1()))
            return tokenError(400, QStringLiteral("invalid_grant"), QStringLiteral("code_verifier does not match the code_challenge"));
    } else if (!verifier.isEmpty()) {
        return tokenError(400, QStringLiteral("invalid_grant"), QStringLiteral("a code_verifier was sent but the request had no code_challenge"));
    }
    const Api *api = m_tenant.api(stored.request.audience);
    const bool offline = stored.scopes.contains(QStringLiteral("offline_access")) && api && api->allowOfflineAccess
                         && client.allowsGrant(QStringLiteral("refresh_token"));
    std::optional<RefreshTokens::Issued> refresh;
    if (offline)
        refresh = m_refresh.start({client.clientId, stored.subject, api->identifier, stored.scopes},
                                  {api->refreshTokenLifetimeSeconds, api->refreshTokenIdleLifetimeSeconds});
    TokenIssue issued = tokenResponse(api, stored.subject, client, stored.scopes, stored.request.nonce, stored.authTime, refresh ? &*refresh : nullptr);
    if (auto spent = m_codes.find(hashOf(code)); spent != m_codes.end() && !issued.accessToken.isEmpty()) {
        spent->refreshFamily = refresh ? refresh->family : QByteArray();
        spent->accessFingerprint = server::TokenRevocations::fingerprint(issued.accessToken);
        spent->accessExpiresAt = issued.accessExpiresAt;
        if (refresh)
            m_refresh.noteAccessToken(refresh->family, spent->accessFingerprint, issued.accessExpiresAt);
    }
    return issued.response;
}

http::Response AuthorizationServer::refreshTokenGrant(const Client &client, const FormData &parameters)
{
    const QByteArray refreshToken = param(parameters, QStringLiteral("refresh_token")).toLatin1();
    if (refreshToken.isEmpty())
        return tokenError(400, QStringLiteral("invalid_request"), QStringLiteral("the refresh_token parameter is missing"));
    auto usable = m_refresh.use(refreshToken, client.clientId);
    if (!usable) {
        qCInfo(lcAuthorization).noquote() << "refresh refused for" << client.clientId << ":" << usable.error();
        return tokenError(400, QStringLiteral("invalid_grant"), usable.error());
    }
    const RefreshGrant grant = usable.value();
    QStringList scopes = grant.scopes;
    if (parameters.contains(QStringLiteral("scope"))) {
        scopes = splitScopes(param(parameters, QStringLiteral("scope")));
        for (const QString &scope : scopes) {
            if (!grant.scopes.contains(scope))
                return tokenError(400, QStringLiteral("invalid_scope"), QStringLiteral("'%1' was not granted originally").arg(scope.left(60)));
        }
    }
    if (!m_tenant.userBySubject(grant.subject))
        return tokenError(400, QStringLiteral("invalid_grant"), QStringLiteral("the user no longer exists"));
    // Only a request that will succeed retires the token: a refused one leaves the client its token.
    const RefreshTokens::Issued next = m_refresh.rotate(refreshToken);
    TokenIssue issued = tokenResponse(m_tenant.api(grant.audience), grant.subject, client, scopes, {}, 0, &next);
    if (!issued.accessToken.isEmpty())
        m_refresh.noteAccessToken(next.family, server::TokenRevocations::fingerprint(issued.accessToken), issued.accessExpiresAt);
    return issued.response;
}

AuthorizationServer::TokenIssue AuthorizationServer::tokenResponse(const Api *api, const QString &subject, const Client &client, const QStringList &consented,
                                                                   const QString &nonce, qint64 authTime, const RefreshTokens::Issued *refreshToken)
{
    // RBAC again at issuance: a scope the API lost, or a permission the user lost since the consent
    // or the last refresh, is not in the new token.
    const User *user = m_tenant.userBySubject(subject);
    const QStringList scopes = user ? grantedScopes(consented, api, api ? m_tenant.permissionsOf(*user, api->identifier) : QStringList()) : QStringList();
    auto minted = m_minter->accessToken(api, subject, client.clientId, scopes, false);
    if (!minted)
        return {tokenError(500, QStringLiteral("server_error"), QStringLiteral("the access token could not be signed")), {}, 0};
    QJsonObject body{{QStringLiteral("access_token"), QString::fromLatin1(minted->token)},
                     {QStringLiteral("token_type"), QStringLiteral("Bearer")},
                     {QStringLiteral("expires_in"), minted->expiresIn},
                     {QStringLiteral("scope"), scopes.join(QLatin1Char(' '))}};
    if (scopes.contains(QStringLiteral("openid")) && user) {
        auto idToken = m_minter->idToken({user, client.clientId, nonce, scopes, authTime, minted->token, {}});
        if (!idToken)
            return {tokenError(500, QStringLiteral("server_error"), QStringLiteral("the ID token could not be signed")), {}, 0};
        body.insert(QStringLiteral("id_token"), QString::fromLatin1(*idToken));
    }
    if (refreshToken)
        body.insert(QStringLiteral("refresh_token"), QString::fromLatin1(refreshToken->token));
    http::Response response = http::Response::json(200, body);
    response.setHeader("cache-control", "no-store");
    response.setHeader("pragma", "no-cache");
    return {response, minted->token, m_clock() + minted->expiresIn};
}

// RFC 7009 (Auth0's POST /oauth/revoke): a refresh token takes its whole family and the access tokens
// it issued along; one of our access tokens is refused by the bundled APIs until it would expire.
void AuthorizationServer::revoke(const http::Request &request, http::Responder respond)
{
    const auto read = readEndpointParameters(request);
    if (!read)
        return respond(read.error());
    const FormData &parameters = read.value();
    authenticateClient(request, parameters, [this, parameters, respond](const Expected<ClientAuthentication, http::Response> &authenticated) {
        respond(authenticated ? revokeFor(*authenticated->client, parameters) : authenticated.error());
    });
}

http::Response AuthorizationServer::revokeFor(const Client &client, const FormData &parameters)
{
    const QByteArray token = param(parameters, QStringLiteral("token")).toLatin1();
    if (token.isEmpty())
        return tokenError(400, QStringLiteral("invalid_request"), QStringLiteral("the token parameter is missing"));
    auto done = [] {
        http::Response response;
        response.status = 200; // RFC 7009 §2.2: also for a token that is unknown or already invalid
        response.setHeader("cache-control", "no-store");
        return response;
    };
    switch (m_refresh.revoke(token, client.clientId)) {
    case RefreshTokens::Revocation::Revoked:
        qCInfo(lcAuthorization).noquote() << "refresh token family revoked by" << client.clientId;
        return done();
    case RefreshTokens::Revocation::OtherClient:
        return tokenError(400, QStringLiteral("unauthorized_client"), QStringLiteral("the token was issued to another client"));
    case RefreshTokens::Revocation::Unknown:
        break;
    }
    // One of our access tokens? Only a token we signed goes on the list, until it would expire.
    if (auto parsed = jose::parseCompactJws(token)) {
        const QJsonObject claims = QJsonDocument::fromJson(parsed->payload).object();
        const QJsonValue aud = claims.value(QLatin1String("aud"));
        const QString audience = aud.isArray() ? aud.toArray().first().toString() : aud.toString();
        const jose::JwtVerifier verifier({m_minter->issuer(), audience, 0}, m_clock);
        const auto published = jose::JwkSet::fromJson(m_publishedKeys());
        if (auto verified = published ? verifier.verify(token, published.value()) : jose::fail(jose::ErrorCode::InvalidKey, QString())) {
            const QString holder = verified->claims.value(QLatin1String("azp")).toString(verified->claims.value(QLatin1String("client_id")).toString());
            if (holder != client.clientId)
                return tokenError(400, QStringLiteral("unauthorized_client"), QStringLiteral("the token was issued to another client"));
            m_revocations->revoke(server::TokenRevocations::fingerprint(token), verified->expiresAt, m_clock());
            qCInfo(lcAuthorization).noquote() << "access token revoked by" << client.clientId;
        }
    }
    return done();
}

// ---------------------------------------------------------------------------------------------
// /userinfo, logout, discovery

void AuthorizationServer::userinfo(const http::Request &request, http::Responder respond)
{
    const QString realm = m_minter->issuer();
    const server::BearerCredentials credentials = server::readBearerCredentials(request);
    if (credentials.kind == server::BearerCredentials::Kind::Missing || credentials.kind == server::BearerCredentials::Kind::OtherScheme) {
        respond(server::bearerError(401, {realm, {}, credentials.problem, {}}));
        return;
    }
    if (credentials.kind == server::BearerCredentials::Kind::Malformed) {
        respond(server::bearerError(400, {realm, QStringLiteral("invalid_request"), credentials.problem, {}}));
        return;
    }
    m_userinfoVerifier->verify(credentials.token, [this, realm, respond](const jose::Result<jose::VerifiedJwt> &result) {
        if (!result) {
            respond(server::bearerError(401, {realm, QStringLiteral("invalid_token"), result.error().description, {}}));
            return;
        }
        const User *user = m_tenant.userBySubject(result->subject());
        if (!user || !result->hasScope(u"openid")) {
            respond(server::bearerError(403, {realm, QStringLiteral("insufficient_scope"), QStringLiteral("userinfo needs a user's token with the openid scope"),
                                              QStringLiteral("openid")}));
            return;
        }
        QJsonObject claims = userClaims(*user, result->scopes());
        claims.insert(QStringLiteral("sub"), user->subject());
        http::Response response = http::Response::json(200, claims);
        response.setHeader("cache-control", "no-store");
        respond(response);
    });
}

http::Response AuthorizationServer::loggedOutPage() const
{
    return page(200, renderPage(QStringLiteral("message.html"), {{QStringLiteral("title"), QStringLiteral("You are logged out")},
                                                                 {QStringLiteral("body"), QStringLiteral("<p class=\"lead\">You can close this window.</p>")}}));
}

http::Response AuthorizationServer::endSession(const http::Request &request, http::Response response)
{
    const QByteArray sessionId = cookiesOf(request).value(kSessionCookie);
    if (!sessionId.isEmpty())
        m_sessions.remove(hashOf(sessionId));
    setCookie(response, kSessionCookie, QByteArray(), 0);
    return response;
}

http::Response AuthorizationServer::logout(const http::Request &request)
{
    // Auth0's /v2/logout: end the session, then go to returnTo if the client allows it.
    const QString returnTo = param(request.query, QStringLiteral("returnTo"));
    const QString clientId = param(request.query, QStringLiteral("client_id"));
    http::Response response;
    if (!returnTo.isEmpty()) {
        const Client *client = m_tenant.client(clientId);
        const QUrl target(returnTo, QUrl::StrictMode);
        if (!client || !target.isValid() || !client->allowsLogoutUrl(target))
            return errorPage(400, QStringLiteral("Logout target not allowed"),
                             QStringLiteral("\"%1\" is not an allowed logout URL for this application.").arg(returnTo.left(200)));
        response = redirect(target);
    } else {
        response = loggedOutPage();
    }
    return endSession(request, std::move(response));
}

Expected<http::Response, http::Response> AuthorizationServer::logoutDestination(const QString &clientId, const QString &target, const QString &state) const
{
    if (target.isEmpty())
        return loggedOutPage();
    const Client *client = m_tenant.client(clientId);
    QUrl url(target, QUrl::StrictMode);
    if (!client || !url.isValid() || !client->allowsLogoutUrl(url))
        return Unexpected<http::Response>(errorPage(400, QStringLiteral("Logout target not allowed"),
                                                    QStringLiteral("\"%1\" is not a registered logout URL for this application.").arg(target.left(200))));
    if (!state.isEmpty()) {
        FormData query = FormData::parse(url.query(QUrl::FullyEncoded).toLatin1());
        query.add(QStringLiteral("state"), state);
        url.setQuery(query.toString(), QUrl::StrictMode);
    }
    return redirect(url);
}

QByteArray AuthorizationServer::logoutConfirmationToken(const QByteArray &sessionId) const
{
    return jose::base64UrlEncode(QMessageAuthenticationCode::hash("oidc-logout:" + sessionId, m_formKey, QCryptographicHash::Sha256));
}

http::Response AuthorizationServer::oidcLogout(const http::Request &request)
{
    // OpenID Connect RP-Initiated Logout 1.0: id_token_hint names the client, whose registered
    // post_logout_redirect_uri is the only place we send the browser.
    const QString hint = param(request.query, QStringLiteral("id_token_hint"));
    const QString target = param(request.query, QStringLiteral("post_logout_redirect_uri"));
    const QString state = param(request.query, QStringLiteral("state"));
    QString clientId = param(request.query, QStringLiteral("client_id"));
    if (!hint.isEmpty()) {
        auto parsed = jose::parseCompactJws(hint.toLatin1());
        if (!parsed)
            return errorPage(400, QStringLiteral("Logout request not valid"), QStringLiteral("id_token_hint is not a token."));
        QJsonObject claims = QJsonDocument::fromJson(parsed->payload).object();
        // An expired hint is fine (the session may have outlived it); a foreign one is not.
        jose::JwtVerifier verifier({m_minter->issuer(), claims.value(QLatin1String("aud")).toString(), 100 * 365 * 86400LL});
        auto verified = verifier.verify(hint.toLatin1(), jose::JwkSet::fromJson(m_publishedKeys()).value());
        if (!verified)
            return errorPage(400, QStringLiteral("Logout request not valid"), QStringLiteral("id_token_hint was not issued here: %1").arg(verified.error().description));
        const QString hinted = claims.value(QLatin1String("aud")).toString();
        if (!clientId.isEmpty() && clientId != hinted)
            return errorPage(400, QStringLiteral("Logout request not valid"), QStringLiteral("client_id does not match id_token_hint."));
        clientId = hinted;
    }
    auto destination = logoutDestination(clientId, target, state);
    if (!destination)
        return destination.error();
    const QByteArray sessionId = cookiesOf(request).value(kSessionCookie);
    if (!hint.isEmpty() || !currentSession(request))
        return endSession(request, std::move(destination).value());
    // §2 / §6: without a hint anyone could log the user out with a link; ask first.
    const QString form = QStringLiteral("<p class=\"lead\">Do you want to log out of Organizer?</p>"
                                        "<form method=\"post\" action=\"/oidc/logout\">"
                                        "<input type=\"hidden\" name=\"csrf\" value=\"%1\">"
                                        "<input type=\"hidden\" name=\"client_id\" value=\"%2\">"
                                        "<input type=\"hidden\" name=\"post_logout_redirect_uri\" value=\"%3\">"
                                        "<input type=\"hidden\" name=\"state\" value=\"%4\">"
                                        "<div class=\"actions\"><button class=\"secondary\" type=\"submit\" name=\"decision\" value=\"stay\">Stay logged in</button>"
                                        "<button class=\"primary\" type=\"submit\" name=\"decision\" value=\"logout\" autofocus>Log out</button></div></form>")
                             .arg(QString::fromLatin1(logoutConfirmationToken(sessionId)), htmlEscape(clientId), htmlEscape(target), htmlEscape(state));
    const QUrl targetUrl(target, QUrl::StrictMode);
    return page(200, renderPage(QStringLiteral("message.html"), {{QStringLiteral("title"), QStringLiteral("Log out?")}, {QStringLiteral("body"), form}}),
                target.isEmpty() ? QString() : originOf(targetUrl));
}

http::Response AuthorizationServer::confirmOidcLogout(const http::Request &request)
{
    const auto form = parseForm(request.body);
    if (!form)
        return errorPage(400, QStringLiteral("The form could not be read"), QStringLiteral("The form was not valid UTF-8."));
    const QByteArray sessionId = cookiesOf(request).value(kSessionCookie);
    if (!currentSession(request))
        return loggedOutPage(); // nothing to end
    if (!constantTimeEquals(form->value(u"csrf").toLatin1(), logoutConfirmationToken(sessionId)))
        return errorPage(400, QStringLiteral("The form could not be verified"), QStringLiteral("The form's security token does not match."));
    if (form->value(u"decision") != QLatin1String("logout"))
        return page(200, renderPage(QStringLiteral("message.html"), {{QStringLiteral("title"), QStringLiteral("You are still logged in")},
                                                                     {QStringLiteral("body"), QStringLiteral("<p class=\"lead\">You can close this window.</p>")}}));
    auto destination = logoutDestination(form->value(u"client_id"), form->value(u"post_logout_redirect_uri"), form->value(u"state"));
    if (!destination)
        return destination.error();
    return endSession(request, std::move(destination).value());
}

http::Response AuthorizationServer::discovery() const
{
    const QString issuer = m_minter->issuer();
    QJsonArray scopes{QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("email"), QStringLiteral("offline_access")};
    for (const Api &api : m_tenant.apis) {
        for (const ApiScope &scope : api.scopes)
            scopes.append(scope.value);
    }
    http::Response response = http::Response::json(200, QJsonObject{
        {QStringLiteral("issuer"), issuer},
        {QStringLiteral("authorization_endpoint"), issuer + QStringLiteral("authorize")},
        {QStringLiteral("token_endpoint"), issuer + QStringLiteral("oauth/token")},
        {QStringLiteral("userinfo_endpoint"), issuer + QStringLiteral("userinfo")},
        {QStringLiteral("jwks_uri"), issuer + QStringLiteral(".well-known/jwks.json")},
        {QStringLiteral("end_session_endpoint"), issuer + QStringLiteral("oidc/logout")},
        {QStringLiteral("revocation_endpoint"), issuer + QStringLiteral("oauth/revoke")},
        {QStringLiteral("revocation_endpoint_auth_methods_supported"), QJsonArray{QStringLiteral("client_secret_basic"), QStringLiteral("client_secret_post"), QStringLiteral("none")}},
        {QStringLiteral("scopes_supported"), scopes},
        {QStringLiteral("response_types_supported"), QJsonArray{QStringLiteral("code"), QStringLiteral("token"), QStringLiteral("id_token"), QStringLiteral("id_token token")}},
        {QStringLiteral("response_modes_supported"), QJsonArray{QStringLiteral("query"), QStringLiteral("fragment"), QStringLiteral("form_post")}},
        {QStringLiteral("grant_types_supported"), QJsonArray{QStringLiteral("authorization_code"), QStringLiteral("implicit"), QStringLiteral("refresh_token"), QStringLiteral("client_credentials")}},
        {QStringLiteral("subject_types_supported"), QJsonArray{QStringLiteral("public")}},
        {QStringLiteral("id_token_signing_alg_values_supported"), QJsonArray{QStringLiteral("RS256")}},
        {QStringLiteral("token_endpoint_auth_methods_supported"), QJsonArray{QStringLiteral("client_secret_basic"), QStringLiteral("client_secret_post"), QStringLiteral("none")}},
        {QStringLiteral("code_challenge_methods_supported"), QJsonArray{QStringLiteral("S256")}},
        {QStringLiteral("claims_supported"), QJsonArray{QStringLiteral("sub"), QStringLiteral("iss"), QStringLiteral("aud"), QStringLiteral("exp"), QStringLiteral("iat"),
                                                        QStringLiteral("auth_time"), QStringLiteral("nonce"), QStringLiteral("at_hash"), QStringLiteral("name"),
                                                        QStringLiteral("nickname"), QStringLiteral("email"), QStringLiteral("email_verified")}},
        {QStringLiteral("request_parameter_supported"), false},
    });
    response.setHeader("cache-control", "public, max-age=300");
    return response;
}

} // namespace organizer::authorization
