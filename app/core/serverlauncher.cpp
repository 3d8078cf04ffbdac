#include "serverlauncher.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QSignalBlocker>

#ifdef Q_OS_LINUX
#include <csignal>
#include <sys/prctl.h>
#endif

namespace organizer::app {

Q_LOGGING_CATEGORY(lcLauncher, "organizer.app.server")

ServerLauncher::ServerLauncher(QObject *parent) : QObject(parent)
{
    m_startupTimeout.setSingleShot(true);
    m_startupTimeout.setInterval(20'000);
    connect(&m_startupTimeout, &QTimer::timeout, this, [this] { fail(QStringLiteral("organizer-server did not become ready within 20 seconds")); });
    connect(&m_process, &QProcess::readyReadStandardOutput, this, [this] {
        m_stdout += m_process.readAllStandardOutput();
        const qsizetype at = m_stdout.indexOf("listening on ");
        const qsizetype end = at < 0 ? -1 : m_stdout.indexOf('\n', at);
        if (m_state == State::Starting && end > 0 && m_url.isEmpty())
            onAnnounced(QUrl(QString::fromUtf8(m_stdout.mid(at + 13, end - at - 13).trimmed())));
    });
    connect(&m_process, &QProcess::readyReadStandardError, this, [this] {
        const QString text = QString::fromUtf8(m_process.readAllStandardError());
        m_log += text;
        if (m_log.size() > 1'000'000)
            m_log = m_log.right(500'000);
        Q_EMIT logAppended(text);
    });
    connect(&m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            fail(QStringLiteral("organizer-server could not be started (%1): %2").arg(m_process.program(), m_process.errorString()));
    });
    connect(&m_caLookup, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart && m_state == State::Starting)
            fail(QStringLiteral("the bundled server's local CA could not be looked up (%1 ca --path): %2").arg(m_caLookup.program(), m_caLookup.errorString()));
    });
    connect(&m_caLookup, &QProcess::finished, this, [this](int exitCode, QProcess::ExitStatus status) {
        if (m_state != State::Starting)
            return;
        const QString out = QString::fromLocal8Bit(m_caLookup.readAllStandardOutput()).trimmed();
        if (status != QProcess::NormalExit || exitCode != 0 || out.isEmpty()) {
            const QString said = QString::fromLocal8Bit(m_caLookup.readAllStandardError()).trimmed();
            fail(QStringLiteral("the bundled server's local CA could not be looked up (organizer-server ca --path, exit code %1)%2")
                     .arg(exitCode)
                     .arg(said.isEmpty() ? QString() : QStringLiteral(": ") + said));
            return;
        }
        trustLocalCa(out.section(QLatin1Char('\n'), 0, 0).trimmed());
    });
    connect(&m_process, &QProcess::finished, this, [this](int exitCode, QProcess::ExitStatus) {
        if (m_state == State::Starting || m_state == State::Running) {
            const QString last = m_log.trimmed().section(QLatin1Char('\n'), -1);
            fail(QStringLiteral("organizer-server stopped (exit code %1)%2").arg(exitCode).arg(last.isEmpty() ? QString() : QStringLiteral(": ") + last));
        }
    });
}

ServerLauncher::~ServerLauncher()
{
    stop();
}

QString ServerLauncher::locateServer()
{
    const QString fromEnvironment = qEnvironmentVariable("ORGANIZER_SERVER_BINARY");
    if (!fromEnvironment.isEmpty())
        return fromEnvironment;
    const QDir here(QCoreApplication::applicationDirPath());
    for (const QString &candidate : {here.filePath(QStringLiteral("organizer-server")), here.filePath(QStringLiteral("../server/organizer-server"))}) {
        if (QFileInfo(candidate).isExecutable())
            return QFileInfo(candidate).canonicalFilePath();
    }
    return QStringLiteral("organizer-server"); // from PATH, as installed by the package
}

