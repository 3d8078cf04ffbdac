#pragma once

#include "managementcontext.h"

namespace organizer::management {

// A user's and a role's permissions are edited alike: POST or DELETE {"permissions": […]} adds or
// removes them on what `heldBy` points at in the changed tenant; `who` names it in the log.
enum class PermissionEdit { Add, Remove };
using PermissionsHeld = std::function<QHash<QString, QStringList> *(authorization::Tenant &)>;
http::Response editPermissions(ManagementContext &context, const http::Request &request, PermissionEdit edit, const PermissionsHeld &heldBy,
                               const QString &who);

} // namespace organizer::management
