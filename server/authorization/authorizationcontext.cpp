#include "authorizationcontext.h"

#include "clientauthentication.h"
#include "tokenrevocations.h"

namespace organizer::authorization {

Q_LOGGING_CATEGORY(lcAuthorization, "organizer.server.authorization")

LoginThrottles::LoginThrottles(const std::shared_ptr<store::Database> &database)
    : account(database, QStringLiteral("account")), unknownName(database, QStringLiteral("unknown-name"), 20), client(database, QStringLiteral("client")),
      unknownClient(database, QStringLiteral("unknown-client"), 20)
{}

AuthorizationContext::AuthorizationContext(Tenant tenant, Services services)
    : m_tenant(std::make_shared<const Tenant>(std::move(tenant))), m_minter(services.minter), m_consents(services.consents),
      m_userinfoVerifier(services.userinfoVerifier), m_publishedKeys(std::move(services.publishedKeys)), m_clock(services.clock),
      m_revocations(services.revocations), m_throttles(services.database), m_state(services.database, services.revocations, services.clock),
      m_refresh(
          services.database, [this](const QList<resource::TokenRevocations::Revoked> &tokens) { m_revocations->revokeAll(tokens, m_clock()); }, services.clock),
      m_clients(std::make_unique<ClientAuthentication>(*this))
{
    followSharedState(); // revocations made before this instance started
    auto formKey = m_state.sharedSecret(QStringLiteral("logout-form-key"));
    if (!formKey)
        qCCritical(lcAuthorization).noquote() << formKey.error() << "- logout confirmations work on this instance only";
    m_formKey = formKey ? formKey.value() : randomToken(32);
}

AuthorizationContext::~AuthorizationContext() = default;

void AuthorizationContext::replaceTenant(Tenant tenant)
{
    auto next = std::make_shared<const Tenant>(std::move(tenant));
    QMutexLocker lock(&m_tenantMutex);
    m_clients->tenantReplaced(*m_tenant, *next);
    m_tenant = std::move(next);
}

void AuthorizationContext::bindIssuer(const QString &issuer)
{
    Tenant bound = *tenant();
    bound.bindIssuer(issuer);
    QMutexLocker lock(&m_tenantMutex);
    m_tenant = std::make_shared<const Tenant>(std::move(bound));
}

void AuthorizationContext::followSharedState()
{
    if (auto followed = m_state.followRevocations(); !followed)
        qCWarning(lcAuthorization).noquote() << followed.error();
    else if (*followed > 0)
        qCInfo(lcAuthorization).noquote() << "took on" << *followed << "revocation(s) made by other instances";
}

void AuthorizationContext::prune()
{
    m_state.prune();
    m_refresh.prune();
    const qint64 now = m_clock();
    m_revocations->prune(now);
    for (LoginThrottle *throttle : {&m_throttles.account, &m_throttles.unknownName, &m_throttles.client, &m_throttles.unknownClient})
        throttle->prune(now);
}

} // namespace organizer::authorization
