/* filter.c -- the chant filter (see filter.h).
 *
 * Words are kept as tokens. A token is a run of letters, digits, '@' and
 * '$' (anything else separates tokens), with look-alikes mapped to letters
 * when the token holds a letter, then stored run-length encoded: the letters
 * with each run collapsed to one ("fuuck" -> "fuck") and the run lengths
 * (1,2,1,1). A text token matches a word token when the collapsed letters
 * are equal and each run is at least as long as the word's.
 *
 * One-token Latin words are sorted by collapsed letters and found by binary
 * search; multi-token words and CJK words are short lists scanned in turn.
 * Invariant after filter_seal: `one` is sorted by tok_cmp. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unictype.h>
#include <unistr.h>
#include "chant.h"
#include "filter.h"
#include "words.h"   /* generated from lib/words (make-words.mjs): filter_builtin[] */

#define TOK_MAX 64      /* code points in one token */
#define TOKS_MAX 64     /* tokens in one text */

struct tok {
    char letters[TOK_MAX * 4 + 1];  /* collapsed runs, UTF-8 */
    uint8_t runs[TOK_MAX];          /* length of each run */
    int nruns;
};

struct multi {
    struct tok *toks;
    int n;
};

struct filter {
    struct tok *one;            /* one-token blocked words (sealed: sorted) */
    size_t none, capone;
    struct multi *multi;        /* several-token blocked words */
    size_t nmulti, capmulti;
    char **cjk;                 /* blocked words matched as substrings */
    size_t ncjk, capcjk;
    struct tok *allow;          /* one-token allowed words */
    size_t nallow, capallow;
    char **cjk_allow;
    size_t ncjk_allow, capcjk_allow;
};

/* --- tokens ------------------------------------------------------------- */

static int is_spaceless_script(ucs4_t uc) {
    const uc_script_t *sc = uc_script(uc);
    if (!sc) return 0;
    return !strcmp(sc->name, "Han") || !strcmp(sc->name, "Hiragana") || !strcmp(sc->name, "Katakana") ||
           !strcmp(sc->name, "Hangul") || !strcmp(sc->name, "Thai");
}

static int is_tok_char(ucs4_t uc) {
    return uc == '@' || uc == '$' || uc_is_general_category(uc, UC_CATEGORY_L) ||
           uc_is_general_category(uc, UC_CATEGORY_Nd);
}

static ucs4_t look_alike(ucs4_t uc) {
    switch (uc) {
    case '0': return 'o';
    case '1': return 'i';
    case '3': return 'e';
    case '4': return 'a';
    case '5': return 's';
    case '7': return 't';
    case '@': return 'a';
    case '$': return 's';
    default: return uc;
    }
}

/* Encode the code points cps[0..n) (mapping look-alikes when the token has
 * a letter) as a run-length token. */
static void make_tok(const ucs4_t *cps, int n, struct tok *t) {
    int letter = 0;
    for (int i = 0; i < n; i++) letter |= uc_is_general_category(cps[i], UC_CATEGORY_L);
    size_t len = 0;
    ucs4_t prev = 0;
    t->nruns = 0;
    for (int i = 0; i < n; i++) {
        ucs4_t c = letter ? look_alike(cps[i]) : cps[i];
        if (t->nruns > 0 && c == prev && t->runs[t->nruns - 1] < 255) {
            t->runs[t->nruns - 1]++;
            continue;
        }
        int l = u8_uctomb((uint8_t *)t->letters + len, c, 4);
        if (l > 0) len += (size_t)l;
        t->runs[t->nruns++] = 1;
        prev = c;
    }
    t->letters[len] = 0;
}

/* Split key into tokens of code points. Returns the number of tokens; each
 * token's code points are in cps[CPS_MAX] at starts[i], lens[i]. */
#define CPS_MAX CHANT_KEY_MAX   /* a key has fewer code points than bytes */
static int split(const char *key, ucs4_t *cps, int *starts, int *lens) {
    const uint8_t *p = (const uint8_t *)key, *end = p + strlen(key);
    int ntok = 0, ncp = 0, cur = -1;
    while (p < end && ncp < CPS_MAX) {
        ucs4_t uc;
        int l = u8_mbtouc(&uc, p, (size_t)(end - p));
        p += l;
        if (!is_tok_char(uc)) { cur = -1; continue; }
        if (cur < 0) {
            if (ntok == TOKS_MAX) break;
            cur = ntok++;
            starts[cur] = ncp;
            lens[cur] = 0;
        }
        if (lens[cur] < TOK_MAX) { cps[ncp++] = uc; lens[cur]++; }
    }
    return ntok;
}

