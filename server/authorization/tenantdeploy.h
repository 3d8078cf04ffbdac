#pragma once

// The tenant in Auth0 Deploy CLI's shapes (auth0-deploy-cli, `a0deploy`), for `organizer-server tenant
// export/import`: the members tenant.yaml has for the parts Organizer has (resourceServers, clients,
// clientGrants, roles), as one JSON document, or the Deploy CLI's directory format
// (resource-servers/, clients/, grants/, roles/, one JSON file per entry). Users are not part of it,
// as the Deploy CLI never exports them; neither is the system Management API, nor any client secret
// (only their hashes are kept).

#include "tenant.h"

#include <QHash>
#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace organizer::authorization {

// {"resourceServers": […], "clients": […], "clientGrants": […], "roles": […]}, ordered as the tenant is.
// A client grant names its application by name, as the Deploy CLI writes it.
QJsonObject tenantToDeploy(const Tenant &tenant);

// The members of Auth0's application an application shows (Management API, export): what it keeps over what
// Organizer derives for it (app_type, token_endpoint_auth_method, is_first_party, oidc_conformant,
// jwt_configuration — the last merged member by member).
QJsonObject clientSettingsShown(const Client &client);

// `current` with `document` applied as the Deploy CLI applies it without AUTH0_ALLOW_DELETE: entries
// matched (resource servers by identifier, clients by client_id or else name, grants by application and
// audience, roles by name) are updated with the members given, the others created, nothing deleted.
// A new confidential application gets `client_secret` if the document has one, else a generated one,
// listed in `newSecrets` ("name: secret") to be shown once. The whole document is refused at its first
// problem, named by its path ("clients[2].callbacks[0]: …"); the result passes checkTenant().
Expected<Tenant, QString> applyDeploy(const Tenant &current, const QJsonObject &document, const ManagementApiDefinition &management,
                                      QStringList *newSecrets = nullptr);

// The directory format: one file per entry, named after it as the Deploy CLI names it.
Expected<Done, QString> writeDeployDirectory(const QJsonObject &document, const QString &directory);
// Reads a directory written by writeDeployDirectory() or `a0deploy export --format directory`; a
// file that is not a JSON object is named. `files` maps an entry ("clients[2]") to its file
// ("clients/Organizer Desktop.json"), for naming where a problem found later lies.
Expected<QJsonObject, QString> readDeployDirectory(const QString &directory, QHash<QString, QString> *files = nullptr);

// The Deploy CLI's YAML format (tenant.yaml): the same document in YAML (libyaml). Reading takes YAML 1.1's
// plain scalars as a0deploy's js-yaml does (true/false, null, numbers; anything quoted is a string) and refuses
// more than a tenant could hold (aliases expanded past 100,000 values, nesting past 64); a problem is named by
// its line and column.
QByteArray deployToYaml(const QJsonObject &document);
Expected<QJsonObject, QString> deployFromYaml(const QByteArray &yaml);

} // namespace organizer::authorization
