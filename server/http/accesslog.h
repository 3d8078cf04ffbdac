#pragma once

#include <QByteArray>
#include <QString>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace organizer::http {

// One answered request, as the access log records it. The path is logged without its query and the
// Referer without its query or fragment: both can carry codes and tokens (RFC 6749 §10.3, §10.12).
struct AccessLogEntry
{
    qint64 timeMs = 0; // wall clock, ms since the epoch, when the answer was ready
    QByteArray remoteAddress; // the client's address as text, made once per connection
    QByteArray method;
    QByteArray rawPath; // as sent, percent-encoded, no query
    int minorVersion = 1;
    int status = 0;
    qsizetype bodyBytes = 0;
    QByteArray referer;
    QByteArray userAgent;
    qint64 durationUs = 0;
};

// The access log: one line per request in the Combined Log Format (Apache's, which every log tool
// reads) or as JSON lines. Entries are queued by the serving threads and formatted and written by a
// thread of the log's own, so a slow disk or a full pipe never delays an answer; past a bound,
// entries are dropped and the count of dropped lines is written once the log catches up.
class AccessLog
{
public:
    enum class Format { Combined, Json };

    // `destination`: a file path (appended to), "-" for standard output or "stderr".
    static std::unique_ptr<AccessLog> open(const QString &destination, Format format, QString *error);
    // Writes to an already open descriptor (not closed by the log).
    AccessLog(int fd, Format format, bool ownsDescriptor = false);
    ~AccessLog(); // writes what is queued, then stops

    void record(AccessLogEntry entry);
    void record(std::vector<AccessLogEntry> &&entries); // a batch, under one lock
    // Blocks until every entry recorded so far has been written (tests, shutdown).
    void flush();

    Format format() const { return m_format; }
    quint64 dropped() const;

    static QByteArray formatCombined(const AccessLogEntry &entry);
    static void appendCombined(QByteArray &out, const AccessLogEntry &entry);
    static QByteArray formatJson(const AccessLogEntry &entry);
    static constexpr std::size_t kMaxQueued = 65536;

private:
    void run();
    void writeAll(const QByteArray &bytes);

    int m_fd;
    bool m_ownsDescriptor;
    Format m_format;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_flushed;
    std::vector<AccessLogEntry> m_queue;
    quint64 m_recorded = 0;
    quint64 m_written = 0;
    quint64 m_dropped = 0;
    quint64 m_droppedReported = 0;
    bool m_stopping = false;
    bool m_flushRequested = false;
    std::thread m_thread;
};

} // namespace organizer::http
