#include "weblogin.h"

#include "bundledservertrust.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QWebEngineCookieStore>
#include <QVBoxLayout>
#include <QWebEngineCertificateError>
#include <QWebEngineProfile>
#include <QWebEngineSettings>
#include <QWebEngineView>

namespace organizer::ui {

Q_LOGGING_CATEGORY(lcWeb, "organizer.app.web")

QString originOf(const QUrl &url)
{
    return url.adjusted(QUrl::RemovePath | QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo).toString();
}

InterceptingPage::InterceptingPage(QWebEngineProfile *profile, QObject *parent) : QWebEnginePage(profile, parent)
{
    // The bundled server's certificate comes from its local CA, which no trust store holds: accepted
    // for that server's origin when that CA issued it, and only then. Every other certificate error
    // is refused, as the engine does by itself.
    connect(this, &QWebEnginePage::certificateError, this, [this](const QWebEngineCertificateError &error) {
        QWebEngineCertificateError answer = error;
        const QString otherProblem = error.type() == QWebEngineCertificateError::CertificateAuthorityInvalid ? QString() : error.description();
        const app::CertificateVerdict verdict
            = app::judgeCertificateError(error.url(), error.certificateChain(), otherProblem, app::BundledServerTrust::forUrl(error.url()));
        if (verdict.accept && error.isOverridable()) {
            answer.acceptCertificate();
            return;
        }
        answer.rejectCertificate();
        const QString reason
            = verdict.reason.isEmpty() ? tr("the certificate of %1 is not trusted: %2").arg(originOf(error.url()), error.description()) : verdict.reason;
        qCWarning(lcWeb).noquote() << reason;
        Q_EMIT certificateRefused(error.url(), reason);
    });
}

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
    connect(m_page, &InterceptingPage::certificateRefused, this, [this](const QUrl &url, const QString &reason) {
        m_certificateRefusal = reason;
        m_address->setText(url.toString(QUrl::RemoveQuery) + tr("  (refused: %1)").arg(reason));
        m_address->setCursorPosition(0); // the address and the start of why, not the tail of a long sentence
        m_address->setToolTip(reason);
        Q_EMIT certificateRefused(url, reason);
    });
    connect(m_page, &QWebEnginePage::urlChanged, this, [this](const QUrl &url) {
        if (!m_redirected && m_certificateRefusal.isEmpty())
            m_address->setText(url.toString(QUrl::RemoveQuery));
    });
    connect(m_page, &QWebEnginePage::loadProgress, m_progress, &QProgressBar::setValue);
    connect(m_page, &QWebEnginePage::loadFinished, this, [this](bool ok) {
        m_progress->setValue(100);
        if (ok)
            m_certificateRefusal.clear(); // what was refused was not the page itself
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
    m_certificateRefusal.clear();
    m_address->setToolTip({});
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

void WebLoginView::evaluate(const QString &script, const std::function<void(const QVariant &)> &done)
{
    m_page->runJavaScript(script, done);
}

WebLoginBrowser::WebLoginBrowser(WebLoginView *view, app::LoginSession *session, bool deliverRedirects, QObject *parent)
    : app::LoginBrowser(parent), m_view(view), m_session(session)
{
    connect(m_view, &WebLoginView::pageLoaded, this, &app::LoginBrowser::pageLoaded);
    if (deliverRedirects)
        connect(m_view, &WebLoginView::redirectCaught, m_session, &app::LoginSession::handleRedirect);
}

void WebLoginBrowser::open(const QUrl &url)
{
    m_view->open(url, originOf(url), [this](const QUrl &candidate) { return m_session->isRedirect(candidate); });
}

namespace {

// Shared by inspect(), submitLogin() and answerConsent(): how a page's parts are found, the way a
// password manager finds them. Only visible, enabled elements count.
const char *const kPageReader = R"JS(
const organizerPage = (() => {
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
      && getComputedStyle(el).visibility !== 'hidden' && !el.disabled;
  const inputs = [...document.querySelectorAll('input')].filter(visible);
  const isText = (i) => /^(text|email|)$/i.test(i.getAttribute('type') || '');
  const isIdentifier = (i) => /^(username|email|webauthn)( |$)/i.test(i.autocomplete || '') || i.type === 'email'
      || (isText(i) && /^(username|email|login|identifier|user|userid)$/i.test(i.name || i.id || ''));
  const password = inputs.find((i) => i.type === 'password') || null;
  // A visible text input in the password's form is its user name, whatever it is called: any
  // provider's plain login form is a login page.
  const identifier = inputs.find(isIdentifier) || (password && password.form && inputs.find((i) => i.form === password.form && isText(i))) || null;
  const buttons = [...document.querySelectorAll('button, input[type=submit]')].filter(visible);
  const label = (b) => ((b.value || '') + ' ' + (b.textContent || '') + ' ' + (b.name || '')).toLowerCase();
  const denies = (b) => /\b(deny|decline|reject|cancel|abort|not now|don.t)\b/.test(label(b));
  const refuses = (b) => denies(b) || /\bback\b/.test(label(b));
  const isSubmit = (b) => (b.type || 'submit') === 'submit';
  const alert = [...document.querySelectorAll('[role=alert], .error, .alert, .ulp-input-error-message')].find(visible);
  // A consent page says what it is in its title or headings, or names its button so; a stock provider's
  // page may only say "Authorize" above one "Continue" (panva/oidc-provider's, whose title stays
  // "Sign-in"). So: a button that reads as consent, or else the only submit button of the page's forms
  // on a page whose heading asks to authorize and that shows no field to fill nor an error.
  const named = buttons.find((b) => !refuses(b) && /\b(accept|allow|authori[sz]e|agree|grant|approve|yes)\b/.test(label(b))) || null;
  const headings = [document.title, ...[...document.querySelectorAll('h1, h2, h3, legend, [role=heading]')].filter(visible).map((h) => h.textContent)].join(' ');
  const asksToAuthorize = /\b(authori[sz](e|ation)|consent|allow|grant|approve|permissions?)\b/i.test(headings);
  const fillable = inputs.some((i) => !/^(hidden|checkbox|radio|submit|button|image|reset)$/i.test(i.type));
  const submits = buttons.filter((b) => b.form && isSubmit(b) && !refuses(b));
  const accept = named || (asksToAuthorize && !fillable && !alert && submits.length === 1 ? submits[0] : null);
  const deny = buttons.find(denies) || null;
  const typeInto = (input, value) => {
    input.focus();
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;
    setter.call(input, value); // also for pages whose framework watches the value property
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new Event('change', { bubbles: true }));
  };
  const send = (field) => {
    const form = field && field.form;
    const submit = (form ? [...form.querySelectorAll('button, input[type=submit]')] : buttons)
        .filter(visible).find((b) => isSubmit(b) && !refuses(b));
    if (submit) submit.click();
    else if (form) form.requestSubmit ? form.requestSubmit() : form.submit();
  };
  const form = (password || identifier || accept || {}).form || document.forms[0] || null;
  const pathOf = (action) => { try { return new URL(action, location.href).pathname; } catch (e) { return action; } }; // never throw: the page would go unread
  const formAction = form ? `${(form.getAttribute('method') || 'get').toUpperCase()} ${pathOf(form.action)}` : '';
  return { identifier, password, accept: (identifier || password) ? null : accept, deny, alert, formAction, typeInto, send };
})();
)JS";

QString jsString(const QString &value)
{
    // JSON is a JavaScript literal with every quote, backslash, line break and U+2028/9 escaped.
    const QString array = QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact));
    return array.mid(1, array.size() - 2);
}

