#pragma once

// Runs the real organizer-server binary on port 0 with a temporary data directory, the way a user
// or the desktop app does, and waits for its readiness line.

#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>
#include <QUrl>

#include <memory>
#include <optional>

namespace organizer::test {

QString serverBinary();

class ServerProcess
{
public:
    // `dataDir` empty: a fresh temporary directory owned by this object.
    explicit ServerProcess(QString dataDir = {});
    ~ServerProcess();

    // Starts the server with `extraArguments`; false (and `errorText()` says why) if it did not announce readiness.
    bool start(const QStringList &extraArguments = {}, int timeoutMs = 20000);
    void stop();
    void kill();
    // Waits up to `timeoutMs` for the server to exit by itself; its exit code, or nullopt if it did not.
    std::optional<int> waitForExit(int timeoutMs);

    quint16 port() const { return quint16(m_url.port()); }
    QUrl url() const { return m_url; }
    QString issuer() const { return m_url.toString(); }
    QString dataDir() const { return m_dataDir; }
    qint64 pid() const { return m_process.processId(); }
    QString errorText() const { return m_error; }
    // Everything the server wrote to stderr (its log) so far.
    QByteArray log();

private:
    std::unique_ptr<QTemporaryDir> m_tempDir;
    QString m_dataDir;
    QProcess m_process;
    QByteArray m_log;
    QUrl m_url;
    QString m_error;
};

struct CommandResult
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};
// Runs organizer-server with `arguments` to completion (for the CLI and subcommands).
CommandResult runServerCommand(const QStringList &arguments, int timeoutMs = 30000);

} // namespace organizer::test
