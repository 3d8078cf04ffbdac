#pragma once

#include <QHash>

#include "accesstokenverifier.h"
#include "collectionapi.h"
#include "router.h"

#include <QLoggingCategory>

namespace organizer::server {

Q_DECLARE_LOGGING_CATEGORY(lcAuth)

// "Organizer Service": one resource server (audience `organize`) standing for two APIs. Every route
// is guarded by its own scope, read from the token's space-separated `scope` claim.
class ResourceServer
{
public:
    struct Settings
    {
        QString realm = QStringLiteral("organize");
        bool serveContacts = true;
        bool serveCalendar = true;
        QHash<QString, QString> scopeOverrides; // "GET /api/contacts/{id}" → scope (testing the QA grid)
    };

    ResourceServer(Settings settings, AccessTokenVerifier *verifier, RecordStore *store);

    void registerRoutes(http::Router &router);

    // RFC 6750 §2.1/§3.1: authenticates the request, checks `scope`, then runs `handler`.
    using Operation = std::function<http::Response(const http::Request &)>;
    http::Handler guarded(const QString &scope, Operation handler);

private:
    QString scopeFor(const QByteArray &method, const QString &path, const QString &scope) const;
    void addCollection(http::Router &router, const CollectionApi *api, const QStringList &basePaths);

    Settings m_settings;
    AccessTokenVerifier *m_verifier;
    CollectionApi m_contacts;
    CollectionApi m_appointments;
};

// Cross-origin access for browser clients (the tutorial's SPA on http://localhost:3000): preflights are
// answered before authentication, and responses to allowed origins carry the CORS headers.
class CorsPolicy
{
public:
    explicit CorsPolicy(QStringList allowedOrigins) : m_allowedOrigins(std::move(allowedOrigins)) {}
    void allow(const QStringList &origins)
    {
        m_allowedOrigins += origins;
        m_allowedOrigins.removeDuplicates();
    }

    bool isAllowed(const QByteArray &origin) const;
    http::Response preflight(const http::Request &request, const QByteArrayList &allowedMethods) const;
    void decorate(const QByteArray &origin, http::Response &response) const; // origin: the request's Origin header

private:
    QStringList m_allowedOrigins;
};

} // namespace organizer::server
