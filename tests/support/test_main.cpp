// GoogleTest needs a Qt application object for sockets, processes and event loops.
#include <QCoreApplication>
#include <QLoggingCategory>

#include <gtest/gtest.h>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    // Keep the test output readable; server processes keep their own logging.
    QLoggingCategory::setFilterRules(QStringLiteral("organizer.*.info=false\norganizer.*.debug=false"));
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
