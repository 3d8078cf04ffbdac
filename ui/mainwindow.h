#pragma once

#include "apiclient.h"
#include "loginsession.h"
#include "logincontroller.h"
#include "oidcclient.h"
#include "profiles.h"
#include "recordscontroller.h"
#include "tenantadmin.h"
#include "serverlauncher.h"

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
// call an API); it never speaks HTTP itself.
class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    MainWindow(app::ServerLauncher *server, app::LoginSession *session, app::ApiClient *api, app::ProfileStore *profiles, QWidget *parent = nullptr);
    ~MainWindow() override;

    // For the demo and the tests: the web view of the login in progress (null when none).
    WebLoginView *loginView() const { return m_loginView; }
    QTabWidget *tabs() const { return m_tabs; }
    QaTab *qaTab() const { return m_qaTab; }
    TenantTab *tenantTab() const { return m_tenantTab; }
    app::TenantAdmin *tenantAdmin() const { return m_admin; }
    const app::FlowTimeline &loginTimeline() const { return m_loginControl->timeline(); }
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
    void rebuildScopeMenu(const QStringList &available);
    void discoverScopes();
    // The Tenant tab's Management API client, for the current profile (asks for a secret when allowed).
    void connectTenant(bool mayAsk);
    void followTenant();
    void editProfile(bool create);
    void removeProfile();
    void onServerState(app::ServerLauncher::State state);
    void onLoginFailed(const app::LoginError &error);
    void onApiCall(const app::ApiCall &call);
    void updateActions();
    void updateExpiry();
    void closeLoginDialog();
    app::Profile currentProfile() const;

    app::ServerLauncher *m_server;
    app::LoginSession *m_session;
    app::ApiClient *m_api;
    app::ProfileStore *m_profileStore;
    QList<app::Profile> m_profiles;
    std::optional<app::LoginResult> m_login;

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
    app::RecordsController *m_records = nullptr;
    QList<RecordsPane *> m_recordPanes; // one tab per API, first in the window
    QTreeWidget *m_tokenTree = nullptr;
    QLabel *m_scopeSummary = nullptr;
    QLabel *m_expiryLabel = nullptr;
    QTableWidget *m_responses = nullptr;
    QPlainTextEdit *m_responseDetail = nullptr;
    QPlainTextEdit *m_serverLog = nullptr;
    QaTab *m_qaTab = nullptr;
    app::TenantAdmin *m_admin = nullptr;
    TenantTab *m_tenantTab = nullptr;
    QStringList m_discoveredScopes;
    TimelinePanel *m_timelinePanel = nullptr;
    app::LoginController *m_loginControl = nullptr; // which browser, which settings, the login's timeline
    QList<app::ApiCall> m_calls;
    QPointer<QDialog> m_loginDialog;
    QPointer<WebLoginView> m_loginView;
    QTimer m_expiryTimer;
    app::OidcClient m_discovery; // reads scopes_supported for the scope picker
};

} // namespace organizer::ui
