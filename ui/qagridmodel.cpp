#include "qagridmodel.h"

#include <QBrush>
#include <QColor>

namespace organizer::ui {

QaGridModel::QaGridModel(QObject *parent) : QAbstractTableModel(parent) {}

void QaGridModel::setRun(const qa::QaRun *run)
{
    beginResetModel();
    m_run = run;
    m_rows = m_run ? int(m_run->rows.size()) : 0;
    m_columns = m_run ? kFirstEndpointColumn + int(m_run->plan.endpoints.size()) : 0;
    endResetModel();
}

void QaGridModel::reset()
{
    setRun(m_run);
}

void QaGridModel::rowUpdated(int row)
{
    if (row >= 0 && row < rowCount())
        Q_EMIT dataChanged(index(row, 0), index(row, columnCount() - 1));
}

int QaGridModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_rows;
}

int QaGridModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_columns;
}

const qa::CellResult *QaGridModel::cellAt(const QModelIndex &index) const
{
    if (!m_run || !index.isValid() || index.row() >= m_run->rows.size() || index.column() < kFirstEndpointColumn)
        return nullptr;
    const qa::RowResult &row = m_run->rows.at(index.row());
    const int column = index.column() - kFirstEndpointColumn;
    return column < row.cells.size() ? &row.cells.at(column) : nullptr;
}

QVariant QaGridModel::data(const QModelIndex &index, int role) const
{
    if (!m_run || !index.isValid() || index.row() >= m_run->rows.size() || index.column() >= m_columns)
        return {};
    const qa::RowResult &row = m_run->rows.at(index.row());
    if (index.column() == 0) {
        if (role == Qt::DisplayRole) {
            if (!row.tokenObtained && (row.verdict == qa::Verdict::Pending || row.verdict == qa::Verdict::Running))
                return row.verdict == qa::Verdict::Running ? tr("logging in…") : QString();
            if (!row.tokenObtained)
                return row.tokenError.isEmpty() ? tr("no token") : tr("no token (%1)").arg(row.tokenError);
            QStringList api;
            for (const QString &scope : row.grantedScopes) {
                if (scope.contains(QLatin1Char(':')))
                    api << scope;
            }
            return api.isEmpty() ? tr("(no API scope)") : api.join(QLatin1Char(' '));
        }
        if (role == Qt::ToolTipRole)
            return tr("Predicted: %1")
                .arg(row.expected.tokenIssued ? row.expected.grantedApiScopes.join(QLatin1Char(' ')) : tr("no token (%1)").arg(row.expected.tokenError));
        return {};
    }
    const qa::CellResult *cell = cellAt(index);
    if (!cell)
        return {};
    switch (role) {
    case Qt::DisplayRole:
        switch (cell->verdict) {
        // The status alone keeps the grid readable; the error code is in the tooltip and the details.
        case qa::Verdict::Pass:
            return cell->status ? QStringLiteral("✓ %1").arg(cell->status) : QStringLiteral("✓ no token");
        case qa::Verdict::Fail:
            return cell->status ? QStringLiteral("✗ %1").arg(cell->status) : QStringLiteral("✗ %1").arg(cell->actualText());
        case qa::Verdict::NotRun:
            return QStringLiteral("–");
        case qa::Verdict::Running:
            return QStringLiteral("…");
        case qa::Verdict::Pending:
            return QString();
        }
        return {};
    case Qt::ToolTipRole:
        return tr("Got %1, expected %2 — %3%4")
            .arg(cell->actualText(), cell->expectedText(), cell->expected.why, cell->note.isEmpty() ? QString() : QStringLiteral("\n") + cell->note);
    case Qt::BackgroundRole:
        switch (cell->verdict) {
        case qa::Verdict::Pass:
            // Both are as predicted; the shade tells the calls let in from those kept out.
            return QBrush(cell->status / 100 == 2 ? QColor(0xc9, 0xec, 0xd3) : QColor(0xf0, 0xf6, 0xf1));
        case qa::Verdict::Fail:
            return QBrush(QColor(0xfb, 0xd5, 0xd5));
        case qa::Verdict::NotRun:
            return QBrush(QColor(0xee, 0xee, 0xee));
        default:
            return {};
        }
    case Qt::ForegroundRole:
        return cell->verdict == qa::Verdict::Fail ? QBrush(QColor(0x9b, 0x1c, 0x1c)) : QVariant();
    case Qt::TextAlignmentRole:
        return int(Qt::AlignCenter);
    default:
        return {};
    }
}

QVariant QaGridModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (!m_run)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (orientation == Qt::Vertical) {
        if (section >= m_run->rows.size())
            return {};
        const qa::RowResult &row = m_run->rows.at(section);
        if (role == Qt::DisplayRole)
            return row.label;
        if (role == Qt::ToolTipRole)
            return row.expected.why;
        if (role == Qt::ForegroundRole && row.verdict == qa::Verdict::Fail)
            return QBrush(QColor(0xb4, 0x23, 0x18));
        return {};
    }
    if (role == Qt::DisplayRole) {
        if (section == 0)
            return tr("Granted");
        const int column = section - kFirstEndpointColumn;
        if (column < m_run->plan.endpoints.size()) {
            const qa::Endpoint &endpoint = m_run->plan.endpoints.at(column);
            return QStringLiteral("%1\n%2\n%3").arg(QString::fromLatin1(endpoint.method), endpoint.path, endpoint.scope);
        }
    }
    return {};
}

} // namespace organizer::ui
