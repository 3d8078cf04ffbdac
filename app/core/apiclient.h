#pragma once

#include "httpclient.h"

#include <QJsonDocument>
#include <QLoggingCategory>
#include <QObject>
#include <QUrl>

namespace organizer::app {

Q_DECLARE_LOGGING_CATEGORY(lcApi)

// One call to an API, kept for the response log and the QA views.
struct ApiCall
{
    int id = 0;
    QByteArray method;
    QUrl url;
    int status = 0; // 0: no HTTP answer (see `error`)
    QByteArray wwwAuthenticate;
    QByteArray body;
    double durationMs = 0;
    QString error;

    QJsonDocument json() const { return QJsonDocument::fromJson(body); }
    bool succeeded() const { return status >= 200 && status < 300; }
    // One readable sentence, e.g. "403: this token lacks create:contacts".
    QString summary() const;
};

// Calls the APIs with the bearer token. Every answer, good or bad, is reported
// through finished() with the call's id.
class ApiClient : public QObject
{
    Q_OBJECT

public:
    explicit ApiClient(QObject *parent = nullptr);

    void setBaseUrl(const QUrl &baseUrl) { m_baseUrl = baseUrl; }
    QUrl baseUrl() const { return m_baseUrl; }
    void setAccessToken(const QByteArray &token) { m_token = token; }
    bool hasAccessToken() const { return !m_token.isEmpty(); }

    // `path` like "/api/contacts/3"; `body` sent as JSON for POST and PUT.
    int send(const QByteArray &method, const QString &path, const QJsonDocument &body = {});

Q_SIGNALS:
    void finished(const organizer::app::ApiCall &call);

private:
    HttpClient m_http;
    QUrl m_baseUrl;
    QByteArray m_token;
    int m_nextId = 1;
};

// The scope an API route needs, by the catalogue (action:api). Empty for routes it does not know.
QString requiredScope(const QByteArray &method, const QString &path);

} // namespace organizer::app
