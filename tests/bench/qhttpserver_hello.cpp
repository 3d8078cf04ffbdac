// The benchmark's baseline: the plainest QHttpServer 6.4 server there is, answering GET /healthz with
// a small JSON body, so scripts/bench can report organizer-server's HTTP layer as a ratio against it.
#include <QCoreApplication>
#include <QHttpServer>
#include <QHttpServerResponse>

#include <cstdio>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QHttpServer server;
    server.route(QStringLiteral("/healthz"),
                 [] { return QHttpServerResponse(QByteArrayLiteral("application/json"), QByteArrayLiteral("{\"status\":\"ok\"}")); });
    const quint16 port = server.listen(QHostAddress::LocalHost, 0);
    if (port == 0)
        return 1;
    std::printf("listening on http://127.0.0.1:%u/\n", unsigned(port));
    std::fflush(stdout);
    return app.exec();
}
