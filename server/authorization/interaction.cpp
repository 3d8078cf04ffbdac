#include "interaction.h"

#include "authorizeresponse.h"
#include "consentstore.h"
#include "grantedscopes.h"
#include "pages.h"

namespace organizer::authorization {

using oauth::ErrorCode;
using oauth::OAuthError;

namespace {

OAuthError userGone()
{
    return {ErrorCode::LoginRequired, QStringLiteral("the user no longer exists"), 400};
}

} // namespace

http::Response storageUnavailable(const QString &reason)
{
    qCCritical(lcAuthorization).noquote() << reason;
    http::Response busy = errorPage(503, QStringLiteral("The login service is unavailable"),
                                    QStringLiteral("The login service cannot reach its database. Try again in a moment."));
    busy.setHeader("retry-after", "5");
    return busy;
}

Expected<Transaction, http::Response> pendingTransaction(AuthorizationContext &context, const QByteArray &id, const QString &expired, bool needsUser)
{
    auto found = context.state().transaction(id);
    if (!found)
        return Unexpected<http::Response>(storageUnavailable(found.error()));
    if (!found->has_value() || (needsUser && (*found)->subject.isEmpty()))
        return Unexpected<http::Response>(errorPage(400, QStringLiteral("This login has expired"), expired));
    return std::move(**found);
}

QStringList grantedFor(const Tenant &tenant, const AuthorizeRequest &request, const User &user)
{
    const Api *api = tenant.api(request.audience);
    return grantedScopes(request.scopes, api, api ? tenant.permissionsOf(user, api->identifier) : QStringList());
}

http::Response advance(AuthorizationContext &context, const Tenant &tenant, const QByteArray &id, const Transaction &transaction)
{
    const AuthorizeRequest &request = transaction.request;
    if (transaction.subject.isEmpty()) {
        QUrl login(QStringLiteral("/login"));
        login.setQuery(QStringLiteral("transaction=") + QString::fromLatin1(id));
        return redirect(login);
    }
    const User *user = tenant.userBySubject(transaction.subject);
    if (!user)
        return answerError(tenant, request, userGone());
    QStringList toConsent = grantedFor(tenant, request, *user);
    toConsent.removeAll(QStringLiteral("openid"));
    // RFC 8252 §8.6, as Auth0 does: any local process can listen on a loopback redirect, so the
    // server cannot know which app it is talking to; consent there is always asked, never remembered.
    const bool loopback = isLoopbackRedirect(request.redirectUri);
    const bool remembered = !loopback && context.consents().covers(user->subject(), request.clientId, request.audience, toConsent);
    if (!remembered || request.prompt == QLatin1String("consent")) {
        if (request.prompt == QLatin1String("none"))
            return answerError(tenant, request,
                               {ErrorCode::ConsentRequired,
                                loopback ? QStringLiteral("consent for a loopback redirect URI is asked every time")
                                         : QStringLiteral("the user has not consented to these scopes yet"),
                                400});
        QUrl consentUrl(QStringLiteral("/consent"));
        consentUrl.setQuery(QStringLiteral("transaction=") + QString::fromLatin1(id));
        return redirect(consentUrl);
    }
    return complete(context, tenant, id, transaction);
}

http::Response complete(AuthorizationContext &context, const Tenant &tenant, const QByteArray &id, const Transaction &transaction)
{
    const AuthorizeRequest request = transaction.request;
    const User *user = tenant.userBySubject(transaction.subject);
    const qint64 authTime = transaction.authTime;
    // Exactly once, even when the same consent is answered twice at once on two instances.
    auto taken = context.state().takeTransaction(id);
    if (!taken)
        return storageUnavailable(taken.error());
    if (!*taken)
        return errorPage(400, QStringLiteral("This login has expired"), QStringLiteral("This login was already completed."));
    if (!user)
        return answerError(tenant, request, userGone());
    const QStringList scopes = grantedFor(tenant, request, *user);
    const Api *api = tenant.api(request.audience);

    QList<QPair<QString, QString>> parameters;
    if (request.wantsCode) {
        const QByteArray code = randomToken();
        Code issued;
        issued.request = request;
        issued.subject = user->subject();
        issued.scopes = scopes;
        issued.authTime = authTime;
        issued.expiresAt = context.now() + kCodeLifetime;
        if (auto stored = context.state().putCode(storedHashOf(code), issued); !stored) {
            qCCritical(lcAuthorization).noquote() << stored.error();
            return answerError(tenant, request, {ErrorCode::TemporarilyUnavailable, QStringLiteral("the authorization code could not be stored"), 503});
        }
        parameters = {{QStringLiteral("code"), QString::fromLatin1(code)}, {QStringLiteral("state"), request.state}};
        return answer(tenant, request, parameters);
    }
    const TokenMinter &minter = context.minter();
    QByteArray accessToken;
    if (request.wantsAccessToken) {
        auto minted = minter.accessToken(api, user->subject(), request.clientId, scopes, false);
        if (!minted)
            return answerError(tenant, request, OAuthError::serverError(QStringLiteral("the access token could not be signed")));
        accessToken = minted->token;
        parameters += {{QStringLiteral("access_token"), QString::fromLatin1(accessToken)},
                       {QStringLiteral("token_type"), QStringLiteral("Bearer")},
                       {QStringLiteral("expires_in"), QString::number(minted->expiresIn)}};
    }
    parameters.append({QStringLiteral("scope"), scopes.join(QLatin1Char(' '))});
    if (request.wantsIdToken) {
        const Client *client = tenant.client(request.clientId);
        const qint64 lifetime = client ? client->idTokenLifetime() : kDefaultIdTokenLifetime;
        auto idToken = minter.idToken({user, request.clientId, request.nonce, scopes, authTime, accessToken, {}, lifetime});
        if (!idToken)
            return answerError(tenant, request, OAuthError::serverError(QStringLiteral("the ID token could not be signed")));
        parameters.append({QStringLiteral("id_token"), QString::fromLatin1(*idToken)});
    }
    parameters.append({QStringLiteral("state"), request.state});
    qCInfo(lcAuthorization).noquote() << "issued" << request.responseType << "to" << request.clientId << "for" << user->subject() << "scope"
                                      << scopes.join(QLatin1Char(' '));
    return answer(tenant, request, parameters);
}

} // namespace organizer::authorization
