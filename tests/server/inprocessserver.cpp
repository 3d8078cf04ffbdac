#include "inprocessserver.h"

#include <QSemaphore>
#include <QThread>

#include <functional>

namespace organizer::test {

// Builds the server, runs its event loop until quit(), and takes it down, all on itself: a QObject's
// timers and socket notifiers belong to the thread that made them.
class InProcessServer::Thread : public QThread
{
public:
    Thread(std::function<void()> setUp, std::function<void()> tearDown) : m_setUp(std::move(setUp)), m_tearDown(std::move(tearDown)) {}

    void startAndWaitUntilSetUp()
    {
        start();
        m_setUpDone.acquire();
    }

protected:
    void run() override
    {
        m_setUp();
        m_setUpDone.release();
        exec();
        m_tearDown();
    }

private:
    std::function<void()> m_setUp;
    std::function<void()> m_tearDown;
    QSemaphore m_setUpDone;
};

InProcessServer::InProcessServer() : InProcessServer(Settings{}) {}

InProcessServer::InProcessServer(Settings settings)
{
    if (settings.home == Home::CallersThread) {
        create(settings);
        return;
    }
    m_thread = std::make_unique<Thread>([this, settings] { create(settings); }, [this] { m_server.reset(); });
    m_thread->startAndWaitUntilSetUp();
}

InProcessServer::~InProcessServer()
{
    if (m_thread) {
        m_thread->quit();
        m_thread->wait();
    }
    m_server.reset();
}

void InProcessServer::create(const Settings &settings)
{
    server::ServerOptions options;
    options.dataDir = m_dataDir.path();
    options.port = 0;
    options.workers = settings.workers;
    options.accessLog = QStringLiteral("off");
    options.tenantFile = settings.tenantFile;
    if (settings.configure)
        settings.configure(options);
    auto created = server::OrganizerServer::create(options, settings.clocks);
    if (!created) {
        m_error = created.error();
        return;
    }
    m_server = std::move(created).value();
    auto url = m_server->start();
    if (!url) {
        m_error = url.error();
        return;
    }
    m_port = quint16(url->port());
    m_issuer = m_server->publicUrl().toString();
}

} // namespace organizer::test
