#pragma once

#include "flowtimeline.h"

#include <QImage>
#include <QWidget>

class QPainter;

namespace organizer::ui {

// Draws a flow timeline as a sequence diagram: one lifeline per party (App, Browser view,
// Authorization server, then one per API), one arrow per step, time on the left.
// The same drawing goes to the screen, to PNG and to SVG.
class TimelinePainter
{
public:
    static QSize sizeFor(const app::FlowTimeline &timeline);
    static void paint(QPainter &painter, const app::FlowTimeline &timeline);
    static QByteArray toSvg(const app::FlowTimeline &timeline);
    static QImage toImage(const app::FlowTimeline &timeline, qreal scale = 1.0);
    // By the file's suffix: .png or .svg. Returns a readable reason on failure, empty on success.
    static QString exportTo(const app::FlowTimeline &timeline, const QString &path);
};

// The timeline on screen; place it in a QScrollArea.
class TimelineView : public QWidget
{
    Q_OBJECT

public:
    explicit TimelineView(QWidget *parent = nullptr);
    void setTimeline(const app::FlowTimeline &timeline);
    const app::FlowTimeline &timeline() const { return m_timeline; }
    QSize sizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    app::FlowTimeline m_timeline;
};

// The timeline as a panel: a caption, the drawing in a scroll area, and Export PNG… / Export SVG….
class TimelinePanel : public QWidget
{
    Q_OBJECT

public:
    TimelinePanel(const QString &caption, const QString &fileStem, QWidget *parent = nullptr);
    void setTimeline(const app::FlowTimeline &timeline);
    const app::FlowTimeline &timeline() const;
    // By suffix, .png or .svg: empty on success, else why not.
    QString exportTo(const QString &path) const;

private:
    TimelineView *m_view = nullptr;
    QWidget *m_exportPng = nullptr;
    QWidget *m_exportSvg = nullptr;
    QString m_fileStem;
};

} // namespace organizer::ui
