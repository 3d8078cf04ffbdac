#pragma once

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QObject>
#include <QUrl>

#include <functional>

namespace organizer::app {

// What came back: the status (0 when no HTTP answer came; then `networkError` says why), the headers
// the app reads, the body (at most the request's limit) and how long it took.
struct HttpReply
{
    int status = 0;
    QByteArray contentType;
    QByteArray wwwAuthenticate;
    QByteArray body;
    double durationMs = 0;
    QString networkError;

    bool succeeded() const { return status >= 200 && status < 300; }
    QJsonDocument json() const { return QJsonDocument::fromJson(body); }
};

struct HttpRequest
{
    QByteArray method = "GET";
    QUrl url;
    QByteArray bearerToken; // sent as Authorization: Bearer …; never logged
    QByteArray contentType; // with a body: application/json, application/x-www-form-urlencoded
    QByteArray body;
    int timeoutMs = 15'000;
    qint64 maxBodyBytes = 4 * 1024 * 1024;
};

// The one HTTP client of the app, the QA runner and the Tenant tab: every call answers exactly once
// through `done`, on this object's thread, unless `context` is gone by then.
class HttpClient : public QObject
{
    Q_OBJECT

public:
    explicit HttpClient(QObject *parent = nullptr);

    using Done = std::function<void(const HttpReply &reply)>;
    void send(const HttpRequest &request, QObject *context, Done done);

private:
    QNetworkAccessManager m_network;
};

} // namespace organizer::app
