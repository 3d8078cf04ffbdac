#include "mainwindow.h"

#include "recordspane.h"
#include "tenanttab.h"

#include "profiledialog.h"
#include "qatab.h"
#include "timelinepainter.h"
#include "recorddialog.h"
#include "weblogin.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDesktopServices>
#include <QDialog>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>
#include <QTableWidget>
#include <QTabWidget>
#include <QToolBar>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace organizer::ui {

namespace {

void addClaims(QTreeWidgetItem *parent, const QString &title, const QJsonObject &object)
{
    auto *group = new QTreeWidgetItem(parent, {title});
    for (auto it = object.constBegin(); it != object.constEnd(); ++it) {
        QString text;
        const QJsonValue value = it.value();
        if (value.isArray() || value.isObject())
            text = QString::fromUtf8(
                QJsonDocument(value.isArray() ? QJsonDocument(value.toArray()) : QJsonDocument(value.toObject())).toJson(QJsonDocument::Compact));
        else if (value.isDouble())
            text = QString::number(value.toInteger());
        else if (value.isBool())
            text = value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
        else
            text = value.toString();
        if ((it.key() == QLatin1String("exp") || it.key() == QLatin1String("iat") || it.key() == QLatin1String("auth_time")) && value.isDouble())
            text += QStringLiteral("  (%1)").arg(QDateTime::fromSecsSinceEpoch(value.toInteger()).toString(Qt::ISODate));
        new QTreeWidgetItem(group, {it.key(), text});
    }
    group->setExpanded(true);
}

} // namespace

