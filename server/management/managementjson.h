#pragma once

#include "httpmessage.h"
#include "jsonreader.h"
#include "oautherror.h"
#include "tenant.h"

#include <QJsonArray>
#include <QJsonObject>

namespace organizer::management {

// Errors are answered in Auth0's dialect, oauth::managementResponse(); this one is common enough to name:
// 400 "Payload validation error: '…'.", errorCode invalid_body.
oauth::OAuthError payloadError(const QString &problem);
http::Response invalidBody(const QString &problem);
// A problem JsonReader found in a request body, in Auth0's words: a member it does not know is
// "Additional properties not allowed: scopes[0].foo", anything else is named by its path.
QString payloadProblem(const JsonProblem &problem);
http::Response invalidBody(const JsonProblem &problem);
http::Response jsonAnswer(int status, const QJsonValue &value);

// The request's JSON object, or the error that says why there is none.
Expected<QJsonObject, oauth::OAuthError> readObject(const http::Request &request);

// Every request body is read by one of these: problems in the Management API's words ("enforce_policies:
// must be true or false"), a member a call needs and lacks in Auth0's ("Missing required property: name").
JsonReader bodyReader(const QJsonObject &body);
// Auth0's words for a member a call cannot do without, absent or unusable; `detail` follows its name:
// "Missing required property: scope (an array of scopes)". Give it as a reader's `expected` words.
QString missingProperty(const QString &detail = {});
// A string of length.min to length.max characters; a blank one is as short as an empty one. Trimmed: the
// spaces around it are dropped before it is measured and returned. `expected` words every problem with
// it but its absence, which the body's words name ("Missing required property: name").
enum class Spaces { Kept, Trimmed };
std::optional<QString> boundedString(const JsonReader &at, JsonCount length, Spaces spaces, const QString &expected,
                                     JsonReader::Presence presence = JsonReader::Optional);
// The error for the first problem `read` found, if any, and its 400.
std::optional<oauth::OAuthError> firstProblemOf(const JsonReader &read);
std::optional<http::Response> refusalOf(const JsonReader &read);

// A list the way Auth0 pages it: `page` (from 0) and `per_page` (default 50, at most 100); a bare
// array, or {"start", "limit", "length", "total", key: […]} with include_totals=true.
// Where Auth0 also pages a list by checkpoint (clients, client grants: give `checkpointKey`, the member
// that names an item), `from` or `take` switch to it, as Auth0's own SDK and Deploy CLI use it: `take`
// items (default 50, more than 100 read as 100) from `from` (the `next` of the page before) in the
// order of that member, answered {key: […], "next": "…"} with no `next` on the last page. Ordered by
// name, a page boundary holds while items come and go between calls (nothing skipped or repeated that
// stayed). page, per_page and include_totals are not read then, as with Auth0.
http::Response pageOf(const http::Request &request, const QString &key, const QJsonArray &all, const QString &checkpointKey = {});

// Permissions in requests and answers: {"resource_server_identifier": "organize", "permission_name": "read:contacts"}.
struct Permission
{
    QString apiIdentifier;
    QString name;
};
Expected<QList<Permission>, oauth::OAuthError> readPermissions(const authorization::Tenant &tenant, const QJsonObject &body);

// Entities in Auth0's shapes.
QJsonObject resourceServerJson(const authorization::Api &api, const QList<catalogue::ApiSpec> &servedApis);
// An application in Auth0's shape: the members Organizer acts on, Auth0's defaults for the ones it
// keeps and was never given (app_type, is_first_party, oidc_conformant, jwt_configuration), and the rest
// as kept. Never its secret, which only its hash stands for (see Clients).
QJsonObject clientJson(const authorization::Client &client);
// Auth0's token_endpoint_auth_method for `client`: none for a public one, else the kept
// client_secret_post or client_secret_basic (client_secret_post when none was given).
QString tokenEndpointAuthMethodOf(const authorization::Client &client);
QJsonObject clientGrantJson(const authorization::Client &client, const authorization::ClientGrant &grant);
// A user of the tenant's database connection `connection`, in Auth0's shape: what Organizer acts on and the
// kept members (given_name, family_name, picture, user_metadata, app_metadata, created_at, updated_at).
QJsonObject userJson(const authorization::User &user, const QString &connection);
QJsonObject roleJson(const authorization::Role &role);

} // namespace organizer::management
