#pragma once

#include <QtGlobal>

#include <functional>

namespace organizer {

// Seconds since the Unix epoch. Whatever compares times with a lifetime (tokens, sessions, codes,
// throttles) takes one, so tests can move time forward instead of waiting for it.
using Clock = std::function<qint64()>;
Clock systemClock();

} // namespace organizer
