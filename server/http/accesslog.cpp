#include "accesslog.h"

#include <QFile>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <chrono>
#include <ctime>
#include <fcntl.h>
#include <unistd.h>

namespace organizer::http {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// A quoted field: a quote or a backslash gets a backslash before it; bytes outside printable ASCII
// become `escape` and two hex digits (\x as Apache writes them, \u00 in JSON, where header bytes are
// read as Latin-1).
void appendQuoted(QByteArray &out, QByteArrayView text, const char *escape)
{
    out += '"';
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20 || c > 0x7e) {
            out += escape;
            out += kHex[c >> 4];
            out += kHex[c & 15];
        } else {
            out += ch;
        }
    }
    out += '"';
}
void appendQuotedCombined(QByteArray &out, QByteArrayView text)
{
    appendQuoted(out, text, "\\x");
}
void appendJsonString(QByteArray &out, QByteArrayView text)
{
    appendQuoted(out, text, "\\u00");
}

QByteArray withoutQuery(QByteArrayView url)
{
    qsizetype end = url.size();
    for (qsizetype i = 0; i < url.size(); ++i) {
        if (url[i] == '?' || url[i] == '#') {
            end = i;
            break;
        }
    }
    return url.first(end).toByteArray();
}

std::tm utcTime(qint64 timeMs)
{
    const std::time_t seconds = std::time_t(timeMs / 1000);
    std::tm parts{};
    gmtime_r(&seconds, &parts); // UTC: no time zone file is read per line
    return parts;
}

void appendTwoDigits(QByteArray &out, int value)
{
    out += char('0' + value / 10);
    out += char('0' + value % 10);
}

} // namespace

std::unique_ptr<AccessLog> AccessLog::open(const QString &destination, Format format, QString *error)
{
    if (destination == QLatin1String("-"))
        return std::make_unique<AccessLog>(STDOUT_FILENO, format);
    if (destination == QLatin1String("stderr"))
        return std::make_unique<AccessLog>(STDERR_FILENO, format);
    const int fd = ::open(QFile::encodeName(destination).constData(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) {
        if (error)
            *error = QStringLiteral("cannot open the access log %1: %2").arg(destination, QString::fromLocal8Bit(std::strerror(errno)));
        return nullptr;
    }
    return std::make_unique<AccessLog>(fd, format, true);
}

AccessLog::AccessLog(int fd, Format format, bool ownsDescriptor) : m_fd(fd), m_ownsDescriptor(ownsDescriptor), m_format(format)
{
    m_queue.reserve(1024);
    m_thread = std::thread([this] { run(); });
}

AccessLog::~AccessLog()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_one();
    m_thread.join();
    if (m_ownsDescriptor)
        ::close(m_fd);
}

void AccessLog::record(AccessLogEntry entry)
{
    bool wake = false;
    {
        std::lock_guard lock(m_mutex);
        if (m_queue.size() >= kMaxQueued) {
            ++m_dropped;
            return;
        }
        m_queue.push_back(std::move(entry));
        ++m_recorded;
        // The writer wakes on its own every 100 ms; a full batch wakes it at once.
        wake = m_queue.size() == 4096;
    }
    if (wake)
        m_wake.notify_one();
}

void AccessLog::record(std::vector<AccessLogEntry> &&entries)
{
    bool wake = false;
    {
        std::lock_guard lock(m_mutex);
        for (AccessLogEntry &entry : entries) {
            if (m_queue.size() >= kMaxQueued) {
                ++m_dropped;
                continue;
            }
            m_queue.push_back(std::move(entry));
            ++m_recorded;
        }
        wake = m_queue.size() >= 4096;
    }
    if (wake)
        m_wake.notify_one();
}

void AccessLog::flush()
{
    std::unique_lock lock(m_mutex);
    const quint64 target = m_recorded;
    m_flushRequested = true;
    m_wake.notify_one();
    m_flushed.wait(lock, [&] { return m_written >= target; });
}

quint64 AccessLog::dropped() const
{
    std::lock_guard lock(m_mutex);
    return m_dropped;
}

void AccessLog::run()
{
    std::vector<AccessLogEntry> batch;
    batch.reserve(1024);
    QByteArray out;
    for (;;) {
        quint64 droppedNow = 0;
        bool stopping = false;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait_for(lock, std::chrono::milliseconds(100), [&] { return m_stopping || m_flushRequested || m_queue.size() >= 4096; });
            batch.swap(m_queue);
            m_flushRequested = false;
            droppedNow = m_dropped - m_droppedReported;
            m_droppedReported = m_dropped;
            stopping = m_stopping;
        }
        out.clear();
        for (const AccessLogEntry &entry : batch)
            if (m_format == Format::Json)
                out += formatJson(entry);
            else
                appendCombined(out, entry);
        if (droppedNow > 0) {
            out += m_format == Format::Json
                ? QByteArray("{\"dropped\":") + QByteArray::number(droppedNow) + "}\n"
                : QByteArray("# organizer-server: ") + QByteArray::number(droppedNow) + " access log lines dropped (the log could not keep up)\n";
        }
        if (!out.isEmpty())
            writeAll(out);
        {
            std::lock_guard lock(m_mutex);
            m_written += batch.size();
        }
        batch.clear();
        m_flushed.notify_all();
        if (stopping) {
            std::lock_guard lock(m_mutex);
            if (m_queue.empty())
                return;
        }
    }
}

