// The app trusts its bundled server's local CA by itself, for that server alone: which origins a CA
// covers, which CAs a connection is verified with, which presented chains the web view may accept, and
// the app's HTTP client against real TLS servers presenting certificates of that CA and of another.
// The certificates come from the server's own local CA code (organizer-server --tls), in scratch
// directories.

#include "bundledservertrust.h"
#include "httpclient.h"
#include "tlstestsupport.h"
#include "waitfor.h"

#include <QFile>
#include <QSslConfiguration>
#include <QTemporaryDir>

#include <gtest/gtest.h>

#include <optional>

using namespace organizer;
using organizer::app::BundledServerCa;
using organizer::tls::LocalCertificateAuthority;

namespace {

const QStringList kLoopbackNames{QStringLiteral("localhost"), QStringLiteral("127.0.0.1"), QStringLiteral("::1")};

// Shared by the tests: making a CA costs a key generation.
test::IssuedCa &ours()
{
    static test::IssuedCa ca;
    return ca;
}
test::IssuedCa &foreign()
{
    static test::IssuedCa ca;
    return ca;
}

const QUrl kServer(QStringLiteral("https://localhost:3443/"));

} // namespace

TEST(BundledServerOrigins, AnOriginAlwaysWritesItsPortAndALowerCaseHost)
{
    EXPECT_EQ(app::originKey(QUrl(QStringLiteral("https://LocalHost/authorize?x=1"))), QStringLiteral("https://localhost:443"));
    EXPECT_EQ(app::originKey(QUrl(QStringLiteral("http://127.0.0.1/"))), QStringLiteral("http://127.0.0.1:80"));
    EXPECT_EQ(app::originKey(QUrl(QStringLiteral("https://[::1]:3443/x"))), QStringLiteral("https://[::1]:3443"));
    EXPECT_TRUE(app::originKey(QUrl(QStringLiteral("data:text/html,x"))).isEmpty());
}

TEST(BundledServerOrigins, ALoopbackServerIsReachedByEachLoopbackNameOnItsOwnPortOnly)
{
    EXPECT_EQ(app::bundledServerOrigins(kServer),
              (QStringList{QStringLiteral("https://localhost:3443"), QStringLiteral("https://127.0.0.1:3443"), QStringLiteral("https://[::1]:3443")}));
    EXPECT_EQ(app::bundledServerOrigins(QUrl(QStringLiteral("https://login.example:8443/"))), QStringList{QStringLiteral("https://login.example:8443")});
    const BundledServerCa ca = ours().trustedFor(kServer);
    EXPECT_TRUE(ca.covers(QUrl(QStringLiteral("https://127.0.0.1:3443/oauth/token"))));
    EXPECT_TRUE(ca.covers(QUrl(QStringLiteral("https://[::1]:3443/"))));
    EXPECT_FALSE(ca.covers(QUrl(QStringLiteral("https://localhost:3444/"))));
    EXPECT_FALSE(ca.covers(QUrl(QStringLiteral("http://localhost:3443/"))));
    EXPECT_FALSE(ca.covers(QUrl(QStringLiteral("https://localhost.example:3443/"))));
}

TEST(BundledServerCaCertificates, TheBundledServersOriginGetsTheSystemCasPlusItsOwnOthersTheSystemCasAlone)
{
    const QList<QSslCertificate> system = foreign().leafChain(); // stands for the system's store
    const std::optional<BundledServerCa> ca = ours().trustedFor(kServer);
    const QList<QSslCertificate> forBundled = app::caCertificatesFor(QUrl(QStringLiteral("https://localhost:3443/userinfo")), ca, system);
    ASSERT_EQ(forBundled.size(), system.size() + 1);
    EXPECT_EQ(forBundled.last(), ours().ca);
    EXPECT_EQ(forBundled.first(), system.first());
    EXPECT_EQ(app::caCertificatesFor(QUrl(QStringLiteral("https://localhost:9999/")), ca, system), system);
    EXPECT_EQ(app::caCertificatesFor(QUrl(QStringLiteral("https://tenant.auth0.com/")), ca, system), system);
    EXPECT_EQ(app::caCertificatesFor(QUrl(QStringLiteral("http://localhost:3443/")), ca, system), system);
    EXPECT_EQ(app::caCertificatesFor(QUrl(QStringLiteral("https://localhost:3443/")), std::nullopt, system), system);
}

