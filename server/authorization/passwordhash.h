#pragma once

#include "constanttime.h"

#include <QByteArray>
#include <QString>

namespace organizer::authorization {

// Passwords and client secrets are stored as PBKDF2-HMAC-SHA256 hashes (OWASP 2023: ≥ 600,000
// iterations), encoded "pbkdf2-sha256$<iterations>$<salt>$<hash>" with base64url parts.
inline constexpr int kPasswordIterations = 600'000;

QString hashPassword(const QString &password, int iterations = kPasswordIterations);

// Constant-time comparison of the derived key; false for a malformed encoding.
bool verifyPassword(const QString &password, const QString &encoded);

// Whether `encoded` is a hash this code can verify (used to validate tenant files).
bool isPasswordHash(const QString &encoded);

using jose::constantTimeEquals;

// Cryptographically random bytes, base64url-encoded (session ids, codes, CSRF tokens).
QByteArray randomToken(int bytes = 32);

} // namespace organizer::authorization
