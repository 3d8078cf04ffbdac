#pragma once

#include "apiclient.h"
#include "catalogue.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QObject>

namespace organizer::app {

// The records of every API the app shows, read and changed through ApiClient with the login's
// token. It knows which answer belongs to which API and what to do with it (a list to show, or a
// change after which the list is read again), so the window only presents and asks.
class RecordsController : public QObject
{
    Q_OBJECT

public:
    RecordsController(ApiClient *api, QObject *parent = nullptr);

    // The APIs to show: the catalogue's at first, then whatever the tenant serves (the Tenant tab).
    void setApis(const QList<catalogue::ApiSpec> &apis);
    const QList<catalogue::ApiSpec> &apis() const { return m_apis; }
    const catalogue::ApiSpec *api(const QString &name) const;

    void refresh(const QString &apiName);
    void refreshAll();
    void create(const QString &apiName, const QJsonObject &record);
    void replace(const QString &apiName, qint64 id, const QJsonObject &record);
    void remove(const QString &apiName, qint64 id);
    qsizetype callsUnderWay() const { return m_pending.size(); }

Q_SIGNALS:
    void apisChanged();
    void listed(const QString &apiName, const QJsonArray &records);
    // A call that did not succeed, in one sentence ("403: this token lacks create:contacts").
    void failed(const QString &apiName, const QString &summary);
    void busyChanged();

private:
    struct Pending
    {
        enum class Purpose { List, Change };
        QString api;
        Purpose purpose = Purpose::List;
    };
    void track(int callId, const QString &apiName, Pending::Purpose purpose);
    void onFinished(const ApiCall &call);

    ApiClient *m_api;
    QList<catalogue::ApiSpec> m_apis;
    QHash<int, Pending> m_pending; // call id → what its answer is for
};

} // namespace organizer::app
