// Record revisions pushed between instances on PostgreSQL (LISTEN/NOTIFY): a list is served from each
// thread's cache with no statement while nothing changed, and another instance's write reaches that cache
// when its announcement arrives; without a listener every list asks the shared sequence, and a listener
// the database cut is opened again and everything is read again. Each "instance" is a Database of its own
// (its own connections, as another organizer-server process would have); the last test runs a real
// server as one. ctest runs PostgreSQL with tests/cluster/postgres.sh; run alone, the suite starts its own.
#include "catalogue.h"
#include "collectionapi.h"
#include "database.h"
#include "postgresserver.h"
#include "recordstore.h"
#include "serverprocess.h"
#include "testhttp.h"
#include "waitfor.h"

#include <gtest/gtest.h>

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>

#include <atomic>
#include <thread>

using namespace organizer;
using organizer::store::Database;
using organizer::store::DatabaseLocation;

namespace {

using organizer::testing::PostgresServer;

PostgresServer *postgres = nullptr;

const catalogue::ApiSpec &contactsSpec()
{
    return *catalogue::organizerService().api(QStringLiteral("contacts"));
}

QJsonObject contact(const QString &name)
{
    return {{QStringLiteral("name"), name}, {QStringLiteral("email"), name.toLower() + QStringLiteral("@example.org")}};
}

QList<qint64> idsIn(const QByteArray &listBody)
{
    QList<qint64> ids;
    for (const QJsonValue &record : QJsonDocument::fromJson(listBody).object().value(QLatin1String("contacts")).toArray())
        ids.append(record.toObject().value(QLatin1String("id")).toInteger());
    return ids;
}

// One organizer-server's record store, with its list handler (and so its per-thread list cache), following
// announcements the way OrganizerServer::start() wires it.
class Instance
{
public:
    explicit Instance(const DatabaseLocation &location)
    {
        auto opened = Database::open(location);
        EXPECT_TRUE(opened) << (opened ? std::string() : opened.error().toStdString());
        database = opened.value();
        auto store = store::RecordStore::open(database, catalogue::organizerService().apis);
        EXPECT_TRUE(store) << (store ? std::string() : store.error().toStdString());
        records = std::move(store).value();
        contacts = std::make_unique<resource::CollectionApi>(contactsSpec(), records.get());
    }

    // LISTENs (on this thread) and answers revision() from memory from now on.
    void listen()
    {
        auto listening = database->listen(&m_context, [this](const QString &what) {
            if (what == store::RecordStore::writeAnnouncement()) {
                records->writesAnnounced();
                ++announcementsHeard;
            }
        });
        ASSERT_TRUE(listening && *listening) << (listening ? "not PostgreSQL" : listening.error().toStdString());
        records->setHearingWrites(database->listening());
        ASSERT_TRUE(records->hearsWrites());
    }
    // OrganizerServer's check each second: a listener opened again means announcements may have been missed.
    bool checkListener()
    {
        const bool reopened = database->relisten();
        if (reopened)
            records->writesAnnounced();
        records->setHearingWrites(database->listening());
        return reopened;
    }
    // Runs this thread's event loop until an announcement after the `before`th one arrives.
    bool waitForAnnouncement(int before, int timeoutMs = 5000)
    {
        const QDeadlineTimer deadline(timeoutMs);
        while (announcementsHeard <= before && !deadline.hasExpired())
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, int(std::max<qint64>(1, deadline.remainingTime())));
        return announcementsHeard > before;
    }
    QByteArray list() const { return contacts->list(http::Request{}).body; }
    qint64 create(const QString &name)
    {
        auto created = records->create(contactsSpec(), contact(name));
        EXPECT_TRUE(created) << (created ? std::string() : created.error().toStdString());
        return created ? created->value(QLatin1String("id")).toInteger() : -1;
    }
    // The backend serving this thread's connection.
    qint64 backendPid() const
    {
        auto pid = database->execute(QStringLiteral("SELECT pg_backend_pid()"), {}, QStringLiteral("backend pid"));
        return pid && pid->next() ? pid->value(0).toLongLong() : -1;
    }

