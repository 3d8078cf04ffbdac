#include "usersandrolespage.h"

#include "tenantwidgets.h"

#include <QGroupBox>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QListWidget>
#include <QVBoxLayout>

namespace organizer::ui::tenant {

UsersAndRolesPage::UsersAndRolesPage(const app::TenantAdmin *admin, QWidget *parent) : TenantPage(admin, parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(lead(tr("<h3>Users and Roles</h3><p>With RBAC on, a user is granted the requested scopes it holds as permissions: "
                              "assigned directly or through its roles.</p>"),
                           this));
    auto *users = new QGroupBox(tr("Users"), this);
    auto *usersLayout = new QHBoxLayout(users);
    m_users = new QListWidget(users);
    m_users->setMaximumWidth(220);
    usersLayout->addWidget(m_users);
    auto *userDetail = new QVBoxLayout;
    m_userPermissions = table({tr("Permission"), tr("API"), tr("From")}, users);
    userDetail->addWidget(m_userPermissions, 1);
    auto *permissionButtons = new QHBoxLayout;
    permissionButtons->addWidget(button(tr("Assign permissions…"), users, [this] {
        const QString user = selectedUser();
        if (user.isEmpty())
            return;
        if (auto scopes = pickScopes(tr("Permissions for %1").arg(user)); scopes && !scopes->isEmpty())
            Q_EMIT addUserPermissionsRequested(user, m_api, *scopes);
    }));
    permissionButtons->addWidget(button(tr("Remove permission"), users, [this] {
        const auto items = m_userPermissions->selectedItems();
        if (items.isEmpty() || selectedUser().isEmpty())
            return;
        const app::Permission permission = m_admin->userPermissions(selectedUser()).value(items.first()->row());
        if (!permission.isDirect()) {
            Q_EMIT notice(tr("That permission comes from a role: remove the role, or the permission from the role."));
            return;
        }
        Q_EMIT removeUserPermissionRequested(selectedUser(), permission.audience, permission.scope);
    }));
    permissionButtons->addStretch(1);
    userDetail->addLayout(permissionButtons);
    m_userRoles = new QListWidget(users);
    m_userRoles->setMaximumHeight(80);
    userDetail->addWidget(new QLabel(tr("Roles"), users));
    userDetail->addWidget(m_userRoles);
    auto *roleButtons = new QHBoxLayout;
    roleButtons->addWidget(button(tr("Assign role…"), users, [this] {
        QStringList names;
        for (const app::Role &role : m_admin->roles())
            names.append(role.name);
        if (names.isEmpty() || selectedUser().isEmpty())
            return;
        bool ok = false;
        const QString name = QInputDialog::getItem(this, tr("Assign role"), tr("Role"), names, 0, false, &ok);
        if (!ok)
            return;
        for (const app::Role &role : m_admin->roles()) {
            if (role.name == name)
                Q_EMIT assignRoleRequested(selectedUser(), role.id, name);
        }
    }));
    roleButtons->addWidget(button(tr("Remove role"), users, [this] {
        if (!m_userRoles->currentItem() || selectedUser().isEmpty())
            return;
        Q_EMIT removeRoleRequested(selectedUser(), m_userRoles->currentItem()->data(Qt::UserRole).toString());
    }));
    roleButtons->addStretch(1);
    userDetail->addLayout(roleButtons);
    usersLayout->addLayout(userDetail, 1);
    layout->addWidget(users, 2);

    auto *roles = new QGroupBox(tr("Roles"), this);
    auto *rolesLayout = new QHBoxLayout(roles);
    m_roles = table({tr("Role"), tr("Description")}, roles);
    rolesLayout->addWidget(m_roles, 1);
    auto *roleDetail = new QVBoxLayout;
    roleDetail->addWidget(new QLabel(tr("Permissions of the selected role"), roles));
    m_rolePermissions = new QListWidget(roles);
    roleDetail->addWidget(m_rolePermissions, 1);
    auto *roleRow = new QHBoxLayout;
    roleRow->addWidget(button(tr("Create role…"), roles, [this] {
        bool ok = false;
        const QString name = QInputDialog::getText(this, tr("Create role"), tr("Name"), QLineEdit::Normal, QString(), &ok).trimmed();
        if (ok && !name.isEmpty())
            Q_EMIT createRoleRequested(name);
    }));
    roleRow->addWidget(button(tr("Delete role"), roles, [this] {
        if (!selectedRole().isEmpty())
            Q_EMIT deleteRoleRequested(selectedRole());
    }));
    roleRow->addWidget(button(tr("Add permissions…"), roles, [this] {
        if (selectedRole().isEmpty())
            return;
        if (auto scopes = pickScopes(tr("Permissions of the role")); scopes && !scopes->isEmpty())
            Q_EMIT addRolePermissionsRequested(selectedRole(), m_api, *scopes);
    }));
    roleRow->addWidget(button(tr("Remove permission"), roles, [this] {
        if (selectedRole().isEmpty() || !m_rolePermissions->currentItem())
            return;
        const QStringList parts = m_rolePermissions->currentItem()->data(Qt::UserRole).toStringList();
        Q_EMIT removeRolePermissionRequested(selectedRole(), parts.value(0), parts.value(1));
    }));
    roleDetail->addLayout(roleRow);
    rolesLayout->addLayout(roleDetail, 1);
    layout->addWidget(roles, 1);
    connect(m_users, &QListWidget::currentRowChanged, this, [this] { present(m_api); });
    connect(m_roles, &QTableWidget::itemSelectionChanged, this, [this] { present(m_api); });
}

QString UsersAndRolesPage::selectedUser() const
{
    return m_users->currentItem() ? m_users->currentItem()->data(Qt::UserRole).toString() : QString();
}

QString UsersAndRolesPage::selectedRole() const
{
    return selectedKey(m_roles);
}

std::optional<QStringList> UsersAndRolesPage::pickScopes(const QString &title)
{
    const QStringList scopes = m_admin->scopes(m_api);
    if (scopes.isEmpty()) {
        Q_EMIT notice(tr("The API %1 has no scopes yet: add some on its Scopes page.").arg(m_api));
        return std::nullopt;
    }
    return tenant::pickScopes(this, title, m_api, scopes);
}

void UsersAndRolesPage::present(const QString &apiIdentifier)
{
    m_api = apiIdentifier;
    const QString keepUser = selectedUser();
    {
        const QSignalBlocker blocker(m_users);
        m_users->clear();
        for (const app::User &user : m_admin->users()) {
            auto *item = new QListWidgetItem(QStringLiteral("%1\n%2").arg(user.name, user.email), m_users);
            item->setData(Qt::UserRole, user.userId);
            if (user.userId == keepUser)
                m_users->setCurrentItem(item);
        }
        if (!m_users->currentItem() && m_users->count() > 0)
            m_users->setCurrentRow(0);
    }
    m_userPermissions->setRowCount(0);
    for (const app::Permission &permission : m_admin->userPermissions(selectedUser())) {
        QStringList sources;
        for (const app::Permission::Source &source : permission.sources)
            sources.append(source.fromRole ? tr("role %1").arg(source.roleName) : tr("direct"));
        const int row = m_userPermissions->rowCount();
        m_userPermissions->insertRow(row);
        setRow(m_userPermissions, row, {permission.scope, permission.audience, sources.join(QStringLiteral(", "))}, permission.scope);
    }
    m_userPermissions->resizeColumnsToContents();
    m_userRoles->clear();
    for (const app::Role &role : m_admin->userRoles(selectedUser())) {
        auto *item = new QListWidgetItem(role.name, m_userRoles);
        item->setData(Qt::UserRole, role.id);
    }
    const QString keepRole = selectedRole();
    {
        const QSignalBlocker blocker(m_roles);
        m_roles->setRowCount(0);
        for (const app::Role &role : m_admin->roles()) {
            const int row = m_roles->rowCount();
            m_roles->insertRow(row);
            setRow(m_roles, row, {role.name, role.description}, role.id);
        }
        reselect(m_roles, keepRole.isEmpty() && m_roles->rowCount() > 0 ? m_roles->item(0, 0)->data(Qt::UserRole).toString() : keepRole);
        m_roles->resizeRowsToContents();
    }
    m_rolePermissions->clear();
    for (const app::Permission &permission : m_admin->rolePermissions(selectedRole())) {
        auto *item = new QListWidgetItem(QStringLiteral("%1  (%2)").arg(permission.scope, permission.audience), m_rolePermissions);
        item->setData(Qt::UserRole, QStringList{permission.audience, permission.scope});
    }
}

} // namespace organizer::ui::tenant
