#include "tenantcontroller.h"

#include "catalogue.h"

namespace organizer::app {

TenantController::TenantController(TenantAdmin *admin, QObject *parent) : QObject(parent), m_admin(admin)
{
    connect(m_admin, &TenantAdmin::failed, this, &TenantController::failed);
}

TenantAdmin::Done TenantController::report(const QString &sentence)
{
    return [this, sentence](bool ok, const QString &) {
        if (ok)
            Q_EMIT done(sentence);
    };
}

void TenantController::reload()
{
    m_admin->reload();
}

void TenantController::createOrganizerService()
{
    const catalogue::ResourceServerSpec &service = catalogue::organizerService();
    m_admin->createApi(service.name, service.identifier, service.signingAlgorithm, report(tr("Created %1.").arg(service.name)));
}

void TenantController::createApi(const QString &name, const QString &identifier, const QString &signingAlgorithm)
{
    m_admin->createApi(name, identifier, signingAlgorithm, [this, identifier](bool ok, const QString &) {
        if (!ok)
            return;
        Q_EMIT apiCreated(identifier);
        Q_EMIT done(
            tr("Created. Now add its scopes: one per API and action, like %1.").arg(catalogue::organizerService().apis.at(0).scope(catalogue::Action::Read)));
    });
}

void TenantController::deleteApi(const QString &id, const QString &name)
{
    m_admin->deleteApi(id, report(tr("Deleted %1.").arg(name)));
}

void TenantController::saveApiSettings(const QString &id, const QString &name, const ApiSettingsEdit &edit)
{
    m_admin->updateApiSettings(id, edit, report(tr("Saved the settings of %1.").arg(name)));
}

void TenantController::addScope(const QString &apiId, const QString &value, const QString &description)
{
    m_admin->addScope(apiId, value, description, report(tr("Added %1.").arg(value)));
}

void TenantController::removeScope(const QString &apiId, const QString &value)
{
    m_admin->removeScope(apiId, value, report(tr("Removed %1.").arg(value)));
}

void TenantController::setClientGrant(const QString &clientId, const QString &audience, bool authorized, const QStringList &scopes)
{
    m_admin->setClientGrant(clientId, audience, authorized, scopes, report(tr("Updated what %1 may ask for.").arg(clientId)));
}

void TenantController::addUserPermissions(const QString &userId, const QString &audience, const QStringList &scopes)
{
    m_admin->addUserPermissions(userId, audience, scopes, report(tr("Gave %1 %2.").arg(userId, scopes.join(QLatin1Char(' ')))));
}

void TenantController::removeUserPermission(const QString &userId, const QString &audience, const QString &scope)
{
    m_admin->removeUserPermissions(userId, audience, {scope}, report(tr("Removed %1.").arg(scope)));
}

void TenantController::assignRole(const QString &userId, const QString &roleId, const QString &roleName)
{
    m_admin->assignRoles(userId, {roleId}, report(tr("Gave %1 the role %2.").arg(userId, roleName)));
}

void TenantController::removeRole(const QString &userId, const QString &roleId)
{
    m_admin->removeRoles(userId, {roleId}, report(tr("Removed the role.")));
}

void TenantController::createRole(const QString &name)
{
    m_admin->createRole(name, QString(), report(tr("Created the role %1.").arg(name)));
}

void TenantController::deleteRole(const QString &roleId)
{
    m_admin->deleteRole(roleId, report(tr("Deleted the role.")));
}

void TenantController::addRolePermissions(const QString &roleId, const QString &audience, const QStringList &scopes)
{
    m_admin->addRolePermissions(roleId, audience, scopes, report(tr("Added %1 to the role.").arg(scopes.join(QLatin1Char(' ')))));
}

void TenantController::removeRolePermission(const QString &roleId, const QString &audience, const QString &scope)
{
    m_admin->removeRolePermissions(roleId, audience, {scope}, report(tr("Removed %1 from the role.").arg(scope)));
}

} // namespace organizer::app
