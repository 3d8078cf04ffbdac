// Without libFuzzer (the normal gcc build), each fuzz target is a regression test: it runs every seed
// and every kept crash input given on the command line or found in the given directories.
#include <QCoreApplication>
#include <QDirIterator>
#include <QFile>

#include <cstdint>
#include <cstdio>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    int inputs = 0;
    for (const QString &argument : QCoreApplication::arguments().mid(1)) {
        QDirIterator it(argument, QDir::Files, QDirIterator::Subdirectories);
        QStringList files;
        if (QFileInfo(argument).isFile())
            files.append(argument);
        while (it.hasNext())
            files.append(it.next());
        for (const QString &path : files) {
            QFile file(path);
            if (!file.open(QIODevice::ReadOnly))
                continue;
            const QByteArray data = file.readAll();
            LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(data.constData()), size_t(data.size()));
            ++inputs;
        }
    }
    std::printf("replayed %d inputs without a crash\n", inputs);
    return inputs > 0 ? 0 : 1;
}
