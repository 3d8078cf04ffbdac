#pragma once

#include <QAbstractTableModel>
#include <QJsonArray>
#include <QJsonObject>

#include "catalogue.h"

namespace organizer::ui {

// An API's records as it lists them, for a QTableView: one column per field of the catalogue.
class RecordModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    RecordModel(catalogue::ApiSpec api, QObject *parent = nullptr);

    void setRecords(const QJsonArray &records);
    QJsonObject record(int row) const;
    const catalogue::ApiSpec &api() const { return m_api; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    catalogue::ApiSpec m_api;
    QList<QJsonObject> m_records;
};

} // namespace organizer::ui
