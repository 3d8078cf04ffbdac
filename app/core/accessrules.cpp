#include "accessrules.h"

namespace organizer::app {

const AccessRules::Api *AccessRules::api(const QString &identifier) const
{
    for (const Api &candidate : apis) {
        if (candidate.identifier == identifier)
            return &candidate;
    }
    return nullptr;
}

} // namespace organizer::app
