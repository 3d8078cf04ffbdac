// One conformance suite for the store, run against both engines: SQLite (a file) and PostgreSQL (a real
// server: ctest starts one with tests/cluster/postgres.sh; run alone, the suite starts its own). Each
// "instance" is a Database of its own — its own connections, as a separate organizer-server process
// would have — so what one writes the other must see, and races between them have one winner.
#include "authorizationstate.h"
#include "catalogue.h"
#include "consentstore.h"
#include "database.h"
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
#include <QTemporaryDir>
#include <QUuid>

#include <atomic>
#include <thread>

using namespace organizer;
using organizer::store::Database;
using organizer::store::DatabaseLocation;
using organizer::store::Engine;

namespace {

QString sourceDir()
{
    return QStringLiteral(ORGANIZER_SOURCE_DIR);
}

// The PostgreSQL server the suite runs against: the ctest fixture's (ORGANIZER_TEST_POSTGRES_DIR) or one
// this process starts and stops.
class PostgresServer : public ::testing::Environment
{
public:
    void SetUp() override
    {
        m_dir = qEnvironmentVariable("ORGANIZER_TEST_POSTGRES_DIR");
        if (m_dir.isEmpty()) {
            m_own.emplace();
            m_dir = m_own->filePath(QStringLiteral("postgres"));
            const int status = QProcess::execute(sourceDir() + QStringLiteral("/tests/cluster/postgres.sh"), {QStringLiteral("start"), m_dir});
            ASSERT_EQ(status, 0) << "could not start PostgreSQL for the suite";
        }
    }
    void TearDown() override
    {
        if (m_own)
            QProcess::execute(sourceDir() + QStringLiteral("/tests/cluster/postgres.sh"), {QStringLiteral("stop"), m_dir});
    }
    QString read(const QString &name) const
    {
        QFile file(m_dir + QLatin1Char('/') + name);
        return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()).trimmed() : QString();
    }
    // A new, empty database on the server for one test.
    DatabaseLocation freshDatabase() const
    {
        auto server = store::parseDatabaseUrl(read(QStringLiteral("url")));
        EXPECT_TRUE(server) << "no PostgreSQL server: " << (server ? "" : server.error().toStdString());
        DatabaseLocation location = server.value();
        location.password = read(QStringLiteral("password"));
        const QString connection = QStringLiteral("admin-") + QUuid::createUuid().toString(QUuid::Id128);
        const QString name = QStringLiteral("t_") + QUuid::createUuid().toString(QUuid::Id128);
        {
            QSqlDatabase admin = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), connection);
            admin.setHostName(location.host);
            admin.setPort(location.port);
            admin.setUserName(location.user);
            admin.setPassword(location.password);
            admin.setDatabaseName(location.name);
            EXPECT_TRUE(admin.open()) << admin.lastError().text().toStdString();
            QSqlQuery query(admin);
            EXPECT_TRUE(query.exec(QStringLiteral("CREATE DATABASE \"%1\"").arg(name))) << query.lastError().text().toStdString();
        }
        QSqlDatabase::removeDatabase(connection);
        location.name = name;
        return location;
    }

