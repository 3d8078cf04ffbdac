#pragma once

#include "authorizerequest.h"
#include "database.h"
#include "expected.h"
#include "jwtverifier.h"
#include "tokenrevocations.h"

#include <QByteArray>
#include <QCryptographicHash>
#include <QString>
#include <QStringList>

#include <limits>
#include <memory>
#include <optional>

namespace organizer::authorization {

// A login under way: /authorize starts it, the login and consent pages continue it.
struct Transaction
{
    AuthorizeRequest request;
    QByteArray csrf;
    QByteArray browser;
    qint64 expiresAt = 0;
    QString subject; // set once the user logged in for this transaction
    qint64 authTime = 0;
    QString address; // who started it, for the per-address bound
    qsizetype bytes = 0; // roughly what it holds, for the storage bound
};

// Bounds on the logins under way, per address group and in total.
struct PendingLoginLimits
{
    qsizetype perGroupCount = std::numeric_limits<qsizetype>::max();
    qsizetype perGroupBytes = std::numeric_limits<qsizetype>::max();
    qsizetype totalCount = std::numeric_limits<qsizetype>::max();
    qsizetype totalBytes = std::numeric_limits<qsizetype>::max();
};

struct Session
{
    QString subject;
    qint64 authTime = 0;
    qint64 expiresAt = 0;
};

struct Code
{
    AuthorizeRequest request;
    QString subject;
    QStringList scopes;
    qint64 authTime = 0;
    qint64 expiresAt = 0;
    // Once presented, the code is spent; what it bought is kept so a second presentation can revoke it
    // (RFC 6749 §4.1.2), until that access token would have expired.
    QByteArray refreshFamily;
    QByteArray accessFingerprint;
    qint64 accessExpiresAt = 0;
};

// What the authorization server keeps between requests — logins under way, browser sessions,
// authorization codes and revoked access tokens — in the server's database, so that any instance on
// a shared database can continue what another started. Steps that must happen once (redeeming a
// code, finishing a login) are single conditional statements: whichever instance runs first wins,
// the other learns it lost. Secrets (session cookies, codes) are kept as SHA-256 only.
class AuthorizationState
{
public:
    template <typename T>
    using Result = Expected<T, QString>;

    AuthorizationState(std::shared_ptr<store::Database> database, resource::TokenRevocations *revocations, Clock clock);

    struct Budget
    {
        qsizetype count = 0;
        qsizetype bytes = 0;
    };
    // What the logins under way started from `address` (an address group) hold, or everyone's when
    // `address` is null: two counters kept with every change, so reading them costs one row.
    Result<Budget> transactionBudget(const QString &address) const;
    // Stores a login under way (its address group in `transaction.address`) within `limits`, making room
    // rather than refusing it, so a flood never locks others out: past its group's share, the group's own
    // oldest go; past the total, the oldest of the group that holds most. Returns how many went.
    Result<qsizetype> putTransaction(const QByteArray &id, const Transaction &transaction, const PendingLoginLimits &limits = {});
    // nullopt: unknown, expired or finished.
    Result<std::optional<Transaction>> transaction(const QByteArray &id) const;
    Result<Done> markLoggedIn(const QByteArray &id, const QString &subject, qint64 authTime, const QByteArray &csrf);
    // Ends the transaction; false when another request (on any instance) ended it first.
    Result<bool> takeTransaction(const QByteArray &id);

    // Sessions by the SHA-256 of their cookie.
    Result<Done> putSession(const QByteArray &idHash, const Session &session);
    Result<std::optional<Session>> session(const QByteArray &idHash) const;
    Result<Done> dropSession(const QByteArray &idHash);

    // Codes by their SHA-256.
    Result<Done> putCode(const QByteArray &codeHash, const Code &code);
    enum class Redemption { Redeemed, PresentedAgain, Unknown };
    struct Redeemed
    {
        Redemption outcome = Redemption::Unknown;
        Code code; // Redeemed: what it was issued for; PresentedAgain: what its redemption bought
    };
    // Spends the code: exactly one caller on any instance gets Redeemed.
    Result<Redeemed> redeemCode(const QByteArray &codeHash);
    Result<Done> noteCodeTokens(const QByteArray &codeHash, const QByteArray &refreshFamily, const QByteArray &accessFingerprint, qint64 accessExpiresAt);

    // Withdraws an access token everywhere: on the shared list and in this process's copy.
    void revokeAccessToken(const QByteArray &fingerprint, qint64 expiresAt);
    // Copies what other instances revoked into this process's list; returns how many entries came.
    Result<int> followRevocations();

    // A random secret every instance on the database shares, made by the first one that asks.
    Result<QByteArray> sharedSecret(const QString &name);

    // Forgets what has expired.
    void prune();

    store::Database &database() const { return *m_database; }

private:
    std::shared_ptr<store::Database> m_database;
    resource::TokenRevocations *m_revocations;
    Clock m_clock;
    qint64 m_lastRevocation = 0;
};

// What a session cookie or a code is kept and looked up as: its SHA-256, never the secret itself.
inline QByteArray storedHashOf(const QByteArray &secret)
{
    return QCryptographicHash::hash(secret, QCryptographicHash::Sha256);
}

// A random secret every instance on `database` shares, made by the first one that asks.
Expected<QByteArray, QString> sharedSecret(const store::Database &database, const QString &name);

QByteArray authorizeRequestToJson(const AuthorizeRequest &request);
std::optional<AuthorizeRequest> authorizeRequestFromJson(const QByteArray &json);

} // namespace organizer::authorization
