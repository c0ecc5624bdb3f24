/* tls.h -- checks of a TLS certificate and its key before the hub uses
 * them (OpenSSL, no network): at start, so a wrong path or a key that
 * belongs to another certificate stops the hub with a clear reason, and on
 * SIGHUP, so a renewal that went wrong leaves the working certificate in
 * place instead of breaking every new connection. libwebsockets loads the
 * files itself (net.c); this only looks at them. */
#ifndef CHORUS_TLS_H
#define CHORUS_TLS_H

#include <stddef.h>
#include <stdint.h>

/* Load cert (PEM, the certificate then its chain) and key (PEM) the way a
 * server would and check that the key is the certificate's. Returns 0 and
 * sets *not_after to the certificate's expiry (Unix seconds), or -1 with a
 * one-line reason in err. An expired certificate is not an error here (the
 * caller warns). */
int tls_check(const char *cert, const char *key, int64_t *not_after, char *err, size_t errlen);

#endif
