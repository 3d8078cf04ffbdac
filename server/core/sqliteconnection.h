#pragma once

#include "expected.h"

#include <QSqlDatabase>
#include <QString>

namespace organizer::server {

// A named SQLite connection on the server's database file, the way every store opens it: a busy
// timeout (other connections and processes write too) and synchronous=FULL, so an acknowledged
// write survives a crash. The connection closes with the object.
class SqliteConnection
{
public:
    // `purpose` prefixes the connection's unique name ("organizer-consents").
    static Expected<SqliteConnection, QString> open(const QString &path, const QString &purpose);
    SqliteConnection(SqliteConnection &&other) noexcept : m_name(std::exchange(other.m_name, QString())) {}
    SqliteConnection &operator=(SqliteConnection &&) = delete;
    SqliteConnection(const SqliteConnection &) = delete;
    ~SqliteConnection();

    QSqlDatabase database() const { return QSqlDatabase::database(m_name, false); }

private:
    explicit SqliteConnection(QString name) : m_name(std::move(name)) {}
    QString m_name;
};

} // namespace organizer::server
