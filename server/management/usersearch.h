#pragma once

#include "expected.h"
#include "tenant.h"

#include <QString>

#include <functional>

namespace organizer::management {

// The part of Auth0's user search (search_engine=v3, Lucene syntax) that tools use to find users of a
// database connection: field:value terms joined by AND / OR (AND binds tighter), with parentheses.
//   email:"a@b.c" or email:a@b.c    the whole field, case-insensitively (so are name, nickname, given_name,
//                                   family_name; a bare word of a name also matches one word of it)
//   email:alice*                    a prefix (a trailing * only; Auth0 refuses leading ones on most fields)
//   user_id:"auth0|x"               exactly
//   blocked:true, email_verified:false
// Anything else (NOT, ranges, a term without a field, metadata fields, fuzzy or boosted terms) is refused
// with the reason, rather than answered with a list that is not what was asked for.
using UserPredicate = std::function<bool(const authorization::User &user)>;
Expected<UserPredicate, QString> parseUserQuery(const QString &query);

} // namespace organizer::management
