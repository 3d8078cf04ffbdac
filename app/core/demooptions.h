#pragma once

#include "expected.h"
#include "profiles.h"

#include <QStringList>

class QCommandLineParser;

namespace organizer::app {

// How `organizer --demo` (and --tutorial) runs: read once from the command line, then handed to
// the scenarios as one value.
struct DemoOptions
{
    bool demo = false; // --demo: log in, call the APIs, report
    bool tutorial = false; // --tutorial: on an empty tenant, configure first
    bool exitWhenDone = false; // --exit-when-done (always so without a display)
    bool tls = false; // --tls: the bundled server serves HTTPS from its local CA, which the app trusts for it alone
    QString user = QStringLiteral("alice@example.com");
    QString password = QStringLiteral("organizer");
    Flow flow = Flow::Implicit;
    QStringList scopes = defaultLoginScopes();
    int timeoutMs = 90'000;
    // False when the window already started the login and shows the page (the demo only types).
    bool startsLogin = true;
    // Where to log in and which APIs to call: the bundled server (Local), a saved profile or a
    // provider given on the command line.
    Profile profile = Profile::localProfile();

    // --demo, --user, --password, --flow, --exit-when-done, --tutorial, --tls.
    static void addTo(QCommandLineParser &parser);
    // The options as given; a mistake is one sentence naming the option.
    static Expected<DemoOptions, QString> fromParser(const QCommandLineParser &parser);
};

} // namespace organizer::app
