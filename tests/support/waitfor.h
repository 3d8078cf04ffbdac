#pragma once

#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>

#include <functional>

namespace organizer::test {

// Runs the event loop until `condition` holds; false if it did not within `timeoutMs`.
inline bool waitFor(const std::function<bool()> &condition, int timeoutMs = 30'000)
{
    QElapsedTimer timer;
    timer.start();
    while (!condition()) {
        if (timer.elapsed() > timeoutMs)
            return false;
        QEventLoop loop;
        QTimer::singleShot(10, &loop, &QEventLoop::quit);
        loop.exec();
    }
    return true;
}

} // namespace organizer::test
