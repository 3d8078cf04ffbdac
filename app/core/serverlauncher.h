#pragma once

#include "bundledservertrust.h"

#include <QLoggingCategory>
#include <QObject>
#include <QProcess>
#include <QTimer>
#include <QUrl>

namespace organizer::app {

Q_DECLARE_LOGGING_CATEGORY(lcLauncher)

// Runs the bundled organizer-server as a child process on a free loopback port, waits for its
// readiness line, keeps its log, and stops it with the app. When it serves HTTPS (--tls), it is
// Running only once its local CA (`organizer-server ca --path`) is read and trusted for its origins
// alone (BundledServerTrust), so no request reaches it before the app can verify it.
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
    // Serve HTTPS with the server's local CA (--tls) from the next start() on.
    void setTls(bool on) { m_tls = on; }
    bool tls() const { return m_tls; }
    // The local CA trusted for the running server; none over plain HTTP.
    const std::optional<BundledServerCa> &trustedCa() const { return m_trustedCa; }

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
    void onAnnounced(const QUrl &url);
    void trustLocalCa(const QString &caPath);

    QProcess m_process;
    QProcess m_caLookup; // organizer-server ca --path, once an HTTPS server is up
    QStringList m_arguments; // as the server was started with
    QTimer m_startupTimeout;
    QByteArray m_stdout;
    QString m_log;
    QUrl m_url;
    QString m_error;
    QString m_dataDir;
    State m_state = State::Stopped;
    bool m_tls = false;
    std::optional<BundledServerCa> m_trustedCa;
};

} // namespace organizer::app
