#include "timelinepainter.h"

#include <QBuffer>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMessageBox>
#include <QPainter>
#include <QPainterPath>
#include <QPushButton>
#include <QScrollArea>
#include <QSvgGenerator>
#include <QVBoxLayout>

#include <iterator>

namespace organizer::ui {

namespace {

constexpr int kMargin = 16;
constexpr int kTimeGutter = 76;
constexpr int kLaneWidth = 190;
constexpr int kTitleHeight = 30;
constexpr int kHeaderHeight = 40;
constexpr int kStepHeight = 38;
constexpr int kLegendHeight = 26;

int laneX(const QList<app::Lane> &lanes, const app::Lane &lane)
{
    return kMargin + kTimeGutter + int(lanes.indexOf(lane)) * kLaneWidth + kLaneWidth / 2;
}

QColor outcomeColor(app::FlowStep::Outcome outcome)
{
    switch (outcome) {
    case app::FlowStep::Outcome::Ok:
        return QColor(0x1f, 0x8a, 0x4c);
    case app::FlowStep::Outcome::Failed:
        return QColor(0xc6, 0x28, 0x28);
    case app::FlowStep::Outcome::Info:
        break;
    }
    return QColor(0x3c, 0x46, 0x5a);
}

QFont font(int pixelSize, bool bold = false)
{
    QFont f(QStringLiteral("DejaVu Sans"));
    f.setPixelSize(pixelSize);
    f.setBold(bold);
    return f;
}

} // namespace

QSize TimelinePainter::sizeFor(const app::FlowTimeline &timeline)
{
    const int steps = std::max<int>(1, int(timeline.steps().size()));
    return QSize(2 * kMargin + kTimeGutter + int(timeline.lanes().size()) * kLaneWidth,
                 kMargin + kTitleHeight + kHeaderHeight + steps * kStepHeight + kLegendHeight + kMargin);
}

void TimelinePainter::paint(QPainter &painter, const app::FlowTimeline &timeline)
{
    const QSize size = sizeFor(timeline);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.fillRect(QRect(QPoint(0, 0), size), Qt::white);

    painter.setFont(font(15, true));
    painter.setPen(QColor(0x1d, 0x24, 0x33));
    const QString title = timeline.title().isEmpty() ? QStringLiteral("Login flow") : timeline.title();
    painter.drawText(QRect(kMargin, kMargin, size.width() - 2 * kMargin, kTitleHeight), Qt::AlignLeft | Qt::AlignVCenter,
                     title
                         + (timeline.startedAt().isValid()
                                ? QStringLiteral("   ·   %1 UTC").arg(timeline.startedAt().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")))
                                : QString()));

    const int headerTop = kMargin + kTitleHeight;
    const int bottom = size.height() - kMargin - kLegendHeight;
    static const QColor laneColors[] = {QColor(0xe8, 0xee, 0xfb), QColor(0xee, 0xf4, 0xe8), QColor(0xfb, 0xf0, 0xe2),
                                        QColor(0xf3, 0xe8, 0xf8), QColor(0xe4, 0xf4, 0xf6), QColor(0xf6, 0xf1, 0xdc)};
    const QList<app::Lane> lanes = timeline.lanes();
    for (int lane = 0; lane < lanes.size(); ++lane) {
        const int x = laneX(lanes, lanes.at(lane));
        const QRect box(x - kLaneWidth / 2 + 8, headerTop, kLaneWidth - 16, kHeaderHeight - 10);
        painter.setPen(QPen(QColor(0xa8, 0xb0, 0xc2), 1));
        painter.setBrush(laneColors[lane % std::size(laneColors)]);
        painter.drawRoundedRect(box, 6, 6);
        painter.setFont(font(12, true));
        painter.setPen(QColor(0x1d, 0x24, 0x33));
        painter.drawText(box, Qt::AlignCenter, app::laneName(lanes.at(lane)));
        painter.setPen(QPen(QColor(0xc0, 0xc6, 0xd4), 1, Qt::DashLine));
        painter.drawLine(x, box.bottom() + 1, x, bottom);
    }

    int y = headerTop + kHeaderHeight + kStepHeight / 2 + 6;
    for (const app::FlowStep &step : timeline.steps()) {
        const QColor color = outcomeColor(step.outcome);
        painter.setFont(font(11));
        painter.setPen(QColor(0x6b, 0x73, 0x86));
        painter.drawText(QRect(kMargin, y - 14, kTimeGutter - 8, 16), Qt::AlignRight | Qt::AlignVCenter, QStringLiteral("+%1 ms").arg(step.atMs));
        const int from = laneX(lanes, step.from);
        const int to = laneX(lanes, step.to);
        painter.setPen(QPen(color, 1.6));
        painter.setBrush(color);
        QString label = step.label;
        if (step.durationMs >= 0)
            label += QStringLiteral("  (%1 ms)").arg(step.durationMs);
        painter.setFont(font(11, step.outcome == app::FlowStep::Outcome::Failed));
        if (from == to) {
            // A check inside one party: a small loop beside its lifeline, the text to its right.
            QPainterPath loop;
            loop.moveTo(from, y - 10);
            loop.lineTo(from + 22, y - 10);
            loop.lineTo(from + 22, y + 2);
            loop.lineTo(from + 4, y + 2);
            painter.setBrush(Qt::NoBrush);
            painter.drawPath(loop);
            painter.setBrush(color);
            painter.drawPolygon(QPolygonF({QPointF(from + 2, y + 2), QPointF(from + 9, y - 2), QPointF(from + 9, y + 6)}));
            painter.setPen(color);
            painter.drawText(QRect(from + 28, y - 16, size.width() - from - 28 - kMargin, 18), Qt::AlignLeft | Qt::AlignVCenter,
                             painter.fontMetrics().elidedText(label, Qt::ElideRight, size.width() - from - 28 - kMargin));
        } else {
            const int direction = to > from ? 1 : -1;
            painter.drawLine(from, y, to - direction * 2, y);
            painter.drawPolygon(QPolygonF({QPointF(to, y), QPointF(to - direction * 9, y - 4.5), QPointF(to - direction * 9, y + 4.5)}));
            painter.setPen(color);
            const int left = std::min(from, to) + 6;
            // A short arrow may carry a longer label than it spans: up to two lanes, never past the edge.
            const int width = std::min(std::max(std::abs(to - from) - 12, 2 * kLaneWidth - 12), size.width() - kMargin - left);
            painter.drawText(QRect(left, y - 18, width, 16), Qt::AlignLeft | Qt::AlignVCenter, painter.fontMetrics().elidedText(label, Qt::ElideRight, width));
        }
        y += kStepHeight;
    }
    // The legend: what the colours mean, and that nothing secret is drawn.
    painter.setFont(font(11));
    int x = kMargin + kTimeGutter;
    const int legendY = bottom + kLegendHeight / 2 + 4;
    for (const auto &[outcome, text] :
         {std::pair{app::FlowStep::Outcome::Ok, QStringLiteral("as expected")}, std::pair{app::FlowStep::Outcome::Failed, QStringLiteral("not as expected")},
          std::pair{app::FlowStep::Outcome::Info, QStringLiteral("information")}}) {
        painter.setPen(QPen(outcomeColor(outcome), 2));
        painter.drawLine(x, legendY, x + 22, legendY);
        painter.setPen(QColor(0x44, 0x4b, 0x5c));
        painter.drawText(QPoint(x + 28, legendY + 4), text);
        x += 28 + painter.fontMetrics().horizontalAdvance(text) + 24;
    }
    painter.drawText(QPoint(x, legendY + 4), QStringLiteral("· tokens, codes and passwords are masked"));

    if (timeline.steps().isEmpty()) {
        painter.setFont(font(12));
        painter.setPen(QColor(0x6b, 0x73, 0x86));
        painter.drawText(QRect(kMargin, y - 14, size.width() - 2 * kMargin, 20), Qt::AlignCenter, QStringLiteral("No login recorded yet."));
    }
}

QByteArray TimelinePainter::toSvg(const app::FlowTimeline &timeline)
{
    QByteArray out;
    QBuffer buffer(&out);
    buffer.open(QIODevice::WriteOnly);
    const QSize size = sizeFor(timeline);
    QSvgGenerator generator;
    generator.setOutputDevice(&buffer);
    generator.setSize(size);
    generator.setViewBox(QRect(QPoint(0, 0), size));
    generator.setResolution(96);
    generator.setTitle(timeline.title());
    generator.setDescription(QStringLiteral("Organizer login flow timeline (secrets masked)"));
    QPainter painter(&generator);
    paint(painter, timeline);
    painter.end();
    return out;
}

QImage TimelinePainter::toImage(const app::FlowTimeline &timeline, qreal scale)
{
    const QSize size = sizeFor(timeline);
    QImage image(size * scale, QImage::Format_ARGB32_Premultiplied);
    image.setDevicePixelRatio(scale);
    image.fill(Qt::white);
    QPainter painter(&image);
    paint(painter, timeline);
    painter.end();
    return image;
}

QString TimelinePainter::exportTo(const app::FlowTimeline &timeline, const QString &path)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == QLatin1String("png")) {
        if (!toImage(timeline, 2.0).save(path, "PNG"))
            return QStringLiteral("could not write the PNG to %1").arg(path);
        return {};
    }
    if (suffix == QLatin1String("svg")) {
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(toSvg(timeline)) < 0)
            return QStringLiteral("could not write %1: %2").arg(path, file.errorString());
        return {};
    }
    return QStringLiteral("%1: choose a .png or .svg file name").arg(path);
}