// The page reader and one action, in a block: nothing is left in the page's global scope, so the
// reader can run again on the same page.
QString withPageReader(const QString &action)
{
    return QLatin1Char('{') + QString::fromLatin1(kPageReader) + action + QLatin1Char('}');
}

} // namespace

void WebLoginBrowser::inspect(std::function<void(const app::PageShape &)> done)
{
    const QUrl url = m_view->view()->url();
    m_view->evaluate(withPageReader(QStringLiteral(R"JS(
JSON.stringify({ title: document.title, identifier: !!organizerPage.identifier, password: !!organizerPage.password,
  accept: !!organizerPage.accept, error: organizerPage.alert ? organizerPage.alert.textContent.trim().slice(0, 300) : '',
  formAction: organizerPage.formAction,
  empty: !document.body || document.body.innerText.trim() === '' }))JS")),
                     [url, refusal = m_view->certificateRefusal(), done = std::move(done)](const QVariant &result) {
                         const QJsonObject page = QJsonDocument::fromJson(result.toString().toUtf8()).object();
                         app::PageShape shape;
                         shape.url = url;
                         shape.title = page.value(QLatin1String("title")).toString();
                         shape.identifierField = page.value(QLatin1String("identifier")).toBool();
                         shape.passwordField = page.value(QLatin1String("password")).toBool();
                         shape.acceptButton = page.value(QLatin1String("accept")).toBool();
                         shape.errorText = page.value(QLatin1String("error")).toString();
                         shape.formAction = page.value(QLatin1String("formAction")).toString();
                         shape.loaded = !page.isEmpty() && !page.value(QLatin1String("empty")).toBool();
                         if (!refusal.isEmpty()) {
                             // What shows is the engine's error page; why the real one is not there says more.
                             shape.loaded = false;
                             shape.errorText = refusal;
                         }
                         done(shape);
                     });
}

void WebLoginBrowser::submitLogin(const QString &login, const QString &password)
{
    // Into each field the page has, then the form is sent with its own button, as a person would.
    m_view->runScript(withPageReader(QStringLiteral(R"JS(
{ const login = %1, password = %2;
  if (organizerPage.identifier && login) organizerPage.typeInto(organizerPage.identifier, login);
  if (organizerPage.password && password) organizerPage.typeInto(organizerPage.password, password);
  organizerPage.send(organizerPage.password || organizerPage.identifier); })JS")
                                         .arg(jsString(login), jsString(password))));
}

void WebLoginBrowser::answerConsent(bool accept)
{
    m_view->runScript(withPageReader(accept ? QStringLiteral("if (organizerPage.accept) organizerPage.accept.click();")
                                            : QStringLiteral("if (organizerPage.deny) organizerPage.deny.click();")));
}

void WebLoginBrowser::clearSession()
{
    m_view->clearCookies();
}

} // namespace organizer::ui
