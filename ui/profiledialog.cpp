#include "profiledialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QVBoxLayout>

namespace organizer::ui {

namespace {
bool isHttpUrl(const QUrl &url)
{
    return url.isValid() && !url.host().isEmpty() && (url.scheme() == QLatin1String("https") || url.scheme() == QLatin1String("http"));
}
} // namespace

ProfileDialog::ProfileDialog(const app::Profile &profile, const QStringList &takenNames, QWidget *parent)
    : QDialog(parent), m_base(profile), m_takenNames(takenNames)
{
    setWindowTitle(profile.name.isEmpty() ? tr("New profile") : tr("Edit profile"));
    auto *layout = new QVBoxLayout(this);
    auto *form = new QFormLayout;
    m_name = new QLineEdit(profile.name, this);
    m_issuer = new QLineEdit(profile.issuer.toString(), this);
    m_issuer->setPlaceholderText(QStringLiteral("https://YOUR_TENANT.auth0.com/"));
    m_clientId = new QLineEdit(profile.clientId, this);
    m_audience = new QLineEdit(profile.audience, this);
    m_redirectUri = new QLineEdit(profile.redirectUri.toString(), this);
    m_apiBaseUrl = new QLineEdit(profile.apiBaseUrl.toString(), this);
    m_apiBaseUrl->setPlaceholderText(QStringLiteral("http://localhost:3001/"));
    m_managementClientId = new QLineEdit(profile.managementClientId, this);
    m_managementClientId->setPlaceholderText(tr("optional: a machine-to-machine client with Management API scopes"));
    m_systemBrowser = new QCheckBox(tr("Log in in the system browser (loopback redirect, RFC 8252; uses Code + PKCE)"), this);
    m_systemBrowser->setChecked(profile.useSystemBrowser);
    form->addRow(tr("Name"), m_name);
    form->addRow(tr("Issuer / domain"), m_issuer);
    form->addRow(tr("Client ID"), m_clientId);
    form->addRow(tr("Audience (API identifier)"), m_audience);
    form->addRow(tr("Redirect URI"), m_redirectUri);
    form->addRow(tr("APIs at"), m_apiBaseUrl);
    form->addRow(tr("Management client ID"), m_managementClientId);
    form->addRow(QString(), m_systemBrowser);
    connect(m_systemBrowser, &QCheckBox::toggled, m_redirectUri, &QWidget::setDisabled);
    m_redirectUri->setDisabled(profile.useSystemBrowser);
    m_error = new QLabel(this);
    m_error->setStyleSheet(QStringLiteral("color: #b42318"));
    m_error->setWordWrap(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &ProfileDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    setMinimumWidth(560);
}

app::Profile ProfileDialog::profile() const
{
    app::Profile profile = m_base;
    profile.local = false;
    profile.name = m_name->text().trimmed();
    profile.issuer = QUrl(m_issuer->text().trimmed());
    profile.clientId = m_clientId->text().trimmed();
    profile.audience = m_audience->text().trimmed();
    profile.redirectUri = QUrl(m_redirectUri->text().trimmed());
    profile.apiBaseUrl = QUrl(m_apiBaseUrl->text().trimmed());
    profile.useSystemBrowser = m_systemBrowser->isChecked();
    profile.managementClientId = m_managementClientId->text().trimmed();
    if (profile.useSystemBrowser)
        profile.flow = app::Flow::AuthorizationCodePkce; // the fragment of an implicit answer never reaches a loopback server
    return profile;
}

QString ProfileDialog::validate(const app::Profile &profile, const QStringList &takenNames)
{
    if (profile.name.isEmpty() || profile.name == QLatin1String("Local"))
        return tr("Give the profile a name other than Local.");
    if (takenNames.contains(profile.name))
        return tr("A profile named “%1” exists already.").arg(profile.name);
    if (!isHttpUrl(profile.issuer))
        return tr("The issuer must be an http(s) URL, like https://YOUR_TENANT.auth0.com/.");
    if (profile.clientId.isEmpty())
        return tr("The client ID is required (Applications → your app → Client ID in Auth0).");
    if (!profile.useSystemBrowser && !isHttpUrl(profile.redirectUri))
        return tr("The redirect URI must be an http(s) URL registered as an allowed callback.");
    if (!isHttpUrl(profile.apiBaseUrl))
        return tr("Say where the contacts and calendar APIs run, e.g. http://localhost:3001/.");
    return {};
}

void ProfileDialog::accept()
{
    const QString problem = validate(profile(), m_takenNames);
    if (!problem.isEmpty()) {
        m_error->setText(problem);
        return;
    }
    QDialog::accept();
}

} // namespace organizer::ui