MainWindow::MainWindow(app::AppController *controller, QWidget *parent)
    : QMainWindow(parent), m_controller(controller), m_server(controller->server()), m_records(controller->records())
{
    setWindowTitle(tr("Organizer"));
    setWindowIcon(QIcon(QStringLiteral(":/organizer/icons/organizer.svg")));

    buildToolbar();
    m_tabs = new QTabWidget(this);
    rebuildRecordPanes();
    connect(m_records, &app::RecordsController::apisChanged, this, &MainWindow::rebuildRecordPanes);
    connect(m_records, &app::RecordsController::listed, this, [this](const QString &apiName, const QJsonArray &records) {
        if (RecordsPane *pane = recordsPane(apiName))
            pane->setRecords(records);
        m_tenantTab->noteApiAnswered(apiName, 200);
    });
    connect(m_records, &app::RecordsController::failed, this, [this](const QString &, const QString &summary) { statusBar()->showMessage(summary, 8000); });
    connect(m_records, &app::RecordsController::busyChanged, this, &MainWindow::updateBusy);
    m_tabs->addTab(buildTokensTab(), tr("&Tokens"));
    m_tabs->addTab(buildResponsesTab(), tr("&Responses"));
    m_tabs->addTab(buildTimelineTab(), tr("T&imeline"));
    m_qaTab = new QaTab(m_server, this);
    m_qaTab->setProfileProvider([this] { return currentProfile(); });
    m_tabs->addTab(m_qaTab, tr("Scope &QA"));
    m_tenantTab = new TenantTab(m_controller->tenant(), this);
    m_tabs->addTab(m_tenantTab, tr("Te&nant"));
    connect(m_controller, &app::AppController::scopeChoicesChanged, this, &MainWindow::rebuildScopeMenu);
    connect(m_controller, &app::AppController::tenantFollowed, m_qaTab, &QaTab::followTenant);
    connect(m_controller, &app::AppController::discoveryFailed, this,
            [this](const QString &error) { statusBar()->showMessage(tr("Could not read the provider's scopes: %1").arg(error), 6000); });
    connect(m_tenantTab, &TenantTab::loginRequested, this, [this](const QStringList &scopes) {
        closeLoginDialog();
        presentLoginStart(m_controller->logInAskingFor(scopes));
    });
    connect(m_tenantTab, &TenantTab::callApisRequested, this, &MainWindow::refreshAll);
    connect(m_tabs, &QTabWidget::currentChanged, this, [this] {
        if (m_tabs->currentWidget() == m_tenantTab && !m_controller->tenantAdmin()->hasTarget())
            askForTenantSecret();
    });
    m_serverLog = new QPlainTextEdit(this);
    m_serverLog->setReadOnly(true);
    m_serverLog->setMaximumBlockCount(5000);
    m_serverLog->setFont(QFont(QStringLiteral("monospace")));
    m_tabs->addTab(m_serverLog, tr("Server &log"));
    setCentralWidget(m_tabs);

    connect(m_server, &app::ServerLauncher::stateChanged, this, &MainWindow::onServerState);
    connect(m_server, &app::ServerLauncher::logAppended, m_serverLog, [this](const QString &text) { m_serverLog->appendPlainText(text.trimmed()); });
    connect(m_controller, &app::AppController::loggedIn, this, [this](const app::LoginResult &result) {
        closeLoginDialog();
        showLoginResult(result);
    });
    connect(m_controller, &app::AppController::loginFailed, this, &MainWindow::onLoginFailed);
    connect(m_controller->loginController(), &app::LoginController::timelineChanged, this, [this](const app::FlowTimeline &timeline) {
        if (m_timelinePanel)
            m_timelinePanel->setTimeline(timeline);
    });
    connect(m_controller, &app::AppController::loginProgress, this, [this](const QString &step) { statusBar()->showMessage(step); });
    connect(m_controller, &app::AppController::loginStarting, this, [this](app::AppController::Browser browser) {
        // The embedded view must be there before the session asks for a browser.
        if (browser == app::AppController::Browser::Embedded)
            openLoginDialog();
    });
    connect(m_controller, &app::AppController::openInSystemBrowser, this, [this](const QUrl &url, const QUrl &loopback) {
        statusBar()->showMessage(tr("Continue the login in your browser; the answer comes back to %1.").arg(loopback.toString()));
        if (!QDesktopServices::openUrl(url))
            QMessageBox::information(this, tr("Open this address in a browser"), url.toString());
    });
    connect(m_controller, &app::AppController::openInEmbeddedView, this, [this](const QUrl &url) {
        if (m_loginView)
            m_loginView->open(url, originOf(url), [this](const QUrl &candidate) { return m_controller->isLoginRedirect(candidate); });
    });
    connect(m_controller->api(), &app::ApiClient::finished, this, &MainWindow::onApiCall);
    connect(&m_expiryTimer, &QTimer::timeout, this, &MainWindow::updateExpiry);
    auto *busyTimer = new QTimer(this);
    connect(busyTimer, &QTimer::timeout, this, &MainWindow::updateBusy);
    busyTimer->start(150);
    m_expiryTimer.start(1000);

    auto *refresh = new QAction(tr("Refresh"), this);
    refresh->setShortcut(QKeySequence::Refresh);
    connect(refresh, &QAction::triggered, this, &MainWindow::refreshAll);
    addAction(refresh);
    auto *quit = new QAction(tr("Quit"), this);
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);
    addAction(quit);

    QSettings settings;
    resize(1024, 700);
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
    onServerState(m_server->state());
    updateActions();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildToolbar()
{
    QToolBar *bar = addToolBar(tr("Login"));
    bar->setObjectName(QStringLiteral("loginToolbar"));
    bar->setMovable(false);
    bar->addWidget(new QLabel(tr(" Profile "), this));
    m_profileBox = new QComboBox(this);
    m_profileBox->setMinimumContentsLength(18);
    bar->addWidget(m_profileBox);
    auto *profileMenuButton = new QToolButton(this);
    profileMenuButton->setText(tr("…"));
    profileMenuButton->setToolTip(tr("New, edit or remove a profile for a real Auth0 tenant or another OpenID provider"));
    profileMenuButton->setPopupMode(QToolButton::InstantPopup);
    auto *profileMenu = new QMenu(profileMenuButton);
    profileMenu->addAction(tr("New profile…"), this, [this] { editProfile(true); });
    profileMenu->addAction(tr("Edit profile…"), this, [this] { editProfile(false); });
    profileMenu->addAction(tr("Remove profile"), this, &MainWindow::removeProfile);
    profileMenuButton->setMenu(profileMenu);
    bar->addWidget(profileMenuButton);
    bar->addSeparator();
    bar->addWidget(new QLabel(tr(" Flow "), this));
    m_flowBox = new QComboBox(this);
    m_flowBox->addItem(tr("Implicit (id_token token) — the tutorial's"), int(app::Flow::Implicit));
    m_flowBox->addItem(tr("Authorization Code + PKCE — recommended"), int(app::Flow::AuthorizationCodePkce));
    m_flowBox->setCurrentIndex(currentProfile().flow == app::Flow::Implicit ? 0 : 1);
    bar->addWidget(m_flowBox);
    m_scopeButton = new QToolButton(this);
    m_scopeButton->setText(tr("Scopes"));
    m_scopeButton->setPopupMode(QToolButton::InstantPopup);
    m_scopeButton->setMenu(new QMenu(m_scopeButton));

    bar->addWidget(m_scopeButton);
    bar->addSeparator();
    m_loginButton = new QPushButton(QIcon(QStringLiteral(":/organizer/icons/login.svg")), tr("Log in"), this);
    m_loginButton->setShortcut(QKeySequence(QStringLiteral("Ctrl+L")));
    m_loginButton->setToolTip(tr("Log in (Ctrl+L)"));
    m_logoutButton = new QPushButton(QIcon(QStringLiteral(":/organizer/icons/logout.svg")), tr("Log out"), this);
    connect(m_loginButton, &QPushButton::clicked, this, &MainWindow::login);
    connect(m_logoutButton, &QPushButton::clicked, this, &MainWindow::logout);
    bar->addWidget(m_loginButton);
    bar->addWidget(m_logoutButton);
    m_serverLabel = new QLabel(this);
    statusBar()->addPermanentWidget(m_serverLabel);
    m_flowNote = new QLabel(this);
    statusBar()->addWidget(m_flowNote);
    m_busy = new QLabel(this);
    statusBar()->addPermanentWidget(m_busy);

    auto explainFlow = [this] {
        const bool implicit = m_flowBox->currentData().toInt() == int(app::Flow::Implicit);
        m_flowNote->setText(implicit ? tr("Implicit: tokens come back in the URL fragment. RFC 9700 deprecates it; prefer Code + PKCE.")
                                     : tr("Code + PKCE: only a one-time code crosses the browser; tokens come from a back-channel POST."));
        // Only a change is saved: a profile from the command line stays unsaved until edited.
        const app::Flow flow = implicit ? app::Flow::Implicit : app::Flow::AuthorizationCodePkce;
        if (currentProfile().flow != flow)
            m_controller->setFlow(flow);
    };
    connect(m_flowBox, &QComboBox::currentIndexChanged, this, explainFlow);
    connect(m_profileBox, &QComboBox::currentIndexChanged, this, [this] {
        if (m_profileBox->currentIndex() >= 0)
            m_controller->selectProfile(m_profileBox->currentData().toString());
    });
    const app::ProfileList *profiles = m_controller->profiles();
    connect(profiles, &app::ProfileList::listChanged, this, &MainWindow::rebuildProfiles);
    connect(profiles, &app::ProfileList::currentChanged, this, &MainWindow::showProfile);
    rebuildProfiles();
    m_controller->selectProfile(profiles->savedCurrentName());
    showProfile(currentProfile());
    explainFlow();
}

