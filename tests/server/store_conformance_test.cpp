// One conformance suite for the store, run against both engines: SQLite (a file) and PostgreSQL (a real
// server: ctest starts one with tests/cluster/postgres.sh; run alone, the suite starts its own). Each
// "instance" is a Database of its own — its own connections, as a separate organizer-server process
// would have — so what one writes the other must see, and races between them have one winner.
#include "authorizationstate.h"
#include "catalogue.h"
#include "consentstore.h"
#include "database.h"
#include "postgresserver.h"
#include "loginthrottle.h"
#include "recordstore.h"
#include "refreshtokens.h"
#include "tenantstore.h"
#include "tokenrevocations.h"

#include <gtest/gtest.h>

#include <QCoreApplication>
#include <QDateTime>
#include <QLoggingCategory>
#include <QFile>
#include <QProcess>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTemporaryDir>
#include <QUuid>

#include <atomic>
#include <thread>

using namespace organizer;
using organizer::store::Database;
using organizer::store::DatabaseLocation;
using organizer::store::Engine;

namespace {

using organizer::testing::PostgresServer;

PostgresServer *postgres = nullptr;

// Runs `work(i)` on `count` threads at once, each with its own instance, released together.
template <typename Work>
void race(int count, const std::function<std::shared_ptr<Database>()> &instance, Work work)
{
    std::vector<std::shared_ptr<Database>> instances;
    for (int i = 0; i < count; ++i)
        instances.push_back(instance());
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < count; ++i) {
        threads.emplace_back([&, i] {
            ++ready;
            while (ready.load() < count)
                std::this_thread::yield();
            work(i, instances[i]);
        });
    }
    for (auto &thread : threads)
        thread.join();
}

class StoreConformance : public ::testing::TestWithParam<Engine>
{
protected:
    void SetUp() override
    {
        m_location = GetParam() == Engine::Sqlite ? DatabaseLocation::sqlite(m_dir.filePath(QStringLiteral("organizer.sqlite"))) : postgres->freshDatabase();
    }
    // Another instance on the same data: a Database with connections of its own.
    std::shared_ptr<Database> instance()
    {
        auto database = Database::open(m_location);
        EXPECT_TRUE(database) << (database ? std::string() : database.error().toStdString());
        return database ? database.value() : nullptr;
    }
    // Runs `work(i, instance)` on `count` threads at once, each with an instance of its own.
    template <typename Work>
    void raceInstances(int count, Work work)
    {
        race(
            count, [this] { return instance(); }, work);
    }
    const catalogue::ApiSpec &contacts() const { return *catalogue::organizerService().api(QStringLiteral("contacts")); }
    const catalogue::ApiSpec &calendar() const { return *catalogue::organizerService().api(QStringLiteral("calendar")); }

    QTemporaryDir m_dir;
    DatabaseLocation m_location;
    Clock m_clock = [] { return QDateTime::currentSecsSinceEpoch(); };
};

// ---------------------------------------------------------------------------------------------
// Schema

TEST_P(StoreConformance, MigrationsRunOnceInOrderEvenWhenInstancesStartTogether)
{
    race(
        4, [this] { return std::shared_ptr<Database>(); },
        [this](int, const std::shared_ptr<Database> &) {
            auto database = Database::open(m_location);
            ASSERT_TRUE(database) << database.error().toStdString();
            EXPECT_EQ((*database)->schemaVersion(), store::serverMigrations().last().version);
        });
    auto database = instance();
    QSqlQuery query(database->connection());
    ASSERT_TRUE(query.exec(QStringLiteral("SELECT version FROM schema_migrations ORDER BY version")));
    QList<int> versions;
    while (query.next())
        versions.append(query.value(0).toInt());
    QList<int> expected;
    for (const store::Migration &migration : store::serverMigrations())
        expected.append(migration.version);
    EXPECT_EQ(versions, expected) << "each migration recorded exactly once";
}

TEST_P(StoreConformance, ALaterMigrationIsAppliedToADatabaseLeftAtAnEarlierVersion)
{
    QList<store::Migration> first = store::serverMigrations().mid(0, 2);
    auto old = Database::open(m_location, first);
    ASSERT_TRUE(old) << old.error().toStdString();
    EXPECT_EQ((*old)->schemaVersion(), 2);
    auto current = instance();
    EXPECT_EQ(current->schemaVersion(), store::serverMigrations().last().version);
    EXPECT_TRUE(current->connection().tables().contains(QStringLiteral("auth_codes")));
}

TEST_P(StoreConformance, AFailingMigrationLeavesNothingHalfDoneAndSaysWhich)
{
    QList<store::Migration> migrations = store::serverMigrations();
    migrations.append({99,
                       QStringLiteral("broken"),
                       {QStringLiteral("CREATE TABLE half (x TEXT)"), QStringLiteral("NOT SQL AT ALL")},
                       {QStringLiteral("CREATE TABLE half (x TEXT)"), QStringLiteral("NOT SQL AT ALL")}});
    auto broken = Database::open(m_location, migrations);
    ASSERT_FALSE(broken);
    EXPECT_TRUE(broken.error().contains(QStringLiteral("migration 99 (broken)"))) << broken.error().toStdString();
    auto database = instance();
    EXPECT_FALSE(database->connection().tables().contains(QStringLiteral("half"))) << "the failed migration was rolled back whole";
}

// ---------------------------------------------------------------------------------------------
// Records

TEST_P(StoreConformance, RecordsAreSeededOnceAndListedInTheSameOrder)
{
    auto first = store::RecordStore::open(instance(), catalogue::organizerService().apis);
    ASSERT_TRUE(first) << first.error().toStdString();
    auto second = store::RecordStore::open(instance(), catalogue::organizerService().apis);
    ASSERT_TRUE(second) << second.error().toStdString();
    const QJsonArray seeded = (*first)->list(contacts()).value();
    EXPECT_EQ(seeded.size(), 6) << "seeded by the first instance only";
    ASSERT_TRUE((*first)->create(contacts(), {{QStringLiteral("name"), QStringLiteral("aaron")}, {QStringLiteral("email"), QStringLiteral("a@example.org")}}));
    ASSERT_TRUE((*first)->create(contacts(), {{QStringLiteral("name"), QStringLiteral("Zoe")}, {QStringLiteral("email"), QStringLiteral("z@example.org")}}));
    QStringList names;
    const QJsonArray listed = (*second)->list(contacts()).value();
    for (const QJsonValue &record : listed)
        names.append(record.toObject().value(QLatin1String("name")).toString());
    EXPECT_EQ(names.first(), QStringLiteral("aaron")) << "text sorts without regard to case";
    EXPECT_EQ(names.last(), QStringLiteral("Zoe"));
    QStringList sorted = names;
    std::sort(sorted.begin(), sorted.end(), [](const QString &a, const QString &b) { return a.compare(b, Qt::CaseInsensitive) < 0; });
    EXPECT_EQ(names, sorted);

    // Date-times by instant, not by their text: 10:00-05:00 is after 14:00+00:00.
    ASSERT_TRUE((*first)->create(calendar(),
                                 {{QStringLiteral("title"), QStringLiteral("late")},
                                  {QStringLiteral("time"), QStringLiteral("2030-01-01T10:00:00-05:00")},
                                  {QStringLiteral("duration_minutes"), 30}}));
    ASSERT_TRUE((*first)->create(calendar(),
                                 {{QStringLiteral("title"), QStringLiteral("early")},
                                  {QStringLiteral("time"), QStringLiteral("2030-01-01T14:00:00+00:00")},
                                  {QStringLiteral("duration_minutes"), 30}}));
    const QJsonArray appointments = (*second)->list(calendar()).value();
    EXPECT_EQ(appointments.at(appointments.size() - 2).toObject().value(QLatin1String("title")).toString(), QStringLiteral("early"));
    EXPECT_EQ(appointments.last().toObject().value(QLatin1String("title")).toString(), QStringLiteral("late"));
    EXPECT_EQ(appointments.last().toObject().value(QLatin1String("duration_minutes")).toInteger(), 30);
}

