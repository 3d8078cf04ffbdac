#pragma once

#include "tenantpage.h"

class QListWidget;
class QTableWidget;

namespace organizer::ui::tenant {

// Users and Roles: each user's permissions (direct or through a role) and roles; the roles and
// their permissions. With RBAC on, these decide which requested scopes a login is granted.
class UsersAndRolesPage : public TenantPage
{
    Q_OBJECT

public:
    explicit UsersAndRolesPage(const app::TenantAdmin *admin, QWidget *parent = nullptr);

    void present(const QString &apiIdentifier) override;

Q_SIGNALS:
    void addUserPermissionsRequested(const QString &userId, const QString &audience, const QStringList &scopes);
    void removeUserPermissionRequested(const QString &userId, const QString &audience, const QString &scope);
    void assignRoleRequested(const QString &userId, const QString &roleId, const QString &roleName);
    void removeRoleRequested(const QString &userId, const QString &roleId);
    void createRoleRequested(const QString &name);
    void deleteRoleRequested(const QString &roleId);
    void addRolePermissionsRequested(const QString &roleId, const QString &audience, const QStringList &scopes);
    void removeRolePermissionRequested(const QString &roleId, const QString &audience, const QString &scope);

private:
    QString selectedUser() const;
    QString selectedRole() const;
    // The selected API's scopes to pick from, or nullopt (with the reason on the status line).
    std::optional<QStringList> pickScopes(const QString &title);

    QListWidget *m_users = nullptr;
    QTableWidget *m_userPermissions = nullptr;
    QListWidget *m_userRoles = nullptr;
    QTableWidget *m_roles = nullptr;
    QListWidget *m_rolePermissions = nullptr;
};

} // namespace organizer::ui::tenant