QWidget *MainWindow::buildTimelineTab()
{
    m_timelinePanel = new TimelinePanel(tr("Every step of the last login and each call made with its token, as a sequence diagram. Secrets are masked."),
                                        QStringLiteral("organizer-login"), this);
    m_timelinePanel->setContentsMargins(8, 8, 8, 8);
    return m_timelinePanel;
}

void MainWindow::rebuildRecordPanes()
{
    // One tab per API, first in the window, in the catalogue's order; a pane whose API did not
    // change keeps its table.
    QList<RecordsPane *> panes;
    for (const catalogue::ApiSpec &api : m_records->apis()) {
        RecordsPane *pane = recordsPane(api.name);
        if (pane && !(pane->api() == api)) {
            m_tabs->removeTab(m_tabs->indexOf(pane));
            m_recordPanes.removeAll(pane);
            pane->deleteLater();
            pane = nullptr;
        }
        if (!pane) {
            pane = new RecordsPane(api, this);
            const QString name = api.name;
            connect(pane, &RecordsPane::refreshRequested, m_records, [this, name] { m_records->refresh(name); });
            connect(pane, &RecordsPane::createRequested, m_records, [this, name](const QJsonObject &record) { m_records->create(name, record); });
            connect(pane, &RecordsPane::replaceRequested, m_records,
                    [this, name](qint64 id, const QJsonObject &record) { m_records->replace(name, id, record); });
            connect(pane, &RecordsPane::removeRequested, m_records, [this, name](qint64 id) { m_records->remove(name, id); });
            connect(pane, &RecordsPane::message, this, [this](const QString &text) { statusBar()->showMessage(text, 3000); });
        }
        panes.append(pane);
    }
    for (RecordsPane *old : std::as_const(m_recordPanes)) {
        if (!panes.contains(old)) {
            m_tabs->removeTab(m_tabs->indexOf(old));
            old->deleteLater();
        }
    }
    m_recordPanes = panes;
    for (int i = 0; i < panes.size(); ++i) {
        RecordsPane *pane = panes.at(i);
        const int at = m_tabs->indexOf(pane);
        if (at != i) {
            if (at >= 0)
                m_tabs->removeTab(at);
            m_tabs->insertTab(i, pane, pane->api().title);
        }
    }
    updateActions();
}

