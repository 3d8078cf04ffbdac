// `organizer qa` end to end: the real app binary, offscreen, against the real bundled server; the
// JUnit it writes is read back cell by cell. One run breaks a scope rule on purpose and must fail.

#include "serverprocess.h"
#include "testhttp.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSettings>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QXmlStreamReader>

#include <gtest/gtest.h>

using namespace organizer;
using namespace organizer::test;

namespace {

struct QaResult
{
    int exitCode = -1;
    QString out;
    QString err;
};

struct JUnit
{
    bool parsed = false;
    QString error;
    int tests = 0; // the root's count
    int failuresAttribute = 0;
    int testcases = 0; // counted
    QStringList failed; // "row/endpoint"
    QStringList skipped;
};

// A home of its own per run: the app's settings, the bundled server's data and keys.
class QaCommand : public ::testing::Test
{
protected:
    QTemporaryDir home;

    QString path(const QString &name) const { return QDir(home.path()).filePath(name); }
    QString dataDir() const { return path(QStringLiteral("data/organizer")); }

    QaResult run(const QStringList &arguments, const QString &serverArguments = {}, int timeoutMs = 120'000)
    {
        QProcess process;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("XDG_DATA_HOME"), path(QStringLiteral("data")));
        environment.insert(QStringLiteral("XDG_CONFIG_HOME"), path(QStringLiteral("config")));
        environment.insert(QStringLiteral("QTWEBENGINE_DISABLE_SANDBOX"), QStringLiteral("1"));
        environment.insert(QStringLiteral("ORGANIZER_SERVER_BINARY"), serverBinary());
        environment.remove(QStringLiteral("ORGANIZER_SERVER_ARGS"));
        if (!serverArguments.isEmpty())
            environment.insert(QStringLiteral("ORGANIZER_SERVER_ARGS"), serverArguments);
        process.setProcessEnvironment(environment);
        process.start(QStringLiteral(ORGANIZER_APP_BINARY), QStringList{QStringLiteral("qa")} + arguments);
        QaResult result;
        if (!process.waitForFinished(timeoutMs)) {
            process.kill();
            process.waitForFinished();
            result.err = QStringLiteral("organizer qa did not finish within %1 s").arg(timeoutMs / 1000);
            return result;
        }
        result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
        result.out = QString::fromUtf8(process.readAllStandardOutput());
        result.err = QString::fromUtf8(process.readAllStandardError());
        return result;
    }

    static JUnit readJUnit(const QString &file)
    {
        JUnit junit;
        QFile f(file);
        if (!f.open(QIODevice::ReadOnly)) {
            junit.error = f.errorString();
            return junit;
        }
        QXmlStreamReader xml(&f);
        QString suite, testcase;
        while (!xml.atEnd()) {
            if (xml.readNext() != QXmlStreamReader::StartElement)
                continue;
            const auto attributes = xml.attributes();
            if (xml.name() == QLatin1String("testsuites")) {
                junit.tests = attributes.value(QLatin1String("tests")).toInt();
                junit.failuresAttribute = attributes.value(QLatin1String("failures")).toInt();
            } else if (xml.name() == QLatin1String("testsuite")) {
                suite = attributes.value(QLatin1String("name")).toString();
            } else if (xml.name() == QLatin1String("testcase")) {
                ++junit.testcases;
                testcase = suite + QLatin1Char('/') + attributes.value(QLatin1String("name")).toString();
            } else if (xml.name() == QLatin1String("failure")) {
                junit.failed << testcase;
            } else if (xml.name() == QLatin1String("skipped")) {
                junit.skipped << testcase + QStringLiteral(": ") + attributes.value(QLatin1String("message")).toString();
            }
        }
        junit.parsed = !xml.hasError();
        junit.error = xml.errorString();
        return junit;
    }