TEST_P(StoreConformance, AWriteOnOneInstanceMovesTheOthersRevisionAndIsReadThere)
{
    auto first = store::RecordStore::open(instance(), catalogue::organizerService().apis).value();
    auto second = store::RecordStore::open(instance(), catalogue::organizerService().apis).value();
    const auto before = second->revision();
    ASSERT_TRUE(before.has_value());
    EXPECT_EQ(second->revision(), before) << "no write, no change: a cached list may be reused";
    auto created = first->create(contacts(), {{QStringLiteral("name"), QStringLiteral("Ada")}, {QStringLiteral("email"), QStringLiteral("ada@example.org")}});
    ASSERT_TRUE(created) << created.error().toStdString();
    const auto afterCreate = second->revision();
    EXPECT_NE(afterCreate, before) << "the other instance's list cache would hide the new record";
    const qint64 id = created->value(QLatin1String("id")).toInteger();
    auto read = second->get(contacts(), id);
    ASSERT_TRUE(read && read->has_value());
    EXPECT_EQ((*read)->value(QLatin1String("name")).toString(), QStringLiteral("Ada"));

    auto replaced
        = first->replace(contacts(), id, {{QStringLiteral("name"), QStringLiteral("Ada L.")}, {QStringLiteral("email"), QStringLiteral("ada@example.org")}});
    ASSERT_TRUE(replaced && replaced->has_value());
    const auto afterReplace = second->revision();
    EXPECT_NE(afterReplace, afterCreate);
    EXPECT_EQ(second->get(contacts(), id).value()->value(QLatin1String("name")).toString(), QStringLiteral("Ada L."));
    EXPECT_TRUE(first->remove(contacts(), id).value());
    EXPECT_NE(second->revision(), afterReplace);
    EXPECT_FALSE(second->get(contacts(), id).value().has_value());
    EXPECT_FALSE(second->remove(contacts(), id).value()) << "removing what is gone says so";
    EXPECT_FALSE(second->replace(contacts(), id, {{QStringLiteral("name"), QStringLiteral("x")}, {QStringLiteral("email"), QStringLiteral("x@example.org")}})
                     .value()
                     .has_value());
}

TEST_P(StoreConformance, ConcurrentWritersOnTwoInstancesLoseNothing)
{
    store::RecordStore::open(instance(), catalogue::organizerService().apis).value(); // tables and seed
    std::mutex mutex;
    QList<qint64> ids;
    raceInstances(2, [&](int i, const std::shared_ptr<Database> &database) {
        auto store = store::RecordStore::open(database, catalogue::organizerService().apis);
        ASSERT_TRUE(store) << store.error().toStdString();
        for (int n = 0; n < 40; ++n) {
            auto created = (*store)->create(contacts(),
                                            {{QStringLiteral("name"), QStringLiteral("w%1-%2").arg(i).arg(n)},
                                             {QStringLiteral("email"), QStringLiteral("w%1-%2@example.org").arg(i).arg(n)}});
            ASSERT_TRUE(created) << created.error().toStdString();
            std::lock_guard lock(mutex);
            ids.append(created->value(QLatin1String("id")).toInteger());
        }
    });
    EXPECT_EQ(QSet<qint64>(ids.begin(), ids.end()).size(), 80) << "every id distinct";
    auto reader = store::RecordStore::open(instance(), catalogue::organizerService().apis).value();
    EXPECT_EQ(reader->list(contacts()).value().size(), 6 + 80);
}

TEST_P(StoreConformance, ADeclaredApiGainsItsTableAndLaterColumnsOnAnyInstance)
{
    catalogue::ApiSpec notes;
    notes.name = QStringLiteral("notes");
    notes.collection = QStringLiteral("notes");
    notes.singular = QStringLiteral("note");
    notes.table = QStringLiteral("notes");
    notes.fields = {{QStringLiteral("order"), catalogue::RecordField::Type::Text, true}};
    notes.sortField = QStringLiteral("order");
    auto first = store::RecordStore::open(instance(), {notes}).value();
    ASSERT_TRUE(first->create(notes, {{QStringLiteral("order"), QStringLiteral("b")}}));
    catalogue::ApiSpec wider = notes;
    wider.fields.append({QStringLiteral("group"), catalogue::RecordField::Type::Text, false});
    auto second = store::RecordStore::open(instance(), {wider});
    ASSERT_TRUE(second) << second.error().toStdString();
    ASSERT_TRUE((*second)->create(wider, {{QStringLiteral("order"), QStringLiteral("a")}, {QStringLiteral("group"), QStringLiteral("g")}}));
    const QJsonArray listed = (*second)->list(wider).value();
    ASSERT_EQ(listed.size(), 2) << "the record written before the column was added is kept";
    EXPECT_EQ(listed.at(0).toObject().value(QLatin1String("group")).toString(), QStringLiteral("g"));
    EXPECT_FALSE(listed.at(1).toObject().contains(QLatin1String("group")));
}

// A declared API as the Management API would build it: `visits`, kept in api_visits.
catalogue::ApiSpec visitsApi(const QList<catalogue::RecordField> &fields)
{
    catalogue::ApiSpec visits;
    visits.builtin = false;
    visits.name = QStringLiteral("visits");
    visits.collection = QStringLiteral("visits");
    visits.singular = QStringLiteral("visit");
    visits.table = QStringLiteral("api_visits");
    visits.fields = fields;
    visits.sortField = fields.first().name;
    return visits;
}

