#pragma once

#include <QObject>
#include <QTcpServer>
#include <QUrl>

namespace organizer::app {

// RFC 8252 §7.3: for a login in the system browser, the app listens on a loopback port it picked
// and receives the redirect there. Only 127.0.0.1 is bound, only the callback path is answered.
class LoopbackReceiver : public QObject
{
    Q_OBJECT

public:
    explicit LoopbackReceiver(QObject *parent = nullptr);

    bool listen(QString *error);
    // http://127.0.0.1:PORT/callback
    QUrl redirectUri() const;

Q_SIGNALS:
    void redirectReceived(const QUrl &url);

private:
    void serve(QTcpSocket *socket);

    QTcpServer m_server;
    bool m_received = false;
};

} // namespace organizer::app
