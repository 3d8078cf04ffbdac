#include "qarunner.h"

#include "base64url.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace organizer::qa {

Q_LOGGING_CATEGORY(lcQa, "organizer.app.qa")

namespace {

constexpr qint64 kMaxBody = 1024 * 1024;

QJsonObject decodeSegment(const QByteArray &token, int index)
{
    const auto bytes = jose::base64UrlDecode(token.split('.').value(index));
    return bytes ? QJsonDocument::fromJson(*bytes).object() : QJsonObject();
}

QString idOf(const QByteArray &body)
{
    const QJsonValue id = QJsonDocument::fromJson(body).object().value(QLatin1String("id"));
    return id.isDouble() ? QString::number(id.toInteger()) : id.toString();
}

} // namespace

QString bearerErrorCode(const QByteArray &challenge)
{
    static const QRegularExpression error(QStringLiteral("\\berror=\"([^\"]*)\""));
    return error.match(QString::fromLatin1(challenge)).captured(1);
}

QByteArray tamperedCopy(const QByteArray &token)
{
    QByteArrayList parts = token.split('.');
    if (parts.size() != 3)
        return token + "x";
    QJsonObject claims = decodeSegment(token, 1);
    claims.insert(QStringLiteral("sub"), QStringLiteral("forged|mallory"));
    claims.insert(QStringLiteral("scope"), claims.value(QLatin1String("scope")).toString() + QStringLiteral(" admin"));
    parts[1] = jose::base64UrlEncode(QJsonDocument(claims).toJson(QJsonDocument::Compact));
    return parts.join('.');
}

QaTarget QaTarget::forProfile(const app::Profile &profile, const QUrl &localServer)
{
    QaTarget target;
    target.issuer = profile.local ? localServer : profile.issuer;
    target.apiBaseUrl = profile.local || profile.apiBaseUrl.isEmpty() ? target.issuer : profile.apiBaseUrl;
    target.clientId = profile.clientId;
    target.redirectUri = profile.redirectUri;
    target.flow = profile.flow;
    target.resource = profile.resource;
    return target;
}

QaRunner::QaRunner(app::OidcClient *oidc, app::LoginSession *session, app::LoginBrowser *browser, QObject *parent)
    : QObject(parent), m_oidc(oidc), m_session(session), m_browser(browser), m_automation(browser)
{
    m_loginTimeout.setSingleShot(true);
    auto report = [this](const LoginOutcome &outcome) {
        if (!m_loginDone)
            return;
        m_loginTimeout.stop();
        std::exchange(m_loginDone, nullptr)(outcome);
    };
    connect(&m_loginTimeout, &QTimer::timeout, this, [this, report] {
        if (!m_loginDone)
            return;
        m_session->cancel(); // its failed() is ignored: the outcome below is reported first
        report({nullptr, QStringLiteral("the login did not finish within %1 s").arg((m_byHand ? kLoginByHandTimeoutMs : kLoginTimeoutMs) / 1000), {}});
    });
    connect(m_session, &app::LoginSession::authorizeWithBrowser, this, [this](const QUrl &url) {
        if (m_loginDone)
            m_browser->open(url);
    });
    connect(m_session, &app::LoginSession::succeeded, this, [report](const app::LoginResult &result) { report({&result, {}, {}}); });
    connect(m_session, &app::LoginSession::failed, this, [report](const app::LoginError &error) {
        report({nullptr, error.message, error.kind == app::LoginError::Kind::ProviderError ? error.providerError : QString()});
    });
    connect(&m_automation, &app::LoginAutomation::failed, this, [this, report](const QString &reason) {
        if (!m_loginDone)
            return;
        auto done = std::exchange(m_loginDone, nullptr);
        m_loginTimeout.stop();
        m_session->cancel();
        done({nullptr, reason, {}});
    });
    auto recordStep = [this](app::Lane from, app::Lane to, const QString &label, app::FlowStep::Outcome outcome, const QString &detail) {
        record(from, to, label, outcome, detail);
    };
    connect(m_session, &app::LoginSession::step, this, recordStep);
    connect(&m_automation, &app::LoginAutomation::step, this, recordStep);
    connect(&m_automation, &app::LoginAutomation::personNeeded, this, &QaRunner::personNeeded);
}

QaRunner::~QaRunner()
{
    m_loginDone = nullptr;
    ++m_generation;
}

