#pragma once

#include "catalogue.h"
#include "expected.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <optional>

namespace organizer::authorization {

// The paths of the authorization server's pages that read its cookies; the cookies are scoped to
// them. A loopback callback may not live below one of them, or it would receive the session.
const QStringList &sessionCookiePaths();

// A login as it is compared and counted: trimmed, Unicode NFKC, case-folded. The lookup and the
// throttle use this one form, so "ſam@example.com" (long s) is sam, on sam's failure counter.
QString normalizedLogin(const QString &login);

// A redirect to this machine (127.0.0.0/8, ::1 or "localhost"): whoever listens there cannot be
// told apart from the app, so consent for it is never skipped (RFC 8252 §8.6).
bool isLoopbackRedirect(const QUrl &redirectUri);

// What an application's URLs must be, for the tenant file and the Management API alike: why `url` cannot
// be one, or an empty string when it can. An allowed logout URL is an absolute http(s) URL without a
// fragment; a callback too, and a loopback one may not lie below a path the session cookie is sent to.
QString absoluteUrlProblem(const QString &url);
QString callbackProblem(const QString &url);

// The tenant an authorization server serves, in Auth0's terms: APIs (resource servers), applications
// (clients) and users. Read from and written to JSON by tenantfile.h; the default ships in resources/tenant.json.

struct ApiScope
{
    QString value; // "read:contacts"
    QString description; // shown on the consent page
};

enum class TokenProfile { Auth0, Rfc9068 };

struct Api
{
    QString id; // Auth0's resource server id; derived from the identifier unless the tenant file sets one
    QString name;
    QString identifier; // the audience
    QString signingAlgorithm = QStringLiteral("RS256");
    QList<ApiScope> scopes;
    qint64 tokenLifetimeSeconds = 86400;
    bool rbac = false;
    bool addPermissionsToAccessToken = false;
    TokenProfile profile = TokenProfile::Auth0;
    bool allowOfflineAccess = false;
    qint64 refreshTokenLifetimeSeconds = 2'592'000; // absolute, from the login (30 days)
    qint64 refreshTokenIdleLifetimeSeconds = 1'296'000; // without use (15 days)
    // Organizer's extension: APIs with records declared on this resource server beyond the
    // catalogue's ("organizer_apis"); served when this is the API the resource server serves.
    QList<catalogue::ApiSpec> declaredApis;
    bool system = false; // the Management API itself: listed, never changed or saved
    // The system API's scopes a user may get through their own login (from ManagementApiDefinition).
    QStringList currentUserScopes;
    // Named like the Management API this server turned out to be (kept from before such identifiers
    // were reserved): stored and listed as it is, never looked up as an audience (see bindIssuer).
    bool setAside = false;

    bool hasScope(const QString &scope) const;
    QStringList scopeValues() const;
    // The part of the scope before ':' names the API it opens on the consent page ("contacts").
    QString describe(const QString &scope) const;
    // A scope of the system API that a user's own login may be given (no client grant needed).
    bool isCurrentUserScope(const QString &scope) const { return system && currentUserScopes.contains(scope); }
};

// Auth0's token_dialect for an API: "access_token" or "rfc9068_profile", "_authz" when permissions go in
// the token. Read back by applyTokenDialect(), false for a name Auth0 does not have (the API unchanged).
QString tokenDialectOf(const Api &api);
bool applyTokenDialect(Api &api, const QString &dialect);

struct ClientGrant
{
    QString id; // "cgr_…"
    QString audience;
    QStringList scopes;
    bool setAside = false; // for an API that was set aside: never grants anything
};

struct Client
{
    QString clientId;
    QString name;
    bool confidential = false;
    QStringList grantTypes; // implicit, authorization_code, refresh_token, client_credentials, password, kPasswordRealmGrant
    QStringList callbacks; // allowed redirect URIs
    QStringList logoutUrls; // allowed returnTo / post_logout_redirect_uri
    QStringList webOrigins;
    QString secretHash; // confidential clients only
    QList<ClientGrant> clientGrants;
    bool demo = false; // refused off loopback unless --allow-demo-tenant
    // Auth0's Allowed Origins (CORS): pages that may call the token, revoke and userinfo endpoints, beside the web origins.
    QStringList allowedOrigins;
    // The members of Auth0's application that are kept and shown but not acted on (app_type, description,
    // jwt_configuration, logo_uri, refresh_token, client_metadata, …), under Auth0's names.
    QJsonObject auth0Settings;

