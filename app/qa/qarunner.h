#pragma once

#include "httpclient.h"

#include "loginautomation.h"
#include "loginsession.h"
#include "oidcclient.h"
#include "profiles.h"
#include "qarun.h"
#include "tokensource.h"

#include <QElapsedTimer>
#include <QHash>
#include <QLoggingCategory>
#include <QObject>
#include <QTimer>

#include <functional>

namespace organizer::qa {

Q_DECLARE_LOGGING_CATEGORY(lcQa)

// Where a run logs in and which APIs it calls.
struct QaTarget
{
    QUrl issuer;
    QUrl apiBaseUrl;
    QString clientId = QStringLiteral("organizer-desktop");
    QUrl redirectUri = QUrl(QStringLiteral("http://localhost:3000/callback"));
    app::Flow flow = app::Flow::Implicit;
    QString resource; // RFC 8707 resource indicator sent with logins and client tokens; empty: none

    // The profile's issuer and APIs; the Local profile's are the bundled server at `localServer`.
    static QaTarget forProfile(const app::Profile &profile, const QUrl &localServer);
};

// Runs a QA plan for real: every person logs in through the login pages in the browser it is given
// (one browser for the whole run; the session cookie is dropped between people), applications use
// the token endpoint, and every cell is a real API call whose answer is compared with what the
// tenant's rules predict. Records a cell needs are created first and removed after, so the data is
// left as it was found.
class QaRunner : public QObject
{
    Q_OBJECT

public:
    QaRunner(app::OidcClient *oidc, app::LoginSession *session, app::LoginBrowser *browser, QObject *parent = nullptr);
    ~QaRunner() override;

    // Null when the run targets another provider: then the probes and records that need the
    // issuer's own key are reported as not run, with the reason.
    void setTokenSource(TokenSource *source) { m_tokenSource = source; }

    void start(const Plan &plan, const QaTarget &target);
    void rerunRow(int row);
    void cancel();

    bool isRunning() const { return m_running; }
    const QaRun &run() const { return m_run; }

    // Interactive QA: people log in by hand in the shown browser (once each: the session is kept
    // for a person's rows); consent pages and everything else still run by themselves.
    void setLoginByHand(bool byHand) { m_byHand = byHand; }
    bool loginByHand() const { return m_byHand; }

Q_SIGNALS:
    void started();
    void rowChanged(int row); // its token arrived, a cell finished, or the row is done
    void progress(int done, int total);
    void finished(bool passed);
    // Interactive run: the browser shows a login page for `login`, to be filled in by a person.
    void personNeeded(const QString &login, const QString &page);

private:
    struct Reply
    {
        int status = 0;
        QByteArray wwwAuthenticate;
        QByteArray body;
        QString networkError;
        double durationMs = 0;
    };
    using Step = std::function<void(std::function<void()> next)>;
    // The login in progress reports here: the result, or why not (and the provider's error code).
    struct LoginOutcome
    {
        const app::LoginResult *result = nullptr;
        QString problem;
        QString providerError;
    };

    void begin(QList<int> rows);
    void prepare(std::function<void()> done);
    void nextRow();
    void obtainToken(int row, std::function<void()> done);
    void loginPerson(int row, std::function<void()> done);
    void login(const PlanUser &user, const QStringList &scopes, std::function<void(const LoginOutcome &)> done);
    void loginForRecords(const QStringList &scopes, std::function<void()> done);
    void requestClientToken(int row, std::function<void()> done);
    void acceptToken(RowResult &row, const QByteArray &token);
    void runCell(int row, int column);
    void finishRow(int row);
    void finishRun();
    void notRun(RowResult &row, const QString &why);

    void send(const QByteArray &method, const QString &path, const QJsonObject &body, const QByteArray &token, std::function<void(const Reply &)> done);
    void createRecord(const QString &collection, std::function<void(const QString &id)> done);
    void removeRecord(const QString &collection, const QString &id, std::function<void()> done);
    void runSeries(QList<Step> steps, std::function<void()> done);
    void record(app::Lane from, app::Lane to, const QString &label, app::FlowStep::Outcome outcome, const QString &detail = {}, qint64 ms = -1);

    app::OidcClient *m_oidc;
    app::LoginSession *m_session;
    app::LoginBrowser *m_browser;
    app::LoginAutomation m_automation;
    TokenSource *m_tokenSource = nullptr;
    app::HttpClient m_http;
    QTimer m_loginTimeout;
    static constexpr int kLoginTimeoutMs = 30'000; // a login page that never answers must not stall the run
    static constexpr int kLoginByHandTimeoutMs = 300'000; // a person gets five minutes
    bool m_byHand = false;

    QaRun m_run;
    QaTarget m_target;
    app::ProviderMetadata m_metadata;
    QList<int> m_queue;
    int m_currentRow = -1;
    int m_done = 0;
    int m_total = 0;
    bool m_running = false;
    bool m_cancelled = false;
    bool m_wholeRun = true;
    quint64 m_generation = 0;
    QElapsedTimer m_clock;
    QElapsedTimer m_rowClock;

    QByteArray m_fixtureToken; // every endpoint scope: makes and removes the grid's records
    QString m_fixtureProblem; // why there is none
    QHash<int, QByteArray> m_probeTokens; // by Probe
    QString m_probeProblem;
    QByteArray m_lastPersonToken; // the tampered probe starts from a real token when nothing is minted
    QHash<QString, QString> m_fixtureIds; // collection path → the record GET/PUT {id} work on
    QString m_browserUser; // whose session the browser holds
    std::function<void(const LoginOutcome &)> m_loginDone;
};

// The error code of a WWW-Authenticate Bearer challenge ("insufficient_scope"), or empty.
QString bearerErrorCode(const QByteArray &challenge);
// A copy of `token` with a changed payload and the original signature: what a forger would send.
QByteArray tamperedCopy(const QByteArray &token);

} // namespace organizer::qa
