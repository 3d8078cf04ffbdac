#include "recorddialog.h"

#include <QDateTime>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QVBoxLayout>

namespace organizer::ui {

RecordDialog::RecordDialog(const QString &title, const QList<RecordColumn> &columns, const QJsonObject &record, QWidget *parent)
    : QDialog(parent), m_columns(columns)
{
    setWindowTitle(title);
    auto *layout = new QVBoxLayout(this);
    auto *form = new QFormLayout;
    for (const RecordColumn &column : columns) {
        auto *edit = new QLineEdit(this);
        const QJsonValue value = record.value(column.member);
        edit->setText(value.isDouble() ? QString::number(value.toInteger()) : value.toString());
        if (column.kind == QLatin1String("datetime"))
            edit->setPlaceholderText(QStringLiteral("2026-11-30T14:30:00-05:00"));
        else if (column.kind == QLatin1String("email"))
            edit->setPlaceholderText(QStringLiteral("jane@example.com"));
        form->addRow(column.title + (column.required ? QStringLiteral(" *") : QString()), edit);
        m_fields.insert(column.member, edit);
    }
    m_error = new QLabel(this);
    m_error->setStyleSheet(QStringLiteral("color: #b42318"));
    m_error->setWordWrap(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &RecordDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    setMinimumWidth(420);
}

QJsonObject RecordDialog::record() const
{
    QJsonObject out;
    for (const RecordColumn &column : m_columns) {
        const QString text = m_fields.value(column.member)->text().trimmed();
        if (text.isEmpty())
            continue;
        if (column.kind == QLatin1String("minutes"))
            out.insert(column.member, text.toInt());
        else
            out.insert(column.member, text);
    }
    return out;
}

QString RecordDialog::validate(const QList<RecordColumn> &columns, const QJsonObject &record)
{
    static const QRegularExpression email(QStringLiteral(R"(^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$)"));
    for (const RecordColumn &column : columns) {
        const QJsonValue value = record.value(column.member);
        if (value.isUndefined()) {
            if (column.required)
                return QObject::tr("%1 is required.").arg(column.title);
            continue;
        }
        if (column.kind == QLatin1String("email") && !email.match(value.toString()).hasMatch())
            return QObject::tr("%1 must be an email address like jane@example.com.").arg(column.title);
        if (column.kind == QLatin1String("datetime")
            && (!QDateTime::fromString(value.toString(), Qt::ISODate).isValid()
                || !QRegularExpression(QStringLiteral("(Z|[+-]\\d\\d:\\d\\d)$")).match(value.toString()).hasMatch()))
            return QObject::tr("%1 must be a date and time with an offset, like 2026-11-30T14:30:00-05:00.").arg(column.title);
        if (column.kind == QLatin1String("minutes") && (value.toInt() < 1 || value.toInt() > 1440))
            return QObject::tr("%1 must be a number of minutes from 1 to 1440.").arg(column.title);
    }
    return {};
}

void RecordDialog::accept()
{
    const QString problem = validate(m_columns, record());
    if (!problem.isEmpty()) {
        m_error->setText(problem);
        return;
    }
    QDialog::accept();
}

} // namespace organizer::ui
