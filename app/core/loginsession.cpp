#include "loginsession.h"

#include "base64url.h"
#include "redirectvalidation.h"

#include <QCryptographicHash>
#include <QJsonObject>
#include <QRandomGenerator>

namespace organizer::app {

Q_LOGGING_CATEGORY(lcSession, "organizer.app.session")

LoginSession::LoginSession(OidcClient *client, QObject *parent) : QObject(parent), m_client(client) {}

QString LoginSession::randomSecret()
{
    QByteArray bytes(32, Qt::Uninitialized);
    QRandomGenerator::system()->generate(reinterpret_cast<quint32 *>(bytes.data()), reinterpret_cast<quint32 *>(bytes.data() + bytes.size()));
    return QString::fromLatin1(jose::base64UrlEncode(bytes));
}

QString LoginSession::pkceChallenge(const QString &verifier)
{
    // RFC 7636 §4.2: S256
    return QString::fromLatin1(jose::base64UrlEncode(QCryptographicHash::hash(verifier.toLatin1(), QCryptographicHash::Sha256)));
}

QUrl LoginSession::authorizationUrl(const ProviderMetadata &metadata, const LoginSettings &settings, const QString &state, const QString &nonce,
                                    const QString &codeChallenge)
{
    QStringList scopes = settings.scopes;
    scopes.removeAll(QStringLiteral("openid"));
    scopes.prepend(QStringLiteral("openid")); // always: the app validates an ID token
    FormData parameters{
        {QStringLiteral("response_type"), settings.flow == Flow::Implicit ? QStringLiteral("id_token token") : QStringLiteral("code")},
        {QStringLiteral("client_id"), settings.clientId},
        {QStringLiteral("redirect_uri"), settings.redirectUri.toString(QUrl::FullyEncoded)},
        {QStringLiteral("scope"), scopes.join(QLatin1Char(' '))},
        {QStringLiteral("state"), state},
        {QStringLiteral("nonce"), nonce},
    };
    if (!settings.audience.isEmpty())
        parameters.add(QStringLiteral("audience"), settings.audience);
    if (!settings.resource.isEmpty())
        parameters.add(QStringLiteral("resource"), settings.resource);
    if (settings.flow == Flow::AuthorizationCodePkce) {
        parameters.add(QStringLiteral("code_challenge"), codeChallenge);
        parameters.add(QStringLiteral("code_challenge_method"), QStringLiteral("S256"));
    }
    QUrl url = metadata.authorizationEndpoint;
    const QString existing = url.query(QUrl::FullyEncoded); // a provider's endpoint may carry its own parameters
    url.setQuery(existing.isEmpty() ? parameters.toString() : existing + QLatin1Char('&') + parameters.toString(), QUrl::StrictMode);
    return url;
}

void LoginSession::start(const LoginSettings &settings)
{
    m_settings = settings;
    m_active = true;
    m_answerTaken = false;
    const quint64 generation = ++m_generation;
    QStringList audiences{settings.audience, settings.resource};
    audiences.removeAll(QString());
    m_expected = ExpectedLogin{{}, settings.clientId, randomSecret(), randomSecret(), settings.scopes, audiences};
    if (!m_expected.requestedScopes.contains(QStringLiteral("openid")))
        m_expected.requestedScopes.prepend(QStringLiteral("openid"));
    m_codeVerifier = settings.flow == Flow::AuthorizationCodePkce ? randomSecret() : QString();
    Q_EMIT progress(QStringLiteral("Reading the provider's configuration"));
    m_client->discover(settings.issuer, [this, generation](const ProviderMetadata &metadata, const QString &error) {
        if (generation != m_generation || !m_active)
            return;
        record(Lane::App, Lane::AuthorizationServer, QStringLiteral("GET /.well-known/openid-configuration"), error.isEmpty(), error);
        if (!error.isEmpty())
            return fail(LoginError::Kind::Network, QStringLiteral("Cannot reach the login server: %1.").arg(error));
        m_metadata = metadata;
        m_expected.issuer = metadata.issuer;
        m_client->fetchKeys(metadata.jwksUri, [this, generation](const jose::JwkSet &keys, const QString &keyError) {
            if (generation != m_generation || !m_active)
                return;
            record(Lane::App, Lane::AuthorizationServer, QStringLiteral("GET %1").arg(m_metadata.jwksUri.path()), keyError.isEmpty(),
                   keyError.isEmpty() ? QStringLiteral("%1 signing key(s)").arg(keys.keys().size()) : keyError);
            if (!keyError.isEmpty())
                return fail(LoginError::Kind::Network, QStringLiteral("Cannot read the provider's signing keys: %1.").arg(keyError));
            m_keys = keys;
            Q_EMIT progress(QStringLiteral("Opening the login page"));
            const QUrl authorize = authorizationUrl(m_metadata, m_settings, m_expected.state, m_expected.nonce,
                                                    m_codeVerifier.isEmpty() ? QString() : pkceChallenge(m_codeVerifier));
            const FormData query = FormData::parse(authorize.query(QUrl::FullyEncoded).toLatin1());
            record(Lane::App, Lane::Browser, QStringLiteral("open %1 (%2)").arg(authorize.path(), query.value(u"response_type")), true,
                   QStringLiteral("scope=%1\nstate, nonce%2 generated for this login\n%3")
                       .arg(query.value(u"scope"), m_codeVerifier.isEmpty() ? QString() : QStringLiteral(", PKCE S256 challenge"), authorize.toString()));
            Q_EMIT authorizeWithBrowser(authorize);
        });
    });
}

void LoginSession::cancel()
{
    if (!m_active)
        return;
    fail(LoginError::Kind::Cancelled, QStringLiteral("The login was cancelled."));
}

bool LoginSession::isRedirect(const QUrl &url) const
{
    const QUrl expected = m_settings.redirectUri;
    if (!m_active || url.scheme() != expected.scheme() || url.host() != expected.host() || url.path() != expected.path())
        return false;
    // A loopback redirect URI registered without a port matches any port (RFC 8252 §7.3).
    return expected.port() == -1 ? true : url.port() == expected.port();
}

void LoginSession::handleRedirect(const QUrl &url)
{
    if (!m_active) {
        qCInfo(lcSession) << "ignoring a redirect that arrived with no login in progress";
        return;
    }
    // One answer per login: a second delivery of the same redirect (two listeners, a reload) must not
    // redeem the code again; a provider that revokes on reuse (RFC 6749 §4.1.2) would void the first.
    if (m_answerTaken) {
        qCInfo(lcSession) << "ignoring a second redirect for the same login";
        return;
    }
    m_answerTaken = true;
    const FormData parameters = redirectParameters(url);
    const bool hasError = parameters.contains(u"error");
    record(Lane::AuthorizationServer, Lane::Browser,
           QStringLiteral("302 to %1 (%2)")
               .arg(url.toString(QUrl::RemoveQuery | QUrl::RemoveFragment),
                    hasError                ? QStringLiteral("error=%1").arg(parameters.value(u"error"))
                        : url.hasFragment() ? QStringLiteral("tokens in the fragment")
                                            : QStringLiteral("code in the query")),
           !hasError, url.toString());
    record(Lane::Browser, Lane::App, QStringLiteral("redirect caught before it leaves; answer handed to the app"), true);
    Q_EMIT progress(QStringLiteral("Checking the answer"));
    if (m_settings.flow == Flow::AuthorizationCodePkce)
        redeemCode(parameters);
    else
        finishImplicit(parameters, false);
}

void LoginSession::finishImplicit(const FormData &parameters, bool keysRefreshed)
{
    auto result = validateTokenResponse(parameters, m_expected, m_keys, true, true, systemClock());
    if (!result && result.error().unknownSigningKey && !keysRefreshed) {
        // The provider may have rotated its keys since we read them: read them once more.
        const quint64 generation = m_generation;
        m_client->fetchKeys(m_metadata.jwksUri, [this, parameters, generation](const jose::JwkSet &keys, const QString &) {
            if (generation != m_generation || !m_active)
                return;
            m_keys = keys;
            finishImplicit(parameters, true);
        });
        return;
    }
    if (!result) {
        m_active = false;
        qCWarning(lcSession).noquote() << "login rejected:" << result.error().detail;
        record(Lane::App, Lane::App, QStringLiteral("answer rejected: %1").arg(result.error().message), false, result.error().detail);
        Q_EMIT failed(result.error());
        return;
    }
    m_active = false;
    recordVerified(result.value());
    Q_EMIT succeeded(result.value());
}

void LoginSession::redeemCode(const FormData &parameters)
{
    if (auto failure = checkAuthorizationResponse(parameters, m_expected)) {
        m_active = false;
        Q_EMIT failed(*failure);
        return;
    }
    const QString code = parameters.value(u"code");
    if (code.isEmpty())
        return fail(LoginError::Kind::MissingToken, QStringLiteral("The login answer has no authorization code."));
    Q_EMIT progress(QStringLiteral("Redeeming the authorization code"));
    const quint64 generation = m_generation;
    QList<QPair<QString, QString>> request{{QStringLiteral("grant_type"), QStringLiteral("authorization_code")},
                                           {QStringLiteral("client_id"), m_settings.clientId},
                                           {QStringLiteral("code"), code},
                                           {QStringLiteral("redirect_uri"), m_settings.redirectUri.toString(QUrl::FullyEncoded)},
                                           {QStringLiteral("code_verifier"), m_codeVerifier}};
    if (!m_settings.resource.isEmpty())
        request.append({QStringLiteral("resource"), m_settings.resource}); // RFC 8707 §2.2
    m_client->requestToken(m_metadata.tokenEndpoint, request, [this, generation](const QJsonObject &body, const QString &error) {
        if (generation != m_generation || !m_active)
            return;
        record(Lane::App, Lane::AuthorizationServer, QStringLiteral("POST %1 (authorization_code + code_verifier)").arg(m_metadata.tokenEndpoint.path()),
               error.isEmpty(), error);
        if (!error.isEmpty())
            return fail(LoginError::Kind::ProviderError, QStringLiteral("The code could not be redeemed: %1.").arg(error));
        FormData tokens;
        for (auto it = body.constBegin(); it != body.constEnd(); ++it)
            tokens.add(it.key(), it.value().isDouble() ? QString::number(it.value().toInteger()) : it.value().toString());
        // The state was checked on the redirect; the token response has none.
        tokens.add(QStringLiteral("state"), m_expected.state);
        auto result = validateTokenResponse(tokens, m_expected, m_keys, true, false, systemClock());
        m_active = false;
        if (!result) {
            record(Lane::App, Lane::App, QStringLiteral("answer rejected: %1").arg(result.error().message), false, result.error().detail);
            Q_EMIT failed(result.error());
            return;
        }
        recordVerified(result.value());
        Q_EMIT succeeded(result.value());
    });
}

void LoginSession::record(Lane from, Lane to, const QString &label, bool ok, const QString &detail)
{
    Q_EMIT step(from, to, label, ok ? FlowStep::Outcome::Ok : FlowStep::Outcome::Failed, detail);
}

void LoginSession::recordVerified(const LoginResult &result)
{
    QStringList checks{QStringLiteral("RS256 signature (kid %1)").arg(result.idTokenHeader.value(QLatin1String("kid")).toString().left(12)),
                       QStringLiteral("iss"), QStringLiteral("aud"), QStringLiteral("exp"), QStringLiteral("nonce")};
    if (result.idTokenClaims.contains(QLatin1String("at_hash")))
        checks << QStringLiteral("at_hash");
    record(Lane::App, Lane::App, QStringLiteral("id_token verified: %1").arg(checks.join(QLatin1String(", "))), true,
           QStringLiteral("sub %1\ngranted: %2").arg(result.idTokenClaims.value(QLatin1String("sub")).toString(), result.grantedScopes.join(QLatin1Char(' '))));
}

void LoginSession::fail(LoginError::Kind kind, const QString &message, const QString &detail)
{
    m_active = false;
    qCWarning(lcSession).noquote() << (detail.isEmpty() ? message : detail);
    Q_EMIT failed(LoginError{kind, message, detail.isEmpty() ? message : detail, {}});
}

} // namespace organizer::app
