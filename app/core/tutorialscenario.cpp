#include "tutorialscenario.h"

#include <QDir>
#include <QFile>

namespace organizer::app {

TutorialScenario::TutorialScenario(AppController *app, LoginBrowser *browser, DemoOptions options, QObject *parent)
    : QObject(parent), m_app(app), m_server(app->server()), m_admin(app->tenantAdmin()), m_browser(browser), m_options(std::move(options))
{}

QString TutorialScenario::emptyTenantResource()
{
    return QStringLiteral(":/organizer/tutorial-tenant.json");
}

Expected<QStringList, QString> TutorialScenario::prepareEmptyTenant(const QString &scratchDir)
{
    const QString tenantPath = QDir(scratchDir).filePath(QStringLiteral("tenant.json"));
    QFile::remove(tenantPath);
    if (!QFile::copy(emptyTenantResource(), tenantPath))
        return Unexpected<QString>(QStringLiteral("cannot write the empty tenant to %1").arg(tenantPath));
    QFile::setPermissions(tenantPath, QFile::ReadOwner | QFile::WriteOwner);
    return QStringList{QStringLiteral("--data-dir"), QDir(scratchDir).filePath(QStringLiteral("data")), QStringLiteral("--config"), tenantPath};
}

QList<QPair<QString, QString>> TutorialScenario::tutorialScopes()
{
    QList<QPair<QString, QString>> scopes;
    for (const catalogue::ApiSpec &api : catalogue::organizerService().apis)
        scopes.append({api.scope(catalogue::Action::Read), api.scopeDescription(catalogue::Action::Read)});
    return scopes;
}

void TutorialScenario::say(const QString &text)
{
    Q_EMIT line(text);
}

void TutorialScenario::step(const QString &title)
{
    say(QStringLiteral("Step %1  %2").arg(++m_step).arg(title));
}

void TutorialScenario::finish(bool passed, const QString &why)
{
    if (m_done)
        return;
    m_done = true;
    m_passed = passed;
    say(passed ? QStringLiteral("tutorial: ok, both halves done (configure, then use)") : QStringLiteral("tutorial: FAILED: %1").arg(why));
    Q_EMIT finished(passed);
}

void TutorialScenario::run()
{
    say(QStringLiteral("Organizer tutorial: several APIs represented as one resource server, on an empty tenant"));
    if (!m_scratch.isValid())
        return finish(false, QStringLiteral("no scratch directory for the empty tenant: %1").arg(m_scratch.errorString()));
    const auto arguments = prepareEmptyTenant(m_scratch.path());
    if (!arguments)
        return finish(false, arguments.error());
    connect(m_server, &ServerLauncher::stateChanged, this, [this](ServerLauncher::State state) {
        if (state == ServerLauncher::State::Failed)
            finish(false, QStringLiteral("the bundled server is unreachable: %1").arg(m_server->errorString()));
        else if (state == ServerLauncher::State::Running && m_step == 0)
            configure();
    });
    m_server->start({}, *arguments);
}

void TutorialScenario::configure()
{
    say(QStringLiteral("  server      %1 (bundled organizer-server, empty tenant)").arg(m_server->url().toString()));
    m_admin->setTarget(AppController::demoTenantTarget(m_server->url()));
    const catalogue::ResourceServerSpec &service = catalogue::organizerService();
    step(QStringLiteral("Read the tenant through the Management API (client credentials for %1)").arg(m_admin->target().audience));
    m_admin->reload([this, &service](bool ok, const QString &message) {
        if (!ok)
            return finish(false, message);
        QStringList names;
        for (const ResourceServer &api : m_admin->resourceServers()) {
            if (!api.isSystem)
                names.append(api.name);
        }
        say(QStringLiteral("  APIs        %1")
                .arg(names.isEmpty() ? QStringLiteral("none yet (only the Management API itself)") : names.join(QLatin1String(", "))));
        step(
            QStringLiteral("Create the API: name \"%1\", identifier %2, signing algorithm %3").arg(service.name, service.identifier, service.signingAlgorithm));
        m_admin->createApi(service.name, service.identifier, service.signingAlgorithm, [this, &service](bool created, const QString &why) {
            if (!created)
                return finish(false, why);
            const ResourceServer api = m_admin->resourceServer(service.identifier).value_or(ResourceServer());
            say(QStringLiteral("  created     id %1, RBAC %2, token lifetime %3 s")
                    .arg(api.id, api.rbac ? QStringLiteral("on") : QStringLiteral("off"))
                    .arg(api.tokenLifetimeSeconds));
            auto scopes = std::make_shared<QList<QPair<QString, QString>>>(tutorialScopes());
            step(QStringLiteral("Add one scope per API and action on its Scopes page"));
            auto addNext = std::make_shared<std::function<void()>>();
            // The step refers to itself weakly; each pending addScope() keeps it alive until the next one.
            *addNext = [this, scopes, self = std::weak_ptr(addNext), id = api.id] {
                if (scopes->isEmpty()) {
                    say(QStringLiteral("  scopes      %1").arg(m_admin->scopes(catalogue::organizerService().identifier).join(QLatin1Char(' '))));
                    step(QStringLiteral("Log in as %1 asking for those scopes, then call both APIs").arg(m_options.user));
                    m_demo = std::make_unique<DemoScenario>(m_app, m_browser, m_options);
                    connect(m_demo.get(), &DemoScenario::line, this, [this](const QString &text) { say(text); });
                    connect(m_demo.get(), &DemoScenario::finished, this,
                            [this](bool passed) { finish(passed, QStringLiteral("the login or a call did not go as the tutorial says")); });
                    m_demo->run();
                    return;
                }
                const auto [value, description] = scopes->takeFirst();
                m_admin->addScope(id, value, description,
                                  [this, next = self.lock(), value = value, description = description](bool added, const QString &problem) {
                                      if (!added)
                                          return finish(false, problem);
                                      say(QStringLiteral("  added       %1  \"%2\"").arg(value, description));
                                      (*next)();
                                  });
            };
            (*addNext)();
        });
    });
}

} // namespace organizer::app
