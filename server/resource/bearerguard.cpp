#include "bearerguard.h"

namespace organizer::resource {

namespace {

// Moves the verified token along: its claims are shared data, and a copy would touch their reference
// count, which every worker's copies share.
BearerGuard::Outcome outcomeOf(jose::Result<jose::VerifiedJwt> &&result)
{
    if (!result)
        return Unexpected<oauth::OAuthError>(oauth::OAuthError::invalidToken(result.error().description));
    return std::move(result).value();
}

} // namespace

void BearerGuard::authenticate(const http::Request &request, std::function<void(const http::Request &, const Outcome &)> then) const
{
    if (auto outcome = authenticateAtOnce(request)) {
        then(request, *outcome);
        return;
    }
    m_verifier->verify(readBearerCredentials(request).token, [request, then = std::move(then)](const jose::Result<jose::VerifiedJwt> &result) {
        then(request, outcomeOf(jose::Result<jose::VerifiedJwt>(result)));
    });
}

std::optional<BearerGuard::Outcome> BearerGuard::authenticateAtOnce(const http::Request &request) const
{
    const BearerCredentials credentials = readBearerCredentials(request);
    switch (credentials.kind) {
    case BearerCredentials::Kind::Missing:
    case BearerCredentials::Kind::OtherScheme:
        return Outcome(Unexpected<oauth::OAuthError>(oauth::OAuthError::unauthorized(credentials.problem)));
    case BearerCredentials::Kind::Malformed:
        return Outcome(Unexpected<oauth::OAuthError>(oauth::OAuthError::invalidRequest(credentials.problem)));
    case BearerCredentials::Kind::Present:
        break;
    }
    if (auto verdict = m_verifier->verifyAtOnce(credentials.token))
        return outcomeOf(std::move(*verdict));
    return std::nullopt;
}

} // namespace organizer::resource
