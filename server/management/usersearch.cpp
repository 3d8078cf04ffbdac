#include "usersearch.h"

#include <QList>
#include <QRegularExpression>
#include <QScopeGuard>

#include <algorithm>

namespace organizer::management {

namespace {

using authorization::User;

struct Token
{
    enum Kind { Open, Close, And, Or, Term } kind = Term;
    QString field = {};
    QString value = {};
    bool quoted = false;
};

const QStringList kTextFields{QStringLiteral("email"), QStringLiteral("name"), QStringLiteral("nickname"), QStringLiteral("given_name"),
                              QStringLiteral("family_name")};
const QStringList kFields
    = kTextFields + QStringList{QStringLiteral("email.domain"), QStringLiteral("user_id"), QStringLiteral("blocked"), QStringLiteral("email_verified")};

Expected<QList<Token>, QString> tokenize(const QString &query)
{
    QList<Token> tokens;
    qsizetype i = 0;
    const qsizetype n = query.size();
    while (i < n) {
        const QChar c = query.at(i);
        if (c.isSpace()) {
            ++i;
            continue;
        }
        if (c == QLatin1Char('(') || c == QLatin1Char(')')) {
            tokens.append(Token{c == QLatin1Char('(') ? Token::Open : Token::Close});
            ++i;
            continue;
        }
        // A word: an operator, or field:value with the value quoted or up to a space or ')'.
        qsizetype end = i;
        while (end < n && !query.at(end).isSpace() && query.at(end) != QLatin1Char(':') && query.at(end) != QLatin1Char('(')
               && query.at(end) != QLatin1Char(')'))
            ++end;
        const QString word = query.mid(i, end - i);
        if (end >= n || query.at(end) != QLatin1Char(':')) {
            if (word == QLatin1String("AND") || word == QLatin1String("&&"))
                tokens.append(Token{Token::And});
            else if (word == QLatin1String("OR") || word == QLatin1String("||"))
                tokens.append(Token{Token::Or});
            else if (word == QLatin1String("NOT") || word.startsWith(QLatin1Char('-')) || word.startsWith(QLatin1Char('!')))
                return Unexpected<QString>(QStringLiteral("NOT is not supported"));
            else
                return Unexpected<QString>(QStringLiteral("\"%1\" has no field: search a field, as in email:\"%1\"").arg(word.left(60)));
            i = end;
            continue;
        }
        Token term;
        term.field = word.startsWith(QLatin1Char('+')) ? word.mid(1) : word;
        if (!kFields.contains(term.field))
            return Unexpected<QString>(
                QStringLiteral("the field \"%1\" cannot be searched here (only %2)").arg(term.field.left(60), kFields.join(QStringLiteral(", "))));
        i = end + 1;
        if (i < n && query.at(i) == QLatin1Char('"')) {
            term.quoted = true;
            ++i;
            bool closed = false;
            while (i < n) {
                const QChar d = query.at(i++);
                if (d == QLatin1Char('\\') && i < n) {
                    term.value += query.at(i++);
                } else if (d == QLatin1Char('"')) {
                    closed = true;
                    break;
                } else {
                    term.value += d;
                }
            }
            if (!closed)
                return Unexpected<QString>(QStringLiteral("a quote is not closed"));
        } else {
            while (i < n && !query.at(i).isSpace() && query.at(i) != QLatin1Char(')')) {
                const QChar d = query.at(i++);
                if (d == QLatin1Char('\\') && i < n) {
                    term.value += query.at(i++);
                    continue;
                }
                // Lucene's wildcards, fuzzy, boost and range syntax: only a trailing * is served.
                if (d == QLatin1Char('?') || d == QLatin1Char('~') || d == QLatin1Char('^') || d == QLatin1Char('[') || d == QLatin1Char('{')
                    || d == QLatin1Char('(') || d == QLatin1Char('"'))
                    return Unexpected<QString>(QStringLiteral("\"%1\" is not supported in a value (only a trailing *)").arg(d));
                if (d == QLatin1Char('*') && i < n && !query.at(i).isSpace() && query.at(i) != QLatin1Char(')'))
                    return Unexpected<QString>(QStringLiteral("a wildcard may only end a value"));
                term.value += d;
            }
        }
        if (term.value.isEmpty() || term.value == QLatin1String("*"))
            return Unexpected<QString>(QStringLiteral("%1 has no value").arg(term.field));
        tokens.append(term);
    }
    if (tokens.isEmpty())
        return Unexpected<QString>(QStringLiteral("the query is empty"));
    return tokens;
}

QString folded(const QString &text)
{
    return authorization::normalizedLogin(text);
}

QString textOf(const User &user, const QString &field)
{
    if (field == QLatin1String("email"))
        return user.email;
    if (field == QLatin1String("name"))
        return user.name;
    if (field == QLatin1String("nickname"))
        return user.nickname;
    return user.auth0Profile.value(field).toString(); // given_name, family_name
}

Expected<UserPredicate, QString> termPredicate(const Token &term)
{
    const bool prefix = !term.quoted && term.value.endsWith(QLatin1Char('*'));
    const QString wanted = prefix ? term.value.chopped(1) : term.value;
    if (term.field == QLatin1String("blocked") || term.field == QLatin1String("email_verified")) {
        if (wanted != QLatin1String("true") && wanted != QLatin1String("false"))
            return Unexpected<QString>(QStringLiteral("%1 is true or false").arg(term.field));
        const bool value = wanted == QLatin1String("true");
        if (term.field == QLatin1String("blocked"))
            return UserPredicate([value](const User &user) { return user.blocked == value; });
        return UserPredicate([value](const User &user) { return user.emailVerified == value; });
    }
    if (term.field == QLatin1String("user_id")) {
        return UserPredicate([wanted, prefix](const User &user) { return prefix ? user.subject().startsWith(wanted) : user.subject() == wanted; });
    }
    if (term.field == QLatin1String("email.domain")) {
        const QString domain = folded(wanted);
        return UserPredicate([domain, prefix](const User &user) {
            const QString own = folded(user.email.section(QLatin1Char('@'), -1));
            return prefix ? own.startsWith(domain) : own == domain;
        });
    }
    // The normalized text fields: case-insensitive; an unquoted word of a name matches one of its words, as a
    // Lucene term of a tokenized field does.
    const QString field = term.field;
    const QString value = folded(wanted);
    const bool wordsToo = !term.quoted && field != QLatin1String("email");
    return UserPredicate([field, value, prefix, wordsToo](const User &user) {
        const QString text = folded(textOf(user, field));
        const auto matches = [&](const QString &candidate) { return prefix ? candidate.startsWith(value) : candidate == value; };
        if (matches(text))
            return true;
        if (!wordsToo)
            return false;
        static const QRegularExpression spaces(QStringLiteral("\\s+"));
        const QStringList words = text.split(spaces, Qt::SkipEmptyParts);
        return std::any_of(words.begin(), words.end(), matches);
    });
}

class Parser
{
public:
    explicit Parser(QList<Token> tokens) : m_tokens(std::move(tokens)) {}

