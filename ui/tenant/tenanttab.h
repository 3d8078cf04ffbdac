#pragma once

#include "tenantadmin.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QTableWidget;

namespace organizer::ui {

// The tutorial's dashboard steps, in the Auth0 dashboard's order: APIs (create one) → its Settings
// (token lifetime, RBAC, offline access) → Scopes (add with a description, remove) → Machine to
// Machine applications (authorize a client, pick its scopes) → Users and Roles (permissions per
// user, roles) — and a walkthrough that follows the tutorial on an empty tenant. It presents what
// TenantAdmin read and hands it every change; it never speaks HTTP itself.
class TenantTab : public QWidget
{
    Q_OBJECT

public:
    enum class Page { Walkthrough, Apis, Settings, Scopes, MachineToMachine, UsersAndRoles };

    TenantTab(app::TenantAdmin *admin, QWidget *parent = nullptr);

    void showPage(Page page);
    // The API the Settings, Scopes and Machine to Machine pages show (by identifier).
    void selectApi(const QString &identifier);
    QString selectedApi() const;
    // What the walkthrough's last two steps wait for: a login with these scopes, and answers from the APIs.
    void setLogin(const std::optional<QStringList> &grantedScopes);
    void noteApiAnswered(const QString &apiName, int status);

Q_SIGNALS:
    void loginRequested(const QStringList &scopes);
    void callApisRequested();

private:
    QWidget *buildWalkthrough();
    QWidget *buildApis();
    QWidget *buildSettings();
    QWidget *buildScopes();
    QWidget *buildMachineToMachine();
    QWidget *buildUsersAndRoles();
    void refresh();
    void refreshWalkthrough();
    void refreshApis();
    void refreshSettings();
    void refreshScopes();
    void refreshMachineToMachine();
    void refreshUsersAndRoles();
    void createApi();
    QJsonObject currentApi() const;
    QString selectedUser() const;
    QString selectedRole() const;
    QString selectedClient() const;
    // The current API's scopes, as checkboxes in a dialog; the ones picked.
    std::optional<QStringList> pickScopes(const QString &title, const QStringList &preselected);
    app::TenantAdmin::Done report(const QString &done);

    app::TenantAdmin *m_admin;
    QLabel *m_target = nullptr;
    QLabel *m_status = nullptr;
    QComboBox *m_apiBox = nullptr;
    QListWidget *m_nav = nullptr;
    QStackedWidget *m_pages = nullptr;
    // Walkthrough
    QList<QPair<QLabel *, QPushButton *>> m_steps;
    std::optional<QStringList> m_granted;
    QSet<QString> m_answered; // APIs that answered 200 with this login
    // APIs
    QTableWidget *m_apis = nullptr;
    QPushButton *m_deleteApi = nullptr;
    // Settings
    QSpinBox *m_lifetime = nullptr;
    QCheckBox *m_rbac = nullptr;
    QCheckBox *m_permissionsInToken = nullptr;
    QCheckBox *m_offline = nullptr;
    QPushButton *m_saveSettings = nullptr;
    // Scopes
    QTableWidget *m_scopes = nullptr;
    QLineEdit *m_scopeValue = nullptr;
    QLineEdit *m_scopeDescription = nullptr;
    // Machine to Machine
    QTableWidget *m_clients = nullptr;
    QListWidget *m_clientScopes = nullptr;
    QCheckBox *m_authorized = nullptr;
    // Users and roles
    QListWidget *m_users = nullptr;
    QTableWidget *m_userPermissions = nullptr;
    QListWidget *m_userRoles = nullptr;
    QTableWidget *m_roles = nullptr;
    QListWidget *m_rolePermissions = nullptr;
};

} // namespace organizer::ui
