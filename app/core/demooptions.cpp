#include "demooptions.h"

#include <QCommandLineParser>

namespace organizer::app {

void DemoOptions::addTo(QCommandLineParser &parser)
{
    parser.addOptions({
        {QStringLiteral("demo"), QStringLiteral("Log in through the embedded browser, call both APIs and report (headless without a display).")},
        {QStringLiteral("user"), QStringLiteral("Demo login (default alice@example.com)."), QStringLiteral("login"), QStringLiteral("alice@example.com")},
        {QStringLiteral("password"), QStringLiteral("Demo password (default organizer)."), QStringLiteral("password"), QStringLiteral("organizer")},
        {QStringLiteral("flow"), QStringLiteral("implicit or code (default implicit)."), QStringLiteral("flow"), QStringLiteral("implicit")},
        {QStringLiteral("exit-when-done"), QStringLiteral("Quit when the demo has finished (always so without a display).")},
        {QStringLiteral("tutorial"),
         QStringLiteral("Start the bundled server on an empty tenant and follow the tutorial: create the API and its scopes "
                        "(Tenant tab), then log in and call the APIs. With --demo, every step runs by itself and is printed.")},
        {QStringLiteral("tls"),
         QStringLiteral("Start the bundled server with HTTPS (organizer-server --tls): its certificate comes from a local CA in its data directory, "
                        "which the app trusts for that server alone, in its HTTP client and its web view. Always so when the app's settings "
                        "(~/.config/Organizer/organizer.conf) say bundledServer/tls=true.")},
    });
}

Expected<DemoOptions, QString> DemoOptions::fromParser(const QCommandLineParser &parser)
{
    DemoOptions options;
    const QString flow = parser.value(QStringLiteral("flow"));
    if (flow != QLatin1String("implicit") && flow != QLatin1String("code"))
        return Unexpected<QString>(QStringLiteral("--flow must be implicit or code, not \"%1\"").arg(flow));
    options.flow = flow == QLatin1String("code") ? Flow::AuthorizationCodePkce : Flow::Implicit;
    options.demo = parser.isSet(QStringLiteral("demo"));
    options.tutorial = parser.isSet(QStringLiteral("tutorial"));
    options.exitWhenDone = parser.isSet(QStringLiteral("exit-when-done"));
    options.tls = parser.isSet(QStringLiteral("tls"));
    options.user = parser.value(QStringLiteral("user"));
    options.password = parser.value(QStringLiteral("password"));
    return options;
}

} // namespace organizer::app
