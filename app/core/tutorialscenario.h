#pragma once

#include "demoscenario.h"
#include "expected.h"
#include "tenantadmin.h"

#include <QTemporaryDir>

#include <memory>

namespace organizer::app {

// The tutorial, both halves, on an empty tenant: configure (create the API "Organizer Service" with
// identifier organize and RS256, then add read:contacts and read:calendar on its Scopes page,
// through the Management API as the dashboard does), then use (log in, call both APIs, as
// `organizer --demo`). `organizer --demo --tutorial` prints each step.
class TutorialScenario : public QObject
{
    Q_OBJECT

public:
    TutorialScenario(AppController *app, LoginBrowser *browser, DemoOptions options, QObject *parent = nullptr);

    // Starts the bundled server on a new, empty tenant (in a scratch data directory), then the steps.
    void run();
    bool passed() const { return m_passed; }

    // The tenant file the tutorial starts from: no API, the desktop app, a management client, the
    // demo users. Written into `scratchDir` with a data directory beside it; returns the arguments
    // that start the bundled server there, or why it could not.
    static QString emptyTenantResource();
    static Expected<QStringList, QString> prepareEmptyTenant(const QString &scratchDir);
    // The scopes the tutorial adds, with their descriptions from the catalogue.
    static QList<QPair<QString, QString>> tutorialScopes();

Q_SIGNALS:
    void line(const QString &text);
    void finished(bool passed);

private:
    void say(const QString &text);
    void finish(bool passed, const QString &why = {});
    void configure();
    void step(const QString &title);

    AppController *m_app;
    ServerLauncher *m_server;
    TenantAdmin *m_admin;
    LoginBrowser *m_browser;
    DemoOptions m_options;
    std::unique_ptr<DemoScenario> m_demo;
    QTemporaryDir m_scratch;
    int m_step = 0;
    bool m_done = false;
    bool m_passed = false;
};

} // namespace organizer::app
