#pragma once

#include <QByteArrayView>

namespace organizer {

// Equality without an early exit, for secrets (states, nonces, CSRF tokens, hashes, PKCE values):
// the time taken does not tell how much of a guess was right.
bool constantTimeEquals(QByteArrayView a, QByteArrayView b);

} // namespace organizer
