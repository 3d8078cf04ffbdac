#include "authorizationfixture.h"

#include "base64url.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>

namespace organizer::test {

QString query(const QString &responseType, const QString &scope, const QList<QPair<QString, QString>> &extra)
{
    QUrlQuery q;
    auto add = [&q](const QString &name, const QString &value) { q.addQueryItem(name, QString::fromLatin1(QUrl::toPercentEncoding(value))); };
    add(QStringLiteral("client_id"), QStringLiteral("organizer-desktop"));
    if (std::none_of(extra.begin(), extra.end(), [](const auto &item) { return item.first == QLatin1String("redirect_uri"); }))
        add(QStringLiteral("redirect_uri"), kCallback);
    add(QStringLiteral("response_type"), responseType);
    add(QStringLiteral("scope"), scope);
    add(QStringLiteral("audience"), QStringLiteral("organize"));
    add(QStringLiteral("state"), QStringLiteral("state-123"));
    add(QStringLiteral("nonce"), QStringLiteral("nonce-456"));
    for (const auto &[name, value] : extra)
        add(name, value);
    return q.query(QUrl::FullyEncoded);
}

QJsonObject withDeployEntries(QJsonObject document, const QString &section, const std::function<bool(const QJsonObject &)> &matches,
                              const std::function<void(QJsonObject &)> &change)
{
    QJsonArray entries = document.value(section).toArray();
    for (qsizetype i = 0; i < entries.size(); ++i) {
        QJsonObject entry = entries.at(i).toObject();
        if (!matches(entry))
            continue;
        change(entry);
        entries.replace(i, entry);
    }
    document.insert(section, entries);
    return document;
}

QString writeTenant(const QString &dir, const std::function<void(QJsonObject &)> &change)
{
    QFile bundled(QStringLiteral(":/organizer/tenant.json"));
    EXPECT_TRUE(bundled.open(QIODevice::ReadOnly));
    QJsonObject tenant = QJsonDocument::fromJson(bundled.readAll()).object();
    change(tenant);
    const QString path = QDir(dir).filePath(QStringLiteral("tenant-%1.json").arg(QDateTime::currentMSecsSinceEpoch()));
    QFile file(path);
    EXPECT_TRUE(file.open(QIODevice::WriteOnly));
    file.write(QJsonDocument(tenant).toJson());
    return path;
}

QString tenantWithWebCallback(const QString &dir)
{
    return writeTenant(dir, [](QJsonObject &tenant) {
        QJsonArray clients = tenant.value(QLatin1String("clients")).toArray();
        QJsonObject desktop = clients.at(0).toObject();
        QJsonArray callbacks = desktop.value(QLatin1String("callbacks")).toArray();
        callbacks.append(kWebCallback);
        desktop.insert(QStringLiteral("callbacks"), callbacks);
        clients.replace(0, desktop);
        tenant.insert(QStringLiteral("clients"), clients);
    });
}

QString verifierFor(char fill)
{
    return QString::fromLatin1(jose::base64UrlEncode(QByteArray(32, fill)));
}

QString value(const QUrlQuery &q, const char *name)
{
    return q.queryItemValue(QLatin1String(name), QUrl::FullyDecoded);
}

QJsonObject claimsOf(const QString &token)
{
    return QJsonDocument::fromJson(jose::base64UrlDecode(token.section(QLatin1Char('.'), 1, 1).toLatin1()).value_or(QByteArray())).object();
}

HttpReply callApi(quint16 port, const QByteArray &method, const QByteArray &path, const QString &token, const QByteArray &body)
{
    QList<QPair<QByteArray, QByteArray>> headers{{"authorization", "Bearer " + token.toLatin1()}};
    if (!body.isEmpty())
        headers.append(qMakePair(QByteArray("content-type"), QByteArray("application/json")));
    return sendHttp(port, {method, path, headers, body});
}

HttpReply tokenRequest(quint16 port, const QList<QPair<QString, QString>> &fields, const QByteArray &basic)
{
    QByteArrayList pairs;
    for (const auto &[name, v] : fields)
        pairs.append(QUrl::toPercentEncoding(name) + '=' + QUrl::toPercentEncoding(v));
    QList<QPair<QByteArray, QByteArray>> headers{{"content-type", "application/x-www-form-urlencoded"}};
    if (!basic.isEmpty())
        headers.append(qMakePair(QByteArray("authorization"), "Basic " + basic.toBase64()));
    return sendHttp(port, {"POST", "/oauth/token", headers, pairs.join('&')});
}

HttpReply refreshGrant(quint16 port, const QString &refreshToken)
{
    return tokenRequest(port,
                        {{QStringLiteral("grant_type"), QStringLiteral("refresh_token")},
                         {QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                         {QStringLiteral("refresh_token"), refreshToken}});
}

HttpReply managementClientCredentials(quint16 port, const QString &issuer, const QString &clientId, const QString &secret)
{
    return tokenRequest(port,
                        {{QStringLiteral("grant_type"), QStringLiteral("client_credentials")},
                         {QStringLiteral("client_id"), clientId},
                         {QStringLiteral("client_secret"), secret},
                         {QStringLiteral("audience"), issuer + QStringLiteral("api/v2/")}});
}

QJsonObject offlineLogin(quint16 port, const QString &login, const QString &scopes)
{
    const QString verifier = verifierFor('\x33');
    const QString challenge = QString::fromLatin1(jose::base64UrlEncode(QCryptographicHash::hash(verifier.toLatin1(), QCryptographicHash::Sha256)));
    TestBrowser browser(port);
    const auto outcome
        = browser.authorize(query(QStringLiteral("code"), scopes,
                                  {{QStringLiteral("code_challenge"), challenge}, {QStringLiteral("code_challenge_method"), QStringLiteral("S256")}}),
                            login, kPassword);
    EXPECT_TRUE(outcome.redirect.isValid()) << outcome.failure.toStdString();
    const HttpReply tokens = exchangeCode(port, value(outcome.parameters(), "code"), verifier);
    EXPECT_EQ(tokens.status, 200) << tokens.body.constData();
    return QJsonDocument::fromJson(tokens.body).object();
}

HttpReply exchangeCode(quint16 port, const QString &code, const QString &verifier)
{
    return tokenRequest(port,
                        {{QStringLiteral("grant_type"), QStringLiteral("authorization_code")},
                         {QStringLiteral("client_id"), QStringLiteral("organizer-desktop")},
                         {QStringLiteral("code"), code},
                         {QStringLiteral("redirect_uri"), kCallback},
                         {QStringLiteral("code_verifier"), verifier}});
}

} // namespace organizer::test
