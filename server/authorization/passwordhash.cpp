#include "passwordhash.h"

#include "base64url.h"

#include <QStringList>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace organizer::authorization {

namespace {

constexpr int kSaltBytes = 16;
constexpr int kKeyBytes = 32;
const QString kScheme = QStringLiteral("pbkdf2-sha256");

QByteArray derive(const QString &password, const QByteArray &salt, int iterations)
{
    const QByteArray secret = password.toUtf8();
    QByteArray key(kKeyBytes, Qt::Uninitialized);
    if (PKCS5_PBKDF2_HMAC(secret.constData(), int(secret.size()), reinterpret_cast<const unsigned char *>(salt.constData()), int(salt.size()), iterations,
                          EVP_sha256(), kKeyBytes, reinterpret_cast<unsigned char *>(key.data()))
        != 1)
        return {};
    return key;
}

struct Parsed
{
    int iterations = 0;
    QByteArray salt;
    QByteArray key;
};

std::optional<Parsed> parse(const QString &encoded)
{
    const QStringList parts = encoded.split(QLatin1Char('$'));
    if (parts.size() != 4 || parts.at(0) != kScheme)
        return std::nullopt;
    bool ok = false;
    const int iterations = parts.at(1).toInt(&ok);
    auto salt = jose::base64UrlDecode(parts.at(2).toLatin1());
    auto key = jose::base64UrlDecode(parts.at(3).toLatin1());
    if (!ok || iterations < 1 || iterations > 10'000'000 || !salt || salt->size() < 8 || !key || key->size() != kKeyBytes)
        return std::nullopt;
    return Parsed{iterations, *salt, *key};
}

} // namespace

QByteArray randomToken(int bytes)
{
    QByteArray raw(bytes, Qt::Uninitialized);
    if (RAND_bytes(reinterpret_cast<unsigned char *>(raw.data()), bytes) != 1)
        qFatal("OpenSSL's random generator failed; refusing to continue without randomness");
    return jose::base64UrlEncode(raw);
}

QString hashPassword(const QString &password, int iterations)
{
    QByteArray salt(kSaltBytes, Qt::Uninitialized);
    if (RAND_bytes(reinterpret_cast<unsigned char *>(salt.data()), kSaltBytes) != 1)
        qFatal("OpenSSL's random generator failed; refusing to continue without randomness");
    return QStringLiteral("%1$%2$%3$%4")
        .arg(kScheme)
        .arg(iterations)
        .arg(QString::fromLatin1(jose::base64UrlEncode(salt)), QString::fromLatin1(jose::base64UrlEncode(derive(password, salt, iterations))));
}

bool verifyPassword(const QString &password, const QString &encoded)
{
    const auto parsed = parse(encoded);
    if (!parsed)
        return false;
    return constantTimeEquals(derive(password, parsed->salt, parsed->iterations), parsed->key);
}

bool isPasswordHash(const QString &encoded)
{
    return parse(encoded).has_value();
}

} // namespace organizer::authorization

#include <QFuture>
#include <QSemaphore>
#include <QtConcurrent>

namespace organizer::authorization {

void releaseOpenSslThreadState(QThreadPool &pool)
{
    pool.waitForDone();
    // Each task holds its thread until all have started, so every thread the pool may run runs one.
    const int threads = pool.maxThreadCount();
    QSemaphore started;
    QSemaphore finish;
    for (int i = 0; i < threads; ++i) {
        pool.start([&started, &finish] {
            OPENSSL_thread_stop();
            started.release();
            finish.acquire();
        });
    }
    started.acquire(threads);
    finish.release(threads);
    pool.waitForDone();
}

BackgroundPasswordCheck::BackgroundPasswordCheck(int maxQueued) : m_maxQueued(maxQueued)
{
    // One core stays with the event loop: with every core hashing, a guessing flood would still starve
    // the thread that answers everyone else, just by CPU rather than by blocking.
    m_pool.setMaxThreadCount(std::max(1, QThread::idealThreadCount() - 1));
    m_pool.setThreadPriority(QThread::LowPriority);
}

BackgroundPasswordCheck::~BackgroundPasswordCheck()
{
    m_pool.clear();
    releaseOpenSslThreadState(m_pool);
}

bool BackgroundPasswordCheck::submit(const QString &password, const QString &encoded, QObject *context, std::function<void(bool)> done)
{
    if (m_pending.fetch_add(1) >= m_maxQueued) {
        --m_pending;
        return false;
    }
    QtConcurrent::run(&m_pool, [this, password, encoded] {
        // Built on first use by a worker, never by the event loop; static initialisation is thread-safe.
        static const QString decoy = hashPassword(QStringLiteral("decoy"));
        const bool valid = encoded.isNull() ? (verifyPassword(password, decoy), false) : verifyPassword(password, encoded);
        --m_pending;
        return valid;
    }).then(context, [done = std::move(done)](bool valid) { done(valid); });
    return true;
}

BackgroundSecretHashing::BackgroundSecretHashing(int maxWaiting) : m_maxWaiting(maxWaiting)
{
    // As for the checks: one core stays with the HTTP workers and the event loop.
    m_pool.setMaxThreadCount(std::max(1, QThread::idealThreadCount() - 1));
    m_pool.setExpiryTimeout(-1);
}

BackgroundSecretHashing::~BackgroundSecretHashing()
{
    m_closing = true;
    releaseOpenSslThreadState(m_pool);
}

bool BackgroundSecretHashing::submit(QStringList secrets, std::function<void(std::optional<Hashes>)> then)
{
    if (m_waiting.fetch_add(1) >= m_maxWaiting) {
        --m_waiting;
        return false;
    }
    m_pool.start([this, secrets = std::move(secrets), then = std::move(then)] {
        if (m_closing) {
            then(std::nullopt);
        } else {
            Hashes hashes;
            for (const QString &secret : secrets)
                hashes.insert(secret, hashPassword(secret));
            then(std::move(hashes));
        }
        --m_waiting;
    });
    return true;
}

} // namespace organizer::authorization
