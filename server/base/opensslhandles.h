#pragma once

// Owning handles for the OpenSSL objects the TLS code, the local CA and the app's certificate checks
// hold, and the text of OpenSSL's last error. Header-only, so that Organizer::Base itself does not
// link OpenSSL: only code that already does includes it.

#include <QString>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace organizer::openssl {

template <typename T, auto Free>
struct Deleter
{
    void operator()(T *object) const { Free(object); }
};

using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;

// The thread's last OpenSSL error as text ("error:0480006C:PEM routines::no start line"), and the
// queue cleared so the next failure is not mistaken for this one.
inline QString takeLastError()
{
    const unsigned long code = ERR_peek_last_error();
    ERR_clear_error();
    if (code == 0)
        return QStringLiteral("unknown OpenSSL error");
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return QString::fromLatin1(text);
}

} // namespace organizer::openssl
