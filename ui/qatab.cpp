#include "qatab.h"

#include "qareport.h"
#include "timelinepainter.h"
#include "weblogin.h"

#include <QCheckBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSaveFile>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace organizer::ui {

QaTab::QaTab(app::ServerLauncher *server, QWidget *parent) : QWidget(parent), m_server(server), m_plan(qa::Plan::builtIn())
{
    m_oidc = std::make_unique<app::OidcClient>();
    m_session = std::make_unique<app::LoginSession>(m_oidc.get());
    // The grid's logins run in a browser of their own: one engine for the whole run, hidden unless
    // someone wants to watch the pages being filled in.
    m_browserView = new WebLoginView(this);
    m_browserView->hide();
    m_browserView->setAccessibleName(tr("The QA run's login browser"));
    m_browser = std::make_unique<WebLoginBrowser>(m_browserView, m_session.get());
    m_minter = std::make_unique<qa::LocalTokenMinter>(app::ServerLauncher::locateServer(), QString());
    m_runner = std::make_unique<qa::QaRunner>(m_oidc.get(), m_session.get(), m_browser.get());
    m_model = new QaGridModel(this);
    m_model->setRun(&m_runner->run());

    m_runButton = new QPushButton(QIcon(QStringLiteral(":/organizer/icons/refresh.svg")), tr("&Run grid"), this);
    m_cancelButton = new QPushButton(tr("Cancel"), this);
    m_rerunButton = new QPushButton(tr("Re-run row"), this);
    m_planButton = new QPushButton(tr("Open plan…"), this);
    m_exportButton = new QPushButton(tr("Export report…"), this);
    m_watchButton = new QPushButton(tr("Watch logins"), this);
    m_watchButton->setCheckable(true);
    m_watchButton->setToolTip(tr("Show the browser the grid logs in with, as it fills in the login and consent pages"));
    m_byHandBox = new QCheckBox(tr("Log in by hand"), this);
    m_byHandBox->setToolTip(tr("Each person logs in once in the shown browser (any provider's pages, a second factor…); "
                               "consent and every call still run by themselves"));
    m_planLabel = new QLabel(this);
    m_progress = new QProgressBar(this);
    m_progress->setMaximumWidth(220);
    m_progress->setFormat(tr("%v / %m rows"));
    m_summary = new QLabel(tr("Not run yet: the grid logs in as every user with every scope set and calls every endpoint."), this);
    m_summary->setWordWrap(true);

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_runButton);
    bar->addWidget(m_cancelButton);
    bar->addWidget(m_rerunButton);
    bar->addSpacing(12);
    bar->addWidget(m_planButton);
    bar->addWidget(m_planLabel, 1);
    bar->addWidget(m_progress);
    bar->addWidget(m_byHandBox);
    bar->addWidget(m_watchButton);
    bar->addWidget(m_exportButton);

    m_grid = new QTableView(this);
    m_grid->setModel(m_model);
    m_grid->setSelectionMode(QAbstractItemView::SingleSelection);
    m_grid->setSelectionBehavior(QAbstractItemView::SelectItems);
    m_grid->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_grid->setContextMenuPolicy(Qt::CustomContextMenu);
    m_grid->horizontalHeader()->setDefaultSectionSize(150);
    m_grid->verticalHeader()->setDefaultSectionSize(22);
    m_grid->verticalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    m_grid->setAccessibleName(tr("Scope QA grid"));

    m_details = new QPlainTextEdit(this);
    m_details->setReadOnly(true);
    m_details->setFont(QFont(QStringLiteral("monospace")));
    m_details->setPlaceholderText(tr("Click a cell to see the request, the answer with its WWW-Authenticate, and the token's claims."));

    m_timeline = new TimelinePanel(tr("<b>Flow timeline</b> of the selected row (secrets masked)"), QStringLiteral("organizer-qa-timeline"), this);

    auto *bottom = new QSplitter(Qt::Horizontal, this);
    m_bottomSplit = bottom;
    bottom->addWidget(m_details);
    bottom->addWidget(m_timeline);
    bottom->addWidget(m_browserView);
    bottom->setStretchFactor(0, 2);
    bottom->setStretchFactor(1, 3);
    bottom->setStretchFactor(2, 2);
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_grid);
    split->addWidget(bottom);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(m_summary);
    layout->addWidget(split, 1);

    connect(m_runButton, &QPushButton::clicked, this, &QaTab::run);
    connect(m_cancelButton, &QPushButton::clicked, this, &QaTab::cancel);
    connect(m_rerunButton, &QPushButton::clicked, this, &QaTab::rerunSelectedRow);
    connect(m_watchButton, &QPushButton::toggled, this, [this](bool watch) {
        m_browserView->setVisible(watch);
        const int width = m_bottomSplit->width();
        // A login page needs room to be read: give the browser about a third of the width.
        m_bottomSplit->setSizes(watch ? QList<int>{width / 4, width * 2 / 5, width * 7 / 20} : QList<int>{width * 2 / 5, width * 3 / 5, 0});
    });
    connect(m_byHandBox, &QCheckBox::toggled, this, [this](bool byHand) {
        m_runner->setLoginByHand(byHand);
        if (byHand)
            m_watchButton->setChecked(true); // by hand needs the browser in view
    });
    connect(m_runner.get(), &qa::QaRunner::personNeeded, this, [this](const QString &login, const QString &page) {
        m_watchButton->setChecked(true);
        m_browserView->setFocus();
        m_summary->setText(tr("Log in as %1 in the browser on the right (%2); the run goes on by itself afterwards.").arg(login, page));
    });
    connect(m_planButton, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open a QA plan"), QString(), tr("QA plans (*.json)"));
        if (path.isEmpty())
            return;
        const QString problem = loadPlan(path);
        if (!problem.isEmpty())
            QMessageBox::warning(this, tr("This QA plan cannot be used"), problem);
    });
    connect(m_exportButton, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export the QA report"), QStringLiteral("organizer-qa.html"),
                                                          tr("HTML report (*.html);;JUnit XML (*.xml);;Markdown (*.md)"));
        if (path.isEmpty())
            return;
        const QString problem = exportReport(path);
        if (!problem.isEmpty())
            QMessageBox::warning(this, tr("Export failed"), problem);
    });
    connect(m_grid, &QTableView::clicked, this, [this](const QModelIndex &index) { showCell(index.row(), index.column()); });
    connect(m_grid->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex &index) {
        if (index.isValid())
            showCell(index.row(), index.column());
        updateControls();
    });
    connect(m_grid, &QTableView::customContextMenuRequested, this, [this](const QPoint &at) {
        const QModelIndex index = m_grid->indexAt(at);
        if (!index.isValid() || m_runner->isRunning())
            return;
        QMenu menu(this);
        menu.addAction(tr("Re-run this row"), this, [this, index] {
            m_grid->setCurrentIndex(index);
            rerunSelectedRow();
        });
        menu.exec(m_grid->viewport()->mapToGlobal(at));
    });

    connect(m_runner.get(), &qa::QaRunner::started, this, [this] {
        if (m_model->rowCount() != int(m_runner->run().rows.size())
            || m_model->columnCount() != int(m_runner->run().plan.endpoints.size()) + QaGridModel::kFirstEndpointColumn) {
            m_model->reset();
            m_grid->setColumnWidth(0, 200);
            for (int column = QaGridModel::kFirstEndpointColumn; column < m_model->columnCount(); ++column)
                m_grid->setColumnWidth(column, std::max(120, m_grid->horizontalHeader()->sectionSizeHint(column)));
        } else {
            for (int row = 0; row < m_model->rowCount(); ++row)
                m_model->rowUpdated(row);
        }
        updateControls();
    });
    connect(m_runner.get(), &qa::QaRunner::rowChanged, this, [this](int row) {
        m_model->rowUpdated(row);
        if (m_shownRow == row || m_shownRow < 0)
            showRow(row);
        updateSummary();
    });
    connect(m_runner.get(), &qa::QaRunner::progress, this, [this](int done, int total) {
        m_progress->setMaximum(total);
        m_progress->setValue(done);
    });
    connect(m_runner.get(), &qa::QaRunner::finished, this, [this](bool passed) {
        updateSummary();
        updateControls();
        if (auto pending = std::exchange(m_pendingTenant, std::nullopt))
            followTenant(pending->first, pending->second);
        Q_EMIT runFinished(passed);
    });
    connect(m_server, &app::ServerLauncher::stateChanged, this, &QaTab::updateControls);
    m_planLabel->setText(tr("Plan: %1 (%2 rows × %3 endpoints)").arg(m_plan.source).arg(qa::planRows(m_plan).size()).arg(m_plan.endpoints.size()));
    updateControls();
}

