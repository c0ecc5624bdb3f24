/* auth.c -- tokens and keys (see auth.h). OpenSSL does the HMAC, the
 * randomness and the constant-time compare. */
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include "auth.h"

int auth_secret_new(uint8_t *secret) {
    return RAND_bytes(secret, AUTH_SECRET_LEN) == 1 ? 0 : -1;
}

static void sign(const uint8_t *secret, const char *event, int64_t device, char hex[33]) {
    char msg[128];
    int n = snprintf(msg, sizeof msg, "%s\n%lld", event, (long long)device);
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    HMAC(EVP_sha256(), secret, AUTH_SECRET_LEN, (const uint8_t *)msg, (size_t)n, mac, &maclen);
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        hex[2 * i] = digits[mac[i] >> 4];
        hex[2 * i + 1] = digits[mac[i] & 15];
    }
    hex[32] = 0;
}

int auth_token_make(const uint8_t *secret, const char *event, int64_t device, char *out, size_t outlen) {
    char hex[33];
    sign(secret, event, device, hex);
    int n = snprintf(out, outlen, "%lld.%s", (long long)device, hex);
    return (n < 0 || (size_t)n >= outlen) ? -1 : 0;
}

int64_t auth_token_check(const uint8_t *secret, const char *event, const char *tok, size_t len) {
    if (!tok || len < 34 || len > AUTH_TOKEN_MAX) return -1;
    int64_t dev = 0;
    size_t i = 0;
    for (; i < len && tok[i] != '.'; i++) {
        if (tok[i] < '0' || tok[i] > '9' || i >= 15) return -1;
        dev = dev * 10 + (tok[i] - '0');
    }
    if (i == 0 || i == len || dev < 1 || tok[0] == '0') return -1;
    if (len - i - 1 != 32) return -1;
    char hex[33];
    sign(secret, event, dev, hex);
    return CRYPTO_memcmp(hex, tok + i + 1, 32) == 0 ? dev : -1;
}

int auth_key_ok(const char *expected, const char *given, size_t givenlen) {
    size_t n = expected ? strlen(expected) : 0;
    if (n == 0 || !given || givenlen != n) return 0;
    return CRYPTO_memcmp(expected, given, n) == 0;
}
