// The bundled issuer's signing keys in the database (issue 25): sealed at rest under the key-encryption
// key, one set for every instance on a database (SQLite and a real PostgreSQL), instances starting
// together on an empty database agreeing on one key, a rotation on one instance followed by the others
// (and a token with a kid not seen yet making an instance read the keys at once), the key files of an
// install from before imported once, and a wrong key-encryption key named as such. ctest runs PostgreSQL
// with tests/cluster/postgres.sh; run alone, the suite starts its own.
#include "accesstokenverifier.h"
#include "database.h"
#include "postgresserver.h"
#include "issuerkeys.h"
#include "jws.h"
#include "organizerserver.h"
#include "storedsigningkeys.h"
#include "testhttp.h"
#include "waitfor.h"

#include <gtest/gtest.h>

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QProcess>
#include <QTemporaryDir>

#include <chrono>
#include <future>
#include <thread>

using namespace organizer;
using namespace std::chrono_literals;
using organizer::store::Database;
using organizer::store::DatabaseLocation;
using organizer::store::Engine;
using organizer::store::KeyEncryptionKeyFile;
using organizer::store::StoredSigningKeys;

namespace organizer::store {
// Test names say the engine already; print the same instead of raw bytes.
void PrintTo(Engine engine, std::ostream *os)
{
    *os << (engine == Engine::Sqlite ? "SQLite" : "PostgreSQL");
}
} // namespace organizer::store

namespace {

using organizer::testing::PostgresServer;

PostgresServer *postgres = nullptr;

KeyEncryptionKeyFile newKek()
{
    return KeyEncryptionKeyFile{jose::KeyEncryptionKey::generate().value(), QStringLiteral("(test key)"), false};
}

std::shared_ptr<Database> openDatabase(const DatabaseLocation &location)
{
    auto database = Database::open(location);
    EXPECT_TRUE(database) << (database ? std::string() : database.error().toStdString());
    return database ? database.value() : nullptr;
}

std::unique_ptr<StoredSigningKeys> openKeys(const DatabaseLocation &location, const KeyEncryptionKeyFile &kek, const QString &legacy = QString())
{
    auto keys = StoredSigningKeys::open(openDatabase(location), kek, legacy);
    EXPECT_TRUE(keys) << (keys ? std::string() : keys.error().toStdString());
    return keys ? std::move(keys).value() : nullptr;
}

QStringList kidsOf(const StoredSigningKeys &keys)
{
    QStringList kids;
    for (const jose::SigningKey &key : keys.snapshot()->keys)
        kids.append(key.kid);
    return kids;
}

class SigningKeys : public ::testing::TestWithParam<Engine>
{
protected:
    void SetUp() override
    {
        m_location = GetParam() == Engine::Postgres ? postgres->freshDatabase() : DatabaseLocation::sqlite(m_dir.filePath(QStringLiteral("shared.sqlite")));
    }

    QTemporaryDir m_dir;
    DatabaseLocation m_location;
};

TEST_P(SigningKeys, ArePrivateOnlySealedNeitherThePemNorThePrivateExponentIsStored)
{
    const KeyEncryptionKeyFile kek = newKek();
    auto keys = openKeys(m_location, kek);
    ASSERT_TRUE(keys);
    const jose::SigningKey active = keys->activeKey();
    const QByteArray pem = active.key.privatePem().value();
    // The PKCS#8 DER the PEM carries holds n, e, d, p, q…: not one 16-byte stretch of it may be in the row.
    QByteArray der;
    for (const QByteArray &line : pem.split('\n'))
        if (!line.startsWith("-----"))
            der += line;
    der = QByteArray::fromBase64(der);
    ASSERT_GT(der.size(), 1000);

    auto database = openDatabase(m_location);
    auto row = database->execute(QStringLiteral("SELECT kid, sealed_private_key, kek_id, algorithm FROM signing_keys"), {}, QStringLiteral("read"));
    ASSERT_TRUE(row && row->next());
    EXPECT_EQ(row->value(0).toString(), active.kid);
    const QByteArray stored = row->value(1).toString().toLatin1();
    const QByteArray sealed = QByteArray::fromBase64(stored);
    EXPECT_EQ(row->value(2).toString(), kek.key.id());
    EXPECT_EQ(row->value(3).toString(), QStringLiteral("RS256"));
    EXPECT_FALSE(stored.contains("PRIVATE KEY"));
    EXPECT_FALSE(sealed.contains("PRIVATE KEY"));
    EXPECT_FALSE(stored.contains(der.toBase64().mid(64, 64)));
    for (qsizetype at = 0; at + 16 <= der.size(); at += 8)
        ASSERT_FALSE(sealed.contains(der.mid(at, 16))) << "the key's DER at byte " << at << " is stored in the clear";
    EXPECT_EQ(sealed.size(), pem.size() + jose::KeyEncryptionKey::kOverhead);
    // What is sealed is that key, bound to its row: the KEK opens it, with the row's kid only.
    EXPECT_FALSE(kek.key.open(sealed, "organizer-server signing key someone-else 0"));
    EXPECT_FALSE(row->next()) << "one key on a new database";
}

TEST_P(SigningKeys, InstancesOnOneDatabaseSignAlikeAndFollowARotationAndAPrune)
{
    const KeyEncryptionKeyFile kek = newKek();
    auto a = openKeys(m_location, kek);
    auto b = openKeys(m_location, kek);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->activeKey().kid, b->activeKey().kid);
    EXPECT_FALSE(b->reloadIfChanged().value()) << "nothing changed: one query, no reload";

