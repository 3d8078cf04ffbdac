#include "sqliteconnection.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>

namespace organizer::server {

Expected<SqliteConnection, QString> SqliteConnection::open(const QString &path, const QString &purpose)
{
    SqliteConnection connection(purpose + QLatin1Char('-') + QUuid::createUuid().toString(QUuid::Id128));
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection.m_name);
    if (!db.isValid())
        return Unexpected<QString>(QStringLiteral("the Qt SQLite driver is missing (install libqt6sql6-sqlite)"));
    db.setDatabaseName(path);
    db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    if (!db.open())
        return Unexpected<QString>(QStringLiteral("cannot open %1: %2").arg(path, db.lastError().text()));
    QSqlQuery query(db);
    if (!query.exec(QStringLiteral("PRAGMA synchronous=FULL")))
        return Unexpected<QString>(QStringLiteral("cannot configure %1: %2").arg(path, query.lastError().text()));
    return connection;
}

SqliteConnection::~SqliteConnection()
{
    if (m_name.isEmpty())
        return; // moved from
    {
        QSqlDatabase db = QSqlDatabase::database(m_name, false);
        if (db.isOpen())
            db.close();
    }
    QSqlDatabase::removeDatabase(m_name);
}

} // namespace organizer::server
