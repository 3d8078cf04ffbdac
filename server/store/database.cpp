#include "database.h"

#include <QDateTime>
#include <QFile>
#include <QRegularExpression>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>
#include <QHash>
#include <QThread>
#include <QUrl>
#include <QUrlQuery>
#include <QUuid>

#include <atomic>

namespace organizer::store {

Q_LOGGING_CATEGORY(lcDatabase, "organizer.server.database")

namespace {

// Serializes writers that read before they write, and migrations, across every instance on one
// PostgreSQL database (an arbitrary, fixed key: "organize" in ASCII).
constexpr qint64 kAdvisoryLockKey = 0x6f7267616e697a65;

std::atomic<qint64> statementCount{0};

} // namespace

DatabaseLocation DatabaseLocation::sqlite(const QString &path)
{
    DatabaseLocation location;
    location.engine = Engine::Sqlite;
    location.path = path;
    return location;
}

QString DatabaseLocation::displayName() const
{
    if (engine == Engine::Sqlite)
        return path;
    const QString host6 = host.contains(QLatin1Char(':')) ? QLatin1Char('[') + host + QLatin1Char(']') : host;
    return QStringLiteral("postgresql://%1@%2:%3/%4").arg(user, host6).arg(port).arg(name);
}

Expected<DatabaseLocation, QString> parseDatabaseUrl(const QString &text, const QString &passwordFile)
{
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid() || (url.scheme() != QLatin1String("postgresql") && url.scheme() != QLatin1String("postgres")))
        return Unexpected<QString>(QStringLiteral("--database: give a postgresql://USER@HOST:PORT/DATABASE URL"));
    DatabaseLocation location;
    location.engine = Engine::Postgres;
    location.host = url.host();
    location.user = url.userName(QUrl::FullyDecoded);
    location.password = url.password(QUrl::FullyDecoded);
    location.name = url.path(QUrl::FullyDecoded).mid(1);
    location.port = url.port(5432);
    if (location.host.isEmpty())
        return Unexpected<QString>(QStringLiteral("--database: the URL names no host (postgresql://USER@HOST:PORT/DATABASE)"));
    if (location.user.isEmpty())
        return Unexpected<QString>(QStringLiteral("--database: the URL names no user (postgresql://USER@HOST:PORT/DATABASE)"));
    static const QRegularExpression plainName(QStringLiteral("^[A-Za-z0-9_$-]{1,63}$"));
    if (!plainName.match(location.name).hasMatch())
        return Unexpected<QString>(QStringLiteral("--database: the URL names no database, or one with characters other than letters, digits, _ $ and -"));
    // libpq's options ride on the query: only simple keyword=value pairs, never a second host or password.
    static const QRegularExpression optionName(QStringLiteral("^(sslmode|sslrootcert|sslcert|sslkey|connect_timeout|application_name)$"));
    static const QRegularExpression optionValue(QStringLiteral("^[A-Za-z0-9_./-]{1,200}$"));
    QStringList options;
    for (const auto &[key, value] : QUrlQuery(url).queryItems(QUrl::FullyDecoded)) {
        if (!optionName.match(key).hasMatch() || !optionValue.match(value).hasMatch())
            return Unexpected<QString>(QStringLiteral("--database: the option \"%1\" is not one of sslmode, sslrootcert, sslcert, sslkey, connect_timeout "
                                                      "or application_name with a plain value")
                                           .arg(key.left(40)));
        options.append(key + QLatin1Char('=') + value);
    }
    location.options = options.join(QLatin1Char(';'));
    if (!passwordFile.isEmpty()) {
        if (!location.password.isEmpty())
            return Unexpected<QString>(QStringLiteral("--database-password-file: the URL carries a password already; give one or the other"));
        QFile file(passwordFile);
        if (!file.open(QIODevice::ReadOnly))
            return Unexpected<QString>(QStringLiteral("--database-password-file: cannot read %1: %2").arg(passwordFile, file.errorString()));
        location.password = QString::fromUtf8(file.readLine(4096)).trimmed();
        if (location.password.isEmpty())
            return Unexpected<QString>(QStringLiteral("--database-password-file: %1 is empty").arg(passwordFile));
    } else if (location.password.isEmpty()) {
        location.password = qEnvironmentVariable("ORGANIZER_DATABASE_PASSWORD");
    }
    return location;
}

