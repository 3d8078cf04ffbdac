#include "collectionapi.h"

#include "oautherror.h"
#include "recordvalidation.h"

#include <QJsonDocument>

#include <atomic>

namespace organizer::resource {

namespace {

std::atomic<quint64> nextApiId{1};

http::Response invalid(const QString &description, const QJsonArray &errors = {})
{
    QJsonObject body = oauth::jsonBody(oauth::OAuthError::invalidRequest(description));
    if (!errors.isEmpty())
        body.insert(QStringLiteral("errors"), errors);
    return http::Response::json(400, body);
}

} // namespace

CollectionApi::CollectionApi(catalogue::ApiSpec spec, store::RecordStore *store)
    : m_spec(std::move(spec)), m_scopes{m_spec.scope(catalogue::Action::Read), m_spec.scope(catalogue::Action::Create), m_spec.scope(catalogue::Action::Update),
                                        m_spec.scope(catalogue::Action::Delete)},
      m_store(store), m_id(nextApiId.fetch_add(1))
{}

http::Response CollectionApi::notFound(qint64 id) const
{
    return oauth::notFoundResponse(QStringLiteral("there is no %1 with id %2").arg(m_spec.singular).arg(id));
}

http::Response CollectionApi::storeFailure(const QString &detail) const
{
    // The detail may name files and SQL; the client gets a sentence, the log gets the detail.
    qCCritical(store::lcStore).noquote() << detail;
    return oauth::jsonResponse(oauth::OAuthError::serverError(QStringLiteral("the %1 could not be stored; see the server log").arg(m_spec.singular)),
                               oauth::Caching::Unstated);
}

std::optional<qint64> CollectionApi::readId(const http::Request &request, http::Response *problem) const
{
    const QString text = request.pathParameters.value(QStringLiteral("id"));
    bool ok = false;
    const qint64 id = text.toLongLong(&ok);
    if (!ok || id <= 0 || text.startsWith(QLatin1Char('+'))) {
        // An id that cannot exist is a missing resource, not a malformed request.
        *problem = oauth::notFoundResponse(QStringLiteral("there is no %1 with id \"%2\"").arg(m_spec.singular, text.left(40)));
        return std::nullopt;
    }
    return id;
}

std::optional<QJsonObject> CollectionApi::readBody(const http::Request &request, http::Response *problem, QJsonValue *sentId) const
{
    const QByteArray contentType = request.header("content-type").split(';').first().trimmed().toLower();
    if (contentType != "application/json") {
        *problem = oauth::jsonResponse(
            oauth::OAuthError::invalidRequest(QStringLiteral("send the %1 as JSON with Content-Type: application/json").arg(m_spec.singular), 415),
            oauth::Caching::Unstated);
        return std::nullopt;
    }
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(request.body, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        *problem = invalid(QStringLiteral("the body is not valid JSON: %1 at byte %2").arg(parseError.errorString()).arg(parseError.offset));
        return std::nullopt;
    }
    if (!document.isObject()) {
        *problem = invalid(QStringLiteral("the body must be a JSON object describing one %1").arg(m_spec.singular));
        return std::nullopt;
    }
    *sentId = document.object().value(QLatin1String("id"));
    QList<catalogue::FieldError> errors;
    QJsonObject record = catalogue::validateRecord(m_spec, document.object(), &errors);
    if (!errors.isEmpty()) {
        *problem = invalid(QStringLiteral("the %1 has %2 invalid field(s)").arg(m_spec.singular).arg(errors.size()), catalogue::fieldErrorsToJson(errors));
        return std::nullopt;
    }
    return record;
}

http::Response CollectionApi::list(const http::Request &) const
{
    // Each thread keeps its own copy of the list answer: a copy shared between the HTTP workers would
    // have its reference count bounce between cores on every call.
    thread_local QHash<quint64, std::pair<quint64, QByteArray>> listCache; // api id → (revision, body)
    const std::optional<quint64> revision = m_store->revision();
    QByteArray body;
    if (revision) {
        if (auto it = listCache.constFind(m_id); it != listCache.cend() && it->first == *revision)
            body = it->second;
    }
    if (body.isNull()) {
        auto records = m_store->list(m_spec);
        if (!records)
            return storeFailure(records.error());
        body = QJsonDocument(QJsonObject{{m_spec.collection, records.value()}}).toJson(QJsonDocument::Compact);
        if (revision)
            listCache.insert(m_id, {*revision, body});
    }
    http::Response response;
    response.body = std::move(body);
    response.headers.append(qMakePair(QByteArrayLiteral("content-type"), QByteArrayLiteral("application/json")));
    return response;
}

http::Response CollectionApi::get(const http::Request &request) const
{
    http::Response problem;
    const auto id = readId(request, &problem);
    if (!id)
        return problem;
    auto record = m_store->get(m_spec, *id);
    if (!record)
        return storeFailure(record.error());
    if (!record->has_value())
        return notFound(*id);
    return http::Response::json(200, **record);
}

http::Response CollectionApi::create(const http::Request &request) const
{
    http::Response problem;
    QJsonValue sentId;
    const auto body = readBody(request, &problem, &sentId);
    if (!body)
        return problem;
    if (!sentId.isUndefined())
        return invalid(QStringLiteral("the server assigns ids; leave \"id\" out when creating a %1").arg(m_spec.singular));
    auto created = m_store->create(m_spec, *body);
    if (!created)
        return storeFailure(created.error());
    http::Response response = http::Response::json(201, created.value());
    response.setHeader("location", QStringLiteral("/api/%1/%2").arg(m_spec.collection).arg(created->value(QLatin1String("id")).toInteger()).toUtf8());
    return response;
}

http::Response CollectionApi::replace(const http::Request &request) const
{
    http::Response problem;
    const auto id = readId(request, &problem);
    if (!id)
        return problem;
    QJsonValue sentId;
    auto body = readBody(request, &problem, &sentId);
    if (!body)
        return problem;
    if (!sentId.isUndefined() && sentId.toInteger(-1) != *id)
        return invalid(QStringLiteral("the body's id does not match the %1 in the URL").arg(m_spec.singular));
    auto updated = m_store->replace(m_spec, *id, *body);
    if (!updated)
        return storeFailure(updated.error());
    if (!updated->has_value())
        return notFound(*id);
    return http::Response::json(200, **updated);
}

http::Response CollectionApi::remove(const http::Request &request) const
{
    http::Response problem;
    const auto id = readId(request, &problem);
    if (!id)
        return problem;
    auto removed = m_store->remove(m_spec, *id);
    if (!removed)
        return storeFailure(removed.error());
    if (!removed.value())
        return notFound(*id);
    return http::Response::noContent();
}

} // namespace organizer::resource