static int tok_cmp(const void *a, const void *b) {
    return strcmp(((const struct tok *)a)->letters, ((const struct tok *)b)->letters);
}

/* Does text token t spell word token w (each run at least as long)? */
static int tok_spells(const struct tok *t, const struct tok *w) {
    if (t->nruns != w->nruns || strcmp(t->letters, w->letters)) return 0;
    for (int i = 0; i < t->nruns; i++)
        if (t->runs[i] < w->runs[i]) return 0;
    return 1;
}

static int tok_equal(const struct tok *t, const struct tok *w) {
    return t->nruns == w->nruns && !strcmp(t->letters, w->letters) && !memcmp(t->runs, w->runs, (size_t)t->nruns);
}

/* --- building ------------------------------------------------------------- */

static int grow(void **arr, size_t *cap, size_t n, size_t size) {
    if (n < *cap) return 0;
    size_t nc = *cap ? *cap * 2 : 64;
    void *p = realloc(*arr, nc * size);
    if (!p) return -1;
    *arr = p;
    *cap = nc;
    return 0;
}

/* Letters and digits of key with everything else removed (the CJK view). */
static void squeeze(const char *key, char *out, size_t outlen) {
    const uint8_t *p = (const uint8_t *)key, *end = p + strlen(key);
    size_t n = 0;
    while (p < end) {
        ucs4_t uc;
        int l = u8_mbtouc(&uc, p, (size_t)(end - p));
        if (is_tok_char(uc) && n + (size_t)l < outlen) {
            memcpy(out + n, p, (size_t)l);
            n += (size_t)l;
        }
        p += l;
    }
    out[n] = 0;
}

static int has_spaceless(const char *key) {
    const uint8_t *p = (const uint8_t *)key, *end = p + strlen(key);
    while (p < end) {
        ucs4_t uc;
        p += u8_mbtouc(&uc, p, (size_t)(end - p));
        if (is_spaceless_script(uc)) return 1;
    }
    return 0;
}

static int add(struct filter *f, const char *word, int allow) {
    char disp[CHANT_MAX_BYTES + 1], key[CHANT_KEY_MAX];
    if (strlen(word) > FILTER_WORD_MAX || chant_normalize(word, strlen(word), disp, key) != 0) return -1;
    if (has_spaceless(key)) {
        char sq[CHANT_KEY_MAX];
        squeeze(key, sq, sizeof sq);
        char ***arr = allow ? &f->cjk_allow : &f->cjk;
        size_t *n = allow ? &f->ncjk_allow : &f->ncjk, *cap = allow ? &f->capcjk_allow : &f->capcjk;
        if (!sq[0] || grow((void **)arr, cap, *n, sizeof **arr) < 0) return -1;
        if (!((*arr)[*n] = strdup(sq))) return -1;
        (*n)++;
        return 0;
    }
    ucs4_t cps[CPS_MAX];
    int starts[TOKS_MAX], lens[TOKS_MAX];
    int ntok = split(key, cps, starts, lens);
    if (ntok == 0) return -1;
    if (allow) {
        if (ntok != 1 || grow((void **)&f->allow, &f->capallow, f->nallow, sizeof *f->allow) < 0) return -1;
        make_tok(cps + starts[0], lens[0], &f->allow[f->nallow++]);
        return 0;
    }
    if (ntok == 1) {
        if (grow((void **)&f->one, &f->capone, f->none, sizeof *f->one) < 0) return -1;
        make_tok(cps + starts[0], lens[0], &f->one[f->none++]);
        return 0;
    }
    if (grow((void **)&f->multi, &f->capmulti, f->nmulti, sizeof *f->multi) < 0) return -1;
    struct multi *m = &f->multi[f->nmulti];
    if (!(m->toks = calloc((size_t)ntok, sizeof *m->toks))) return -1;
    m->n = ntok;
    for (int i = 0; i < ntok; i++) make_tok(cps + starts[i], lens[i], &m->toks[i]);
    f->nmulti++;
    return 0;
}

