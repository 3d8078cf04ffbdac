#pragma once

#include "profiles.h"
#include "qagridmodel.h"
#include "qarunner.h"
#include "serverlauncher.h"

#include <QWidget>

#include <functional>

#include <memory>

class QCheckBox;
class QLabel;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSplitter;
class QTableView;

namespace organizer::ui {

class TimelinePanel;
class WebLoginBrowser;
class WebLoginView;

// The scope QA tab: runs the grid (users × requested scopes × endpoints, plus negative probes) with
// its own browser engine, shows every cell's verdict as it comes, and explains a cell on click: the
// request, the answer with its WWW-Authenticate, the token's claims and the login's timeline.
class QaTab : public QWidget
{
    Q_OBJECT

public:
    explicit QaTab(app::ServerLauncher *server, QWidget *parent = nullptr);
    ~QaTab() override;

    // Where the next run goes: the window's current profile (the bundled server when it is Local).
    void setProfileProvider(std::function<app::Profile()> provider) { m_profileProvider = std::move(provider); }
    // Returns a readable reason when the plan cannot be used (the current plan stays).
    QString loadPlan(const QString &path);
    // The tenant changed (Tenant tab): the built-in plan is made again for its APIs and rules; a plan
    // opened from a file stays as it is. Not while a run is under way: then after it.
    void followTenant(const QList<catalogue::ApiSpec> &apis, const app::AccessRules &tenant);
    const qa::Plan &plan() const { return m_plan; }

    void run();
    void cancel();
    void rerunSelectedRow();
    // By suffix: .html, .xml (JUnit) or .md. Empty on success, else why not.
    QString exportReport(const QString &path) const;
    QString exportTimeline(const QString &path) const;
    void showCell(int row, int column);

    qa::QaRunner *runner() const { return m_runner.get(); }
    QTableView *grid() const { return m_grid; }
    QPlainTextEdit *details() const { return m_details; }
    TimelinePanel *timeline() const { return m_timeline; }
    QLabel *summary() const { return m_summary; }
    QPushButton *watchButton() const { return m_watchButton; }
    QCheckBox *byHandBox() const { return m_byHandBox; }

Q_SIGNALS:
    void runFinished(bool passed);

private:
    void updateControls();
    void updateSummary();
    void showRow(int row);

    app::ServerLauncher *m_server;
    app::Profile m_profile = app::Profile::localProfile();
    std::function<app::Profile()> m_profileProvider;
    qa::Plan m_plan;
    bool m_planIsBuiltIn = true;
    std::optional<std::pair<QList<catalogue::ApiSpec>, app::AccessRules>> m_pendingTenant; // arrived during a run
    std::unique_ptr<app::OidcClient> m_oidc;
    std::unique_ptr<app::LoginSession> m_session;
    WebLoginView *m_browserView = nullptr;
    std::unique_ptr<WebLoginBrowser> m_browser;
    std::unique_ptr<qa::LocalTokenMinter> m_minter;
    std::unique_ptr<qa::QaRunner> m_runner;
    QaGridModel *m_model = nullptr;

    QPushButton *m_runButton = nullptr;
    QPushButton *m_cancelButton = nullptr;
    QPushButton *m_rerunButton = nullptr;
    QPushButton *m_planButton = nullptr;
    QPushButton *m_exportButton = nullptr;
    QPushButton *m_watchButton = nullptr;
    QCheckBox *m_byHandBox = nullptr;
    QSplitter *m_bottomSplit = nullptr;
    QLabel *m_planLabel = nullptr;
    QLabel *m_summary = nullptr;
    QProgressBar *m_progress = nullptr;
    QTableView *m_grid = nullptr;
    QPlainTextEdit *m_details = nullptr;
    TimelinePanel *m_timeline = nullptr;
    int m_shownRow = -1;
};

} // namespace organizer::ui
