#pragma once

#include <QByteArray>
#include <QHash>
#include <QString>

namespace organizer::authorization {

// HTML escaping for text and attribute values.
QString htmlEscape(const QString &text);

// Renders a page from resources/pages: {{name}} is replaced by the escaped value, {{{name}}} by the
// value as is (only for HTML this code built itself).
QByteArray renderPage(const QString &page, const QHash<QString, QString> &values);

// A static asset (CSS, SVG) by file name, empty when unknown.
QByteArray pageAsset(const QString &name);

} // namespace organizer::authorization
