#pragma once

#include "flowtimeline.h"
#include "qaexpectation.h"

#include <QDateTime>
#include <QJsonObject>

namespace organizer::qa {

enum class Verdict { Pending, Running, Pass, Fail, NotRun };
QString verdictName(Verdict verdict); // "pass", "FAIL", …

// One cell: what was sent, what came back, and whether that is what the rules predict.
struct CellResult
{
    Verdict verdict = Verdict::Pending;
    CellExpectation expected;
    QByteArray method;
    QString url;
    QByteArray requestBody;
    int status = 0; // 0: no answer or no call
    QString error; // the error code of WWW-Authenticate, if any
    QByteArray wwwAuthenticate;
    QByteArray responseBody;
    double durationMs = 0;
    QString note; // why it failed or was not run, in a sentence

    // "403 insufficient_scope", "201", "no token"
    QString actualText() const;
    QString expectedText() const;
};

struct RowResult
{
    RowSpec spec;
    QString label;
    RowExpectation expected;
    Verdict verdict = Verdict::Pending;
    bool tokenObtained = false;
    QString tokenError; // the error code when the token was refused
    QString loginProblem; // a sentence when the login did not go as expected
    QStringList grantedScopes; // as the token says (scope claim)
    QJsonObject tokenHeader;
    QJsonObject tokenClaims;
    QByteArray accessToken; // for the row's calls; in memory only, never in a report or the UI
    qint64 loginMs = 0;
    app::FlowTimeline timeline;
    QList<CellResult> cells;
};

struct QaRun
{
    Plan plan;
    QString target; // the issuer the run logged in to
    QDateTime startedAt;
    qint64 durationMs = 0;
    qint64 loginMs = 0; // where the time went: logins (browser + token endpoint)…
    double callMs = 0; // …the API calls of the grid and probes…
    qint64 setupMs = 0; // …and records made and removed around them
    bool cancelled = false;
    QString problem; // why the run could not be made at all (e.g. the issuer is unreachable)
    QList<RowResult> rows;

    int count(Verdict verdict) const;
    int cellCount() const;
    bool passed() const { return !cancelled && problem.isEmpty() && count(Verdict::Fail) == 0 && count(Verdict::Pending) == 0 && count(Verdict::Running) == 0; }
};

} // namespace organizer::qa
