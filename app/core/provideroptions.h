#pragma once

#include "expected.h"
#include "profiles.h"

#include <QCommandLineParser>

namespace organizer::app {

// The provider a headless run (organizer --demo, organizer qa) talks to, from the command line:
// a saved profile (--profile NAME), a provider given inline (--issuer URL --client-id ID
// [--audience ID] [--resource URI] --api-base URL [--redirect-uri URI]), or, with neither, the
// bundled server. Scripts and CI use the inline form; it needs no saved settings.
class ProviderOptions
{
public:
    void addTo(QCommandLineParser &parser) const;
    // The profile to use, or a message naming the option that is wrong.
    Expected<Profile, QString> resolve(const QCommandLineParser &parser, const ProfileStore &store) const;
};

} // namespace organizer::app
