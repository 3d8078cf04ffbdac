#pragma once

#include "flowtimeline.h"
#include "formencoding.h"
#include "jwk.h"
#include "loginresult.h"
#include "oidcclient.h"

#include <QObject>
#include <QUrl>

namespace organizer::app {

Q_DECLARE_LOGGING_CATEGORY(lcSession)

enum class Flow { Implicit, AuthorizationCodePkce };

struct LoginSettings
{
    QUrl issuer;
    QString clientId;
    QString audience; // Auth0's audience parameter
    QString resource; // RFC 8707 resource indicator (an absolute URI), for providers that use it
    QUrl redirectUri;
    QStringList scopes;
    Flow flow = Flow::Implicit;
};

// One login against an OpenID provider. Like Qt NetworkAuth, it never opens a browser: it emits
// authorizeWithBrowser(url), and whoever shows the page hands every navigation back to isRedirect()
// and handleRedirect(). Tokens stay in memory.
class LoginSession : public QObject
{
    Q_OBJECT

public:
    explicit LoginSession(OidcClient *client, QObject *parent = nullptr);

    void start(const LoginSettings &settings);
    void cancel();
    bool isActive() const { return m_active; }

    // Whether `url` is the redirect URI of the login in progress (then no request may leave for it).
    bool isRedirect(const QUrl &url) const;
    void handleRedirect(const QUrl &url);

    const ProviderMetadata &metadata() const { return m_metadata; }
    const jose::JwkSet &keys() const { return m_keys; }
    const LoginSettings &settings() const { return m_settings; }

    // The /authorize URL for `settings` with the given secrets (exposed for tests and the timeline).
    static QUrl authorizationUrl(const ProviderMetadata &metadata, const LoginSettings &settings, const QString &state, const QString &nonce,
                                 const QString &codeChallenge);
    static QString pkceChallenge(const QString &verifier);
    static QString randomSecret();

Q_SIGNALS:
    void authorizeWithBrowser(const QUrl &url);
    void succeeded(const organizer::app::LoginResult &result);
    void failed(const organizer::app::LoginError &error);
    void progress(const QString &step);
    // The same steps for the flow timeline: who talked to whom and how it went (texts get masked there).
    void step(organizer::app::Lane from, organizer::app::Lane to, const QString &label, organizer::app::FlowStep::Outcome outcome, const QString &detail);

private:
    void record(Lane from, Lane to, const QString &label, bool ok, const QString &detail = {});
    void recordVerified(const LoginResult &result);
    void fail(LoginError::Kind kind, const QString &message, const QString &detail = {});
    void finishImplicit(const FormData &parameters, bool keysRefreshed);
    void redeemCode(const FormData &parameters);

    OidcClient *m_client;
    LoginSettings m_settings;
    ProviderMetadata m_metadata;
    jose::JwkSet m_keys;
    ExpectedLogin m_expected;
    QString m_codeVerifier;
    bool m_active = false;
    bool m_answerTaken = false; // the redirect of the current login has been handled
    quint64 m_generation = 0; // answers to an older start() are dropped
};

} // namespace organizer::app