    std::shared_ptr<Database> database;
    std::unique_ptr<store::RecordStore> records;
    std::unique_ptr<resource::CollectionApi> contacts;
    int announcementsHeard = 0;

private:
    QObject m_context; // the listener's callbacks stop with it, before the store they call goes
};

// When backend `pid` last started a statement, as PostgreSQL itself tracks it (to the microsecond), read
// on another connection: unchanged means that backend ran nothing in between.
QString lastStatementStart(Database &observer, qint64 pid)
{
    auto activity
        = observer.execute(QStringLiteral("SELECT query_start::text || ' ' || query FROM pg_stat_activity WHERE pid = ?"), {pid}, QStringLiteral("activity"));
    EXPECT_TRUE(activity && activity->next()) << (activity ? "no such backend" : activity.error().toStdString());
    return activity ? activity->value(0).toString() : QString();
}

class RecordRevisions : public ::testing::Test
{
protected:
    void SetUp() override
    {
        auto location = store::parseDatabaseUrl(postgres->freshDatabaseUrl(), postgres->passwordFile());
        ASSERT_TRUE(location) << location.error().toStdString();
        m_location = *location;
        m_observer = Database::open(m_location).value();
    }
    DatabaseLocation m_location;
    std::shared_ptr<Database> m_observer; // reads pg_stat_activity; not an instance
};

TEST_F(RecordRevisions, ACachedListRunsNoStatementUntilAnotherInstanceAnnouncesAWrite)
{
    Instance a(m_location);
    Instance b(m_location);
    a.listen();
    b.listen();
    const QByteArray cached = b.list();
    ASSERT_FALSE(idsIn(cached).isEmpty()) << cached.toStdString();
    const qint64 pid = b.backendPid();
    const QString before = lastStatementStart(*m_observer, pid);
    const qint64 statementsBefore = Database::statementsExecuted();
    for (int i = 0; i < 100; ++i)
        ASSERT_EQ(b.list(), cached);
    EXPECT_EQ(Database::statementsExecuted(), statementsBefore);
    EXPECT_EQ(lastStatementStart(*m_observer, pid), before) << "a cached list asked the database";

    const int heard = b.announcementsHeard;
    const qint64 id = a.create(QStringLiteral("Ada"));
    ASSERT_TRUE(b.waitForAnnouncement(heard)) << "b never heard of a's write";
    EXPECT_TRUE(idsIn(b.list()).contains(id)) << "the list cached before a's write was served after its announcement";
    EXPECT_NE(lastStatementStart(*m_observer, pid), before) << "the list was read again";
}

TEST_F(RecordRevisions, AWriteIsInTheWritersOwnNextListBeforeAnyAnnouncementArrives)
{
    Instance a(m_location);
    a.listen();
    const QByteArray cached = a.list();
    const qint64 id = a.create(QStringLiteral("Grace"));
    EXPECT_TRUE(idsIn(a.list()).contains(id)) << "read-your-writes on one instance must not wait for its own NOTIFY";
    const qint64 kept = idsIn(cached).constFirst();
    ASSERT_TRUE(a.records->remove(contactsSpec(), kept).value());
    EXPECT_FALSE(idsIn(a.list()).contains(kept));
}

