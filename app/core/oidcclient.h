#pragma once

#include "httpclient.h"
#include "jwk.h"

#include <QJsonObject>
#include <QLoggingCategory>
#include <QObject>
#include <QUrl>

#include <functional>

namespace organizer::app {

Q_DECLARE_LOGGING_CATEGORY(lcOidc)

// The provider's metadata (OpenID Connect Discovery 1.0).
struct ProviderMetadata
{
    QString issuer;
    QUrl authorizationEndpoint;
    QUrl tokenEndpoint;
    QUrl userinfoEndpoint;
    QUrl jwksUri;
    QUrl endSessionEndpoint;
    QStringList scopesSupported;
};

// Talks to an OpenID provider: discovery, its JWKS, the token endpoint. Each call reports once,
// with either a value or a readable error.
class OidcClient : public QObject
{
    Q_OBJECT

public:
    explicit OidcClient(QObject *parent = nullptr);

    using MetadataCallback = std::function<void(const ProviderMetadata &metadata, const QString &error)>;
    void discover(const QUrl &issuer, MetadataCallback done);

    using KeysCallback = std::function<void(const jose::JwkSet &keys, const QString &error)>;
    void fetchKeys(const QUrl &jwksUri, KeysCallback done);

    // POST application/x-www-form-urlencoded to the token endpoint; `body` is the JSON answer on 2xx,
    // otherwise `error` says what the server said (RFC 6749 §5.2) or what failed.
    using TokenCallback = std::function<void(const QJsonObject &body, const QString &error)>;
    void requestToken(const QUrl &tokenEndpoint, const QList<QPair<QString, QString>> &form, TokenCallback done);

private:
    HttpClient m_http;
};

} // namespace organizer::app
