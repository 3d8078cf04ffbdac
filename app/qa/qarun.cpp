#include "qarun.h"

namespace organizer::qa {

QString verdictName(Verdict verdict)
{
    switch (verdict) {
    case Verdict::Pending:
        return QStringLiteral("pending");
    case Verdict::Running:
        return QStringLiteral("running");
    case Verdict::Pass:
        return QStringLiteral("pass");
    case Verdict::Fail:
        return QStringLiteral("FAIL");
    case Verdict::NotRun:
        return QStringLiteral("not run");
    }
    return {};
}

QString CellResult::actualText() const
{
    if (method.isEmpty())
        return verdict == Verdict::Pending ? QString() : QStringLiteral("no call");
    if (status == 0)
        return QStringLiteral("no answer");
    return error.isEmpty() ? QString::number(status) : QStringLiteral("%1 %2").arg(status).arg(error);
}

QString CellResult::expectedText() const
{
    if (expected.status == 0)
        return expected.error.isEmpty() ? QStringLiteral("no token") : QStringLiteral("no token (%1)").arg(expected.error);
    return expected.error.isEmpty() ? QString::number(expected.status) : QStringLiteral("%1 %2").arg(expected.status).arg(expected.error);
}

int QaRun::count(Verdict verdict) const
{
    int n = 0;
    for (const RowResult &row : rows) {
        for (const CellResult &cell : row.cells)
            n += cell.verdict == verdict;
    }
    return n;
}

int QaRun::cellCount() const
{
    int n = 0;
    for (const RowResult &row : rows)
        n += int(row.cells.size());
    return n;
}

} // namespace organizer::qa
