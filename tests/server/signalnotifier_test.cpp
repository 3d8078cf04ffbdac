// SignalNotifier: SIGTERM and SIGINT raised in this process arrive as `received` with their number, on the
// event loop; the handlers that were there before come back when the notifier goes; one notifier per signal.

#include "signalnotifier.h"
#include "waitfor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <csignal>

using namespace organizer;

namespace {

// Stands in for whatever handled the signals before the notifier, so that a signal raised after it is gone
// is counted instead of ending the test process.
std::atomic<int> earlierHandlerCalls{0};

void earlierHandler(int)
{
    earlierHandlerCalls.fetch_add(1);
}

struct sigaction currentAction(int signalNumber)
{
    struct sigaction action = {};
    sigaction(signalNumber, nullptr, &action);
    return action;
}

class SignalNotifierTest : public ::testing::Test
{
protected:
    void SetUp() override
    {
        struct sigaction action = {};
        action.sa_handler = earlierHandler;
        sigemptyset(&action.sa_mask);
        for (const int signalNumber : {SIGTERM, SIGINT})
            ASSERT_EQ(sigaction(signalNumber, &action, &m_original[signalNumber == SIGTERM ? 0 : 1]), 0);
        earlierHandlerCalls = 0;
    }

    void TearDown() override
    {
        sigaction(SIGTERM, &m_original[0], nullptr);
        sigaction(SIGINT, &m_original[1], nullptr);
    }

    struct sigaction m_original[2] = {};
};

struct Received
{
    QList<int> signalNumbers;
    explicit Received(SignalNotifier *notifier)
    {
        QObject::connect(notifier, &SignalNotifier::received, notifier, [this](int signalNumber) { signalNumbers.append(signalNumber); });
    }
};

} // namespace

