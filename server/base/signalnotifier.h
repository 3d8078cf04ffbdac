#pragma once

#include "expected.h"

#include <QList>
#include <QObject>
#include <QString>

#include <csignal>
#include <memory>

class QSocketNotifier;

namespace organizer {

// Turns POSIX signals (SIGTERM, SIGINT, ...) into the Qt signal `received`, emitted by the event loop of the
// thread that owns the notifier, where anything may be done (a signal handler may only do async-signal-safe
// things). The handler it installs writes the signal's number to a socket pair and nothing else, leaving errno
// as it found it; the read end wakes the event loop.
//
// A process has one handler per signal, so one notifier at a time may watch a signal: create() refuses a set
// that holds a signal another live notifier watches, and installs nothing of that set. Destroying the notifier
// puts back the handlers that were there before it, and a signal can then be watched again.
//
// Each signal is delivered once, in order, except in a flood: the handler never blocks, so when the socket's
// buffer is full (hundreds of signals the event loop has not read yet) further ones are dropped; at least
// one is always delivered.
class SignalNotifier : public QObject
{
    Q_OBJECT

public:
    // Watches `signalNumbers` from now on; fails, with a reason and nothing installed, when one of them cannot be
    // caught (SIGKILL, SIGSTOP, a number out of range) or another notifier watches it already. Call it on the
    // thread whose event loop should deliver `received`.
    static Expected<std::unique_ptr<SignalNotifier>, QString> create(QList<int> signalNumbers, QObject *parent = nullptr);
    ~SignalNotifier() override;

    QList<int> signalNumbers() const;

signals:
    void received(int signalNumber);

private:
    SignalNotifier(QObject *parent, int readEnd, int writeEnd);
    void deliverPendingSignals();

    struct Watched
    {
        int signalNumber;
        struct sigaction previous;
    };
    QList<Watched> m_watched;
    int m_readEnd;
    int m_writeEnd;
    QSocketNotifier *m_notifier;
};

} // namespace organizer