TEST_P(StoreConformance, AFieldDroppedOrMadeOptionalNoLongerFailsCreatesAndReturnsWithItsValues)
{
    using Type = catalogue::RecordField::Type;
    const catalogue::ApiSpec before
        = visitsApi({{QStringLiteral("title"), Type::Text, true}, {QStringLiteral("at"), Type::DateTime, true}, {QStringLiteral("place"), Type::Text, true}});
    auto first = store::RecordStore::open(instance(), {before}).value();
    ASSERT_TRUE(first->create(before,
                              {{QStringLiteral("title"), QStringLiteral("kept")},
                               {QStringLiteral("at"), QStringLiteral("2026-03-01T09:00:00Z")},
                               {QStringLiteral("place"), QStringLiteral("Oslo")}}));

    // "title" and "at" are dropped, "place" stops being required: creates without them must work.
    const catalogue::ApiSpec after = visitsApi({{QStringLiteral("place"), Type::Text, false}, {QStringLiteral("note"), Type::Text, false}});
    auto second = store::RecordStore::open(instance(), {after});
    ASSERT_TRUE(second) << second.error().toStdString();
    auto created = (*second)->create(after, {{QStringLiteral("note"), QStringLiteral("no place, no title")}});
    ASSERT_TRUE(created) << created.error().toStdString();
    ASSERT_TRUE((*second)->create(after, {{QStringLiteral("place"), QStringLiteral("Bergen")}}));

    // The dropped fields come back: the values stored before are there again.
    auto third = store::RecordStore::open(instance(), {before});
    ASSERT_TRUE(third) << third.error().toStdString();
    const auto kept = (*third)->get(before, 1).value();
    ASSERT_TRUE(kept.has_value());
    EXPECT_EQ(kept->value(QLatin1String("title")).toString(), QStringLiteral("kept"));
    EXPECT_EQ(kept->value(QLatin1String("at")).toString(), QStringLiteral("2026-03-01T09:00:00Z"));
    EXPECT_EQ((*third)->list(before).value().size(), 3);
}

// Tables an earlier server made have NOT NULL columns for required fields: they are relaxed when the API
// is next prepared, with every record and the id sequence kept.
TEST_P(StoreConformance, NotNullColumnsOfAnEarlierServerAreRelaxedOnceKeepingRecordsAndIds)
{
    using Type = catalogue::RecordField::Type;
    auto database = instance();
    QSqlQuery make(database->connection());
    ASSERT_TRUE(make.exec(QStringLiteral("CREATE TABLE api_visits (%1, \"title\" TEXT NOT NULL, \"at\" TEXT NOT NULL, \"at_utc\" BIGINT NOT NULL)")
                              .arg(GetParam() == Engine::Postgres ? QStringLiteral("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY")
                                                                  : QStringLiteral("id INTEGER PRIMARY KEY AUTOINCREMENT"))))
        << make.lastError().text().toStdString();
    for (const char *title : {"first", "second"})
        ASSERT_TRUE(make.exec(QStringLiteral("INSERT INTO api_visits (\"title\", \"at\", \"at_utc\") VALUES ('%1', '2026-03-01T09:00:00Z', 1772355600)")
                                  .arg(QLatin1String(title))))
            << make.lastError().text().toStdString();
    ASSERT_TRUE(make.exec(QStringLiteral("DELETE FROM api_visits WHERE \"title\" = 'second'")));

    const catalogue::ApiSpec after = visitsApi({{QStringLiteral("place"), Type::Text, false}});
    auto store = store::RecordStore::open(instance(), {after});
    ASSERT_TRUE(store) << store.error().toStdString();
    auto created = (*store)->create(after, {{QStringLiteral("place"), QStringLiteral("Oslo")}});
    ASSERT_TRUE(created) << created.error().toStdString();
    EXPECT_EQ(created->value(QLatin1String("id")).toInteger(), 3) << "a deleted record's id is not handed out again";

    const catalogue::ApiSpec before = visitsApi({{QStringLiteral("title"), Type::Text, true}, {QStringLiteral("at"), Type::DateTime, true}});
    auto again = store::RecordStore::open(instance(), {before});
    ASSERT_TRUE(again) << again.error().toStdString();
    const auto first = (*again)->get(before, 1).value();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->value(QLatin1String("title")).toString(), QStringLiteral("first"));
    EXPECT_EQ(first->value(QLatin1String("at")).toString(), QStringLiteral("2026-03-01T09:00:00Z"));
}

TEST_P(StoreConformance, AFieldWhoseTypeChangesKeepsItsValuesReadableInTheNewType)
{
    using Type = catalogue::RecordField::Type;
    const catalogue::ApiSpec before
        = visitsApi({{QStringLiteral("title"), Type::Text, true}, {QStringLiteral("length"), Type::Minutes, false}, {QStringLiteral("at"), Type::Text, false}});
    auto first = store::RecordStore::open(instance(), {before}).value();
    const qint64 timed = first
                             ->create(before,
                                      {{QStringLiteral("title"), QStringLiteral("timed")},
                                       {QStringLiteral("length"), 30},
                                       {QStringLiteral("at"), QStringLiteral("2026-03-01T10:00:00+01:00")}})
                             .value()
                             .value(QLatin1String("id"))
                             .toInteger();
    const qint64 vague = first->create(before, {{QStringLiteral("title"), QStringLiteral("42")}, {QStringLiteral("at"), QStringLiteral("soon")}})
                             .value()
                             .value(QLatin1String("id"))
                             .toInteger();

    // Minutes become text (their digits), text becomes a date-time (kept as written, sorted by instant
    // where it is one): every value reads back, and the new types can be written.
    const catalogue::ApiSpec retyped = visitsApi(
        {{QStringLiteral("title"), Type::Text, true}, {QStringLiteral("length"), Type::Text, false}, {QStringLiteral("at"), Type::DateTime, false}});
    auto second = store::RecordStore::open(instance(), {retyped});
    ASSERT_TRUE(second) << second.error().toStdString();
    const QJsonObject timedAfter = (*second)->get(retyped, timed).value().value();
    EXPECT_EQ(timedAfter.value(QLatin1String("length")), QJsonValue(QStringLiteral("30")));
    EXPECT_EQ(timedAfter.value(QLatin1String("at")), QJsonValue(QStringLiteral("2026-03-01T10:00:00+01:00")));
    EXPECT_EQ((*second)->get(retyped, vague).value().value().value(QLatin1String("at")), QJsonValue(QStringLiteral("soon")));
    auto text = (*second)->create(retyped, {{QStringLiteral("title"), QStringLiteral("7")}, {QStringLiteral("length"), QStringLiteral("half an hour")}});
    ASSERT_TRUE(text) << text.error().toStdString();
    catalogue::ApiSpec byTime = retyped;
    byTime.sortField = QStringLiteral("at");
    auto byInstant = (*second)->list(byTime);
    ASSERT_TRUE(byInstant) << byInstant.error().toStdString();
    EXPECT_EQ(byInstant->size(), 3) << "listed by the instant of a field that was text";

    // Text becomes minutes (the way back in, e.g. an API declared again): whole numbers convert, and
    // nothing reads back as a number it never was.
    const catalogue::ApiSpec counted = visitsApi({{QStringLiteral("title"), Type::Minutes, false}, {QStringLiteral("length"), Type::Minutes, false}});
    auto third = store::RecordStore::open(instance(), {counted});
    ASSERT_TRUE(third) << third.error().toStdString();
    EXPECT_EQ((*third)->get(counted, timed).value().value().value(QLatin1String("length")), QJsonValue(30));
    EXPECT_FALSE((*third)->get(counted, timed).value().value().contains(QLatin1String("title"))) << "\"timed\" is not a number of minutes";
    EXPECT_EQ((*third)->get(counted, vague).value().value().value(QLatin1String("title")), QJsonValue(42));
    auto minutes = (*third)->create(counted, {{QStringLiteral("length"), 90}});
    ASSERT_TRUE(minutes) << minutes.error().toStdString();
    const QJsonArray all = (*third)->list(counted).value();
    for (const QJsonValue &record : all) {
        for (const char *field : {"title", "length"})
            EXPECT_NE(record.toObject().value(QLatin1String(field)), QJsonValue(0)) << field;
    }
    // The text that did not convert is still in the table, beside the field.
    auto database = instance();
    const QSqlRecord columns = database->connection().record(QStringLiteral("api_visits"));
    QString retired;
    for (int i = 0; i < columns.count(); ++i) {
        if (columns.fieldName(i).startsWith(QLatin1String("title:text@")))
            retired = columns.fieldName(i);
    }
    ASSERT_FALSE(retired.isEmpty()) << "the values that are not minutes are kept in a column of their own";
    auto kept = database->execute(QStringLiteral("SELECT \"%1\" FROM api_visits WHERE id = ?").arg(retired), {timed}, QStringLiteral("kept"));
    ASSERT_TRUE(kept && kept->next());
    EXPECT_EQ(kept->value(0).toString(), QStringLiteral("timed"));
}

