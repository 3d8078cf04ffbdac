#pragma once

#include "catalogue.h"
#include "loginsession.h"

#include <QList>
#include <QSettings>

namespace organizer::app {

// What a login asks for unless told otherwise: openid, profile and the read scope of every API in
// the catalogue (openid profile read:contacts read:calendar). The one place these are spelled out.
QStringList defaultLoginScopes();

// Where and how to log in. "Local" uses the bundled server (its URL is known once it runs);
// others point at a real Auth0 tenant or any OpenID provider. Never holds a token.
struct Profile
{
    QString name;
    bool local = false;
    QUrl issuer; // empty for Local: the bundled server
    QUrl apiBaseUrl; // where the contacts and calendar APIs live; empty: the issuer's host (Local)
    QString clientId = QStringLiteral("organizer-desktop");
    QString audience = catalogue::organizerService().identifier; // Auth0's audience parameter; may be empty
    QString resource; // RFC 8707 resource indicator; empty: not sent
    QUrl redirectUri = QUrl(QStringLiteral("http://localhost:3000/callback"));
    QStringList scopes = defaultLoginScopes();
    Flow flow = Flow::Implicit;
    bool useSystemBrowser = false; // RFC 8252 loopback redirect in the system browser (non-local profiles)
    // A machine-to-machine client with management scopes: the Tenant tab administers the tenant
    // through it (Auth0's Management API). Its secret is asked for and kept in memory only.
    QString managementClientId;

    LoginSettings loginSettings(const QUrl &localIssuer) const;
    static Profile localProfile();
};

// Profiles in QSettings (organization "Organizer", application "organizer").
class ProfileStore
{
public:
    explicit ProfileStore(QSettings *settings) : m_settings(settings) {}

    QList<Profile> load() const; // Local first, then the saved ones
    void save(const QList<Profile> &profiles);
    QString currentName() const;
    void setCurrentName(const QString &name);

private:
    QSettings *m_settings;
};

QString flowName(Flow flow);

// The Organizer Service's API scopes, one per API and action.
QStringList organizerApiScopes();

// What the Scopes menu offers: the OpenID scopes, the API scopes the app knows and the profile
// asks for, and whatever the provider's discovery lists. Auth0's scopes_supported names no API
// scopes, so discovery alone would hide them. "openid" is left out: it is always requested.
QStringList scopeChoices(const Profile &profile, const QStringList &discovered);

} // namespace organizer::app
