#include "weblogin.h"

#include <QLoggingCategory>
#include <QWebEngineCookieStore>
#include <QVBoxLayout>
#include <QWebEngineProfile>
#include <QWebEngineSettings>
#include <QWebEngineView>

namespace organizer::ui {

Q_LOGGING_CATEGORY(lcWeb, "organizer.app.web")

QString originOf(const QUrl &url)
{
    return url.adjusted(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo).toString();
}

InterceptingPage::InterceptingPage(QWebEngineProfile *profile, QObject *parent) : QWebEnginePage(profile, parent) {}

bool InterceptingPage::acceptNavigationRequest(const QUrl &url, NavigationType type, bool isMainFrame)
{
    if (!isMainFrame)
        return QWebEnginePage::acceptNavigationRequest(url, type, isMainFrame);
    if (isRedirect && isRedirect(url)) {
        // Refused here, so nothing is requested from the redirect URI; the resulting
        // loadFinished(false) (ERR_ABORTED) is expected, not an error.
        Q_EMIT redirectCaught(url);
        return false;
    }
    if (!allowedOrigin.isEmpty() && originOf(url) != allowedOrigin) {
        qCWarning(lcWeb).noquote() << "blocked navigation away from the login server to" << originOf(url);
        Q_EMIT navigationBlocked(url);
        return false;
    }
    return true;
}

WebLoginView::WebLoginView(QWidget *parent) : QWidget(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    m_address = new QLineEdit(this);
    m_address->setReadOnly(true);
    m_address->setAccessibleName(tr("Address of the page"));
    m_progress = new QProgressBar(this);
    m_progress->setMaximumHeight(4);
    m_progress->setTextVisible(false);
    m_progress->setRange(0, 100);
    // No storage name: off the record, so no cookie or cache outlives this login.
    m_profile = new QWebEngineProfile(this);
    m_view = new QWebEngineView(this);
    m_page = new InterceptingPage(m_profile, m_view);
    m_view->setPage(m_page);
    m_page->settings()->setAttribute(QWebEngineSettings::LocalContentCanAccessRemoteUrls, false);
    layout->addWidget(m_address);
    layout->addWidget(m_progress);
    layout->addWidget(m_view, 1);

    connect(m_page, &InterceptingPage::redirectCaught, this, [this](const QUrl &url) {
        m_redirected = true;
        m_address->setText(url.toString(QUrl::RemoveFragment | QUrl::RemoveQuery) + tr("  (caught: tokens stay in the app)"));
        Q_EMIT redirectCaught(url);
    });
    connect(m_page, &InterceptingPage::navigationBlocked, this, &WebLoginView::navigationBlocked);
    connect(m_page, &QWebEnginePage::urlChanged, this, [this](const QUrl &url) {
        if (!m_redirected)
            m_address->setText(url.toString(QUrl::RemoveQuery));
    });
    connect(m_page, &QWebEnginePage::loadProgress, m_progress, &QProgressBar::setValue);
    connect(m_page, &QWebEnginePage::loadFinished, this, [this](bool ok) {
        m_progress->setValue(100);
        if (!m_redirected)
            Q_EMIT pageLoaded(m_page->url(), ok);
    });
}

WebLoginView::~WebLoginView()
{
    // The page must go before its profile (Qt WebEngine warns and may crash otherwise).
    m_view->setPage(nullptr);
    delete m_page;
    m_page = nullptr;
    delete m_profile;
    m_profile = nullptr;
}

void WebLoginView::open(const QUrl &url, const QString &allowedOrigin, std::function<bool(const QUrl &)> isRedirect)
{
    m_redirected = false;
    m_page->allowedOrigin = allowedOrigin;
    m_page->isRedirect = std::move(isRedirect);
    m_address->setText(url.toString(QUrl::RemoveQuery));
    m_page->load(url);
}

void WebLoginView::clearCookies()
{
    m_profile->cookieStore()->deleteAllCookies();
}

void WebLoginView::runScript(const QString &script)
{
    m_page->runJavaScript(script);
}

WebLoginBrowser::WebLoginBrowser(WebLoginView *view, app::LoginSession *session, QObject *parent)
    : app::LoginBrowser(parent), m_view(view), m_session(session)
{
    connect(m_view, &WebLoginView::pageLoaded, this, &app::LoginBrowser::pageLoaded);
    connect(m_view, &WebLoginView::redirectCaught, m_session, &app::LoginSession::handleRedirect);
}

void WebLoginBrowser::open(const QUrl &url)
{
    m_view->open(url, originOf(url), [this](const QUrl &candidate) { return m_session->isRedirect(candidate); });
}

namespace {

QString jsString(const QString &value)
{
    QString escaped = value;
    escaped.replace(QLatin1Char('\\'), QLatin1String("\\\\")).replace(QLatin1Char('\''), QLatin1String("\\'")).replace(QLatin1Char('\n'), QLatin1String("\\n"));
    return QLatin1Char('\'') + escaped + QLatin1Char('\'');
}

} // namespace

void WebLoginBrowser::submitLogin(const QString &login, const QString &password)
{
    // One field at a time, then the form, as a person would type.
    m_view->runScript(QStringLiteral("document.getElementById('username').value = %1;"
                                     "document.getElementById('password').value = %2;"
                                     "document.querySelector('form').submit();")
                          .arg(jsString(login), jsString(password)));
}

void WebLoginBrowser::answerConsent(bool accept)
{
    m_view->runScript(accept ? QStringLiteral("document.querySelector('button[value=accept]').click();")
                             : QStringLiteral("document.querySelector('button[value=deny]').click();"));
}

void WebLoginBrowser::clearSession()
{
    m_view->clearCookies();
}

} // namespace organizer::ui
