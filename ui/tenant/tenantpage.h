#pragma once

#include "tenantadmin.h"

#include <QWidget>

namespace organizer::ui::tenant {

// One page of the Tenant tab: it presents what TenantAdmin read (typed values, never the wire
// format) for the selected API, and turns clicks into intents; the tab hands those to the app's
// TenantController.
class TenantPage : public QWidget
{
    Q_OBJECT

public:
    TenantPage(const app::TenantAdmin *admin, QWidget *parent) : QWidget(parent), m_admin(admin) {}

    // Shows the tenant as it is now, for the API `apiIdentifier` (the tab's API box).
    virtual void present(const QString &apiIdentifier) = 0;

Q_SIGNALS:
    // A sentence for the tab's status line: plain, or a problem the person can fix.
    void notice(const QString &text);
    void problem(const QString &text);

protected:
    const app::TenantAdmin *m_admin;
    QString m_api; // the selected API's identifier, as last presented
};

} // namespace organizer::ui::tenant
