#pragma once

#include "expected.h"
#include "formencoding.h"
#include "oautherror.h"
#include "tenant.h"

#include <QUrl>

namespace organizer::authorization {

// A validated /authorize request (RFC 6749 §4.1.1/§4.2.1, OpenID Connect Core §3.1.2.1/§3.2.2.1).
struct AuthorizeRequest
{
    QString clientId;
    QUrl redirectUri;
    bool wantsCode = false;
    bool wantsAccessToken = false;
    bool wantsIdToken = false;
    QString responseType; // as sent, for error messages
    QString responseMode; // fragment, query or form_post (defaulted)
    QStringList scopes;
    QString audience;
    QString state;
    QString nonce;
    QString prompt; // "", none, login, consent
    qint64 maxAge = -1; // OpenID Connect Core §3.1.2.1 max_age in seconds; -1 when not sent
    QString codeChallenge;
    QString codeChallengeMethod;
};

// Why a request was refused. `redirectable` false means the client or redirect URI cannot be trusted:
// the error is shown on a page and never sent to the redirect URI.
struct AuthorizeError
{
    bool redirectable = true;
    oauth::OAuthError error;
    AuthorizeRequest partial; // what was read before the failure: where and how to redirect
};

// Runs the request's checks (authorizechecks.h) in their order, each with one specific error.
Expected<AuthorizeRequest, AuthorizeError> parseAuthorizeRequest(const FormData &query, const Tenant &tenant);

// The redirect carrying `parameters` back to the client, in the request's response mode
// (form_post is rendered elsewhere as an auto-submitting page); empty values are left out.
QUrl redirectWith(const AuthorizeRequest &request, const QList<QPair<QString, QString>> &parameters);

} // namespace organizer::authorization
