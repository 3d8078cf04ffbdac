// Refresh tokens for scripts/bench's refresh-grant rows (issue 25): one login of alice at a running
// organizer-server, then COUNT authorizations on that session (Authorization Code + PKCE, offline_access),
// each redeemed for a refresh token of a family of its own, printed one per line. The benchmark rotates
// them (tests/bench/refresh_tokens.lua); fresh families for every run, because a token presented twice
// revokes its family.
// Usage: bench_refresh_tokens PORT COUNT
#include "base64url.h"
#include "testbrowser.h"
#include "testhttp.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QUrl>
#include <QUrlQuery>

#include <cstdio>
#include <cstdlib>

using namespace organizer::test;

namespace {

const QString kClient = QStringLiteral("organizer-desktop");
const QString kCallback = QStringLiteral("http://localhost:3000/callback");

HttpReply redeem(quint16 port, const QString &code, const QByteArray &verifier)
{
    QByteArrayList pairs;
    for (const auto &[name, value] : QList<QPair<QString, QString>>{{QStringLiteral("grant_type"), QStringLiteral("authorization_code")},
                                                                    {QStringLiteral("client_id"), kClient},
                                                                    {QStringLiteral("code"), code},
                                                                    {QStringLiteral("redirect_uri"), kCallback},
                                                                    {QStringLiteral("code_verifier"), QString::fromLatin1(verifier)}})
        pairs.append(QUrl::toPercentEncoding(name) + '=' + QUrl::toPercentEncoding(value));
    return sendHttp(port, {"POST", "/oauth/token", {{"content-type", "application/x-www-form-urlencoded"}}, pairs.join('&')});
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int port = argc > 2 ? atoi(argv[1]) : 0;
    const int count = argc > 2 ? atoi(argv[2]) : 0;
    if (port <= 0 || port > 65535 || count <= 0) {
        std::fprintf(stderr, "usage: bench_refresh_tokens PORT COUNT\n");
        return 2;
    }
    TestBrowser browser{quint16(port)};
    for (int i = 0; i < count; ++i) {
        const QByteArray verifier = organizer::jose::base64UrlEncode(QCryptographicHash::hash(QByteArray::number(i), QCryptographicHash::Sha256));
        QUrlQuery authorize;
        for (const auto &[name, value] : QList<QPair<QString, QString>>{
                 {QStringLiteral("client_id"), kClient},
                 {QStringLiteral("redirect_uri"), kCallback},
                 {QStringLiteral("response_type"), QStringLiteral("code")},
                 {QStringLiteral("scope"), QStringLiteral("openid offline_access read:contacts")},
                 {QStringLiteral("audience"), QStringLiteral("organize")},
                 {QStringLiteral("state"), QStringLiteral("bench-%1").arg(i)},
                 {QStringLiteral("code_challenge"),
                  QString::fromLatin1(organizer::jose::base64UrlEncode(QCryptographicHash::hash(verifier, QCryptographicHash::Sha256)))},
                 {QStringLiteral("code_challenge_method"), QStringLiteral("S256")}})
            authorize.addQueryItem(name, QString::fromLatin1(QUrl::toPercentEncoding(value)));
        // The first authorization logs in; the others ride on its session and remembered consent.
        const auto outcome = browser.authorize(authorize.query(QUrl::FullyEncoded), QStringLiteral("alice@example.com"), QStringLiteral("organizer"));
        const QString code = outcome.parameters().queryItemValue(QStringLiteral("code"));
        if (code.isEmpty()) {
            std::fprintf(stderr, "bench_refresh_tokens: no code: %s\n", qPrintable(outcome.failure));
            return 2;
        }
        const HttpReply redeemed = redeem(quint16(port), code, verifier);
        const QByteArray refreshToken = redeemed.json("refresh_token");
        if (redeemed.status != 200 || refreshToken.isEmpty()) {
            std::fprintf(stderr, "bench_refresh_tokens: no refresh token: %d %s\n", redeemed.status, redeemed.body.left(300).constData());
            return 2;
        }
        std::printf("%s\n", refreshToken.constData());
    }
    return 0;
}