private:
    QString m_dir;
    std::optional<QTemporaryDir> m_own;
};

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
    jose::Clock m_clock = [] { return QDateTime::currentSecsSinceEpoch(); };
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
    auto first = server::RecordStore::open(instance(), catalogue::organizerService().apis);
    ASSERT_TRUE(first) << first.error().toStdString();
    auto second = server::RecordStore::open(instance(), catalogue::organizerService().apis);
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
    auto first = server::RecordStore::open(instance(), catalogue::organizerService().apis).value();
    auto second = server::RecordStore::open(instance(), catalogue::organizerService().apis).value();
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
    server::RecordStore::open(instance(), catalogue::organizerService().apis).value(); // tables and seed
    std::mutex mutex;
    QList<qint64> ids;
    raceInstances(2, [&](int i, const std::shared_ptr<Database> &database) {
        auto store = server::RecordStore::open(database, catalogue::organizerService().apis);
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
    auto reader = server::RecordStore::open(instance(), catalogue::organizerService().apis).value();
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
    auto first = server::RecordStore::open(instance(), {notes}).value();
    ASSERT_TRUE(first->create(notes, {{QStringLiteral("order"), QStringLiteral("b")}}));
    catalogue::ApiSpec wider = notes;
    wider.fields.append({QStringLiteral("group"), catalogue::RecordField::Type::Text, false});
    auto second = server::RecordStore::open(instance(), {wider});
    ASSERT_TRUE(second) << second.error().toStdString();
    ASSERT_TRUE((*second)->create(wider, {{QStringLiteral("order"), QStringLiteral("a")}, {QStringLiteral("group"), QStringLiteral("g")}}));
    const QJsonArray listed = (*second)->list(wider).value();
    ASSERT_EQ(listed.size(), 2) << "the record written before the column was added is kept";
    EXPECT_EQ(listed.at(0).toObject().value(QLatin1String("group")).toString(), QStringLiteral("g"));
    EXPECT_FALSE(listed.at(1).toObject().contains(QLatin1String("group")));
}

// ---------------------------------------------------------------------------------------------
// Tenant and consents

TEST_P(StoreConformance, TenantChangesAreComparedAndSetSoNeitherInstanceLosesOne)
{
    management::TenantStore first(instance());
    management::TenantStore second(instance());
    const QByteArray digest = management::TenantStore::digestOf("tenant file");
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
    EXPECT_FALSE(first.load(management::TenantStore::digestOf("another file")).value().has_value());
}

TEST_P(StoreConformance, AConsentGivenOnOneInstanceIsRememberedOnTheOther)
{
    authorization::ConsentStore first(instance());
    authorization::ConsentStore second(instance());
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
    server::TokenRevocations revocations;
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

TEST_P(StoreConformance, SessionsAreSharedAndEndEverywhere)
{
    server::TokenRevocations revocations;
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
    server::TokenRevocations revocations;
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
    const QByteArray fingerprint = server::TokenRevocations::fingerprint("access-token");
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
    authorization::RefreshTokens::RevokeAccessToken sink()
    {
        return [this](const QByteArray &fingerprint, qint64) {
            std::lock_guard lock(m_mutex);
            m_fingerprints.append(fingerprint);
        };
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
    const QByteArray issuedAccess = server::TokenRevocations::fingerprint("access-1");
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
    server::TokenRevocations firstList;
    server::TokenRevocations secondList;
    authorization::AuthorizationState first(instance(), &firstList, m_clock);
    authorization::AuthorizationState second(instance(), &secondList, m_clock);
    EXPECT_EQ(second.followRevocations().value(), 0);
    first.revokeAccessToken(server::TokenRevocations::fingerprint("token-a"), m_clock() + 600);
    first.revokeAccessToken(server::TokenRevocations::fingerprint("token-expired"), m_clock() - 1);
    EXPECT_TRUE(firstList.isRevoked("token-a", m_clock()));
    EXPECT_FALSE(secondList.isRevoked("token-a", m_clock()));
    EXPECT_EQ(second.followRevocations().value(), 1);
    EXPECT_TRUE(secondList.isRevoked("token-a", m_clock()));
    EXPECT_FALSE(secondList.isRevoked("token-expired", m_clock()));
    EXPECT_EQ(second.followRevocations().value(), 0) << "nothing new the second time";
}

TEST_P(StoreConformance, EveryInstanceGetsTheSameSharedSecret)
{
    server::TokenRevocations revocations;
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
    auto records = server::RecordStore::open(database, catalogue::organizerService().apis).value();
    server::TokenRevocations revocations;
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
    QCoreApplication app(argc, argv);
    QLoggingCategory::setFilterRules(QStringLiteral("organizer.*.info=false\norganizer.*.debug=false"));
    ::testing::InitGoogleTest(&argc, argv);
    postgres = new PostgresServer;
    ::testing::AddGlobalTestEnvironment(postgres);
    return RUN_ALL_TESTS();
}
