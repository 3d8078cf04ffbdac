#pragma once

// A cookie-keeping HTTP client that walks the hosted login the way a browser does: follow the
// /authorize redirect, fill in the login form, answer the consent page, stop at the client's redirect.

#include "testhttp.h"

#include <QHash>
#include <QUrl>
#include <QUrlQuery>

namespace organizer::test {

class TestBrowser
{
public:
    explicit TestBrowser(quint16 port) : m_port(port) {}

    HttpReply get(const QByteArray &pathAndQuery);
    HttpReply postForm(const QByteArray &path, const QList<QPair<QString, QString>> &fields);
    // A body sent exactly as given (e.g. bytes no form encoder would produce), with this browser's cookies.
    HttpReply postRaw(const QByteArray &path, const QByteArray &contentType, const QByteArray &body);

    // The value of a hidden input in an HTML page.
    static QString hiddenField(const QByteArray &html, const QString &name);

    struct Outcome
    {
        QUrl redirect; // where the server finally sent the browser (the client's redirect URI)
        HttpReply lastReply; // the last page or redirect seen
        bool sawConsent = false;
        QString failure; // what went wrong when there is no redirect
        QUrlQuery parameters() const; // fragment or query of the redirect
    };
    // Runs /authorize?query, logs in with `login`/`password` when asked, answers consent with `accept`.
    Outcome authorize(const QString &query, const QString &login, const QString &password, bool accept = true);

    void clearCookies() { m_cookies.clear(); }
    bool hasCookie(const QByteArray &name) const { return m_cookies.contains(name); }

private:
    void remember(const HttpReply &reply);
    QByteArray cookieHeader() const;

    quint16 m_port;
    QHash<QByteArray, QByteArray> m_cookies;
};

} // namespace organizer::test