    // Every record of a collection, read with a token the bundled key signs.
    QJsonArray records(ServerProcess &server, const QString &collection)
    {
        const CommandResult minted
            = runServerCommand({QStringLiteral("token"), QStringLiteral("--data-dir"), server.dataDir(), QStringLiteral("--sub"), QStringLiteral("test|reader"),
                                QStringLiteral("--scope"), QStringLiteral("read:contacts read:calendar")});
        EXPECT_EQ(minted.exitCode, 0) << minted.err.constData();
        HttpCall call;
        call.path = "/api/" + collection.toLatin1();
        call.headers = {{"Authorization", bearer(minted.out.trimmed())}};
        const HttpReply reply = sendHttp(server.port(), call);
        EXPECT_EQ(reply.status, 200) << reply.body.constData();
        return QJsonDocument::fromJson(reply.body).object().value(collection).toArray();
    }
};

} // namespace

TEST_F(QaCommand, DefaultPlanPassesWithOneTestcasePerCellAndLeavesTheDataAsFound)
{
    ASSERT_TRUE(home.isValid());
    const QaResult result = run({QStringLiteral("--junit"), path(QStringLiteral("qa.xml")), QStringLiteral("--html"), path(QStringLiteral("qa.html")),
                                 QStringLiteral("--markdown"), path(QStringLiteral("qa.md"))});
    ASSERT_EQ(result.exitCode, 0) << qPrintable(result.out) << qPrintable(result.err);
    EXPECT_TRUE(result.out.contains(QLatin1String("650 cells: 650 pass, 0 fail, 0 not run"))) << qPrintable(result.out);

    const JUnit junit = readJUnit(path(QStringLiteral("qa.xml")));
    ASSERT_TRUE(junit.parsed) << qPrintable(junit.error);
    // (4 people + 1 client) × 12 scope sets + 5 probes = 65 rows, × 10 endpoints.
    EXPECT_EQ(junit.testcases, 650);
    EXPECT_EQ(junit.tests, 650);
    EXPECT_EQ(junit.failuresAttribute, 0);
    EXPECT_TRUE(junit.failed.isEmpty()) << qPrintable(junit.failed.join(QLatin1Char('\n')));
    EXPECT_TRUE(junit.skipped.isEmpty()) << qPrintable(junit.skipped.join(QLatin1Char('\n')));

    QFile html(path(QStringLiteral("qa.html")));
    ASSERT_TRUE(html.open(QIODevice::ReadOnly));
    const QByteArray page = html.readAll();
    EXPECT_EQ(page.count("<svg"), 65) << "one timeline picture per row";
    EXPECT_EQ(page.count("class=\"c pass"), 650);
    EXPECT_FALSE(page.contains("access_token=eyJ")) << "a token reached the report";

    // The run made and removed its records: the seeded data is all that is left.
    ServerProcess server(dataDir());
    ASSERT_TRUE(server.start()) << qPrintable(server.errorText());
    const QJsonArray contacts = records(server, QStringLiteral("contacts"));
    const QJsonArray appointments = records(server, QStringLiteral("appointments"));
    QFile seedContacts(QStringLiteral(ORGANIZER_SOURCE_DIR "/resources/seed/contacts.json"));
    QFile seedAppointments(QStringLiteral(ORGANIZER_SOURCE_DIR "/resources/seed/appointments.json"));
    ASSERT_TRUE(seedContacts.open(QIODevice::ReadOnly) && seedAppointments.open(QIODevice::ReadOnly));
    EXPECT_EQ(contacts.size(), QJsonDocument::fromJson(seedContacts.readAll()).object().value(QLatin1String("contacts")).toArray().size());
    EXPECT_EQ(appointments.size(), QJsonDocument::fromJson(seedAppointments.readAll()).object().value(QLatin1String("appointments")).toArray().size());
    for (const QJsonValue &contact : contacts)
        EXPECT_NE(contact.toObject().value(QLatin1String("name")).toString(), QStringLiteral("QA Probe"));
}

