#pragma once

#include "constanttime.h"

#include <QByteArray>
#include <QString>
#include <QThreadPool>

namespace organizer::authorization {

// Passwords and client secrets are stored as PBKDF2-HMAC-SHA256 hashes (OWASP 2023: ≥ 600,000
// iterations), encoded "pbkdf2-sha256$<iterations>$<salt>$<hash>" with base64url parts.
inline constexpr int kPasswordIterations = 600'000;

QString hashPassword(const QString &password, int iterations = kPasswordIterations);

// Constant-time comparison of the derived key; false for a malformed encoding.
bool verifyPassword(const QString &password, const QString &encoded);

// Whether `encoded` is a hash this code can verify (used to validate tenant files).
bool isPasswordHash(const QString &encoded);

// Cryptographically random bytes, base64url-encoded (session ids, codes, CSRF tokens).
QByteArray randomToken(int bytes = 32);

// Waits for `pool`'s work, then has each of its threads free what OpenSSL keeps per thread (its random
// generators). OpenSSL frees it only as a thread ends, which for a pool's threads can be after the
// program's last look at its memory; call it where a pool that used OpenSSL goes away.
void releaseOpenSslThreadState(QThreadPool &pool);

} // namespace organizer::authorization

#include <QHash>
#include <QObject>
#include <QStringList>
#include <QThreadPool>

#include <atomic>
#include <functional>
#include <optional>

namespace organizer::authorization {

// Runs password and secret checks (a deliberately slow KDF) on a few worker threads, so a flood of
// guesses never stalls the event loop that serves everyone else. At most `maxQueued` checks wait;
// beyond that submit() refuses at once and the caller answers 503.
class BackgroundPasswordCheck
{
public:
    explicit BackgroundPasswordCheck(int maxQueued = 64);
    ~BackgroundPasswordCheck();

    // Calls `done(valid)` on `context`'s thread later, unless `context` is gone by then; false when
    // the queue is full (then `done` is never called). A null `encoded` (no such user or client) is
    // checked against a decoy hash, so the answer takes as long as a wrong password.
    bool submit(const QString &password, const QString &encoded, QObject *context, std::function<void(bool)> done);

private:
    QThreadPool m_pool;
    std::atomic<int> m_pending{0};
    int m_maxQueued;
};

// Hashes the secrets a Management API call stores (the same slow KDF) on a thread of its own, then runs
// what needs the hashes on that same thread: neither an HTTP worker nor the event loop waits for the KDF.
// At most `maxWaiting` jobs are queued or under way; beyond that submit() refuses at once, and the
// caller answers 429. Its threads live as long as it does: what they run may open a database
// connection, which belongs to the thread that opened it.
class BackgroundSecretHashing
{
public:
    using Hashes = QHash<QString, QString>; // each secret → its encoded hash

    explicit BackgroundSecretHashing(int maxWaiting = 32);
    // Jobs still queued run `then` with nullopt (the server is going) instead of hashing; waits for all.
    ~BackgroundSecretHashing();

    // Hashes `secrets`, then calls `then` with them on the same pool thread; false when the queue is
    // full (then `then` is never called).
    bool submit(QStringList secrets, std::function<void(std::optional<Hashes>)> then);

private:
    QThreadPool m_pool;
    std::atomic<int> m_waiting{0};
    std::atomic<bool> m_closing{false};
    int m_maxWaiting;
};

} // namespace organizer::authorization
