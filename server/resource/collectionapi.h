#pragma once

#include "catalogue.h"
#include "httpmessage.h"
#include "recordstore.h"

#include <QMutex>

#include <array>

namespace organizer::resource {

// The REST handlers of one API (list, get, create, replace, delete). They assume the caller
// was authorized already; ResourceServer puts the scope check in front of each. Safe to call from
// several threads: the store gives each thread its own connection.
class CollectionApi
{
public:
    CollectionApi(catalogue::ApiSpec spec, store::RecordStore *store);

    http::Response list(const http::Request &request) const;
    http::Response get(const http::Request &request) const;
    http::Response create(const http::Request &request) const;
    http::Response replace(const http::Request &request) const;
    http::Response remove(const http::Request &request) const;

    const catalogue::ApiSpec &spec() const { return m_spec; }
    const QString &scope(catalogue::Action action) const { return m_scopes[std::size_t(action)]; }

private:
    // The record from a JSON request body, or the 400/415 response that explains why not.
    // `sentId` receives the "id" member the client sent, if any (it is not part of the record).
    std::optional<QJsonObject> readBody(const http::Request &request, http::Response *problem, QJsonValue *sentId) const;
    std::optional<qint64> readId(const http::Request &request, http::Response *problem) const;
    http::Response notFound(qint64 id) const;
    http::Response storeFailure(const QString &detail) const;

    const catalogue::ApiSpec m_spec;
    const std::array<QString, 4> m_scopes; // by action, built once: checked on every call
    store::RecordStore *m_store;
    // Names this API in each thread's cache of list answers (reused while the store's revision is
    // unchanged: lists are the hot read).
    const quint64 m_id;
};

} // namespace organizer::resource