TEST_F(QaCommand, TheCodeFlowGivesTheSameGrid)
{
    const QaResult result = run({QStringLiteral("--flow"), QStringLiteral("code"), QStringLiteral("--junit"), path(QStringLiteral("qa.xml"))});
    ASSERT_EQ(result.exitCode, 0) << qPrintable(result.out) << qPrintable(result.err);
    const JUnit junit = readJUnit(path(QStringLiteral("qa.xml")));
    EXPECT_EQ(junit.testcases, 650);
    EXPECT_TRUE(junit.failed.isEmpty()) << qPrintable(junit.failed.join(QLatin1Char('\n')));
}

TEST_F(QaCommand, AWrongScopeRuleOnTheServerIsReportedAsFailures)
{
    // The server is told to guard the appointment list with the contacts scope: a real defect.
    const QaResult result = run({QStringLiteral("--junit"), path(QStringLiteral("qa.xml")), QStringLiteral("--markdown"), path(QStringLiteral("qa.md"))},
                                QStringLiteral("--route-scope \"GET /api/appointments=read:contacts\""));
    EXPECT_EQ(result.exitCode, 1) << qPrintable(result.out) << qPrintable(result.err);
    EXPECT_TRUE(result.out.contains(QLatin1String("result: FAILED")));
    const JUnit junit = readJUnit(path(QStringLiteral("qa.xml")));
    ASSERT_TRUE(junit.parsed) << qPrintable(junit.error);
    EXPECT_EQ(junit.testcases, 650);
    // Exactly the rows where read:contacts and read:calendar are not granted together: six that
    // should have been let in and six that should have been kept out.
    EXPECT_EQ(junit.failed.size(), 12) << qPrintable(junit.failed.join(QLatin1Char('\n')));
    EXPECT_EQ(junit.failuresAttribute, 12);
    for (const QString &failure : junit.failed)
        EXPECT_TRUE(failure.endsWith(QLatin1String("/GET /api/appointments"))) << qPrintable(failure);
    EXPECT_TRUE(junit.failed.contains(QStringLiteral("bob@example.com · read:contacts/GET /api/appointments")));
    EXPECT_TRUE(junit.failed.contains(QStringLiteral("carol@example.com · read:calendar/GET /api/appointments")));
    QFile markdown(path(QStringLiteral("qa.md")));
    ASSERT_TRUE(markdown.open(QIODevice::ReadOnly));
    EXPECT_TRUE(markdown.readAll().contains("## Failures"));
}

