#pragma once

#include "tenantpage.h"

class QCheckBox;
class QListWidget;
class QTableWidget;

namespace organizer::ui::tenant {

// Machine to Machine applications: the clients that use client credentials, whether each is
// authorized for the selected API, and which of its scopes it may ask for.
class MachineToMachinePage : public TenantPage
{
    Q_OBJECT

public:
    explicit MachineToMachinePage(const app::TenantAdmin *admin, QWidget *parent = nullptr);

    void present(const QString &apiIdentifier) override;

Q_SIGNALS:
    void grantRequested(const QString &clientId, const QString &audience, bool authorized, const QStringList &scopes);

private:
    QTableWidget *m_clients = nullptr;
    QListWidget *m_scopes = nullptr;
    QCheckBox *m_authorized = nullptr;
};

} // namespace organizer::ui::tenant