void QaRunner::record(app::Lane from, app::Lane to, const QString &label, app::FlowStep::Outcome outcome, const QString &detail, qint64 ms)
{
    if (m_currentRow >= 0 && m_currentRow < m_run.rows.size())
        m_run.rows[m_currentRow].timeline.add(from, to, label, outcome, detail, ms);
}

void QaRunner::start(const Plan &plan, const QaTarget &target)
{
    if (m_running)
        return;
    m_target = target;
    m_run = QaRun{};
    m_run.plan = plan;
    m_run.target = target.issuer.toString();
    const QList<RowSpec> specs = planRows(plan);
    QList<int> rows;
    for (const RowSpec &spec : specs) {
        RowResult row;
        row.spec = spec;
        row.label = rowLabel(plan, spec);
        row.expected = expectRow(plan, spec);
        for (const Endpoint &endpoint : plan.endpoints) {
            CellResult cell;
            cell.expected = expectCell(plan, spec, row.expected, endpoint);
            row.cells.append(cell);
        }
        rows.append(int(m_run.rows.size()));
        m_run.rows.append(row);
    }
    begin(rows);
}

void QaRunner::rerunRow(int row)
{
    if (m_running || row < 0 || row >= m_run.rows.size())
        return;
    RowResult &result = m_run.rows[row];
    result.verdict = Verdict::Pending;
    result.tokenObtained = false;
    result.tokenError.clear();
    result.loginProblem.clear();
    result.grantedScopes.clear();
    result.tokenClaims = {};
    result.tokenHeader = {};
    result.accessToken.clear();
    for (CellResult &cell : result.cells) {
        const CellExpectation expected = cell.expected;
        cell = CellResult{};
        cell.expected = expected;
    }
    begin({row});
}

void QaRunner::begin(QList<int> rows)
{
    m_running = true;
    m_cancelled = false;
    m_run.cancelled = false;
    m_run.problem.clear();
    m_queue = std::move(rows);
    m_done = 0;
    m_total = int(m_queue.size());
    // A re-run row adds its time to the run's; a whole run starts the figures afresh.
    m_wholeRun = m_queue.size() == m_run.rows.size();
    if (m_wholeRun) {
        m_run.startedAt = QDateTime::currentDateTimeUtc();
        m_run.durationMs = 0;
        m_run.loginMs = m_run.callMs = m_run.setupMs = 0;
    }
    m_clock.start();
    ++m_generation;
    Q_EMIT started();
    Q_EMIT progress(0, m_total);
    prepare([this] { nextRow(); });
}

void QaRunner::cancel()
{
    if (!m_running || m_cancelled)
        return;
    m_cancelled = true;
    m_run.cancelled = true;
    if (m_loginDone) {
        m_loginTimeout.stop();
        m_automation.disarm();
        m_session->cancel(); // reports through failed(), which continues the run towards its cleanup
    }
}

void QaRunner::runSeries(QList<Step> steps, std::function<void()> done)
{
    if (steps.isEmpty())
        return done();
    Step first = steps.takeFirst();
    first([this, steps = std::move(steps), done = std::move(done)]() mutable { runSeries(std::move(steps), std::move(done)); });
}

