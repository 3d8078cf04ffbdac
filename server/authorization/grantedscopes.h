#pragma once

#include "tenant.h"

namespace organizer::authorization {

// OpenID Connect scopes are not API permissions: they are granted as requested.
bool isOpenIdScope(const QString &scope, const Api *api);

// What a user gets for a request, per the tenant's rules (Auth0's "Enable RBAC"):
// requested ∩ API scopes ∩ the user's permissions when RBAC is on, requested ∩ API scopes when off;
// OpenID scopes (and offline_access where the API allows it) pass through. Order follows the request.
// `permissions`: the user's for this API, direct and through roles (Tenant::permissionsOf).
// The Management API is never administered through a user's login, whatever the user's permissions:
// there a user flow gets the current_user scopes only, as with Auth0; the rest come from client grants.
QStringList grantedScopes(const QStringList &requested, const Api *api, const QStringList &permissions);

// The API scopes alone (what the consent page asks for and what `permissions` lists).
QStringList apiScopesOf(const QStringList &scopes, const Api *api);

QStringList splitScopes(const QString &scope);

} // namespace organizer::authorization
