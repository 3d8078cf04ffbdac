#include "qacommand.h"

#include "oidcclient.h"
#include "profiles.h"
#include "provideroptions.h"
#include "qareport.h"
#include "qarunner.h"
#include "serverlauncher.h"
#include "signalnotifier.h"
#include "timelinepainter.h"
#include "weblogin.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QGuiApplication>
#include <QFile>
#include <QSaveFile>
#include <QSettings>
#include <QTimer>

#include <csignal>
#include <cstdio>
#include <functional>
#include <memory>
#include <unistd.h>

namespace organizer {

namespace {

void say(const QString &text, FILE *stream = stdout)
{
    std::fprintf(stream, "%s\n", qPrintable(text));
    std::fflush(stream);
}

// Ctrl-C (or SIGTERM) cancels the run the way the Cancel button does: the records it made are
// removed and the reports written; a second one quits at once.
// The connection ends with `context`, whose `cancel` it calls.
std::unique_ptr<SignalNotifier> cancelOnInterrupts(QObject *context, std::function<void()> cancel)
{
    auto interrupts = SignalNotifier::create({SIGINT, SIGTERM});
    if (!interrupts) {
        say(QStringLiteral("organizer qa: %1; Ctrl-C will end it at once, leaving the records made so far").arg(interrupts.error()), stderr);
        return nullptr;
    }
    QObject::connect(interrupts->get(), &SignalNotifier::received, context, [cancel = std::move(cancel), count = 0](int) mutable {
        if (++count == 1) {
            say(QStringLiteral("organizer qa: interrupted; removing the records made so far (again to quit at once)"), stderr);
            cancel();
        } else {
            ::_exit(130);
        }
    });
    return std::move(interrupts).value();
}

QString writeFile(const QString &path, const QByteArray &content)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(content) != content.size() || !file.commit())
        return QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
    return {};
}

} // namespace

