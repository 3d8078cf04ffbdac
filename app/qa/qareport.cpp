#include "qareport.h"

#include <QJsonDocument>
#include <QXmlStreamWriter>

namespace organizer::qa {

namespace {

using app::FlowTimeline;

QString seconds(double ms)
{
    return QString::number(ms / 1000.0, 'f', 3);
}

QString cellMark(Verdict verdict)
{
    switch (verdict) {
    case Verdict::Pass:
        return QStringLiteral("✓");
    case Verdict::Fail:
        return QStringLiteral("✗");
    case Verdict::NotRun:
        return QStringLiteral("–");
    default:
        return QStringLiteral("…");
    }
}

QString cellDetailText(const CellResult &cell)
{
    QStringList lines;
    if (!cell.method.isEmpty()) {
        lines << QStringLiteral("%1 %2").arg(QString::fromLatin1(cell.method), cell.url);
        if (!cell.requestBody.isEmpty())
            lines << QStringLiteral("request body: %1").arg(QString::fromUtf8(cell.requestBody));
        lines << QStringLiteral("answer: %1 (%2 ms)").arg(cell.status).arg(cell.durationMs, 0, 'f', 2);
        if (!cell.wwwAuthenticate.isEmpty())
            lines << QStringLiteral("WWW-Authenticate: %1").arg(QString::fromLatin1(cell.wwwAuthenticate));
        if (!cell.responseBody.isEmpty())
            lines << QStringLiteral("body: %1").arg(QString::fromUtf8(cell.responseBody.left(2000)));
    }
    lines << QStringLiteral("expected: %1 (%2%3)").arg(cell.expectedText(), cell.expected.why, cell.expected.pinned ? QStringLiteral(", pinned") : QString());
    if (!cell.note.isEmpty())
        lines << cell.note;
    return FlowTimeline::maskSecrets(lines.join(QLatin1Char('\n')));
}

QString rowGranted(const RowResult &row)
{
    if (!row.tokenObtained)
        return row.tokenError.isEmpty() ? QStringLiteral("no token") : QStringLiteral("no token (%1)").arg(row.tokenError);
    return row.grantedScopes.isEmpty() ? QStringLiteral("(none)") : row.grantedScopes.join(QLatin1Char(' '));
}

// What the grid needs to show: the scopes an API checks, without the OpenID ones every person asks for.
QString rowGrantedApiScopes(const QaRun &run, const RowResult &row)
{
    if (!row.tokenObtained)
        return rowGranted(row);
    QStringList api;
    for (const QString &scope : row.grantedScopes) {
        if (!run.plan.loginScopes.contains(scope))
            api << scope;
    }
    return api.isEmpty() ? QStringLiteral("(no API scope)") : api.join(QLatin1Char(' '));
}

QString escape(const QString &text)
{
    return text.toHtmlEscaped();
}

} // namespace

QByteArray junitReport(const QaRun &run)
{
    QByteArray out;
    QXmlStreamWriter xml(&out);
    xml.setAutoFormatting(true);
    xml.writeStartDocument();
    xml.writeStartElement(QStringLiteral("testsuites"));
    xml.writeAttribute(QStringLiteral("name"), QStringLiteral("Organizer scope QA"));
    xml.writeAttribute(QStringLiteral("tests"), QString::number(run.cellCount()));
    xml.writeAttribute(QStringLiteral("failures"), QString::number(run.count(Verdict::Fail)));
    xml.writeAttribute(QStringLiteral("errors"), QStringLiteral("0"));
    xml.writeAttribute(QStringLiteral("skipped"), QString::number(run.count(Verdict::NotRun) + run.count(Verdict::Pending)));
    xml.writeAttribute(QStringLiteral("time"), seconds(run.durationMs));
    for (const RowResult &row : run.rows) {
        int failures = 0, skipped = 0;
        double ms = double(row.loginMs);
        for (const CellResult &cell : row.cells) {
            failures += cell.verdict == Verdict::Fail;
            skipped += cell.verdict == Verdict::NotRun || cell.verdict == Verdict::Pending;
            ms += cell.durationMs;
        }
        xml.writeStartElement(QStringLiteral("testsuite"));
        xml.writeAttribute(QStringLiteral("name"), row.label);
        xml.writeAttribute(QStringLiteral("tests"), QString::number(row.cells.size()));
        xml.writeAttribute(QStringLiteral("failures"), QString::number(failures));
        xml.writeAttribute(QStringLiteral("errors"), QStringLiteral("0"));
        xml.writeAttribute(QStringLiteral("skipped"), QString::number(skipped));
        xml.writeAttribute(QStringLiteral("time"), seconds(ms));
        xml.writeStartElement(QStringLiteral("properties"));
        for (const auto &[name, value] : {std::pair{QStringLiteral("requested"), row.expected.requestedScopes.join(QLatin1Char(' '))},
                                          std::pair{QStringLiteral("granted"), rowGranted(row)},
                                          std::pair{QStringLiteral("expected_grant"), row.expected.grantedApiScopes.join(QLatin1Char(' '))}}) {
            xml.writeStartElement(QStringLiteral("property"));
            xml.writeAttribute(QStringLiteral("name"), name);
            xml.writeAttribute(QStringLiteral("value"), value);
            xml.writeEndElement();
        }
        xml.writeEndElement();
        for (qsizetype column = 0; column < row.cells.size(); ++column) {
            const CellResult &cell = row.cells.at(column);
            xml.writeStartElement(QStringLiteral("testcase"));
            xml.writeAttribute(QStringLiteral("classname"), QStringLiteral("organizer.qa.") + row.label);
            xml.writeAttribute(QStringLiteral("name"), run.plan.endpoints.at(column).name());
            xml.writeAttribute(QStringLiteral("time"), seconds(cell.durationMs));
            if (cell.verdict == Verdict::Fail) {
                xml.writeStartElement(QStringLiteral("failure"));
                xml.writeAttribute(QStringLiteral("message"), QStringLiteral("expected %1, got %2").arg(cell.expectedText(), cell.actualText()));
                xml.writeAttribute(QStringLiteral("type"), QStringLiteral("scope-mismatch"));
                xml.writeCharacters(cellDetailText(cell));
                xml.writeEndElement();
            } else if (cell.verdict != Verdict::Pass) {
                xml.writeStartElement(QStringLiteral("skipped"));
                xml.writeAttribute(QStringLiteral("message"), cell.note.isEmpty() ? QStringLiteral("not run") : cell.note);
                xml.writeEndElement();
            } else {
                xml.writeTextElement(QStringLiteral("system-out"), cellDetailText(cell));
            }
            xml.writeEndElement();
        }
        xml.writeEndElement();
    }
    xml.writeEndElement();
    xml.writeEndDocument();
    return out;
}

QStringList rowSummary(const QaRun &run, int rowIndex)
{
    const RowResult &row = run.rows.at(rowIndex);
    QStringList marks;
    for (const CellResult &cell : row.cells)
        marks << cellMark(cell.verdict);
    QStringList lines{QStringLiteral("%1 %2  %3  granted: %4")
                          .arg(row.verdict == Verdict::Fail       ? QStringLiteral("FAIL")
                                   : row.verdict == Verdict::Pass ? QStringLiteral("ok  ")
                                                                  : QStringLiteral("skip"),
                               marks.join(QString()), row.label.leftJustified(48), rowGranted(row))};
    for (qsizetype column = 0; column < row.cells.size(); ++column) {
        const CellResult &cell = row.cells.at(column);
        if (cell.verdict == Verdict::Fail)
            lines << QStringLiteral("       ✗ %1: %2").arg(run.plan.endpoints.at(column).name(), cell.note);
    }
    return lines;
}

QString runSummary(const QaRun &run)
{
    return QStringLiteral("%1 cells: %2 pass, %3 fail, %4 not run — %5 rows in %6 s (logins %7 s, API calls %8 s, records made and removed %9 s)")
        .arg(run.cellCount())
        .arg(run.count(Verdict::Pass))
        .arg(run.count(Verdict::Fail))
        .arg(run.count(Verdict::NotRun) + run.count(Verdict::Pending))
        .arg(run.rows.size())
        .arg(seconds(run.durationMs), seconds(run.loginMs), seconds(run.callMs), seconds(run.setupMs));
}

QByteArray markdownReport(const QaRun &run)
{
    QStringList md;
    md << QStringLiteral("# Organizer scope QA") << QString();
    md << QStringLiteral("Plan: %1 · target: %2 · %3").arg(run.plan.source, run.target, run.startedAt.toString(Qt::ISODate)) << QString();
    if (!run.problem.isEmpty())
        md << QStringLiteral("**NOT RUN**: %1").arg(run.problem) << QString();
    md << QStringLiteral("**%1** — %2 cells: %3 pass, %4 fail, %5 not run, in %6 s")
              .arg(run.passed() ? QStringLiteral("PASSED") : QStringLiteral("FAILED"))
              .arg(run.cellCount())
              .arg(run.count(Verdict::Pass))
              .arg(run.count(Verdict::Fail))
              .arg(run.count(Verdict::NotRun) + run.count(Verdict::Pending))
              .arg(seconds(run.durationMs))
       << QString();
    QStringList header{QStringLiteral("row"), QStringLiteral("granted API scopes")};
    for (const Endpoint &endpoint : run.plan.endpoints)
        header << QStringLiteral("`%1`").arg(endpoint.name());
    md << QStringLiteral("| %1 |").arg(header.join(QLatin1String(" | ")));
    QStringList rule;
    for (qsizetype i = 0; i < header.size(); ++i)
        rule << (i < 2 ? QStringLiteral("---") : QStringLiteral(":---:"));
    md << QStringLiteral("| %1 |").arg(rule.join(QLatin1String(" | ")));
    auto cellText = [](QString text) { return text.replace(QLatin1Char('|'), QLatin1String("\\|")); };
    for (const RowResult &row : run.rows) {
        QStringList cells{cellText(row.label), cellText(rowGrantedApiScopes(run, row))};
        for (const CellResult &cell : row.cells)
            cells << QStringLiteral("%1 %2").arg(cellMark(cell.verdict), cell.verdict == Verdict::NotRun ? QString() : cell.actualText()).trimmed();
        md << QStringLiteral("| %1 |").arg(cells.join(QLatin1String(" | ")));
    }
    QStringList failures;
    for (const RowResult &row : run.rows) {
        for (qsizetype column = 0; column < row.cells.size(); ++column) {
            const CellResult &cell = row.cells.at(column);
            if (cell.verdict == Verdict::Fail)
                failures << QStringLiteral("- **%1**, `%2`: %3")
                                .arg(cellText(row.label), run.plan.endpoints.at(column).name(), FlowTimeline::maskSecrets(cell.note));
        }
    }
    if (!failures.isEmpty())
        md << QString() << QStringLiteral("## Failures") << QString() << failures;
    md << QString();
    return md.join(QLatin1Char('\n')).toUtf8();
}

QByteArray htmlReport(const QaRun &run, const TimelineSvg &timelineSvg)
{
    QString html;
    html += QStringLiteral(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Organizer scope QA</title>\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<style>\n"
        "body{font:14px/1.45 system-ui,'DejaVu Sans',sans-serif;margin:24px;color:#1d2433;background:#fff}"
        "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}.meta{color:#5b6478}"
        ".summary{display:inline-block;padding:6px 12px;border-radius:6px;font-weight:600;margin:12px 0}"
        ".passed{background:#e3f5e8;color:#17633a}.failed{background:#fde7e7;color:#9b1c1c}"
        "table.grid{border-collapse:collapse;font-size:13px}table.grid th,table.grid td{border:1px solid #d8dce6;padding:4px 8px}"
        "table.grid th{background:#f3f5f9;text-align:left;font-weight:600}table.grid td.c{text-align:center;white-space:nowrap}"
        "table.grid th.row{white-space:nowrap;font-weight:500}table.grid td.granted{max-width:240px}"
        "td.pass{background:#f0f6f1}td.pass.allowed{background:#c9ecd3}td.fail{background:#fbd5d5;font-weight:600}td.notrun{background:#f1f1f1;color:#777}"
        "td a{color:inherit;text-decoration:none}.granted{font-family:'DejaVu Sans Mono',monospace;font-size:12px;color:#334}"
        "pre{background:#f6f8fb;border:1px solid #e1e5ee;padding:8px;white-space:pre-wrap;word-break:break-all;font-size:12px}"
        "details{margin:6px 0}summary{cursor:pointer}.timeline svg{max-width:100%;height:auto;border:1px solid #e1e5ee}"
        "</style></head><body>\n");
    html += QStringLiteral(
                "<h1>Organizer scope QA</h1>\n<div class=\"meta\">Plan %1 · target %2 · started %3 · %4 s (logins %5 s, API calls %6 s, records %7 s)</div>\n")
                .arg(escape(run.plan.source), escape(run.target), run.startedAt.toString(Qt::ISODate), seconds(run.durationMs), seconds(run.loginMs),
                     seconds(run.callMs), seconds(run.setupMs));
    html += QStringLiteral("<div class=\"summary %1\">%2 — %3 cells: %4 pass, %5 fail, %6 not run</div>\n")
                .arg(run.passed() ? QStringLiteral("passed") : QStringLiteral("failed"), run.passed() ? QStringLiteral("PASSED") : QStringLiteral("FAILED"))
                .arg(run.cellCount())
                .arg(run.count(Verdict::Pass))
                .arg(run.count(Verdict::Fail))
                .arg(run.count(Verdict::NotRun) + run.count(Verdict::Pending));
    if (!run.problem.isEmpty())
        html += QStringLiteral("<p class=\"summary failed\">Not run: %1</p>\n").arg(escape(run.problem));
    if (!run.plan.description.isEmpty())
        html += QStringLiteral("<p>%1</p>\n").arg(escape(run.plan.description));

    html += QStringLiteral("<h2>Grid</h2>\n<p class=\"meta\">✓ as predicted (dark green: let in, light: kept out) · ✗ not as predicted · – not run. "
                           "Hover a cell for the error code; click it for the request and the answer.</p>\n");
    html += QStringLiteral("<table class=\"grid\"><tr><th>user · requested scopes</th><th>granted API scopes</th>");
    for (const Endpoint &endpoint : run.plan.endpoints)
        html += QStringLiteral("<th>%1<br><span class=\"granted\">%2</span></th>").arg(escape(endpoint.name()), escape(endpoint.scope));
    html += QStringLiteral("</tr>\n");
    for (qsizetype r = 0; r < run.rows.size(); ++r) {
        const RowResult &row = run.rows.at(r);
        html += QStringLiteral("<tr><th class=\"row\"><a href=\"#row-%1\">%2</a></th><td class=\"granted\">%3</td>")
                    .arg(r)
                    .arg(escape(row.label), escape(rowGrantedApiScopes(run, row)));
        for (qsizetype c = 0; c < row.cells.size(); ++c) {
            const CellResult &cell = row.cells.at(c);
            // Both shades of green are as predicted; the darker one was let in.
            const QString css = cell.verdict == Verdict::Pass ? (cell.status / 100 == 2 ? QStringLiteral("pass allowed") : QStringLiteral("pass"))
                : cell.verdict == Verdict::Fail               ? QStringLiteral("fail")
                                                              : QStringLiteral("notrun");
            const QString shown = cell.verdict == Verdict::NotRun ? QString() : cell.status ? QString::number(cell.status) : cell.actualText();
            html += QStringLiteral("<td class=\"c %1\" title=\"got %2, expected %3\"><a href=\"#cell-%4-%5\">%6 %7</a></td>")
                        .arg(css, escape(cell.actualText()), escape(cell.expectedText()))
                        .arg(r)
                        .arg(c)
                        .arg(cellMark(cell.verdict), escape(shown));
        }
        html += QStringLiteral("</tr>\n");
    }
    html += QStringLiteral("</table>\n");

    html += QStringLiteral("<h2>Rows</h2>\n");
    for (qsizetype r = 0; r < run.rows.size(); ++r) {
        const RowResult &row = run.rows.at(r);
        html += QStringLiteral("<section id=\"row-%1\"><h3>%2 — %3</h3>\n").arg(r).arg(escape(row.label), escape(verdictName(row.verdict)));
        html += QStringLiteral("<p>Requested <span class=\"granted\">%1</span>; the rules predict <span class=\"granted\">%2</span> (%3); the token says <span "
                               "class=\"granted\">%4</span>.</p>\n")
                    .arg(escape(row.expected.requestedScopes.join(QLatin1Char(' '))),
                         escape(row.expected.tokenIssued ? row.expected.grantedApiScopes.join(QLatin1Char(' '))
                                                         : QStringLiteral("no token (%1)").arg(row.expected.tokenError)),
                         escape(row.expected.why), escape(rowGranted(row)));
        if (!row.loginProblem.isEmpty())
            html += QStringLiteral("<p>Login: %1</p>\n").arg(escape(FlowTimeline::maskSecrets(row.loginProblem)));
        if (!row.tokenClaims.isEmpty())
            html += QStringLiteral("<details><summary>Access token header and claims</summary><pre>%1\n%2</pre></details>\n")
                        .arg(escape(QString::fromUtf8(QJsonDocument(row.tokenHeader).toJson())),
                             escape(QString::fromUtf8(QJsonDocument(row.tokenClaims).toJson())));
        if (timelineSvg && !row.timeline.isEmpty()) {
            // The first row's picture is open: it is the one a presenter shows.
            html += QStringLiteral("<details class=\"timeline\"%1><summary>Flow timeline</summary>\n").arg(r == 0 ? QStringLiteral(" open") : QString());
            QString svg = QString::fromUtf8(timelineSvg(row.timeline));
            const qsizetype start = svg.indexOf(QLatin1String("<svg"));
            html += start >= 0 ? svg.mid(start) : svg;
            html += QStringLiteral("\n</details>\n");
        }
        for (qsizetype c = 0; c < row.cells.size(); ++c) {
            const CellResult &cell = row.cells.at(c);
            html += QStringLiteral("<details id=\"cell-%1-%2\"%3><summary>%4 %5 — %6</summary><pre>%7</pre></details>\n")
                        .arg(r)
                        .arg(c)
                        .arg(cell.verdict == Verdict::Fail ? QStringLiteral(" open") : QString())
                        .arg(cellMark(cell.verdict), escape(run.plan.endpoints.at(c).name()), escape(verdictName(cell.verdict)), escape(cellDetailText(cell)));
        }
        html += QStringLiteral("</section>\n");
    }
    html += QStringLiteral("</body></html>\n");
    return html.toUtf8();
}

} // namespace organizer::qa
