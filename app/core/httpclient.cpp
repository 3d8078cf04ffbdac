#include "httpclient.h"

#include <QElapsedTimer>
#include <QNetworkReply>
#include <QPointer>

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
    auto timer = std::make_shared<QElapsedTimer>();
    timer->start();
    QNetworkReply *reply = m_network.sendCustomRequest(message, request.method, request.body);
    connect(reply, &QNetworkReply::finished, reply, &QObject::deleteLater); // also when `context` went first
    connect(reply, &QNetworkReply::finished, context ? context : this, [reply, timer, limit = request.maxBodyBytes, done = std::move(done)] {
        HttpReply answer;
        answer.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        answer.contentType = reply->rawHeader("content-type");
        answer.wwwAuthenticate = reply->rawHeader("www-authenticate");
        answer.body = reply->read(limit);
        answer.durationMs = double(timer->nsecsElapsed()) / 1e6;
        if (answer.status == 0)
            answer.networkError = QStringLiteral("%1 could not be reached: %2").arg(reply->url().toString(QUrl::RemoveQuery), reply->errorString());
        done(answer);
    });
}

} // namespace organizer::app
