/* Unit tests: chant normalization and the 30-second top-K window, checked
 * against a dumb recount. */
#include <stdlib.h>
#include "chant.h"
#include "t.h"

static int norm(const char *in, char *disp, char *key) { return chant_normalize(in, strlen(in), disp, key); }

static void normalization(void) {
    char d[CHANT_MAX_BYTES + 1], k[CHANT_KEY_MAX], d2[CHANT_MAX_BYTES + 1], k2[CHANT_KEY_MAX];
    CHECK_EQ(norm("  Let's \t  GO \n", d, k), 0);
    CHECK_STR(d, "Let's GO");
    CHECK_STR(k, "let's go");
    CHECK_EQ(norm("ＬＥＴ'Ｓ ＧＯ", d2, k2), 0);
    CHECK_STR(k2, k);
    CHECK_EQ(norm("Straße", d, k), 0);
    CHECK_STR(k, "strasse");
    CHECK_EQ(norm("e\xcc\x81", d, k), 0);          /* e + combining acute -> NFC é */
    CHECK_STR(d, "\xc3\xa9");
    CHECK_EQ(norm("加油 加油", d, k), 0);
    CHECK_STR(d, "加油 加油");
    CHECK_EQ(norm("   ", d, k), CHANT_EMPTY);
    CHECK_EQ(norm("", d, k), CHANT_EMPTY);
    CHECK_EQ(norm("bell\x07", d, k), CHANT_BAD_TEXT);
    CHECK_EQ(norm("\xff\xfe", d, k), CHANT_BAD_TEXT);
    char s[100];
    memset(s, 'a', 64); s[64] = 0;
    CHECK_EQ(norm(s, d, k), 0);
    memset(s, 'a', 65); s[65] = 0;
    CHECK_EQ(norm(s, d, k), CHANT_TOO_LONG);
    char padded[100] = "   ";
    memset(padded + 3, 'b', 64); strcpy(padded + 67, "    ");
    CHECK_EQ(norm(padded, d, k), 0);
}

/* The limit is 64 characters as a reader counts them, in every script; the
 * phone's counter (web/src/lib/chars.js) counts the same texts the same. */
static void limit_in_characters(void) {
    char d[CHANT_MAX_BYTES + 1], k[CHANT_KEY_MAX], s[600];
    s[0] = 0;
    for (int i = 0; i < 64; i++) strcat(s, "\xe5\x8a\xa0");          /* 加 x64: 192 bytes */
    CHECK_EQ(norm(s, d, k), 0);
    CHECK_EQ(chant_chars(d, strlen(d)), 64);
    strcat(s, "\xe5\x8a\xa0");                                      /* 65 */
    CHECK_EQ(norm(s, d, k), CHANT_TOO_LONG);
    s[0] = 0;
    for (int i = 0; i < 15; i++) strcat(s, "Ayo ");                  /* Indonesian, 60 */
    strcat(s, "Ayo!");
    CHECK_EQ(norm(s, d, k), 0);
    CHECK_EQ(chant_chars(d, strlen(d)), 64);
    CHECK_EQ(chant_chars("e\xcc\x81", 3), 1);                       /* e + combining acute */
    CHECK_EQ(chant_chars("\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", 8), 1); /* thumbs up, skin tone */
    CHECK_EQ(chant_chars("\xf0\x9f\x87\xae\xf0\x9f\x87\xa9", 8), 1); /* flag ID */
    CHECK_EQ(chant_chars("\xf0\x9f\x87\xae\xf0\x9f\x87\xa9\xf0\x9f\x87\xae", 12), 2); /* flag + lone RI */
    CHECK_EQ(chant_chars("\xe2\x80\x8d\xf0\x9f\x8e\xb8", 7), 2);   /* ZWJ alone, then an emoji */
    CHECK_EQ(chant_chars("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7", 18), 1);
    s[0] = 0;
    for (int i = 0; i < 64; i++) strcat(s, "\xf0\x9f\x8e\xb8");      /* 64 guitars: 256 bytes */
    CHECK_EQ(norm(s, d, k), 0);
}

static void window_expires(void) {
    struct chant_top *t = chant_top_new(16);
    struct chant_entry top[5];
    chant_add(t, "a", "A", 100);
    chant_add(t, "a", "A", 100);
    chant_add(t, "b", "B", 110);
    CHECK_EQ(chant_top_get(t, top, 5), 2);
    CHECK_STR(top[0].text, "A");
    CHECK_EQ(top[0].count, 2);
    chant_advance(t, 129);
    CHECK_EQ(chant_top_get(t, top, 5), 2);
    chant_advance(t, 130);                       /* second 100 leaves the window */
    CHECK_EQ(chant_top_get(t, top, 5), 1);
    CHECK_STR(top[0].text, "B");
    chant_advance(t, 100000);                    /* a long jump empties it */
    CHECK_EQ(chant_top_get(t, top, 5), 0);
    chant_top_free(t);
}

static void full_table_drops_new_texts(void) {
    struct chant_top *t = chant_top_new(4);
    char key[16];
    for (int i = 0; i < 6; i++) {
        snprintf(key, sizeof key, "k%d", i);
        int r = chant_add(t, key, key, 5);
        CHECK_EQ(r, i < 4 ? 0 : -1);
    }
    CHECK_EQ(chant_dropped(t), 2);
    CHECK_EQ(chant_add(t, "k1", "k1", 5), 0);   /* known texts still count */
    chant_advance(t, 40);                        /* all expire: room again */
    CHECK_EQ(chant_add(t, "k5", "k5", 40), 0);
    chant_top_free(t);
}

static void matches_recount(void) {
    /* Random chants over 200 s; the window must equal a recount of the last 30 s. */
    struct chant_top *t = chant_top_new(64);
    enum { N = 5000 };
    static int sec_of[N], key_of[N];
    uint32_t seed = 7;
    int64_t sec = 1000;
    for (int i = 0; i < N; i++) {
        seed = seed * 1664525u + 1013904223u;
        if (seed % 20 == 0) sec += 1 + (seed >> 8) % 3;
        key_of[i] = (int)((seed >> 12) % 12);
        sec_of[i] = (int)sec;
        char k[16];
        snprintf(k, sizeof k, "c%02d", key_of[i]);
        chant_add(t, k, k, sec);
        if (i % 500 == 499) {
            int64_t want[12] = {0};
            for (int j = 0; j <= i; j++)
                if (sec_of[j] > sec - CHANT_WINDOW_S) want[key_of[j]]++;
            struct chant_entry top[12];
            int n = chant_top_get(t, top, 12);
            int nonzero = 0;
            for (int j = 0; j < 12; j++) nonzero += want[j] > 0;
            CHECK_EQ(n, nonzero);
            for (int j = 0; j < n; j++) CHECK_EQ(top[j].count, want[atoi(top[j].text + 1)]);
            for (int j = 1; j < n; j++) CHECK(top[j - 1].count >= top[j].count);
        }
    }
    chant_top_free(t);
}

int main(void) {
    TEST(normalization);
    TEST(limit_in_characters);
    TEST(window_expires);
    TEST(full_table_drops_new_texts);
    TEST(matches_recount);
    return T_DONE();
}
