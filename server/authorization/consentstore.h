#pragma once

#include "expected.h"

#include <QString>
#include <QStringList>

#include <memory>

class QSqlDatabase;

namespace organizer::authorization {

// Consents a user gave, per user + client + API, stored in SQLite so they survive restarts.
class ConsentStore
{
public:
    ~ConsentStore();
    static Expected<std::unique_ptr<ConsentStore>, QString> open(const QString &path);

    // Whether `scopes` were all granted before.
    bool covers(const QString &subject, const QString &clientId, const QString &audience, const QStringList &scopes) const;
    Expected<Done, QString> remember(const QString &subject, const QString &clientId, const QString &audience, const QStringList &scopes);

private:
    explicit ConsentStore(QString connectionName) : m_connectionName(std::move(connectionName)) {}
    QStringList granted(const QString &subject, const QString &clientId, const QString &audience) const;
    QString m_connectionName;
};

} // namespace organizer::authorization