void AccessLog::writeAll(const QByteArray &bytes)
{
    qsizetype done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(m_fd, bytes.constData() + done, std::size_t(bytes.size() - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; // nowhere to report it: the log is the reporting channel
        done += n;
    }
}

QByteArray AccessLog::formatCombined(const AccessLogEntry &entry)
{
    QByteArray out;
    appendCombined(out, entry);
    return out;
}

void AccessLog::appendCombined(QByteArray &out, const AccessLogEntry &entry)
{
    // host ident authuser [date] "request" status bytes "referer" "user-agent"
    // Written straight into the batch's buffer: no temporary per line, numbers without allocation.
    static constexpr const char *kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    out += entry.remoteAddress;
    out += " - - [";
    // Lines come in bursts within one second: the date is formatted once per second.
    thread_local qint64 cachedSecond = -1;
    thread_local QByteArray cachedDate;
    if (entry.timeMs / 1000 != cachedSecond) {
        cachedSecond = entry.timeMs / 1000;
        const std::tm t = utcTime(entry.timeMs);
        cachedDate.clear();
        appendTwoDigits(cachedDate, t.tm_mday);
        cachedDate += '/';
        cachedDate += kMonths[t.tm_mon];
        cachedDate += '/';
        cachedDate += QByteArray::number(t.tm_year + 1900);
        cachedDate += ':';
        appendTwoDigits(cachedDate, t.tm_hour);
        cachedDate += ':';
        appendTwoDigits(cachedDate, t.tm_min);
        cachedDate += ':';
        appendTwoDigits(cachedDate, t.tm_sec);
        cachedDate += " +0000] ";
    }
    out += cachedDate;
    if (entry.method.isEmpty()) {
        out += "\"-\""; // no request could be read (bad framing, a timeout), as Apache logs it
    } else {
        // The method is a token and the path printable ASCII (the parser saw to both); only a quote
        // or a backslash in the path needs escaping.
        out += '"';
        out += entry.method;
        out += ' ';
        if (entry.rawPath.contains('"') || entry.rawPath.contains('\\')) {
            QByteArray quoted;
            appendQuotedCombined(quoted, entry.rawPath);
            out += quoted.mid(1, quoted.size() - 2);
        } else {
            out += entry.rawPath;
        }
        out += entry.minorVersion == 0 ? " HTTP/1.0\"" : " HTTP/1.1\"";
    }
    char number[24];
    out += ' ';
    out.append(number, std::to_chars(number, number + sizeof number, entry.status).ptr - number);
    out += ' ';
    if (entry.bodyBytes > 0)
        out.append(number, std::to_chars(number, number + sizeof number, entry.bodyBytes).ptr - number);
    else
        out += '-';
    out += ' ';
    if (entry.referer.isEmpty())
        out += "\"-\"";
    else
        appendQuotedCombined(out, withoutQuery(entry.referer));
    out += ' ';
    if (entry.userAgent.isEmpty())
        out += "\"-\"";
    else
        appendQuotedCombined(out, QByteArrayView(entry.userAgent).first(std::min<qsizetype>(entry.userAgent.size(), 256)));
    out += '\n';
}

QByteArray AccessLog::formatJson(const AccessLogEntry &entry)
{
    QByteArray out;
    out.reserve(200 + entry.rawPath.size() + entry.userAgent.size() + entry.referer.size());
    const std::tm t = utcTime(entry.timeMs);
    out += "{\"time\":\"";
    out += QByteArray::number(t.tm_year + 1900);
    out += '-';
    appendTwoDigits(out, t.tm_mon + 1);
    out += '-';
    appendTwoDigits(out, t.tm_mday);
    out += 'T';
    appendTwoDigits(out, t.tm_hour);
    out += ':';
    appendTwoDigits(out, t.tm_min);
    out += ':';
    appendTwoDigits(out, t.tm_sec);
    out += '.';
    const int ms = int(entry.timeMs % 1000);
    out += char('0' + ms / 100);
    appendTwoDigits(out, ms % 100);
    out += "Z\",\"remote\":";
    appendJsonString(out, entry.remoteAddress);
    out += ",\"method\":";
    appendJsonString(out, entry.method);
    out += ",\"path\":";
    appendJsonString(out, entry.rawPath);
    out += entry.minorVersion == 0 ? ",\"protocol\":\"HTTP/1.0\"" : ",\"protocol\":\"HTTP/1.1\"";
    out += ",\"status\":";
    out += QByteArray::number(entry.status);
    out += ",\"bytes\":";
    out += QByteArray::number(entry.bodyBytes);
    out += ",\"duration_us\":";
    out += QByteArray::number(entry.durationUs);
    out += ",\"referer\":";
    appendJsonString(out, withoutQuery(entry.referer));
    out += ",\"user_agent\":";
    appendJsonString(out, entry.userAgent.left(256));
    out += "}\n";
    return out;
}

} // namespace organizer::http