Database::Database(DatabaseLocation location)
    : m_location(std::move(location)), m_baseName(QStringLiteral("organizer-db-") + QUuid::createUuid().toString(QUuid::Id128))
{}

Database::~Database()
{
    // Every thread that used a connection has ended or stopped using it by now (the HTTP workers stop
    // first); removing a connection closes it, from whichever thread.
    for (const QString &name : std::as_const(m_connections))
        QSqlDatabase::removeDatabase(name);
}

QString Database::describe(const QString &what, const QSqlError &error)
{
    // The driver's own words (QPSQL's carry the server's message), never the statement or its values.
    QString text = error.databaseText().isEmpty() ? error.text() : error.databaseText();
    return QStringLiteral("%1: %2").arg(what, text.simplified().left(300));
}

qint64 Database::statementsExecuted()
{
    return statementCount.load(std::memory_order_relaxed);
}

Expected<QSqlQuery, QString> Database::execute(QSqlDatabase db, const QString &sql, const QVariantList &values, const QString &what)
{
    statementCount.fetch_add(1, std::memory_order_relaxed);
    QSqlQuery query(db);
    query.setForwardOnly(true);
    if (!query.prepare(sql)) {
        const QString error = describe(what, query.lastError());
        query = QSqlQuery();
        reviveIfLost(db);
        return Unexpected<QString>(error);
    }
    for (const QVariant &value : values)
        query.addBindValue(value);
    if (!query.exec()) {
        const QString error = describe(what, query.lastError());
        query = QSqlQuery();
        reviveIfLost(db);
        return Unexpected<QString>(error);
    }
    return query;
}

void Database::reviveIfLost(QSqlDatabase db)
{
    if (db.driverName() != QLatin1String("QPSQL"))
        return; // a SQLite file does not go away between statements
    if (db.isOpen()) {
        QSqlQuery probe(db);
        if (probe.exec(QStringLiteral("SELECT 1")))
            return; // the statement failed, the connection is fine
        // 25P02: inside a transaction that an earlier error aborted; the connection itself is fine.
        if (probe.lastError().nativeErrorCode() == QLatin1String("25P02"))
            return;
    }
    qCWarning(lcDatabase).noquote() << "the connection to" << db.hostName() << "was lost; opening it again";
    db.close();
    if (db.open())
        qCInfo(lcDatabase).noquote() << "connected again to" << db.hostName();
    else
        qCWarning(lcDatabase).noquote() << describe(QStringLiteral("cannot connect again"), db.lastError());
}

Expected<QSqlDatabase, QString> Database::openConnection(const QString &name, const QString &role) const
{
    const bool sqlite = m_location.engine == Engine::Sqlite;
    QSqlDatabase db = QSqlDatabase::addDatabase(sqlite ? QStringLiteral("QSQLITE") : QStringLiteral("QPSQL"), name);
    if (!db.isValid()) {
        QSqlDatabase::removeDatabase(name);
        return Unexpected<QString>(sqlite ? QStringLiteral("the Qt SQLite driver is missing (install libqt6sql6-sqlite)")
                                          : QStringLiteral("the Qt PostgreSQL driver is missing (install libqt6sql6-psql)"));
    }
    if (sqlite) {
        db.setDatabaseName(m_location.path);
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
    } else {
        db.setHostName(m_location.host);
        db.setPort(m_location.port);
        db.setUserName(m_location.user);
        db.setPassword(m_location.password);
        db.setDatabaseName(m_location.name);
        QString options = QStringLiteral("connect_timeout=10");
        if (!m_location.options.isEmpty())
            options += QLatin1Char(';') + m_location.options;
        if (!m_location.options.contains(QLatin1String("application_name=")))
            options += QStringLiteral(";application_name=organizer-server") + (role.isEmpty() ? QString() : QLatin1Char('-') + role);
        db.setConnectOptions(options);
    }
    if (!db.open()) {
        const QString error = describe(QStringLiteral("cannot open %1").arg(displayName()), db.lastError());
        db = QSqlDatabase();
        QSqlDatabase::removeDatabase(name);
        return Unexpected<QString>(error);
    }
    // SQLite: WAL so readers never wait for the writer; synchronous=FULL so an acknowledged write
    // survives a crash or power loss. PostgreSQL commits durably by default (synchronous_commit=on);
    // timestamps and text are read back as written.
    const QStringList setup = sqlite
        ? QStringList{QStringLiteral("PRAGMA journal_mode=WAL"), QStringLiteral("PRAGMA synchronous=FULL"), QStringLiteral("PRAGMA foreign_keys=ON")}
        : QStringList{QStringLiteral("SET synchronous_commit = on"), QStringLiteral("SET client_min_messages = warning")};
    QSqlQuery query(db);
    for (const QString &statement : setup) {
        // Switching a new file to WAL needs a moment alone with it, and SQLite does not wait for that
        // by itself: instances starting together on one file retry for up to five seconds.
        bool done = query.exec(statement);
        for (int attempt = 0; !done && sqlite && attempt < 100; ++attempt) {
            QThread::msleep(50);
            done = query.exec(statement);
        }
        if (!done) {
            const QString error = describe(QStringLiteral("cannot configure %1 (%2)").arg(displayName(), statement), query.lastError());
            query = QSqlQuery();
            db = QSqlDatabase();
            QSqlDatabase::removeDatabase(name);
            return Unexpected<QString>(error);
        }
    }
    return db;
}