QaTab::~QaTab()
{
    // The runner's browser must go before its page's profile, and the runner before both.
    m_runner.reset();
    m_browser.reset();
}

QString QaTab::loadPlan(const QString &path)
{
    auto plan = qa::Plan::load(path, qa::Plan::bundledTenant());
    if (!plan)
        return plan.error();
    m_plan = *plan;
    m_planIsBuiltIn = false;
    m_planLabel->setText(tr("Plan: %1 (%2 rows × %3 endpoints)").arg(m_plan.source).arg(qa::planRows(m_plan).size()).arg(m_plan.endpoints.size()));
    return {};
}

void QaTab::followTenant(const QList<catalogue::ApiSpec> &apis, const app::AccessRules &tenant)
{
    if (!m_planIsBuiltIn)
        return;
    if (m_runner && m_runner->isRunning()) {
        m_pendingTenant = std::make_pair(apis, tenant);
        return;
    }
    auto plan = qa::Plan::builtIn(apis, tenant);
    if (!plan) {
        m_planLabel->setText(tr("The tenant as it is now gives no plan: %1").arg(plan.error()));
        return;
    }
    m_plan = *plan;
    m_planLabel->setText(
        tr("Plan: %1, as the tenant is now (%2 rows × %3 endpoints)").arg(m_plan.source).arg(qa::planRows(m_plan).size()).arg(m_plan.endpoints.size()));
}

