// organizer: the desktop app. Thin on purpose: logic lives in app/core, widgets in ui/.

#include "apiclient.h"
#include "demoscenario.h"
#include "loginsession.h"
#include "mainwindow.h"
#include "oidcclient.h"
#include "profiles.h"
#include "qacommand.h"
#include "serverlauncher.h"
#include "weblogin.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QSettings>
#include <QTimer>

#include <cstdio>
#include <unistd.h>

using namespace organizer;

namespace {

bool hasDisplay()
{
    const QByteArray platform = qgetenv("QT_QPA_PLATFORM");
    if (platform.startsWith("offscreen") || platform.startsWith("minimal"))
        return false;
    return !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY") || !platform.isEmpty();
}

void prepareWebEngine(bool headless)
{
    // Chromium refuses to run its sandbox as root; a root session (CI, containers) runs it unsandboxed.
    if (::geteuid() == 0 && qEnvironmentVariableIsEmpty("QTWEBENGINE_DISABLE_SANDBOX"))
        qputenv("QTWEBENGINE_DISABLE_SANDBOX", "1");
    if (headless && qEnvironmentVariableIsEmpty("QTWEBENGINE_CHROMIUM_FLAGS"))
        qputenv("QTWEBENGINE_CHROMIUM_FLAGS", "--disable-gpu --disable-background-networking --disable-component-update");
    QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
}

} // namespace

int main(int argc, char *argv[])
{
    QElapsedTimer sinceStart;
    sinceStart.start();
    const bool qaCommand = argc > 1 && qstrcmp(argv[1], "qa") == 0;
    const bool display = !qaCommand && hasDisplay();
    if (!display)
        qputenv("QT_QPA_PLATFORM", "offscreen");
    prepareWebEngine(!display);
    QApplication application(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Organizer"));
    QApplication::setApplicationName(QStringLiteral("organizer"));
    QApplication::setApplicationDisplayName(QStringLiteral("Organizer"));
    QApplication::setApplicationVersion(QStringLiteral(ORGANIZER_VERSION));
    if (qaCommand) {
        if (qEnvironmentVariableIsEmpty("QT_LOGGING_RULES"))
            QLoggingCategory::setFilterRules(QStringLiteral("organizer.*.info=false\njs=false"));
        return runQaCommand(application);
    }

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Organizer: log in to \"Organizer Service\" and try its contacts and calendar APIs.\n\n"
                                                    "Subcommands:\n  qa    run the scope QA grid headless (organizer qa --help)"));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOptions({
        {QStringLiteral("demo"), QStringLiteral("Log in through the embedded browser, call both APIs and report (headless without a display).")},
        {QStringLiteral("user"), QStringLiteral("Demo login (default alice@example.com)."), QStringLiteral("login"), QStringLiteral("alice@example.com")},
        {QStringLiteral("password"), QStringLiteral("Demo password (default organizer)."), QStringLiteral("password"), QStringLiteral("organizer")},
        {QStringLiteral("flow"), QStringLiteral("implicit or code (default implicit)."), QStringLiteral("flow"), QStringLiteral("implicit")},
        {QStringLiteral("exit-when-done"), QStringLiteral("Quit when the demo has finished (always so without a display).")},
    });
    parser.process(application);
    const QString flow = parser.value(QStringLiteral("flow"));
    if (flow != QLatin1String("implicit") && flow != QLatin1String("code")) {
        std::fprintf(stderr, "organizer: --flow must be implicit or code, not \"%s\"\n", qPrintable(flow));
        return 2;
    }
    bool demo = parser.isSet(QStringLiteral("demo"));
    if (!display && !demo) {
        std::fprintf(stdout, "organizer: no display found; running the login-and-call demo headless instead of the window.\n");
        demo = true;
    }

    QSettings settings;
    app::ProfileStore profiles(&settings);
    app::ServerLauncher server;
    app::OidcClient oidc;
    app::LoginSession session(&oidc);
    app::ApiClient api;

    if (demo && !display) {
        // The report is the output; the per-call log lines would only interleave with it.
        if (qEnvironmentVariableIsEmpty("QT_LOGGING_RULES"))
            QLoggingCategory::setFilterRules(QStringLiteral("organizer.*.info=false\njs=false"));
        // Headless: the same real web view, rendered offscreen; the report goes to stdout.
        ui::WebLoginView view;
        view.resize(800, 600);
        ui::WebLoginBrowser browser(&view, &session);
        app::DemoOptions options;
        options.user = parser.value(QStringLiteral("user"));
        options.password = parser.value(QStringLiteral("password"));
        options.flow = flow == QLatin1String("code") ? app::Flow::AuthorizationCodePkce : app::Flow::Implicit;
        app::DemoScenario scenario(&server, &session, &api, &browser, options);
        QObject::connect(&scenario, &app::DemoScenario::line, [](const QString &text) {
            std::fprintf(stdout, "%s\n", qPrintable(text));
            std::fflush(stdout);
        });
        QObject::connect(&scenario, &app::DemoScenario::finished, &application, [&application](bool passed) { application.exit(passed ? 0 : 1); });
        QTimer::singleShot(0, &scenario, &app::DemoScenario::run);
        const int code = application.exec();
        server.stop();
        return code;
    }

    ui::MainWindow window(&server, &session, &api, &profiles);
    window.show();
    // scripts/bench-app: how long until the first window is on screen (the web engine is not started yet).
    if (qEnvironmentVariableIsSet("ORGANIZER_STARTUP_PROBE")) {
        QTimer::singleShot(0, &application, [&] {
            std::fprintf(stdout, "organizer: first window shown after %lld ms\n", static_cast<long long>(sinceStart.elapsed()));
            std::fflush(stdout);
            application.quit();
        });
    }
    server.start();
    std::unique_ptr<ui::WebLoginBrowser> browser;
    std::unique_ptr<app::DemoScenario> scenario;
    if (demo) {
        app::DemoOptions options;
        options.user = parser.value(QStringLiteral("user"));
        options.password = parser.value(QStringLiteral("password"));
        options.flow = flow == QLatin1String("code") ? app::Flow::AuthorizationCodePkce : app::Flow::Implicit;
        options.startsLogin = false;
        // The window's own login dialog shows the demo typing into the real pages.
        const bool exitWhenDone = parser.isSet(QStringLiteral("exit-when-done"));
        QObject::connect(&server, &app::ServerLauncher::stateChanged, &window, [&, options, exitWhenDone](app::ServerLauncher::State state) {
            if (state != app::ServerLauncher::State::Running || scenario)
                return;
            window.setFlow(options.flow);
            window.login();
            browser = std::make_unique<ui::WebLoginBrowser>(window.loginView(), &session);
            scenario = std::make_unique<app::DemoScenario>(&server, &session, &api, browser.get(), options);
            QObject::connect(scenario.get(), &app::DemoScenario::line, [](const QString &text) { std::fprintf(stdout, "%s\n", qPrintable(text)); });
            if (exitWhenDone)
                QObject::connect(scenario.get(), &app::DemoScenario::finished, &application, [&application](bool passed) {
                    QTimer::singleShot(1500, &application, [&application, passed] { application.exit(passed ? 0 : 1); });
                });
            scenario->run();
        });
    }
    const int code = application.exec();
    server.stop();
    return code;
}
