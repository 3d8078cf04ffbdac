#pragma once

#include "qarun.h"

#include <QAbstractTableModel>

namespace organizer::ui {

// The scope QA grid for views: rows = user × requested scopes (then the probes), named in the vertical
// header so they stay in sight; columns = what the row was granted, then one per endpoint.
class QaGridModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    static constexpr int kFirstEndpointColumn = 1;

    explicit QaGridModel(QObject *parent = nullptr);

    // The run is owned by the runner; call reset() when it is replaced, rowUpdated() when a row changes.
    void setRun(const qa::QaRun *run);
    void reset();
    void rowUpdated(int row);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    const qa::CellResult *cellAt(const QModelIndex &index) const;

private:
    const qa::QaRun *m_run = nullptr;
    // The shape the views were last told about; the run may already hold another until reset().
    int m_rows = 0;
    int m_columns = 0;
};

} // namespace organizer::ui
