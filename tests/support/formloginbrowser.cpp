#include "formloginbrowser.h"

#include <QRegularExpression>
#include <QTimer>

namespace organizer::test {

FormLoginBrowser::FormLoginBrowser(app::LoginSession *session, QObject *parent) : app::LoginBrowser(parent), m_session(session) {}

void FormLoginBrowser::open(const QUrl &url)
{
    // Asynchronous, like a real browser: the caller's signal handler returns before the page "loads".
    QTimer::singleShot(0, this, [this, url] {
        if (!m_browser || m_port != url.port()) {
            m_port = quint16(url.port());
            m_browser = std::make_unique<TestBrowser>(m_port);
        }
        const QByteArray target = url.toString(QUrl::RemoveScheme | QUrl::RemoveAuthority | QUrl::FullyEncoded).toUtf8();
        follow(m_browser->get(target), url);
    });
}

namespace {

// A small reading of the page's first form, enough for the pages these tests meet: where it posts,
// its hidden fields, and which inputs and buttons it has.
struct PageForm
{
    QByteArray action;
    QList<QPair<QString, QString>> hidden;
    QString identifierName;
    QString passwordName;
    QList<QPair<QString, QString>> buttons; // name, value
};

QString unescapeHtml(QString text)
{
    return text.replace(QLatin1String("&quot;"), QLatin1String("\""))
        .replace(QLatin1String("&#39;"), QLatin1String("'"))
        .replace(QLatin1String("&lt;"), QLatin1String("<"))
        .replace(QLatin1String("&gt;"), QLatin1String(">"))
        .replace(QLatin1String("&amp;"), QLatin1String("&"));
}

QHash<QString, QString> attributesOf(const QString &tag)
{
    QHash<QString, QString> attributes;
    static const QRegularExpression attribute(QStringLiteral("([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\\s*=\\s*\"([^\"]*)\")?"));
    for (auto it = attribute.globalMatch(tag); it.hasNext();) {
        const auto match = it.next();
        attributes.insert(match.captured(1).toLower(), match.captured(2));
    }
    return attributes;
}

PageForm readForm(const QByteArray &html)
{
    PageForm form;
    const QString text = QString::fromUtf8(html);
    static const QRegularExpression formTag(QStringLiteral("<form\\b([^>]*)>(.*?)</form>"), QRegularExpression::DotMatchesEverythingOption);
    const auto match = formTag.match(text);
    if (!match.hasMatch())
        return form;
    form.action = attributesOf(match.captured(1)).value(QStringLiteral("action")).toUtf8();
    static const QRegularExpression input(QStringLiteral("<input\\b([^>]*)>"));
    for (auto it = input.globalMatch(match.captured(2)); it.hasNext();) {
        const auto attributes = attributesOf(it.next().captured(1));
        const QString type = attributes.value(QStringLiteral("type"), QStringLiteral("text")).toLower();
        const QString name = attributes.value(QStringLiteral("name"));
        const QString autocomplete = attributes.value(QStringLiteral("autocomplete"));
        if (type == QLatin1String("hidden"))
            form.hidden.append({name, unescapeHtml(attributes.value(QStringLiteral("value")))});
        else if (type == QLatin1String("password"))
            form.passwordName = name;
        else if (type == QLatin1String("email") || autocomplete.startsWith(QLatin1String("username")) || autocomplete.startsWith(QLatin1String("email")))
            form.identifierName = name;
    }
    static const QRegularExpression button(QStringLiteral("<button\\b([^>]*)>"));
    for (auto it = button.globalMatch(match.captured(2)); it.hasNext();) {
        const auto attributes = attributesOf(it.next().captured(1));
        form.buttons.append({attributes.value(QStringLiteral("name")), attributes.value(QStringLiteral("value"))});
    }
    return form;
}

} // namespace

void FormLoginBrowser::inspect(std::function<void(const app::PageShape &)> done)
{
    QTimer::singleShot(0, this, [this, done = std::move(done)] {
        const PageForm form = readForm(m_page);
        app::PageShape shape;
        shape.url = m_at;
        shape.identifierField = !form.identifierName.isEmpty();
        shape.passwordField = !form.passwordName.isEmpty();
        const bool credentials = shape.identifierField || shape.passwordField;
        for (const auto &[name, value] : form.buttons)
            shape.acceptButton = shape.acceptButton || (!credentials && value.compare(QLatin1String("accept"), Qt::CaseInsensitive) == 0);
        static const QRegularExpression alert(QStringLiteral("role=\"alert\">([^<]*)<"));
        shape.errorText = alert.match(QString::fromUtf8(m_page)).captured(1);
        shape.loaded = !m_page.trimmed().isEmpty();
        if (!form.action.isEmpty())
            shape.formAction = QStringLiteral("POST ") + m_at.resolved(QUrl(QString::fromUtf8(form.action))).path();
        done(shape);
    });
}

void FormLoginBrowser::submitLogin(const QString &login, const QString &password)
{
    QTimer::singleShot(0, this, [this, login, password] {
        const PageForm form = readForm(m_page);
        QList<QPair<QString, QString>> fields = form.hidden;
        if (!form.identifierName.isEmpty() && !login.isEmpty())
            fields.append({form.identifierName, login});
        if (!form.passwordName.isEmpty() && !password.isEmpty())
            fields.append({form.passwordName, password});
        const QUrl target = m_at.resolved(QUrl(QString::fromUtf8(form.action)));
        follow(m_browser->postForm(target.toString(QUrl::RemoveScheme | QUrl::RemoveAuthority | QUrl::FullyEncoded).toUtf8(), fields), target);
    });
}

void FormLoginBrowser::answerConsent(bool accept)
{
    QTimer::singleShot(0, this, [this, accept] {
        const PageForm form = readForm(m_page);
        QList<QPair<QString, QString>> fields = form.hidden;
        for (const auto &[name, value] : form.buttons) {
            if (value.compare(accept ? QLatin1String("accept") : QLatin1String("deny"), Qt::CaseInsensitive) == 0)
                fields.append({name, value});
        }
        const QUrl target = m_at.resolved(QUrl(QString::fromUtf8(form.action)));
        follow(m_browser->postForm(target.toString(QUrl::RemoveScheme | QUrl::RemoveAuthority | QUrl::FullyEncoded).toUtf8(), fields), target);
    });
}

void FormLoginBrowser::clearSession()
{
    if (m_browser)
        m_browser->clearCookies();
}

void FormLoginBrowser::follow(HttpReply reply, QUrl at)
{
    for (int hops = 0; hops < 10 && reply.status / 100 == 3; ++hops) {
        const QUrl location = at.resolved(QUrl(QString::fromUtf8(reply.header("location"))));
        if (m_session->isRedirect(location)) {
            // As the web view does: the redirect URI is never requested; the app gets the URL.
            m_session->handleRedirect(location);
            return;
        }
        at = location;
        reply = m_browser->get(location.toString(QUrl::RemoveScheme | QUrl::RemoveAuthority | QUrl::FullyEncoded).toUtf8());
    }
    m_page = reply.body;
    m_at = at;
    Q_EMIT pageLoaded(at, reply.status == 200);
}

} // namespace organizer::test
