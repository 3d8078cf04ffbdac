#include "oidcclient.h"

#include "formencoding.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace organizer::app {

Q_LOGGING_CATEGORY(lcOidc, "organizer.app.oidc")

namespace {

constexpr int kTimeoutMs = 10'000;
constexpr qint64 kMaxDocument = 512 * 1024;

HttpRequest jsonRequest(const QUrl &url)
{
    HttpRequest request;
    request.url = url;
    request.timeoutMs = kTimeoutMs;
    request.maxBodyBytes = kMaxDocument;
    return request;
}

} // namespace

OidcClient::OidcClient(QObject *parent) : QObject(parent) {}

void OidcClient::discover(const QUrl &issuer, MetadataCallback done)
{
    QUrl url = issuer;
    if (!url.path().endsWith(QLatin1Char('/')))
        url.setPath(url.path() + QLatin1Char('/'));
    url = url.resolved(QUrl(QStringLiteral(".well-known/openid-configuration")));
    m_http.send(jsonRequest(url), this, [issuer, done](const HttpReply &reply) {
        if (reply.status == 0)
            return done({}, reply.networkError);
        const QJsonObject json = reply.json().object();
        ProviderMetadata metadata;
        metadata.issuer = json.value(QLatin1String("issuer")).toString();
        metadata.authorizationEndpoint = QUrl(json.value(QLatin1String("authorization_endpoint")).toString());
        metadata.tokenEndpoint = QUrl(json.value(QLatin1String("token_endpoint")).toString());
        metadata.userinfoEndpoint = QUrl(json.value(QLatin1String("userinfo_endpoint")).toString());
        metadata.jwksUri = QUrl(json.value(QLatin1String("jwks_uri")).toString());
        metadata.endSessionEndpoint = QUrl(json.value(QLatin1String("end_session_endpoint")).toString());
        for (const QJsonValue &scope : json.value(QLatin1String("scopes_supported")).toArray())
            metadata.scopesSupported.append(scope.toString());
        if (metadata.issuer.isEmpty() || !metadata.authorizationEndpoint.isValid() || !metadata.jwksUri.isValid())
            return done({}, QStringLiteral("%1 is not an OpenID provider (no usable discovery document)").arg(issuer.toString()));
        // Discovery §4.3: the issuer in the document must be the one we asked for.
        auto normalized = [](QString value) { return value.endsWith(QLatin1Char('/')) ? value : value + QLatin1Char('/'); };
        if (normalized(metadata.issuer) != normalized(issuer.toString()))
            return done({}, QStringLiteral("the provider at %1 calls itself %2").arg(issuer.toString(), metadata.issuer));
        done(metadata, {});
    });
}

void OidcClient::fetchKeys(const QUrl &jwksUri, KeysCallback done)
{
    m_http.send(jsonRequest(jwksUri), this, [jwksUri, done](const HttpReply &reply) {
        if (reply.status == 0)
            return done({}, reply.networkError);
        if (!reply.succeeded())
            return done({}, QStringLiteral("%1 answered %2").arg(jwksUri.toString(QUrl::RemoveQuery)).arg(reply.status));
        auto keys = jose::JwkSet::fromJson(reply.body);
        if (!keys)
            return done({}, keys.error().description);
        done(keys.value(), {});
    });
}

void OidcClient::requestToken(const QUrl &tokenEndpoint, const QList<QPair<QString, QString>> &form, TokenCallback done)
{
    FormData encoded;
    for (const auto &[name, value] : form)
        encoded.add(name, value);
    HttpRequest request = jsonRequest(tokenEndpoint);
    request.method = "POST";
    request.contentType = "application/x-www-form-urlencoded";
    request.body = encoded.encode();
    m_http.send(request, this, [done](const HttpReply &reply) {
        const int status = reply.status;
        if (status == 0)
            return done({}, reply.networkError);
        const QJsonObject body = reply.json().object();
        if (status / 100 != 2) {
            const QString error = body.value(QLatin1String("error")).toString();
            return done(
                body,
                QStringLiteral("the token endpoint answered %1 %2: %3").arg(status).arg(error, body.value(QLatin1String("error_description")).toString()));
        }
        done(body, {});
    });
}

} // namespace organizer::app
