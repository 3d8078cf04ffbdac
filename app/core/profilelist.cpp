#include "profilelist.h"

namespace organizer::app {

ProfileList::ProfileList(ProfileStore *store, QObject *parent)
    : QObject(parent), m_store(store), m_profiles(store ? store->load() : QList<Profile>{Profile::localProfile()}), m_current(m_profiles.first().name)
{}

QStringList ProfileList::names() const
{
    QStringList names;
    for (const Profile &profile : m_profiles)
        names.append(profile.name);
    return names;
}

const Profile &ProfileList::current() const
{
    for (const Profile &profile : m_profiles) {
        if (profile.name == m_current)
            return profile;
    }
    return m_profiles.first();
}

QString ProfileList::savedCurrentName() const
{
    return m_store ? m_store->currentName() : Profile::localProfile().name;
}

Profile *ProfileList::find(const QString &name)
{
    for (Profile &profile : m_profiles) {
        if (profile.name == name)
            return &profile;
    }
    return nullptr;
}

bool ProfileList::select(const QString &name)
{
    const QString chosen = find(name) ? name : m_profiles.first().name;
    if (m_store)
        m_store->setCurrentName(chosen);
    if (chosen == m_current)
        return false;
    m_current = chosen;
    Q_EMIT currentChanged(current());
    return true;
}

void ProfileList::use(const Profile &profile)
{
    if (Profile *existing = find(profile.name)) {
        *existing = profile;
    } else {
        m_profiles.append(profile);
        Q_EMIT listChanged();
    }
    if (!select(profile.name))
        Q_EMIT currentChanged(current()); // replaced in place: what it says may have changed
}

void ProfileList::put(const Profile &profile, const QString &replacing)
{
    Profile *existing = find(replacing.isEmpty() ? profile.name : replacing);
    const bool renamed = !existing || existing->name != profile.name;
    if (existing)
        *existing = profile;
    else
        m_profiles.append(profile);
    save();
    if (renamed)
        Q_EMIT listChanged();
    if (!select(profile.name))
        Q_EMIT currentChanged(current());
}

bool ProfileList::remove(const QString &name)
{
    const Profile *profile = find(name);
    if (!profile || profile->local)
        return false;
    m_profiles.removeIf([&name](const Profile &candidate) { return candidate.name == name; });
    save();
    Q_EMIT listChanged();
    if (m_current == name)
        select(m_profiles.first().name);
    return true;
}

void ProfileList::setFlow(Flow flow)
{
    Profile *profile = find(current().name);
    profile->flow = flow;
    save();
}

void ProfileList::setScope(const QString &scope, bool requested)
{
    Profile *profile = find(current().name);
    profile->scopes.removeAll(scope);
    if (requested)
        profile->scopes.append(scope);
    save();
}

bool ProfileList::addScopes(const QStringList &scopes)
{
    Profile *profile = find(current().name);
    bool added = false;
    for (const QString &scope : scopes) {
        if (!profile->scopes.contains(scope)) {
            profile->scopes.append(scope);
            added = true;
        }
    }
    save();
    return added;
}

void ProfileList::save()
{
    if (m_store)
        m_store->save(m_profiles);
}

} // namespace organizer::app
