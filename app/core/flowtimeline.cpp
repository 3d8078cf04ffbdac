#include "flowtimeline.h"

#include "catalogue.h"

#include <QJsonObject>
#include <QRegularExpression>

namespace organizer::app {

const Lane Lane::App(Lane::Kind::App, {});
const Lane Lane::Browser(Lane::Kind::Browser, {});
const Lane Lane::AuthorizationServer(Lane::Kind::AuthorizationServer, {});

QString laneName(const Lane &lane)
{
    switch (lane.kind()) {
    case Lane::Kind::App:
        return QStringLiteral("App");
    case Lane::Kind::Browser:
        return QStringLiteral("Browser view");
    case Lane::Kind::AuthorizationServer:
        return QStringLiteral("Authorization server");
    case Lane::Kind::Api:
        break;
    }
    const catalogue::ApiSpec *api = catalogue::organizerService().api(lane.apiName());
    return (api ? api->title : catalogue::RecordField{lane.apiName()}.label()) + QStringLiteral(" API");
}

Lane laneForApiPath(const QString &path)
{
    const QString segment = path.section(QLatin1Char('/'), 2, 2); // "/api/<segment>/…"
    if (const catalogue::ApiSpec *api = catalogue::organizerService().apiServedAt(segment))
        return Lane::api(api->name);
    return Lane::api(segment);
}

QList<Lane> FlowTimeline::lanes() const
{
    QList<Lane> lanes{Lane::App, Lane::Browser, Lane::AuthorizationServer};
    for (const catalogue::ApiSpec &api : catalogue::organizerService().apis)
        lanes.append(Lane::api(api.name));
    for (const FlowStep &step : m_steps) {
        for (const Lane &lane : {step.from, step.to}) {
            if (!lanes.contains(lane))
                lanes.append(lane);
        }
    }
    return lanes;
}

FlowTimeline::FlowTimeline(QString title) : m_title(maskSecrets(title)) {}

void FlowTimeline::start()
{
    m_steps.clear();
    m_startedAt = QDateTime::currentDateTimeUtc();
    m_clock.start();
}

void FlowTimeline::add(Lane from, Lane to, const QString &label, FlowStep::Outcome outcome, const QString &detail, qint64 durationMs)
{
    if (!m_clock.isValid())
        start();
    FlowStep step;
    step.atMs = m_clock.elapsed();
    step.durationMs = durationMs;
    step.from = from;
    step.to = to;
    step.label = maskSecrets(label);
    step.detail = maskSecrets(detail);
    step.outcome = outcome;
    m_steps.append(step);
}

QJsonArray FlowTimeline::toJson() const
{
    QJsonArray out;
    for (const FlowStep &step : m_steps) {
        out.append(QJsonObject{
            {QStringLiteral("at_ms"), step.atMs},
            {QStringLiteral("from"), laneName(step.from)},
            {QStringLiteral("to"), laneName(step.to)},
            {QStringLiteral("label"), step.label},
            {QStringLiteral("detail"), step.detail},
            {QStringLiteral("outcome"),
             step.outcome == FlowStep::Outcome::Ok           ? QStringLiteral("ok")
                 : step.outcome == FlowStep::Outcome::Failed ? QStringLiteral("failed")
                                                             : QStringLiteral("info")},
        });
    }
    return out;
}

QString FlowTimeline::maskSecrets(const QString &text)
{
    if (text.isEmpty())
        return text;
    // A JWS compact serialization anywhere (a bearer header, a fragment, a JSON body).
    static const QRegularExpression jwt(QStringLiteral("eyJ[A-Za-z0-9_-]{2,}\\.[A-Za-z0-9_-]*\\.[A-Za-z0-9_-]*"));
    // Secrets carried as parameters: URL query/fragment/form (name=value) and JSON ("name": "value").
    static const QRegularExpression parameter(
        QStringLiteral("\\b(access_token|id_token|refresh_token|code|code_verifier|client_secret|password|state|nonce|secret)"
                       "(=|\"\\s*:\\s*\")([^&#\\s\"]+)"));
    // A bearer credential (RFC 6750 b64token), not the auth-params of a challenge (Bearer realm="…").
    static const QRegularExpression bearer(QStringLiteral("\\b(Bearer)\\s+([A-Za-z0-9._~+/-]+=*)(?![A-Za-z0-9._~+/=\"-]|\u2026)"));
    QString out = text;
    out.replace(bearer, QStringLiteral("\\1 …[masked]"));
    out.replace(jwt, QStringLiteral("eyJ…[masked]"));
    QString result;
    qsizetype last = 0;
    for (auto it = parameter.globalMatch(out); it.hasNext();) {
        const QRegularExpressionMatch match = it.next();
        const QString value = match.captured(3);
        result += QStringView(out).mid(last, match.capturedStart(3) - last);
        // Already masked values stay; a short prefix keeps two runs tellable apart without revealing anything useful.
        result += value.endsWith(QLatin1String("[masked]")) ? value : value.left(value.size() > 12 ? 3 : 0) + QStringLiteral("…[masked]");
        last = match.capturedEnd(3);
    }
    result += QStringView(out).mid(last);
    return result;
}

} // namespace organizer::app