int runQaCommand(QApplication &application)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Runs the scope QA grid offscreen: every user × requested scope set × endpoint of the plan, plus negative probes, "
                       "through the real login pages and the real APIs. Exits 1 if any cell differs from what the tenant's rules predict."));
    const QCommandLineOption help = parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("qa"), QStringLiteral("The subcommand."));
    parser.addOptions({
        {QStringLiteral("plan"), QStringLiteral("QA plan (JSON); default: the plan for the demo tenant."), QStringLiteral("file")},
        {QStringLiteral("junit"), QStringLiteral("Write JUnit XML here (one testcase per cell)."), QStringLiteral("file")},
        {QStringLiteral("html"), QStringLiteral("Write a self-contained HTML report here."), QStringLiteral("file")},
        {QStringLiteral("markdown"), QStringLiteral("Write a Markdown summary here."), QStringLiteral("file")},
        {QStringLiteral("interactive"), QStringLiteral("Show the browser: each person logs in by hand once (needs a display); the rest runs by itself.")},
        {QStringLiteral("flow"), QStringLiteral("Login flow for people: implicit or code (default implicit)."), QStringLiteral("flow"),
         QStringLiteral("implicit")},
    });
    const app::ProviderOptions providerOptions;
    providerOptions.addTo(parser);
    // Not process(): it exits with 1 on a bad option, which CI would read as "a cell differs".
    if (!parser.parse(application.arguments())) {
        say(QStringLiteral("organizer qa: %1 (see organizer qa --help)").arg(parser.errorText()), stderr);
        return 2;
    }
    if (parser.isSet(help))
        parser.showHelp(0);
    if (parser.positionalArguments().size() > 1) {
        say(QStringLiteral("organizer qa: unexpected argument \"%1\" (see organizer qa --help)").arg(parser.positionalArguments().at(1)), stderr);
        return 2;
    }

    const QString flow = parser.value(QStringLiteral("flow"));
    if (flow != QLatin1String("implicit") && flow != QLatin1String("code")) {
        say(QStringLiteral("organizer qa: --flow must be implicit or code, not \"%1\"").arg(flow), stderr);
        return 2;
    }
    qa::Plan plan;
    if (parser.isSet(QStringLiteral("plan"))) {
        auto loaded = qa::Plan::load(parser.value(QStringLiteral("plan")), qa::Plan::bundledTenant());
        if (!loaded) {
            say(QStringLiteral("organizer qa: %1").arg(loaded.error()), stderr);
            return 2;
        }
        plan = *loaded;
    } else {
        plan = qa::Plan::builtIn();
    }

    QSettings settings;
    const auto provider = providerOptions.resolve(parser, app::ProfileStore(&settings));
    if (!provider) {
        say(QStringLiteral("organizer qa: %1").arg(provider.error()), stderr);
        return 2;
    }
    app::Profile profile = *provider;
    const bool byHand = parser.isSet(QStringLiteral("interactive"));
    if (byHand && QGuiApplication::platformName() == QLatin1String("offscreen")) {
        say(QStringLiteral("organizer qa: --interactive needs a display (DISPLAY or WAYLAND_DISPLAY) to show the login browser"), stderr);
        return 2;
    }
    // A provider given inline names its own API: the plan's audience and resource follow it.
    if (parser.isSet(QStringLiteral("audience")))
        plan.audience = profile.audience;

    // Declared before what the run is made of so that it outlives them: an interrupt while they are torn
    // down waits unread instead of ending the process halfway.
    std::unique_ptr<SignalNotifier> interrupts;
    app::ServerLauncher server;
    app::OidcClient oidc;
    app::LoginSession session(&oidc);
    ui::WebLoginView view;
    view.resize(900, 700);
    ui::WebLoginBrowser browser(&view, &session);
    qa::QaRunner runner(&oidc, &session, &browser);
    if (byHand) {
        runner.setLoginByHand(true);
        view.setWindowTitle(QStringLiteral("Organizer scope QA — log in by hand"));
        view.show();
        QObject::connect(&runner, &qa::QaRunner::personNeeded, &view, [&view](const QString &login, const QString &page) {
            say(QStringLiteral("  log in as %1 in the browser window (%2)").arg(login, page), stdout);
            view.raise();
            view.activateWindow();
        });
    }
    qa::LocalTokenMinter minter(app::ServerLauncher::locateServer(), QString());
    if (profile.local)
        runner.setTokenSource(&minter);

    int exitCode = 2;
    interrupts = cancelOnInterrupts(&runner, [&runner, &application] {
        if (runner.isRunning())
            runner.cancel();
        else
            application.exit(130);
    });
    QObject::connect(&runner, &qa::QaRunner::rowChanged, &application, [&runner](int row) {
        const qa::RowResult &result = runner.run().rows.at(row);
        if (result.verdict == qa::Verdict::Running)
            return;
        for (const QString &line : qa::rowSummary(runner.run(), row))
            say(line);
    });
    QObject::connect(&runner, &qa::QaRunner::finished, &application, [&](bool passed) {
        const qa::QaRun &run = runner.run();
        say(qa::runSummary(run));
        QStringList problems;
        const struct
        {
            const char *option;
            std::function<QByteArray()> make;
        } reports[] = {
            {"junit", [&] { return qa::junitReport(run); }},
            {"html", [&] { return qa::htmlReport(run, [](const app::FlowTimeline &timeline) { return ui::TimelinePainter::toSvg(timeline); }); }},
            {"markdown", [&] { return qa::markdownReport(run); }},
        };
        for (const auto &report : reports) {
            const QString path = parser.value(QLatin1String(report.option));
            if (path.isEmpty())
                continue;
            const QString problem = writeFile(path, report.make());
            if (problem.isEmpty())
                say(QStringLiteral("%1 report: %2").arg(QLatin1String(report.option), path));
            else
                problems << problem;
        }
        for (const QString &problem : problems)
            say(QStringLiteral("organizer qa: %1").arg(problem), stderr);
        if (!run.problem.isEmpty())
            say(QStringLiteral("organizer qa: %1").arg(run.problem), stderr);
        exitCode = !problems.isEmpty() || !run.problem.isEmpty() ? 2 : run.cancelled ? 130 : passed ? 0 : 1;
        say(!run.problem.isEmpty() ? QStringLiteral("result: not run")
                : run.cancelled    ? QStringLiteral("result: cancelled")
                : passed           ? QStringLiteral("result: every cell as predicted")
                                   : QStringLiteral("result: FAILED"));
        application.quit();
    });

    profile.flow = flow == QLatin1String("code") ? app::Flow::AuthorizationCodePkce : app::Flow::Implicit;
    auto startRun = [&](const QUrl &localServer) {
        const qa::QaTarget target = qa::QaTarget::forProfile(profile, localServer);
        say(QStringLiteral("organizer qa: %1 against %2 — %3 rows × %4 endpoints")
                .arg(plan.source, target.issuer.toString())
                .arg(qa::planRows(plan).size())
                .arg(plan.endpoints.size()));
        runner.start(plan, target);
    };
    if (profile.local) {
        QObject::connect(&server, &app::ServerLauncher::stateChanged, &application, [&](app::ServerLauncher::State state) {
            if (state == app::ServerLauncher::State::Running && !runner.isRunning()) {
                minter.setDataDir(server.dataDir());
                startRun(server.url());
            }
            if (state == app::ServerLauncher::State::Failed) {
                say(QStringLiteral("organizer qa: the bundled server is unreachable: %1").arg(server.errorString()), stderr);
                application.exit(2);
            }
        });
        server.start();
    } else {
        QTimer::singleShot(0, &application, [&] { startRun({}); });
    }
    const int loopCode = application.exec();
    server.stop();
    return loopCode != 0 ? loopCode : exitCode;
}

} // namespace organizer
