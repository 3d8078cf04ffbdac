#pragma once

#include "catalogue.h"
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

namespace organizer::server {

Q_DECLARE_LOGGING_CATEGORY(lcStore)

// The records of every API in the catalogue, in SQLite (WAL, synchronous=FULL: an acknowledged write survives a crash
// or power loss). Each collection is seeded once, when its table is first created.
class RecordStore
{
public:
    ~RecordStore();
    RecordStore(const RecordStore &) = delete;
    RecordStore &operator=(const RecordStore &) = delete;

    static Expected<std::unique_ptr<RecordStore>, QString> open(const QString &path, const QList<catalogue::ApiSpec> &collections);

    // Creates the API's table (seeded) if it is new, or adds the columns of fields it did not have.
    // Called before an API declared through the Management API is served.
    Expected<Done, QString> prepare(const catalogue::ApiSpec &spec);

    Expected<QJsonArray, QString> list(const catalogue::ApiSpec &spec) const;
    Expected<std::optional<QJsonObject>, QString> get(const catalogue::ApiSpec &spec, qint64 id) const;
    Expected<QJsonObject, QString> create(const catalogue::ApiSpec &spec, const QJsonObject &record);
    // nullopt: no record with that id.
    Expected<std::optional<QJsonObject>, QString> replace(const catalogue::ApiSpec &spec, qint64 id, const QJsonObject &record);
    Expected<bool, QString> remove(const catalogue::ApiSpec &spec, qint64 id);

    // Changes whenever the data may have changed: a write through this store, or a commit by another
    // connection (SQLite's data_version; the APIs may run as separate processes on one database).
    // Comparable across threads. Lets callers reuse what they derived from a read until then.
    // nullopt when it cannot be read: then nothing may be reused.
    std::optional<quint64> revision() const;
    // True when revision() reads the shared wal-index header instead of asking SQLite (the fast path).
    bool watchesWalIndex() const { return m_walIndex.header != nullptr; }

private:
    // SQLite connections belong to the thread that opened them: each HTTP worker gets its own.
    struct ThreadConnection
    {
        QString name;
        std::unique_ptr<QSqlQuery> dataVersion; // prepared once: it runs on every revision() call
        quint64 lastDataVersion = 0;
        bool observed = false;
    };

    explicit RecordStore(QString connectionName);
    Expected<Done, QString> addMissingColumns(const catalogue::ApiSpec &spec);
    Expected<Done, QString> seed(const catalogue::ApiSpec &spec);
    QSqlDatabase database() const;
    ThreadConnection *threadConnection() const;
    static Expected<Done, QString> configure(QSqlDatabase &db);

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

    QString m_connectionName;
    QThread *m_openedIn = nullptr;
    mutable WalIndexView m_walIndex;
    mutable QMutex m_connectionsMutex;
    mutable QHash<QThread *, std::shared_ptr<ThreadConnection>> m_connections;
    // Bumped by every local write and by any thread that sees another connection's commit.
    mutable std::atomic<quint64> m_generation{1};
};

} // namespace organizer::server