QSqlDatabase Database::connection() const
{
    // Looked up by the database's unique name in a per-thread table: no lock on the hot path, and a
    // thread that ends cannot hand its connection to a later thread that happens to reuse its address.
    thread_local QHash<QString, QString> mine;
    if (const auto it = mine.constFind(m_baseName); it != mine.cend())
        return QSqlDatabase::database(*it, false);
    QMutexLocker lock(&m_mutex);
    const QString name = m_baseName + QLatin1Char('-') + QString::number(m_connections.size());
    auto opened = openConnection(name);
    if (!opened) {
        qCCritical(lcDatabase).noquote() << opened.error();
        m_lastError = opened.error();
        return QSqlDatabase();
    }
    m_connections.append(name);
    mine.insert(m_baseName, name);
    return opened.value();
}

namespace {
const QString kChangeChannel = QStringLiteral("organizer_changes");
} // namespace

QString Database::changeChannel()
{
    return kChangeChannel;
}

void Database::announce(QSqlDatabase db, const QString &what)
{
    if (db.driverName() != QLatin1String("QPSQL"))
        return;
    // A lost announcement only delays the others until their next poll (at most a second).
    if (auto sent = execute(db, QStringLiteral("SELECT pg_notify(?, ?)"), {kChangeChannel, what}, QStringLiteral("cannot announce a change")); !sent)
        qCWarning(lcDatabase).noquote() << sent.error();
}

Expected<bool, QString> Database::listen(QObject *context, std::function<void(const QString &what)> changed)
{
    if (m_location.engine != Engine::Postgres)
        return false;
    m_listenContext = context;
    m_changed = std::move(changed);
    const QString name = m_baseName + QStringLiteral("-listen");
    auto opened = openConnection(name, QStringLiteral("listen"));
    if (!opened)
        return Unexpected<QString>(opened.error());
    QSqlDatabase db = opened.value();
    if (!db.driver()->subscribeToNotification(kChangeChannel)) {
        db.close();
        QSqlDatabase::removeDatabase(name);
        return Unexpected<QString>(describe(QStringLiteral("cannot listen for other instances' changes"), db.driver()->lastError()));
    }
    QObject::connect(db.driver(), &QSqlDriver::notification, context, [this](const QString &channel, QSqlDriver::NotificationSource, const QVariant &payload) {
        if (channel == kChangeChannel && m_changed)
            m_changed(payload.toString());
    });
    {
        QMutexLocker lock(&m_mutex);
        m_connections.append(name);
    }
    m_listenName = name;
    return true;
}

