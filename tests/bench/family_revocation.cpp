// Benchmark of issue 21: revoking a refresh-token family that issued many access tokens must not stall
// the authorization server. One login, 50 refreshes, FAMILY_SIZE more access tokens of the family, then
// the family's first token presented again; meanwhile another client keeps asking for discovery.
// Access tokens of one user minted in the same second are the same bytes (Auth0's profile has no jti),
// so refreshing cannot make thousands of distinct ones quickly: they are written into the server's
// database (SQLite, while it runs) as the refreshes of a long-lived family would have left them.
// Reported as ratios against an ordinary refresh measured the same way in the same run (the median of
// seven): how long the request takes, and the worst discovery answer while it runs. Both run on the
// HTTP workers, side by side with discovery on a machine of few cores; what matters is that a
// revocation of thousands of tokens makes discovery wait about as long as one refresh does.
// Usage: bench_family_revocation [FAMILY_SIZE, default 4000]   (built and run by scripts/bench)
#include "base64url.h"
#include "serverprocess.h"
#include "testbrowser.h"
#include "testhttp.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUrl>
#include <QUrlQuery>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

using namespace organizer::test;

namespace {

HttpReply tokenRequest(quint16 port, const QList<QPair<QString, QString>> &fields)
{
    QByteArrayList pairs;
    for (const auto &[name, value] : fields)
        pairs.append(QUrl::toPercentEncoding(name) + '=' + QUrl::toPercentEncoding(value));
    return sendHttp(port, {"POST", "/oauth/token", {{"content-type", "application/x-www-form-urlencoded"}}, pairs.join('&')}, 600'000);
}

HttpReply refresh(quint16 port, const QString &token)
{
    return tokenRequest(port,
                        {{QStringLiteral("grant_type"), QStringLiteral("refresh_token")},
                         {QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                         {QStringLiteral("refresh_token"), token}});
}

// Milliseconds one discovery request takes.
double discoveryMs(quint16 port)
{
    QElapsedTimer timer;
    timer.start();
    const HttpReply reply = sendHttp(port, {"GET", "/.well-known/openid-configuration", {}, {}}, 600'000);
    if (reply.status != 200)
        std::fprintf(stderr, "discovery answered %d\n", reply.status);
    return timer.nsecsElapsed() / 1e6;
}

struct UnderLoad
{
    double requestMs = 0;
    double worstDiscoveryMs = 0;
    HttpReply reply;
};

// Sends `request` while another client keeps asking for discovery.
template <typename Request>
UnderLoad underLoad(quint16 port, Request request)
{
    std::atomic<bool> running{true};
    double worst = 0;
    std::thread poller([&] {
        do {
            worst = std::max(worst, discoveryMs(port));
        } while (running.load());
    });
    QElapsedTimer timer;
    timer.start();
    UnderLoad measured;
    measured.reply = request();
    measured.requestMs = timer.nsecsElapsed() / 1e6;
    running = false;
    poller.join();
    measured.worstDiscoveryMs = worst;
    return measured;
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

// Notes `count` more access tokens of the only family in the server's database; empty or why not.
QString seedAccessTokens(const QString &dataDir, int count)
{
    const QString connection = QStringLiteral("bench-seed");
    QString error;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
        db.setDatabaseName(QDir(dataDir).filePath(QStringLiteral("organizer.sqlite")));
        db.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=5000"));
        QSqlQuery query(db);
        if (!db.open() || !db.transaction() || !query.exec(QStringLiteral("SELECT id FROM refresh_families")) || !query.next())
            error = QStringLiteral("cannot find the family: ") + query.lastError().text() + db.lastError().text();
        const QString family = query.value(0).toString();
        query.finish();
        query.prepare(QStringLiteral("INSERT INTO refresh_access_tokens (family, fingerprint, expires_at) VALUES (?, ?, ?)"));
        const qint64 expiresAt = QDateTime::currentSecsSinceEpoch() + 3600;
        for (int i = 0; error.isEmpty() && i < count; ++i) {
            query.addBindValue(family);
            query.addBindValue(QString::fromLatin1(QCryptographicHash::hash(QByteArray::number(i), QCryptographicHash::Sha256).toHex()));
            query.addBindValue(expiresAt);
            if (!query.exec())
                error = QStringLiteral("cannot note an access token: ") + query.lastError().text();
        }
        if (error.isEmpty() && !db.commit())
            error = QStringLiteral("cannot commit: ") + db.lastError().text();
    }
    QSqlDatabase::removeDatabase(connection);
    return error;
}

int fail(const char *what, const HttpReply &reply)
{
    std::fprintf(stderr, "bench_family_revocation: %s: %d %s\n", what, reply.status, reply.body.left(300).constData());
    return 2;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int familySize = argc > 1 ? std::max(1, atoi(argv[1])) : 4000;
    ServerProcess server;
    if (!server.start({QStringLiteral("--access-log"), QStringLiteral("off")})) {
        std::fprintf(stderr, "bench_family_revocation: %s\n", qPrintable(server.errorText()));
        return 2;
    }
    const quint16 port = server.port();

    const QByteArray verifier = organizer::jose::base64UrlEncode(QByteArray(32, '\x42'));
    QUrlQuery authorize;
    for (const auto &[name, value] :
         QList<QPair<QString, QString>>{{QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                                        {QStringLiteral("redirect_uri"), QStringLiteral("http://localhost:3000/callback")},
                                        {QStringLiteral("response_type"), QStringLiteral("code")},
                                        {QStringLiteral("scope"), QStringLiteral("openid offline_access read:contacts")},
                                        {QStringLiteral("audience"), QStringLiteral("organize")},
                                        {QStringLiteral("state"), QStringLiteral("bench")},
                                        {QStringLiteral("code_challenge"),
                                         QString::fromLatin1(organizer::jose::base64UrlEncode(QCryptographicHash::hash(verifier, QCryptographicHash::Sha256)))},
                                        {QStringLiteral("code_challenge_method"), QStringLiteral("S256")}})
        authorize.addQueryItem(name, QString::fromLatin1(QUrl::toPercentEncoding(value)));
    TestBrowser browser(port);
    const auto outcome = browser.authorize(authorize.query(QUrl::FullyEncoded), QStringLiteral("alice@example.com"), QStringLiteral("organizer"));
    const HttpReply login = tokenRequest(port,
                                         {{QStringLiteral("grant_type"), QStringLiteral("authorization_code")},
                                          {QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                                          {QStringLiteral("code"), outcome.parameters().queryItemValue(QStringLiteral("code"))},
                                          {QStringLiteral("redirect_uri"), QStringLiteral("http://localhost:3000/callback")},
                                          {QStringLiteral("code_verifier"), QString::fromLatin1(verifier)}});
    if (login.status != 200)
        return fail("the login failed", login);

    const QString firstToken = QString::fromUtf8(login.json("refresh_token"));
    QString token = firstToken;
    QString access;
    std::vector<double> refreshMs;
    for (int i = 0; i < 50; ++i) {
        QElapsedTimer timer;
        timer.start();
        const HttpReply refreshed = refresh(port, token);
        refreshMs.push_back(timer.nsecsElapsed() / 1e6);
        if (refreshed.status != 200)
            return fail("a refresh failed", refreshed);
        token = QString::fromUtf8(refreshed.json("refresh_token"));
        access = QString::fromUtf8(refreshed.json("access_token"));
    }

    if (const QString error = seedAccessTokens(server.dataDir(), familySize); !error.isEmpty()) {
        std::fprintf(stderr, "bench_family_revocation: %s\n", qPrintable(error));
        return 2;
    }

    std::vector<double> idle;
    for (int i = 0; i < 200; ++i)
        idle.push_back(discoveryMs(port));
    std::vector<double> ordinaryMs;
    std::vector<double> ordinaryDiscoveryMs;
    for (int i = 0; i < 7; ++i) {
        const UnderLoad ordinary = underLoad(port, [&] { return refresh(port, token); });
        if (ordinary.reply.status != 200)
            return fail("a refresh failed", ordinary.reply);
        token = QString::fromUtf8(ordinary.reply.json("refresh_token"));
        access = QString::fromUtf8(ordinary.reply.json("access_token"));
        ordinaryMs.push_back(ordinary.requestMs);
        ordinaryDiscoveryMs.push_back(ordinary.worstDiscoveryMs);
    }
    const UnderLoad revocation = underLoad(port, [&] { return refresh(port, firstToken); });
    const HttpReply &replay = revocation.reply;
    if (replay.status != 400 || !replay.body.contains("already used"))
        return fail("the replayed first token did not revoke the family", replay);
    const HttpReply api = sendHttp(port, {"GET", "/api/contacts", {{"authorization", "Bearer " + access.toLatin1()}}, {}});
    if (api.status != 401)
        return fail("the family's last access token still works", api);

    std::printf("family revocation, %d access tokens issued by the family:\n", familySize);
    std::printf("  %-64s %9.2f ms\n", "a refresh while the family grew (median of 50)", median(refreshMs));
    std::printf("  %-64s %9.2f ms\n", "GET /.well-known/openid-configuration idle (median of 200)", median(idle));
    std::printf("  %-64s %9.2f ms\n", "baseline: an ordinary refresh (median of 7)", median(ordinaryMs));
    std::printf("  %-64s %9.2f ms\n", "  worst discovery answer meanwhile (median of 7)", median(ordinaryDiscoveryMs));
    std::printf("  %-64s %9.2f ms\n", "the replayed first token, revoking the family", revocation.requestMs);
    std::printf("  %-64s %9.2f ms\n", "  worst discovery answer meanwhile", revocation.worstDiscoveryMs);
    std::printf("ratio revocation / ordinary refresh %.2f\n", revocation.requestMs / median(ordinaryMs));
    std::printf("ratio worst discovery during revocation / during an ordinary refresh %.2f\n", revocation.worstDiscoveryMs / median(ordinaryDiscoveryMs));
    return 0;
}
