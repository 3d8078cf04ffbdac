#include "authorizerequest.h"

#include "authorizechecks.h"

namespace organizer::authorization {

Expected<AuthorizeRequest, AuthorizeError> parseAuthorizeRequest(const FormData &query, const Tenant &tenant)
{
    AuthorizeChecking checking{query, tenant};
    if (std::optional<AuthorizeError> refused = runChecks(requestChecks(), checking))
        return Unexpected<AuthorizeError>(std::move(*refused));
    return checking.request;
}

QUrl redirectWith(const AuthorizeRequest &request, const QList<QPair<QString, QString>> &parameters)
{
    FormData answer;
    for (const auto &[name, parameterValue] : parameters) {
        if (!parameterValue.isEmpty())
            answer.add(name, parameterValue);
    }
    const QString encoded = answer.toString();
    QUrl url = request.redirectUri;
    if (request.responseMode == QLatin1String("query")) {
        const QString existing = url.query(QUrl::FullyEncoded);
        url.setQuery(existing.isEmpty() ? encoded : existing + QLatin1Char('&') + encoded, QUrl::StrictMode);
    } else {
        url.setFragment(encoded, QUrl::StrictMode);
    }
    return url;
}

} // namespace organizer::authorization