TEST(BundledServerCaFile, TheCaCertificateIsReadAndAnythingElseIsNamed)
{
    const auto ca = app::readBundledServerCa(ours().caPath);
    ASSERT_TRUE(ca) << ca.error().toStdString();
    EXPECT_EQ(*ca, ours().ca);

    QTemporaryDir dir;
    const QString leaf = dir.filePath(QStringLiteral("leaf.pem"));
    const QString two = dir.filePath(QStringLiteral("two.pem"));
    for (const auto &[path, contents] : {std::pair{leaf, ours().leafPem}, std::pair{two, ours().ca.toPem() + foreign().ca.toPem()}}) {
        QFile file(path);
        ASSERT_TRUE(file.open(QIODevice::WriteOnly));
        file.write(contents);
    }
    EXPECT_TRUE(app::readBundledServerCa(leaf).error().contains(QLatin1String("is no certificate authority's certificate")))
        << app::readBundledServerCa(leaf).error().toStdString();
    EXPECT_TRUE(app::readBundledServerCa(two).error().contains(QLatin1String("holds 2 PEM certificates, not one")));
    EXPECT_TRUE(app::readBundledServerCa(dir.filePath(QStringLiteral("none.pem"))).error().contains(QLatin1String("cannot be read")));
}

TEST(BundledServerChain, ACertificateItsCaIssuedForTheHostIsAccepted)
{
    const BundledServerCa ca = ours().trustedFor(kServer);
    for (const QString &host : kLoopbackNames) {
        const auto issued = app::checkIssuedByBundledCa(ours().leafChain(), host, ca);
        EXPECT_TRUE(issued) << host.toStdString() << ": " << issued.error().toStdString();
    }
    // The CA sent along changes nothing.
    EXPECT_TRUE(app::checkIssuedByBundledCa(ours().leafChain() + QList{ours().ca}, QStringLiteral("localhost"), ca));
}

TEST(BundledServerChain, AnotherCasCertificateIsRefusedEvenWithOurCaSentAlong)
{
    const BundledServerCa ca = ours().trustedFor(kServer);
    const auto refused = app::checkIssuedByBundledCa(foreign().leafChain(), QStringLiteral("localhost"), ca);
    ASSERT_FALSE(refused);
    EXPECT_TRUE(
        refused.error().startsWith(QStringLiteral("the bundled server's certificate is not issued by its local CA \"%1\" (%2): it names \"%3\" as its issuer")
                                       .arg(ca.commonName(), ours().caPath, foreign().ca.subjectInfo(QSslCertificate::CommonName).value(0))))
        << refused.error().toStdString();
    // Our CA's certificate in the chain is no licence for a certificate it did not sign.
    EXPECT_FALSE(app::checkIssuedByBundledCa(foreign().leafChain() + QList{ours().ca}, QStringLiteral("localhost"), ca));
    // Nor is our CA itself presented as the server's certificate.
    EXPECT_FALSE(app::checkIssuedByBundledCa(QList{ours().ca}, QStringLiteral("localhost"), ca));
    EXPECT_TRUE(app::checkIssuedByBundledCa({}, QStringLiteral("localhost"), ca).error().contains(QLatin1String("presented no certificate")));
}

TEST(BundledServerChain, OurCasCertificateForAnotherNameOrOutOfItsTimeIsRefused)
{
    const BundledServerCa ca = ours().trustedFor(kServer);
    const auto otherName = app::checkIssuedByBundledCa(ours().leafChain(), QStringLiteral("login.example"), ca);
    ASSERT_FALSE(otherName);
    EXPECT_TRUE(otherName.error().contains(QLatin1String("does not name login.example"))) << otherName.error().toStdString();
    const auto otherAddress = app::checkIssuedByBundledCa(ours().leafChain(), QStringLiteral("10.0.0.1"), ca);
    EXPECT_TRUE(!otherAddress && otherAddress.error().contains(QLatin1String("does not name 10.0.0.1")));
    const QDateTime later = QDateTime::currentDateTimeUtc().addDays(LocalCertificateAuthority::serverValidityDays + 1);
    const auto expired = app::checkIssuedByBundledCa(ours().leafChain(), QStringLiteral("localhost"), ca, later);
    ASSERT_FALSE(expired);
    EXPECT_TRUE(expired.error().contains(QLatin1String("is not valid now"))) << expired.error().toStdString();
}

TEST(BundledServerWebView, ACertificateErrorIsOverriddenOnlyForTheBundledOriginAndItsCasChain)
{
    const std::optional<BundledServerCa> ca = ours().trustedFor(kServer);
    const QUrl page(QStringLiteral("https://localhost:3443/authorize?client_id=x"));
    EXPECT_TRUE(app::judgeCertificateError(page, ours().leafChain(), {}, ca).accept);

    const auto foreignChain = app::judgeCertificateError(page, foreign().leafChain(), {}, ca);
    EXPECT_FALSE(foreignChain.accept);
    EXPECT_TRUE(foreignChain.reason.contains(QLatin1String("not issued by its local CA"))) << foreignChain.reason.toStdString();

    // Another origin: refused as any certificate error is, whatever chain, and no word about the bundled server.
    for (const QString &other :
         {QStringLiteral("https://localhost:3444/"), QStringLiteral("https://tenant.auth0.com/"), QStringLiteral("http://localhost:3443/")}) {
        const auto verdict = app::judgeCertificateError(QUrl(other), ours().leafChain(), {}, ca);
        EXPECT_FALSE(verdict.accept) << other.toStdString();
        EXPECT_TRUE(verdict.reason.isEmpty()) << other.toStdString();
    }
    EXPECT_FALSE(app::judgeCertificateError(page, ours().leafChain(), {}, std::nullopt).accept);

    // The engine objects to more than the unknown issuer: not overridden.
    const auto more = app::judgeCertificateError(page, ours().leafChain(), QStringLiteral("The certificate has been revoked."), ca);
    EXPECT_FALSE(more.accept);
    EXPECT_TRUE(more.reason.contains(QLatin1String("revoked")));
}