void QaRunner::prepare(std::function<void()> done)
{
    const qint64 setupStart = m_clock.elapsed();
    m_fixtureToken.clear();
    m_probeTokens.clear();
    m_fixtureIds.clear();
    m_fixtureProblem.clear();
    m_probeProblem.clear();
    // The run's own token makes and removes records: every endpoint's scope, and the delete scope of
    // each collection written to even when the plan probes no delete (Organizer's action:api naming).
    QStringList allScopes;
    for (const Endpoint &endpoint : m_run.plan.endpoints) {
        if (!allScopes.contains(endpoint.scope))
            allScopes.append(endpoint.scope);
    }
    for (const Endpoint &endpoint : m_run.plan.endpoints) {
        if (endpoint.method != "POST")
            continue;
        const auto remover = std::find_if(m_run.plan.endpoints.begin(), m_run.plan.endpoints.end(),
                                          [&](const Endpoint &e) { return e.method == "DELETE" && e.collectionPath() == endpoint.path; });
        const QString deleteScope = remover != m_run.plan.endpoints.end() ? remover->scope
            : endpoint.scope.startsWith(QLatin1String("create:"))         ? QStringLiteral("delete:") + endpoint.scope.mid(7)
                                                                          : QString();
        if (!deleteScope.isEmpty() && !allScopes.contains(deleteScope))
            allScopes.append(deleteScope);
    }
    QList<Step> steps;
    steps.append([this](std::function<void()> next) {
        m_oidc->discover(m_target.issuer, [this, next, generation = m_generation](const app::ProviderMetadata &metadata, const QString &error) {
            if (generation != m_generation)
                return;
            m_metadata = metadata;
            if (error.isEmpty())
                return next();
            // Nothing can be logged in to: say so once instead of failing every cell with the same reason.
            m_run.problem = QStringLiteral("cannot read the provider's configuration at %1: %2").arg(m_target.issuer.toString(), error);
            qCWarning(lcQa).noquote() << m_run.problem;
            m_cancelled = true;
            for (int row : std::as_const(m_queue)) {
                notRun(m_run.rows[row], m_run.problem);
                m_run.rows[row].verdict = Verdict::NotRun;
                Q_EMIT rowChanged(row);
            }
            m_queue.clear();
            finishRun();
        });
    });
    if (!m_tokenSource) {
        m_probeProblem = QStringLiteral("needs a token signed by the issuer's own key (run it against the bundled server)");
        // Records are made for {id} cells, and what a create makes is removed: both need a token with every scope.
        const bool needsRecords
            = std::any_of(m_run.plan.endpoints.begin(), m_run.plan.endpoints.end(), [](const Endpoint &e) { return e.needsRecord() || e.method == "POST"; });
        if (needsRecords)
            steps.append([this, allScopes](std::function<void()> next) { loginForRecords(allScopes, next); });
    } else {
        const QString audience = m_run.plan.audience;
        struct Wanted
        {
            int probe;
            MintRequest request;
        };
        QList<Wanted> wanted{{-1, {QStringLiteral("qa|fixtures"), allScopes, audience, false}}};
        const QList<Probe> &probes = m_run.plan.probes;
        if (probes.contains(Probe::ExpiredToken))
            wanted.append({int(Probe::ExpiredToken), {QStringLiteral("qa|expired"), allScopes, audience, true}});
        if (probes.contains(Probe::OtherAudience))
            wanted.append({int(Probe::OtherAudience), {QStringLiteral("qa|other-audience"), allScopes, QStringLiteral("https://other-api.example/"), false}});
        if (probes.contains(Probe::WithoutOpenId) || probes.contains(Probe::TamperedToken))
            wanted.append({int(Probe::WithoutOpenId), {QStringLiteral("qa|without-openid"), allScopes, audience, false}});
        for (const Wanted &entry : wanted) {
            steps.append([this, entry](std::function<void()> next) {
                m_tokenSource->mint(entry.request, [this, entry, next, generation = m_generation](const QByteArray &token, const QString &error) {
                    if (generation != m_generation)
                        return;
                    if (!error.isEmpty()) {
                        (entry.probe < 0 ? m_fixtureProblem : m_probeProblem) = error;
                    } else if (entry.probe < 0) {
                        m_fixtureToken = token;
                    } else {
                        m_probeTokens.insert(entry.probe, token);
                    }
                    next();
                });
            });
        }
    }
    // The records GET and PUT {id} work on: one per collection, made once, removed at the end.
    QStringList collections;
    for (const Endpoint &endpoint : m_run.plan.endpoints) {
        if (endpoint.needsRecord() && endpoint.method != "DELETE" && !collections.contains(endpoint.collectionPath()))
            collections.append(endpoint.collectionPath());
    }
    for (const QString &collection : collections) {
        steps.append([this, collection](std::function<void()> next) {
            if (m_fixtureToken.isEmpty())
                return next();
            createRecord(collection, [this, collection, next](const QString &id) {
                if (!id.isEmpty())
                    m_fixtureIds.insert(collection, id);
                next();
            });
        });
    }
    runSeries(steps, [this, setupStart, done] {
        m_run.setupMs += m_clock.elapsed() - setupStart;
        done();
    });
}

