#pragma once

#include <QLoggingCategory>
#include <QObject>
#include <QProcess>
#include <QTimer>
#include <QUrl>

namespace organizer::app {

Q_DECLARE_LOGGING_CATEGORY(lcLauncher)

// Runs the bundled organizer-server as a child process on a free loopback port, waits for its
// readiness line, keeps its log, and stops it with the app.
class ServerLauncher : public QObject
{
    Q_OBJECT

public:
    enum class State { Stopped, Starting, Running, Failed };
    Q_ENUM(State)

    explicit ServerLauncher(QObject *parent = nullptr);
    ~ServerLauncher() override;

    // The binary: $ORGANIZER_SERVER_BINARY, else next to this executable, else ../server/ (the build tree).
    static QString locateServer();

    // `dataDir` empty: the server's default (the user's data directory). `extraArguments` (e.g. a
    // tenant file: --config FILE) and $ORGANIZER_SERVER_ARGS add flags.
    void start(const QString &dataDir = {}, const QStringList &extraArguments = {});
    void stop();

    State state() const { return m_state; }
    QUrl url() const { return m_url; }
    QString dataDir() const { return m_dataDir; } // as given to start(); empty: the server's default
    QString errorString() const { return m_error; }
    QString log() const { return m_log; }

Q_SIGNALS:
    void stateChanged(organizer::app::ServerLauncher::State state);
    void logAppended(const QString &text);

private:
    void setState(State state);
    void fail(const QString &reason);

    QProcess m_process;
    QTimer m_startupTimeout;
    QByteArray m_stdout;
    QString m_log;
    QUrl m_url;
    QString m_error;
    QString m_dataDir;
    State m_state = State::Stopped;
};

} // namespace organizer::app