TEST_F(QaCommand, AnInterruptCancelsRemovesTheRecordsAndStillWritesTheReports)
{
    QProcess process;
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("XDG_DATA_HOME"), path(QStringLiteral("data")));
    environment.insert(QStringLiteral("XDG_CONFIG_HOME"), path(QStringLiteral("config")));
    environment.insert(QStringLiteral("ORGANIZER_SERVER_BINARY"), serverBinary());
    environment.remove(QStringLiteral("ORGANIZER_SERVER_ARGS"));
    process.setProcessEnvironment(environment);
    process.start(QStringLiteral(ORGANIZER_APP_BINARY), {QStringLiteral("qa"), QStringLiteral("--junit"), path(QStringLiteral("qa.xml"))});
    QByteArray out;
    // Interrupt once the grid is under way (the first rows have been reported).
    while (out.count("\nok ") < 3 && process.waitForReadyRead(60'000))
        out += process.readAllStandardOutput();
    ASSERT_GE(out.count("\nok "), 3) << out.constData();
    process.terminate(); // SIGTERM, handled like Ctrl-C
    ASSERT_TRUE(process.waitForFinished(60'000));
    out += process.readAllStandardOutput();
    EXPECT_EQ(process.exitCode(), 130) << out.constData() << process.readAllStandardError().constData();
    EXPECT_TRUE(out.contains("result: cancelled")) << out.constData();
    const JUnit junit = readJUnit(path(QStringLiteral("qa.xml")));
    ASSERT_TRUE(junit.parsed) << qPrintable(junit.error);
    EXPECT_EQ(junit.testcases, 650);
    EXPECT_GT(junit.skipped.size(), 0);
    EXPECT_TRUE(junit.failed.isEmpty()) << qPrintable(junit.failed.join(QLatin1Char('\n')));
    // Nothing the run made is left behind.
    ServerProcess server(dataDir());
    ASSERT_TRUE(server.start()) << qPrintable(server.errorText());
    for (const QJsonValue &contact : records(server, QStringLiteral("contacts")))
        EXPECT_NE(contact.toObject().value(QLatin1String("name")).toString(), QStringLiteral("QA Probe"));
    for (const QJsonValue &appointment : records(server, QStringLiteral("appointments")))
        EXPECT_NE(appointment.toObject().value(QLatin1String("title")).toString(), QStringLiteral("QA probe"));
}

TEST_F(QaCommand, ABadPlanIsRefusedNamingTheField)
{
    QFile plan(path(QStringLiteral("plan.json")));
    ASSERT_TRUE(plan.open(QIODevice::WriteOnly));
    plan.write(
        R"({"endpoints": [{"method": "GET", "path": "/api/contacts", "scope": 7}], "users": [{"login": "alice@example.com", "password": "organizer"}]})");
    plan.close();
    const QaResult result = run({QStringLiteral("--plan"), plan.fileName()}, {}, 30'000);
    EXPECT_EQ(result.exitCode, 2);
    EXPECT_TRUE(result.err.contains(QLatin1String("endpoints[0].scope:"))) << qPrintable(result.err);
    const QaResult flow = run({QStringLiteral("--flow"), QStringLiteral("password")}, {}, 30'000);
    EXPECT_EQ(flow.exitCode, 2);
    EXPECT_TRUE(flow.err.contains(QLatin1String("--flow"))) << qPrintable(flow.err);
    // A typo is "cannot run" (2), never "a cell differs" (1).
    const QaResult typo = run({QStringLiteral("--junti"), path(QStringLiteral("qa.xml"))}, {}, 30'000);
    EXPECT_EQ(typo.exitCode, 2);
    EXPECT_TRUE(typo.err.contains(QLatin1String("junti"))) << qPrintable(typo.err);
    const QaResult stray = run({QStringLiteral("everything")}, {}, 30'000);
    EXPECT_EQ(stray.exitCode, 2);
    EXPECT_TRUE(stray.err.contains(QLatin1String("unexpected argument \"everything\""))) << qPrintable(stray.err);
    const QaResult help = run({QStringLiteral("--help")}, {}, 30'000);
    EXPECT_EQ(help.exitCode, 0);
    EXPECT_TRUE(help.out.contains(QLatin1String("--junit"))) << qPrintable(help.out);
    const QaResult profile = run({QStringLiteral("--profile"), QStringLiteral("Nowhere")}, {}, 30'000);
    EXPECT_EQ(profile.exitCode, 2);
    EXPECT_TRUE(profile.err.contains(QLatin1String("no profile named \"Nowhere\""))) << qPrintable(profile.err);
}

TEST_F(QaCommand, AnUnreachableIssuerIsOneClearErrorNotSixHundredFailures)
{
    QTcpServer closed;
    ASSERT_TRUE(closed.listen(QHostAddress::LocalHost));
    const quint16 port = closed.serverPort();
    closed.close(); // nothing listens there now
    {
        QSettings settings(path(QStringLiteral("config/Organizer/organizer.conf")), QSettings::IniFormat);
        settings.beginWriteArray(QStringLiteral("custom"));
        settings.setArrayIndex(0);
        settings.setValue(QStringLiteral("name"), QStringLiteral("Gone"));
        settings.setValue(QStringLiteral("issuer"), QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(port)));
        settings.endArray();
    }
    const QaResult result = run({QStringLiteral("--profile"), QStringLiteral("Gone"), QStringLiteral("--junit"), path(QStringLiteral("qa.xml"))}, {}, 60'000);
    EXPECT_EQ(result.exitCode, 2) << qPrintable(result.out) << qPrintable(result.err);
    EXPECT_TRUE(result.err.contains(QStringLiteral("cannot read the provider's configuration at http://127.0.0.1:%1/").arg(port))) << qPrintable(result.err);
    EXPECT_TRUE(result.out.contains(QLatin1String("result: not run"))) << qPrintable(result.out);
    const JUnit junit = readJUnit(path(QStringLiteral("qa.xml")));
    EXPECT_EQ(junit.testcases, 650);
    EXPECT_TRUE(junit.failed.isEmpty());
    EXPECT_EQ(junit.skipped.size(), 650);
}

TEST_F(QaCommand, RunsAgainstASavedProfileAndSaysWhatNeedsTheIssuersKey)
{
    // Another provider: here a separate organizer-server the app did not start and whose key it lacks.
    ServerProcess provider;
    ASSERT_TRUE(provider.start()) << qPrintable(provider.errorText());
    const qsizetype contactsBefore = records(provider, QStringLiteral("contacts")).size();
    {
        QSettings settings(path(QStringLiteral("config/Organizer/organizer.conf")), QSettings::IniFormat);
        settings.beginWriteArray(QStringLiteral("custom"));
        settings.setArrayIndex(0);
        settings.setValue(QStringLiteral("name"), QStringLiteral("Staging"));
        settings.setValue(QStringLiteral("issuer"), provider.url());
        settings.endArray();
    }
    QFile plan(path(QStringLiteral("plan.json")));
    ASSERT_TRUE(plan.open(QIODevice::WriteOnly));
    plan.write(R"({
      "endpoints": [
        {"method": "GET", "path": "/api/contacts", "scope": "read:contacts"},
        {"method": "POST", "path": "/api/contacts", "scope": "create:contacts", "body": {"name": "QA Probe", "email": "qa@example.com"}},
        {"method": "GET", "path": "/api/contacts/{id}", "scope": "read:contacts"},
        {"method": "DELETE", "path": "/api/contacts/{id}", "scope": "delete:contacts"}
      ],
      "users": [{"login": "bob@example.com", "password": "organizer"},
                {"login": "alice@example.com", "password": "organizer"},
                {"client_credentials": "organizer-cli", "secret": "organizer-cli-secret"}],
      "scope_sets": [["read:contacts"], ["read:contacts", "create:contacts", "delete:contacts"]]
    })");
    plan.close();
    const QaResult result = run({QStringLiteral("--profile"), QStringLiteral("Staging"), QStringLiteral("--plan"), plan.fileName(), QStringLiteral("--junit"),
                                 path(QStringLiteral("qa.xml"))});
    ASSERT_EQ(result.exitCode, 0) << qPrintable(result.out) << qPrintable(result.err);
    EXPECT_TRUE(result.out.contains(provider.url().toString())) << qPrintable(result.out);
    const JUnit junit = readJUnit(path(QStringLiteral("qa.xml")));
    // 3 users × 2 sets + 5 probes = 11 rows × 4 endpoints.
    EXPECT_EQ(junit.testcases, 44);
    EXPECT_TRUE(junit.failed.isEmpty()) << qPrintable(junit.failed.join(QLatin1Char('\n')));
    // The records come from a real login of alice (allowed every scope); minting expired,
    // other-audience and openid-less tokens takes the issuer's key: reported, not faked.
    EXPECT_EQ(junit.skipped.size(), 3 * 4) << qPrintable(junit.skipped.join(QLatin1Char('\n')));
    for (const QString &skip : junit.skipped)
        EXPECT_TRUE(skip.contains(QLatin1String("issuer's own key"))) << qPrintable(skip);
    EXPECT_EQ(records(provider, QStringLiteral("contacts")).size(), contactsBefore) << "the run left records behind on the other provider";
}
