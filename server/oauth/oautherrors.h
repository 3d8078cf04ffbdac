#pragma once

#include "httpmessage.h"

#include <QString>

namespace organizer::oauth {

// RFC 6749 §5.2 / RFC 6750 §3 error bodies and challenges, written in one place so bodies, redirects
// and WWW-Authenticate headers always agree.

QJsonObject oauthErrorObject(const QString &error, const QString &description);
http::Response oauthError(int status, const QString &error, const QString &description);

// RFC 6750 §3: `error` empty means "no credentials were sent" and the challenge carries no error code.
struct BearerChallenge
{
    QString realm;
    QString error;
    QString description;
    QString scope; // for insufficient_scope: the scope the route needs
};
QByteArray formatChallenge(const BearerChallenge &challenge);
http::Response bearerError(int status, const BearerChallenge &challenge);

// A quoted-string value (RFC 9110 §5.6.4) safe for a header: quotes and backslashes escaped, control
// characters (CR, LF, …) and non-ASCII replaced, so nothing a client sends can split a header.
QByteArray quotedHeaderValue(const QString &value);

} // namespace organizer::oauth