// The race the revision protocol guards against: b's worker thread lists without pause while a writes
// without pause on a thread of its own, and the announcements arrive on this thread. A list whose query
// ran before a write but which was cached under the revision that write's announcement set would be
// served from then on; every list started after an announcement was heard must show that write.
TEST_F(RecordRevisions, AListRacingAnAnnouncementIsNeverServedAfterIt)
{
    Instance a(m_location);
    Instance b(m_location);
    b.listen();
    // Lists that take milliseconds to read, so that writes commit while one is under way.
    auto bulk = m_observer->execute(QStringLiteral("INSERT INTO contacts (name, email) SELECT 'Bulk ' || n, 'bulk' || n || '@example.org' "
                                                   "FROM generate_series(1, 3000) AS n"),
                                    {}, QStringLiteral("bulk"));
    ASSERT_TRUE(bulk) << bulk.error().toStdString();

    constexpr int kWrites = 100;
    std::vector<std::atomic<qint64>> written(kWrites); // by write: its id once known
    std::atomic<qint64> heardId{0}; // the newest write whose announcement b heard
    std::atomic<int> listsStarted{0};
    std::atomic<bool> stop{false};
    std::atomic<int> checked{0};
    std::atomic<int> stale{0};
    std::thread lister([&] {
        while (!stop.load()) {
            const qint64 expected = heardId.load();
            ++listsStarted;
            const QList<qint64> ids = idsIn(b.list());
            if (expected == 0)
                continue;
            ++checked;
            if (!ids.contains(expected))
                ++stale;
        }
    });
    // Each write commits while a list is under way (the first after the previous announcement: a query),
    // and the next waits until b heard it, so a list cached wrongly is the one the checks then meet.
    std::thread writer([&] {
        for (int i = 0; i < kWrites && !stop.load(); ++i) {
            const int started = listsStarted.load();
            while (listsStarted.load() == started && !stop.load())
                std::this_thread::yield();
            const qint64 id = a.create(QStringLiteral("Writer%1").arg(i));
            written[i].store(id);
            while (heardId.load() < id && !stop.load())
                std::this_thread::yield();
        }
    });
    // One writer on one connection: its commits, and so b's announcements, come in the order of the writes.
    const QDeadlineTimer deadline(60000);
    while (b.announcementsHeard < kWrites && !deadline.hasExpired() && stale.load() == 0) {
        b.waitForAnnouncement(b.announcementsHeard, 1000);
        const int heard = b.announcementsHeard;
        if (heard == 0)
            continue;
        while (written[heard - 1].load() == 0 && !deadline.hasExpired()) // create() returns just after its commit
            std::this_thread::yield();
        heardId.store(written[heard - 1].load());
    }
    const int checkedBefore = checked.load();
    while (checked.load() < checkedBefore + 2 && !deadline.hasExpired() && stale.load() == 0) // a list wholly after the last announcement
        std::this_thread::yield();
    stop.store(true);
    writer.join();
    lister.join();
    ASSERT_EQ(stale.load(), 0) << "a list read before a write was served after its announcement";
    EXPECT_EQ(b.announcementsHeard, kWrites);
    EXPECT_GE(checked.load(), kWrites);
}

TEST_F(RecordRevisions, WithoutAListenerEveryListReadsTheSharedSequence)
{
    Instance a(m_location);
    Instance b(m_location); // never listens: the poll the server falls back on
    ASSERT_FALSE(b.records->hearsWrites());
    const QByteArray cached = b.list();
    const qint64 pid = b.backendPid();
    const QString before = lastStatementStart(*m_observer, pid);
    EXPECT_EQ(b.list(), cached);
    EXPECT_NE(lastStatementStart(*m_observer, pid), before) << "with no announcements to hear, each list must ask the database";
    const qint64 id = a.create(QStringLiteral("Barbara"));
    EXPECT_TRUE(idsIn(b.list()).contains(id)) << "the next list after the write, with no wait";

    // An instance that stops hearing (its listener gone and not back) polls again, from the next list on.
    b.listen();
    EXPECT_EQ(idsIn(b.list()), idsIn(a.list()));
    b.records->setHearingWrites(false);
    const qint64 later = a.create(QStringLiteral("Frances"));
    EXPECT_TRUE(idsIn(b.list()).contains(later));
}

