#include "canonicalhost.h"

namespace organizer::server {

namespace {

bool isLoopbackName(const QString &host)
{
    if (host == QLatin1String("localhost"))
        return true;
    const QHostAddress address(host);
    return !address.isNull() && address.isLoopback();
}

// "host[:port]" from a Host header ("[::1]:3001", "localhost"), host lower-cased, brackets dropped; a
// missing port is the scheme's.
std::optional<std::pair<QString, int>> hostAndPort(const QByteArray &header, int defaultPort)
{
    QUrl parsed;
    parsed.setScheme(QStringLiteral("http"));
    parsed.setAuthority(QString::fromLatin1(header), QUrl::StrictMode);
    if (!parsed.isValid() || parsed.host().isEmpty() || !parsed.userInfo().isEmpty())
        return std::nullopt;
    return std::make_pair(parsed.host().toLower(), parsed.port(defaultPort));
}

} // namespace

QString canonicalHostFor(const QHostAddress &address)
{
    if (address.isLoopback() || address == QHostAddress::Any || address == QHostAddress::AnyIPv4 || address == QHostAddress::AnyIPv6)
        return QStringLiteral("localhost");
    if (address.protocol() == QAbstractSocket::IPv6Protocol)
        return QLatin1Char('[') + address.toString() + QLatin1Char(']');
    return address.toString();
}

std::optional<http::Response> redirectToCanonicalHost(const http::Request &request, const QUrl &publicUrl)
{
    if (request.method != "GET" && request.method != "HEAD")
        return std::nullopt;
    if (request.path != QLatin1String("/authorize") && request.path != QLatin1String("/v2/logout") && request.path != QLatin1String("/oidc/logout"))
        return std::nullopt;
    // Behind a path prefix the public URL is a proxy's, which routes by its own rules.
    if (publicUrl.path() != QLatin1String("/") || request.query.hasInvalidUtf8())
        return std::nullopt;
    const int defaultPort = publicUrl.scheme() == QLatin1String("https") ? 443 : 80;
    const auto arrived = hostAndPort(request.header("host"), defaultPort);
    const QString canonical = publicUrl.host().toLower();
    if (!arrived || arrived->first == canonical || arrived->second != publicUrl.port(defaultPort))
        return std::nullopt;
    if (!isLoopbackName(arrived->first) || !isLoopbackName(canonical))
        return std::nullopt;
    QUrl target = publicUrl;
    target.setPath(request.path);
    if (!request.query.isEmpty())
        target.setQuery(QString::fromLatin1(request.query.encode()), QUrl::StrictMode);
    http::Response redirect;
    redirect.status = 302;
    redirect.setHeader("location", target.toEncoded());
    redirect.setHeader("cache-control", "no-store");
    return redirect;
}

} // namespace organizer::server
