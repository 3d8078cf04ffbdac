#include "qaexpectation.h"

namespace organizer::qa {

QList<RowSpec> planRows(const Plan &plan)
{
    QList<RowSpec> rows;
    for (int user = 0; user < plan.users.size(); ++user) {
        for (int set = 0; set < plan.scopeSets.size(); ++set)
            rows.append(RowSpec{user, set, std::nullopt});
    }
    for (Probe probe : plan.probes)
        rows.append(RowSpec{-1, -1, probe});
    return rows;
}

QString rowLabel(const Plan &plan, const RowSpec &row)
{
    if (row.isProbe())
        return QStringLiteral("probe: %1").arg(probeDescription(*row.probe));
    return QStringLiteral("%1 · %2").arg(plan.users.at(row.userIndex).label(), plan.scopeSets.at(row.scopeSetIndex).label);
}

QStringList grantedToPerson(const TenantRules &tenant, const QString &login, const QStringList &requested)
{
    const QStringList permissions = tenant.userPermissions.value(login);
    QStringList granted;
    for (const QString &scope : requested) {
        if (!tenant.apiScopes.contains(scope))
            continue; // not a scope of this API: never granted
        if (tenant.rbac && !permissions.contains(scope))
            continue;
        granted.append(scope);
    }
    return granted;
}

int successStatus(const QByteArray &method)
{
    if (method == "POST")
        return 201;
    if (method == "DELETE")
        return 204;
    return 200;
}

RowExpectation expectRow(const Plan &plan, const RowSpec &row)
{
    RowExpectation expectation;
    if (row.isProbe()) {
        // The probe tokens are made for the purpose: every scope an endpoint names, so only the defect
        // the probe stands for can make a call fail.
        for (const Endpoint &endpoint : plan.endpoints) {
            if (!expectation.grantedApiScopes.contains(endpoint.scope))
                expectation.grantedApiScopes.append(endpoint.scope);
        }
        expectation.requestedScopes = expectation.grantedApiScopes;
        expectation.tokenIssued = *row.probe != Probe::NoToken;
        expectation.why = QStringLiteral("the API must answer %1 as its rule says").arg(probeDescription(*row.probe));
        return expectation;
    }
    const PlanUser &user = plan.users.at(row.userIndex);
    const QStringList requested = plan.scopeSets.at(row.scopeSetIndex).scopes;
    const TenantRules &tenant = plan.tenant;
    if (user.kind == PlanUser::Kind::ClientCredentials) {
        // Auth0's client credentials: no scope asked means every granted scope; asking for one not
        // granted refuses the token (403 access_denied).
        const QStringList grant = tenant.clientGrants.value(user.clientId);
        expectation.requestedScopes = requested;
        QStringList missing;
        for (const QString &scope : requested) {
            if (!grant.contains(scope))
                missing.append(scope);
        }
        if (!missing.isEmpty()) {
            expectation.tokenIssued = false;
            expectation.tokenError = QStringLiteral("access_denied");
            expectation.why = QStringLiteral("the client grant lacks %1, so the token endpoint refuses").arg(missing.join(QLatin1String(", ")));
            return expectation;
        }
        expectation.grantedApiScopes = requested.isEmpty() ? grant : requested;
        expectation.why = requested.isEmpty() ? QStringLiteral("no scope asked: the client grant's scopes") : QStringLiteral("requested ⊆ client grant");
        return expectation;
    }
    expectation.requestedScopes = plan.loginScopes + requested;
    expectation.requestedScopes.removeDuplicates();
    expectation.grantedApiScopes = grantedToPerson(tenant, user.login, requested);
    expectation.why = tenant.rbac ? QStringLiteral("RBAC on: requested ∩ the user's permissions") : QStringLiteral("RBAC off: requested ∩ the API's scopes");
    return expectation;
}

CellExpectation expectCell(const Plan &plan, const RowSpec &row, const RowExpectation &rowExpectation, const Endpoint &endpoint)
{
    CellExpectation cell;
    if (row.isProbe()) {
        switch (*row.probe) {
        case Probe::NoToken:
            cell = {401, {}, false, QStringLiteral("no credentials: 401 with a bare Bearer challenge (RFC 6750 §3.1)")};
            break;
        case Probe::ExpiredToken:
        case Probe::TamperedToken:
        case Probe::OtherAudience:
            cell = {401, QStringLiteral("invalid_token"), false, QStringLiteral("%1 is refused: 401 invalid_token").arg(probeDescription(*row.probe))};
            break;
        case Probe::WithoutOpenId:
            cell = {successStatus(endpoint.method), {}, false, QStringLiteral("openid is not an API scope: the API scopes alone decide")};
            break;
        }
    } else if (!rowExpectation.tokenIssued) {
        cell = {0, rowExpectation.tokenError, false, rowExpectation.why};
    } else if (rowExpectation.grantedApiScopes.contains(endpoint.scope)) {
        cell = {successStatus(endpoint.method), {}, false, QStringLiteral("%1 is granted").arg(endpoint.scope)};
    } else {
        cell = {403, QStringLiteral("insufficient_scope"), false, QStringLiteral("%1 is not granted").arg(endpoint.scope)};
    }
    if (row.isProbe())
        return cell;
    const PlanUser &user = plan.users.at(row.userIndex);
    const QStringList &scopes = plan.scopeSets.at(row.scopeSetIndex).scopes;
    for (const Pin &pin : plan.pins) {
        if (pin.endpoint != endpoint.name())
            continue;
        if (!pin.user.isEmpty() && pin.user != user.login && pin.user != user.clientId)
            continue;
        if (pin.scopes) {
            QStringList a = *pin.scopes, b = scopes;
            a.sort();
            b.sort();
            if (a != b)
                continue;
        }
        cell = {pin.status, pin.error, true, pin.reason.isEmpty() ? QStringLiteral("pinned by the plan") : pin.reason};
    }
    return cell;
}

} // namespace organizer::qa
