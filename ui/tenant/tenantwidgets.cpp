#include "tenantwidgets.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QListWidget>
#include <QVBoxLayout>

namespace organizer::ui::tenant {

QTableWidget *table(const QStringList &headers, QWidget *parent)
{
    auto *widget = new QTableWidget(0, int(headers.size()), parent);
    widget->setHorizontalHeaderLabels(headers);
    widget->setSelectionBehavior(QAbstractItemView::SelectRows);
    widget->setSelectionMode(QAbstractItemView::SingleSelection);
    widget->setEditTriggers(QAbstractItemView::NoEditTriggers);
    widget->verticalHeader()->hide();
    widget->horizontalHeader()->setStretchLastSection(true);
    widget->setAlternatingRowColors(true);
    return widget;
}

void setRow(QTableWidget *widget, int row, const QStringList &cells, const QString &key)
{
    for (int column = 0; column < cells.size(); ++column) {
        auto *item = new QTableWidgetItem(cells.at(column));
        item->setData(Qt::UserRole, key);
        widget->setItem(row, column, item);
    }
}

QString selectedKey(const QTableWidget *widget)
{
    const auto items = widget->selectedItems();
    return items.isEmpty() ? QString() : items.first()->data(Qt::UserRole).toString();
}

void reselect(QTableWidget *widget, const QString &key)
{
    for (int row = 0; row < widget->rowCount(); ++row) {
        if (widget->item(row, 0) && widget->item(row, 0)->data(Qt::UserRole).toString() == key) {
            widget->selectRow(row);
            return;
        }
    }
}

QPushButton *button(const QString &label, QWidget *parent, std::function<void()> run)
{
    auto *widget = new QPushButton(label, parent);
    QObject::connect(widget, &QPushButton::clicked, parent, std::move(run));
    return widget;
}

QLabel *lead(const QString &html, QWidget *parent)
{
    auto *label = new QLabel(html, parent);
    label->setWordWrap(true);
    label->setTextFormat(Qt::RichText);
    return label;
}

std::optional<QStringList> pickScopes(QWidget *parent, const QString &title, const QString &api, const QStringList &scopes)
{
    QDialog dialog(parent);
    dialog.setWindowTitle(title);
    auto *layout = new QVBoxLayout(&dialog);
    layout->addWidget(new QLabel(QObject::tr("Scopes of %1").arg(api), &dialog));
    auto *list = new QListWidget(&dialog);
    for (const QString &scope : scopes) {
        auto *item = new QListWidgetItem(scope, list);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsUserCheckable);
        item->setCheckState(Qt::Unchecked);
    }
    layout->addWidget(list);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    layout->addWidget(buttons);
    if (dialog.exec() != QDialog::Accepted)
        return std::nullopt;
    QStringList picked;
    for (int i = 0; i < list->count(); ++i) {
        if (list->item(i)->checkState() == Qt::Checked)
            picked.append(list->item(i)->text());
    }
    return picked;
}

} // namespace organizer::ui::tenant