void QaRunner::nextRow()
{
    if (m_queue.isEmpty() || m_cancelled) {
        for (int row : std::as_const(m_queue)) {
            notRun(m_run.rows[row], QStringLiteral("the run was cancelled"));
            m_run.rows[row].verdict = Verdict::NotRun;
            Q_EMIT rowChanged(row);
        }
        m_queue.clear();
        return finishRun();
    }
    const int row = m_queue.takeFirst();
    m_currentRow = row;
    RowResult &result = m_run.rows[row];
    result.verdict = Verdict::Running;
    result.timeline = app::FlowTimeline(result.label);
    result.timeline.start();
    Q_EMIT rowChanged(row);
    m_rowClock.start();
    obtainToken(row, [this, row] {
        m_run.rows[row].loginMs = m_rowClock.elapsed();
        m_run.loginMs += m_rowClock.elapsed();
        runCell(row, 0);
    });
}

void QaRunner::acceptToken(RowResult &row, const QByteArray &token)
{
    row.tokenObtained = !token.isEmpty();
    row.tokenHeader = decodeSegment(token, 0);
    row.tokenClaims = decodeSegment(token, 1);
    row.grantedScopes = row.tokenClaims.value(QLatin1String("scope")).toString().split(QLatin1Char(' '), Qt::SkipEmptyParts);
    row.accessToken = token;
}

void QaRunner::obtainToken(int row, std::function<void()> done)
{
    RowResult &result = m_run.rows[row];
    if (result.spec.isProbe()) {
        const Probe probe = *result.spec.probe;
        QByteArray token;
        switch (probe) {
        case Probe::NoToken:
            record(app::Lane::App, app::Lane::App, QStringLiteral("no token: calls go without Authorization"), app::FlowStep::Outcome::Info);
            return done();
        case Probe::TamperedToken: {
            const QByteArray base = m_probeTokens.value(int(Probe::WithoutOpenId), m_lastPersonToken);
            if (base.isEmpty()) {
                notRun(result, QStringLiteral("no real token to tamper with: %1").arg(m_probeProblem));
                return done();
            }
            token = tamperedCopy(base);
            record(app::Lane::App, app::Lane::App, QStringLiteral("tampered a real token: payload changed, signature kept"), app::FlowStep::Outcome::Info);
            break;
        }
        default:
            token = m_probeTokens.value(int(probe));
            if (token.isEmpty()) {
                notRun(result, QStringLiteral("%1 %2").arg(probeDescription(probe), m_probeProblem));
                return done();
            }
            record(app::Lane::App, app::Lane::App, QStringLiteral("%1, minted by organizer-server token").arg(probeDescription(probe)),
                   app::FlowStep::Outcome::Info);
        }
        acceptToken(result, token);
        return done();
    }
    const PlanUser &user = m_run.plan.users.at(result.spec.userIndex);
    if (user.kind == PlanUser::Kind::ClientCredentials)
        return requestClientToken(row, std::move(done));
    loginPerson(row, std::move(done));
}

void QaRunner::requestClientToken(int row, std::function<void()> done)
{
    RowResult &result = m_run.rows[row];
    const PlanUser &user = m_run.plan.users.at(result.spec.userIndex);
    const QStringList scopes = m_run.plan.scopeSets.at(result.spec.scopeSetIndex).scopes;
    QList<QPair<QString, QString>> form{{QStringLiteral("grant_type"), QStringLiteral("client_credentials")},
                                        {QStringLiteral("client_id"), user.clientId},
                                        {QStringLiteral("client_secret"), user.clientSecret},
                                        {QStringLiteral("audience"), m_run.plan.audience}};
    if (!m_target.resource.isEmpty())
        form.append({QStringLiteral("resource"), m_target.resource});
    if (!scopes.isEmpty())
        form.append({QStringLiteral("scope"), scopes.join(QLatin1Char(' '))});
    if (!m_metadata.tokenEndpoint.isValid()) {
        result.loginProblem = QStringLiteral("the provider's configuration could not be read, so its token endpoint is unknown");
        return done();
    }
    QElapsedTimer timer;
    timer.start();
    m_oidc->requestToken(m_metadata.tokenEndpoint, form, [this, row, done, timer, generation = m_generation](const QJsonObject &body, const QString &error) {
        if (generation != m_generation)
            return;
        RowResult &answered = m_run.rows[row];
        const QString label = QStringLiteral("POST %1 (client_credentials)").arg(m_metadata.tokenEndpoint.path());
        if (!error.isEmpty()) {
            answered.tokenError = body.value(QLatin1String("error")).toString();
            answered.loginProblem = error;
            record(app::Lane::App, app::Lane::AuthorizationServer,
                   label + QStringLiteral(" → ") + (answered.tokenError.isEmpty() ? error : answered.tokenError),
                   answered.expected.tokenIssued ? app::FlowStep::Outcome::Failed : app::FlowStep::Outcome::Ok, error, timer.elapsed());
        } else {
            acceptToken(answered, body.value(QLatin1String("access_token")).toString().toLatin1());
            record(app::Lane::App, app::Lane::AuthorizationServer, label + QStringLiteral(" → access token"), app::FlowStep::Outcome::Ok,
                   QStringLiteral("scope: %1").arg(answered.grantedScopes.join(QLatin1Char(' '))), timer.elapsed());
        }
        done();
    });
}