void QaTab::run()
{
    if (m_runner->isRunning())
        return;
    if (m_profileProvider)
        m_profile = m_profileProvider();
    if (m_profile.local) {
        if (m_server->state() != app::ServerLauncher::State::Running) {
            m_summary->setText(tr("The bundled server is not running yet."));
            return;
        }
        m_minter->setDataDir(m_server->dataDir()); // the keys the running server signs with
        m_runner->setTokenSource(m_minter.get());
    } else {
        m_runner->setTokenSource(nullptr);
    }
    const qa::QaTarget target = qa::QaTarget::forProfile(m_profile, m_server->url());
    m_shownRow = -1;
    m_details->clear();
    m_runner->start(m_plan, target);
}

void QaTab::cancel()
{
    m_runner->cancel();
}

void QaTab::rerunSelectedRow()
{
    const QModelIndex index = m_grid->currentIndex();
    if (!index.isValid() || m_runner->isRunning())
        return;
    m_shownRow = index.row();
    m_runner->rerunRow(index.row());
}

void QaTab::updateControls()
{
    const bool running = m_runner->isRunning();
    const bool ready = !m_profile.local || m_server->state() == app::ServerLauncher::State::Running;
    m_runButton->setEnabled(!running && ready);
    m_cancelButton->setEnabled(running);
    m_rerunButton->setEnabled(!running && m_grid->currentIndex().isValid());
    m_planButton->setEnabled(!running);
    m_byHandBox->setEnabled(!running);
    m_exportButton->setEnabled(!running && !m_runner->run().rows.isEmpty());
}

void QaTab::updateSummary()
{
    const qa::QaRun &run = m_runner->run();
    const int pass = run.count(qa::Verdict::Pass), fail = run.count(qa::Verdict::Fail), notRun = run.count(qa::Verdict::NotRun);
    if (m_runner->isRunning()) {
        m_summary->setText(tr("Running against %1 — %2 pass, %3 fail so far").arg(run.target).arg(pass).arg(fail));
        return;
    }
    if (!run.problem.isEmpty()) {
        m_summary->setText(tr("<b style='color:#9b1c1c'>Not run</b> — %1").arg(run.problem.toHtmlEscaped()));
        return;
    }
    const QString verdict = run.cancelled ? tr("<b>Cancelled</b>")
        : run.passed()                    ? tr("<b style='color:#17633a'>Every cell as predicted</b>")
                                          : tr("<b style='color:#9b1c1c'>%1 cell(s) differ from the prediction</b>").arg(fail);
    m_summary->setText(tr("%1 — %2 cells: %3 pass, %4 fail, %5 not run, in %6 s (logins %7 s, API calls %8 s) against %9")
                           .arg(verdict)
                           .arg(run.cellCount())
                           .arg(pass)
                           .arg(fail)
                           .arg(notRun)
                           .arg(double(run.durationMs) / 1000, 0, 'f', 1)
                           .arg(double(run.loginMs) / 1000, 0, 'f', 1)
                           .arg(run.callMs / 1000, 0, 'f', 2)
                           .arg(run.target.toHtmlEscaped()));
}

void QaTab::showRow(int row)
{
    const qa::QaRun &run = m_runner->run();
    if (row < 0 || row >= run.rows.size())
        return;
    m_timeline->setTimeline(run.rows.at(row).timeline);
    updateControls();
}

