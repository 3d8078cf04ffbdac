#pragma once

#include "authorizationcontext.h"
#include "expected.h"
#include "httpmessage.h"

namespace organizer::authorization {

// A login under way between /authorize, the login page and the consent page: how long it and its code
// live, how it is looked up again and how it moves on. Shared by those three endpoints.
inline constexpr qint64 kTransactionLifetime = 15 * 60;
inline constexpr qint64 kCodeLifetime = 60;

// The database could not be used: a 503 page, the reason in the log.
http::Response storageUnavailable(const QString &reason);

// The login `id` continues, or the page that says why it cannot (expired: `expired` is shown;
// `needsUser`: the user must have logged in already).
Expected<Transaction, http::Response> pendingTransaction(AuthorizationContext &context, const QByteArray &id, const QString &expired, bool needsUser = false);

// The scopes `user` gets for `request` now (grantedscopes.h).
QStringList grantedFor(const Tenant &tenant, const AuthorizeRequest &request, const User &user);

// Continues a transaction: to the login page, then to the consent page unless the consent is
// remembered, then completes it.
http::Response advance(AuthorizationContext &context, const Tenant &tenant, const QByteArray &id, const Transaction &transaction);
// Ends the transaction, exactly once on any instance, and answers the client: a code, or the tokens.
http::Response complete(AuthorizationContext &context, const Tenant &tenant, const QByteArray &id, const Transaction &transaction);

} // namespace organizer::authorization
