#include "signalnotifier.h"

#include <QMutex>
#include <QPointer>
#include <QSocketNotifier>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace organizer {

namespace {

// What a handler may touch: lock-free atomics, send() and errno.
static_assert(std::atomic<int>::is_always_lock_free);
static_assert(NSIG <= 256, "a signal number travels as one byte");

// Per signal, the write end of the notifier watching it, plus one (zero-initialised means nobody watches it).
// Notifiers change it under `registryMutex`; handlers only read it.
std::atomic<int> writeEndPlusOne[NSIG];
// Handlers between their first and last look at `writeEndPlusOne`: a notifier closes its socket pair only when
// none is left, so a handler on another thread never writes to a descriptor that meanwhile means something else.
std::atomic<int> handlersRunning{0};
QBasicMutex registryMutex;

void writeSignalNumber(int signalNumber)
{
    const int savedErrno = errno;
    handlersRunning.fetch_add(1);
    const int writeEnd = writeEndPlusOne[signalNumber].load() - 1;
    if (writeEnd >= 0) {
        const auto byte = static_cast<unsigned char>(signalNumber);
        // Never blocks: with the buffer full, the bytes already in it wake the event loop anyway.
        [[maybe_unused]] const auto sent = ::send(writeEnd, &byte, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    handlersRunning.fetch_sub(1);
    errno = savedErrno;
}

} // namespace

Expected<std::unique_ptr<SignalNotifier>, QString> SignalNotifier::create(QList<int> signalNumbers, QObject *parent)
{
    std::sort(signalNumbers.begin(), signalNumbers.end());
    signalNumbers.erase(std::unique(signalNumbers.begin(), signalNumbers.end()), signalNumbers.end());
    if (signalNumbers.isEmpty())
        return Unexpected<QString>(QStringLiteral("no signal to watch"));
    for (const int signalNumber : std::as_const(signalNumbers)) {
        if (signalNumber <= 0 || signalNumber >= NSIG)
            return Unexpected<QString>(QStringLiteral("%1 is not a signal number (1 to %2)").arg(signalNumber).arg(NSIG - 1));
    }
    int ends[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, ends) != 0)
        return Unexpected<QString>(QStringLiteral("cannot make the socket pair that signals are written to: %1").arg(qt_error_string(errno)));
    std::unique_ptr<SignalNotifier> notifier(new SignalNotifier(parent, ends[0], ends[1]));

    QString problem;
    {
        QMutexLocker locker(&registryMutex);
        for (const int signalNumber : std::as_const(signalNumbers)) {
            if (writeEndPlusOne[signalNumber].load() != 0) {
                problem = QStringLiteral("signal %1 (%2) is watched by another SignalNotifier already; a process has one handler per signal, so "
                                         "one notifier at a time can watch it")
                              .arg(signalNumber)
                              .arg(QString::fromLocal8Bit(::strsignal(signalNumber)));
                break;
            }
        }
        struct sigaction action = {};
        action.sa_handler = writeSignalNumber;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;
        for (int i = 0; problem.isEmpty() && i < signalNumbers.size(); ++i) {
            const int signalNumber = signalNumbers.at(i);
            // The write end first: the handler may run the moment it is installed.
            writeEndPlusOne[signalNumber].store(ends[1] + 1);
            Watched watched{signalNumber, {}};
            if (::sigaction(signalNumber, &action, &watched.previous) != 0) {
                problem = QStringLiteral("signal %1 (%2) cannot be caught: %3")
                              .arg(signalNumber)
                              .arg(QString::fromLocal8Bit(::strsignal(signalNumber)), qt_error_string(errno));
                writeEndPlusOne[signalNumber].store(0);
                break;
            }
            notifier->m_watched.append(watched);
        }
    }
    if (!problem.isEmpty())
        return Unexpected<QString>(problem); // the notifier puts back what it installed
    return notifier;
}

SignalNotifier::SignalNotifier(QObject *parent, int readEnd, int writeEnd)
    : QObject(parent), m_readEnd(readEnd), m_writeEnd(writeEnd), m_notifier(new QSocketNotifier(readEnd, QSocketNotifier::Read, this))
{
    connect(m_notifier, &QSocketNotifier::activated, this, &SignalNotifier::deliverPendingSignals);
}

SignalNotifier::~SignalNotifier()
{
    {
        QMutexLocker locker(&registryMutex);
        for (const Watched &watched : std::as_const(m_watched)) {
            ::sigaction(watched.signalNumber, &watched.previous, nullptr);
            writeEndPlusOne[watched.signalNumber].store(0);
        }
    }
    while (handlersRunning.load() != 0)
        std::this_thread::yield();
    delete m_notifier; // before its descriptor closes
    ::close(m_writeEnd);
    ::close(m_readEnd);
}

QList<int> SignalNotifier::signalNumbers() const
{
    QList<int> numbers;
    for (const Watched &watched : m_watched)
        numbers.append(watched.signalNumber);
    return numbers;
}

void SignalNotifier::deliverPendingSignals()
{
    QList<int> pending;
    unsigned char bytes[64];
    ssize_t count;
    while ((count = ::recv(m_readEnd, bytes, sizeof bytes, MSG_DONTWAIT)) > 0)
        pending.append(QList<int>(bytes, bytes + count));
    // A slot may delete the notifier; the signals after that have nobody left to hear them.
    const QPointer<SignalNotifier> alive(this);
    for (const int signalNumber : std::as_const(pending)) {
        if (!alive)
            return;
        emit received(signalNumber);
    }
}

} // namespace organizer
