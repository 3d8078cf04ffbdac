// organizer: the desktop app. Thin on purpose: logic lives in app/core, widgets in ui/.

#include "apiclient.h"
#include "appcontroller.h"
#include "demooptions.h"
#include "demoscenario.h"
#include "loginsession.h"
#include "mainwindow.h"
#include "tenanttab.h"
#include "oidcclient.h"
#include "profiles.h"
#include "provideroptions.h"
#include "qacommand.h"
#include "serverlauncher.h"
#include "tenantadmin.h"
#include "tutorialscenario.h"
#include "weblogin.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFile>
#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QSettings>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
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

Q_LOGGING_CATEGORY(lcEngine, "organizer.app.engine")

// Headless, the report is the first thing a person reads: what Qt WebEngine and Qt itself say while
// the engine starts (its parameter dump, "Sandboxing disabled by user.", graphics fallbacks) goes to
// the category organizer.app.engine, off unless QT_LOGGING_RULES="organizer.app.engine.debug=true".
QtMessageHandler g_defaultHandler = nullptr;
void engineAwareHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    const QByteArray category(context.category ? context.category : "default");
    const bool ours = category.startsWith("organizer.") || category == "js";
    if (!ours && type != QtFatalMsg) {
        if (lcEngine().isDebugEnabled())
            g_defaultHandler(type, context, QStringLiteral("[%1] %2").arg(QString::fromLatin1(category), message));
        return;
    }
    g_defaultHandler(type, context, message);
}

void quietEngineDiagnostics()
{
    if (qEnvironmentVariableIsEmpty("QT_LOGGING_RULES"))
        QLoggingCategory::setFilterRules(QStringLiteral("organizer.*.info=false\njs=false\norganizer.app.engine.debug=false"));
    g_defaultHandler = qInstallMessageHandler(engineAwareHandler);
    // Qt warns when it has to pick the runtime directory itself; pick the same one it would, quietly.
    if (qEnvironmentVariableIsEmpty("XDG_RUNTIME_DIR")) {
        const QByteArray runtime = "/tmp/runtime-" + QByteArray::number(::geteuid());
        if (QDir().mkpath(QString::fromLocal8Bit(runtime))
            && QFile::setPermissions(QString::fromLocal8Bit(runtime), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner))
            qputenv("XDG_RUNTIME_DIR", runtime);
    }
}

void prepareWebEngine(bool headless)
{
    // Chromium refuses to run its sandbox as root; a root session (CI, containers) runs it unsandboxed.
    if (::geteuid() == 0 && qEnvironmentVariableIsEmpty("QTWEBENGINE_DISABLE_SANDBOX"))
        qputenv("QTWEBENGINE_DISABLE_SANDBOX", "1");
    if (headless && qEnvironmentVariableIsEmpty("QTWEBENGINE_CHROMIUM_FLAGS"))
        qputenv("QTWEBENGINE_CHROMIUM_FLAGS", "--disable-gpu --disable-background-networking --disable-component-update --log-level=3");
    QCoreApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
}

} // namespace

