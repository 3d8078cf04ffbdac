#pragma once

#include "expected.h"
#include "sqliteconnection.h"

#include <QString>
#include <QStringList>

#include <memory>

namespace organizer::authorization {

// Consents a user gave, per user + client + API, stored in SQLite so they survive restarts.
class ConsentStore
{
public:
    static Expected<std::unique_ptr<ConsentStore>, QString> open(const QString &path);

    // Whether `scopes` were all granted before.
    bool covers(const QString &subject, const QString &clientId, const QString &audience, const QStringList &scopes) const;
    Expected<Done, QString> remember(const QString &subject, const QString &clientId, const QString &audience, const QStringList &scopes);

private:
    explicit ConsentStore(server::SqliteConnection connection) : m_connection(std::move(connection)) {}
    QStringList granted(const QString &subject, const QString &clientId, const QString &audience) const;
    server::SqliteConnection m_connection;
};

} // namespace organizer::authorization
