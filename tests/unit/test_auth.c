/* Unit tests: auth (token sign/verify, tampering, role keys). */
#include "auth.h"
#include "t.h"

static void tokens(void) {
    uint8_t s1[AUTH_SECRET_LEN], s2[AUTH_SECRET_LEN];
    CHECK_EQ(auth_secret_new(s1), 0);
    CHECK_EQ(auth_secret_new(s2), 0);
    CHECK(memcmp(s1, s2, sizeof s1) != 0);
    char tok[AUTH_TOKEN_MAX + 1];
    CHECK_EQ(auth_token_make(s1, "DEMO", 42, tok, sizeof tok), 0);
    CHECK_EQ(auth_token_check(s1, "DEMO", tok, strlen(tok)), 42);
    CHECK_EQ(auth_token_check(s2, "DEMO", tok, strlen(tok)), -1);   /* another hub's secret */
    CHECK_EQ(auth_token_check(s1, "OTHER", tok, strlen(tok)), -1);  /* another event */
    char t2[AUTH_TOKEN_MAX + 1];
    strcpy(t2, tok);
    t2[0] = '4'; t2[1] = '3';                                        /* claim another device */
    CHECK_EQ(auth_token_check(s1, "DEMO", t2, strlen(t2)), -1);
    strcpy(t2, tok);
    t2[strlen(t2) - 1] ^= 1;
    CHECK_EQ(auth_token_check(s1, "DEMO", t2, strlen(t2)), -1);
    CHECK_EQ(auth_token_check(s1, "DEMO", tok, strlen(tok) - 1), -1);
    CHECK_EQ(auth_token_check(s1, "DEMO", "", 0), -1);
    CHECK_EQ(auth_token_check(s1, "DEMO", NULL, 0), -1);
    CHECK_EQ(auth_token_check(s1, "DEMO", "0.00000000000000000000000000000000", 34), -1);
    CHECK_EQ(auth_token_make(s1, "DEMO", 42, tok, 5), -1);
}

static void keys(void) {
    CHECK_EQ(auth_key_ok("secret", "secret", 6), 1);
    CHECK_EQ(auth_key_ok("secret", "secreT", 6), 0);
    CHECK_EQ(auth_key_ok("secret", "secre", 5), 0);
    CHECK_EQ(auth_key_ok("secret", NULL, 0), 0);
    CHECK_EQ(auth_key_ok("", "", 0), 0);
}

int main(void) {
    TEST(tokens);
    TEST(keys);
    return T_DONE();
}
