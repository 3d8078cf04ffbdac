#pragma once

#include "tokengrant.h"

#include <QThreadPool>

#include <atomic>

namespace organizer::authorization {

// grant_type=client_credentials (RFC 6749 §4.4): a machine-to-machine client's token for an API it has
// a client grant for, with the granted scopes or the requested subset of them. The RS256 signature,
// the costly part, runs on a pool beside the HTTP workers, so machine-to-machine clients get every core.
class ClientCredentialsGrant : public TokenGrant
{
public:
    explicit ClientCredentialsGrant(AuthorizationContext &context) : m_context(context) {}
    ~ClientCredentialsGrant() override;

    QLatin1StringView type() const override { return QLatin1StringView("client_credentials"); }
    void issue(const Request &request, Done done) override;

private:
    static constexpr int kMaxSigningQueued = 1024;

    AuthorizationContext &m_context;
    std::atomic<int> m_signingQueued{0}; // before the pool: its tasks count down until it has waited for them
    QThreadPool m_signing;
};

} // namespace organizer::authorization
