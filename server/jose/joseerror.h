#pragma once

#include "expected.h"

#include <QString>

namespace organizer::jose {

// Each value names one precise reason a token, key or signature was refused; the description
// becomes the RFC 6750 error_description, so it never contains the token itself.
enum class ErrorCode {
    MalformedToken,
    TokenTooLarge,
    UnsupportedAlgorithm,
    UnsupportedCritical,
    UnsupportedType,
    MissingKeyId,
    UnknownKeyId,
    AmbiguousKey,
    BadSignature,
    Expired,
    NotYetValid,
    IssuerMismatch,
    AudienceMismatch,
    MissingClaim,
    InvalidClaim,
    InvalidKey,
    KeyTooSmall,
    CryptoFailure,
    Revoked,
    StorageFailure,
    DecryptionFailed, // a sealed secret failed authentication: damaged, altered or moved
    KeyMismatch, // a secret sealed under another key-encryption key
    KeyExists, // a file that must not be replaced is there already
};

struct Error
{
    ErrorCode code;
    QString description;
};

template <typename T>
using Result = Expected<T, Error>;

inline Unexpected<Error> fail(ErrorCode code, QString description)
{
    return Unexpected<Error>(Error{code, std::move(description)});
}

} // namespace organizer::jose
