#include "serverprocess.h"

#include <QDeadlineTimer>

namespace organizer::test {

QString serverBinary()
{
    return QStringLiteral(ORGANIZER_SERVER_BINARY);
}

ServerProcess::ServerProcess(QString dataDir) : m_dataDir(std::move(dataDir))
{
    if (m_dataDir.isEmpty()) {
        m_tempDir = std::make_unique<QTemporaryDir>();
        m_dataDir = m_tempDir->path();
    }
}

ServerProcess::~ServerProcess()
{
    stop();
}

bool ServerProcess::start(const QStringList &extraArguments, int timeoutMs)
{
    m_log.clear();
    QStringList arguments{QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--data-dir"), m_dataDir};
    arguments += extraArguments;
    m_process.setProgram(serverBinary());
    m_process.setArguments(arguments);
    m_process.start();
    if (!m_process.waitForStarted(timeoutMs)) {
        m_error = m_process.errorString();
        return false;
    }
    QByteArray out;
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        m_process.waitForReadyRead(100);
        out += m_process.readAllStandardOutput();
        m_log += m_process.readAllStandardError();
        const qsizetype at = out.indexOf("listening on ");
        const qsizetype end = at < 0 ? -1 : out.indexOf('\n', at);
        if (end > 0) {
            m_url = QUrl(QString::fromUtf8(out.mid(at + 13, end - at - 13).trimmed()));
            return true;
        }
        if (m_process.state() == QProcess::NotRunning)
            break;
    }
    m_error = QStringLiteral("no readiness line; stdout: %1 stderr: %2").arg(QString::fromUtf8(out), QString::fromUtf8(m_log));
    return false;
}

QByteArray ServerProcess::log()
{
    // QProcess only reads its pipes from an event loop or a waitFor* call: drain what is there.
    if (m_process.state() == QProcess::Running) {
        while (m_process.waitForReadyRead(200))
            m_log += m_process.readAllStandardError();
    }
    m_log += m_process.readAllStandardError();
    return m_log;
}

void ServerProcess::stop()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.terminate();
    if (!m_process.waitForFinished(5000)) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
    log();
}

std::optional<int> ServerProcess::waitForExit(int timeoutMs)
{
    if (m_process.state() != QProcess::NotRunning && !m_process.waitForFinished(timeoutMs))
        return std::nullopt;
    log();
    return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
}

void ServerProcess::kill()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    m_process.kill();
    m_process.waitForFinished(5000);
    log();
}

CommandResult runServerCommand(const QStringList &arguments, int timeoutMs)
{
    QProcess process;
    process.start(serverBinary(), arguments);
    CommandResult result;
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        result.err = "timed out";
        return result;
    }
    result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

} // namespace organizer::test
