#pragma once

// What the authorization server's end-to-end tests share: a real organizer-server process per test
// (the Authorization fixture), the demo tenant's clients and users, and the requests a client makes
// (/authorize query strings, token requests, API calls). One file per endpoint uses them.

#include "apitestsupport.h"
#include "testbrowser.h"

#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>
#include <QTemporaryDir>
#include <QUrlQuery>

#include <functional>

#include <gtest/gtest.h>

namespace organizer::test {

inline const QString kCallback = QStringLiteral("http://localhost:3000/callback");
inline const QString kPassword = QStringLiteral("organizer");

// Consent is only ever remembered for a redirect that is not on this machine (RFC 8252 §8.6): the
// demo tenant's desktop client, given a web callback as well.
inline const QString kWebCallback = QStringLiteral("https://app.example.com/callback");
inline const QList<QPair<QString, QString>> kToWebCallback{{QStringLiteral("redirect_uri"), kWebCallback}};

// The desktop client's /authorize query (state-123, nonce-456, audience organize), with `extra` added;
// a redirect_uri in `extra` replaces the default callback.
QString query(const QString &responseType, const QString &scope, const QList<QPair<QString, QString>> &extra = {});

// The demo tenant, changed by `change`, written to a file for --config.
QString writeTenant(const QString &dir, const std::function<void(QJsonObject &)> &change);
QString tenantWithWebCallback(const QString &dir);

// A Deploy CLI document (`tenant export`) with each entry of `section` for which `matches` holds changed by
// `change`, as a team edits its tenant as code.
QJsonObject withDeployEntries(QJsonObject document, const QString &section, const std::function<bool(const QJsonObject &)> &matches,
                              const std::function<void(QJsonObject &)> &change);

// The desktop client's code flow with offline_access, redeemed: the token response's body.
QJsonObject offlineLogin(quint16 port, const QString &login, const QString &scopes = QStringLiteral("openid offline_access read:contacts"));

QString verifierFor(char fill);
QString value(const QUrlQuery &q, const char *name);
QJsonObject claimsOf(const QString &token);

HttpReply callApi(quint16 port, const QByteArray &method, const QByteArray &path, const QString &token, const QByteArray &body = {});
HttpReply tokenRequest(quint16 port, const QList<QPair<QString, QString>> &fields, const QByteArray &basic = {});

// The desktop client's authorization-code grant with PKCE (a public client: no secret), at kCallback.
HttpReply exchangeCode(quint16 port, const QString &code, const QString &verifier);

// The desktop client's refresh-token grant (a public client: no secret).
HttpReply refreshGrant(quint16 port, const QString &refreshToken);

// Client credentials for the Management API's audience ({issuer}api/v2/).
HttpReply managementClientCredentials(quint16 port, const QString &issuer, const QString &clientId, const QString &secret);

} // namespace organizer::test

class Authorization : public ::testing::Test
{
protected:
    void SetUp() override { ASSERT_TRUE(m_server.start()) << m_server.errorText().toStdString(); }
    quint16 port() const { return m_server.port(); }

    organizer::test::ServerProcess m_server;
    QTemporaryDir m_scratch;
};
