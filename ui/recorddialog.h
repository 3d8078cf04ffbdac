#pragma once

#include "recordmodel.h"

#include <QDialog>
#include <QHash>

class QLabel;
class QLineEdit;

namespace organizer::ui {

// Add or edit one record of an API; checks the fields by the catalogue's rules (the server's own)
// before anything is sent.
class RecordDialog : public QDialog
{
    Q_OBJECT

public:
    RecordDialog(const QString &title, catalogue::ApiSpec api, const QJsonObject &record, QWidget *parent = nullptr);
    QJsonObject record() const;

    // Empty when valid; else one sentence naming the first bad field.
    static QString validate(const catalogue::ApiSpec &api, const QJsonObject &record);

private:
    void accept() override;

    catalogue::ApiSpec m_api;
    QHash<QString, QLineEdit *> m_fields;
    QLabel *m_error;
};

} // namespace organizer::ui
