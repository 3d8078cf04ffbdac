#pragma once

#include <QObject>
#include <QStringList>

#include <functional>

namespace organizer::qa {

// Tokens the real flows cannot produce on demand: an expired one, one for another audience, and the
// run's own all-scopes token that creates and removes the records the grid works on.
struct MintRequest
{
    QString subject;
    QStringList scopes;
    QString audience;
    bool expired = false;
};

class TokenSource
{
public:
    virtual ~TokenSource() = default;
    using Done = std::function<void(const QByteArray &token, const QString &error)>;
    virtual void mint(const MintRequest &request, Done done) = 0;
};

// The bundled server's `organizer-server token` on the data directory it runs on: the token is
// signed by the very key the server trusts, so only the defect a probe stands for can fail it.
class LocalTokenMinter : public QObject, public TokenSource
{
    Q_OBJECT

public:
    LocalTokenMinter(QString serverBinary, QString dataDir, QObject *parent = nullptr);
    void mint(const MintRequest &request, Done done) override;
    void setDataDir(const QString &dataDir) { m_dataDir = dataDir; }

private:
    QString m_serverBinary;
    QString m_dataDir;
};

} // namespace organizer::qa
