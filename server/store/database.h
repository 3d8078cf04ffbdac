#pragma once

#include "expected.h"

#include <QLoggingCategory>
#include <QMutex>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QVariantList>
#include <QString>

#include <functional>
#include <memory>

namespace organizer::store {

Q_DECLARE_LOGGING_CATEGORY(lcDatabase)

// The two engines behind one store: SQLite (embedded, the zero-configuration default) and PostgreSQL
// (shared by several organizer-server instances behind a load balancer).
enum class Engine { Sqlite, Postgres };

// Where the data lives. Built from --database (a postgresql:// URL) or from the data directory.
struct DatabaseLocation
{
    Engine engine = Engine::Sqlite;
    QString path; // SQLite: the database file
    QString host; // PostgreSQL
    int port = 5432;
    QString user;
    QString password;
    QString name; // the database
    QString options; // libpq options from the URL's query (sslmode=require …), ';'-separated for QPSQL

    static DatabaseLocation sqlite(const QString &path);
    // For logs and errors: the URL without its password, so a location can always be shown.
    QString displayName() const;
};

// postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=…] (also postgres://). The password may
// instead come from `passwordFile` (its first line) or the environment's ORGANIZER_DATABASE_PASSWORD;
// with none of them libpq's own PGPASSWORD/~/.pgpass apply. Percent-escapes are decoded (RFC 3986).
Expected<DatabaseLocation, QString> parseDatabaseUrl(const QString &url, const QString &passwordFile = QString());

// A versioned schema change: applied once, in order, at start; schema_migrations records which ran.
struct Migration
{
    int version = 0;
    QString name;
    QStringList sqlite;
    QStringList postgres;
};

// One database, opened once per process, with a connection per thread (Qt's SQL connections belong
// to the thread that opened them). Migrations run at open, under a lock, so instances starting
// together apply each one once.
class Database
{
public:
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    // Opens and brings the schema up to date with `migrations` (default: the server's).
    static Expected<std::shared_ptr<Database>, QString> open(const DatabaseLocation &location);
    static Expected<std::shared_ptr<Database>, QString> open(const DatabaseLocation &location, const QList<Migration> &migrations);

    Engine engine() const { return m_location.engine; }
    const DatabaseLocation &location() const { return m_location; }
    QString displayName() const { return m_location.displayName(); }

    // This thread's connection, opened on first use; invalid (with a warning) when it cannot open.
    QSqlDatabase connection() const;
    // The highest migration applied.
    int schemaVersion() const { return m_schemaVersion; }

    // Runs `work` inside one transaction on this thread's connection, committed when it succeeds and
    // rolled back when it fails. `exclusive`: serialized against every other writer (SQLite's BEGIN
    // IMMEDIATE; a PostgreSQL advisory lock), for read-then-write steps no single statement covers.
    Expected<Done, QString> transaction(const std::function<Expected<Done, QString>(QSqlDatabase &)> &work, bool exclusive = false) const;

    // Prepares `sql` on `db`, binds `values` in order and runs it (forward-only); `what` starts the error.
    static Expected<QSqlQuery, QString> execute(QSqlDatabase db, const QString &sql, const QVariantList &values, const QString &what);
    // Statements run through execute() by this process so far (every thread's): tests use it to bound
    // what a step costs, e.g. that revoking a family does not take one statement per token.
    static qint64 statementsExecuted();
    // The same on this thread's connection.
    Expected<QSqlQuery, QString> execute(const QString &sql, const QVariantList &values, const QString &what) const
    {
        return execute(connection(), sql, values, what);
    }

    // After a failed statement: when the connection itself is gone (the PostgreSQL server restarted, a
    // network hiccup, the backend terminated), opens it again so the next request works. The failed
    // statement is not repeated: whether it took effect is unknown, and the caller already reports it.
    static void reviveIfLost(QSqlDatabase db);
    void reviveIfLost() const { reviveIfLost(connection()); }

    // Tells every instance on the database that `what` changed (revocations, the tenant): PostgreSQL's
    // NOTIFY, delivered when the transaction `db` is in commits. Nothing on SQLite, whose instances share
    // one machine and poll it.
    static void announce(QSqlDatabase db, const QString &what);
    void announce(const QString &what) const { announce(connection(), what); }
    // The channel announce() notifies: for a statement that announces along with other work (pg_notify).
    static QString changeChannel();
    // Calls `changed` on this thread, with `context` alive, whenever an instance announces a change: a
    // dedicated PostgreSQL connection LISTENs. False on SQLite (nothing to listen to).
    Expected<bool, QString> listen(QObject *context, std::function<void(const QString &what)> changed);
    // Whether the listening connection still answers; when it does not, it is opened and subscribed again
    // (then what was announced meanwhile is lost, and the caller should read everything again: true).
    // A connection that could not be opened again is tried again on each call.
    bool relisten();
    // Whether a connection LISTENs now (on the thread that called listen()).
    bool listening() const { return !m_listenName.isEmpty(); }

    // The text of an SQL error, kept short and free of bound values.
    static QString describe(const QString &what, const QSqlError &error);

private:
    explicit Database(DatabaseLocation location);
    // `role` names the connection's purpose to the server (application_name organizer-server-ROLE).
    Expected<QSqlDatabase, QString> openConnection(const QString &name, const QString &role = {}) const;
    Expected<Done, QString> migrate(const QList<Migration> &migrations);

    DatabaseLocation m_location;
    QString m_baseName;
    int m_schemaVersion = 0;
    mutable QMutex m_mutex;
    mutable QStringList m_connections; // every thread's, closed with the database
    mutable QString m_lastError; // why the last connection could not open
    QString m_listenName; // the LISTENing connection's name; empty when not listening
    QObject *m_listenContext = nullptr;
    std::function<void(const QString &)> m_changed;
};

// The statements that build the server's schema, version by version.
const QList<Migration> &serverMigrations();

} // namespace organizer::store
