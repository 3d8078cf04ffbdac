#pragma once

#include "expected.h"
#include "database.h"

#include <QString>
#include <QStringList>

#include <memory>

namespace organizer::store {

// Consents a user gave, per user + client + API, in the server's database: they survive restarts and
// every instance on a shared database sees them.
class ConsentStore
{
public:
    explicit ConsentStore(std::shared_ptr<store::Database> database) : m_database(std::move(database)) {}

    // Whether `scopes` were all granted before.
    bool covers(const QString &subject, const QString &clientId, const QString &audience, const QStringList &scopes) const;
    Expected<Done, QString> remember(const QString &subject, const QString &clientId, const QString &audience, const QStringList &scopes);

private:
    QStringList granted(const QString &subject, const QString &clientId, const QString &audience) const;
    std::shared_ptr<store::Database> m_database;
};

} // namespace organizer::store