int filter_block(struct filter *f, const char *word) { return add(f, word, 0); }
int filter_allow(struct filter *f, const char *word) { return add(f, word, 1); }

int filter_seal(struct filter *f) {
    if (f->none) qsort(f->one, f->none, sizeof *f->one, tok_cmp);
    return 0;
}

struct filter *filter_new(void) {
    struct filter *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    for (size_t i = 0; filter_builtin[i]; i++)
        add(f, filter_builtin[i], 0);   /* an entry our normalizer refuses is skipped */
    filter_seal(f);
    return f;
}

void filter_free(struct filter *f) {
    if (!f) return;
    for (size_t i = 0; i < f->nmulti; i++) free(f->multi[i].toks);
    for (size_t i = 0; i < f->ncjk; i++) free(f->cjk[i]);
    for (size_t i = 0; i < f->ncjk_allow; i++) free(f->cjk_allow[i]);
    free(f->one);
    free(f->multi);
    free(f->cjk);
    free(f->allow);
    free(f->cjk_allow);
    free(f);
}

size_t filter_size(const struct filter *f) { return f->none + f->nmulti + f->ncjk; }

/* --- checking ------------------------------------------------------------- */

static int allowed(const struct filter *f, const struct tok *t) {
    for (size_t i = 0; i < f->nallow; i++)
        if (tok_equal(t, &f->allow[i])) return 1;
    return 0;
}

static int blocked_one(const struct filter *f, const struct tok *t) {
    if (!f->none || allowed(f, t)) return 0;
    /* The first word with the same collapsed letters, then its neighbours. */
    size_t lo = 0, hi = f->none;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(f->one[mid].letters, t->letters) < 0) lo = mid + 1;
        else hi = mid;
    }
    for (size_t i = lo; i < f->none && !strcmp(f->one[i].letters, t->letters); i++)
        if (tok_spells(t, &f->one[i])) return 1;
    return 0;
}

static int blocked_cjk(const struct filter *f, const char *key) {
    if (!f->ncjk) return 0;
    char sq[CHANT_KEY_MAX];
    squeeze(key, sq, sizeof sq);
    for (size_t i = 0; i < f->ncjk_allow; i++)
        for (char *p = strstr(sq, f->cjk_allow[i]); p; p = strstr(p, f->cjk_allow[i]))
            memset(p, 1, strlen(f->cjk_allow[i]));   /* allowed: never part of a match */
    for (size_t i = 0; i < f->ncjk; i++)
        if (strstr(sq, f->cjk[i])) return 1;
    return 0;
}

int filter_check(const struct filter *f, const char *key) {
    ucs4_t cps[CPS_MAX];
    int starts[TOKS_MAX], lens[TOKS_MAX];
    struct tok toks[TOKS_MAX];
    int ntok = split(key, cps, starts, lens);
    for (int i = 0; i < ntok; i++) {
        make_tok(cps + starts[i], lens[i], &toks[i]);
        if (blocked_one(f, &toks[i])) return FILTER_BLOCKED;
    }
    /* Runs of one-letter tokens ("f.u.c.k"): every stretch of two or more. */
    for (int i = 0; i < ntok; i++) {
        if (lens[i] != 1) continue;
        int j = i;
        while (j + 1 < ntok && lens[j + 1] == 1) j++;
        for (int a = i; a < j; a++) {
            for (int b = a + 1; b <= j; b++) {
                ucs4_t run[TOKS_MAX];
                for (int k = a; k <= b; k++) run[k - a] = cps[starts[k]];
                struct tok t;
                make_tok(run, b - a + 1, &t);
                if (blocked_one(f, &t)) return FILTER_BLOCKED;
            }
        }
        i = j;
    }
    for (size_t m = 0; m < f->nmulti; m++) {
        const struct multi *w = &f->multi[m];
        for (int i = 0; i + w->n <= ntok; i++) {
            int k = 0;
            while (k < w->n && tok_spells(&toks[i + k], &w->toks[k])) k++;
            if (k == w->n) return FILTER_BLOCKED;
        }
    }
    /* Every CJK entry holds a Han, kana, Hangul or Thai letter: a text
     * without one can not match any (most Latin chants stop here). */
    return has_spaceless(key) && blocked_cjk(f, key) ? FILTER_BLOCKED : 0;
}
