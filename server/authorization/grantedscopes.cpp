#include "grantedscopes.h"

namespace organizer::authorization {

bool isOpenIdScope(const QString &scope, const Api *api)
{
    if (scope == QLatin1String("openid") || scope == QLatin1String("profile") || scope == QLatin1String("email"))
        return true;
    return scope == QLatin1String("offline_access") && api && api->allowOfflineAccess;
}

QStringList splitScopes(const QString &scope)
{
    QStringList out;
    for (const QString &entry : scope.split(QLatin1Char(' '), Qt::SkipEmptyParts)) {
        if (!out.contains(entry))
            out.append(entry);
    }
    return out;
}

QStringList apiScopesOf(const QStringList &scopes, const Api *api)
{
    QStringList out;
    if (!api)
        return out;
    for (const QString &scope : scopes) {
        if (api->hasScope(scope))
            out.append(scope);
    }
    return out;
}

QStringList grantedScopes(const QStringList &requested, const Api *api, const QStringList &permissions)
{
    QStringList granted;
    for (const QString &scope : requested) {
        if (isOpenIdScope(scope, api)) {
            granted.append(scope);
        } else if (api && api->system) {
            if (api->isCurrentUserScope(scope))
                granted.append(scope);
        } else if (api && api->hasScope(scope) && (!api->rbac || permissions.contains(scope))) {
            granted.append(scope);
        }
    }
    return granted;
}

} // namespace organizer::authorization
