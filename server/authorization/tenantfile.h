#pragma once

// The tenant file: the JSON a tenant is read from and written to (Auth0's names for every field),
// the defaults for what a file leaves out, and the tenant bundled with the server.

#include "tenant.h"

#include <QByteArray>
#include <QString>

namespace organizer::authorization {

// The tenant as a tenant file writes it (parseTenant() reads it back unchanged); the Management API
// is left out and its grants name kManagementAudience again.
QByteArray tenantToJson(const Tenant &tenant);

// Parses and checks a tenant document; an error names the field and what is wrong with it
// ("clients[1].callbacks[0]: must be an absolute http(s) URL").
Expected<Tenant, QString> parseTenant(const QByteArray &json);
Expected<Tenant, QString> loadTenant(const QString &path);
QString defaultTenantPath(); // the compiled-in resource

} // namespace organizer::authorization
