#include "consent.h"

#include "authorizeresponse.h"
#include "cookies.h"
#include "consentstore.h"
#include "grantedscopes.h"
#include "interaction.h"
#include "pages.h"

#include <QMap>

namespace organizer::authorization {

http::Response ConsentEndpoint::form(const http::Request &request)
{
    const QByteArray id = request.query.value(QStringLiteral("transaction")).toLatin1();
    auto transaction = pendingTransaction(m_context, id, QStringLiteral("The login request is unknown or has expired."), true);
    if (!transaction)
        return transaction.error();
    const TenantSnapshot tenant = m_context.tenant();
    const User *user = tenant->userBySubject(transaction->subject);
    const Client *client = tenant->client(transaction->request.clientId);
    if (!user || !client)
        return errorPage(400, QStringLiteral("This login has expired"), QStringLiteral("The user or the application no longer exists."));
    const Api *api = tenant->api(transaction->request.audience);
    const QStringList scopes = grantedFor(*tenant, transaction->request, *user);

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
        html += QStringLiteral("<p class=\"muted\">Not granted (no permission): <code>%1</code></p>")
                    .arg(htmlEscape(requestedButNotGranted.join(QLatin1Char(' '))));
    return page(200,
                renderPage(QStringLiteral("consent.html"),
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

http::Response ConsentEndpoint::submit(const http::Request &request)
{
    const auto form = parseForm(request.body);
    if (!form)
        return errorPage(400, QStringLiteral("The form could not be read"), QStringLiteral("The form was not valid UTF-8."));
    const QByteArray id = form->value(QStringLiteral("transaction")).toLatin1();
    auto transaction = pendingTransaction(m_context, id, QStringLiteral("The consent form has expired or was already used."), true);
    if (!transaction)
        return transaction.error();
    const QByteArray browser = cookiesOf(request).value(kBrowserCookie);
    if (browser.isEmpty() || !constantTimeEquals(browser, transaction->browser))
        return errorPage(400, QStringLiteral("Cookies are needed"),
                         QStringLiteral("This browser did not send the login cookie. Allow cookies for this site and start again."));
    if (form->count(QStringLiteral("decision")) > 1 || !constantTimeEquals(form->value(QStringLiteral("csrf")).toLatin1(), transaction->csrf))
        return errorPage(400, QStringLiteral("The form could not be verified"), QStringLiteral("The form's security token does not match."));
    const QString decision = form->value(QStringLiteral("decision"));
    if (decision == QLatin1String("deny")) {
        const AuthorizeRequest denied = transaction->request;
        if (auto taken = m_context.state().takeTransaction(id); !taken)
            return storageUnavailable(taken.error());
        else if (!*taken)
            return errorPage(400, QStringLiteral("This login has expired"), QStringLiteral("This login was already completed."));
        return answerError(*m_context.tenant(), denied, oauth::OAuthError::accessDenied(QStringLiteral("User did not authorize the request")));
    }
    if (decision != QLatin1String("accept"))
        return errorPage(400, QStringLiteral("The form could not be read"), QStringLiteral("Choose Accept or Deny."));
    const TenantSnapshot tenant = m_context.tenant();
    const User *user = tenant->userBySubject(transaction->subject);
    if (user && !isLoopbackRedirect(transaction->request.redirectUri)) {
        QStringList scopes = grantedFor(*tenant, transaction->request, *user);
        scopes.removeAll(QStringLiteral("openid"));
        if (auto stored = m_context.consents().remember(user->subject(), transaction->request.clientId, transaction->request.audience, scopes); !stored)
            qCWarning(lcAuthorization).noquote() << stored.error();
    }
    return complete(m_context, *tenant, id, *transaction);
}

} // namespace organizer::authorization
