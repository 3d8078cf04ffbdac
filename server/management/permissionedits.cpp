#include "permissionedits.h"

namespace organizer::management {

http::Response editPermissions(ManagementContext &context, const http::Request &request, PermissionEdit edit, const PermissionsHeld &heldBy, const QString &who)
{
    auto body = readObject(request);
    if (!body)
        return oauth::managementResponse(body.error());
    auto permissions = readPermissions(context.tenant(), *body);
    if (!permissions)
        return oauth::managementResponse(permissions.error());
    authorization::Tenant next = context.tenant();
    QHash<QString, QStringList> &held = *heldBy(next);
    QStringList names;
    for (const Permission &permission : *permissions) {
        QStringList &list = held[permission.apiIdentifier];
        if (edit == PermissionEdit::Remove)
            list.removeAll(permission.name);
        else if (!list.contains(permission.name))
            list.append(permission.name);
        names.append(permission.name);
    }
    const QString what = edit == PermissionEdit::Add ? QStringLiteral("gave %1 the permissions %2") : QStringLiteral("took the permissions %2 from %1");
    return context.commit(std::move(next), what.arg(who, names.join(QLatin1Char(' '))), [edit] {
        // Auth0 answers 201 to an assignment and 204 to a removal.
        http::Response answer = http::Response::noContent();
        if (edit == PermissionEdit::Add)
            answer.status = 201;
        return answer;
    });
}

} // namespace organizer::management