    const jose::SigningKey rotated = a->rotate().value();
    EXPECT_EQ(a->activeKey().kid, rotated.kid);
    EXPECT_TRUE(b->reloadIfChanged().value());
    EXPECT_EQ(b->activeKey().kid, rotated.kid);
    EXPECT_FALSE(b->reloadIfChanged().value());
    const jose::JwkSet published = b->publicKeys();
    ASSERT_EQ(published.keys().size(), 2);
    EXPECT_EQ(published.keys().first().kid, rotated.kid) << "newest first";
    EXPECT_EQ(kidsOf(*a), kidsOf(*b));

    // A third key in the same second: the order of creation is still the order of keys everywhere.
    const jose::SigningKey third = b->rotate().value();
    EXPECT_GT(third.createdAt, rotated.createdAt);
    ASSERT_TRUE(a->reloadIfChanged().value());
    EXPECT_EQ(a->activeKey().kid, third.kid);

    // Pruning long after: only the active key stays, on both.
    EXPECT_EQ(a->prune(third.createdAt + 100'000, 90'000).value(), 2);
    EXPECT_TRUE(b->reloadIfChanged().value());
    EXPECT_EQ(kidsOf(*b), QStringList{third.kid});
    EXPECT_EQ(b->prune(third.createdAt + 1'000'000, 0).value(), 0) << "the active key is never pruned";
}

TEST_P(SigningKeys, InstancesStartingTogetherOnAnEmptyDatabaseAgreeOnOneKey)
{
    openDatabase(m_location); // the schema, as the first instance to start would make it
    const KeyEncryptionKeyFile kek = newKek();
    constexpr int count = 4;
    std::vector<std::thread> threads;
    std::vector<QString> active(count);
    std::vector<QString> errors(count);
    std::atomic<int> ready{0};
    for (int i = 0; i < count; ++i) {
        threads.emplace_back([&, i] {
            auto database = Database::open(m_location);
            if (!database) {
                errors[i] = database.error();
                return;
            }
            ++ready;
            while (ready.load() < count)
                std::this_thread::yield();
            auto keys = StoredSigningKeys::open(database.value(), kek, QString());
            if (keys)
                active[i] = (*keys)->activeKey().kid;
            else
                errors[i] = keys.error();
        });
    }
    for (std::thread &thread : threads)
        thread.join();
    for (int i = 0; i < count; ++i)
        ASSERT_TRUE(errors[i].isEmpty()) << errors[i].toStdString();
    for (int i = 1; i < count; ++i)
        EXPECT_EQ(active[i], active[0]);
    EXPECT_EQ(kidsOf(*openKeys(m_location, kek)).size(), 1);
}

TEST_P(SigningKeys, AWrongKeyEncryptionKeyIsNamedWithBothIds)
{
    const KeyEncryptionKeyFile right = newKek();
    ASSERT_TRUE(openKeys(m_location, right));
    KeyEncryptionKeyFile wrong = newKek();
    wrong.path = QStringLiteral("/etc/organizer/other.key");
    auto refused = StoredSigningKeys::open(openDatabase(m_location), wrong, QString());
    ASSERT_FALSE(refused);
    const QString error = refused.error();
    EXPECT_TRUE(error.contains(right.key.id())) << error.toStdString();
    EXPECT_TRUE(error.contains(wrong.key.id())) << error.toStdString();
    EXPECT_TRUE(error.contains(QLatin1String("/etc/organizer/other.key"))) << error.toStdString();
    EXPECT_TRUE(error.contains(QLatin1String("--secrets-file"))) << error.toStdString();
}

