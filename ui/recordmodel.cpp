#include "recordmodel.h"

#include <QDateTime>
#include <QLocale>

namespace organizer::ui {

RecordModel::RecordModel(catalogue::ApiSpec api, QObject *parent) : QAbstractTableModel(parent), m_api(std::move(api)) {}

void RecordModel::setRecords(const QJsonArray &records)
{
    beginResetModel();
    m_records.clear();
    for (const QJsonValue &value : records)
        m_records.append(value.toObject());
    endResetModel();
}

QJsonObject RecordModel::record(int row) const
{
    return row >= 0 && row < m_records.size() ? m_records.at(row) : QJsonObject();
}

int RecordModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_records.size());
}

int RecordModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_api.fields.size());
}

QVariant RecordModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || (role != Qt::DisplayRole && role != Qt::ToolTipRole))
        return {};
    const catalogue::RecordField &field = m_api.fields.at(index.column());
    const QJsonValue value = m_records.at(index.row()).value(field.name);
    if (field.type == catalogue::RecordField::Type::DateTime && role == Qt::DisplayRole) {
        const QDateTime time = QDateTime::fromString(value.toString(), Qt::ISODate);
        return time.isValid() ? QLocale().toString(time, QLocale::ShortFormat)
                + QStringLiteral("  (%1)").arg(time.offsetFromUtc() == 0 ? QStringLiteral("UTC") : time.timeZoneAbbreviation())
                              : value.toString();
    }
    if (value.isDouble())
        return QString::number(value.toInteger());
    return value.toString();
}

QVariant RecordModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole || orientation != Qt::Horizontal || section >= m_api.fields.size())
        return {};
    return m_api.fields.at(section).label();
}

} // namespace organizer::ui
