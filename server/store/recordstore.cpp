#include "recordstore.h"

#include "recordvalidation.h"

#include <array>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QUuid>

namespace organizer::store {

Q_LOGGING_CATEGORY(lcStore, "organizer.server.store")

namespace {

using Type = catalogue::RecordField::Type;
using catalogue::ApiSpec;
using catalogue::RecordField;

QString failure(const QString &what, const QSqlError &error)
{
    return QStringLiteral("%1: %2").arg(what, error.text());
}

// The two ways a field's column stores its values.
enum class Storage { Text, Integer };

Storage storageOf(const RecordField &field)
{
    return field.type == Type::Minutes ? Storage::Integer : Storage::Text;
}

QString sqlType(Storage storage)
{
    return storage == Storage::Integer ? QStringLiteral("BIGINT") : QStringLiteral("TEXT");
}

QString sqlType(const RecordField &field)
{
    return sqlType(storageOf(field));
}

struct TableColumn
{
    Storage storage = Storage::Text;
    bool notNull = false;
};

// Every table and column name goes into SQL quoted: a declared API may name a field "order" or
// "group". The names themselves are plain ([a-z][a-z0-9_]*, the catalogue's rule), so quoting is all it takes.
QString quoted(const QString &name)
{
    return QLatin1Char('"') + name + QLatin1Char('"');
}

// Text columns bound to the record's values, plus a UTC epoch column next to each date-time so
// lists sort by instant, not by the text of differently offset times.
QStringList columnsOf(const ApiSpec &spec)
{
    QStringList columns;
    for (const RecordField &field : spec.fields) {
        columns.append(quoted(field.name));
        if (field.type == Type::DateTime)
            columns.append(quoted(field.name + QLatin1String("_utc")));
    }
    return columns;
}

void bindRecord(QSqlQuery &query, const ApiSpec &spec, const QJsonObject &record)
{
    for (const RecordField &field : spec.fields) {
        const QJsonValue value = record.value(field.name);
        if (value.isUndefined() || value.isNull())
            query.addBindValue(QVariant());
        else if (field.type == Type::Minutes)
            query.addBindValue(value.toInteger());
        else
            query.addBindValue(value.toString());
        if (field.type == Type::DateTime)
            query.addBindValue(QDateTime::fromString(value.toString(), Qt::ISODate).toSecsSinceEpoch());
    }
}

QJsonObject readRecord(const QSqlQuery &query, const ApiSpec &spec)
{
    QJsonObject object{{QStringLiteral("id"), query.value(0).toLongLong()}};
    int column = 1;
    for (const RecordField &field : spec.fields) {
        const QVariant value = query.value(column++);
        if (field.type == Type::DateTime)
            ++column;
        if (value.isNull())
            continue;
        if (field.type == Type::Minutes)
            object.insert(field.name, value.toLongLong());
        else
            object.insert(field.name, value.toString());
    }
    return object;
}

// By the API's sort field (date-times by instant, text without regard to ASCII case, byte order
// otherwise, the same in both engines), then by id.
QString orderByOf(const ApiSpec &spec, bool postgres)
{
    const RecordField *field = spec.field(spec.sortField);
    if (!field)
        return QStringLiteral("id");
    if (field->type == Type::DateTime)
        return quoted(field->name + QStringLiteral("_utc")) + QStringLiteral(", id");
    if (field->type == Type::Minutes)
        return quoted(field->name) + QStringLiteral(", id");
    if (postgres)
        return QStringLiteral("lower(%1) COLLATE \"C\", id").arg(quoted(field->name));
    return quoted(field->name) + QStringLiteral(" COLLATE NOCASE, id");
}

QString selectSql(const ApiSpec &spec)
{
    return QStringLiteral("SELECT id, %1 FROM %2").arg(columnsOf(spec).join(QLatin1String(", ")), quoted(spec.table));
}

// `write` (ending in RETURNING id) as one statement that, on PostgreSQL, also announces the write to every
// instance: the NOTIFY commits with the row it tells of, and is sent only when a row changed.
QString announcedWrite(const QString &write, bool postgres)
{
    if (!postgres)
        return write;
    return QStringLiteral("WITH written AS (%1) SELECT id, pg_notify('%2', '%3') FROM written")
        .arg(write, store::Database::changeChannel(), RecordStore::writeAnnouncement());
}

} // namespace

RecordStore::~RecordStore() = default;

RecordStore::ThreadConnection *RecordStore::threadConnection() const
{
    QThread *thread = QThread::currentThread();
    QMutexLocker lock(&m_connectionsMutex);
    if (auto it = m_connections.constFind(thread); it != m_connections.cend())
        return it->get();
    QSqlDatabase db = database();
    if (!db.isOpen())
        return nullptr;
    auto connection = std::make_shared<ThreadConnection>();
    connection->dataVersion = std::make_unique<QSqlQuery>(db);
    connection->dataVersion->setForwardOnly(true);
    if (!connection->dataVersion->prepare(postgres() ? QStringLiteral("SELECT last_value FROM organizer_record_revision")
                                                     : QStringLiteral("PRAGMA data_version"))) {
        qCCritical(lcStore).noquote() << store::Database::describe(QStringLiteral("cannot read the data version"), connection->dataVersion->lastError());
        return nullptr;
    }
    ThreadConnection *raw = connection.get();
    m_connections.insert(thread, std::move(connection));
    return raw;
}

Expected<std::unique_ptr<RecordStore>, QString> RecordStore::open(std::shared_ptr<store::Database> database, const QList<ApiSpec> &collections)
{
    std::unique_ptr<RecordStore> store(new RecordStore(std::move(database)));
    for (const ApiSpec &spec : collections) {
        if (auto prepared = store->prepare(spec); !prepared)
            return Unexpected<QString>(prepared.error());
    }
    if (!store->threadConnection())
        return Unexpected<QString>(QStringLiteral("cannot read the database's data version"));
    if (!store->postgres()) {
        const QString path = store->m_database->location().path;
        store->m_walIndex.attach(path);
        if (!store->m_walIndex.header)
            qCInfo(lcStore).noquote() << "no shared wal-index for" << path << "- reading PRAGMA data_version for each list";
    }
    return store;
}

void RecordStore::setHearingWrites(bool hearing)
{
    if (!postgres() || hearing == m_hearingWrites.load(std::memory_order_acquire))
        return;
    // Writes committed before the subscription took effect were announced to nobody: every list read
    // before now is suspect. The revision moves before answers come from memory, so no thread pairs the
    // in-memory answer with a list it read before this call.
    m_generation.fetch_add(1, std::memory_order_acq_rel);
    m_hearingWrites.store(hearing, std::memory_order_release);
    if (!hearing)
        m_generation.fetch_add(1, std::memory_order_acq_rel);
    qCInfo(lcStore).noquote() << (hearing ? "record revisions: following the other instances' announcements"
                                          : "record revisions: no announcements to hear; reading the shared sequence for each list");
}

void RecordStore::announceWrite() const
{
    // This instance's lists follow at once, whoever else hears of the write (read-your-writes).
    m_generation.fetch_add(1, std::memory_order_acq_rel);
    if (!postgres())
        return; // SQLite's readers see the wal-index move
    // For instances that hear no announcements: the shared sequence moves after the write committed,
    // never before (a reader that saw it move early could cache the list without the write for good).
    for (int attempt = 0; attempt < 2; ++attempt) {
        QSqlQuery query(database());
        if (query.exec(QStringLiteral("SELECT nextval('organizer_record_revision')")))
            return;
        qCCritical(lcStore).noquote() << store::Database::describe(QStringLiteral("cannot move the shared record revision"), query.lastError());
        query = QSqlQuery();
        m_database->reviveIfLost(); // the write stands: move the revision on the connection opened again
    }
}

Expected<Done, QString> RecordStore::prepare(const ApiSpec &spec)
{
    // Under the writers' lock: instances starting together on one database create and seed a table once.
    auto prepared = m_database->transaction(
        [&](QSqlDatabase &db) -> Expected<Done, QString> {
            // Announced with the change, at its commit: no instance keeps a list of the table as it was.
            store::Database::announce(db, writeAnnouncement());
            if (db.tables().contains(spec.table))
                return reconcileColumns(db, spec);
            QStringList definitions{postgres() ? QStringLiteral("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
                                               : QStringLiteral("id INTEGER PRIMARY KEY AUTOINCREMENT")};
            // No NOT NULL: "required" is the API's rule, checked on every write, and an API may stop
            // requiring a field (or drop it) while its table keeps the column.
            for (const RecordField &field : spec.fields) {
                definitions.append(quoted(field.name) + QLatin1Char(' ') + sqlType(field));
                if (field.type == Type::DateTime)
                    definitions.append(quoted(field.name + QLatin1String("_utc")) + QLatin1String(" BIGINT"));
            }
            QSqlQuery query(db);
            if (!query.exec(QStringLiteral("CREATE TABLE %1 (%2)").arg(quoted(spec.table), definitions.join(QLatin1String(", ")))))
                return Unexpected<QString>(failure(QStringLiteral("cannot create table %1").arg(spec.table), query.lastError()));
            return seed(spec);
        },
        true);
    if (prepared)
        announceWrite();
    return prepared;
}

namespace {

// Schema changes run as plain statements: PostgreSQL cannot PREPARE them.
Expected<Done, QString> alter(QSqlDatabase &db, const QString &sql, const QString &what)
{
    QSqlQuery query(db);
    if (!query.exec(sql))
        return Unexpected<QString>(failure(what, query.lastError()));
    return Done{};
}

Expected<QHash<QString, TableColumn>, QString> tableColumns(QSqlDatabase &db, const QString &table, bool postgres)
{
    auto query = postgres ? store::Database::execute(db,
                                                     QStringLiteral("SELECT column_name, data_type, is_nullable = 'NO' FROM information_schema.columns "
                                                                    "WHERE table_schema = current_schema() AND table_name = ?"),
                                                     {table}, QStringLiteral("cannot read the columns of %1").arg(table))
                          : store::Database::execute(db, QStringLiteral("SELECT name, type, \"notnull\" FROM pragma_table_info(?)"), {table},
                                                     QStringLiteral("cannot read the columns of %1").arg(table));
    if (!query)
        return Unexpected<QString>(query.error());
    QHash<QString, TableColumn> columns;
    while (query->next()) {
        const bool integer = query->value(1).toString().contains(QLatin1String("int"), Qt::CaseInsensitive);
        columns.insert(query->value(0).toString(), {integer ? Storage::Integer : Storage::Text, query->value(2).toBool()});
    }
    return columns;
}

// SQLite cannot alter a column's constraints: a nullable copy of the same storage takes its place, values and all.
Expected<Done, QString> rebuildColumn(QSqlDatabase &db, const QString &table, const QString &column, Storage storage, const QString &what)
{
    const QString old = column + QLatin1String(":old"); // never a field's name: those are [a-z0-9_]
    for (const QString &sql : {QStringLiteral("ALTER TABLE %1 RENAME COLUMN %2 TO %3").arg(quoted(table), quoted(column), quoted(old)),
                               QStringLiteral("ALTER TABLE %1 ADD COLUMN %2 %3").arg(quoted(table), quoted(column), sqlType(storage)),
                               QStringLiteral("UPDATE %1 SET %2 = %3").arg(quoted(table), quoted(column), quoted(old)),
                               QStringLiteral("ALTER TABLE %1 DROP COLUMN %2").arg(quoted(table), quoted(old))}) {
        if (auto done = alter(db, sql, what); !done)
            return done;
    }
    return Done{};
}

Expected<Done, QString> convertColumn(QSqlDatabase &db, const QString &table, const RecordField &field)
{
    // The field's type moved between text and minutes (the Management API refuses text → minutes for a
    // field it still declares; this also covers a field or an API that returns with another type).
    // Minutes become their decimal text: nothing is lost. Text becomes minutes where it is a whole number;
    // any other value is kept, unserved, in a column named after the field and the time of the change,
    // so it is neither lost nor read back as a number it never was.
    const QString old = field.name + QLatin1String(":old");
    const QString what = QStringLiteral("cannot convert %1.%2 to %3").arg(table, field.name, catalogue::typeName(field.type));
    if (auto renamed = alter(db, QStringLiteral("ALTER TABLE %1 RENAME COLUMN %2 TO %3").arg(quoted(table), quoted(field.name), quoted(old)), what); !renamed)
        return renamed;
    if (auto added = alter(db, QStringLiteral("ALTER TABLE %1 ADD COLUMN %2 %3").arg(quoted(table), quoted(field.name), sqlType(field)), what); !added)
        return added;
    qsizetype unconverted = 0;
    if (storageOf(field) == Storage::Text) {
        if (auto copied = alter(db, QStringLiteral("UPDATE %1 SET %2 = CAST(%3 AS TEXT)").arg(quoted(table), quoted(field.name), quoted(old)), what); !copied)
            return copied;
    } else {
        auto stored = store::Database::execute(db, QStringLiteral("SELECT id, %1 FROM %2 WHERE %1 IS NOT NULL").arg(quoted(old), quoted(table)), {}, what);
        if (!stored)
            return Unexpected<QString>(stored.error());
        QList<std::pair<qint64, qint64>> numbers;
        while (stored->next()) {
            bool whole = false;
            const qint64 number = stored->value(1).toString().trimmed().toLongLong(&whole);
            if (whole)
                numbers.append({stored->value(0).toLongLong(), number});
            else
                ++unconverted;
        }
        stored->finish();
        for (const auto &[id, number] : std::as_const(numbers)) {
            if (auto set
                = store::Database::execute(db, QStringLiteral("UPDATE %1 SET %2 = ? WHERE id = ?").arg(quoted(table), quoted(field.name)), {number, id}, what);
                !set)
                return Unexpected<QString>(set.error());
        }
    }
    if (unconverted == 0)
        return alter(db, QStringLiteral("ALTER TABLE %1 DROP COLUMN %2").arg(quoted(table), quoted(old)), what);
    // "length:text@1780000000": at most 48 characters, within PostgreSQL's 63.
    const QString kept = QStringLiteral("%1:text@%2").arg(field.name).arg(QDateTime::currentSecsSinceEpoch());
    if (auto renamed = alter(db, QStringLiteral("ALTER TABLE %1 RENAME COLUMN %2 TO %3").arg(quoted(table), quoted(old), quoted(kept)), what); !renamed)
        return renamed;
    qCWarning(lcStore).noquote() << unconverted << "value(s) of" << table + QLatin1Char('.') + field.name << "are not whole numbers of minutes: kept in"
                                 << quoted(kept) << "and no longer served";
    return Done{};
}

} // namespace

Expected<Done, QString> RecordStore::reconcileColumns(QSqlDatabase &db, const ApiSpec &spec)
{
    // The table may have been made for another declaration of this API: an earlier one, or one removed and
    // now declared again (tables outlive their APIs, so records return with them). Every column is brought to
    // what this declaration needs without losing a value, in this one transaction.
    auto existing = tableColumns(db, spec.table, postgres());
    if (!existing)
        return Unexpected<QString>(existing.error());
    const QString table = quoted(spec.table);

    // Tables made before "required" was left to validation alone have NOT NULL columns: a field the API
    // drops or makes optional would then fail every create. Relaxed once, on either engine.
    for (auto it = existing->begin(); it != existing->end(); ++it) {
        if (!it->notNull || it.key() == QLatin1String("id"))
            continue;
        auto relaxed = postgres() ? alter(db, QStringLiteral("ALTER TABLE %1 ALTER COLUMN %2 DROP NOT NULL").arg(table, quoted(it.key())),
                                          QStringLiteral("cannot let %1.%2 be empty").arg(spec.table, it.key()))
                                  : rebuildColumn(db, spec.table, it.key(), it->storage, QStringLiteral("cannot let %1.%2 be empty").arg(spec.table, it.key()));
        if (!relaxed)
            return relaxed;
        it->notNull = false;
    }

    for (const RecordField &field : spec.fields) {
        const QString utc = field.name + QLatin1String("_utc");
        const auto column = existing->constFind(field.name);
        if (column == existing->cend()) {
            if (auto added = alter(db, QStringLiteral("ALTER TABLE %1 ADD COLUMN %2 %3").arg(table, quoted(field.name), sqlType(field)),
                                   QStringLiteral("cannot add column %1 to %2").arg(field.name, spec.table));
                !added)
                return added;
        } else if (column->storage != storageOf(field)) {
            if (auto converted = convertColumn(db, spec.table, field); !converted)
                return converted;
        }
        if (field.type == Type::DateTime && !existing->contains(utc)) {
            if (auto added = alter(db, QStringLiteral("ALTER TABLE %1 ADD COLUMN %2 BIGINT").arg(table, quoted(utc)),
                                   QStringLiteral("cannot add column %1 to %2").arg(utc, spec.table));
                !added)
                return added;
            // Values stored while the field had another type sort by their instant when they are one; the
            // others are returned as they are, and sort as having no time.
            auto stored = store::Database::execute(db, QStringLiteral("SELECT id, %1 FROM %2 WHERE %1 IS NOT NULL").arg(quoted(field.name), table), {},
                                                   QStringLiteral("cannot read %1.%2").arg(spec.table, field.name));
            if (!stored)
                return Unexpected<QString>(stored.error());
            QList<std::pair<qint64, qint64>> instants;
            while (stored->next()) {
                const QDateTime instant = QDateTime::fromString(stored->value(1).toString().trimmed(), Qt::ISODateWithMs);
                if (instant.isValid())
                    instants.append({stored->value(0).toLongLong(), instant.toSecsSinceEpoch()});
            }
            stored->finish();
            for (const auto &[id, seconds] : std::as_const(instants)) {
                if (auto set = store::Database::execute(db, QStringLiteral("UPDATE %1 SET %2 = ? WHERE id = ?").arg(table, quoted(utc)), {seconds, id},
                                                        QStringLiteral("cannot set %1.%2").arg(spec.table, utc));
                    !set)
                    return Unexpected<QString>(set.error());
            }
        } else if (field.type != Type::DateTime && existing->contains(utc)) {
            // A date-time's sort key is derived from its text and written with it: once the field has
            // another type nothing keeps the key current, so it goes (and is derived again if the field
            // becomes a date-time once more). A removed field keeps both columns, as they were.
            if (auto dropped = alter(db, QStringLiteral("ALTER TABLE %1 DROP COLUMN %2").arg(table, quoted(utc)),
                                     QStringLiteral("cannot drop column %1 of %2").arg(utc, spec.table));
                !dropped)
                return dropped;
        }
    }
    return Done{};
}

Expected<Done, QString> RecordStore::seed(const ApiSpec &spec)
{
    if (spec.seedResource.isEmpty())
        return Done{};
    QFile file(spec.seedResource);
    if (!file.open(QIODevice::ReadOnly))
        return Unexpected<QString>(QStringLiteral("seed data %1 is missing").arg(spec.seedResource));
    const QJsonArray records = QJsonDocument::fromJson(file.readAll()).object().value(spec.collection).toArray();
    for (const QJsonValue &value : records) {
        QList<catalogue::FieldError> errors;
        const QJsonObject record = catalogue::validateRecord(spec, value.toObject(), &errors);
        if (!errors.isEmpty())
            return Unexpected<QString>(QStringLiteral("seed data %1: field %2 %3").arg(spec.seedResource, errors.first().field, errors.first().message));
        if (auto created = create(spec, record); !created)
            return Unexpected<QString>(created.error());
    }
    qCInfo(lcStore).noquote() << "seeded" << records.size() << spec.table;
    return Done{};
}

void RecordStore::WalIndexView::attach(const QString &databasePath)
{
    // The wal-index (the "-shm" file) is shared memory every process with the database open maps;
    // its 136-byte header has a fixed, documented layout (https://sqlite.org/walformat.html §2.2),
    // since processes running different SQLite versions must agree on it.
    const int fd = ::open(QFile::encodeName(databasePath + QStringLiteral("-shm")).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct stat info
    {};
    if (::fstat(fd, &info) == 0 && info.st_size >= kMappedBytes) {
        void *mapped = ::mmap(nullptr, kMappedBytes, PROT_READ, MAP_SHARED, fd, 0);
        if (mapped != MAP_FAILED)
            header = static_cast<const unsigned char *>(mapped);
    }
    ::close(fd);
}

RecordStore::WalIndexView::~WalIndexView()
{
    if (header)
        ::munmap(const_cast<unsigned char *>(header), kMappedBytes);
}

bool RecordStore::WalIndexView::changed(std::atomic<quint64> &generation)
{
    // A commit rewrites the header's second copy, then its first (iChange, mxFrame, salts and
    // checksums all move). Copies that differ mean a commit is under way: that counts as a change.
    std::array<quint64, kHeaderBytes / 8> first;
    std::array<quint64, kHeaderBytes / 8> second;
    std::memcpy(first.data(), header, kHeaderBytes);
    std::atomic_thread_fence(std::memory_order_acquire);
    std::memcpy(second.data(), header + kHeaderBytes, kHeaderBytes);
    if (first != second) {
        generation.fetch_add(1, std::memory_order_acq_rel);
        return true;
    }
    // Compared without a lock: while nothing changes every thread only reads these words, so no
    // cache line moves between cores. A thread that sees a difference moves the generation first and
    // only then records the header, so whoever later finds the header recorded also finds the new
    // generation; two threads doing this at once cost one extra cache refresh, never a stale answer.
    bool differs = false;
    for (std::size_t i = 0; i < first.size(); ++i)
        differs = differs || lastSeen[i].load(std::memory_order_acquire) != first[i];
    if (!differs)
        return false;
    generation.fetch_add(1, std::memory_order_acq_rel);
    for (std::size_t i = 0; i < first.size(); ++i)
        lastSeen[i].store(first[i], std::memory_order_release);
    return true;
}

QString RecordStore::failed(QSqlQuery &query, const QString &what) const
{
    const QString message = failure(what, query.lastError());
    query = QSqlQuery();
    m_database->reviveIfLost();
    return message;
}

QString RecordStore::writeFailed(QSqlQuery &query, const QString &what) const
{
    const QString message = failed(query, what);
    announceWrite();
    return message;
}

std::optional<quint64> RecordStore::revision() const
{
    // Fast path: any commit by any connection of any process changes the shared wal-index header;
    // reading it takes no lock and no system call (PRAGMA data_version takes a read transaction:
    // four fcntl() locks per call).
    if (m_walIndex.header) {
        m_walIndex.changed(m_generation);
        return m_generation.load(std::memory_order_acquire);
    }
    // PostgreSQL, announcements heard: every commit elsewhere moves the generation when its NOTIFY
    // arrives, and PostgreSQL delivers a NOTIFY only once its transaction is visible to new snapshots. So
    // a list read after this load sees every write announced before it; one announced later moves the
    // generation past the one the list is cached under.
    if (m_hearingWrites.load(std::memory_order_acquire))
        return m_generation.load(std::memory_order_acquire);
    ThreadConnection *connection = threadConnection();
    if (!connection)
        return std::nullopt;
    if (!connection->dataVersion->exec() || !connection->dataVersion->next()) {
        // Prepared on a connection that may be gone: prepared again on the next call.
        {
            QMutexLocker lock(&m_connectionsMutex);
            m_connections.remove(QThread::currentThread());
        }
        m_database->reviveIfLost();
        return std::nullopt;
    }
    const quint64 dataVersion = connection->dataVersion->value(0).toULongLong();
    connection->dataVersion->finish();
    // data_version is per connection: it moves when *another* connection commits. A thread's first
    // look proves nothing about what it missed, so it counts as a change too.
    if (!connection->observed || dataVersion != connection->lastDataVersion)
        m_generation.fetch_add(1);
    connection->lastDataVersion = dataVersion;
    connection->observed = true;
    return m_generation.load();
}

Expected<QJsonArray, QString> RecordStore::list(const ApiSpec &spec) const
{
    QSqlQuery query(database());
    query.setForwardOnly(true);
    if (!query.exec(selectSql(spec) + QStringLiteral(" ORDER BY ") + orderByOf(spec, postgres())))
        return Unexpected<QString>(failed(query, QStringLiteral("cannot list %1").arg(spec.table)));
    QJsonArray records;
    while (query.next())
        records.append(readRecord(query, spec));
    return records;
}

Expected<std::optional<QJsonObject>, QString> RecordStore::get(const ApiSpec &spec, qint64 id) const
{
    QSqlQuery query(database());
    query.setForwardOnly(true);
    query.prepare(selectSql(spec) + QStringLiteral(" WHERE id = ?"));
    query.addBindValue(id);
    if (!query.exec())
        return Unexpected<QString>(failed(query, QStringLiteral("cannot read %1 %2").arg(spec.singular).arg(id)));
    if (!query.next())
        return std::optional<QJsonObject>();
    return std::optional<QJsonObject>(readRecord(query, spec));
}

Expected<QJsonObject, QString> RecordStore::create(const ApiSpec &spec, const QJsonObject &record)
{
    const QStringList columns = columnsOf(spec);
    QSqlQuery query(database());
    query.prepare(announcedWrite(
        QStringLiteral("INSERT INTO %1 (%2) VALUES (%3) RETURNING id")
            .arg(quoted(spec.table), columns.join(QLatin1String(", ")), QStringList(columns.size(), QStringLiteral("?")).join(QLatin1String(", "))),
        postgres()));
    bindRecord(query, spec, record);
    if (!query.exec() || !query.next())
        return Unexpected<QString>(writeFailed(query, QStringLiteral("cannot create %1").arg(spec.singular)));
    const qint64 id = query.value(0).toLongLong();
    query.finish();
    announceWrite();
    QJsonObject created = record;
    created.insert(QStringLiteral("id"), id);
    return created;
}

Expected<std::optional<QJsonObject>, QString> RecordStore::replace(const ApiSpec &spec, qint64 id, const QJsonObject &record)
{
    QStringList assignments;
    for (const QString &column : columnsOf(spec))
        assignments.append(column + QLatin1String(" = ?"));
    QSqlQuery query(database());
    query.setForwardOnly(true);
    query.prepare(announcedWrite(QStringLiteral("UPDATE %1 SET %2 WHERE id = ? RETURNING id").arg(quoted(spec.table), assignments.join(QLatin1String(", "))),
                                 postgres()));
    bindRecord(query, spec, record);
    query.addBindValue(id);
    if (!query.exec())
        return Unexpected<QString>(writeFailed(query, QStringLiteral("cannot update %1 %2").arg(spec.singular).arg(id)));
    const bool updatedOne = query.next();
    query.finish(); // SQLite: the statement, and its write transaction, end here
    if (!updatedOne)
        return std::optional<QJsonObject>();
    announceWrite();
    QJsonObject updated = record;
    updated.insert(QStringLiteral("id"), id);
    return std::optional<QJsonObject>(updated);
}

Expected<bool, QString> RecordStore::remove(const ApiSpec &spec, qint64 id)
{
    QSqlQuery query(database());
    query.setForwardOnly(true);
    query.prepare(announcedWrite(QStringLiteral("DELETE FROM %1 WHERE id = ? RETURNING id").arg(quoted(spec.table)), postgres()));
    query.addBindValue(id);
    if (!query.exec())
        return Unexpected<QString>(writeFailed(query, QStringLiteral("cannot delete %1 %2").arg(spec.singular).arg(id)));
    const bool removedOne = query.next();
    query.finish(); // SQLite: the statement, and its write transaction, end here
    if (removedOne)
        announceWrite();
    return removedOne;
}

} // namespace organizer::store