void QaRunner::login(const PlanUser &user, const QStringList &scopes, std::function<void(const LoginOutcome &)> done)
{
    if (m_browserUser != user.login) {
        // Another person: forget the previous one's session. The same person keeps it, as a browser
        // would, and only sees the consent page for scopes not granted before.
        m_browser->clearSession();
        m_browserUser = user.login;
    }
    app::LoginSettings settings;
    settings.issuer = m_target.issuer;
    settings.clientId = m_target.clientId;
    settings.audience = m_run.plan.audience;
    settings.resource = m_target.resource;
    settings.redirectUri = m_target.redirectUri;
    settings.flow = m_target.flow;
    settings.scopes = scopes;
    if (m_byHand)
        m_automation.expectByHand(user.login);
    else
        m_automation.expect(user.login, user.password);
    m_loginDone = [this, done](const LoginOutcome &outcome) {
        m_automation.disarm();
        if (!outcome.result)
            m_browserUser.clear(); // whatever the browser holds now is not a known session
        done(outcome);
    };
    m_loginTimeout.start(m_byHand ? kLoginByHandTimeoutMs : kLoginTimeoutMs);
    m_session->start(settings);
}

void QaRunner::loginPerson(int row, std::function<void()> done)
{
    const RowResult &result = m_run.rows[row];
    login(m_run.plan.users.at(result.spec.userIndex), result.expected.requestedScopes, [this, row, done](const LoginOutcome &outcome) {
        RowResult &answered = m_run.rows[row];
        if (outcome.result) {
            acceptToken(answered, outcome.result->accessToken);
            m_lastPersonToken = outcome.result->accessToken;
        } else {
            answered.loginProblem = outcome.problem;
            answered.tokenError = outcome.providerError;
        }
        // Let the web view finish the aborted navigation before anything else is loaded into it.
        QTimer::singleShot(0, this, done);
    });
}

void QaRunner::loginForRecords(const QStringList &scopes, std::function<void()> done)
{
    // Another provider's key is out of reach, so the records come from a person the tenant's rules
    // allow every endpoint's scope: a real login, like any row.
    const PlanUser *chosen = nullptr;
    for (const PlanUser &user : m_run.plan.users) {
        if (user.kind == PlanUser::Kind::Password && grantedToPerson(m_run.plan.tenant, user.login, scopes).size() == scopes.size()) {
            chosen = &user;
            break;
        }
    }
    if (!chosen) {
        m_fixtureProblem
            = QStringLiteral("needs a user the tenant allows every endpoint's scope, to make the records it works on (or the bundled server's key)");
        return done();
    }
    login(*chosen, m_run.plan.loginScopes + scopes, [this, done, who = chosen->login](const LoginOutcome &outcome) {
        if (outcome.result)
            m_fixtureToken = outcome.result->accessToken;
        else
            m_fixtureProblem = QStringLiteral("needs records, and %1 could not log in to make them: %2").arg(who, outcome.problem);
        QTimer::singleShot(0, this, done);
    });
}

void QaRunner::notRun(RowResult &row, const QString &why)
{
    for (CellResult &cell : row.cells) {
        if (cell.verdict == Verdict::Pending || cell.verdict == Verdict::Running) {
            cell.verdict = Verdict::NotRun;
            cell.note = why;
        }
    }
}

