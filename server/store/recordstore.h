#pragma once

#include "catalogue.h"
#include "database.h"
#include "expected.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QMutex>
#include <QHash>
#include <QThread>

#include <array>
#include <atomic>

#include <memory>
#include <optional>

namespace organizer::store {

Q_DECLARE_LOGGING_CATEGORY(lcStore)

// The records of every API in the catalogue, in the server's database: SQLite (WAL, synchronous=FULL) or
// PostgreSQL; either way an acknowledged write survives a crash. Each collection is seeded once, when
// its table is first created (by whichever instance gets there first).
class RecordStore
{
public:
    ~RecordStore();
    RecordStore(const RecordStore &) = delete;
    RecordStore &operator=(const RecordStore &) = delete;

    static Expected<std::unique_ptr<RecordStore>, QString> open(std::shared_ptr<store::Database> database, const QList<catalogue::ApiSpec> &collections);

    // Creates the API's table (seeded) if it is new; otherwise brings its columns to this declaration:
    // adds missing ones, converts a changed type (convertColumn in recordstore.cpp says how), lets every column be empty.
    // Columns of fields no longer declared, and tables of APIs no longer declared, are kept as they are:
    // their records are served again when the field or the API is declared again.
    // Called before an API declared through the Management API is served.
    Expected<Done, QString> prepare(const catalogue::ApiSpec &spec);

    Expected<QJsonArray, QString> list(const catalogue::ApiSpec &spec) const;
    Expected<std::optional<QJsonObject>, QString> get(const catalogue::ApiSpec &spec, qint64 id) const;
    Expected<QJsonObject, QString> create(const catalogue::ApiSpec &spec, const QJsonObject &record);
    // nullopt: no record with that id.
    Expected<std::optional<QJsonObject>, QString> replace(const catalogue::ApiSpec &spec, qint64 id, const QJsonObject &record);
    Expected<bool, QString> remove(const catalogue::ApiSpec &spec, qint64 id);

    // Changes whenever the data may have changed: a write through this store, or a commit by another
    // connection or process (SQLite's wal-index or data_version; on PostgreSQL another instance's
    // announcement, or while none can be heard the organizer_record_revision sequence, which every
    // instance moves after each write). Read it before reading the records: what is derived from a read
    // made after revision() answered N may be reused for as long as revision() answers N.
    // Comparable across threads. nullopt when it cannot be read: then nothing may be reused.
    std::optional<quint64> revision() const;
    // True when revision() reads the shared wal-index header instead of asking SQLite (the fast path).
    bool watchesWalIndex() const { return m_walIndex.header != nullptr; }

    // PostgreSQL: what every write announces to all instances (Database::announce's `what`).
    static QString writeAnnouncement() { return QStringLiteral("records"); }
    // PostgreSQL: whether this instance hears every instance's write announcements (its Database LISTENs).
    // While it does, revision() answers from memory, with no statement; while it does not, it reads the
    // shared sequence on each call. Either switch counts as a change: what was announced while nobody
    // listened is unknown. Called on the listening thread.
    void setHearingWrites(bool hearing);
    bool hearsWrites() const { return m_hearingWrites.load(std::memory_order_acquire); }
    // An instance announced a write, or announcements may have been missed (the listening connection was
    // opened again): lists read before now are stale. Safe from any thread.
    void writesAnnounced() { m_generation.fetch_add(1, std::memory_order_acq_rel); }

private:
    // Per HTTP worker: the revision query, prepared once on the thread's connection.
    struct ThreadConnection
    {
        std::unique_ptr<QSqlQuery> dataVersion; // prepared once: it runs on every revision() call
        quint64 lastDataVersion = 0;
        bool observed = false;
    };

    explicit RecordStore(std::shared_ptr<store::Database> database) : m_database(std::move(database)) {}
    Expected<Done, QString> reconcileColumns(QSqlDatabase &db, const catalogue::ApiSpec &spec);
    Expected<Done, QString> seed(const catalogue::ApiSpec &spec);
    QSqlDatabase database() const { return m_database->connection(); }
    ThreadConnection *threadConnection() const;
    bool postgres() const { return m_database->engine() == store::Engine::Postgres; }
    // The message for a failed statement; a lost connection is opened again for the next call.
    QString failed(QSqlQuery &query, const QString &what) const;
    // Moves this instance's revision at once (a list after a write sees it) and, on PostgreSQL, tells every
    // instance's list caches that a write happened. Called after the write committed.
    void announceWrite() const;
    // failed() for a write: whether it took effect is unknown (a connection lost after the commit), so it
    // is announced all the same.
    QString writeFailed(QSqlQuery &query, const QString &what) const;

    // The database's shared wal-index header, mapped read-only: compared on each revision() call.
    struct WalIndexView
    {
        static constexpr qsizetype kHeaderBytes = 48; // one copy of the WalIndexHdr
        static constexpr qsizetype kMappedBytes = 136; // both copies and the checkpoint info
        ~WalIndexView();
        void attach(const QString &databasePath);
        // True (and `generation` moved) when a commit happened since the last call on any thread.
        bool changed(std::atomic<quint64> &generation);
        const unsigned char *header = nullptr;
        std::array<std::atomic<quint64>, kHeaderBytes / 8> lastSeen{};
    };

    std::shared_ptr<store::Database> m_database;
    mutable WalIndexView m_walIndex;
    mutable QMutex m_connectionsMutex;
    mutable QHash<QThread *, std::shared_ptr<ThreadConnection>> m_connections;
    // Bumped by every local write, by any thread that sees another connection's commit, and by every
    // announcement heard.
    mutable std::atomic<quint64> m_generation{1};
    std::atomic<bool> m_hearingWrites{false};
};

} // namespace organizer::store