RecordsPane *MainWindow::recordsPane(const QString &apiName) const
{
    for (RecordsPane *pane : m_recordPanes) {
        if (pane->api().name == apiName)
            return pane;
    }
    return nullptr;
}

QWidget *MainWindow::buildTokensTab()
{
    auto *page = new QWidget(this);
    auto *layout = new QVBoxLayout(page);
    m_scopeSummary = new QLabel(tr("Not logged in."), page);
    m_scopeSummary->setWordWrap(true);
    m_scopeSummary->setTextFormat(Qt::RichText);
    m_expiryLabel = new QLabel(page);
    m_tokenTree = new QTreeWidget(page);
    m_tokenTree->setHeaderLabels({tr("Claim"), tr("Value")});
    m_tokenTree->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    auto *copy = new QHBoxLayout;
    for (const bool idToken : {false, true}) {
        auto *button = new QPushButton(idToken ? tr("Copy ID token") : tr("Copy access token"), page);
        connect(button, &QPushButton::clicked, this, [this, idToken] {
            const QString token = m_controller->copyableToken(idToken ? app::AppController::Token::Id : app::AppController::Token::Access);
            if (token.isEmpty()) {
                statusBar()->showMessage(tr("Not logged in: there is no token to copy."), 4000);
                return;
            }
            QApplication::clipboard()->setText(token);
            statusBar()->showMessage(tr("Copied. Treat it like a password."), 4000);
        });
        copy->addWidget(button);
    }
    copy->addStretch(1);
    layout->addWidget(m_scopeSummary);
    layout->addWidget(m_expiryLabel);
    layout->addWidget(m_tokenTree, 1);
    layout->addLayout(copy);
    return page;
}

