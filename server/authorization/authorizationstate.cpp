#include "authorizationstate.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QLoggingCategory>
#include <QSqlError>
#include <QSqlQuery>

namespace organizer::authorization {

namespace {

Q_LOGGING_CATEGORY(lcState, "organizer.server.authorization.state")

using store::Database;

// NOT NULL text columns: a null QString would bind as SQL NULL.
QString text(const QString &value)
{
    return value.isNull() ? QStringLiteral("") : value;
}

QString hex(const QByteArray &bytes)
{
    return QString::fromLatin1(bytes.toHex());
}

} // namespace

QByteArray authorizeRequestToJson(const AuthorizeRequest &request)
{
    return QJsonDocument(QJsonObject{
                             {QStringLiteral("client_id"), request.clientId},
                             {QStringLiteral("redirect_uri"), request.redirectUri.toString(QUrl::FullyEncoded)},
                             {QStringLiteral("code"), request.wantsCode},
                             {QStringLiteral("token"), request.wantsAccessToken},
                             {QStringLiteral("id_token"), request.wantsIdToken},
                             {QStringLiteral("response_type"), request.responseType},
                             {QStringLiteral("response_mode"), request.responseMode},
                             {QStringLiteral("scopes"), QJsonArray::fromStringList(request.scopes)},
                             {QStringLiteral("audience"), request.audience},
                             {QStringLiteral("state"), request.state},
                             {QStringLiteral("nonce"), request.nonce},
                             {QStringLiteral("prompt"), request.prompt},
                             {QStringLiteral("max_age"), request.maxAge},
                             {QStringLiteral("code_challenge"), request.codeChallenge},
                             {QStringLiteral("code_challenge_method"), request.codeChallengeMethod},
                         })
        .toJson(QJsonDocument::Compact);
}

std::optional<AuthorizeRequest> authorizeRequestFromJson(const QByteArray &json)
{
    const QJsonObject object = QJsonDocument::fromJson(json).object();
    if (object.isEmpty())
        return std::nullopt;
    AuthorizeRequest request;
    request.clientId = object.value(QLatin1String("client_id")).toString();
    request.redirectUri = QUrl(object.value(QLatin1String("redirect_uri")).toString(), QUrl::StrictMode);
    request.wantsCode = object.value(QLatin1String("code")).toBool();
    request.wantsAccessToken = object.value(QLatin1String("token")).toBool();
    request.wantsIdToken = object.value(QLatin1String("id_token")).toBool();
    request.responseType = object.value(QLatin1String("response_type")).toString();
    request.responseMode = object.value(QLatin1String("response_mode")).toString();
    for (const QJsonValue &scope : object.value(QLatin1String("scopes")).toArray())
        request.scopes.append(scope.toString());
    request.audience = object.value(QLatin1String("audience")).toString();
    request.state = object.value(QLatin1String("state")).toString();
    request.nonce = object.value(QLatin1String("nonce")).toString();
    request.prompt = object.value(QLatin1String("prompt")).toString();
    request.maxAge = object.value(QLatin1String("max_age")).toInteger(-1);
    request.codeChallenge = object.value(QLatin1String("code_challenge")).toString();
    request.codeChallengeMethod = object.value(QLatin1String("code_challenge_method")).toString();
    return request;
}

AuthorizationState::AuthorizationState(std::shared_ptr<store::Database> database, resource::TokenRevocations *revocations, Clock clock)
    : m_database(std::move(database)), m_revocations(revocations), m_clock(std::move(clock))
{}

// ---------------------------------------------------------------------------------------------
// Transactions

namespace {

// The budget row that counts every login under way; no address group is ever spelled like it.
const QString kEveryone = QStringLiteral("*");

Expected<AuthorizationState::Budget, QString> budgetOf(QSqlDatabase &db, const QString &group)
{
    auto query = Database::execute(db, QStringLiteral("SELECT count, bytes FROM auth_transaction_budget WHERE address = ?"), {group},
                                   QStringLiteral("cannot read the logins under way"));
    if (!query)
        return Unexpected<QString>(query.error());
    if (!query->next())
        return AuthorizationState::Budget{};
    return AuthorizationState::Budget{qsizetype(query->value(0).toLongLong()), qsizetype(query->value(1).toLongLong())};
}

// Moves `group`'s row and the total by `count` logins of `bytes`; a group left with none goes.
Expected<Done, QString> adjustBudget(QSqlDatabase &db, const QString &group, qint64 count, qint64 bytes)
{
    for (const QString &row : {group, kEveryone}) {
        auto upsert = Database::execute(db,
                                        QStringLiteral("INSERT INTO auth_transaction_budget (address, count, bytes) VALUES (?, ?, ?) ON CONFLICT (address) "
                                                       "DO UPDATE SET count = auth_transaction_budget.count + excluded.count, "
                                                       "bytes = auth_transaction_budget.bytes + excluded.bytes"),
                                        {row, count, bytes}, QStringLiteral("cannot count the logins under way"));
        if (!upsert)
            return Unexpected<QString>(upsert.error());
    }
    auto empty = Database::execute(db, QStringLiteral("DELETE FROM auth_transaction_budget WHERE address = ? AND count <= 0"), {group},
                                   QStringLiteral("cannot count the logins under way"));
    if (!empty)
        return Unexpected<QString>(empty.error());
    return Done{};
}

// Removes `group`'s oldest logins under way until at least `count` of them and `bytes` are gone.
Expected<qsizetype, QString> evictOldest(QSqlDatabase &db, const QString &group, qsizetype count, qsizetype bytes)
{
    auto oldest = Database::execute(db, QStringLiteral("SELECT id, bytes FROM auth_transactions WHERE address = ? ORDER BY expires_at LIMIT 256"), {group},
                                    QStringLiteral("cannot make room for a login"));
    if (!oldest)
        return Unexpected<QString>(oldest.error());
    QStringList ids;
    qint64 freed = 0;
    while ((ids.size() < count || freed < bytes) && oldest->next()) {
        ids.append(oldest->value(0).toString());
        freed += oldest->value(1).toLongLong();
    }
    oldest->finish();
    for (const QString &id : ids) {
        auto gone = Database::execute(db, QStringLiteral("DELETE FROM auth_transactions WHERE id = ?"), {id}, QStringLiteral("cannot make room for a login"));
        if (!gone)
            return Unexpected<QString>(gone.error());
    }
    if (!ids.isEmpty()) {
        if (auto adjusted = adjustBudget(db, group, -qint64(ids.size()), -freed); !adjusted)
            return Unexpected<QString>(adjusted.error());
    }
    return ids.size();
}

} // namespace

auto AuthorizationState::transactionBudget(const QString &address) const -> Result<Budget>
{
    QSqlDatabase db = m_database->connection();
    return budgetOf(db, address.isNull() ? kEveryone : address);
}

auto AuthorizationState::putTransaction(const QByteArray &id, const Transaction &transaction, const PendingLoginLimits &limits) -> Result<qsizetype>
{
    const QString group = text(transaction.address);
    const qsizetype bytes = transaction.bytes;
    qsizetype evicted = 0;
    auto stored = m_database->transaction(
        [&](QSqlDatabase &db) -> Expected<Done, QString> {
            // Room is made, never refused: the group's own oldest go first when the group is past its
            // share; then, while the total is past its bound, the oldest of whichever group holds most.
            auto mine = budgetOf(db, group);
            if (!mine)
                return Unexpected<QString>(mine.error());
            if (mine->count + 1 > limits.perGroupCount || mine->bytes + bytes > limits.perGroupBytes) {
                auto made = evictOldest(db, group, mine->count + 1 - limits.perGroupCount, mine->bytes + bytes - limits.perGroupBytes);
                if (!made)
                    return Unexpected<QString>(made.error());
                evicted += *made;
            }
            for (int round = 0; round < 64; ++round) {
                auto all = budgetOf(db, kEveryone);
                if (!all)
                    return Unexpected<QString>(all.error());
                if (all->count + 1 <= limits.totalCount && all->bytes + bytes <= limits.totalBytes)
                    break;
                auto heaviest = Database::execute(
                    db, QStringLiteral("SELECT address FROM auth_transaction_budget WHERE address <> ? AND count > 0 ORDER BY bytes DESC, count DESC LIMIT 1"),
                    {kEveryone}, QStringLiteral("cannot make room for a login"));
                if (!heaviest)
                    return Unexpected<QString>(heaviest.error());
                if (!heaviest->next())
                    break;
                const QString from = heaviest->value(0).toString();
                heaviest->finish();
                auto made = evictOldest(db, from, all->count + 1 - limits.totalCount, all->bytes + bytes - limits.totalBytes);
                if (!made)
                    return Unexpected<QString>(made.error());
                if (*made == 0)
                    break; // the counters disagree with the table; the next prune() rebuilds them
                evicted += *made;
            }
            auto insert = Database::execute(
                db,
                QStringLiteral("INSERT INTO auth_transactions (id, request, csrf, browser, subject, auth_time, address, bytes, expires_at) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                {QString::fromLatin1(id), QString::fromUtf8(authorizeRequestToJson(transaction.request)), QString::fromLatin1(transaction.csrf),
                 QString::fromLatin1(transaction.browser), text(transaction.subject), transaction.authTime, group, qint64(bytes), transaction.expiresAt},
                QStringLiteral("cannot store the login"));
            if (!insert)
                return Unexpected<QString>(insert.error());
            return adjustBudget(db, group, 1, bytes);
        },
        true);
    if (!stored)
        return Unexpected<QString>(stored.error());
    return evicted;
}

auto AuthorizationState::transaction(const QByteArray &id) const -> Result<std::optional<Transaction>>
{
    if (id.isEmpty())
        return std::optional<Transaction>();
    auto query = m_database->execute(QStringLiteral("SELECT request, csrf, browser, subject, auth_time, address, bytes, expires_at FROM auth_transactions "
                                                    "WHERE id = ? AND expires_at > ?"),
                                     {QString::fromLatin1(id), m_clock()}, QStringLiteral("cannot read the login"));
    if (!query)
        return Unexpected<QString>(query.error());
    if (!query->next())
        return std::optional<Transaction>();
    auto request = authorizeRequestFromJson(query->value(0).toString().toUtf8());
    if (!request)
        return Unexpected<QString>(QStringLiteral("a stored login cannot be read back"));
    Transaction transaction;
    transaction.request = std::move(*request);
    transaction.csrf = query->value(1).toString().toLatin1();
    transaction.browser = query->value(2).toString().toLatin1();
    transaction.subject = query->value(3).toString();
    transaction.authTime = query->value(4).toLongLong();
    transaction.address = query->value(5).toString();
    transaction.bytes = qsizetype(query->value(6).toLongLong());
    transaction.expiresAt = query->value(7).toLongLong();
    return std::optional<Transaction>(std::move(transaction));
}

auto AuthorizationState::markLoggedIn(const QByteArray &id, const QString &subject, qint64 authTime, const QByteArray &csrf) -> Result<Done>
{
    auto query
        = m_database->execute(QStringLiteral("UPDATE auth_transactions SET subject = ?, auth_time = ?, csrf = ? WHERE id = ?"),
                              {text(subject), authTime, QString::fromLatin1(csrf), QString::fromLatin1(id)}, QStringLiteral("cannot store the login's user"));
    if (!query)
        return Unexpected<QString>(query.error());
    return Done{};
}

auto AuthorizationState::takeTransaction(const QByteArray &id) -> Result<bool>
{
    bool taken = false;
    auto done = m_database->transaction([&](QSqlDatabase &db) -> Expected<Done, QString> {
        auto query = Database::execute(db, QStringLiteral("DELETE FROM auth_transactions WHERE id = ? RETURNING address, bytes"), {QString::fromLatin1(id)},
                                       QStringLiteral("cannot finish the login"));
        if (!query)
            return Unexpected<QString>(query.error());
        if (!query->next())
            return Done{};
        taken = true;
        const QString group = query->value(0).toString();
        const qint64 bytes = query->value(1).toLongLong();
        query->finish();
        return adjustBudget(db, group, -1, -bytes);
    });
    if (!done)
        return Unexpected<QString>(done.error());
    return taken;
}

// ---------------------------------------------------------------------------------------------
// Sessions

auto AuthorizationState::putSession(const QByteArray &idHash, const Session &session) -> Result<Done>
{
    auto query = m_database->execute(QStringLiteral("INSERT INTO auth_sessions (id_hash, subject, auth_time, expires_at) VALUES (?, ?, ?, ?)"),
                                     {hex(idHash), text(session.subject), session.authTime, session.expiresAt}, QStringLiteral("cannot store the session"));
    if (!query)
        return Unexpected<QString>(query.error());
    return Done{};
}

auto AuthorizationState::session(const QByteArray &idHash) const -> Result<std::optional<Session>>
{
    auto query = m_database->execute(QStringLiteral("SELECT subject, auth_time, expires_at FROM auth_sessions WHERE id_hash = ? AND expires_at > ?"),
                                     {hex(idHash), m_clock()}, QStringLiteral("cannot read the session"));
    if (!query)
        return Unexpected<QString>(query.error());
    if (!query->next())
        return std::optional<Session>();
    return std::optional<Session>(Session{query->value(0).toString(), query->value(1).toLongLong(), query->value(2).toLongLong()});
}

auto AuthorizationState::dropSession(const QByteArray &idHash) -> Result<Done>
{
    auto query = m_database->execute(QStringLiteral("DELETE FROM auth_sessions WHERE id_hash = ?"), {hex(idHash)}, QStringLiteral("cannot end the session"));
    if (!query)
        return Unexpected<QString>(query.error());
    return Done{};
}

// ---------------------------------------------------------------------------------------------
// Codes

auto AuthorizationState::putCode(const QByteArray &codeHash, const Code &code) -> Result<Done>
{
    auto query
        = m_database->execute(QStringLiteral("INSERT INTO auth_codes (code_hash, request, subject, scopes, auth_time, expires_at) VALUES (?, ?, ?, ?, ?, ?)"),
                              {hex(codeHash), QString::fromUtf8(authorizeRequestToJson(code.request)), text(code.subject), code.scopes.join(QLatin1Char(' ')),
                               code.authTime, code.expiresAt},
                              QStringLiteral("cannot store the authorization code"));
    if (!query)
        return Unexpected<QString>(query.error());
    return Done{};
}

auto AuthorizationState::redeemCode(const QByteArray &codeHash) -> Result<Redeemed>
{
    // One conditional UPDATE: however many instances race, one of them flips `redeemed`.
    auto flip = m_database->execute(QStringLiteral("UPDATE auth_codes SET redeemed = 1 WHERE code_hash = ? AND redeemed = 0 AND expires_at > ?"),
                                    {hex(codeHash), m_clock()}, QStringLiteral("cannot redeem the authorization code"));
    if (!flip)
        return Unexpected<QString>(flip.error());
    const bool won = flip->numRowsAffected() == 1;
    auto query = m_database->execute(
        QStringLiteral("SELECT request, subject, scopes, auth_time, expires_at, redeemed, refresh_family, access_fingerprint, access_expires_at "
                       "FROM auth_codes WHERE code_hash = ?"),
        {hex(codeHash)}, QStringLiteral("cannot read the authorization code"));
    if (!query)
        return Unexpected<QString>(query.error());
    if (!query->next())
        return Redeemed{};
    Code code;
    if (auto request = authorizeRequestFromJson(query->value(0).toString().toUtf8()))
        code.request = std::move(*request);
    code.subject = query->value(1).toString();
    code.scopes = query->value(2).toString().split(QLatin1Char(' '), Qt::SkipEmptyParts);
    code.authTime = query->value(3).toLongLong();
    code.expiresAt = query->value(4).toLongLong();
    code.refreshFamily = query->value(6).toString().toLatin1();
    code.accessFingerprint = QByteArray::fromHex(query->value(7).toString().toLatin1());
    code.accessExpiresAt = query->value(8).toLongLong();
    if (won)
        return Redeemed{Redemption::Redeemed, std::move(code)};
    // Not ours to spend: expired before anyone used it, or spent already.
    return Redeemed{query->value(5).toInt() == 1 ? Redemption::PresentedAgain : Redemption::Unknown, std::move(code)};
}

auto AuthorizationState::noteCodeTokens(const QByteArray &codeHash, const QByteArray &refreshFamily, const QByteArray &accessFingerprint,
                                        qint64 accessExpiresAt) -> Result<Done>
{
    auto query
        = m_database->execute(QStringLiteral("UPDATE auth_codes SET refresh_family = ?, access_fingerprint = ?, access_expires_at = ? WHERE code_hash = ?"),
                              {text(QString::fromLatin1(refreshFamily)), hex(accessFingerprint), accessExpiresAt, hex(codeHash)},
                              QStringLiteral("cannot note what the authorization code bought"));
    if (!query)
        return Unexpected<QString>(query.error());
    return Done{};
}

// ---------------------------------------------------------------------------------------------
// Revocations

void AuthorizationState::revokeAccessToken(const QByteArray &fingerprint, qint64 expiresAt)
{
    const qint64 now = m_clock();
    if (expiresAt <= now)
        return; // refused anyway
    m_revocations->revoke(fingerprint, expiresAt, now);
    if (auto stored = m_database->execute(QStringLiteral("INSERT INTO revoked_tokens (fingerprint, expires_at) VALUES (?, ?)"), {hex(fingerprint), expiresAt},
                                          QStringLiteral("cannot share a revocation"));
        !stored)
        qCCritical(lcState).noquote() << stored.error() << "- the token is refused by this instance only";
    else
        m_database->announce(QStringLiteral("revocations")); // the other instances read the list at once, not at their next poll
}

auto AuthorizationState::followRevocations() -> Result<int>
{
    // Identity values can commit out of order under concurrent writers: look back a little each time
    // (revoking twice is harmless).
    auto query = m_database->execute(QStringLiteral("SELECT id, fingerprint, expires_at FROM revoked_tokens WHERE id > ? AND expires_at > ? ORDER BY id"),
                                     {m_lastRevocation - 256, m_clock()}, QStringLiteral("cannot read the revocations"));
    if (!query)
        return Unexpected<QString>(query.error());
    int fresh = 0;
    // A family revoked elsewhere arrives as thousands of rows at once: into the list under one lock.
    QList<resource::TokenRevocations::Revoked> revoked;
    while (query->next()) {
        const qint64 id = query->value(0).toLongLong();
        if (id > m_lastRevocation)
            ++fresh;
        m_lastRevocation = std::max(m_lastRevocation, id);
        revoked.append({QByteArray::fromHex(query->value(1).toString().toLatin1()), query->value(2).toLongLong()});
    }
    m_revocations->revokeAll(revoked, m_clock());
    return fresh;
}

auto AuthorizationState::sharedSecret(const QString &name) -> Result<QByteArray>
{
    return authorization::sharedSecret(*m_database, name);
}

Expected<QByteArray, QString> sharedSecret(const store::Database &database, const QString &name)
{
    QByteArray candidate(32, Qt::Uninitialized);
    QRandomGenerator::system()->generate(reinterpret_cast<quint32 *>(candidate.data()), reinterpret_cast<quint32 *>(candidate.data() + candidate.size()));
    auto offered = database.execute(QStringLiteral("INSERT INTO server_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"),
                                    {name, hex(candidate)}, QStringLiteral("cannot store a server secret"));
    if (!offered)
        return Unexpected<QString>(offered.error());
    auto query = database.execute(QStringLiteral("SELECT value FROM server_secrets WHERE name = ?"), {name}, QStringLiteral("cannot read a server secret"));
    if (!query)
        return Unexpected<QString>(query.error());
    if (!query->next())
        return Unexpected<QString>(QStringLiteral("the server secret %1 is missing").arg(name));
    return QByteArray::fromHex(query->value(0).toString().toLatin1());
}

void AuthorizationState::prune()
{
    const qint64 now = m_clock();
    // Expired logins under way go with their counters rebuilt in the same step: the one scan of the
    // table is here, on the sweeper's timer, never on a request.
    auto swept = m_database->transaction(
        [now](QSqlDatabase &db) -> Expected<Done, QString> {
            const QList<std::pair<QString, QVariantList>> steps{
                {QStringLiteral("DELETE FROM auth_transactions WHERE expires_at <= ?"), {now}},
                {QStringLiteral("DELETE FROM auth_transaction_budget"), {}},
                {QStringLiteral("INSERT INTO auth_transaction_budget (address, count, bytes) SELECT address, COUNT(*), SUM(bytes) FROM auth_transactions "
                                "GROUP BY address"),
                 {}},
                {QStringLiteral(
                     "INSERT INTO auth_transaction_budget (address, count, bytes) SELECT ?, COUNT(*), COALESCE(SUM(bytes), 0) FROM auth_transactions"),
                 {kEveryone}},
            };
            for (const auto &[sql, values] : steps) {
                if (auto done = Database::execute(db, sql, values, QStringLiteral("cannot forget the logins that expired")); !done)
                    return Unexpected<QString>(done.error());
            }
            return Done{};
        },
        true);
    if (!swept)
        qCWarning(lcState).noquote() << swept.error();
    const QList<std::pair<QString, QVariantList>> statements{
        {QStringLiteral("DELETE FROM auth_sessions WHERE expires_at <= ?"), {now}},
        {QStringLiteral("DELETE FROM auth_codes WHERE expires_at <= ? AND access_expires_at <= ?"), {now, now}},
        {QStringLiteral("DELETE FROM revoked_tokens WHERE expires_at <= ?"), {now}},
    };
    for (const auto &[sql, values] : statements) {
        if (auto done = m_database->execute(sql, values, QStringLiteral("cannot forget what expired")); !done)
            qCWarning(lcState).noquote() << done.error();
    }
}

} // namespace organizer::authorization
