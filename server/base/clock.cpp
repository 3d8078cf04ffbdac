#include "clock.h"

#include <QDateTime>

namespace organizer {

Clock systemClock()
{
    return [] { return QDateTime::currentSecsSinceEpoch(); };
}

} // namespace organizer
