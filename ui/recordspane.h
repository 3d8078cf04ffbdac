#pragma once

#include "recordmodel.h"

#include <QWidget>

#include <optional>

class QPushButton;
class QTableView;

namespace organizer::ui {

// One API's records as a tab: a table and Refresh / Add… / Edit… / Delete, each button marked with
// the scope it needs. It only presents and asks: the window hands the intents to the app core.
class RecordsPane : public QWidget
{
    Q_OBJECT

public:
    explicit RecordsPane(const catalogue::ApiSpec &api, QWidget *parent = nullptr);

    const catalogue::ApiSpec &api() const { return m_model->api(); }
    void setRecords(const QJsonArray &records);
    // The login's granted scopes (nullopt: no login). A button whose scope is missing stays
    // clickable, to show the 403, and says so.
    void setGrantedScopes(const std::optional<QStringList> &granted);

Q_SIGNALS:
    void refreshRequested();
    void createRequested(const QJsonObject &record);
    void replaceRequested(qint64 id, const QJsonObject &record);
    void removeRequested(qint64 id);
    void message(const QString &text);

private:
    void add();
    void edit();
    void remove();
    QJsonObject selected();

    RecordModel *m_model;
    QTableView *m_table;
    QList<QPair<QPushButton *, QString>> m_scopedButtons; // button, scope it needs
};

} // namespace organizer::ui
