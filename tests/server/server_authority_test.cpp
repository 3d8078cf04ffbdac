// --authority: the APIs trusting an external OpenID provider, played here by a small provider that
// runs on its own thread (so it answers while the test blocks on HTTP calls) and counts its fetches.

#include "apitestsupport.h"
#include "httpserver.h"
#include "inprocessserver.h"
#include "jws.h"
#include "router.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QMutex>
#include <QSemaphore>
#include <QTcpServer>
#include <QThread>

#include <gtest/gtest.h>

#include <atomic>

#include <openssl/crypto.h>

using namespace organizer;
using namespace organizer::test;
using namespace std::chrono_literals;

namespace {

class FakeProvider : public QThread
{
public:
    explicit FakeProvider(bool honestIssuer = true) : m_honestIssuer(honestIssuer) { addKey(QStringLiteral("key-1")); }
    ~FakeProvider() override
    {
        quit();
        wait();
    }

    // The port it listens on; 0 when it could not listen within 10 s.
    quint16 startAndWait()
    {
        start();
        m_listening.tryAcquire(1, 10'000);
        return m_port.load();
    }
    QString issuer() const { return QStringLiteral("http://127.0.0.1:%1/").arg(m_port.load()); }

    void addKey(const QString &kid)
    {
        QMutexLocker lock(&m_mutex);
        m_keys.append({kid, jose::RsaKey::generate(2048).value()});
    }
    QByteArray sign(const QString &kid, const QString &scope, const QString &audience = QStringLiteral("organize"))
    {
        jose::RsaKey key;
        {
            QMutexLocker lock(&m_mutex);
            for (const auto &[id, candidate] : m_keys) {
                if (id == kid)
                    key = candidate;
            }
            if (key.isNull())
                key = m_keys.first().second; // an unpublished kid, signed by some key
        }
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        const QJsonObject claims{{QStringLiteral("iss"), issuer()},  {QStringLiteral("sub"), QStringLiteral("auth0|remote")},
                                 {QStringLiteral("aud"), audience},  {QStringLiteral("iat"), now},
                                 {QStringLiteral("exp"), now + 300}, {QStringLiteral("scope"), scope}};
        return jose::signCompactJws({{QStringLiteral("typ"), QStringLiteral("JWT")}}, QJsonDocument(claims).toJson(QJsonDocument::Compact), key, kid).value();
    }
    int jwksFetches() const { return m_jwksFetches.load(); }
    int discoveryFetches() const { return m_discoveryFetches.load(); }

protected:
    void run() override
    {
        http::Router router;
        router.add("GET", QStringLiteral("/.well-known/openid-configuration"), [this](const http::Request &, http::Responder respond) {
            ++m_discoveryFetches;
            const QString advertised = m_honestIssuer ? issuer() : QStringLiteral("https://somebody-else.example/");
            respond(http::Response::json(
                200, QJsonObject{{QStringLiteral("issuer"), advertised}, {QStringLiteral("jwks_uri"), issuer() + QStringLiteral(".well-known/jwks.json")}}));
        });
        router.add("GET", QStringLiteral("/.well-known/jwks.json"), [this](const http::Request &, http::Responder respond) {
            ++m_jwksFetches;
            QList<jose::Jwk> published;
            {
                QMutexLocker lock(&m_mutex);
                for (const auto &[kid, key] : m_keys)
                    published.append(jose::Jwk::forSigningKey(key, kid));
            }
            http::Response response;
            response.body = jose::JwkSet(published).toJson();
            response.setHeader("content-type", "application/json");
            respond(response);
        });
        http::Server server([&router](const http::Request &r, http::Responder respond) { router.dispatch(r, std::move(respond)); });
        QString error;
        m_port = server.listenOn(QHostAddress::LocalHost, 0, &error);
        m_listening.release();
        exec();
        // Qt's TLS backend gave this thread OpenSSL state (DRBG, error queue); free it with the thread.
        OPENSSL_thread_stop();
    }

private:
    bool m_honestIssuer;
    std::atomic<quint16> m_port{0};
    QSemaphore m_listening;
    std::atomic<int> m_jwksFetches{0};
    std::atomic<int> m_discoveryFetches{0};
    QMutex m_mutex;
    QList<QPair<QString, jose::RsaKey>> m_keys;
};

template <typename Server>
HttpReply get(const Server &server, const QByteArray &path, const QByteArray &token)
{
    return sendHttp(server.port(), {"GET", path, {{"authorization", bearer(token)}}, {}});
}

} // namespace

TEST(Authority, AcceptsTokensFromTheExternalIssuerAndRejectsOurOwn)
{
    FakeProvider provider;
    provider.startAndWait();
    ServerProcess server;
    ASSERT_TRUE(server.start({QStringLiteral("--authority"), provider.issuer(), QStringLiteral("--serve"), QStringLiteral("apis")}))
        << server.errorText().toStdString();

    EXPECT_EQ(get(server, "/api/contacts", provider.sign(QStringLiteral("key-1"), QStringLiteral("read:contacts"))).status, 200);
    EXPECT_EQ(get(server, "/api/appointments", provider.sign(QStringLiteral("key-1"), QStringLiteral("read:contacts"))).status, 403);
    const HttpReply wrongAudience
        = get(server, "/api/contacts", provider.sign(QStringLiteral("key-1"), QStringLiteral("read:contacts"), QStringLiteral("other")));
    EXPECT_EQ(wrongAudience.status, 401);
    EXPECT_TRUE(wrongAudience.json("error_description").contains("audience"));
    // With an external authority, this process hosts no issuer endpoints.
    EXPECT_EQ(sendHttp(server.port(), {"GET", "/.well-known/jwks.json", {}, {}}).status, 404);
    EXPECT_EQ(provider.discoveryFetches(), 1);
    EXPECT_EQ(provider.jwksFetches(), 1);
}

TEST(Authority, RefetchesKeysOnceWhenTheIssuerRotates)
{
    FakeProvider provider;
    provider.startAndWait();
    // In this process, on a clock that moves only when told: the cooldown runs out without being waited for.
    ManualClock clock;
    InProcessServer server({.home = InProcessServer::Home::OwnThread, .clocks = clock.clocks(), .configure = [&provider](server::ServerOptions &options) {
                                options.authority = QUrl(provider.issuer()); // --authority URL --serve apis --jwks-refresh-interval 1
                                options.serve = server::ServeMode::Apis;
                                options.jwksRefreshIntervalSeconds = 1;
                            }});
    ASSERT_TRUE(server.error().isEmpty()) << server.error().toStdString();
    ASSERT_EQ(get(server, "/api/contacts", provider.sign(QStringLiteral("key-1"), QStringLiteral("read:contacts"))).status, 200);
    clock.advance(1s);

    provider.addKey(QStringLiteral("key-2"));
    const HttpReply rotated = get(server, "/api/contacts", provider.sign(QStringLiteral("key-2"), QStringLiteral("read:contacts")));
    EXPECT_EQ(rotated.status, 200) << rotated.body.toStdString();
    EXPECT_EQ(provider.jwksFetches(), 2);
}

TEST(Authority, UnknownKidFloodCausesAtMostOneFetchPerInterval)
{
    FakeProvider provider;
    provider.startAndWait();
    ServerProcess server;
    ASSERT_TRUE(server.start({QStringLiteral("--authority"), provider.issuer(), QStringLiteral("--serve"), QStringLiteral("apis"),
                              QStringLiteral("--jwks-refresh-interval"), QStringLiteral("60")}));
    ASSERT_EQ(get(server, "/api/contacts", provider.sign(QStringLiteral("key-1"), QStringLiteral("read:contacts"))).status, 200);
    for (int i = 0; i < 25; ++i) {
        const HttpReply reply = get(server, "/api/contacts", provider.sign(QStringLiteral("random-%1").arg(i), QStringLiteral("read:contacts")));
        EXPECT_EQ(reply.status, 401);
        EXPECT_EQ(reply.json("error"), "invalid_token");
    }
    EXPECT_EQ(provider.jwksFetches(), 1); // the startup fetch; the cooldown refuses the flood
}

TEST(Authority, UnreachableIssuerIs401NeverA5xx)
{
    quint16 deadPort = 0;
    {
        QTcpServer probe;
        ASSERT_TRUE(probe.listen(QHostAddress::LocalHost, 0));
        deadPort = probe.serverPort();
    }
    ServerProcess server;
    ASSERT_TRUE(server.start({QStringLiteral("--authority"), QStringLiteral("http://127.0.0.1:%1/").arg(deadPort), QStringLiteral("--serve"),
                              QStringLiteral("apis"), QStringLiteral("--jwks-refresh-interval"), QStringLiteral("0")}));
    FakeProvider elsewhere;
    elsewhere.startAndWait();
    for (int i = 0; i < 3; ++i) {
        const HttpReply reply = get(server, "/api/contacts", elsewhere.sign(QStringLiteral("key-1"), QStringLiteral("read:contacts")));
        EXPECT_EQ(reply.status, 401);
        EXPECT_EQ(reply.json("error"), "invalid_token");
    }
    EXPECT_EQ(sendHttp(server.port(), {"GET", "/healthz", {}, {}}).status, 200);
}

TEST(Authority, DiscoveryNamingAnotherIssuerIsNotTrusted)
{
    FakeProvider provider(/*honestIssuer=*/false);
    provider.startAndWait();
    ServerProcess server;
    ASSERT_TRUE(server.start({QStringLiteral("--authority"), provider.issuer(), QStringLiteral("--serve"), QStringLiteral("apis")}));
    const HttpReply reply = get(server, "/api/contacts", provider.sign(QStringLiteral("key-1"), QStringLiteral("read:contacts")));
    EXPECT_EQ(reply.status, 401);
    EXPECT_TRUE(server.log().contains("somebody-else.example")) << server.log().toStdString();
}

TEST(Authority, OneApiPerProcessAsTheSampleDeployedThem)
{
    FakeProvider provider;
    provider.startAndWait();
    ServerProcess contacts;
    ServerProcess calendar;
    ASSERT_TRUE(contacts.start({QStringLiteral("--authority"), provider.issuer(), QStringLiteral("--serve"), QStringLiteral("contacts")}));
    ASSERT_TRUE(calendar.start({QStringLiteral("--authority"), provider.issuer(), QStringLiteral("--serve"), QStringLiteral("calendar")}));
    const QByteArray token = provider.sign(QStringLiteral("key-1"), QStringLiteral("read:contacts read:calendar"));
    EXPECT_EQ(get(contacts, "/api/contacts", token).status, 200);
    EXPECT_EQ(get(contacts, "/api/appointments", token).status, 404);
    EXPECT_EQ(get(calendar, "/api/appointments", token).status, 200);
    EXPECT_EQ(get(calendar, "/api/calendar", token).status, 200);
    EXPECT_EQ(get(calendar, "/api/contacts", token).status, 404);
}
