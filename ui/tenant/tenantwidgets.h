#pragma once

#include <QLabel>
#include <QPushButton>
#include <QStringList>
#include <QTableWidget>

#include <functional>
#include <optional>

// What every page of the Tenant tab builds with: tables keyed by a row's id, buttons that run a
// lambda, a lead paragraph, and the scope picker.
namespace organizer::ui::tenant {

QTableWidget *table(const QStringList &headers, QWidget *parent);
// Fills one row; every cell carries `key` so the selection survives a refill.
void setRow(QTableWidget *widget, int row, const QStringList &cells, const QString &key);
QString selectedKey(const QTableWidget *widget);
void reselect(QTableWidget *widget, const QString &key);
QPushButton *button(const QString &label, QWidget *parent, std::function<void()> run);
QLabel *lead(const QString &html, QWidget *parent);
// `scopes` as checkboxes in a dialog titled `title`; the ones picked, or nullopt when cancelled.
std::optional<QStringList> pickScopes(QWidget *parent, const QString &title, const QString &api, const QStringList &scopes);

} // namespace organizer::ui::tenant