bool Database::relisten()
{
    if (m_listenName.isEmpty()) {
        // Opening it again failed before (the database was away): try once more on every check.
        if (!m_changed)
            return false;
        if (auto again = listen(m_listenContext, m_changed); !again)
            return false;
        qCInfo(lcDatabase).noquote() << "listening for other instances' changes again";
        return true;
    }
    {
        QSqlDatabase db = QSqlDatabase::database(m_listenName, false);
        QSqlQuery probe(db);
        if (db.isOpen() && probe.exec(QStringLiteral("SELECT 1")))
            return false;
    }
    qCWarning(lcDatabase).noquote() << "the connection that listens for other instances' changes is gone; opening it again";
    {
        QMutexLocker lock(&m_mutex);
        m_connections.removeAll(m_listenName);
    }
    QSqlDatabase::removeDatabase(m_listenName);
    m_listenName.clear();
    if (auto again = listen(m_listenContext, m_changed); !again)
        qCWarning(lcDatabase).noquote() << again.error();
    return true;
}

Expected<Done, QString> Database::transaction(const std::function<Expected<Done, QString>(QSqlDatabase &)> &work, bool exclusive) const
{
    QSqlDatabase db = connection();
    if (!db.isOpen())
        return Unexpected<QString>(QStringLiteral("the database %1 cannot be reached").arg(displayName()));
    const bool sqlite = engine() == Engine::Sqlite;
    QSqlQuery control(db);
    if (!control.exec(sqlite && exclusive ? QStringLiteral("BEGIN IMMEDIATE") : QStringLiteral("BEGIN")))
        return Unexpected<QString>(describe(QStringLiteral("cannot start a transaction"), control.lastError()));
    if (!sqlite && exclusive && !control.exec(QStringLiteral("SELECT pg_advisory_xact_lock(%1)").arg(kAdvisoryLockKey))) {
        const QString error = describe(QStringLiteral("cannot take the schema lock"), control.lastError());
        control.exec(QStringLiteral("ROLLBACK"));
        return Unexpected<QString>(error);
    }
    auto done = work(db);
    if (!done) {
        control.exec(QStringLiteral("ROLLBACK"));
        return done;
    }
    if (!control.exec(QStringLiteral("COMMIT"))) {
        const QString error = describe(QStringLiteral("cannot commit"), control.lastError());
        control.exec(QStringLiteral("ROLLBACK"));
        return Unexpected<QString>(error);
    }
    return Done{};
}

Expected<std::shared_ptr<Database>, QString> Database::open(const DatabaseLocation &location)
{
    return open(location, serverMigrations());
}

Expected<std::shared_ptr<Database>, QString> Database::open(const DatabaseLocation &location, const QList<Migration> &migrations)
{
    std::shared_ptr<Database> database(new Database(location));
    if (!database->connection().isOpen())
        return Unexpected<QString>(database->m_lastError);
    if (auto migrated = database->migrate(migrations); !migrated)
        return Unexpected<QString>(migrated.error());
    return database;
}

Expected<Done, QString> Database::migrate(const QList<Migration> &migrations)
{
    const bool sqlite = engine() == Engine::Sqlite;
    int version = 0;
    auto applied = transaction(
        [&](QSqlDatabase &db) -> Expected<Done, QString> {
            QSqlQuery query(db);
            if (!query.exec(QStringLiteral("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                                           "applied_at BIGINT NOT NULL)")))
                return Unexpected<QString>(describe(QStringLiteral("cannot create schema_migrations"), query.lastError()));
            if (!query.exec(QStringLiteral("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")) || !query.next())
                return Unexpected<QString>(describe(QStringLiteral("cannot read schema_migrations"), query.lastError()));
            version = query.value(0).toInt();
            for (const Migration &migration : migrations) {
                if (migration.version <= version)
                    continue;
                for (const QString &statement : sqlite ? migration.sqlite : migration.postgres) {
                    if (!query.exec(statement))
                        return Unexpected<QString>(describe(QStringLiteral("migration %1 (%2)").arg(migration.version).arg(migration.name), query.lastError()));
                }
                query.prepare(QStringLiteral("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"));
                query.addBindValue(migration.version);
                query.addBindValue(migration.name);
                query.addBindValue(QDateTime::currentSecsSinceEpoch());
                if (!query.exec())
                    return Unexpected<QString>(describe(QStringLiteral("cannot record migration %1").arg(migration.version), query.lastError()));
                qCInfo(lcDatabase).noquote() << "applied migration" << migration.version << migration.name << "to" << displayName();
                version = migration.version;
            }
            return Done{};
        },
        true);
    if (!applied)
        return applied;
    m_schemaVersion = version;
    return Done{};
}

} // namespace organizer::store