// ---------------------------------------------------------------------------------------------
// Tenant and consents

TEST_P(StoreConformance, TenantChangesAreComparedAndSetSoNeitherInstanceLosesOne)
{
    store::TenantStore first(instance());
    store::TenantStore second(instance());
    const QByteArray digest = store::TenantStore::digestOf("tenant file");
    EXPECT_EQ(second.revision(digest).value(), 0);
    auto saved = first.save(digest, "{\"v\":1}", 0);
    ASSERT_TRUE(saved && saved->has_value());
    EXPECT_EQ(**saved, 1);
    auto stale = second.save(digest, "{\"v\":\"stale\"}", 0);
    ASSERT_TRUE(stale);
    EXPECT_FALSE(stale->has_value()) << "a change made on an old revision must not overwrite a newer one";
    EXPECT_EQ(second.revision(digest).value(), 1);
    auto next = second.save(digest, "{\"v\":2}", 1);
    ASSERT_TRUE(next && next->has_value());
    EXPECT_EQ(**next, 2);
    auto loaded = first.load(digest);
    ASSERT_TRUE(loaded && loaded->has_value());
    EXPECT_EQ((*loaded)->document, QByteArray("{\"v\":2}"));
    EXPECT_EQ((*loaded)->revision, 2);
    EXPECT_FALSE(first.load(store::TenantStore::digestOf("another file")).value().has_value());
}

TEST_P(StoreConformance, AConsentGivenOnOneInstanceIsRememberedOnTheOther)
{
    store::ConsentStore first(instance());
    store::ConsentStore second(instance());
    const QString subject = QStringLiteral("auth0|alice");
    EXPECT_FALSE(second.covers(subject, QStringLiteral("app"), QStringLiteral("organize"), {}));
    ASSERT_TRUE(first.remember(subject, QStringLiteral("app"), QStringLiteral("organize"), {QStringLiteral("read:contacts")}));
    EXPECT_TRUE(second.covers(subject, QStringLiteral("app"), QStringLiteral("organize"), {QStringLiteral("read:contacts")}));
    EXPECT_FALSE(second.covers(subject, QStringLiteral("app"), QStringLiteral("organize"), {QStringLiteral("read:calendar")}));
    ASSERT_TRUE(second.remember(subject, QStringLiteral("app"), QStringLiteral("organize"), {QStringLiteral("read:calendar")}));
    EXPECT_TRUE(first.covers(subject, QStringLiteral("app"), QStringLiteral("organize"), {QStringLiteral("read:contacts"), QStringLiteral("read:calendar")}));
    // A login without an audience is stored under the empty one.
    ASSERT_TRUE(first.remember(subject, QStringLiteral("app"), QString(), {QStringLiteral("profile")}));
    EXPECT_TRUE(second.covers(subject, QStringLiteral("app"), QString(), {QStringLiteral("profile")}));
}

// ---------------------------------------------------------------------------------------------
// Logins under way, sessions, codes

