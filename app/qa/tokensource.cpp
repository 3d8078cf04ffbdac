#include "tokensource.h"

#include <QProcess>

namespace organizer::qa {

LocalTokenMinter::LocalTokenMinter(QString serverBinary, QString dataDir, QObject *parent)
    : QObject(parent), m_serverBinary(std::move(serverBinary)), m_dataDir(std::move(dataDir))
{}

void LocalTokenMinter::mint(const MintRequest &request, Done done)
{
    QStringList arguments{
        QStringLiteral("token"),      QStringLiteral("--sub"), request.subject,         QStringLiteral("--scope"), request.scopes.join(QLatin1Char(' ')),
        QStringLiteral("--audience"), request.audience,        QStringLiteral("--ttl"), QStringLiteral("600")};
    if (request.expired)
        arguments << QStringLiteral("--expired");
    if (!m_dataDir.isEmpty())
        arguments << QStringLiteral("--data-dir") << m_dataDir;
    auto *process = new QProcess(this);
    connect(process, &QProcess::finished, this, [process, done](int exitCode, QProcess::ExitStatus status) {
        process->deleteLater();
        const QByteArray token = process->readAllStandardOutput().trimmed();
        if (status != QProcess::NormalExit || exitCode != 0 || token.isEmpty())
            return done({}, QStringLiteral("organizer-server token failed: %1").arg(QString::fromUtf8(process->readAllStandardError().trimmed())));
        done(token, {});
    });
    connect(process, &QProcess::errorOccurred, this, [process, done](QProcess::ProcessError error) {
        if (error != QProcess::FailedToStart)
            return;
        process->deleteLater();
        done({}, QStringLiteral("cannot run %1: %2").arg(process->program(), process->errorString()));
    });
    process->start(m_serverBinary, arguments);
}

} // namespace organizer::qa
