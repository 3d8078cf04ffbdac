#pragma once

#include "qarun.h"

#include <functional>

namespace organizer::qa {

// Draws a row's flow timeline as a standalone SVG document (ui/ knows how; the reports only embed it).
using TimelineSvg = std::function<QByteArray(const app::FlowTimeline &)>;

// JUnit XML: one testsuite per row, one testcase per cell, so a CI server lists every cell natively.
QByteArray junitReport(const QaRun &run);
// One self-contained HTML file: the grid, every cell's request and answer, each row's token claims
// and timeline picture. Nothing is loaded from elsewhere.
QByteArray htmlReport(const QaRun &run, const TimelineSvg &timelineSvg);
// A GitHub-flavoured Markdown summary: the grid and the cells that failed.
QByteArray markdownReport(const QaRun &run);
// The lines `organizer qa` prints: a line per row (and one per failed cell) as rows finish, then a
// closing summary with where the time went.
QStringList rowSummary(const QaRun &run, int row);
QString runSummary(const QaRun &run);

} // namespace organizer::qa
