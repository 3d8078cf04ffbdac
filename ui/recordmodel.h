#pragma once

#include <QAbstractTableModel>
#include <QJsonArray>
#include <QJsonObject>

namespace organizer::ui {

// One column of a record table: the JSON member and its header.
struct RecordColumn
{
    QString member;
    QString title;
    bool required = false;
    QString kind; // "text", "email", "datetime", "minutes"
};

QList<RecordColumn> contactColumns();
QList<RecordColumn> appointmentColumns();

// Contacts or appointments as the API lists them, for a QTableView.
class RecordModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    RecordModel(QList<RecordColumn> columns, QObject *parent = nullptr);

    void setRecords(const QJsonArray &records);
    QJsonObject record(int row) const;
    const QList<RecordColumn> &columns() const { return m_columns; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    QList<RecordColumn> m_columns;
    QList<QJsonObject> m_records;
};

} // namespace organizer::ui