TEST_F(SignalNotifierTest, RaisedSignalsArriveOnTheEventLoopWithTheirNumbersInOrder)
{
    auto notifier = SignalNotifier::create({SIGTERM, SIGINT});
    ASSERT_TRUE(notifier) << qPrintable(notifier.error());
    EXPECT_EQ((*notifier)->signalNumbers(), (QList<int>{SIGINT, SIGTERM}));
    Received received(notifier->get());

    ASSERT_EQ(raise(SIGTERM), 0);
    // The handler only wrote a byte; the Qt signal waits for the event loop.
    EXPECT_TRUE(received.signalNumbers.isEmpty());
    ASSERT_TRUE(test::waitFor([&] { return received.signalNumbers.size() == 1; }, 10'000));
    EXPECT_EQ(received.signalNumbers, QList<int>{SIGTERM});

    ASSERT_EQ(raise(SIGINT), 0);
    ASSERT_EQ(raise(SIGTERM), 0);
    ASSERT_TRUE(test::waitFor([&] { return received.signalNumbers.size() == 3; }, 10'000));
    EXPECT_EQ(received.signalNumbers, (QList<int>{SIGTERM, SIGINT, SIGTERM}));
    EXPECT_EQ(earlierHandlerCalls, 0);
}

TEST_F(SignalNotifierTest, TheEarlierHandlersAreBackOnceItIsDestroyed)
{
    {
        auto notifier = SignalNotifier::create({SIGTERM, SIGINT});
        ASSERT_TRUE(notifier) << qPrintable(notifier.error());
        EXPECT_NE(currentAction(SIGTERM).sa_handler, earlierHandler);
        EXPECT_NE(currentAction(SIGINT).sa_handler, earlierHandler);
    }
    EXPECT_EQ(currentAction(SIGTERM).sa_handler, earlierHandler);
    EXPECT_EQ(currentAction(SIGINT).sa_handler, earlierHandler);
    ASSERT_EQ(raise(SIGTERM), 0);
    ASSERT_EQ(raise(SIGINT), 0);
    EXPECT_EQ(earlierHandlerCalls, 2);
}

TEST_F(SignalNotifierTest, OneNotifierAtATimeWatchesASignal)
{
    auto first = SignalNotifier::create({SIGTERM});
    ASSERT_TRUE(first) << qPrintable(first.error());
    Received receivedByFirst(first->get());

    // A set holding a watched signal is refused as a whole: not even its free signal is taken.
    auto second = SignalNotifier::create({SIGINT, SIGTERM});
    ASSERT_FALSE(second);
    EXPECT_TRUE(second.error().contains(QStringLiteral("signal %1").arg(SIGTERM))) << qPrintable(second.error());
    EXPECT_TRUE(second.error().contains(QLatin1String("another SignalNotifier"))) << qPrintable(second.error());
    EXPECT_EQ(currentAction(SIGINT).sa_handler, earlierHandler);

    // The first one still has SIGTERM.
    ASSERT_EQ(raise(SIGTERM), 0);
    ASSERT_TRUE(test::waitFor([&] { return receivedByFirst.signalNumbers.size() == 1; }, 10'000));

    // Once it is gone, the signal may be watched again.
    first->reset();
    auto third = SignalNotifier::create({SIGTERM});
    ASSERT_TRUE(third) << qPrintable(third.error());
    Received receivedByThird(third->get());
    ASSERT_EQ(raise(SIGTERM), 0);
    ASSERT_TRUE(test::waitFor([&] { return receivedByThird.signalNumbers.size() == 1; }, 10'000));
    EXPECT_EQ(receivedByThird.signalNumbers, QList<int>{SIGTERM});
}

TEST_F(SignalNotifierTest, SignalsThatCannotBeCaughtAreRefusedWithTheReason)
{
    auto kill = SignalNotifier::create({SIGTERM, SIGKILL});
    ASSERT_FALSE(kill);
    EXPECT_TRUE(kill.error().contains(QLatin1String("cannot be caught"))) << qPrintable(kill.error());
    // What it installed before the refusal is undone.
    EXPECT_EQ(currentAction(SIGTERM).sa_handler, earlierHandler);
    auto outOfRange = SignalNotifier::create({NSIG});
    ASSERT_FALSE(outOfRange);
    EXPECT_TRUE(outOfRange.error().contains(QLatin1String("is not a signal number"))) << qPrintable(outOfRange.error());
    EXPECT_FALSE(SignalNotifier::create({}));
}

// The handler's send() fails with EAGAIN once the socket's buffer is full; the interrupted code must not see
// that errno. The flood also shows that the handler never blocks and that at least one signal gets through.
TEST_F(SignalNotifierTest, AFloodLeavesErrnoAsItWasAndNeverBlocks)
{
    auto notifier = SignalNotifier::create({SIGTERM});
    ASSERT_TRUE(notifier) << qPrintable(notifier.error());
    Received received(notifier->get());
    constexpr int raised = 20'000;
    for (int i = 0; i < raised; ++i) {
        errno = EDOM;
        ASSERT_EQ(raise(SIGTERM), 0);
        ASSERT_EQ(errno, EDOM) << "after signal " << i + 1;
    }
    ASSERT_TRUE(test::waitFor([&] { return !received.signalNumbers.isEmpty(); }, 10'000));
    // Whatever was written is delivered: wait until a quiet spell, then every one is SIGTERM.
    qsizetype seen = -1;
    while (seen != received.signalNumbers.size()) {
        seen = received.signalNumbers.size();
        test::waitFor([] { return false; }, 50);
    }
    EXPECT_LT(received.signalNumbers.size(), raised) << "the buffer was expected to fill up";
    EXPECT_EQ(received.signalNumbers.count(SIGTERM), received.signalNumbers.size());
}

TEST_F(SignalNotifierTest, ASlotMayDestroyTheNotifier)
{
    auto notifier = SignalNotifier::create({SIGTERM});
    ASSERT_TRUE(notifier) << qPrintable(notifier.error());
    std::unique_ptr<SignalNotifier> owned = std::move(notifier).value();
    int deliveries = 0;
    QObject::connect(owned.get(), &SignalNotifier::received, owned.get(), [&](int) {
        ++deliveries;
        owned.reset();
    });
    ASSERT_EQ(raise(SIGTERM), 0);
    ASSERT_EQ(raise(SIGTERM), 0);
    ASSERT_TRUE(test::waitFor([&] { return !owned; }, 10'000));
    EXPECT_EQ(deliveries, 1);
    EXPECT_EQ(currentAction(SIGTERM).sa_handler, earlierHandler);
}
