#pragma once

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QList>
#include <QString>

namespace organizer::app {

// A party of a login as a presenter draws it: the app, its browser view, the authorization server,
// or one of the APIs (one lifeline per API of the catalogue, plus any other API a call reaches).
class Lane
{
public:
    enum class Kind { App, Browser, AuthorizationServer, Api };
    static const Lane App;
    static const Lane Browser;
    static const Lane AuthorizationServer;
    static Lane api(const QString &apiName) { return Lane(Kind::Api, apiName); }

    Kind kind() const { return m_kind; }
    const QString &apiName() const { return m_api; } // "contacts"; empty unless kind() is Api
    bool operator==(const Lane &) const = default;

private:
    Lane(Kind kind, QString api) : m_kind(kind), m_api(std::move(api)) {}
    Kind m_kind;
    QString m_api;
};
QString laneName(const Lane &lane); // "Contacts API"
// Which API lane a path belongs to, by the catalogue (the calendar API answers under
// /api/appointments and /api/calendar); an API the catalogue does not know gets a lane of its own.
Lane laneForApiPath(const QString &path);

struct FlowStep
{
    enum class Outcome { Ok, Failed, Info };
    qint64 atMs = 0; // since the timeline started
    qint64 durationMs = -1; // -1: an instant
    Lane from = Lane::App;
    Lane to = Lane::App; // from == to: a check inside one party
    QString label; // one line, already masked
    QString detail; // more lines, already masked
    Outcome outcome = Outcome::Info;
};

// What happened during one login and the calls made with its token, in order. Every text passes
// through maskSecrets() on the way in, so a timeline can be shown, exported or saved as it is.
class FlowTimeline
{
public:
    FlowTimeline() = default;
    explicit FlowTimeline(QString title);

    void start();
    bool isStarted() const { return m_clock.isValid(); }

    void add(Lane from, Lane to, const QString &label, FlowStep::Outcome outcome = FlowStep::Outcome::Info, const QString &detail = {}, qint64 durationMs = -1);

    const QString &title() const { return m_title; }
    void setTitle(const QString &title) { m_title = maskSecrets(title); }
    const QDateTime &startedAt() const { return m_startedAt; }
    const QList<FlowStep> &steps() const { return m_steps; }
    bool isEmpty() const { return m_steps.isEmpty(); }
    QJsonArray toJson() const;
    // The lifelines to draw, left to right: the three parties, the catalogue's APIs, then any other
    // API a step reached.
    QList<Lane> lanes() const;

    // Replaces tokens, codes, secrets and passwords in `text` with a short masked form ("eyJhbGci…" →
    // "eyJh…[masked]"), so that what is left is safe to show on a projector or attach to a CI run.
    static QString maskSecrets(const QString &text);

private:
    QString m_title;
    QDateTime m_startedAt;
    QElapsedTimer m_clock;
    QList<FlowStep> m_steps;
};

} // namespace organizer::app
