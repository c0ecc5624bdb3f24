/* tls.c -- certificate checks with OpenSSL (see tls.h). A throw-away
 * SSL_CTX does exactly what libwebsockets will do with the files
 * (SSL_CTX_use_certificate_chain_file, SSL_CTX_use_PrivateKey_file), plus
 * the match check lws leaves to the first handshake. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "tls.h"

/* OpenSSL's reason for the last failure, or fallback. */
static const char *reason(const char *fallback) {
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : fallback;
}

int tls_check(const char *cert, const char *key, int64_t *not_after, char *err, size_t errlen) {
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    int rc = -1;
    if (!ctx) { snprintf(err, errlen, "TLS: out of memory"); return -1; }
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        snprintf(err, errlen, "TLS: cannot use the certificate %s: %s", cert, reason("unreadable"));
    } else if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
            snprintf(err, errlen, "TLS: the key %s is not the key of the certificate %s", key, cert);
        else
            snprintf(err, errlen, "TLS: cannot use the key %s: %s", key, reason("unreadable"));
    } else if (SSL_CTX_check_private_key(ctx) != 1) {
        snprintf(err, errlen, "TLS: the key %s is not the key of the certificate %s", key, cert);
    } else {
        struct tm tm;
        const X509 *x = SSL_CTX_get0_certificate(ctx);
        memset(&tm, 0, sizeof tm);
        *not_after = x && ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1 ? (int64_t)timegm(&tm) : 0;
        rc = 0;
    }
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return rc;
}
