#pragma once

#include "authorizationserver.h"
#include "catalogue.h"
#include "managementjson.h"
#include "tenantstore.h"

#include <QLoggingCategory>
#include <QMutex>

#include <functional>

namespace organizer::management {

Q_DECLARE_LOGGING_CATEGORY(lcManagement)

// What every Management API resource works on: the tenant the call sees, the one way to change it
// (commit: checked as a whole, stored, applied), and the settings. Calls are taken one at a time
// (ManagementApi holds calls() around each), so tenant() stays put for the whole of a call while
// logins and tokens go on beside it on their own snapshots.
class ManagementContext
{
public:
    struct Settings
    {
        QString servedAudience; // the resource server this process hosts ("organize")
        QList<catalogue::ApiSpec> builtinApis; // the catalogue's APIs it serves
        QByteArray sourceDigest; // of the tenant file the stored changes apply to
        // Calls that store a password or secret waiting for its KDF hash (or running); more are answered 429.
        int maxWaitingHashes = 32;
    };
    // Applies a committed tenant beyond the authorization server (resource server, CORS); an error
    // undoes the change.
    using TenantChanged = std::function<Expected<Done, QString>(const authorization::Tenant &)>;

    ManagementContext(Settings settings, authorization::AuthorizationServer *authorization, store::TenantStore *store, TenantChanged changed);

    const Settings &settings() const { return m_settings; }
    // The tenant this call works on: only a call holding calls() replaces it.
    const authorization::Tenant &tenant() const { return *m_tenant; }
    // Checks, stores and applies `next` (logged as `what`); then answers with `answer()`, which sees
    // the tenant as changed. A change the whole tenant refuses, or another instance's change stored
    // first, is answered as Auth0 would and nothing changes.
    http::Response commit(authorization::Tenant next, const QString &what, const std::function<http::Response()> &answer);
    // The APIs with records the served resource server has in `tenant`: the catalogue's and the declared ones.
    QList<catalogue::ApiSpec> servedApisOf(const authorization::Tenant &tenant) const;

    // One call (or catch-up) at a time: read, check, store and apply the tenant as a whole.
    QMutex &calls() { return m_calls; }
    // Under calls(): takes on the tenant another instance stored since. True when it changed.
    Expected<bool, QString> followStore();
    // What the tenant in use came from: 0 for the file's, nothing stored.
    void setRevision(qint64 revision) { m_revision = revision; }

    // The scopes of the token the call under way was made with (set by ManagementApi around each call),
    // for a member of a body that needs more than its route's scope (Auth0: client_secret needs
    // update:client_keys). Empty outside a call.
    void setCallerScopes(QStringList scopes) { m_callerScopes = std::move(scopes); }
    bool callerHasScope(const QString &scope) const { return m_callerScopes.contains(scope); }

    // The secrets a call will store as KDF hashes, as its route foresees them from the body before
    // calls() is taken: those the body gives and those made for the call (shown once in its answer).
    struct SecretsToHash
    {
        QStringList given;
        QStringList generated;
        bool isEmpty() const { return given.isEmpty() && generated.isEmpty(); }
    };
    // What was hashed for the call under way, off the HTTP worker and outside calls() (set by
    // ManagementApi around each call, as the caller's scopes are). Empty outside a call.
    struct PreparedSecrets
    {
        QStringList generated;
        QHash<QString, QString> hashes; // secret → its encoded hash
    };
    void setPreparedSecrets(PreparedSecrets prepared) { m_prepared = std::move(prepared); }
    // The hash prepared for exactly `secret`; made here, under calls(), only when the call turned out
    // to need one its route did not foresee (the tenant changed in between).
    QString hashOf(const QString &secret);
    // The next secret made for this call before it ran, else one `make()` makes now.
    QString generatedSecret(const std::function<QString()> &make);
    // The tenant as it is now, without calls(): what a route foresees its secrets from.
    authorization::TenantSnapshot latestTenant() const { return m_authorization->tenant(); }

private:
    Settings m_settings;
    authorization::AuthorizationServer *m_authorization;
    store::TenantStore *m_store;
    TenantChanged m_changed;
    QMutex m_calls;
    authorization::TenantSnapshot m_tenant; // what tenant() reads; refreshed under m_calls
    qint64 m_revision = 0;
    QStringList m_callerScopes;
    PreparedSecrets m_prepared;
};

// Applies RBAC's bookkeeping after an API lost scopes or went: grants, users' and roles'
// permissions no longer name what does not exist.
void dropUndefinedPermissions(authorization::Tenant &tenant);

} // namespace organizer::management
