#pragma once

#include "jwk.h"

#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QObject>
#include <QReadWriteLock>

#include <atomic>
#include <QUrl>

#include <functional>
#include <optional>

namespace organizer::resource {

Q_DECLARE_LOGGING_CATEGORY(lcKeys)

// Milliseconds on a monotonic clock (it never goes back and says nothing of the date): what the
// refresh cooldowns are measured on. Tests pass one they move forward instead of waiting.
using MonotonicClock = std::function<qint64()>;
MonotonicClock steadyClock();

// The issuer a resource server trusts and the keys it signs with. Refreshing is rate limited: an
// attacker sending tokens with random "kid"s must not turn into unbounded fetches.
// issuer() and keys() may be called from any thread (the HTTP workers verify tokens); they return
// copies of what was last published. refresh() runs on the object's own thread.
class IssuerKeys : public QObject
{
    Q_OBJECT

public:
    using QObject::QObject;

    QString issuer() const
    {
        QReadLocker lock(&m_lock);
        return m_issuer;
    }
    jose::JwkSet keys() const
    {
        QReadLocker lock(&m_lock);
        return m_keys;
    }
    // Move whenever new keys or a new issuer are published: a reader that cached something derived
    // from them checks these (a plain atomic read, no lock) instead of copying the keys again.
    quint64 keysGeneration() const { return m_keysGeneration.load(std::memory_order_acquire); }
    quint64 issuerGeneration() const { return m_issuerGeneration.load(std::memory_order_acquire); }
    // Asks for fresh keys; `done` runs once they arrived or the attempt failed. Returns false (and
    // never calls `done`) while the cooldown since the last fetch is still running.
    virtual bool refresh(std::function<void()> done) = 0;
    // The clock the cooldown is measured on (steadyClock() unless set); set it before the first refresh.
    void setMonotonicClock(MonotonicClock clock) { m_monotonicClock = std::move(clock); }

protected:
    qint64 monotonicNow() const { return m_monotonicClock(); }

    void publishIssuer(const QString &issuer)
    {
        QWriteLocker lock(&m_lock);
        m_issuer = issuer;
        m_issuerGeneration.fetch_add(1, std::memory_order_release);
    }
    void publishKeys(jose::JwkSet keys)
    {
        QWriteLocker lock(&m_lock);
        m_keys = std::move(keys);
        m_keysGeneration.fetch_add(1, std::memory_order_release);
    }

private:
    MonotonicClock m_monotonicClock = steadyClock();
    std::atomic<quint64> m_keysGeneration{1};
    std::atomic<quint64> m_issuerGeneration{1};
    mutable QReadWriteLock m_lock;
    QString m_issuer;
    jose::JwkSet m_keys;
};

// The bundled issuer: keys read from the signing keys in the database, issuer fixed once the server
// knows its own URL.
class LocalIssuerKeys : public IssuerKeys
{
    Q_OBJECT

public:
    LocalIssuerKeys(QString issuer, jose::JwkSet keys, QObject *parent = nullptr);

    void setIssuer(const QString &issuer) { publishIssuer(issuer); }
    void setKeys(jose::JwkSet keys) { publishKeys(std::move(keys)); }
    // A token naming a kid this instance does not know may come from a key another instance on the same
    // database just made: `reload` reads the keys again (and publishes them through setKeys), at most
    // once per `cooldownMs`, so tokens with made-up kids cost one small query a second at most.
    void setReload(std::function<void()> reload, qint64 cooldownMs = 1000)
    {
        m_reload = std::move(reload);
        m_cooldownMs = cooldownMs;
    }
    bool refresh(std::function<void()> done) override;
    int reloadCount() const { return m_reloadCount; }

private:
    std::function<void()> m_reload;
    qint64 m_cooldownMs = 1000;
    std::optional<qint64> m_lastReloadAt; // on the monotonic clock
    int m_reloadCount = 0;
};

// An external OpenID provider (a real Auth0 tenant, Keycloak, this server in another process…):
// OpenID Connect Discovery gives the issuer and jwks_uri, the JWKS is cached and fetched again on
// an unknown kid, at most once per cooldown.
class RemoteIssuerKeys : public IssuerKeys
{
    Q_OBJECT

public:
    explicit RemoteIssuerKeys(QUrl authority, QObject *parent = nullptr);

    bool refresh(std::function<void()> done) override;

    void setCooldown(qint64 milliseconds) { m_cooldownMs = milliseconds; }
    void setTimeout(int milliseconds) { m_timeoutMs = milliseconds; }
    // Starts the first discovery + JWKS fetch; `ready` fires when it ends (successful or not).
    void start();
    QString lastError() const { return m_lastError; }
    int fetchCount() const { return m_fetchCount; }

Q_SIGNALS:
    void ready();

private:
    void fetchDiscovery();
    void fetchJwks();
    void finish(const QString &error);

    QUrl m_authority;
    QUrl m_jwksUri;
    QNetworkAccessManager m_network;
    std::optional<qint64> m_lastFetchAt; // on the monotonic clock
    qint64 m_cooldownMs = 30'000;
    int m_timeoutMs = 5'000;
    bool m_fetching = false;
    int m_fetchCount = 0;
    QString m_lastError;
    QList<std::function<void()>> m_waiting;
};

} // namespace organizer::resource