TimelineView::TimelineView(QWidget *parent) : QWidget(parent)
{
    setAccessibleName(tr("Flow timeline"));
}

void TimelineView::setTimeline(const app::FlowTimeline &timeline)
{
    m_timeline = timeline;
    setFixedSize(TimelinePainter::sizeFor(m_timeline));
    update();
}

QSize TimelineView::sizeHint() const
{
    return TimelinePainter::sizeFor(m_timeline);
}

void TimelineView::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    TimelinePainter::paint(painter, m_timeline);
}

TimelinePanel::TimelinePanel(const QString &caption, const QString &fileStem, QWidget *parent) : QWidget(parent), m_fileStem(fileStem)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *bar = new QHBoxLayout;
    auto *label = new QLabel(caption, this);
    label->setWordWrap(true);
    auto *png = new QPushButton(tr("Export PNG…"), this);
    auto *svg = new QPushButton(tr("Export SVG…"), this);
    m_exportPng = png;
    m_exportSvg = svg;
    bar->addWidget(label, 1);
    bar->addWidget(png);
    bar->addWidget(svg);
    m_view = new TimelineView(this);
    auto *scroll = new QScrollArea(this);
    scroll->setWidget(m_view);
    scroll->setBackgroundRole(QPalette::Base);
    layout->addLayout(bar);
    layout->addWidget(scroll, 1);
    for (auto [button, suffix] : {std::pair{png, QStringLiteral("png")}, std::pair{svg, QStringLiteral("svg")}}) {
        connect(button, &QPushButton::clicked, this, [this, suffix] {
            const QString path = QFileDialog::getSaveFileName(this, tr("Export the timeline"), QStringLiteral("%1.%2").arg(m_fileStem, suffix),
                                                              suffix == QLatin1String("png") ? tr("PNG image (*.png)") : tr("SVG drawing (*.svg)"));
            if (path.isEmpty())
                return;
            const QString problem = exportTo(path);
            if (!problem.isEmpty())
                QMessageBox::warning(this, tr("Export failed"), problem);
        });
    }
    setTimeline({});
}

void TimelinePanel::setTimeline(const app::FlowTimeline &timeline)
{
    m_view->setTimeline(timeline);
    m_exportPng->setEnabled(!timeline.isEmpty());
    m_exportSvg->setEnabled(!timeline.isEmpty());
}

const app::FlowTimeline &TimelinePanel::timeline() const
{
    return m_view->timeline();
}

QString TimelinePanel::exportTo(const QString &path) const
{
    if (timeline().isEmpty())
        return tr("no timeline to export yet: log in, or run the grid and pick a row");
    return TimelinePainter::exportTo(timeline(), path);
}

} // namespace organizer::ui
