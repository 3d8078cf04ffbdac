#pragma once

#include "profiles.h"

#include <QDialog>

class QCheckBox;
class QLabel;
class QLineEdit;

namespace organizer::ui {

// Creates or edits a profile for a real Auth0 tenant or any OpenID provider.
class ProfileDialog : public QDialog
{
    Q_OBJECT

public:
    ProfileDialog(const app::Profile &profile, const QStringList &takenNames, QWidget *parent = nullptr);
    app::Profile profile() const;

    // Empty when usable; else one sentence naming the field to fix.
    static QString validate(const app::Profile &profile, const QStringList &takenNames);

private:
    void accept() override;

    app::Profile m_base;
    QStringList m_takenNames;
    QLineEdit *m_name;
    QLineEdit *m_issuer;
    QLineEdit *m_clientId;
    QLineEdit *m_audience;
    QLineEdit *m_redirectUri;
    QLineEdit *m_apiBaseUrl;
    QLineEdit *m_managementClientId;
    QCheckBox *m_systemBrowser;
    QLabel *m_error;
};

} // namespace organizer::ui
