#pragma once

#include "recordmodel.h"

#include <QDialog>
#include <QHash>

class QLabel;
class QLineEdit;

namespace organizer::ui {

// Add or edit one contact or appointment; checks the fields before anything is sent.
class RecordDialog : public QDialog
{
    Q_OBJECT

public:
    RecordDialog(const QString &title, const QList<RecordColumn> &columns, const QJsonObject &record, QWidget *parent = nullptr);
    QJsonObject record() const;

    // Empty when valid; else one sentence naming the first bad field.
    static QString validate(const QList<RecordColumn> &columns, const QJsonObject &record);

private:
    void accept() override;

    QList<RecordColumn> m_columns;
    QHash<QString, QLineEdit *> m_fields;
    QLabel *m_error;
};

} // namespace organizer::ui
