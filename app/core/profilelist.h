#pragma once

#include "profiles.h"

#include <QObject>

namespace organizer::app {

// The profiles the app knows and which one is in use, kept where they are saved (ProfileStore):
// the window shows them and asks for changes, and never keeps a list of its own. Every change is
// saved at once; a profile given on the command line is used without being saved until it is edited.
class ProfileList : public QObject
{
    Q_OBJECT

public:
    // Reads the saved profiles; without a store (headless runs, tests) only Local, kept in memory.
    explicit ProfileList(ProfileStore *store = nullptr, QObject *parent = nullptr);

    const QList<Profile> &profiles() const { return m_profiles; }
    // Local first, then the others, as saved.
    QStringList names() const;
    const Profile &current() const;
    // The profile saved as current last time (Local when none was).
    QString savedCurrentName() const;

    // Makes `name` current (Local when there is no such profile); false when it already was.
    bool select(const QString &name);
    // Adds `profile`, or replaces the one named `replacing` (or, without it, the one of the same
    // name), saves and makes it current.
    void put(const Profile &profile, const QString &replacing = {});
    // The same for a profile the command line gives: used now, saved only once something edits it.
    void use(const Profile &profile);
    // Removes a profile other than Local; Local becomes current if it was. False when nothing was removed.
    bool remove(const QString &name);

    // Edits of the current profile, saved at once.
    void setFlow(Flow flow);
    void setScope(const QString &scope, bool requested);
    // Adds the scopes it does not ask for yet; false when it asked for all of them.
    bool addScopes(const QStringList &scopes);

Q_SIGNALS:
    // Profiles were added, removed or renamed.
    void listChanged();
    // Another profile is current, or the current one was replaced.
    void currentChanged(const organizer::app::Profile &profile);

private:
    Profile *find(const QString &name);
    void save();

    ProfileStore *m_store;
    QList<Profile> m_profiles;
    QString m_current;
};

} // namespace organizer::app
