#include "oidcclient.h"

#include "formencoding.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkReply>

namespace organizer::app {

Q_LOGGING_CATEGORY(lcOidc, "organizer.app.oidc")

namespace {

constexpr int kTimeoutMs = 10'000;
constexpr qint64 kMaxDocument = 512 * 1024;

QNetworkRequest jsonRequest(const QUrl &url)
{
    QNetworkRequest request(url);
    request.setTransferTimeout(kTimeoutMs);
    request.setRawHeader("accept", "application/json");
    return request;
}

QString networkError(const QNetworkReply *reply)
{
    return QStringLiteral("%1 could not be reached: %2").arg(reply->url().toString(QUrl::RemoveQuery), reply->errorString());
}

} // namespace

OidcClient::OidcClient(QObject *parent) : QObject(parent)
{
    m_network.setRedirectPolicy(QNetworkRequest::NoLessSafeRedirectPolicy);
}

void OidcClient::discover(const QUrl &issuer, MetadataCallback done)
{
    QUrl url = issuer;
    if (!url.path().endsWith(QLatin1Char('/')))
        url.setPath(url.path() + QLatin1Char('/'));
    url = url.resolved(QUrl(QStringLiteral(".well-known/openid-configuration")));
    QNetworkReply *reply = m_network.get(jsonRequest(url));
    connect(reply, &QNetworkReply::finished, this, [reply, issuer, done] {
        reply->deleteLater();
        if (reply->error() != QNetworkReply::NoError && reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 0)
            return done({}, networkError(reply));
        const QJsonObject json = QJsonDocument::fromJson(reply->read(kMaxDocument)).object();
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
    QNetworkReply *reply = m_network.get(jsonRequest(jwksUri));
    connect(reply, &QNetworkReply::finished, this, [reply, done] {
        reply->deleteLater();
        if (reply->error() != QNetworkReply::NoError)
            return done({}, networkError(reply));
        auto keys = jose::JwkSet::fromJson(reply->read(kMaxDocument));
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
    QNetworkRequest request = jsonRequest(tokenEndpoint);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/x-www-form-urlencoded"));
    QNetworkReply *reply = m_network.post(request, encoded.encode());
    connect(reply, &QNetworkReply::finished, this, [reply, done] {
        reply->deleteLater();
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        if (status == 0)
            return done({}, networkError(reply));
        const QJsonObject body = QJsonDocument::fromJson(reply->read(kMaxDocument)).object();
        if (status / 100 != 2) {
            const QString error = body.value(QLatin1String("error")).toString();
            return done(body, QStringLiteral("the token endpoint answered %1 %2: %3")
                                  .arg(status)
                                  .arg(error, body.value(QLatin1String("error_description")).toString()));
        }
        done(body, {});
    });
}

} // namespace organizer::app