void QaRunner::runCell(int row, int column)
{
    RowResult &result = m_run.rows[row];
    if (column >= result.cells.size() || m_cancelled) {
        if (m_cancelled)
            notRun(result, QStringLiteral("the run was cancelled"));
        return finishRow(row);
    }
    CellResult &cell = result.cells[column];
    const Endpoint &endpoint = m_run.plan.endpoints.at(column);
    auto next = [this, row, column] {
        Q_EMIT rowChanged(row);
        runCell(row, column + 1);
    };
    if (cell.verdict == Verdict::NotRun)
        return next();
    cell.verdict = Verdict::Running;

    if (cell.expected.status == 0) {
        // The rules say no token comes out of this login: the cell holds if none did, for that reason.
        const bool asPredicted = !result.tokenObtained && result.tokenError == cell.expected.error;
        cell.verdict = asPredicted ? Verdict::Pass : Verdict::Fail;
        cell.note = asPredicted    ? QStringLiteral("no token, as predicted: %1").arg(result.expected.why)
            : result.tokenObtained ? QStringLiteral("a token was issued although %1").arg(result.expected.why)
                                   : QStringLiteral("the token was refused with \"%1\", not \"%2\"").arg(result.tokenError, cell.expected.error);
        return next();
    }
    const bool needsToken = !(result.spec.isProbe() && *result.spec.probe == Probe::NoToken);
    if (needsToken && !result.tokenObtained) {
        cell.verdict = Verdict::Fail;
        cell.note = QStringLiteral("no token to call with: %1").arg(result.loginProblem.isEmpty() ? result.tokenError : result.loginProblem);
        return next();
    }
    const QByteArray token = result.accessToken;

    auto call = [this, row, column, next, token](const QString &id) {
        CellResult &sent = m_run.rows[row].cells[column];
        const Endpoint &target = m_run.plan.endpoints.at(column);
        QString path = target.path;
        path.replace(QStringLiteral("{id}"), id);
        sent.method = target.method;
        sent.url = m_target.apiBaseUrl.resolved(QUrl(path)).toString();
        sent.requestBody = target.body.isEmpty() ? QByteArray() : QJsonDocument(target.body).toJson(QJsonDocument::Compact);
        send(target.method, path, target.body, token, [this, row, column, next, id](const Reply &reply) {
            CellResult &answered = m_run.rows[row].cells[column];
            const Endpoint &called = m_run.plan.endpoints.at(column);
            answered.status = reply.status;
            answered.wwwAuthenticate = reply.wwwAuthenticate;
            answered.error = bearerErrorCode(reply.wwwAuthenticate);
            answered.responseBody = reply.body;
            answered.durationMs = reply.durationMs;
            m_run.callMs += reply.durationMs;
            const bool asPredicted = reply.status == answered.expected.status && answered.error == answered.expected.error;
            answered.verdict = asPredicted ? Verdict::Pass : Verdict::Fail;
            if (reply.status == 0)
                answered.note = QStringLiteral("no answer: %1").arg(reply.networkError);
            else if (!asPredicted)
                answered.note = QStringLiteral("expected %1 because %2, got %3").arg(answered.expectedText(), answered.expected.why, answered.actualText());
            record(app::Lane::App, app::laneForApiPath(called.path),
                   QStringLiteral("%1 %2 → %3").arg(QString::fromLatin1(called.method), QUrl(answered.url).path(), answered.actualText()),
                   asPredicted ? app::FlowStep::Outcome::Ok : app::FlowStep::Outcome::Failed,
                   QStringLiteral("expected %1 (%2)").arg(answered.expectedText(), answered.expected.why), qint64(reply.durationMs + 0.5));
            // Leave the data as it was: remove what a create made, and the record a refused delete left.
            const qint64 cleanupStart = m_clock.elapsed();
            auto after = [this, next, cleanupStart] {
                m_run.setupMs += m_clock.elapsed() - cleanupStart;
                next();
            };
            if (called.method == "POST" && reply.status / 100 == 2) {
                const QString created = idOf(reply.body);
                if (!created.isEmpty() && !m_fixtureToken.isEmpty())
                    return removeRecord(called.path, created, after);
                if (!created.isEmpty())
                    answered.note += QStringLiteral(" The record it created (id %1) could not be removed: no token with the delete scope.").arg(created);
            }
            if (called.method == "DELETE" && reply.status != 204 && !id.isEmpty())
                return removeRecord(called.collectionPath(), id, after);
            after();
        });
    };

    if (!endpoint.needsRecord())
        return call({});
    if (m_fixtureToken.isEmpty()) {
        cell.verdict = Verdict::NotRun;
        cell.note = QStringLiteral("%1 %2").arg(endpoint.name(), m_fixtureProblem);
        return next();
    }
    if (endpoint.method == "DELETE") {
        const qint64 setupStart = m_clock.elapsed();
        return createRecord(endpoint.collectionPath(), [this, row, column, call, next, setupStart](const QString &id) {
            m_run.setupMs += m_clock.elapsed() - setupStart;
            if (!id.isEmpty())
                return call(id);
            CellResult &skipped = m_run.rows[row].cells[column];
            skipped.verdict = Verdict::NotRun;
            skipped.note = QStringLiteral("the record to delete could not be created");
            next();
        });
    }
    const QString fixture = m_fixtureIds.value(endpoint.collectionPath());
    if (fixture.isEmpty()) {
        cell.verdict = Verdict::NotRun;
        cell.note = QStringLiteral("the record this endpoint works on could not be created");
        return next();
    }
    call(fixture);
}

