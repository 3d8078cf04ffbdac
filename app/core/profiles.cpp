#include "profiles.h"

#include "catalogue.h"

namespace organizer::app {

QString flowName(Flow flow)
{
    return flow == Flow::Implicit ? QStringLiteral("implicit") : QStringLiteral("code");
}

QStringList defaultLoginScopes()
{
    QStringList scopes{QStringLiteral("openid"), QStringLiteral("profile")};
    for (const catalogue::ApiSpec &api : catalogue::organizerService().apis)
        scopes.append(api.scope(catalogue::Action::Read));
    return scopes;
}

QStringList organizerApiScopes()
{
    return catalogue::organizerService().scopes();
}

QStringList scopeChoices(const Profile &profile, const QStringList &discovered)
{
    QStringList choices{QStringLiteral("profile"), QStringLiteral("email")};
    choices += organizerApiScopes();
    choices += profile.scopes;
    choices += discovered;
    choices.removeAll(QStringLiteral("openid"));
    choices.removeAll(QString());
    choices.removeDuplicates();
    return choices;
}

Profile Profile::localProfile()
{
    Profile profile;
    profile.name = QStringLiteral("Local");
    profile.local = true;
    profile.managementClientId = QStringLiteral("organizer-admin"); // the demo tenant's; its secret is public
    return profile;
}

LoginSettings Profile::loginSettings(const QUrl &localIssuer) const
{
    return LoginSettings{local ? localIssuer : issuer, clientId, audience, resource, redirectUri, scopes, flow};
}

QList<Profile> ProfileStore::load() const
{
    QList<Profile> profiles;
    Profile local = Profile::localProfile();
    // The Local profile's choices (scopes, flow) are remembered too; its server is not configurable.
    m_settings->beginGroup(QStringLiteral("profiles/Local"));
    local.scopes = m_settings->value(QStringLiteral("scopes"), local.scopes).toStringList();
    local.flow = m_settings->value(QStringLiteral("flow")).toString() == QLatin1String("code") ? Flow::AuthorizationCodePkce : Flow::Implicit;
    m_settings->endGroup();
    profiles.append(local);

    const int count = m_settings->beginReadArray(QStringLiteral("custom"));
    for (int i = 0; i < count; ++i) {
        m_settings->setArrayIndex(i);
        Profile profile;
        profile.name = m_settings->value(QStringLiteral("name")).toString();
        profile.issuer = m_settings->value(QStringLiteral("issuer")).toUrl();
        profile.apiBaseUrl = m_settings->value(QStringLiteral("apiBaseUrl")).toUrl();
        profile.clientId = m_settings->value(QStringLiteral("clientId"), profile.clientId).toString();
        profile.audience = m_settings->value(QStringLiteral("audience"), profile.audience).toString();
        profile.resource = m_settings->value(QStringLiteral("resource")).toString();
        profile.redirectUri = m_settings->value(QStringLiteral("redirectUri"), profile.redirectUri).toUrl();
        profile.scopes = m_settings->value(QStringLiteral("scopes"), profile.scopes).toStringList();
        profile.flow = m_settings->value(QStringLiteral("flow")).toString() == QLatin1String("code") ? Flow::AuthorizationCodePkce : Flow::Implicit;
        profile.useSystemBrowser = m_settings->value(QStringLiteral("useSystemBrowser"), false).toBool();
        profile.managementClientId = m_settings->value(QStringLiteral("managementClientId")).toString();
        if (!profile.name.isEmpty() && profile.issuer.isValid())
            profiles.append(profile);
    }
    m_settings->endArray();
    return profiles;
}

void ProfileStore::save(const QList<Profile> &profiles)
{
    QList<Profile> custom;
    for (const Profile &profile : profiles) {
        if (profile.local) {
            m_settings->beginGroup(QStringLiteral("profiles/Local"));
            m_settings->setValue(QStringLiteral("scopes"), profile.scopes);
            m_settings->setValue(QStringLiteral("flow"), flowName(profile.flow));
            m_settings->endGroup();
        } else {
            custom.append(profile);
        }
    }
    m_settings->beginWriteArray(QStringLiteral("custom"), int(custom.size()));
    for (int i = 0; i < custom.size(); ++i) {
        const Profile &profile = custom.at(i);
        m_settings->setArrayIndex(i);
        m_settings->setValue(QStringLiteral("name"), profile.name);
        m_settings->setValue(QStringLiteral("issuer"), profile.issuer);
        m_settings->setValue(QStringLiteral("apiBaseUrl"), profile.apiBaseUrl);
        m_settings->setValue(QStringLiteral("clientId"), profile.clientId);
        m_settings->setValue(QStringLiteral("audience"), profile.audience);
        m_settings->setValue(QStringLiteral("resource"), profile.resource);
        m_settings->setValue(QStringLiteral("redirectUri"), profile.redirectUri);
        m_settings->setValue(QStringLiteral("scopes"), profile.scopes);
        m_settings->setValue(QStringLiteral("flow"), flowName(profile.flow));
        m_settings->setValue(QStringLiteral("useSystemBrowser"), profile.useSystemBrowser);
        m_settings->setValue(QStringLiteral("managementClientId"), profile.managementClientId);
    }
    m_settings->endArray();
    m_settings->sync();
}

QString ProfileStore::currentName() const
{
    return m_settings->value(QStringLiteral("currentProfile"), QStringLiteral("Local")).toString();
}

void ProfileStore::setCurrentName(const QString &name)
{
    m_settings->setValue(QStringLiteral("currentProfile"), name);
}

} // namespace organizer::app
