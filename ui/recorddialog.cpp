#include "recorddialog.h"

#include "recordvalidation.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QVBoxLayout>

namespace organizer::ui {

RecordDialog::RecordDialog(const QString &title, catalogue::ApiSpec api, const QJsonObject &record, QWidget *parent) : QDialog(parent), m_api(std::move(api))
{
    setWindowTitle(title);
    auto *layout = new QVBoxLayout(this);
    auto *form = new QFormLayout;
    using Type = catalogue::RecordField::Type;
    for (const catalogue::RecordField &field : m_api.fields) {
        auto *edit = new QLineEdit(this);
        const QJsonValue value = record.value(field.name);
        edit->setText(value.isDouble() ? QString::number(value.toInteger()) : value.toString());
        if (field.type == Type::DateTime)
            edit->setPlaceholderText(QStringLiteral("2026-11-30T14:30:00-05:00"));
        else if (field.type == Type::Email)
            edit->setPlaceholderText(QStringLiteral("jane@example.com"));
        else if (field.type == Type::Minutes)
            edit->setPlaceholderText(QStringLiteral("30"));
        if (field.type != Type::Minutes)
            edit->setMaxLength(field.maxLength);
        form->addRow(field.label() + (field.required ? QStringLiteral(" *") : QString()), edit);
        m_fields.insert(field.name, edit);
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
    for (const catalogue::RecordField &field : m_api.fields) {
        const QString text = m_fields.value(field.name)->text().trimmed();
        if (text.isEmpty())
            continue;
        bool isNumber = false;
        const int minutes = text.toInt(&isNumber);
        // A number the field wants as a number; anything else as typed, for validate() to name.
        if (field.type == catalogue::RecordField::Type::Minutes && isNumber)
            out.insert(field.name, minutes);
        else
            out.insert(field.name, text);
    }
    return out;
}

QString RecordDialog::validate(const catalogue::ApiSpec &api, const QJsonObject &record)
{
    QList<catalogue::FieldError> errors;
    (void)catalogue::validateRecord(api, record, &errors);
    if (errors.isEmpty())
        return {};
    const catalogue::RecordField *field = api.field(errors.first().field);
    return QObject::tr("%1 %2.").arg(field ? field->label() : errors.first().field, errors.first().message);
}

void RecordDialog::accept()
{
    const QString problem = validate(m_api, record());
    if (!problem.isEmpty()) {
        m_error->setText(problem);
        return;
    }
    QDialog::accept();
}

} // namespace organizer::ui
