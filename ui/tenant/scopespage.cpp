#include "scopespage.h"

#include "tenantwidgets.h"

#include <QHBoxLayout>
#include <QLineEdit>
#include <QMessageBox>
#include <QVBoxLayout>

namespace organizer::ui::tenant {

ScopesPage::ScopesPage(const app::TenantAdmin *admin, QWidget *parent) : TenantPage(admin, parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(lead(tr("<h3>Scopes</h3><p>One scope per API and action, <code>action:api</code>: think of each API as a microservice. "
                              "You can create any number of scopes.</p>"),
                           this));
    m_scopes = table({tr("Scope"), tr("Description")}, this);
    layout->addWidget(m_scopes, 1);
    auto *add = new QHBoxLayout;
    // The empty fields hint at the catalogue's first scope and its description.
    const catalogue::ApiSpec &example = catalogue::organizerService().apis.at(0);
    m_value = new QLineEdit(this);
    m_value->setPlaceholderText(example.scope(catalogue::Action::Read));
    m_description = new QLineEdit(this);
    m_description->setPlaceholderText(example.scopeDescription(catalogue::Action::Read));
    add->addWidget(m_value);
    add->addWidget(m_description, 1);
    add->addWidget(button(tr("Add"), this, [this, example = example.scope(catalogue::Action::Read)] {
        const QString value = m_value->text().trimmed();
        if (value.isEmpty() || value.contains(QLatin1Char(' '))) {
            Q_EMIT problem(tr("A scope is one word without spaces, like %1.").arg(example));
            return;
        }
        Q_EMIT addScopeRequested(apiId(), value, m_description->text().trimmed());
        m_value->clear();
        m_description->clear();
    }));
    add->addWidget(button(tr("Remove"), this, [this] {
        const QString value = selectedKey(m_scopes);
        if (value.isEmpty())
            return;
        if (QMessageBox::question(this, tr("Remove scope"),
                                  tr("Remove %1? Tokens are no longer granted it, and it opens nothing, even on tokens issued before.").arg(value))
            != QMessageBox::Yes)
            return;
        Q_EMIT removeScopeRequested(apiId(), value);
    }));
    layout->addLayout(add);
}

QString ScopesPage::apiId() const
{
    const auto api = m_admin->resourceServer(m_api);
    return api ? api->id : QString();
}

void ScopesPage::present(const QString &apiIdentifier)
{
    m_api = apiIdentifier;
    const QString keep = selectedKey(m_scopes);
    m_scopes->setRowCount(0);
    const auto api = m_admin->resourceServer(apiIdentifier);
    for (const app::ScopeDefinition &scope : api ? api->scopes : QList<app::ScopeDefinition>()) {
        const int row = m_scopes->rowCount();
        m_scopes->insertRow(row);
        setRow(m_scopes, row, {scope.value, scope.description}, scope.value);
    }
    m_scopes->resizeColumnToContents(0);
    reselect(m_scopes, keep);
}

} // namespace organizer::ui::tenant
