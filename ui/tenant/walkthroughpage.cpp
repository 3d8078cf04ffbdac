#include "walkthroughpage.h"

#include "profiles.h"
#include "tenantwidgets.h"
#include "tutorialscenario.h"

#include <QGridLayout>
#include <QVBoxLayout>

namespace organizer::ui::tenant {

WalkthroughPage::WalkthroughPage(const app::TenantAdmin *admin, QWidget *parent) : TenantPage(admin, parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(lead(tr("<h3>The tutorial, step by step</h3>"
                              "<p>One resource server, <b>Organizer Service</b> (identifier <code>organize</code>), stands for several APIs. "
                              "Each scope is one API and one action: <code>read:contacts</code> opens the contacts API for reading, "
                              "<code>read:calendar</code> the calendar API. Configure it here, then use it: log in and call both APIs. "
                              "<code>organizer --tutorial</code> starts on an empty tenant.</p>"),
                           this));
    const catalogue::ResourceServerSpec &service = catalogue::organizerService();
    const auto tutorialScopes = app::TutorialScenario::tutorialScopes();
    QStringList scopeValues;
    QList<std::pair<QString, std::function<void()>>> steps{
        {tr("Create the API “%1”: identifier %2, signing algorithm %3").arg(service.name, service.identifier, service.signingAlgorithm),
         [this] { Q_EMIT createServiceRequested(); }},
    };
    for (const auto &[value, description] : tutorialScopes) {
        scopeValues.append(value);
        steps.append({tr("Add the scope %1 (“%2”)").arg(value, description), [this, &service, value = value, description = description] {
                          const auto api = m_admin->resourceServer(service.identifier);
                          Q_EMIT addScopeRequested(api ? api->id : QString(), value, description);
                      }});
    }
    steps.append({tr("Log in asking for %1").arg(scopeValues.join(tr(" and "))), [this] { Q_EMIT loginRequested(app::defaultLoginScopes()); }});
    steps.append({tr("Call both APIs with the token"), [this] { Q_EMIT callApisRequested(); }});
    auto *grid = new QGridLayout;
    for (int i = 0; i < steps.size(); ++i) {
        auto *label = new QLabel(this);
        label->setTextFormat(Qt::RichText);
        auto *go = button(tr("Do it"), this, steps.at(i).second);
        label->setProperty("step", steps.at(i).first);
        grid->addWidget(label, i, 0);
        grid->addWidget(go, i, 1);
        m_steps.append({label, go});
    }
    grid->setColumnStretch(0, 1);
    layout->addLayout(grid);
    layout->addStretch(1);
}

void WalkthroughPage::present(const QString &apiIdentifier)
{
    m_api = apiIdentifier;
    update();
}

void WalkthroughPage::update()
{
    const catalogue::ResourceServerSpec &service = catalogue::organizerService();
    const QStringList scopes = m_admin->scopes(service.identifier);
    QList<bool> done{m_admin->resourceServer(service.identifier).has_value()};
    bool granted = m_granted.has_value();
    for (const auto &[value, description] : app::TutorialScenario::tutorialScopes()) {
        done.append(scopes.contains(value));
        granted = granted && m_granted->contains(value);
    }
    bool answered = granted;
    for (const catalogue::ApiSpec &api : service.apis)
        answered = answered && m_answered.contains(api.name);
    done << granted << answered;
    bool before = m_admin->hasTarget();
    for (int i = 0; i < m_steps.size(); ++i) {
        const auto &[label, go] = m_steps.at(i);
        const QString step = label->property("step").toString().toHtmlEscaped();
        label->setText(done.at(i) ? QStringLiteral("<span style='color:#1f8a4c'>✔</span> %1").arg(step)
                                  : QStringLiteral("<span style='color:#6b7386'>%1.</span> <b>%2</b>").arg(i + 1).arg(step));
        go->setEnabled(before && !done.at(i));
        before = before && done.at(i);
    }
}

void WalkthroughPage::setLogin(const std::optional<QStringList> &grantedScopes)
{
    m_granted = grantedScopes;
    m_answered.clear();
    update();
}

void WalkthroughPage::noteApiAnswered(const QString &apiName, int status)
{
    if (status == 200)
        m_answered.insert(apiName);
    update();
}

} // namespace organizer::ui::tenant