QWidget *MainWindow::buildResponsesTab()
{
    auto *splitter = new QSplitter(Qt::Vertical, this);
    m_responses = new QTableWidget(0, 5, splitter);
    m_responses->setHorizontalHeaderLabels({tr("Method"), tr("Path"), tr("Status"), tr("ms"), tr("Meaning")});
    m_responses->horizontalHeader()->setStretchLastSection(true);
    m_responses->verticalHeader()->hide();
    m_responses->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_responses->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_responseDetail = new QPlainTextEdit(splitter);
    m_responseDetail->setReadOnly(true);
    m_responseDetail->setFont(QFont(QStringLiteral("monospace")));
    connect(m_responses, &QTableWidget::currentCellChanged, this, [this](int row) {
        if (row < 0 || row >= m_calls.size())
            return;
        const app::ApiCall &call = m_calls.at(row);
        m_responseDetail->setPlainText(QStringLiteral("%1 %2\nHTTP %3 in %4 ms\nWWW-Authenticate: %5\n\n%6")
                                           .arg(QString::fromLatin1(call.method), call.url.toString())
                                           .arg(call.status)
                                           .arg(call.durationMs, 0, 'f', 1)
                                           .arg(QString::fromLatin1(call.wwwAuthenticate.isEmpty() ? QByteArray("(none)") : call.wwwAuthenticate),
                                                QString::fromUtf8(call.json().isNull() ? call.body : call.json().toJson(QJsonDocument::Indented))));
    });
    return splitter;
}

void MainWindow::useProfile(const app::Profile &profile)
{
    m_controller->useProfile(profile);
}

void MainWindow::rebuildProfiles()
{
    const QSignalBlocker blocker(m_profileBox);
    m_profileBox->clear();
    for (const app::Profile &profile : m_controller->profiles()->profiles())
        m_profileBox->addItem(profile.local ? tr("Local (bundled server)") : profile.name, profile.name);
    m_profileBox->setCurrentIndex(std::max(0, m_profileBox->findData(currentProfile().name)));
}

void MainWindow::showProfile(const app::Profile &profile)
{
    {
        const QSignalBlocker blocker(m_profileBox);
        m_profileBox->setCurrentIndex(std::max(0, m_profileBox->findData(profile.name)));
    }
    m_flowBox->setCurrentIndex(profile.flow == app::Flow::Implicit ? 0 : 1);
    rebuildScopeMenu();
    updateActions();
}

void MainWindow::rebuildScopeMenu()
{
    if (!m_scopeButton)
        return;
    QMenu *menu = m_scopeButton->menu();
    menu->clear();
    const QStringList chosen = currentProfile().scopes;
    for (const QString &scope : m_controller->scopeChoices()) {
        QAction *action = menu->addAction(scope);
        action->setCheckable(true);
        action->setChecked(chosen.contains(scope));
        connect(action, &QAction::toggled, this, [this, scope](bool on) { m_controller->setScopeRequested(scope, on); });
    }
}

void MainWindow::askForTenantSecret()
{
    if (m_controller->connectTenant() != app::AppController::TenantAccess::NeedsSecret)
        return;
    bool ok = false;
    const QString secret = QInputDialog::getText(
        this, tr("Management client"), tr("Secret of %1 (kept in memory only):").arg(currentProfile().managementClientId), QLineEdit::Password, QString(), &ok);
    if (ok)
        m_controller->connectTenant(secret);
}

void MainWindow::editProfile(bool create)
{
    app::Profile profile = create ? app::Profile() : currentProfile();
    if (!create && profile.local) {
        statusBar()->showMessage(tr("The Local profile always uses the bundled server; create a new profile for another provider."), 6000);
        return;
    }
    if (create) {
        profile.local = false;
        profile.apiBaseUrl = QUrl(QStringLiteral("http://localhost:3001/"));
    }
    QStringList taken = m_controller->profiles()->names();
    if (!create)
        taken.removeAll(profile.name);
    ProfileDialog dialog(profile, taken, this);
    if (dialog.exec() != QDialog::Accepted)
        return;
    m_controller->saveProfile(dialog.profile(), create ? QString() : profile.name);
}