TEST(BundledServerTrust, EachServersCaCoversItsOwnOriginsUntilItIsForgotten)
{
    const QUrl first(QStringLiteral("https://localhost:40001/"));
    const QUrl second(QStringLiteral("https://localhost:40002/"));
    app::BundledServerTrust::trust(ours().trustedFor(first));
    app::BundledServerTrust::trust(foreign().trustedFor(second));
    EXPECT_EQ(app::BundledServerTrust::forUrl(QUrl(QStringLiteral("https://127.0.0.1:40001/x")))->certificate, ours().ca);
    EXPECT_EQ(app::BundledServerTrust::forUrl(QUrl(QStringLiteral("https://localhost:40002/x")))->certificate, foreign().ca);
    EXPECT_FALSE(app::BundledServerTrust::forUrl(QUrl(QStringLiteral("https://localhost:40003/"))));
    app::BundledServerTrust::forget(first);
    EXPECT_FALSE(app::BundledServerTrust::forUrl(first));
    EXPECT_TRUE(app::BundledServerTrust::forUrl(second));
    app::BundledServerTrust::forget(second);
    EXPECT_FALSE(app::BundledServerTrust::forUrl(second));
}

namespace {

app::HttpReply get(const QUrl &url)
{
    app::HttpClient client;
    std::optional<app::HttpReply> reply;
    app::HttpRequest request;
    request.url = url;
    request.timeoutMs = 10'000;
    client.send(request, nullptr, [&reply](const app::HttpReply &answer) { reply = answer; });
    test::waitFor([&reply] { return reply.has_value(); }, 15'000);
    return reply.value_or(app::HttpReply{});
}

} // namespace

TEST(BundledServerHttpClient, TheBundledServersCertificateFromItsCaIsTrustedByTheHttpClient)
{
    test::HttpsResponder server(ours().leafPem, ours().leafKeyPem);
    ASSERT_TRUE(server.listening());
    app::BundledServerTrust::trust(ours().trustedFor(server.url(QStringLiteral("localhost"))));
    const app::HttpReply reply = get(server.url());
    app::BundledServerTrust::forget(server.url(QStringLiteral("localhost")));
    EXPECT_EQ(reply.status, 200) << reply.networkError.toStdString();
    EXPECT_TRUE(reply.body.contains("served over TLS"));
}

TEST(BundledServerHttpClient, AnotherCasCertificateAtTheBundledOriginIsRefusedSayingWhy)
{
    test::HttpsResponder server(foreign().leafPem, foreign().leafKeyPem);
    ASSERT_TRUE(server.listening());
    app::BundledServerTrust::trust(ours().trustedFor(server.url()));
    const app::HttpReply reply = get(server.url());
    app::BundledServerTrust::forget(server.url());
    EXPECT_EQ(reply.status, 0);
    EXPECT_EQ(server.requests(), 0);
    EXPECT_TRUE(reply.networkError.contains(QStringLiteral("could not be reached: the bundled server's certificate is not issued by its local CA \"%1\"")
                                                .arg(ours().trustedFor(server.url()).commonName())))
        << reply.networkError.toStdString();
}

TEST(BundledServerHttpClient, TheLocalCaIsNotTrustedForAnyOtherOrigin)
{
    // The same certificate, from our CA, on a port that is not the bundled server's: the system's CAs alone.
    test::HttpsResponder server(ours().leafPem, ours().leafKeyPem);
    ASSERT_TRUE(server.listening());
    const QUrl elsewhere(QStringLiteral("https://localhost:%1/").arg(server.port() == 65535 ? 65534 : server.port() + 1));
    app::BundledServerTrust::trust(ours().trustedFor(elsewhere));
    const app::HttpReply reply = get(server.url());
    app::BundledServerTrust::forget(elsewhere);
    EXPECT_EQ(reply.status, 0);
    EXPECT_EQ(server.requests(), 0);
    EXPECT_TRUE(reply.networkError.contains(QLatin1String("its certificate is not trusted"))) << reply.networkError.toStdString();
    EXPECT_FALSE(reply.networkError.contains(QLatin1String("bundled server")));
}
