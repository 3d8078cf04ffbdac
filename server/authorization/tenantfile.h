#pragma once

// The tenant file: the JSON a tenant is read from and written to (Auth0's names for every field),
// the defaults for what a file leaves out, and the tenant bundled with the server.

#include "tenant.h"

#include <QByteArray>
#include <QJsonArray>
#include <QString>

namespace organizer::authorization {

// The tenant as a tenant file writes it (parseTenant() reads it back unchanged); the Management API
// is left out and its grants name kManagementAudience again.
QByteArray tenantToJson(const Tenant &tenant);

// An API's "organizer_apis" as the tenant file and the Deploy CLI export write them: only what is read
// back, the rest (path, scopes, builtin) derived again. Empty when it declares none.
QJsonArray declaredApisToJson(const Api &api);

// Parses and checks a tenant document; an error names the field and what is wrong with it
// ("clients[1].callbacks[0]: must be an absolute http(s) URL"). The system Management API entry, which
// grants may name, is built from `management` (the management layer's route table defines it).
Expected<Tenant, QString> parseTenant(const QByteArray &json, const ManagementApiDefinition &management);
Expected<Tenant, QString> loadTenant(const QString &path, const ManagementApiDefinition &management);
QString defaultTenantPath(); // the compiled-in resource

// The grant types an application may list (Auth0's names), as the tenant file reads them, in alphabetical order.
QStringList grantTypesServed();

} // namespace organizer::authorization
