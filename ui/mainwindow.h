#pragma once

#include "appcontroller.h"

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

// The app's window: it presents what the app core computes (the profiles, the login, the records,
// the tenant) and turns clicks into intents for the AppController; it never speaks HTTP, never
// talks to the login session, keeps no list of profiles and never holds a token.
class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    explicit MainWindow(app::AppController *controller, QWidget *parent = nullptr);
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
    // What the Tokens tab shows, for the tests: the claims, and the requested scopes with whether each was granted.
    QTreeWidget *tokenTree() const { return m_tokenTree; }
    QLabel *scopeSummary() const { return m_scopeSummary; }
    QTableWidget *responses() const { return m_responses; }

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
    void rebuildProfiles();
    void showProfile(const app::Profile &profile);
    void rebuildScopeMenu();
    // The Tenant tab's Management API client, for the current profile: asks for its secret when none is known.
    void askForTenantSecret();
    void openLoginDialog();
    void editProfile(bool create);
    void removeProfile();
    void onServerState(app::ServerLauncher::State state);
    void onLoginFailed(const app::LoginError &error);
    void presentLoginStart(const Expected<app::AppController::Browser, QString> &started);
    void onApiCall(const app::ApiCall &call);
    void updateActions();
    void updateExpiry();
    void closeLoginDialog();
    const app::Profile &currentProfile() const { return m_controller->profile(); }

    app::AppController *m_controller;
    app::ServerLauncher *m_server;
    app::RecordsController *m_records;

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