void ServerLauncher::start(const QString &dataDir, const QStringList &extraArguments)
{
    if (m_state == State::Starting || m_state == State::Running)
        return;
    m_stdout.clear();
    m_url.clear();
    m_error.clear();
    m_trustedCa.reset();
    m_dataDir = dataDir;
    QStringList arguments{QStringLiteral("--port"), QStringLiteral("0")};
    if (!dataDir.isEmpty())
        arguments += {QStringLiteral("--data-dir"), dataDir};
    if (m_tls)
        arguments += QStringLiteral("--tls");
    // For development and tests: more flags for the bundled server, e.g. "--config my-tenant.json".
    arguments += extraArguments;
    arguments += QProcess::splitCommand(qEnvironmentVariable("ORGANIZER_SERVER_ARGS"));
    m_arguments = arguments;
    setState(State::Starting);
    m_startupTimeout.start();
#ifdef Q_OS_LINUX
    // If the app dies without stopping it (a crash, SIGKILL), the bundled server goes with it.
    m_process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
#endif
    m_process.start(locateServer(), arguments);
}

void ServerLauncher::onAnnounced(const QUrl &url)
{
    m_url = url;
    if (url.scheme() != QLatin1String("https")) {
        m_startupTimeout.stop();
        setState(State::Running);
        return;
    }
    // The CA the server's certificates come from lives in its data directory: the server itself says
    // where, for the same --data-dir it was given (the last one counts, as for the server).
    QStringList lookup{QStringLiteral("ca"), QStringLiteral("--path")};
    QString dataDir;
    for (qsizetype i = 0; i < m_arguments.size(); ++i) {
        if (m_arguments.at(i) == QLatin1String("--data-dir") && i + 1 < m_arguments.size())
            dataDir = m_arguments.at(i + 1);
        else if (m_arguments.at(i).startsWith(QLatin1String("--data-dir=")))
            dataDir = m_arguments.at(i).mid(11);
    }
    if (!dataDir.isEmpty())
        lookup += {QStringLiteral("--data-dir"), dataDir};
    m_caLookup.start(m_process.program(), lookup);
}

void ServerLauncher::trustLocalCa(const QString &caPath)
{
    const auto certificate = readBundledServerCa(caPath);
    if (!certificate) {
        fail(certificate.error());
        return;
    }
    BundledServerCa ca{*certificate, caPath, bundledServerOrigins(m_url)};
    BundledServerTrust::trust(ca);
    m_trustedCa = std::move(ca);
    qCInfo(lcLauncher).noquote() << "trusting the local CA" << m_trustedCa->commonName() << "for" << m_trustedCa->origins.join(QLatin1String(", ")) << "only";
    m_startupTimeout.stop();
    setState(State::Running);
}

void ServerLauncher::stop()
{
    if (m_trustedCa) {
        BundledServerTrust::forget(m_url);
        m_trustedCa.reset();
    }
    m_startupTimeout.stop();
    if (m_caLookup.state() != QProcess::NotRunning) {
        const QSignalBlocker asked(&m_caLookup); // an end we asked for is not a failure
        m_caLookup.kill();
        m_caLookup.waitForFinished(3000);
    }
    if (m_process.state() != QProcess::NotRunning) {
        m_state = State::Stopped; // an exit we asked for is not a failure
        m_process.terminate();
        if (!m_process.waitForFinished(3000)) {
            m_process.kill();
            m_process.waitForFinished(3000);
        }
    }
    setState(State::Stopped);
}

void ServerLauncher::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

void ServerLauncher::fail(const QString &reason)
{
    if (m_trustedCa) {
        BundledServerTrust::forget(m_url);
        m_trustedCa.reset();
    }
    m_error = reason;
    qCWarning(lcLauncher).noquote() << reason;
    m_startupTimeout.stop();
    if (m_process.state() != QProcess::NotRunning)
        m_process.kill();
    setState(State::Failed);
}

} // namespace organizer::app
