#include "recordmodel.h"

#include <QDateTime>
#include <QLocale>

namespace organizer::ui {

QList<RecordColumn> contactColumns()
{
    return {{QStringLiteral("name"), QObject::tr("Name"), true, QStringLiteral("text")},
            {QStringLiteral("email"), QObject::tr("Email"), true, QStringLiteral("email")},
            {QStringLiteral("phone"), QObject::tr("Phone"), false, QStringLiteral("text")},
            {QStringLiteral("company"), QObject::tr("Company"), false, QStringLiteral("text")},
            {QStringLiteral("notes"), QObject::tr("Notes"), false, QStringLiteral("text")}};
}

QList<RecordColumn> appointmentColumns()
{
    return {{QStringLiteral("title"), QObject::tr("Title"), true, QStringLiteral("text")},
            {QStringLiteral("time"), QObject::tr("Time"), true, QStringLiteral("datetime")},
            {QStringLiteral("duration_minutes"), QObject::tr("Minutes"), false, QStringLiteral("minutes")},
            {QStringLiteral("location"), QObject::tr("Location"), false, QStringLiteral("text")},
            {QStringLiteral("notes"), QObject::tr("Notes"), false, QStringLiteral("text")}};
}

RecordModel::RecordModel(QList<RecordColumn> columns, QObject *parent) : QAbstractTableModel(parent), m_columns(std::move(columns)) {}

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
    return parent.isValid() ? 0 : int(m_columns.size());
}

QVariant RecordModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || (role != Qt::DisplayRole && role != Qt::ToolTipRole))
        return {};
    const RecordColumn &column = m_columns.at(index.column());
    const QJsonValue value = m_records.at(index.row()).value(column.member);
    if (column.kind == QLatin1String("datetime") && role == Qt::DisplayRole) {
        const QDateTime time = QDateTime::fromString(value.toString(), Qt::ISODate);
        return time.isValid() ? QLocale().toString(time, QLocale::ShortFormat) + QStringLiteral("  (%1)").arg(time.offsetFromUtc() == 0 ? QStringLiteral("UTC") : time.timeZoneAbbreviation())
                              : value.toString();
    }
    if (value.isDouble())
        return QString::number(value.toInteger());
    return value.toString();
}

QVariant RecordModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (role != Qt::DisplayRole || orientation != Qt::Horizontal || section >= m_columns.size())
        return {};
    return m_columns.at(section).title;
}

} // namespace organizer::ui
