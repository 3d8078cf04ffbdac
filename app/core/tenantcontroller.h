#pragma once

#include "tenantadmin.h"

#include <QObject>

namespace organizer::app {

// What the Tenant tab's pages ask for, decided here: which change goes to the Management API (the
// walkthrough's first step creates the catalogue's Organizer Service), and what the person is told
// when it went through. The pages present TenantAdmin's typed values and emit intents; the tab
// connects those to these slots and shows what done() and failed() say.
class TenantController : public QObject
{
    Q_OBJECT

public:
    explicit TenantController(TenantAdmin *admin, QObject *parent = nullptr);

    // What the pages present (read only: changes go through the slots below).
    const TenantAdmin *admin() const { return m_admin; }

public Q_SLOTS:
    void reload();
    // The walkthrough's first step: the API the catalogue describes (Organizer Service, "organize").
    void createOrganizerService();
    void createApi(const QString &name, const QString &identifier, const QString &signingAlgorithm);
    void deleteApi(const QString &id, const QString &name);
    void saveApiSettings(const QString &id, const QString &name, const organizer::app::ApiSettingsEdit &edit);
    void addScope(const QString &apiId, const QString &value, const QString &description);
    void removeScope(const QString &apiId, const QString &value);
    void setClientGrant(const QString &clientId, const QString &audience, bool authorized, const QStringList &scopes);
    void addUserPermissions(const QString &userId, const QString &audience, const QStringList &scopes);
    void removeUserPermission(const QString &userId, const QString &audience, const QString &scope);
    void assignRole(const QString &userId, const QString &roleId, const QString &roleName);
    void removeRole(const QString &userId, const QString &roleId);
    void createRole(const QString &name);
    void deleteRole(const QString &roleId);
    void addRolePermissions(const QString &roleId, const QString &audience, const QStringList &scopes);
    void removeRolePermission(const QString &roleId, const QString &audience, const QString &scope);

Q_SIGNALS:
    // A change went through: one sentence for the person. Refusals come through failed().
    void done(const QString &sentence);
    void failed(const QString &sentence);
    // An API was created from the APIs page: its scopes come next.
    void apiCreated(const QString &identifier);

private:
    TenantAdmin::Done report(const QString &sentence);

    TenantAdmin *m_admin;
};

} // namespace organizer::app
