#pragma once

#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

namespace organizer::app {

// What decides what a login is granted, for every API of a tenant, as Auth0 decides it: each API's
// RBAC switch and scopes, each user's effective permissions, each application's client grants. The
// Tenant tab reads it from the Management API (TenantAdmin::accessRules()); the scope QA plan reads it
// from a tenant file (qa::readAccessRules) and predicts its grid from it.
struct AccessRules
{
    struct Api
    {
        QString identifier;
        bool rbac = false;
        QStringList scopes;

        bool operator==(const Api &) const = default;
    };
    struct Person
    {
        QString email;
        QString userId;
        QHash<QString, QStringList> permissions; // by API identifier

        bool operator==(const Person &) const = default;
    };
    struct Application
    {
        QString clientId;
        QHash<QString, QStringList> grants; // scopes granted, by API identifier

        bool operator==(const Application &) const = default;
    };

    QList<Api> apis;
    QList<Person> users;
    QList<Application> clients;

    const Api *api(const QString &identifier) const;
    bool operator==(const AccessRules &) const = default;
};

} // namespace organizer::app
