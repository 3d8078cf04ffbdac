#include "issuerkeys.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>

#include <chrono>

namespace organizer::resource {

Q_LOGGING_CATEGORY(lcKeys, "organizer.server.keys")

namespace {

constexpr qint64 kMaxMetadataSize = 512 * 1024;

QUrl withTrailingSlash(QUrl url)
{
    if (!url.path().endsWith(QLatin1Char('/')))
        url.setPath(url.path() + QLatin1Char('/'));
    return url;
}

} // namespace

MonotonicClock steadyClock()
{
    return [] { return qint64(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count()); };
}

LocalIssuerKeys::LocalIssuerKeys(QString issuer, jose::JwkSet keys, QObject *parent) : IssuerKeys(parent)
{
    publishIssuer(issuer);
    publishKeys(std::move(keys));
}

bool LocalIssuerKeys::refresh(std::function<void()> done)
{
    const qint64 now = monotonicNow();
    if (!m_reload || (m_lastReloadAt && now - *m_lastReloadAt < m_cooldownMs))
        return false;
    m_lastReloadAt = now;
    ++m_reloadCount;
    m_reload();
    done();
    return true;
}

RemoteIssuerKeys::RemoteIssuerKeys(QUrl authority, QObject *parent) : IssuerKeys(parent), m_authority(std::move(authority))
{
    m_network.setRedirectPolicy(QNetworkRequest::NoLessSafeRedirectPolicy);
}

void RemoteIssuerKeys::start()
{
    m_fetching = true;
    m_lastFetchAt = monotonicNow();
    fetchDiscovery();
}

bool RemoteIssuerKeys::refresh(std::function<void()> done)
{
    if (m_fetching) {
        m_waiting.append(std::move(done)); // coalesce: one fetch serves every waiting request
        return true;
    }
    const qint64 now = monotonicNow();
    if (m_lastFetchAt && now - *m_lastFetchAt < m_cooldownMs)
        return false;
    m_waiting.append(std::move(done));
    m_fetching = true;
    m_lastFetchAt = now;
    // Discovery again if it never succeeded; otherwise the JWKS alone.
    if (issuer().isEmpty())
        fetchDiscovery();
    else
        fetchJwks();
    return true;
}

void RemoteIssuerKeys::fetchDiscovery()
{
    // OpenID Connect Discovery §4: the configuration lives under the issuer's path.
    const QUrl url = withTrailingSlash(m_authority).resolved(QUrl(QStringLiteral(".well-known/openid-configuration")));
    QNetworkRequest request(url);
    request.setTransferTimeout(m_timeoutMs);
    request.setRawHeader("accept", "application/json");
    ++m_fetchCount;
    QNetworkReply *reply = m_network.get(request);
    connect(reply, &QNetworkReply::finished, this, [this, reply, url] {
        reply->deleteLater();
        if (reply->error() != QNetworkReply::NoError)
            return finish(QStringLiteral("discovery at %1 failed: %2").arg(url.toString(), reply->errorString()));
        const QByteArray body = reply->read(kMaxMetadataSize);
        const QJsonObject metadata = QJsonDocument::fromJson(body).object();
        const QString issuer = metadata.value(QLatin1String("issuer")).toString();
        const QUrl jwksUri(metadata.value(QLatin1String("jwks_uri")).toString());
        // §4.3: the issuer must be the URL we asked (Auth0's differs from a hand-typed one only by the slash).
        if (issuer.isEmpty() || withTrailingSlash(QUrl(issuer)) != withTrailingSlash(m_authority))
            return finish(QStringLiteral("discovery at %1 names issuer \"%2\", not %3").arg(url.toString(), issuer.left(200), m_authority.toString()));
        if (!jwksUri.isValid() || jwksUri.scheme().isEmpty())
            return finish(QStringLiteral("discovery at %1 has no valid jwks_uri").arg(url.toString()));
        publishIssuer(issuer);
        m_jwksUri = jwksUri;
        fetchJwks();
    });
}

void RemoteIssuerKeys::fetchJwks()
{
    QNetworkRequest request(m_jwksUri);
    request.setTransferTimeout(m_timeoutMs);
    request.setRawHeader("accept", "application/json");
    ++m_fetchCount;
    QNetworkReply *reply = m_network.get(request);
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        reply->deleteLater();
        if (reply->error() != QNetworkReply::NoError)
            return finish(QStringLiteral("fetching %1 failed: %2").arg(m_jwksUri.toString(), reply->errorString()));
        auto set = jose::JwkSet::fromJson(reply->read(kMaxMetadataSize));
        if (!set)
            return finish(QStringLiteral("%1: %2").arg(m_jwksUri.toString(), set.error().description));
        for (const QString &skipped : set->skipped())
            qCDebug(lcKeys).noquote() << "skipping JWKS member:" << skipped;
        const qsizetype count = set->keys().size();
        publishKeys(std::move(set).value());
        qCInfo(lcKeys).noquote() << "loaded" << count << "signing key(s) from" << m_jwksUri.toString();
        finish({});
    });
}

void RemoteIssuerKeys::finish(const QString &error)
{
    m_lastError = error;
    if (!error.isEmpty())
        qCWarning(lcKeys).noquote() << error;
    m_fetching = false;
    const auto waiting = std::exchange(m_waiting, {});
    for (const auto &done : waiting)
        done();
    Q_EMIT ready();
}

} // namespace organizer::resource
