#include "managementcontext.h"

#include "managementapi.h"
#include "passwordhash.h"
#include "tenantfile.h"

namespace organizer::management {

Q_LOGGING_CATEGORY(lcManagement, "organizer.server.management")

ManagementContext::ManagementContext(Settings settings, authorization::AuthorizationServer *authorization, store::TenantStore *store, TenantChanged changed)
    : m_settings(std::move(settings)), m_authorization(authorization), m_store(store), m_changed(std::move(changed)), m_tenant(authorization->tenant())
{}

Expected<bool, QString> ManagementContext::followStore()
{
    m_tenant = m_authorization->tenant();
    auto revision = m_store->revision(m_settings.sourceDigest);
    if (!revision)
        return Unexpected<QString>(revision.error());
    if (*revision == m_revision)
        return false;
    auto stored = m_store->load(m_settings.sourceDigest);
    if (!stored)
        return Unexpected<QString>(stored.error());
    if (!stored->has_value())
        return false;
    auto next = authorization::parseTenant((*stored)->document, ManagementApi::definition());
    if (!next)
        return Unexpected<QString>(QStringLiteral("the tenant another instance stored: %1").arg(next.error()));
    // Bound to this instance's issuer like the tenant it replaces (the same for every instance behind --public-url).
    next->bindIssuer(tenant().managementAudience.chopped(QLatin1String("api/v2/").size()));
    if (auto applied = m_changed(*next); !applied)
        return Unexpected<QString>(applied.error());
    m_authorization->replaceTenant(std::move(next).value());
    m_tenant = m_authorization->tenant();
    m_revision = (*stored)->revision;
    qCInfo(lcManagement).noquote() << "took on the tenant's revision" << m_revision << "from the shared store";
    return true;
}

QString ManagementContext::hashOf(const QString &secret)
{
    if (const auto prepared = m_prepared.hashes.constFind(secret); prepared != m_prepared.hashes.constEnd())
        return *prepared;
    qCInfo(lcManagement) << "hashing a secret under the Management API's lock: the tenant changed after the call was prepared";
    return authorization::hashPassword(secret);
}

QString ManagementContext::generatedSecret(const std::function<QString()> &make)
{
    if (!m_prepared.generated.isEmpty())
        return m_prepared.generated.takeFirst();
    return make();
}

QList<catalogue::ApiSpec> ManagementContext::servedApisOf(const authorization::Tenant &tenant) const
{
    QList<catalogue::ApiSpec> apis = m_settings.builtinApis;
    if (const authorization::Api *served = tenant.api(m_settings.servedAudience))
        apis += served->declaredApis;
    return apis;
}

http::Response ManagementContext::commit(authorization::Tenant next, const QString &what, const std::function<http::Response()> &answer)
{
    dropUndefinedPermissions(next);
    // The whole tenant is checked as a tenant file would be: what the Management API accepts, a
    // restart accepts too.
    const QByteArray document = authorization::tenantToJson(next);
    auto reread = authorization::parseTenant(document, ManagementApi::definition());
    if (!reread)
        return invalidBody(reread.error());
    // The tenant as it was (a PATCH repeating what is set): no new revision, nothing for other instances
    // to follow. Compared as stored, so whatever the stored form holds counts and nothing else does.
    if (document == authorization::tenantToJson(tenant())) {
        qCInfo(lcManagement).noquote() << what << "(no change)";
        return answer();
    }
    const authorization::Tenant before = tenant();
    auto stored = m_store->save(m_settings.sourceDigest, document, m_revision);
    if (!stored) {
        qCCritical(lcManagement).noquote() << stored.error();
        return oauth::managementResponse({oauth::ErrorCode::InternalError, QStringLiteral("The change could not be stored; see the server log"), 500});
    }
    if (!stored->has_value())
        return oauth::managementResponse(
            {oauth::ErrorCode::Conflict, QStringLiteral("The tenant was changed by another instance at the same time; read it again and retry"), 409});
    const qint64 previousRevision = m_revision;
    m_revision = **stored;
    m_authorization->replaceTenant(next);
    m_tenant = m_authorization->tenant();
    if (auto applied = m_changed(next); !applied) {
        qCCritical(lcManagement).noquote() << "undoing" << what << ":" << applied.error();
        m_authorization->replaceTenant(before);
        m_tenant = m_authorization->tenant();
        if (auto undone = m_store->save(m_settings.sourceDigest, authorization::tenantToJson(before), m_revision); undone && undone->has_value())
            m_revision = **undone;
        else
            m_revision = previousRevision; // catchUp() takes whatever is stored now
        (void)m_changed(before);
        return oauth::managementResponse(
            {oauth::ErrorCode::InternalError, QStringLiteral("The change could not be applied: %1").arg(applied.error().left(300)), 500});
    }
    qCInfo(lcManagement).noquote() << what;
    return answer();
}

void dropUndefinedPermissions(authorization::Tenant &tenant)
{
    const auto prune = [&tenant](QHash<QString, QStringList> &permissions) {
        for (auto it = permissions.begin(); it != permissions.end();) {
            const authorization::Api *api = tenant.api(it.key());
            if (!api) {
                it = permissions.erase(it);
                continue;
            }
            it->removeIf([api](const QString &scope) { return !api->hasScope(scope); });
            ++it;
        }
    };
    for (authorization::User &user : tenant.users) {
        prune(user.permissions);
        user.roles.removeIf([&tenant](const QString &id) { return !tenant.role(id); });
    }
    for (authorization::Role &role : tenant.roles)
        prune(role.permissions);
    for (authorization::Client &client : tenant.clients) {
        // A grant set aside with its API is kept as it was written: it grants nothing either way.
        client.clientGrants.removeIf([&tenant](const authorization::ClientGrant &grant) { return !grant.setAside && !tenant.api(grant.audience); });
        for (authorization::ClientGrant &grant : client.clientGrants) {
            if (grant.setAside)
                continue;
            const authorization::Api *api = tenant.api(grant.audience);
            grant.scopes.removeIf([api](const QString &scope) { return !api->hasScope(scope); });
        }
    }
}

} // namespace organizer::management
