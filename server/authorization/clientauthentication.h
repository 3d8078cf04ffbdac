#pragma once

#include "authorizationcontext.h"
#include "expected.h"
#include "formencoding.h"
#include "httpmessage.h"
#include "oautherror.h"
#include "verifiedsecrets.h"

#include <QHash>
#include <QMutex>

#include <functional>

namespace organizer::authorization {

// Who is calling the token and revocation endpoints (RFC 6749 §2.3): client_secret_basic,
// client_secret_post, or a public client's client_id alone. Secrets are checked with the slow KDF off
// the event loop, once per client at a time, and guessing is throttled per client ID and, for IDs that
// do not exist, per address; a secret verified once costs one HMAC from then on.
class ClientAuthentication
{
public:
    explicit ClientAuthentication(AuthorizationContext &context) : m_context(context) {}

    struct Authenticated
    {
        TenantSnapshot tenant; // holds `client`
        const Client *client = nullptr;
        bool usedBasic = false;
    };
    // Why a client was not let in, and what the answer must carry besides the RFC 6749 §5.2 body.
    struct Refusal
    {
        oauth::OAuthError error;
        qint64 retryAfter = 0; // seconds, for a throttle or a full queue; 0: no Retry-After
        bool basicChallenge = false; // RFC 6749 §5.2: a 401 after Basic authentication says WWW-Authenticate: Basic
    };
    using Outcome = Expected<Authenticated, Refusal>;
    using Done = std::function<void(const Outcome &)>;

    // Calls `done` once: at once for a public client, a secret verified before or a malformed request;
    // later (on the context's callback thread) when the KDF must run.
    void authenticate(const http::Request &request, const FormData &parameters, Done done);

    // A verified secret is forgotten with its client or the secret it was checked against. A check that
    // finishes later compares the secret it checked with the client's in the tenant of that moment.
    void tenantReplaced(const Tenant &before, const Tenant &after);

private:
    static constexpr qsizetype kMaxChecksWaiting = 256; // per client ID, behind the one KDF check running
    struct Credentials
    {
        QString clientId;
        QString secret;
        bool usedBasic = false;
        QString addressKey; // the sender's address group, for unknown client IDs
    };
    void checkSecret(const Credentials &credentials, Done done);
    void resumeChecks(const QString &clientKey);

    AuthorizationContext &m_context;
    VerifiedSecrets m_verifiedSecrets;
    // Client IDs with a KDF check running, each with the requests waiting for its verdict; workers add
    // to it, the check's verdict (on the context's callback thread) takes from it.
    QMutex m_checksMutex;
    QHash<QString, QList<QPair<Credentials, Done>>> m_checksWaiting;
};

// The token endpoint's answer to a refusal: the RFC 6749 §5.2 body with Retry-After or the Basic challenge.
http::Response refusalResponse(const ClientAuthentication::Refusal &refusal);

} // namespace organizer::authorization