void QaTab::showCell(int row, int column)
{
    const qa::QaRun &run = m_runner->run();
    if (row < 0 || row >= run.rows.size())
        return;
    m_shownRow = row;
    showRow(row);
    const qa::RowResult &result = run.rows.at(row);
    QStringList lines;
    lines << result.label;
    lines << tr("requested: %1").arg(result.expected.requestedScopes.join(QLatin1Char(' ')));
    const QString predicted = result.expected.grantedApiScopes.isEmpty() ? tr("no API scope") : result.expected.grantedApiScopes.join(QLatin1Char(' '));
    lines << tr("predicted: %1 — %2").arg(result.expected.tokenIssued ? predicted : tr("no token (%1)").arg(result.expected.tokenError), result.expected.why);
    lines << tr("granted:   %1").arg(result.tokenObtained ? result.grantedScopes.join(QLatin1Char(' ')) : tr("no token %1").arg(result.tokenError));
    if (!result.loginProblem.isEmpty())
        lines << tr("login:     %1").arg(result.loginProblem);
    const int endpointIndex = column - QaGridModel::kFirstEndpointColumn;
    if (endpointIndex >= 0 && endpointIndex < result.cells.size()) {
        const qa::CellResult &cell = result.cells.at(endpointIndex);
        const qa::Endpoint &endpoint = run.plan.endpoints.at(endpointIndex);
        lines << QString() << tr("── %1 (needs %2) — %3").arg(endpoint.name(), endpoint.scope, qa::verdictName(cell.verdict));
        lines << tr("expected:  %1 — %2%3").arg(cell.expectedText(), cell.expected.why, cell.expected.pinned ? tr(" (pinned by the plan)") : QString());
        if (!cell.note.isEmpty())
            lines << tr("note:      %1").arg(cell.note);
        if (!cell.method.isEmpty()) {
            lines << QString() << tr("Request") << QStringLiteral("  %1 %2").arg(QString::fromLatin1(cell.method), cell.url);
            if (result.tokenObtained)
                lines << QStringLiteral("  Authorization: Bearer eyJ…[masked]");
            if (!cell.requestBody.isEmpty())
                lines << QStringLiteral("  ") + QString::fromUtf8(cell.requestBody);
            lines << QString() << tr("Response") << QStringLiteral("  %1  (%2 ms)").arg(cell.status).arg(cell.durationMs, 0, 'f', 2);
            if (!cell.wwwAuthenticate.isEmpty())
                lines << QStringLiteral("  WWW-Authenticate: %1").arg(QString::fromLatin1(cell.wwwAuthenticate));
            const QJsonDocument body = QJsonDocument::fromJson(cell.responseBody);
            const QString text = body.isNull() ? QString::fromUtf8(cell.responseBody) : QString::fromUtf8(body.toJson(QJsonDocument::Indented));
            if (!text.isEmpty())
                lines << text.left(4000);
        }
    }
    if (!result.tokenClaims.isEmpty()) {
        lines << QString() << tr("Access token header") << QString::fromUtf8(QJsonDocument(result.tokenHeader).toJson(QJsonDocument::Indented));
        lines << tr("Access token claims") << QString::fromUtf8(QJsonDocument(result.tokenClaims).toJson(QJsonDocument::Indented));
    }
    m_details->setPlainText(app::FlowTimeline::maskSecrets(lines.join(QLatin1Char('\n'))));
}

QString QaTab::exportReport(const QString &path) const
{
    QByteArray content;
    if (path.endsWith(QLatin1String(".html"), Qt::CaseInsensitive) || path.endsWith(QLatin1String(".htm"), Qt::CaseInsensitive))
        content = qa::htmlReport(m_runner->run(), [](const app::FlowTimeline &timeline) { return TimelinePainter::toSvg(timeline); });
    else if (path.endsWith(QLatin1String(".xml"), Qt::CaseInsensitive))
        content = qa::junitReport(m_runner->run());
    else if (path.endsWith(QLatin1String(".md"), Qt::CaseInsensitive))
        content = qa::markdownReport(m_runner->run());
    else
        return tr("%1: choose a .html, .xml (JUnit) or .md file name").arg(path);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(content) != content.size() || !file.commit())
        return tr("cannot write %1: %2").arg(path, file.errorString());
    return {};
}

QString QaTab::exportTimeline(const QString &path) const
{
    return m_timeline->exportTo(path);
}

} // namespace organizer::ui