void QaRunner::finishRow(int row)
{
    RowResult &result = m_run.rows[row];
    bool failed = false, anyPass = false;
    for (const CellResult &cell : std::as_const(result.cells)) {
        failed = failed || cell.verdict == Verdict::Fail;
        anyPass = anyPass || cell.verdict == Verdict::Pass;
    }
    result.verdict = failed ? Verdict::Fail : anyPass ? Verdict::Pass : Verdict::NotRun;
    m_currentRow = -1;
    ++m_done;
    Q_EMIT rowChanged(row);
    Q_EMIT progress(m_done, m_total);
    // Queued: a long plan must not grow the stack, and the UI gets to paint between rows.
    QTimer::singleShot(0, this, [this, generation = m_generation] {
        if (generation == m_generation)
            nextRow();
    });
}

void QaRunner::finishRun()
{
    const qint64 cleanupStart = m_clock.elapsed();
    QList<Step> steps;
    for (auto it = m_fixtureIds.constBegin(); it != m_fixtureIds.constEnd(); ++it) {
        const QString collection = it.key(), id = it.value();
        steps.append([this, collection, id](std::function<void()> next) { removeRecord(collection, id, next); });
    }
    m_fixtureIds.clear();
    runSeries(steps, [this, cleanupStart] {
        m_run.setupMs += m_clock.elapsed() - cleanupStart;
        m_run.durationMs += m_clock.elapsed();
        m_running = false;
        m_currentRow = -1;
        qCInfo(lcQa).noquote() << "run finished:" << m_run.count(Verdict::Pass) << "pass," << m_run.count(Verdict::Fail) << "fail,"
                               << m_run.count(Verdict::NotRun) << "not run in" << m_run.durationMs << "ms";
        Q_EMIT finished(m_run.passed());
    });
}

void QaRunner::send(const QByteArray &method, const QString &path, const QJsonObject &body, const QByteArray &token, std::function<void(const Reply &)> done)
{
    app::HttpRequest request;
    request.method = method;
    request.url = m_target.apiBaseUrl.resolved(QUrl(path));
    request.bearerToken = token;
    request.maxBodyBytes = kMaxBody;
    if (!body.isEmpty()) {
        request.body = QJsonDocument(body).toJson(QJsonDocument::Compact);
        request.contentType = "application/json";
    }
    m_http.send(request, this, [done, generation = m_generation, this](const app::HttpReply &reply) {
        if (generation != m_generation)
            return;
        done(Reply{reply.status, reply.wwwAuthenticate, reply.body, reply.networkError, reply.durationMs});
    });
}

void QaRunner::createRecord(const QString &collection, std::function<void(const QString &id)> done)
{
    QJsonObject body;
    for (const Endpoint &endpoint : m_run.plan.endpoints) {
        if (endpoint.method == "POST" && endpoint.path == collection)
            body = endpoint.body;
    }
    send("POST", collection, body, m_fixtureToken, [collection, done](const Reply &reply) {
        if (reply.status != 201)
            qCWarning(lcQa).noquote() << "could not create a record in" << collection << "for the grid:" << reply.status << reply.body.left(200);
        done(reply.status == 201 ? idOf(reply.body) : QString());
    });
}

void QaRunner::removeRecord(const QString &collection, const QString &id, std::function<void()> done)
{
    send("DELETE", collection + QLatin1Char('/') + id, {}, m_fixtureToken, [collection, id, done](const Reply &reply) {
        if (reply.status != 204 && reply.status != 404)
            qCWarning(lcQa).noquote() << "could not remove" << collection << id << "after the grid:" << reply.status;
        done();
    });
}

} // namespace organizer::qa
