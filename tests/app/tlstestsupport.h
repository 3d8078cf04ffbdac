#pragma once

// For the app's TLS trust tests: local CAs made by the server's own code (organizer-server --tls) in
// scratch directories, and a tiny HTTPS server that presents the certificate chain it is given and
// answers every request with one HTML page, so the app's HTTP client and web view can be pointed at a
// server whose certificate comes from the bundled server's local CA, or from another CA.

#include "bundledservertrust.h"
#include "localcertificateauthority.h"

#include <QByteArray>
#include <QHostAddress>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslServer>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QUrl>

#include <stdexcept>

namespace organizer::test {

// One local CA with a server certificate for `names`, as organizer-server --tls keeps them in its data directory.
struct IssuedCa
{
    QTemporaryDir dir;
    QString caPath;
    QSslCertificate ca;
    QByteArray leafPem;
    QByteArray leafKeyPem;

    explicit IssuedCa(const QStringList &names = {QStringLiteral("localhost"), QStringLiteral("127.0.0.1"), QStringLiteral("::1")})
    {
        auto authority = tls::LocalCertificateAuthority::open(dir.path());
        if (!authority)
            throw std::runtime_error(authority.error().toStdString());
        caPath = authority->certificatePath();
        ca = QSslCertificate::fromData(authority->certificatePem(), QSsl::Pem).value(0);
        auto leaf = authority->serverCertificate(names);
        if (!leaf)
            throw std::runtime_error(leaf.error().toStdString());
        leafPem = leaf->certificatePem;
        leafKeyPem = leaf->privateKeyPem;
    }
    QList<QSslCertificate> leafChain() const { return QSslCertificate::fromData(leafPem, QSsl::Pem); }
    app::BundledServerCa trustedFor(const QUrl &server) const { return app::BundledServerCa{ca, caPath, app::bundledServerOrigins(server)}; }
};

class HttpsResponder
{
public:
    // `chainPem`: the server certificate first, then any others it sends; `keyPem`: its EC private key.
    HttpsResponder(const QByteArray &chainPem, const QByteArray &keyPem, const QByteArray &title = "served over TLS")
    {
        const QList<QSslCertificate> chain = QSslCertificate::fromData(chainPem, QSsl::Pem);
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setPeerVerifyMode(QSslSocket::VerifyNone); // no client certificates
        tls.setLocalCertificateChain(chain);
        tls.setPrivateKey(QSslKey(keyPem, QSsl::Ec, QSsl::Pem, QSsl::PrivateKey));
        m_server.setSslConfiguration(tls);
        const QByteArray page = "<!DOCTYPE html><html><head><title>" + title + "</title></head><body><h1>" + title + "</h1></body></html>";
        QObject::connect(&m_server, &QTcpServer::pendingConnectionAvailable, &m_server, [this, page] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
                QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket, page] {
                    m_received += socket->readAll();
                    if (!m_received.contains("\r\n\r\n"))
                        return;
                    m_received.clear();
                    ++m_requests;
                    socket->write("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nConnection: close\r\nContent-Length: "
                                  + QByteArray::number(page.size()) + "\r\n\r\n" + page);
                    socket->disconnectFromHost();
                });
            }
        });
        m_listening = m_server.listen(QHostAddress::LocalHost, 0);
    }

    bool listening() const { return m_listening; }
    quint16 port() const { return m_server.serverPort(); }
    QUrl url(const QString &host = QStringLiteral("127.0.0.1")) const { return QUrl(QStringLiteral("https://%1:%2/").arg(host).arg(port())); }
    int requests() const { return m_requests; }

private:
    QSslServer m_server;
    QByteArray m_received;
    int m_requests = 0;
    bool m_listening = false;
};

} // namespace organizer::test