int main(int argc, char *argv[])
{
    QElapsedTimer sinceStart;
    sinceStart.start();
    const bool qaCommand = argc > 1 && qstrcmp(argv[1], "qa") == 0;
    // organizer qa runs offscreen, unless people log in by hand in a window it shows.
    const bool interactiveQa = qaCommand && std::any_of(argv + 2, argv + argc, [](const char *arg) { return qstrcmp(arg, "--interactive") == 0; });
    const bool display = (!qaCommand || interactiveQa) && hasDisplay();
    if (!display)
        qputenv("QT_QPA_PLATFORM", "offscreen");
    if (!display)
        quietEngineDiagnostics();
    prepareWebEngine(!display);
    QApplication application(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("Organizer"));
    QApplication::setApplicationName(QStringLiteral("organizer"));
    QApplication::setApplicationDisplayName(QStringLiteral("Organizer"));
    QApplication::setApplicationVersion(QStringLiteral(ORGANIZER_VERSION));
    if (qaCommand)
        return runQaCommand(application);

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Organizer: log in to \"Organizer Service\" and try its contacts and calendar APIs.\n\n"
                                                    "Subcommands:\n  qa    run the scope QA grid headless (organizer qa --help)"));
    parser.addHelpOption();
    parser.addVersionOption();
    app::DemoOptions::addTo(parser);
    const app::ProviderOptions providerOptions;
    providerOptions.addTo(parser);
    parser.process(application);
    auto parsed = app::DemoOptions::fromParser(parser);
    if (!parsed) {
        std::fprintf(stderr, "organizer: %s\n", qPrintable(parsed.error()));
        return 2;
    }
    app::DemoOptions options = *parsed;
    if (!display && !options.demo) {
        std::fprintf(stdout, "organizer: no display found; running the login-and-call demo headless instead of the window.\n");
        options.demo = true;
    }
    const bool demo = options.demo;

    QSettings settings;
    app::ProfileStore profiles(&settings);
    const auto provider = providerOptions.resolve(parser, profiles);
    if (!provider) {
        std::fprintf(stderr, "organizer: %s\n", qPrintable(provider.error()));
        return 2;
    }
    const bool providerChosen = parser.isSet(QStringLiteral("profile")) || parser.isSet(QStringLiteral("issuer"));
    if (providerChosen && !demo) {
        std::fprintf(stderr, "organizer: --profile and --issuer choose where the demo logs in; add --demo\n");
        return 2;
    }
    if (options.tls && providerChosen) {
        std::fprintf(stderr, "organizer: --tls is for the bundled server; leave out --profile and --issuer\n");
        return 2;
    }
    app::ServerLauncher server;
    server.setTls(options.tls || settings.value(QStringLiteral("bundledServer/tls"), false).toBool());
    app::OidcClient oidc;
    app::LoginSession session(&oidc);
    app::ApiClient api;
    app::AppController controller(&server, &session, &api, &profiles);
    options.profile = *provider;

    const bool tutorial = options.tutorial;
    if (tutorial && !provider->local) {
        std::fprintf(stderr, "organizer: --tutorial runs on the bundled server's empty tenant; leave out --profile and --issuer\n");
        return 2;
    }
    if (demo && tutorial && !display) {
        // Headless: both halves of the tutorial, each step printed.
        ui::WebLoginView view;
        view.resize(800, 600);
        ui::WebLoginBrowser browser(&view, &session);
        app::TutorialScenario scenario(&controller, &browser, options);
        QObject::connect(&scenario, &app::TutorialScenario::line, [](const QString &text) {
            std::fprintf(stdout, "%s\n", qPrintable(text));
            std::fflush(stdout);
        });
        QObject::connect(&scenario, &app::TutorialScenario::finished, &application, [&application](bool passed) { application.exit(passed ? 0 : 1); });
        QTimer::singleShot(0, &scenario, &app::TutorialScenario::run);
        const int code = application.exec();
        server.stop();
        return code;
    }
    if (demo && !display) {
        // Headless: the same real web view, rendered offscreen; the report goes to stdout.
        ui::WebLoginView view;
        view.resize(800, 600);
        ui::WebLoginBrowser browser(&view, &session);
        app::DemoScenario scenario(&controller, &browser, options);
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

    ui::MainWindow window(&controller);
    if (providerChosen)
        controller.useProfile(*provider);
    window.show();
    // scripts/bench-app: how long until the first window is on screen (the web engine is not started yet).
    if (qEnvironmentVariableIsSet("ORGANIZER_STARTUP_PROBE")) {
        QTimer::singleShot(0, &application, [&] {
            std::fprintf(stdout, "organizer: first window shown after %lld ms\n", static_cast<long long>(sinceStart.elapsed()));
            std::fflush(stdout);
            application.quit();
        });
    }
    // --tutorial: the bundled server on an empty tenant in a scratch directory, the walkthrough open.
    QTemporaryDir tutorialScratch;
    if (tutorial) {
        const auto arguments = app::TutorialScenario::prepareEmptyTenant(tutorialScratch.path());
        if (!tutorialScratch.isValid() || !arguments) {
            std::fprintf(stderr, "organizer: %s\n", qPrintable(arguments ? tutorialScratch.errorString() : arguments.error()));
            return 1;
        }
        window.tabs()->setCurrentWidget(window.tenantTab());
        window.tenantTab()->showPage(ui::TenantTab::Page::Walkthrough);
        server.start({}, *arguments);
    } else {
        server.start();
    }
    std::unique_ptr<ui::WebLoginBrowser> browser;
    std::unique_ptr<app::DemoScenario> scenario;
    if (demo) {
        options.startsLogin = false;
        // The window's own login dialog shows the demo typing into the real pages.
        const bool exitWhenDone = options.exitWhenDone;
        auto startDemo = [&, options, exitWhenDone] {
            if (scenario)
                return;
            window.setFlow(options.flow);
            window.login();
            // The window's login view already hands its redirects to the session.
            browser = std::make_unique<ui::WebLoginBrowser>(window.loginView(), &session, false);
            scenario = std::make_unique<app::DemoScenario>(&controller, browser.get(), options);
            QObject::connect(scenario.get(), &app::DemoScenario::line, [](const QString &text) { std::fprintf(stdout, "%s\n", qPrintable(text)); });
            if (exitWhenDone)
                QObject::connect(scenario.get(), &app::DemoScenario::finished, &application, [&application](bool passed) {
                    QTimer::singleShot(1500, &application, [&application, passed] { application.exit(passed ? 0 : 1); });
                });
            scenario->run();
        };
        if (provider->local) {
            QObject::connect(&server, &app::ServerLauncher::stateChanged, &window, [startDemo](app::ServerLauncher::State state) {
                if (state == app::ServerLauncher::State::Running)
                    startDemo();
            });
        } else {
            QTimer::singleShot(0, &window, startDemo);
        }
    }
    const int code = application.exec();
    server.stop();
    return code;
}