TEST_F(RecordRevisions, AListenerCutByTheServerIsOpenedAgainAndListsAreReadAgain)
{
    Instance a(m_location); // writes only: b's is the one listener on this database
    Instance b(m_location);
    b.listen();
    const QByteArray cached = b.list();
    auto cut = m_observer->execute(QStringLiteral("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                                                  "WHERE application_name = 'organizer-server-listen' AND datname = current_database()"),
                                   {}, QStringLiteral("terminate"));
    ASSERT_TRUE(cut && cut->next()) << "no listening backend";
    ASSERT_TRUE(cut->value(0).toBool());
    ASSERT_FALSE(cut->next()) << "one listener only";

    const qint64 id = a.create(QStringLiteral("Katherine"));
    QCoreApplication::processEvents();
    EXPECT_EQ(b.list(), cached) << "nothing can tell b of the write until it checks its listener (each second in the server)";
    EXPECT_TRUE(b.checkListener()) << "the cut listener was not noticed";
    EXPECT_TRUE(b.records->hearsWrites());
    EXPECT_TRUE(idsIn(b.list()).contains(id)) << "what was announced while nobody listened must be read again";
    EXPECT_FALSE(b.checkListener()) << "a live listener is left alone";

    const int heard = b.announcementsHeard;
    const qint64 next = a.create(QStringLiteral("Dorothy"));
    ASSERT_TRUE(b.waitForAnnouncement(heard)) << "the listener opened again hears announcements";
    EXPECT_TRUE(idsIn(b.list()).contains(next));
}

TEST_F(RecordRevisions, WhileTheListenerCannotBeOpenedAgainListsReadTheSequenceAndItIsTriedAgain)
{
    Instance a(m_location);
    Instance b(m_location);
    b.listen();
    b.list();
    // From the maintenance database: PostgreSQL refuses this on a connection to the database it changes.
    const auto removeMaintenance = qScopeGuard([] { QSqlDatabase::removeDatabase(QStringLiteral("maintenance")); }); // after the handle below
    QSqlDatabase maintenance = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), QStringLiteral("maintenance"));
    maintenance.setHostName(m_location.host);
    maintenance.setPort(m_location.port);
    maintenance.setUserName(m_location.user);
    maintenance.setPassword(m_location.password);
    maintenance.setDatabaseName(QStringLiteral("postgres"));
    ASSERT_TRUE(maintenance.open()) << maintenance.lastError().text().toStdString();
    auto refuse = [&](bool refused) {
        QSqlQuery alter(maintenance); // DDL: not a statement PostgreSQL prepares
        ASSERT_TRUE(alter.exec(
            QStringLiteral("ALTER DATABASE \"%1\" WITH ALLOW_CONNECTIONS %2").arg(m_location.name, refused ? QStringLiteral("false") : QStringLiteral("true"))))
            << alter.lastError().text().toStdString();
    };
    refuse(true); // connections already open stay; new ones, the listener's among them, are refused
    auto cut = m_observer->execute(QStringLiteral("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                                                  "WHERE application_name = 'organizer-server-listen' AND datname = current_database()"),
                                   {}, QStringLiteral("terminate"));
    ASSERT_TRUE(cut && cut->next() && cut->value(0).toBool());
    EXPECT_TRUE(b.checkListener());
    EXPECT_FALSE(b.database->listening());
    EXPECT_FALSE(b.records->hearsWrites()) << "with nobody listening, answers from memory would go stale";
    const qint64 id = a.create(QStringLiteral("Hedy"));
    EXPECT_TRUE(idsIn(b.list()).contains(id)) << "the sequence, read for each list, shows the write at once";
    EXPECT_FALSE(b.checkListener()) << "still refused";

    refuse(false);
    EXPECT_TRUE(b.checkListener()) << "tried again on the next check";
    EXPECT_TRUE(b.records->hearsWrites());
    const int heard = b.announcementsHeard;
    const qint64 next = a.create(QStringLiteral("Radia"));
    ASSERT_TRUE(b.waitForAnnouncement(heard));
    EXPECT_TRUE(idsIn(b.list()).contains(next));
}

