#pragma once

#include "tenantpage.h"

class QLineEdit;
class QTableWidget;

namespace organizer::ui::tenant {

// Scopes of the selected API: one per API and action, added with a description, removed after a warning.
class ScopesPage : public TenantPage
{
    Q_OBJECT

public:
    explicit ScopesPage(const app::TenantAdmin *admin, QWidget *parent = nullptr);

    void present(const QString &apiIdentifier) override;

Q_SIGNALS:
    void addScopeRequested(const QString &apiId, const QString &value, const QString &description);
    void removeScopeRequested(const QString &apiId, const QString &value);

private:
    QString apiId() const;

    QTableWidget *m_scopes = nullptr;
    QLineEdit *m_value = nullptr;
    QLineEdit *m_description = nullptr;
};

} // namespace organizer::ui::tenant