void MainWindow::removeProfile()
{
    const app::Profile profile = currentProfile();
    if (profile.local)
        return;
    if (QMessageBox::question(this, tr("Remove profile"), tr("Remove the profile “%1”?").arg(profile.name)) != QMessageBox::Yes)
        return;
    m_controller->removeProfile(profile.name);
}

void MainWindow::onServerState(app::ServerLauncher::State state)
{
    switch (state) {
    case app::ServerLauncher::State::Starting:
        m_serverLabel->setText(tr("Bundled server: starting…"));
        break;
    case app::ServerLauncher::State::Running:
        m_serverLabel->setText(tr("Bundled server: %1").arg(m_server->url().toString()));
        break;
    case app::ServerLauncher::State::Failed:
        m_serverLabel->setText(tr("Bundled server: failed"));
        QMessageBox::warning(this, tr("The bundled server did not start"), m_server->errorString());
        break;
    case app::ServerLauncher::State::Stopped:
        m_serverLabel->setText(tr("Bundled server: stopped"));
        break;
    }
    updateActions();
}

void MainWindow::setFlow(app::Flow flow)
{
    m_flowBox->setCurrentIndex(flow == app::Flow::Implicit ? 0 : 1);
}

void MainWindow::login()
{
    if (!m_controller->canLogIn()) {
        statusBar()->showMessage(tr("The bundled server is not running yet."), 5000);
        return;
    }
    closeLoginDialog();
    presentLoginStart(m_controller->logIn());
}

void MainWindow::presentLoginStart(const Expected<app::AppController::Browser, QString> &started)
{
    if (!started) {
        closeLoginDialog();
        QMessageBox::warning(this, tr("Login failed"), started.error());
    }
}

void MainWindow::openLoginDialog()
{
    const app::Profile &profile = currentProfile();
    auto *dialog = new QDialog(this);
    dialog->setWindowTitle(tr("Log in — %1").arg(profile.local ? tr("Local") : profile.name));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    auto *layout = new QVBoxLayout(dialog);
    m_loginView = new WebLoginView(dialog);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, dialog);
    layout->addWidget(m_loginView, 1);
    layout->addWidget(buttons);
    connect(m_loginView, &WebLoginView::redirectCaught, m_controller, &app::AppController::deliverRedirect);
    connect(m_loginView, &WebLoginView::pageLoaded, m_controller, [this](const QUrl &url, bool) { m_controller->notePageLoaded(url); });
    connect(m_loginView, &WebLoginView::navigationBlocked, this,
            [this](const QUrl &url) { statusBar()->showMessage(tr("Blocked a page outside the login server: %1").arg(originOf(url)), 6000); });
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    connect(dialog, &QDialog::rejected, m_controller, &app::AppController::cancelLogin);
    dialog->resize(720, 640);
    m_loginDialog = dialog;
    dialog->show();
}

void MainWindow::closeLoginDialog()
{
    if (m_loginDialog) {
        m_loginDialog->disconnect(m_controller);
        m_loginDialog->close();
    }
}

void MainWindow::onLoginFailed(const app::LoginError &error)
{
    closeLoginDialog();
    if (error.kind == app::LoginError::Kind::Cancelled) {
        statusBar()->showMessage(error.message, 4000);
        return;
    }
    // Not modal: whoever else listens for the failure (the demo, the QA tab) hears it now, not after
    // a person closes the box.
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Login failed"), error.message, QMessageBox::Ok, this);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
    statusBar()->showMessage(tr("Login failed: %1").arg(error.message));
}

