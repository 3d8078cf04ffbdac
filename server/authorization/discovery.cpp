#include "discovery.h"

#include <QJsonArray>
#include <QJsonObject>

namespace organizer::authorization {

http::Response DiscoveryEndpoint::configuration() const
{
    const QString issuer = m_context.issuer();
    QJsonArray scopes{QStringLiteral("openid"), QStringLiteral("profile"), QStringLiteral("email"), QStringLiteral("offline_access")};
    const TenantSnapshot tenant = m_context.tenant();
    for (const Api &api : tenant->apis) {
        for (const ApiScope &scope : api.scopes)
            scopes.append(scope.value);
    }
    http::Response response = http::Response::json(
        200,
        QJsonObject{
            {QStringLiteral("issuer"), issuer},
            {QStringLiteral("authorization_endpoint"), issuer + QStringLiteral("authorize")},
            {QStringLiteral("token_endpoint"), issuer + QStringLiteral("oauth/token")},
            {QStringLiteral("userinfo_endpoint"), issuer + QStringLiteral("userinfo")},
            {QStringLiteral("jwks_uri"), issuer + QStringLiteral(".well-known/jwks.json")},
            {QStringLiteral("end_session_endpoint"), issuer + QStringLiteral("oidc/logout")},
            {QStringLiteral("revocation_endpoint"), issuer + QStringLiteral("oauth/revoke")},
            {QStringLiteral("revocation_endpoint_auth_methods_supported"),
             QJsonArray{QStringLiteral("client_secret_basic"), QStringLiteral("client_secret_post"), QStringLiteral("none")}},
            {QStringLiteral("scopes_supported"), scopes},
            {QStringLiteral("response_types_supported"),
             QJsonArray{QStringLiteral("code"), QStringLiteral("token"), QStringLiteral("id_token"), QStringLiteral("id_token token")}},
            {QStringLiteral("response_modes_supported"),
             QJsonArray{QStringLiteral("query"), QStringLiteral("fragment"), QStringLiteral("form_post"), QStringLiteral("web_message")}},
            {QStringLiteral("grant_types_supported"),
             QJsonArray{QStringLiteral("authorization_code"), QStringLiteral("implicit"), QStringLiteral("refresh_token"), QStringLiteral("client_credentials"),
                        QStringLiteral("password"), QString(kPasswordRealmGrant)}},
            {QStringLiteral("subject_types_supported"), QJsonArray{QStringLiteral("public")}},
            {QStringLiteral("id_token_signing_alg_values_supported"), QJsonArray{QStringLiteral("RS256")}},
            {QStringLiteral("token_endpoint_auth_methods_supported"),
             QJsonArray{QStringLiteral("client_secret_basic"), QStringLiteral("client_secret_post"), QStringLiteral("none")}},
            {QStringLiteral("code_challenge_methods_supported"), QJsonArray{QStringLiteral("S256")}},
            {QStringLiteral("claims_supported"),
             QJsonArray{QStringLiteral("sub"), QStringLiteral("iss"), QStringLiteral("aud"), QStringLiteral("exp"), QStringLiteral("iat"),
                        QStringLiteral("auth_time"), QStringLiteral("nonce"), QStringLiteral("at_hash"), QStringLiteral("name"), QStringLiteral("nickname"),
                        QStringLiteral("email"), QStringLiteral("email_verified")}},
            {QStringLiteral("request_parameter_supported"), false},
        });
    response.setHeader("cache-control", "public, max-age=300");
    return response;
}

} // namespace organizer::authorization
