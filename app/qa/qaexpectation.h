#pragma once

#include "qaplan.h"

namespace organizer::qa {

// One row of the grid: a user asking for a scope set, or one of the negative probes.
struct RowSpec
{
    int userIndex = -1; // into Plan::users; -1 for a probe row
    int scopeSetIndex = -1; // into Plan::scopeSets
    std::optional<Probe> probe;

    bool isProbe() const { return probe.has_value(); }
};

// What the tenant's rules say a row's login yields, before anything is asked of a server.
struct RowExpectation
{
    bool tokenIssued = true;
    QString tokenError; // e.g. access_denied when a client asks for scopes it was not granted
    QStringList requestedScopes; // what the login asks for (OpenID scopes included for people)
    QStringList grantedApiScopes;
    QString why; // one sentence: how the grant was derived
};

// What one cell must answer.
struct CellExpectation
{
    int status = 0; // 0: no call is made (the row expects no token)
    QString error; // RFC 6750 error code in WWW-Authenticate, or empty for none
    bool pinned = false;
    QString why;
};

// The plan's rows in order: every user × every scope set, then one row per negative probe.
QList<RowSpec> planRows(const Plan &plan);
QString rowLabel(const Plan &plan, const RowSpec &row);

RowExpectation expectRow(const Plan &plan, const RowSpec &row);
CellExpectation expectCell(const Plan &plan, const RowSpec &row, const RowExpectation &rowExpectation, const Endpoint &endpoint);

// What a person asking for `requested` is granted of the API, by the tenant's rules: requested ∩ the
// person's permissions with RBAC on, requested ∩ the API's scopes with it off.
QStringList grantedToPerson(const TenantRules &tenant, const QString &login, const QStringList &requested);

// 201 for a create, 204 for a delete, 200 otherwise: what the Organizer Service answers on success.
int successStatus(const QByteArray &method);

} // namespace organizer::qa
