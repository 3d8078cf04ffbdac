// SIGKILL in the middle of a stream of writes: every write the server acknowledged (2xx) is there
// after a restart, the database passes SQLite's integrity check, and keys and consents survive too.

#include "apitestsupport.h"
#include "testbrowser.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTcpSocket>
#include <QTemporaryDir>

#include <gtest/gtest.h>

using namespace organizer::test;

namespace {

// The demo tenant with a web callback for the desktop client: consent is only ever remembered for a
// redirect off this machine (RFC 8252 §8.6), and this test checks that a remembered one survives.
QString tenantWithWebCallback(const QString &dir)
{
    QFile bundled(QStringLiteral(":/organizer/tenant.json"));
    EXPECT_TRUE(bundled.open(QIODevice::ReadOnly));
    QJsonObject tenant = QJsonDocument::fromJson(bundled.readAll()).object();
    QJsonArray clients = tenant.value(QLatin1String("clients")).toArray();
    QJsonObject desktop = clients.at(0).toObject();
    QJsonArray callbacks = desktop.value(QLatin1String("callbacks")).toArray();
    callbacks.append(QStringLiteral("https://app.example.com/callback"));
    desktop.insert(QStringLiteral("callbacks"), callbacks);
    clients.replace(0, desktop);
    tenant.insert(QStringLiteral("clients"), clients);
    const QString path = QDir(dir).filePath(QStringLiteral("tenant.json"));
    QFile file(path);
    EXPECT_TRUE(file.open(QIODevice::WriteOnly));
    file.write(QJsonDocument(tenant).toJson());
    return path;
}

} // namespace

TEST(CrashSafety, AcknowledgedWritesSurviveSigkill)
{
    QTemporaryDir dir;
    QTemporaryDir configDir;
    const QStringList config{QStringLiteral("--config"), tenantWithWebCallback(configDir.path())};
    ServerProcess server(dir.path());
    ASSERT_TRUE(server.start(config));
    const QByteArray kidBefore = QJsonDocument::fromJson(sendHttp(server.port(), {"GET", "/.well-known/jwks.json", {}, {}}).body)
                                     .object()
                                     .value(QLatin1String("keys"))
                                     .toArray()
                                     .first()
                                     .toObject()
                                     .value(QLatin1String("kid"))
                                     .toString()
                                     .toUtf8();
    const TokenFactory tokens(dir.path(), server.issuer());
    const QByteArray token = tokens.token(kAllScopes);
    const QString authorize = QStringLiteral("client_id=organizer-desktop&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback"
                                             "&response_type=token&scope=openid%20read%3Acontacts&audience=organize&state=s");
    {
        TestBrowser browser(server.port());
        const auto consented = browser.authorize(authorize, QStringLiteral("bob@example.com"), QStringLiteral("organizer"));
        ASSERT_TRUE(consented.sawConsent && consented.redirect.isValid()) << consented.failure.toStdString();
    }

    // 400 pipelined creates on one connection; the server is killed while they are being answered.
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, server.port());
    ASSERT_TRUE(socket.waitForConnected(5000));
    QByteArray stream;
    for (int i = 0; i < 400; ++i) {
        const QByteArray body = QByteArray(R"({"name":"Crash )") + QByteArray::number(i) + R"(","email":"crash)" + QByteArray::number(i) + R"(@example.com"})";
        stream += "POST /api/contacts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token
            + "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    }
    socket.write(stream);
    QByteArray received;
    QDeadlineTimer deadline(20000);
    while (received.count("HTTP/1.1 201") < 60 && !deadline.hasExpired()) {
        socket.waitForReadyRead(50);
        received += socket.readAll();
    }
    server.kill(); // SIGKILL: no chance to flush or close anything
    socket.waitForReadyRead(200);
    received += socket.readAll();

    // Every complete 201 the client received names a contact that must exist.
    QList<qint64> acknowledged;
    static const QRegularExpression created(QStringLiteral("HTTP/1\\.1 201 Created\\r\\n(?:[^\\r]*\\r\\n)*?content-length: (\\d+)\\r\\n\\r\\n"));
    auto it = created.globalMatch(QString::fromUtf8(received));
    while (it.hasNext()) {
        const auto match = it.next();
        const int length = match.captured(1).toInt();
        const QByteArray body = received.mid(match.capturedEnd(), length);
        if (body.size() == length)
            acknowledged.append(QJsonDocument::fromJson(body).object().value(QLatin1String("id")).toInteger());
    }
    ASSERT_GE(acknowledged.size(), 60);

    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("crash-check"));
        db.setDatabaseName(QDir(dir.path()).filePath(QStringLiteral("organizer.sqlite")));
        ASSERT_TRUE(db.open());
        QSqlQuery check(db);
        ASSERT_TRUE(check.exec(QStringLiteral("PRAGMA integrity_check")) && check.next());
        EXPECT_EQ(check.value(0).toString(), QStringLiteral("ok"));
        db.close();
    }
    QSqlDatabase::removeDatabase(QStringLiteral("crash-check"));

    ServerProcess restarted(dir.path());
    ASSERT_TRUE(restarted.start(config)) << restarted.errorText().toStdString();
    const TokenFactory after(dir.path(), restarted.issuer());
    for (const qint64 id : acknowledged) {
        const HttpReply reply
            = sendHttp(restarted.port(), {"GET", "/api/contacts/" + QByteArray::number(id), {{"authorization", bearer(after.token(kAllScopes))}}, {}});
        ASSERT_EQ(reply.status, 200) << "acknowledged contact " << id << " was lost";
    }
    const QByteArray kidAfter = QJsonDocument::fromJson(sendHttp(restarted.port(), {"GET", "/.well-known/jwks.json", {}, {}}).body)
                                    .object()
                                    .value(QLatin1String("keys"))
                                    .toArray()
                                    .first()
                                    .toObject()
                                    .value(QLatin1String("kid"))
                                    .toString()
                                    .toUtf8();
    EXPECT_EQ(kidAfter, kidBefore); // the signing key survived
    TestBrowser browser(restarted.port());
    const auto again = browser.authorize(authorize, QStringLiteral("bob@example.com"), QStringLiteral("organizer"));
    ASSERT_TRUE(again.redirect.isValid()) << again.failure.toStdString();
    EXPECT_FALSE(again.sawConsent); // the consent given before the crash survived
}
