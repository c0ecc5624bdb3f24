/* Unit tests: filter (the chant filter) and mod (the moderation table) against the evasions it must see
 * through, in English, Chinese and Indonesian, and the texts it must let
 * pass. Each text goes through chant_normalize first, as in the hub. */
#include <stdio.h>
#include "chant.h"
#include "filter.h"
#include "mod.h"
#include "t.h"

static struct filter *F;

static int check(const char *text) {
    char disp[CHANT_MAX_BYTES + 1], key[CHANT_KEY_MAX];
    if (chant_normalize(text, strlen(text), disp, key) != 0) return 99;
    return filter_check(F, key);
}

#define BLOCKED(t) do { if (check(t) != FILTER_BLOCKED) { CHECK(!"blocked: " t); } } while (0)
#define PASSES(t) do { if (check(t) != 0) { CHECK(!"passes: " t); } } while (0)

static void builtin_lists_are_loaded(void) {
    CHECK(filter_size(F) > 700);
}

static void english_evasions(void) {
    BLOCKED("fuck");
    BLOCKED("FUCK this");
    BLOCKED("ＦＵＣＫ");                /* full width */
    BLOCKED("fuuuuuck");                /* repeated letters */
    BLOCKED("f.u.c.k");                 /* separators */
    BLOCKED("f u c k you");
    BLOCKED("f-u-c-k");
    BLOCKED("sh1t");                    /* digits for letters */
    BLOCKED("@ss");
    BLOCKED("a$$hole");
    BLOCKED("what a bl0w j0b");         /* a two-word entry */
    BLOCKED("shiiiit!!!");
}

static void english_passes(void) {
    PASSES("encore!");
    PASSES("let's go");
    PASSES("class act");                /* whole words: "ass" inside "class" */
    PASSES("as good as it gets");       /* "as" is not "ass" */
    PASSES("Scunthorpe United");
    PASSES("we love you 2024");
    PASSES("one more song");
}

static void chinese_substrings(void) {
    BLOCKED("你妈的");
    BLOCKED("太傻逼了");                /* inside a longer text */
    BLOCKED("傻 逼");                   /* a space between */
    BLOCKED("傻。逼");                  /* punctuation between */
    PASSES("加油 加油");
    PASSES("再来一首");
}

static void indonesian(void) {
    BLOCKED("bangsat");
    BLOCKED("BANGSAAAT");
    BLOCKED("k0nt0l");
    BLOCKED("dasar goblok");
    PASSES("ayo semangat");
    PASSES("satu lagu lagi");
}

static void event_lists(void) {
    struct filter *f = filter_new();
    CHECK_EQ(filter_block(f, "Rival FC"), 0);
    CHECK_EQ(filter_block(f, "boooo"), 0);
    CHECK_EQ(filter_allow(f, "Scunthorpe"), 0);
    CHECK_EQ(filter_block(f, ""), -1);          /* empty is refused */
    CHECK_EQ(filter_block(f, "   "), -1);
    CHECK_EQ(filter_block(f, "bell\x07"), -1);   /* not valid text */
    char longw[100];
    memset(longw, 'x', 80); longw[80] = 0;
    CHECK_EQ(filter_block(f, longw), -1);
    CHECK_EQ(filter_allow(f, "乳酪"), 0);        /* cheese, though 乳 is listed */
    CHECK_EQ(filter_seal(f), 0);
    struct filter *save = F;
    F = f;
    BLOCKED("go home rival fc");
    BLOCKED("RIVAL   FC!");
    BLOCKED("booooooo");
    PASSES("boo");                              /* shorter than the listed word */
    PASSES("rival");
    PASSES("我爱乳酪");
    BLOCKED("乳房");
    F = save;
    filter_free(f);
}

static void mod_table(void) {
    struct mod *m = mod_new(MOD_APPROVE);
    uint8_t need, reject;
    mod_public_view(m, &need, &reject);
    CHECK_EQ(need, CHANT_APPROVED);
    CHECK_EQ(reject, CHANT_HIDDEN);
    CHECK_EQ(mod_flags(m, "encore"), 0);
    CHECK_EQ(mod_set(m, "encore", "Encore", CHANT_APPROVED, 10), 0);
    CHECK_EQ(mod_set(m, "boo", "boo", CHANT_HIDDEN, 20), 0);
    CHECK_EQ(mod_set(m, "meh", "Meh", CHANT_HIDDEN, 30), 0);
    CHECK_EQ(mod_flags(m, "encore"), CHANT_APPROVED);
    const struct mod_text *h[4];
    CHECK_EQ(mod_hidden(m, h, 4), 2);
    CHECK_STR(h[0]->text, "Meh");                   /* most recently hidden first */
    CHECK_EQ(mod_set(m, "meh", "other spelling", 0, 40), 0);
    CHECK_EQ(mod_hidden(m, h, 4), 1);
    CHECK_STR(h[0]->key, "boo");
    mod_set_mode(m, MOD_AUTO);
    mod_public_view(m, &need, &reject);
    CHECK_EQ(need, 0);
    /* Bounded: a new text beyond the limit is refused, known ones still change. */
    char k[32];
    int full = 0;
    for (int i = 0; i < MOD_TEXTS_MAX + 10; i++) {
        snprintf(k, sizeof k, "t%d", i);
        full += mod_set(m, k, k, CHANT_HIDDEN, 50 + i) == MOD_FULL;
    }
    CHECK_EQ(full, 13);                             /* 3 were already in */
    CHECK_EQ(mod_set(m, "encore", "Encore", CHANT_HIDDEN, 9999), 0);
    mod_free(m);
}

int main(void) {
    F = filter_new();
    if (!F) return 1;
    TEST(builtin_lists_are_loaded);
    TEST(english_evasions);
    TEST(english_passes);
    TEST(chinese_substrings);
    TEST(indonesian);
    TEST(event_lists);
    TEST(mod_table);
    filter_free(F);
    return T_DONE();
}