TEST_P(SigningKeys, KeyFilesOfAnOlderInstallAreImportedOnceWithTheirKidsAndAges)
{
    const QString legacy = m_dir.filePath(QStringLiteral("keys"));
    auto files = jose::SigningKeyStore::open(legacy);
    ASSERT_TRUE(files);
    ASSERT_TRUE(files->rotate());
    const QList<jose::SigningKey> before = files->keys();
    ASSERT_EQ(before.size(), 2);

    const KeyEncryptionKeyFile kek = newKek();
    auto keys = openKeys(m_location, kek, legacy);
    ASSERT_TRUE(keys);
    const QList<jose::SigningKey> imported = keys->snapshot()->keys;
    ASSERT_EQ(imported.size(), 2);
    for (int i = 0; i < 2; ++i) {
        EXPECT_EQ(imported.at(i).kid, before.at(i).kid);
        EXPECT_EQ(imported.at(i).createdAt, before.at(i).createdAt);
    }
    EXPECT_EQ(keys->activeKey().kid, before.last().kid) << "tokens signed before the upgrade still verify, and the same key signs on";

    // Once: a rotation in the database, or a new file, is not undone or added by the next start.
    const jose::SigningKey rotated = keys->rotate().value();
    ASSERT_TRUE(files->rotate());
    auto again = openKeys(m_location, kek, legacy);
    ASSERT_TRUE(again);
    EXPECT_EQ(kidsOf(*again), (QStringList{before.at(0).kid, before.at(1).kid, rotated.kid}));
}

