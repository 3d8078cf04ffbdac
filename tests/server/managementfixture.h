#pragma once

// What the Management API's tests against a server process share: the demo's organizer-admin token
// (every management scope, or only some), and a fixture with one server and that token.

#include "authorizationfixture.h"
#include "serverprocess.h"
#include "testhttp.h"

#include <gtest/gtest.h>

namespace organizer::test {

// A Management API token for organizer-admin, every management scope or only `scope`.
inline QString adminToken(quint16 port, const QString &issuer, const QString &scope = {})
{
    QList<QPair<QString, QString>> fields{{QStringLiteral("grant_type"), QStringLiteral("client_credentials")},
                                          {QStringLiteral("client_id"), QStringLiteral("organizer-admin")},
                                          {QStringLiteral("client_secret"), QStringLiteral("organizer-admin-secret")},
                                          {QStringLiteral("audience"), issuer + QStringLiteral("api/v2/")}};
    if (!scope.isEmpty())
        fields.append({QStringLiteral("scope"), scope});
    const HttpReply reply = tokenRequest(port, fields);
    EXPECT_EQ(reply.status, 200) << reply.body.constData();
    return QString::fromUtf8(reply.json("access_token"));
}

// One organizer-server on the demo tenant and an organizer-admin token with every management scope.
class ManagementApiTest : public ::testing::Test
{
protected:
    void SetUp() override
    {
        ASSERT_TRUE(m_server.start()) << m_server.errorText().toStdString();
        m_token = adminToken(port(), issuer());
    }
    quint16 port() const { return m_server.port(); }
    QString issuer() const { return m_server.issuer(); }

    // `token` empty: the fixture's admin token.
    HttpReply call(const QByteArray &method, const QByteArray &path, const QJsonObject &body = {}, const QString &token = {})
    {
        return callApi(port(), method, path, token.isEmpty() ? m_token : token, body.isEmpty() ? QByteArray() : compactJson(body));
    }

    ServerProcess m_server;
    QString m_token;
};

} // namespace organizer::test