void MainWindow::showLoginResult(const app::LoginResult &result)
{
    const QString who = result.displayName();
    statusBar()->showMessage(tr("Logged in as %1").arg(who), 8000);

    QStringList rows;
    for (const QString &scope : result.requestedScopes) {
        const bool granted = result.grantedScopes.contains(scope);
        rows.append(QStringLiteral("<span style='color:%1'>%2 %3</span>")
                        .arg(granted ? QStringLiteral("#067647") : QStringLiteral("#b42318"), granted ? QStringLiteral("✓") : QStringLiteral("✗"),
                             scope.toHtmlEscaped()));
    }
    m_scopeSummary->setText(tr("<b>%1</b> — requested vs granted: %2").arg(who.toHtmlEscaped(), rows.join(QStringLiteral(" &nbsp; "))));
    m_tokenTree->clear();
    auto *id = new QTreeWidgetItem(m_tokenTree, {tr("ID token"), tr("signature verified ✓ (RS256, kid %1)").arg(result.idTokenKeyId().left(16))});
    addClaims(id, tr("header"), result.idTokenHeader);
    addClaims(id, tr("claims"), result.idTokenClaims);
    id->setExpanded(true);
    auto *access = new QTreeWidgetItem(
        m_tokenTree,
        {tr("Access token"),
         result.accessTokenSignatureValid ? tr("signature verified ✓ against the issuer's JWKS") : tr("signature not verified ✗ (the API decides)")});
    addClaims(access, tr("header"), result.accessTokenHeader);
    addClaims(access, tr("claims"), result.accessTokenClaims);
    access->setExpanded(true);
    updateExpiry();
    updateActions();
    m_tenantTab->setLogin(result.grantedScopes);
    refreshAll();
}

void MainWindow::logout()
{
    m_controller->logout();
    for (RecordsPane *pane : std::as_const(m_recordPanes))
        pane->setRecords({});
    m_tokenTree->clear();
    m_scopeSummary->setText(tr("Not logged in."));
    m_tenantTab->setLogin(std::nullopt);
    statusBar()->showMessage(tr("Logged out: the tokens were dropped from memory."), 5000);
    updateActions();
}

void MainWindow::updateBusy()
{
    const bool loggingIn = m_controller->isLoggingIn();
    const qsizetype calls = m_records->callsUnderWay();
    if (loggingIn)
        m_busy->setText(tr("⏳ logging in…"));
    else if (calls > 0)
        m_busy->setText(tr("⏳ %n call(s) under way", nullptr, int(calls)));
    else
        m_busy->clear();
    m_loginButton->setEnabled(!loggingIn && m_controller->canLogIn());
}

void MainWindow::updateExpiry()
{
    const auto &login = m_controller->login();
    if (!login) {
        m_expiryLabel->clear();
        return;
    }
    const qint64 left = login->expiresAt - QDateTime::currentSecsSinceEpoch();
    m_expiryLabel->setText(
        left > 0
            ? tr("Access token expires in %1:%2:%3").arg(left / 3600).arg((left / 60) % 60, 2, 10, QLatin1Char('0')).arg(left % 60, 2, 10, QLatin1Char('0'))
            : tr("The access token has expired; log in again."));
}

void MainWindow::updateActions()
{
    const auto &login = m_controller->login();
    m_loginButton->setEnabled(m_controller->canLogIn());
    m_logoutButton->setEnabled(login.has_value());
    for (RecordsPane *pane : std::as_const(m_recordPanes))
        pane->setGrantedScopes(login ? std::optional<QStringList>(login->grantedScopes) : std::nullopt);
}

void MainWindow::refreshAll()
{
    m_controller->refreshAll();
}

void MainWindow::onApiCall(const app::ApiCall &call)
{
    m_calls.append(call);
    const int row = m_responses->rowCount();
    m_responses->insertRow(row);
    const QStringList cells{QString::fromLatin1(call.method), call.url.path(), QString::number(call.status), QString::number(call.durationMs, 'f', 1),
                            call.summary()};
    for (int column = 0; column < cells.size(); ++column) {
        auto *item = new QTableWidgetItem(cells.at(column));
        if (!call.succeeded())
            item->setForeground(QColor(QStringLiteral("#b42318")));
        m_responses->setItem(row, column, item);
    }
    m_responses->scrollToBottom();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/state"), saveState());
    closeLoginDialog();
    event->accept();
}

} // namespace organizer::ui
