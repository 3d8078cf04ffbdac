#pragma once

#include "collection.h"
#include "httpmessage.h"
#include "recordstore.h"

#include <QMutex>

namespace organizer::server {

// The REST handlers of one collection (list, get, create, replace, delete). They assume the caller
// was authorized already; ResourceServer puts the scope check in front of each. Safe to call from
// several threads: the store gives each thread its own connection.
class CollectionApi
{
public:
    CollectionApi(const CollectionSpec &spec, RecordStore *store);

    http::Response list(const http::Request &request) const;
    http::Response get(const http::Request &request) const;
    http::Response create(const http::Request &request) const;
    http::Response replace(const http::Request &request) const;
    http::Response remove(const http::Request &request) const;

    const CollectionSpec &spec() const { return m_spec; }

private:
    // The record from a JSON request body, or the 400/415 response that explains why not.
    // `sentId` receives the "id" member the client sent, if any (it is not part of the record).
    std::optional<QJsonObject> readBody(const http::Request &request, http::Response *problem, QJsonValue *sentId) const;
    std::optional<qint64> readId(const http::Request &request, http::Response *problem) const;
    http::Response notFound(qint64 id) const;
    http::Response storeFailure(const QString &detail) const;

    const CollectionSpec &m_spec;
    RecordStore *m_store;
    // Names this API in each thread's cache of list answers (reused while the store's revision is
    // unchanged: lists are the hot read).
    const quint64 m_id;
};

} // namespace organizer::server
