#include "recordscontroller.h"

namespace organizer::app {

RecordsController::RecordsController(ApiClient *api, QObject *parent) : QObject(parent), m_api(api), m_apis(catalogue::organizerService().apis)
{
    connect(m_api, &ApiClient::finished, this, &RecordsController::onFinished);
}

void RecordsController::setApis(const QList<catalogue::ApiSpec> &apis)
{
    if (apis == m_apis)
        return;
    m_apis = apis;
    Q_EMIT apisChanged();
}

const catalogue::ApiSpec *RecordsController::api(const QString &name) const
{
    for (const catalogue::ApiSpec &entry : m_apis) {
        if (entry.name == name)
            return &entry;
    }
    return nullptr;
}

void RecordsController::track(int callId, const QString &apiName, Pending::Purpose purpose)
{
    m_pending.insert(callId, {apiName, purpose});
    Q_EMIT busyChanged();
}

void RecordsController::refresh(const QString &apiName)
{
    if (const catalogue::ApiSpec *spec = api(apiName))
        track(m_api->send("GET", spec->path()), apiName, Pending::Purpose::List);
}

void RecordsController::refreshAll()
{
    for (const catalogue::ApiSpec &spec : std::as_const(m_apis))
        refresh(spec.name);
}

void RecordsController::create(const QString &apiName, const QJsonObject &record)
{
    if (const catalogue::ApiSpec *spec = api(apiName))
        track(m_api->send("POST", spec->path(), QJsonDocument(record)), apiName, Pending::Purpose::Change);
}

void RecordsController::replace(const QString &apiName, qint64 id, const QJsonObject &record)
{
    if (const catalogue::ApiSpec *spec = api(apiName))
        track(m_api->send("PUT", QStringLiteral("%1/%2").arg(spec->path()).arg(id), QJsonDocument(record)), apiName, Pending::Purpose::Change);
}

void RecordsController::remove(const QString &apiName, qint64 id)
{
    if (const catalogue::ApiSpec *spec = api(apiName))
        track(m_api->send("DELETE", QStringLiteral("%1/%2").arg(spec->path()).arg(id)), apiName, Pending::Purpose::Change);
}

void RecordsController::onFinished(const ApiCall &call)
{
    const auto it = m_pending.constFind(call.id);
    if (it == m_pending.cend())
        return; // another caller's (the demo's, the QA runner's)
    const Pending pending = *it;
    m_pending.erase(it);
    Q_EMIT busyChanged();
    if (!call.succeeded()) {
        Q_EMIT failed(pending.api, call.summary());
        return;
    }
    const catalogue::ApiSpec *spec = api(pending.api);
    if (!spec)
        return; // the API went while the call was under way
    if (pending.purpose == Pending::Purpose::List)
        Q_EMIT listed(pending.api, call.json().object().value(spec->collection).toArray());
    else
        refresh(pending.api); // a change: show the list as the server now has it
}

} // namespace organizer::app