authorization::Transaction sampleTransaction(qint64 now, const QString &address)
{
    authorization::Transaction transaction;
    transaction.request.clientId = QStringLiteral("organizer-desktop");
    transaction.request.redirectUri = QUrl(QStringLiteral("http://127.0.0.1:5000/callback?x=%C3%A9"));
    transaction.request.wantsCode = true;
    transaction.request.responseType = QStringLiteral("code");
    transaction.request.responseMode = QStringLiteral("query");
    transaction.request.scopes = {QStringLiteral("openid"), QStringLiteral("read:contacts")};
    transaction.request.audience = QStringLiteral("organize");
    transaction.request.state = QStringLiteral("state with spaces & ünïcode");
    transaction.request.nonce = QStringLiteral("n-0S6_WzA2Mj");
    transaction.request.maxAge = 300;
    transaction.request.codeChallenge = QStringLiteral("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    transaction.request.codeChallengeMethod = QStringLiteral("S256");
    transaction.csrf = "csrf-token";
    transaction.browser = "browser-cookie";
    transaction.expiresAt = now + 900;
    transaction.address = address;
    transaction.bytes = 1000;
    return transaction;
}

TEST_P(StoreConformance, ALoginStartedOnOneInstanceContinuesOnTheOtherAndEndsOnce)
{
    resource::TokenRevocations revocations;
    authorization::AuthorizationState first(instance(), &revocations, m_clock);
    authorization::AuthorizationState second(instance(), &revocations, m_clock);
    const qint64 now = m_clock();
    const authorization::Transaction started = sampleTransaction(now, QStringLiteral("192.0.2.1"));
    ASSERT_TRUE(first.putTransaction("tx1", started));
    ASSERT_TRUE(first.putTransaction("tx2", sampleTransaction(now, QStringLiteral("192.0.2.2"))));
    auto expired = sampleTransaction(now, QStringLiteral("192.0.2.1"));
    expired.expiresAt = now - 1;
    ASSERT_TRUE(first.putTransaction("tx-old", expired));

    auto read = second.transaction("tx1");
    ASSERT_TRUE(read && read->has_value());
    const authorization::AuthorizeRequest &request = (*read)->request;
    EXPECT_EQ(request.redirectUri, started.request.redirectUri);
    EXPECT_EQ(request.state, started.request.state);
    EXPECT_EQ(request.scopes, started.request.scopes);
    EXPECT_EQ(request.maxAge, 300);
    EXPECT_EQ(request.codeChallenge, started.request.codeChallenge);
    EXPECT_TRUE(request.wantsCode);
    EXPECT_EQ((*read)->browser, QByteArray("browser-cookie"));
    EXPECT_FALSE(second.transaction("tx-old").value().has_value()) << "an expired login is gone";

    second.prune(); // the sweeper: expired logins go, and the counters are rebuilt with them
    auto mine = second.transactionBudget(QStringLiteral("192.0.2.1"));
    ASSERT_TRUE(mine);
    EXPECT_EQ(mine->count, 1) << "only the live one from that address counts";
    EXPECT_EQ(mine->bytes, 1000);
    EXPECT_EQ(second.transactionBudget(QString()).value().count, 2);

    ASSERT_TRUE(second.markLoggedIn("tx1", QStringLiteral("auth0|alice"), now, "new-csrf"));
    auto loggedIn = first.transaction("tx1").value();
    ASSERT_TRUE(loggedIn.has_value());
    EXPECT_EQ(loggedIn->subject, QStringLiteral("auth0|alice"));
    EXPECT_EQ(loggedIn->csrf, QByteArray("new-csrf"));

    // The consent answered on both instances at once: one completes it.
    std::atomic<int> winners{0};
    raceInstances(2, [&](int, const std::shared_ptr<Database> &database) {
        authorization::AuthorizationState state(database, &revocations, m_clock);
        auto taken = state.takeTransaction("tx1");
        ASSERT_TRUE(taken) << taken.error().toStdString();
        if (*taken)
            ++winners;
    });
    EXPECT_EQ(winners.load(), 1);
    EXPECT_FALSE(first.transaction("tx1").value().has_value());
}

TEST_P(StoreConformance, PendingLoginsMakeRoomFromTheHeaviestSenderAndCountWithoutAScan)
{
    resource::TokenRevocations revocations;
    authorization::AuthorizationState first(instance(), &revocations, m_clock);
    authorization::AuthorizationState second(instance(), &revocations, m_clock);
    const qint64 now = m_clock();
    const authorization::PendingLoginLimits limits{3, 10'000, 5, 100'000};
    int sequence = 0;
    auto put = [&](authorization::AuthorizationState &state, const QString &address, const QByteArray &id) {
        auto transaction = sampleTransaction(now, address);
        transaction.expiresAt = now + 900 + ++sequence; // started in this order
        auto evicted = state.putTransaction(id, transaction, limits);
        EXPECT_TRUE(evicted) << (evicted ? "" : evicted.error().toStdString());
        return evicted ? *evicted : -1;
    };
    auto exists = [&](const QByteArray &id) { return second.transaction(id).value().has_value(); };
    const QString a = QStringLiteral("192.0.2.1"), b = QStringLiteral("192.0.2.2"), c = QStringLiteral("2001:db8:1:2::/64"), d = QStringLiteral("192.0.2.4");

    // Past its own share, a sender's oldest goes; the newcomer is never refused.
    for (const QByteArray id : {"a1", "a2", "a3"})
        EXPECT_EQ(put(first, a, id), 0);
    EXPECT_EQ(put(second, a, "a4"), 1);
    EXPECT_FALSE(exists("a1"));
    EXPECT_TRUE(exists("a4"));
    EXPECT_EQ(first.transactionBudget(a).value().count, 3);

    // Past the total, the oldest of whoever holds most goes, not the others' logins.
    EXPECT_EQ(put(first, b, "b1"), 0);
    EXPECT_EQ(put(second, c, "c1"), 0);
    EXPECT_EQ(put(first, d, "d1"), 1);
    EXPECT_FALSE(exists("a2"));
    for (const QByteArray id : {"a3", "a4", "b1", "c1", "d1"})
        EXPECT_TRUE(exists(id)) << id.constData();
    auto all = second.transactionBudget(QString()).value();
    EXPECT_EQ(all.count, 5);
    EXPECT_EQ(all.bytes, 5000);

    // A finished login leaves the counters, on whichever instance it finishes.
    ASSERT_TRUE(second.takeTransaction("b1").value());
    EXPECT_EQ(first.transactionBudget(b).value().count, 0);
    EXPECT_EQ(first.transactionBudget(QString()).value().count, 4);

    // /authorize reads two counters, never the table: a row the counters do not know (written behind
    // their back) does not show until the sweeper rebuilds them from the table.
    const auto behindTheirBack = instance();
    QSqlQuery sneak(behindTheirBack->connection());
    ASSERT_TRUE(sneak.exec(QStringLiteral("INSERT INTO auth_transactions (id, request, csrf, browser, address, bytes, expires_at) "
                                          "VALUES ('x1', '{}', 'c', 'b', '192.0.2.9', 700, %1)")
                               .arg(now + 900)))
        << sneak.lastError().text().toStdString();
    EXPECT_EQ(first.transactionBudget(QStringLiteral("192.0.2.9")).value().count, 0);
    first.prune();
    EXPECT_EQ(first.transactionBudget(QStringLiteral("192.0.2.9")).value().bytes, 700);
    EXPECT_EQ(second.transactionBudget(QString()).value().count, 5);
}

TEST_P(StoreConformance, SessionsAreSharedAndEndEverywhere)
{
    resource::TokenRevocations revocations;
    authorization::AuthorizationState first(instance(), &revocations, m_clock);
    authorization::AuthorizationState second(instance(), &revocations, m_clock);
    const qint64 now = m_clock();
    const QByteArray hash = QByteArray::fromHex("00ff10e2");
    ASSERT_TRUE(first.putSession(hash, {QStringLiteral("auth0|bob"), now - 5, now + 3600}));
    ASSERT_TRUE(first.putSession("expired", {QStringLiteral("auth0|bob"), now - 5, now - 1}));
    auto session = second.session(hash);
    ASSERT_TRUE(session && session->has_value());
    EXPECT_EQ((*session)->subject, QStringLiteral("auth0|bob"));
    EXPECT_EQ((*session)->authTime, now - 5);
    EXPECT_FALSE(second.session("expired").value().has_value());
    ASSERT_TRUE(second.dropSession(hash));
    EXPECT_FALSE(first.session(hash).value().has_value());
}

TEST_P(StoreConformance, ACodeRacedByEightInstancesIsRedeemedExactlyOnce)
{
    resource::TokenRevocations revocations;
    authorization::AuthorizationState first(instance(), &revocations, m_clock);
    authorization::Code code;
    code.request = sampleTransaction(m_clock(), QStringLiteral("192.0.2.1")).request;
    code.subject = QStringLiteral("auth0|alice");
    code.scopes = {QStringLiteral("openid"), QStringLiteral("read:contacts")};
    code.authTime = m_clock();
    code.expiresAt = m_clock() + 60;
    ASSERT_TRUE(first.putCode("code-hash", code));

    std::atomic<int> redeemed{0};
    std::atomic<int> again{0};
    raceInstances(8, [&](int, const std::shared_ptr<Database> &database) {
        authorization::AuthorizationState state(database, &revocations, m_clock);
        auto outcome = state.redeemCode("code-hash");
        ASSERT_TRUE(outcome) << outcome.error().toStdString();
        if (outcome->outcome == authorization::AuthorizationState::Redemption::Redeemed) {
            ++redeemed;
            EXPECT_EQ(outcome->code.subject, QStringLiteral("auth0|alice"));
            EXPECT_EQ(outcome->code.scopes, code.scopes);
            EXPECT_EQ(outcome->code.request.codeChallenge, code.request.codeChallenge);
        } else if (outcome->outcome == authorization::AuthorizationState::Redemption::PresentedAgain) {
            ++again;
        }
    });
    EXPECT_EQ(redeemed.load(), 1);
    EXPECT_EQ(again.load(), 7);

    // What the redemption bought is noted, so a later presentation can withdraw it.
    const QByteArray fingerprint = resource::TokenRevocations::fingerprint("access-token");
    ASSERT_TRUE(first.noteCodeTokens("code-hash", "family-1", fingerprint, m_clock() + 600));
    auto later = first.redeemCode("code-hash");
    ASSERT_TRUE(later);
    EXPECT_EQ(later->outcome, authorization::AuthorizationState::Redemption::PresentedAgain);
    EXPECT_EQ(later->code.refreshFamily, QByteArray("family-1"));
    EXPECT_EQ(later->code.accessFingerprint, fingerprint);

    code.expiresAt = m_clock() - 1;
    ASSERT_TRUE(first.putCode("expired-hash", code));
    EXPECT_EQ(first.redeemCode("expired-hash").value().outcome, authorization::AuthorizationState::Redemption::Unknown);
    EXPECT_EQ(first.redeemCode("never-issued").value().outcome, authorization::AuthorizationState::Redemption::Unknown);
}

// ---------------------------------------------------------------------------------------------
// Refresh tokens, throttles, revocations, shared secrets

// What refresh-token families revoke, from any thread.
class RevokedAccessTokens
{
public:
    authorization::RefreshTokens::RevokeAccessTokens sink()
    {
        return [this](const QList<resource::TokenRevocations::Revoked> &tokens) {
            std::lock_guard lock(m_mutex);
            for (const auto &token : tokens)
                m_fingerprints.append(token.fingerprint);
        };
    }
    qsizetype size() const
    {
        std::lock_guard lock(m_mutex);
        return m_fingerprints.size();
    }
    bool contains(const QByteArray &fingerprint) const
    {
        std::lock_guard lock(m_mutex);
        return m_fingerprints.contains(fingerprint);
    }

private:
    mutable std::mutex m_mutex;
    QList<QByteArray> m_fingerprints;
};

TEST_P(StoreConformance, ARefreshRotationRacedOnTwoInstancesCannotForkTheFamily)
{
    RevokedAccessTokens revoked;
    const auto revoke = revoked.sink();
    authorization::RefreshTokens first(instance(), revoke, m_clock);
    const authorization::RefreshGrant grant{QStringLiteral("app"),
                                            QStringLiteral("auth0|alice"),
                                            QStringLiteral("organize"),
                                            {QStringLiteral("openid"), QStringLiteral("offline_access"), QStringLiteral("read:contacts")}};
    auto started = first.start(grant, {3600, 600});
    ASSERT_TRUE(started) << started.error().toStdString();
    auto usable = first.use(started->token, QStringLiteral("app"));
    ASSERT_TRUE(usable);
    EXPECT_EQ(usable->scopes, grant.scopes);
    EXPECT_FALSE(first.use(started->token, QStringLiteral("other-app"))) << "a token works for its own client only";
    const QByteArray issuedAccess = resource::TokenRevocations::fingerprint("access-1");
    first.noteAccessToken(started->family, issuedAccess, m_clock() + 600);

    std::atomic<int> rotated{0};
    std::mutex successorMutex;
    QByteArray successor;
    raceInstances(2, [&](int, const std::shared_ptr<Database> &database) {
        authorization::RefreshTokens tokens(database, revoke, m_clock);
        auto next = tokens.rotate(started->token);
        if (next) {
            ++rotated;
            std::lock_guard lock(successorMutex);
            successor = next->token;
        } else {
            EXPECT_FALSE(next.error().unavailable) << next.error().reason.toStdString();
        }
    });
    EXPECT_EQ(rotated.load(), 1) << "one rotation wins";
    // The loser saw the same token used twice: the family is revoked, its access tokens with it.
    auto afterRace = first.use(successor, QStringLiteral("app"));
    ASSERT_FALSE(afterRace);
    EXPECT_EQ(afterRace.error().reason, QStringLiteral("the refresh token was revoked"));
    EXPECT_TRUE(revoked.contains(issuedAccess));
}

TEST_P(StoreConformance, ARetiredRefreshTokenPresentedOnAnotherInstanceRevokesTheFamily)
{
    RevokedAccessTokens revoked;
    authorization::RefreshTokens first(instance(), revoked.sink(), m_clock);
    authorization::RefreshTokens second(instance(), revoked.sink(), m_clock);
    auto started
        = first.start({QStringLiteral("app"), QStringLiteral("auth0|alice"), QStringLiteral("organize"), {QStringLiteral("offline_access")}}, {3600, 600});
    ASSERT_TRUE(started);
    auto next = first.rotate(started->token);
    ASSERT_TRUE(next);
    ASSERT_TRUE(second.use(next->token, QStringLiteral("app"))) << "the successor works on the other instance";
    second.noteAccessToken(next->family, "fp-2", m_clock() + 600);
    second.noteAccessToken(next->family, "fp-3", m_clock() + 600);
    second.noteAccessToken(next->family, "fp-3", m_clock() + 600); // minted twice in one second: the same token
    auto replay = second.use(started->token, QStringLiteral("app"));
    ASSERT_FALSE(replay);
    EXPECT_TRUE(replay.error().reason.contains(QStringLiteral("already used")));
    EXPECT_FALSE(first.use(next->token, QStringLiteral("app"))) << "the whole family is revoked";
    EXPECT_TRUE(revoked.contains(QByteArray("fp-2")));
    EXPECT_TRUE(revoked.contains(QByteArray("fp-3"))) << "every access token of the family is revoked, not just the first";
    EXPECT_EQ(second.revoke(next->token, QStringLiteral("other")), authorization::RefreshTokens::Revocation::OtherClient);
    EXPECT_EQ(second.revoke("unknown", QStringLiteral("app")), authorization::RefreshTokens::Revocation::Unknown);
}

// Issue 21: a family refreshed thousands of times was revoked one INSERT (one commit) per access token.
TEST_P(StoreConformance, RevokingAFamilyTakesAsManyStatementsForTwoThousandAccessTokensAsForOne)
{
    const std::shared_ptr<Database> database = instance();
    resource::TokenRevocations list;
    authorization::RefreshTokens tokens(
        database, [&](const auto &revoked) { list.revokeAll(revoked, m_clock()); }, m_clock);
    const authorization::RefreshGrant grant{
        QStringLiteral("app"), QStringLiteral("auth0|alice"), QStringLiteral("organize"), {QStringLiteral("offline_access")}};
    const auto accessToken = [](int family, int i) { return QStringLiteral("access-%1-%2").arg(family).arg(i).toLatin1(); };
    QByteArray family;
    // Statements one revocation runs for a family that issued `count` access tokens.
    auto revocationCost = [&](int count) -> qint64 {
        auto started = tokens.start(grant, {3600, 600});
        EXPECT_TRUE(started);
        family = started->family;
        // Noted in one transaction only to keep the test quick: noteAccessToken runs on this thread's connection.
        EXPECT_TRUE(database->transaction([&](QSqlDatabase &) -> Expected<Done, QString> {
            for (int i = 0; i < count; ++i)
                tokens.noteAccessToken(family, resource::TokenRevocations::fingerprint(accessToken(count, i)), m_clock() + 600);
            return Done{};
        }));
        const qint64 before = Database::statementsExecuted();
        tokens.revokeFamily(family);
        return Database::statementsExecuted() - before;
    };
    const qint64 forOne = revocationCost(1);
    const qint64 forTwoThousand = revocationCost(2000);
    EXPECT_EQ(forTwoThousand, forOne) << "revoking by family, not token by token";
    EXPECT_LE(forOne, 5);
    EXPECT_TRUE(list.isRevoked(accessToken(2000, 0), m_clock()));
    EXPECT_TRUE(list.isRevoked(accessToken(2000, 1999), m_clock()));
    EXPECT_EQ(list.size(), 2001);
    // Every instance follows the shared list; revoking the family again withdraws nothing twice.
    tokens.revokeFamily(family);
    resource::TokenRevocations otherList;
    authorization::AuthorizationState other(instance(), &otherList, m_clock);
    EXPECT_EQ(other.followRevocations().value(), 2001);
    EXPECT_TRUE(otherList.isRevoked(accessToken(2000, 1999), m_clock()));
}

// Issue 21: each rotation stored a row for the retired token, kept for the family's 30 days, and every
// access token's row stayed as long. Now a loop of refreshes leaves only its unexpired access tokens.
TEST_P(StoreConformance, ARefreshLoopLeavesOnlyItsUnexpiredAccessTokensBehind)
{
    const std::shared_ptr<Database> database = instance();
    qint64 now = m_clock();
    const Clock clock = [&now] { return now; };
    RevokedAccessTokens revoked;
    authorization::RefreshTokens tokens(database, revoked.sink(), clock);
    auto rows = [&](const QString &table) {
        auto counted = database->execute(QStringLiteral("SELECT COUNT(*) FROM %1").arg(table), {}, QStringLiteral("count"));
        EXPECT_TRUE(counted && counted->next());
        return counted ? counted->value(0).toLongLong() : -1;
    };
    auto started
        = tokens.start({QStringLiteral("app"), QStringLiteral("auth0|alice"), QStringLiteral("organize"), {QStringLiteral("offline_access")}}, {3600, 600});
    ASSERT_TRUE(started) << started.error().toStdString();
    const QByteArray firstToken = started->token;
    QByteArray current = firstToken;
    QList<QByteArray> accessTokens;
    for (int rotation = 1; rotation <= 50; ++rotation) {
        auto next = tokens.rotate(current);
        ASSERT_TRUE(next) << next.error().reason.toStdString();
        current = next->token;
        accessTokens.append(resource::TokenRevocations::fingerprint(QByteArray::number(rotation)));
        // Each rotation's access token lives 60 s.
        tokens.noteAccessToken(next->family, accessTokens.last(), now + 60);
        if (rotation == 25)
            now += 61; // the first 25 access tokens expire, the family lives on
    }
    EXPECT_EQ(rows(QStringLiteral("refresh_families")), 1);
    EXPECT_EQ(rows(QStringLiteral("refresh_tokens")), 0) << "no row per retired refresh token";
    tokens.prune();
    EXPECT_EQ(rows(QStringLiteral("refresh_access_tokens")), 25) << "expired access tokens are swept while the family lives";
    ASSERT_TRUE(tokens.use(current, QStringLiteral("app")));

    // The family's first token, 50 generations back, is still recognised as retired: the family goes.
    auto replay = tokens.use(firstToken, QStringLiteral("app"));
    ASSERT_FALSE(replay);
    EXPECT_TRUE(replay.error().reason.contains(QStringLiteral("already used"))) << replay.error().reason.toStdString();
    auto latest = tokens.use(current, QStringLiteral("app"));
    ASSERT_FALSE(latest);
    EXPECT_EQ(latest.error().reason, QStringLiteral("the refresh token was revoked"));
    EXPECT_EQ(revoked.size(), 25) << "the unexpired access tokens, each once";
    EXPECT_TRUE(revoked.contains(accessTokens.last()));
    EXPECT_FALSE(revoked.contains(accessTokens.first())) << "expired already";

    // A token that is not ours (a bad MAC, a made-up generation) is unknown and revokes nothing.
    auto otherFamily
        = tokens.start({QStringLiteral("app"), QStringLiteral("auth0|bob"), QStringLiteral("organize"), {QStringLiteral("offline_access")}}, {3600, 600});
    ASSERT_TRUE(otherFamily) << otherFamily.error().toStdString();
    QByteArray forged = otherFamily->token;
    forged[forged.size() - 2] = forged.at(forged.size() - 2) == 'A' ? 'B' : 'A';
    EXPECT_EQ(tokens.revoke(forged, QStringLiteral("app")), authorization::RefreshTokens::Revocation::Unknown);
    QList<QByteArray> parts = otherFamily->token.split('.');
    parts[1] = "0";
    EXPECT_EQ(tokens.revoke(parts.join('.'), QStringLiteral("app")), authorization::RefreshTokens::Revocation::Unknown);
    EXPECT_TRUE(tokens.use(otherFamily->token, QStringLiteral("app")));
}

// Families and tokens stored before generations (random tokens listed in refresh_tokens) keep working
// across the upgrade: their tokens rotate into self-describing ones, and their retired tokens still
// revoke the family.
TEST_P(StoreConformance, ARefreshFamilyFromBeforeGenerationsIsStillRecognised)
{
    const std::shared_ptr<Database> database = instance();
    RevokedAccessTokens revoked;
    authorization::RefreshTokens tokens(database, revoked.sink(), m_clock);
    const auto hexFingerprint = [](const QByteArray &token) { return QString::fromLatin1(resource::TokenRevocations::fingerprint(token).toHex()); };
    const QByteArray retired = "legacyRetiredTokenAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const QByteArray current = "legacyCurrentTokenAAAAAAAAAAAAAAAAAAAAAAAAAA";
    ASSERT_TRUE(database->execute(QStringLiteral("INSERT INTO refresh_families (id, client_id, subject, audience, scopes, absolute_seconds, "
                                                 "inactivity_seconds, created_at, last_used_at, current_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                                  {QStringLiteral("legacy-family"), QStringLiteral("app"), QStringLiteral("auth0|alice"), QStringLiteral("organize"),
                                   QStringLiteral("offline_access"), 3600, 600, m_clock(), m_clock(), hexFingerprint(current)},
                                  QStringLiteral("legacy family")));
    for (const QByteArray &token : {retired, current})
        ASSERT_TRUE(database->execute(QStringLiteral("INSERT INTO refresh_tokens (fingerprint, family) VALUES (?, ?)"),
                                      {hexFingerprint(token), QStringLiteral("legacy-family")}, QStringLiteral("legacy token")));
    tokens.noteAccessToken("legacy-family", "legacy-access", m_clock() + 600);

    ASSERT_TRUE(tokens.use(current, QStringLiteral("app")));
    auto next = tokens.rotate(current);
    ASSERT_TRUE(next) << next.error().reason.toStdString();
    EXPECT_EQ(next->family, QByteArray("legacy-family"));
    EXPECT_TRUE(next->token.startsWith("legacy-family.1.")) << next->token.constData();
    ASSERT_TRUE(tokens.use(next->token, QStringLiteral("app")));
    auto replay = tokens.use(retired, QStringLiteral("app"));
    ASSERT_FALSE(replay);
    EXPECT_TRUE(replay.error().reason.contains(QStringLiteral("already used")));
    EXPECT_FALSE(tokens.use(next->token, QStringLiteral("app")));
    EXPECT_TRUE(revoked.contains("legacy-access"));
}

TEST_P(StoreConformance, FailedLoginsCountedOnEveryInstanceAddUp)
{
    authorization::LoginThrottle first(instance(), QStringLiteral("account"), 3);
    authorization::LoginThrottle second(instance(), QStringLiteral("account"), 3);
    authorization::LoginThrottle otherKind(instance(), QStringLiteral("client"), 3);
    raceInstances(2, [&](int, const std::shared_ptr<Database> &database) {
        authorization::LoginThrottle throttle(database, QStringLiteral("account"), 3);
        for (int i = 0; i < 5; ++i)
            throttle.recordFailure(QStringLiteral("alice"), 1000);
    });
    // Ten failures, three free: 2^(10-3) = 128 s from the last one.
    EXPECT_EQ(first.retryAfter(QStringLiteral("alice"), 1000), 128);
    EXPECT_EQ(second.retryAfter(QStringLiteral("alice"), 1100), 28);
    EXPECT_EQ(otherKind.retryAfter(QStringLiteral("alice"), 1000), 0) << "throttles of another kind are apart";
    second.recordSuccess(QStringLiteral("alice"));
    EXPECT_EQ(first.retryAfter(QStringLiteral("alice"), 1000), 0);
}

TEST_P(StoreConformance, ARevocationOnOneInstanceReachesTheOthersList)
{
    resource::TokenRevocations firstList;
    resource::TokenRevocations secondList;
    authorization::AuthorizationState first(instance(), &firstList, m_clock);
    authorization::AuthorizationState second(instance(), &secondList, m_clock);
    EXPECT_EQ(second.followRevocations().value(), 0);
    first.revokeAccessToken(resource::TokenRevocations::fingerprint("token-a"), m_clock() + 600);
    first.revokeAccessToken(resource::TokenRevocations::fingerprint("token-expired"), m_clock() - 1);
    EXPECT_TRUE(firstList.isRevoked("token-a", m_clock()));
    EXPECT_FALSE(secondList.isRevoked("token-a", m_clock()));
    EXPECT_EQ(second.followRevocations().value(), 1);
    EXPECT_TRUE(secondList.isRevoked("token-a", m_clock()));
    EXPECT_FALSE(secondList.isRevoked("token-expired", m_clock()));
    EXPECT_EQ(second.followRevocations().value(), 0) << "nothing new the second time";
}

TEST_P(StoreConformance, EveryInstanceGetsTheSameSharedSecret)
{
    resource::TokenRevocations revocations;
    std::mutex mutex;
    QSet<QByteArray> secrets;
    raceInstances(4, [&](int, const std::shared_ptr<Database> &database) {
        authorization::AuthorizationState state(database, &revocations, m_clock);
        auto secret = state.sharedSecret(QStringLiteral("logout-form-key"));
        ASSERT_TRUE(secret) << secret.error().toStdString();
        EXPECT_EQ(secret->size(), 32);
        std::lock_guard lock(mutex);
        secrets.insert(*secret);
    });
    EXPECT_EQ(secrets.size(), 1);
}

// PostgreSQL only: a SQLite file cannot drop its connection. The server restarts, or a backend is
// terminated: the request under way fails (and says so), the next one is served on a new connection.
TEST(StorePostgres, ALostConnectionIsOpenedAgainForTheNextRequest)
{
    const DatabaseLocation location = postgres->freshDatabase();
    auto database = Database::open(location).value();
    auto admin = Database::open(location).value();
    auto records = store::RecordStore::open(database, catalogue::organizerService().apis).value();
    resource::TokenRevocations revocations;
    authorization::AuthorizationState state(database, &revocations, [] { return QDateTime::currentSecsSinceEpoch(); });
    const catalogue::ApiSpec &contacts = *catalogue::organizerService().api(QStringLiteral("contacts"));
    auto terminate = [&] {
        auto pid = database->execute(QStringLiteral("SELECT pg_backend_pid()"), {}, QStringLiteral("pid"));
        ASSERT_TRUE(pid && pid->next());
        auto killed = admin->execute(QStringLiteral("SELECT pg_terminate_backend(?)"), {pid->value(0)}, QStringLiteral("terminate"));
        ASSERT_TRUE(killed) << killed.error().toStdString();
    };

    terminate();
    EXPECT_FALSE(records->list(contacts)) << "the request under way fails";
    auto listed = records->list(contacts);
    ASSERT_TRUE(listed) << listed.error().toStdString();
    EXPECT_EQ(listed->size(), 6);

    terminate();
    EXPECT_FALSE(records->revision().has_value());
    EXPECT_TRUE(records->revision().has_value()) << "the revision query is prepared again on the new connection";

    terminate();
    EXPECT_FALSE(state.session("x"));
    auto session = state.session("x");
    ASSERT_TRUE(session) << session.error().toStdString();
    EXPECT_FALSE(session->has_value());
    ASSERT_TRUE(state.putSession("x", {QStringLiteral("auth0|alice"), 1, QDateTime::currentSecsSinceEpoch() + 60}));
    EXPECT_TRUE(state.session("x").value().has_value());
}

INSTANTIATE_TEST_SUITE_P(Engines, StoreConformance, ::testing::Values(Engine::Sqlite, Engine::Postgres),
                         [](const ::testing::TestParamInfo<Engine> &engine) { return engine.param == Engine::Sqlite ? "SQLite" : "PostgreSQL"; });

} // namespace

int main(int argc, char **argv)
{
    return organizer::testing::runWithPostgres(argc, argv, postgres);
}
