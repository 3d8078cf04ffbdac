#include "httpclient.h"

#include "bundledservertrust.h"

#include <QElapsedTimer>
#include <QNetworkReply>
#include <QPointer>
#include <QSslConfiguration>
#include <QSslError>

#include <memory>

namespace organizer::app {

HttpClient::HttpClient(QObject *parent) : QObject(parent)
{
    // A redirect to plain HTTP from HTTPS would carry what the caller sent there: never followed.
    m_network.setRedirectPolicy(QNetworkRequest::NoLessSafeRedirectPolicy);
}

void HttpClient::send(const HttpRequest &request, QObject *context, Done done)
{
    QNetworkRequest message(request.url);
    message.setTransferTimeout(request.timeoutMs);
    message.setRawHeader("accept", "application/json");
    if (!request.bearerToken.isEmpty())
        message.setRawHeader("authorization", "Bearer " + request.bearerToken);
    if (!request.contentType.isEmpty())
        message.setHeader(QNetworkRequest::ContentTypeHeader, request.contentType);
    // The bundled server's local CA is trusted for its origin only: every other origin is verified
    // against the system's CAs, as Qt does by default.
    const std::optional<BundledServerCa> bundled = BundledServerTrust::forUrl(request.url);
    if (bundled && request.url.scheme() == QLatin1String("https")) {
        static const QList<QSslCertificate> systemCas = QSslConfiguration::systemCaCertificates();
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setCaCertificates(caCertificatesFor(request.url, bundled, systemCas));
        message.setSslConfiguration(tls);
        // A request that trusts the local CA is not followed to another origin with that trust.
        message.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::SameOriginRedirectPolicy);
    }
    auto timer = std::make_shared<QElapsedTimer>();
    timer->start();
    QNetworkReply *reply = m_network.sendCustomRequest(message, request.method, request.body);
    auto refusedChain = std::make_shared<std::optional<QList<QSslCertificate>>>();
    auto sslProblems = std::make_shared<QStringList>();
    connect(reply, &QNetworkReply::sslErrors, reply, [reply, refusedChain, sslProblems](const QList<QSslError> &errors) {
        *refusedChain = reply->sslConfiguration().peerCertificateChain();
        for (const QSslError &error : errors)
            sslProblems->append(error.errorString());
    });
    connect(reply, &QNetworkReply::finished, reply, &QObject::deleteLater); // also when `context` went first
    connect(reply, &QNetworkReply::finished, context ? context : this,
            [reply, timer, bundled, refusedChain, sslProblems, limit = request.maxBodyBytes, done = std::move(done)] {
                HttpReply answer;
                answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                answer.contentType = reply->rawHeader("content-type");
                answer.wwwAuthenticate = reply->rawHeader("www-authenticate");
                answer.body = reply->read(limit);
                answer.durationMs = double(timer->nsecsElapsed()) / 1e6;
                if (answer.status == 0) {
                    const QString where = reply->url().toString(QUrl::RemoveQuery);
                    QString why = reply->errorString();
                    if (refusedChain->has_value()) {
                        why = QStringLiteral("its certificate is not trusted (%1)").arg(sslProblems->join(QLatin1String("; ")));
                        if (bundled) {
                            if (const auto issued = checkIssuedByBundledCa(**refusedChain, reply->url().host(), *bundled); !issued)
                                why = issued.error();
                        }
                    }
                    answer.networkError = QStringLiteral("%1 could not be reached: %2").arg(where, why);
                }
                done(answer);
            });
}

} // namespace organizer::app
