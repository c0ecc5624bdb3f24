/* auth.h -- audience device tokens and role keys.
 *
 * A token is "<device>.<32 hex chars>": the device id and the first 128 bits
 * of HMAC-SHA256(secret, "<event code>\n<device>"). The 32-byte secret is
 * made once per event database (store.c keeps it), so tokens survive hub
 * restarts and a token signed by another hub or for another event never maps
 * to a device here. */
#ifndef CHORUS_AUTH_H
#define CHORUS_AUTH_H

#include <stddef.h>
#include <stdint.h>

#define AUTH_SECRET_LEN 32
#define AUTH_TOKEN_MAX  64

/* Fill secret with AUTH_SECRET_LEN random bytes. Returns 0, -1 on failure. */
int auth_secret_new(uint8_t *secret);

/* Write the token for device into out (NUL-terminated). Returns 0, or -1
 * when out is too small. */
int auth_token_make(const uint8_t *secret, const char *event, int64_t device,
                    char *out, size_t outlen);

/* Check a token (len bytes, not NUL-terminated). Returns the device id it
 * names (>= 1) when the signature is ours, or -1. Constant time in the
 * signature comparison. */
int64_t auth_token_check(const uint8_t *secret, const char *event, const char *tok, size_t len);

/* Compare a presented role key with the expected one without leaking where
 * they differ. Returns 1 when equal (and expected is non-empty), else 0. */
int auth_key_ok(const char *expected, const char *given, size_t givenlen);

#endif