    bool allowsGrant(const QString &grant) const { return grantTypes.contains(grant); }
    // Exact match, except that a loopback IP literal callback matches any port (RFC 8252 §7.3).
    bool allowsRedirect(const QUrl &redirectUri) const;
    bool allowsLogoutUrl(const QUrl &url) const;
    const ClientGrant *grantFor(const QString &audience) const;
    // How long its ID tokens live: Auth0's jwt_configuration.lifetime_in_seconds, or Auth0's default (10 hours).
    qint64 idTokenLifetime() const;
};

// Auth0's default ID token lifetime, and the longest it lets an application set (30 days).
inline constexpr qint64 kDefaultIdTokenLifetime = 36000;
inline constexpr qint64 kLongestIdTokenLifetime = 2'592'000;

struct User
{
    QString userId; // "alice": its sub is "auth0|alice"
    QString email;
    QString name;
    QString nickname;
    QString passwordHash;
    bool emailVerified = true;
    QHash<QString, QStringList> permissions; // assigned directly, per API identifier
    QStringList roles; // role ids
    bool demo = false;
    bool blocked = false; // Auth0's "block user": no login, no token, no refresh until unblocked
    // The members of Auth0's user that are kept and shown but not acted on (given_name, family_name, picture,
    // user_metadata, app_metadata, created_at, updated_at), under Auth0's names.
    QJsonObject auth0Profile;

    QString subject() const { return QStringLiteral("auth0|") + userId; }
};

// Auth0's RBAC: a named set of permissions that users are given together.
struct Role
{
    QString id; // "rol_…"
    QString name;
    QString description;
    QHash<QString, QStringList> permissions; // per API identifier
};

// The Management API's own audience, as tenant files write it: the issuer is known only once the
// server listens. Client grants for it hold management scopes.
inline constexpr QLatin1String kManagementAudience("{issuer}api/v2/");
// The system Management API as the management layer defines it (its route table names the scopes;
// see management::ManagementApi::definition()). The tenant file reader is handed it and builds every
// tenant's system API entry from it; no tenant file can change it.
struct ManagementApiDefinition
{
    QStringList scopes; // each needs a client grant
    // The ones a user may get through their own login (Auth0's current_user family): each acts on the
    // token's own user only.
    QStringList currentUserScopes;
};
// An identifier that is, or could become, some issuer's Management API ("https://host/…/api/v2/"):
// reserved, so no tenant API can stand in for the system API after the issuer changes.
bool looksLikeManagementIdentifier(const QString &identifier);

// Auth0's grant type for the password grant naming its connection (`realm`); an application enables it
// apart from "password", as Auth0 does.
inline constexpr QLatin1String kPasswordRealmGrant("http://auth0.com/oauth/grant-type/password-realm");
// What Auth0 calls a new tenant's database connection.
inline constexpr QLatin1String kDefaultConnectionName("Username-Password-Authentication");

struct Tenant
{
    // The name of the database connection the users below belong to (Auth0's realm): a tenant has one.
    QString connection = kDefaultConnectionName;
    QList<Api> apis;
    QList<Client> clients;
    QList<User> users;
    QList<Role> roles;
    QString managementAudience; // "{issuer}api/v2/" until bindIssuer(), then the real URL

    const Api *api(const QString &identifier) const;
    const Client *client(const QString &clientId) const;
    const User *userByLogin(const QString &login) const; // by normalizedLogin()
    const User *userBySubject(const QString &subject) const;
    const Role *role(const QString &id) const;
    bool hasDemoEntries() const;
    // What RBAC checks: the permissions assigned to the user directly and through its roles.
    QStringList permissionsOf(const User &user, const QString &apiIdentifier) const;
    // Gives the Management API its identifier (issuer + "api/v2/") and points the grants for it there.
    // An API (and the grants for it) that already bore that identifier is set aside first, so nothing
    // planted under a future issuer's identifier can stand in for the system API or its grants.
    void bindIssuer(const QString &issuer);
    // APIs a tenant file or an older server let someone name like a Management API, named in the log at
    // start; the one named exactly like this issuer's is set aside by bindIssuer() and never used.
    QStringList apisNamedLikeTheManagementApi() const;
};

// What holds for a tenant as a whole, however it was made: ids, identifiers, emails and role names
// are unique, declared APIs name no API twice, grants and permissions name real APIs and their
// scopes, users' roles exist. The first problem found, named where the tenant file keeps it
// ("clients[1].client_grants[0].audience: no API has identifier …"). Reading and writing a tenant
// file is tenantfile.h.
Expected<Done, QString> checkTenant(const Tenant &tenant);

} // namespace organizer::authorization