// A token signed with a key another instance just made is accepted at once: the unknown kid makes the
// bundled issuer's keys be read again (no wait for a NOTIFY or the next poll), at most once a second.
TEST_P(SigningKeys, ATokenWithANewKidMakesTheOtherInstanceReadTheKeysAtOnce)
{
    const KeyEncryptionKeyFile kek = newKek();
    auto a = openKeys(m_location, kek);
    auto b = openKeys(m_location, kek);
    ASSERT_TRUE(a && b);
    const QString issuer = QStringLiteral("https://login.example/");
    resource::LocalIssuerKeys issuerKeys(issuer, b->publicKeys());
    issuerKeys.setReload(
        [&] {
            if (auto changed = b->reloadIfChanged(); changed && *changed)
                issuerKeys.setKeys(b->publicKeys());
        },
        60'000);
    resource::AccessTokenVerifier verifier(&issuerKeys, {QStringLiteral("organize"), 30, 100});
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    auto tokenSignedBy = [&](const jose::SigningKey &key, const QString &kid) {
        const QJsonObject claims{{QStringLiteral("iss"), issuer}, {QStringLiteral("aud"), QStringLiteral("organize")}, {QStringLiteral("exp"), now + 600}};
        return jose::signCompactJws({}, QJsonDocument(claims).toJson(QJsonDocument::Compact), key.key, kid).value();
    };
    auto verdict = [&](const QByteArray &token) {
        QString reason = QStringLiteral("no verdict");
        verifier.verify(token, [&](const jose::Result<jose::VerifiedJwt> &result) { reason = result ? QString() : result.error().description; });
        return reason;
    };

    const jose::SigningKey rotated = a->rotate().value();
    EXPECT_EQ(verdict(tokenSignedBy(rotated, rotated.kid)), QString());
    EXPECT_EQ(issuerKeys.reloadCount(), 1);
    EXPECT_EQ(b->activeKey().kid, rotated.kid) << "and the instance signs with it too";
    // Made-up kids cost at most one reload per cooldown.
    EXPECT_TRUE(verdict(tokenSignedBy(rotated, QStringLiteral("made-up"))).contains(QLatin1String("no signing key with kid"))) << "refused";
    EXPECT_EQ(issuerKeys.reloadCount(), 1);
}

INSTANTIATE_TEST_SUITE_P(Engines, SigningKeys, ::testing::Values(Engine::Sqlite, Engine::Postgres),
                         [](const auto &row) { return row.param == Engine::Sqlite ? std::string("SQLite") : std::string("PostgreSQL"); });

// Runs `call` on another thread while this (the in-process servers') thread serves events.
template <typename Call>
auto whileServing(Call call)
{
    auto future = std::async(std::launch::async, std::move(call));
    while (future.wait_for(0ms) != std::future_status::ready)
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
    return future.get();
}

QString firstKidOf(quint16 port)
{
    const test::HttpReply jwks = whileServing([port] { return test::sendHttp(port, {"GET", "/.well-known/jwks.json", {}, {}}); });
    return QJsonDocument::fromJson(jwks.body).object().value(QLatin1String("keys")).toArray().first().toObject().value(QLatin1String("kid")).toString();
}

QByteArray clientCredentialsToken(quint16 port)
{
    const test::HttpReply issued = whileServing([port] {
        return test::sendHttp(
            port,
            {"POST",
             "/oauth/token",
             {{"content-type", "application/x-www-form-urlencoded"}, {"authorization", "Basic " + QByteArray("organizer-cli:organizer-cli-secret").toBase64()}},
             "grant_type=client_credentials&audience=organize&scope=read%3Acontacts"});
    });
    EXPECT_EQ(issued.status, 200) << issued.body.toStdString();
    return issued.json("access_token");
}

int apiStatus(quint16 port, const QByteArray &token)
{
    return whileServing([port, token] { return test::sendHttp(port, {"GET", "/api/contacts", {{"authorization", test::bearer(token)}}, {}}); }).status;
}

QString kidOf(const QByteArray &token)
{
    return QJsonDocument::fromJson(QByteArray::fromBase64(token.split('.').first(), QByteArray::Base64UrlEncoding))
        .object()
        .value(QLatin1String("kid"))
        .toString();
}

// Two organizer-servers in this process on one SQLite file, each with a data directory of its own and
// one shared secrets file: what the first signs the second accepts, and a key rotated in the database
// is what both publish and sign with, without a restart.
TEST(SigningKeysInServers, TwoServersWithTheirOwnDataDirectoriesShareTheKeysOfTheirDatabase)
{
    QTemporaryDir dataA, dataB, secrets;
    const QString secretsFile = secrets.filePath(QStringLiteral("secrets.key"));
    ASSERT_TRUE(jose::createKeyEncryptionKeyFile(secretsFile));
    const DatabaseLocation shared = DatabaseLocation::sqlite(QDir(dataA.path()).filePath(QStringLiteral("organizer.sqlite")));
    auto optionsFor = [&](const QString &dataDir) {
        server::ServerOptions options;
        options.dataDir = dataDir;
        options.database = shared;
        options.secretsFile = secretsFile;
        options.port = 0;
        options.workers = 2;
        options.accessLog = QStringLiteral("off");
        options.publicUrl = QUrl(QStringLiteral("http://127.0.0.1:9/")); // one issuer, as behind a balancer
        return options;
    };
    auto a = server::OrganizerServer::create(optionsFor(dataA.path()));
    ASSERT_TRUE(a) << a.error().toStdString();
    auto b = server::OrganizerServer::create(optionsFor(dataB.path()));
    ASSERT_TRUE(b) << b.error().toStdString();
    auto urlA = (*a)->start();
    auto urlB = (*b)->start();
    ASSERT_TRUE(urlA && urlB);
    const quint16 portA = quint16(urlA->port());
    const quint16 portB = quint16(urlB->port());
    EXPECT_FALSE(QFileInfo::exists(QDir(dataA.path()).filePath(QStringLiteral("keys")))) << "no key files any more";
    EXPECT_FALSE(QFileInfo::exists(QDir(dataB.path()).filePath(QStringLiteral("secrets.key")))) << "the secrets file given is used";

    EXPECT_EQ(firstKidOf(portA), firstKidOf(portB));
    const QByteArray fromA = clientCredentialsToken(portA);
    EXPECT_EQ(apiStatus(portB, fromA), 200);
    const QByteArray fromB = clientCredentialsToken(portB);
    EXPECT_EQ(apiStatus(portA, fromB), 200);

    // `keys rotate` against the same database, as another process would.
    auto rotator = openKeys(shared, KeyEncryptionKeyFile{jose::readKeyEncryptionKeyFile(secretsFile).value(), secretsFile, false});
    ASSERT_TRUE(rotator);
    const QString rotated = rotator->rotate().value().kid;
    QElapsedTimer since;
    since.start();
    ASSERT_TRUE(test::waitFor([&] { return firstKidOf(portA) == rotated && firstKidOf(portB) == rotated; }, 5000))
        << "both servers publish the new key first (SQLite: the next check each second)";
    EXPECT_LT(since.elapsed(), 2500);
    const QByteArray newFromB = clientCredentialsToken(portB);
    EXPECT_EQ(kidOf(newFromB), rotated);
    EXPECT_EQ(apiStatus(portA, newFromB), 200);
    EXPECT_EQ(apiStatus(portA, fromA), 200) << "a token the previous key signed still opens the API";
    EXPECT_EQ(kidOf(clientCredentialsToken(portA)), rotated);
}

} // namespace

int main(int argc, char **argv)
{
    return organizer::testing::runWithPostgres(argc, argv, postgres);
}
