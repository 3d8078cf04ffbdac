#include "provideroptions.h"

namespace organizer::app {

namespace {

const QStringList kInlineOptions{QStringLiteral("client-id"), QStringLiteral("audience"), QStringLiteral("resource"), QStringLiteral("api-base"),
                                 QStringLiteral("redirect-uri")};

Expected<QUrl, QString> webUrl(const QCommandLineParser &parser, const QString &option)
{
    const QUrl url(parser.value(option), QUrl::StrictMode);
    if (!url.isValid() || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")) || url.host().isEmpty())
        return Unexpected<QString>(QStringLiteral("--%1 must be an absolute http(s) URL, not \"%2\"").arg(option, parser.value(option)));
    return url;
}

} // namespace

void ProviderOptions::addTo(QCommandLineParser &parser) const
{
    parser.addOptions({
        {QStringLiteral("profile"), QStringLiteral("Use this saved profile instead of the bundled server."), QStringLiteral("name")},
        {QStringLiteral("issuer"), QStringLiteral("Use the OpenID provider at this issuer URL (discovery is read from it)."), QStringLiteral("url")},
        {QStringLiteral("client-id"), QStringLiteral("With --issuer: the client ID registered at the provider."), QStringLiteral("id")},
        {QStringLiteral("audience"), QStringLiteral("With --issuer: the audience parameter to send (Auth0's API identifier)."), QStringLiteral("id")},
        {QStringLiteral("resource"), QStringLiteral("With --issuer: the RFC 8707 resource indicator to send."), QStringLiteral("uri")},
        {QStringLiteral("api-base"), QStringLiteral("With --issuer: where the contacts and calendar APIs are served."), QStringLiteral("url")},
        {QStringLiteral("redirect-uri"), QStringLiteral("With --issuer: the redirect URI registered for the client (default http://localhost:3000/callback)."),
         QStringLiteral("uri")},
    });
}

Expected<Profile, QString> ProviderOptions::resolve(const QCommandLineParser &parser, const ProfileStore &store) const
{
    const bool inlineProvider = parser.isSet(QStringLiteral("issuer"));
    if (inlineProvider && parser.isSet(QStringLiteral("profile")))
        return Unexpected<QString>(QStringLiteral("use either --profile or --issuer, not both"));
    if (!inlineProvider) {
        for (const QString &option : kInlineOptions) {
            if (parser.isSet(option))
                return Unexpected<QString>(QStringLiteral("--%1 needs --issuer (or save the provider as a profile and use --profile)").arg(option));
        }
    }
    if (parser.isSet(QStringLiteral("profile"))) {
        const QString name = parser.value(QStringLiteral("profile"));
        QStringList names;
        for (const Profile &candidate : store.load()) {
            if (candidate.name == name)
                return candidate;
            names << candidate.name;
        }
        return Unexpected<QString>(QStringLiteral("no profile named \"%1\" (saved profiles: %2)").arg(name, names.join(QLatin1String(", "))));
    }
    if (!inlineProvider)
        return Profile::localProfile();

    Profile profile;
    profile.name = QStringLiteral("command line");
    auto issuer = webUrl(parser, QStringLiteral("issuer"));
    if (!issuer)
        return Unexpected<QString>(issuer.error());
    profile.issuer = *issuer;
    profile.clientId = parser.value(QStringLiteral("client-id"));
    if (profile.clientId.isEmpty())
        return Unexpected<QString>(QStringLiteral("--issuer needs --client-id"));
    if (!parser.isSet(QStringLiteral("api-base")))
        return Unexpected<QString>(QStringLiteral("--issuer needs --api-base (where the contacts and calendar APIs are served)"));
    auto apiBase = webUrl(parser, QStringLiteral("api-base"));
    if (!apiBase)
        return Unexpected<QString>(apiBase.error());
    profile.apiBaseUrl = *apiBase;
    profile.audience = parser.value(QStringLiteral("audience"));
    profile.resource = parser.value(QStringLiteral("resource"));
    if (!profile.resource.isEmpty()) {
        const QUrl resource(profile.resource, QUrl::StrictMode);
        // RFC 8707 §2: an absolute URI without a fragment.
        if (!resource.isValid() || resource.isRelative() || resource.hasFragment())
            return Unexpected<QString>(QStringLiteral("--resource must be an absolute URI without a fragment (RFC 8707), not \"%1\"").arg(profile.resource));
    }
    if (parser.isSet(QStringLiteral("redirect-uri"))) {
        const QUrl redirect(parser.value(QStringLiteral("redirect-uri")), QUrl::StrictMode);
        if (!redirect.isValid() || redirect.isRelative() || redirect.hasFragment())
            return Unexpected<QString>(
                QStringLiteral("--redirect-uri must be an absolute URI without a fragment, not \"%1\"").arg(parser.value(QStringLiteral("redirect-uri"))));
        profile.redirectUri = redirect;
    }
    return profile;
}

} // namespace organizer::app
