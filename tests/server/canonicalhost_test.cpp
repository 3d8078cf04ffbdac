// One canonical host: a browser reaching the bundled issuer by another loopback name is sent to the
// issuer's own before a cookie is set; nothing else is redirected.

#include "canonicalhost.h"

#include <gtest/gtest.h>

using namespace organizer;
using server::canonicalHostFor;
using server::redirectToCanonicalHost;

namespace {

http::Request navigation(QByteArray method, const char *path, QByteArray host, QByteArrayView query = {})
{
    http::Request request;
    request.method = std::move(method);
    request.path = QString::fromLatin1(path);
    request.rawPath = request.path;
    request.query = FormData::parse(query);
    request.headers = {{"host", std::move(host)}};
    return request;
}

const QUrl kIssuer(QStringLiteral("http://localhost:3001/"));

} // namespace

TEST(CanonicalHost, LoopbackListenersAreNamedLocalhost)
{
    EXPECT_EQ(canonicalHostFor(QHostAddress(QHostAddress::LocalHost)), QStringLiteral("localhost"));
    EXPECT_EQ(canonicalHostFor(QHostAddress(QHostAddress::LocalHostIPv6)), QStringLiteral("localhost"));
    EXPECT_EQ(canonicalHostFor(QHostAddress(QStringLiteral("127.0.0.2"))), QStringLiteral("localhost"));
    EXPECT_EQ(canonicalHostFor(QHostAddress(QHostAddress::Any)), QStringLiteral("localhost"));
    EXPECT_EQ(canonicalHostFor(QHostAddress(QStringLiteral("192.0.2.7"))), QStringLiteral("192.0.2.7"));
    EXPECT_EQ(canonicalHostFor(QHostAddress(QStringLiteral("2001:db8::7"))), QStringLiteral("[2001:db8::7]"));
}

TEST(CanonicalHost, AuthorizeByAnotherLoopbackNameGoesToTheIssuersHostWithItsQuery)
{
    const auto redirect = redirectToCanonicalHost(
        navigation("GET", "/authorize", "127.0.0.1:3001", "client_id=spa&state=a%20b&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2F"), kIssuer);
    ASSERT_TRUE(redirect);
    EXPECT_EQ(redirect->status, 302);
    const QUrl location(QString::fromLatin1(redirect->header("location")));
    EXPECT_EQ(location.scheme(), QStringLiteral("http"));
    EXPECT_EQ(location.host(), QStringLiteral("localhost"));
    EXPECT_EQ(location.port(), 3001);
    EXPECT_EQ(location.path(), QStringLiteral("/authorize"));
    const FormData query = FormData::parse(location.query(QUrl::FullyEncoded).toLatin1());
    EXPECT_EQ(query.value(u"client_id"), QStringLiteral("spa"));
    EXPECT_EQ(query.value(u"state"), QStringLiteral("a b"));
    EXPECT_EQ(query.value(u"redirect_uri"), QStringLiteral("http://localhost:3000/"));
    EXPECT_EQ(redirect->header("cache-control"), QByteArray("no-store"));

    const auto fromIpv6 = redirectToCanonicalHost(navigation("HEAD", "/v2/logout", "[::1]:3001"), kIssuer);
    ASSERT_TRUE(fromIpv6);
    EXPECT_EQ(fromIpv6->header("location"), QByteArray("http://localhost:3001/v2/logout"));
    EXPECT_TRUE(redirectToCanonicalHost(navigation("GET", "/oidc/logout", "127.0.0.1:3001"), kIssuer));

    const QUrl https(QStringLiteral("https://localhost:8443/"));
    const auto overTls = redirectToCanonicalHost(navigation("GET", "/authorize", "127.0.0.1:8443", "client_id=spa"), https);
    ASSERT_TRUE(overTls);
    EXPECT_EQ(overTls->header("location"), QByteArray("https://localhost:8443/authorize?client_id=spa"));
}

TEST(CanonicalHost, EverythingElseIsServedWhereItArrived)
{
    // Already canonical, in any letter case.
    EXPECT_FALSE(redirectToCanonicalHost(navigation("GET", "/authorize", "localhost:3001"), kIssuer));
    EXPECT_FALSE(redirectToCanonicalHost(navigation("GET", "/authorize", "LocalHost:3001"), kIssuer));
    // Not a browser navigation: token requests, APIs, discovery, form posts keep working by any name.
    EXPECT_FALSE(redirectToCanonicalHost(navigation("POST", "/oauth/token", "127.0.0.1:3001"), kIssuer));
    EXPECT_FALSE(redirectToCanonicalHost(navigation("GET", "/api/contacts", "127.0.0.1:3001"), kIssuer));
    EXPECT_FALSE(redirectToCanonicalHost(navigation("GET", "/.well-known/openid-configuration", "127.0.0.1:3001"), kIssuer));
    EXPECT_FALSE(redirectToCanonicalHost(navigation("POST", "/login", "127.0.0.1:3001"), kIssuer));
    // Another port, another host, or no usable Host header: not this issuer's loopback alias.
    EXPECT_FALSE(redirectToCanonicalHost(navigation("GET", "/authorize", "127.0.0.1:3002"), kIssuer));
    EXPECT_FALSE(redirectToCanonicalHost(navigation("GET", "/authorize", "192.0.2.7:3001"), kIssuer));
    EXPECT_FALSE(redirectToCanonicalHost(navigation("GET", "/authorize", "evil.example:3001"), kIssuer));
    EXPECT_FALSE(redirectToCanonicalHost(navigation("GET", "/authorize", ""), kIssuer));
    EXPECT_FALSE(redirectToCanonicalHost(navigation("GET", "/authorize", "user@127.0.0.1:3001"), kIssuer));
    // An issuer the operator named (--public-url) that is not loopback: a balancer's checks by address stay put.
    EXPECT_FALSE(redirectToCanonicalHost(navigation("GET", "/authorize", "127.0.0.1:443"), QUrl(QStringLiteral("https://login.example/"))));
    // Behind a path prefix the proxy routes by its own rules.
    EXPECT_FALSE(redirectToCanonicalHost(navigation("GET", "/authorize", "127.0.0.1:3001"), QUrl(QStringLiteral("http://localhost:3001/organizer/"))));
    // A query that is not UTF-8 is answered by /authorize itself, not re-encoded.
    EXPECT_FALSE(redirectToCanonicalHost(navigation("GET", "/authorize", "127.0.0.1:3001", "state=%FF"), kIssuer));
}