    Expected<UserPredicate, QString> parse()
    {
        auto whole = disjunction();
        if (!whole)
            return whole;
        if (m_at < m_tokens.size())
            return Unexpected<QString>(m_tokens.at(m_at).kind == Token::Close ? QStringLiteral("a ')' has no '('")
                                                                              : QStringLiteral("join terms with AND or OR"));
        return whole;
    }

private:
    bool next(Token::Kind kind)
    {
        if (m_at < m_tokens.size() && m_tokens.at(m_at).kind == kind) {
            ++m_at;
            return true;
        }
        return false;
    }

    Expected<UserPredicate, QString> disjunction()
    {
        auto left = conjunction();
        while (left && next(Token::Or)) {
            auto right = conjunction();
            if (!right)
                return right;
            left = UserPredicate([a = *left, b = *right](const User &user) { return a(user) || b(user); });
        }
        return left;
    }

    Expected<UserPredicate, QString> conjunction()
    {
        auto left = primary();
        while (left && next(Token::And)) {
            auto right = primary();
            if (!right)
                return right;
            left = UserPredicate([a = *left, b = *right](const User &user) { return a(user) && b(user); });
        }
        return left;
    }

    Expected<UserPredicate, QString> primary()
    {
        if (++m_depth > 32)
            return Unexpected<QString>(QStringLiteral("the query nests too deeply"));
        const auto leave = qScopeGuard([this] { --m_depth; });
        if (m_at >= m_tokens.size())
            return Unexpected<QString>(QStringLiteral("the query ends where a term was expected"));
        if (next(Token::Open)) {
            auto inner = disjunction();
            if (!inner)
                return inner;
            if (!next(Token::Close))
                return Unexpected<QString>(QStringLiteral("a '(' is not closed"));
            return inner;
        }
        const Token &token = m_tokens.at(m_at);
        if (token.kind != Token::Term)
            return Unexpected<QString>(QStringLiteral("a term was expected where an operator or ')' is"));
        ++m_at;
        return termPredicate(token);
    }

    QList<Token> m_tokens;
    qsizetype m_at = 0;
    int m_depth = 0;
};

} // namespace

Expected<UserPredicate, QString> parseUserQuery(const QString &query)
{
    if (query.size() > 2000)
        return Unexpected<QString>(QStringLiteral("the query is longer than 2000 characters"));
    auto tokens = tokenize(query);
    if (!tokens)
        return Unexpected<QString>(tokens.error());
    return Parser(std::move(tokens).value()).parse();
}

} // namespace organizer::management