// The same with a real server as b: the wiring in OrganizerServer::start() (the listener's dispatch, the
// switch to answering from memory). The writer is an instance in this process, as another server would be.
TEST_F(RecordRevisions, AServerShowsAnotherInstancesWriteInEveryWorkersCachedList)
{
    QTemporaryDir secrets; // PostgreSQL keeps the signing keys, sealed under a key-encryption key
    const QString secretsFile = secrets.filePath(QStringLiteral("secrets.key"));
    const test::CommandResult made = test::runServerCommand({QStringLiteral("secrets"), QStringLiteral("init"), QStringLiteral("--secrets-file"), secretsFile});
    ASSERT_EQ(made.exitCode, 0) << made.err.toStdString();
    const QString url = QStringLiteral("postgresql://%1@%2:%3/%4").arg(m_location.user, m_location.host).arg(m_location.port).arg(m_location.name);
    test::ServerProcess b;
    ASSERT_TRUE(b.start({QStringLiteral("--database"), url, QStringLiteral("--database-password-file"), postgres->passwordFile(),
                         QStringLiteral("--secrets-file"), secretsFile, QStringLiteral("--workers"), QStringLiteral("2")}))
        << b.errorText().toStdString();
    Instance a(m_location);

    const test::HttpReply issued = test::sendHttp(
        b.port(),
        {"POST",
         "/oauth/token",
         {{"content-type", "application/x-www-form-urlencoded"}, {"authorization", "Basic " + QByteArray("organizer-cli:organizer-cli-secret").toBase64()}},
         "grant_type=client_credentials&audience=organize&scope=read%3Acontacts"});
    ASSERT_EQ(issued.status, 200) << issued.body.toStdString();
    const QByteArray authorization = test::bearer(issued.json("access_token"));
    auto listOnB = [&] {
        const test::HttpReply reply = test::sendHttp(b.port(), {"GET", "/api/contacts", {{"authorization", authorization}}, {}});
        EXPECT_EQ(reply.status, 200) << reply.body.toStdString();
        return idsIn(reply.body);
    };
    const QList<qint64> before = listOnB();
    for (int i = 0; i < 8; ++i) // every worker caches the list
        EXPECT_EQ(listOnB(), before);

    const qint64 id = a.create(QStringLiteral("Mary"));
    // Shown once b hears the announcement (a fraction of a millisecond here): by every worker, from then on.
    test::waitFor([&] { return listOnB().contains(id); }, 5000);
    for (int i = 0; i < 8; ++i)
        EXPECT_TRUE(listOnB().contains(id)) << "a worker of b served its list cached before the write";

    // The database cuts b's listener: b notices within its check each second, listens again and reads its
    // lists again, missing nothing written meanwhile.
    auto cut = m_observer->execute(QStringLiteral("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                                                  "WHERE application_name = 'organizer-server-listen' AND datname = current_database()"),
                                   {}, QStringLiteral("terminate"));
    ASSERT_TRUE(cut && cut->next() && cut->value(0).toBool()) << "no listening backend";
    const qint64 missed = a.create(QStringLiteral("Edith"));
    // Until that check a worker may still answer from its cache (a worker that had none reads the write at
    // once, so one answer showing it proves nothing); from then on every worker shows it.
    EXPECT_TRUE(test::waitFor([&] { return b.log().contains("listens for other instances' changes is gone"); }, 5000)) << "b never noticed the cut";
    const auto everyAnswerShows = [&](qint64 written) {
        for (int i = 0; i < 8; ++i) {
            if (!listOnB().contains(written))
                return false;
        }
        return true;
    };
    EXPECT_TRUE(test::waitFor([&] { return everyAnswerShows(missed); }, 5000)) << "a write made while b's listener was cut was never shown by every worker";

    const QByteArray log = b.log();
    EXPECT_TRUE(log.contains("record revisions: following the other instances' announcements")) << log.toStdString();
    EXPECT_TRUE(log.contains("listens for other instances' changes is gone")) << log.toStdString();
    EXPECT_FALSE(log.contains("no announcements to hear")) << log.toStdString();
}

} // namespace

int main(int argc, char **argv)
{
    return organizer::testing::runWithPostgres(argc, argv, postgres);
}
