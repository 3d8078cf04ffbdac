#include "recordspane.h"

#include "recorddialog.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QIcon>
#include <QMessageBox>
#include <QPushButton>
#include <QTableView>
#include <QVBoxLayout>

namespace organizer::ui {

RecordsPane::RecordsPane(const catalogue::ApiSpec &api, QWidget *parent) : QWidget(parent), m_model(new RecordModel(api, this)), m_table(new QTableView(this))
{
    auto *layout = new QVBoxLayout(this);
    auto *buttons = new QHBoxLayout;
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->verticalHeader()->hide();
    m_table->setAlternatingRowColors(true);
    struct Spec
    {
        QString label;
        QString icon;
        catalogue::Action action;
        QKeySequence key;
        std::function<void()> run;
    };
    const QList<Spec> specs{
        {tr("Refresh"), QStringLiteral("refresh"), catalogue::Action::Read, QKeySequence(), [this] { Q_EMIT refreshRequested(); }},
        {tr("Add…"), QStringLiteral("add"), catalogue::Action::Create, QKeySequence::New, [this] { add(); }},
        {tr("Edit…"), QStringLiteral("edit"), catalogue::Action::Update, QKeySequence(), [this] { edit(); }},
        {tr("Delete"), QStringLiteral("delete"), catalogue::Action::Delete, QKeySequence::Delete, [this] { remove(); }},
    };
    for (const Spec &spec : specs) {
        auto *button = new QPushButton(QIcon(QStringLiteral(":/organizer/icons/%1.svg").arg(spec.icon)), spec.label, this);
        if (!spec.key.isEmpty())
            button->setShortcut(spec.key);
        connect(button, &QPushButton::clicked, this, spec.run);
        buttons->addWidget(button);
        m_scopedButtons.append({button, api.scope(spec.action)});
    }
    buttons->addStretch(1);
    connect(m_table, &QTableView::doubleClicked, this, &RecordsPane::edit);
    layout->addLayout(buttons);
    layout->addWidget(m_table, 1);
    setGrantedScopes(std::nullopt);
}

void RecordsPane::setRecords(const QJsonArray &records)
{
    m_model->setRecords(records);
    m_table->resizeColumnsToContents();
}

void RecordsPane::setGrantedScopes(const std::optional<QStringList> &granted)
{
    for (const auto &[button, scope] : std::as_const(m_scopedButtons)) {
        const bool has = granted && granted->contains(scope);
        QString label = button->text().remove(QStringLiteral(" ✗"));
        button->setText(has || !granted ? label : label + QStringLiteral(" ✗"));
        button->setToolTip(has ? tr("Needs %1 (granted)").arg(scope)
                               : tr("This token lacks %1: the API will answer 403 insufficient_scope. Click anyway to see it.").arg(scope));
        button->setEnabled(granted.has_value());
    }
}

QJsonObject RecordsPane::selected()
{
    const QJsonObject record = m_model->record(m_table->currentIndex().row());
    if (record.isEmpty())
        Q_EMIT message(tr("Select a row first."));
    return record;
}

void RecordsPane::add()
{
    RecordDialog dialog(tr("Add %1").arg(api().singular), api(), {}, this);
    if (dialog.exec() == QDialog::Accepted)
        Q_EMIT createRequested(dialog.record());
}

void RecordsPane::edit()
{
    const QJsonObject record = selected();
    if (record.isEmpty())
        return;
    RecordDialog dialog(tr("Edit %1").arg(api().singular), api(), record, this);
    if (dialog.exec() == QDialog::Accepted)
        Q_EMIT replaceRequested(record.value(QLatin1String("id")).toInteger(), dialog.record());
}

void RecordsPane::remove()
{
    const QJsonObject record = selected();
    if (record.isEmpty())
        return;
    const QString name = api().fields.isEmpty() ? QString() : record.value(api().fields.first().name).toVariant().toString();
    if (QMessageBox::question(this, tr("Delete"), tr("Delete the %1 “%2”?").arg(api().singular, name)) != QMessageBox::Yes)
        return;
    Q_EMIT removeRequested(record.value(QLatin1String("id")).toInteger());
}

} // namespace organizer::ui
