#pragma once

#include "appcontroller.h"
#include "profiles.h"

#include <QMainWindow>
#include <QPointer>
#include <QTimer>

class QComboBox;
class QDialog;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTableView;
class QTableWidget;
class QTabWidget;
class QToolButton;
class QTreeWidget;

namespace organizer::ui {

class QaTab;
class RecordsPane;
class TenantTab;
class TimelinePanel;
class WebLoginView;

// The app's window: it presents what the app core computes and turns clicks into intents (log in,
// call an API) for the AppController; it never speaks HTTP itself and never holds a token.
class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    MainWindow(app::AppController *controller, app::ProfileStore *profiles, QWidget *parent = nullptr);
    ~MainWindow() override;

    // For the demo and the tests: the web view of the login in progress (null when none).
    WebLoginView *loginView() const { return m_loginView; }
    QTabWidget *tabs() const { return m_tabs; }
    QaTab *qaTab() const { return m_qaTab; }
    TenantTab *tenantTab() const { return m_tenantTab; }
    app::TenantAdmin *tenantAdmin() const { return m_controller->tenantAdmin(); }
    const app::FlowTimeline &loginTimeline() const { return m_controller->loginController()->timeline(); }
    void showLoginResult(const app::LoginResult &result);
    void setFlow(app::Flow flow);
    // Selects `profile`: a saved one, or one given on the command line (saved only if edited here).
    void useProfile(const app::Profile &profile);

public Q_SLOTS:
    void login();
    void logout();
    void refreshAll();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void rebuildRecordPanes();
    RecordsPane *recordsPane(const QString &apiName) const;
    QWidget *buildTokensTab();
    QWidget *buildResponsesTab();
    QWidget *buildTimelineTab();
    void buildToolbar();
    void rebuildProfiles(const QString &select);
    void rebuildScopeMenu();
    // The Tenant tab's Management API client, for the current profile: asks for its secret when none is known.
    void askForTenantSecret();
    void openLoginDialog();
    void editProfile(bool create);
    void removeProfile();
    void onServerState(app::ServerLauncher::State state);
    void onLoginFailed(const app::LoginError &error);
    void onApiCall(const app::ApiCall &call);
    void updateActions();
    void updateExpiry();
    void closeLoginDialog();
    app::Profile currentProfile() const;

    app::AppController *m_controller;
    app::ServerLauncher *m_server;
    app::LoginSession *m_session;
    app::RecordsController *m_records;
    app::ProfileStore *m_profileStore;
    QList<app::Profile> m_profiles;

    QComboBox *m_profileBox = nullptr;
    QComboBox *m_flowBox = nullptr;
    QToolButton *m_scopeButton = nullptr;
    QPushButton *m_loginButton = nullptr;
    QPushButton *m_logoutButton = nullptr;
    QLabel *m_serverLabel = nullptr;
    QLabel *m_flowNote = nullptr;
    QLabel *m_busy = nullptr; // shows while calls or a login are under way
    void updateBusy();
    QTabWidget *m_tabs = nullptr;
    QList<RecordsPane *> m_recordPanes; // one tab per API, first in the window
    QTreeWidget *m_tokenTree = nullptr;
    QLabel *m_scopeSummary = nullptr;
    QLabel *m_expiryLabel = nullptr;
    QTableWidget *m_responses = nullptr;
    QPlainTextEdit *m_responseDetail = nullptr;
    QPlainTextEdit *m_serverLog = nullptr;
    QaTab *m_qaTab = nullptr;
    TenantTab *m_tenantTab = nullptr;
    TimelinePanel *m_timelinePanel = nullptr;
    QList<app::ApiCall> m_calls;
    QPointer<QDialog> m_loginDialog;
    QPointer<WebLoginView> m_loginView;
    QTimer m_expiryTimer;
};

} // namespace organizer::ui
