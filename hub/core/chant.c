/* chant.c -- normalization and the sliding top-K window (see chant.h).
 *
 * Invariants: an entry is in use iff total > 0 or it gained in the current
 * second; each bucket lists an entry at most once (entry->sec/slot remember
 * where its increment for the current second is), so a bucket never holds
 * more than max_entries items and all memory is allocated in chant_top_new
 * except the two strings per live entry. */
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unigbrk.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>
#include "chant.h"
#include "util.h"

int chant_normalize(const char *in, size_t len, char *disp, char *key) {
    const uint8_t *s = (const uint8_t *)in;
    if (u8_check(s, len)) return CHANT_BAD_TEXT;
    /* Raw input is bounded by the frame; white space folding only shrinks it. */
    uint8_t folded[CHANT_RAW_MAX + 1];
    size_t n = 0;
    int pending_space = 0;
    const uint8_t *p = s, *end = s + len;
    while (p < end) {
        ucs4_t uc;
        int l = u8_mbtouc(&uc, p, (size_t)(end - p));
        if (uc_is_property_white_space(uc)) {
            if (n > 0) pending_space = 1;
        } else if (uc_is_general_category(uc, UC_CATEGORY_Cc)) {
            return CHANT_BAD_TEXT;
        } else {
            if (pending_space) folded[n++] = ' ';
            pending_space = 0;
            if (n + (size_t)l > sizeof folded - 1) return CHANT_TOO_LONG;
            memcpy(folded + n, p, (size_t)l);
            n += (size_t)l;
        }
        p += l;
    }
    if (n == 0) return CHANT_EMPTY;
    size_t dn = 0;
    uint8_t *nfc = u8_normalize(UNINORM_NFC, folded, n, NULL, &dn);
    if (!nfc) return CHANT_BAD_TEXT;
    if (dn > CHANT_MAX_BYTES || chant_chars((const char *)nfc, dn) > CHANT_MAX_CHARS) { free(nfc); return CHANT_TOO_LONG; }
    memcpy(disp, nfc, dn);
    disp[dn] = 0;
    size_t kn = 0;
    uint8_t *k = u8_casefold(nfc, dn, NULL, UNINORM_NFKC, NULL, &kn);
    free(nfc);
    if (k && kn < CHANT_KEY_MAX) {
        memcpy(key, k, kn);
        key[kn] = 0;
    } else {
        memcpy(key, disp, dn + 1);  /* pathological expansion: group by display form */
    }
    free(k);
    return 0;
}

/* libunistring 1.0 breaks emoji ZWJ sequences (UAX #29 rule GB11) and
 * flags (GB12/13) into several clusters; browsers (Intl.Segmenter) do not.
 * The two rules are added here so the hub counts what the phone counts. */
size_t chant_chars(const char *s, size_t n) {
    const uint8_t *p = (const uint8_t *)s, *end = p + n;
    size_t count = 0;
    int after_zwj = 0, lone_ri = 0;   /* the previous cluster was pictograph..ZWJ / one regional indicator */
    while (p < end) {
        const uint8_t *q = u8_grapheme_next(p, end);
        if (!q) break;
        ucs4_t first;
        u8_mbtouc(&first, p, (size_t)(q - p));
        int ri = uc_is_property_regional_indicator(first) && u8_mbsnlen(p, (size_t)(q - p)) == 1;
        int joins = (after_zwj && uc_is_property_extended_pictographic(first)) || (lone_ri && ri);
        if (!joins) count++;
        lone_ri = ri && !(lone_ri && joins);
        after_zwj = uc_is_property_extended_pictographic(first) && q - p >= 3 && q[-3] == 0xe2 && q[-2] == 0x80 &&
                    q[-1] == 0x8d;
        p = q;
    }
    return count;
}

struct entry {
    char *key, *disp;
    int64_t total;
    int64_t order;     /* first-seen sequence, breaks ties */
    int64_t sec;       /* second of this entry's item in the current bucket */
    int64_t device, first_ms;
    int32_t slot;      /* index of that item */
    int32_t next;      /* hash chain or free list; -1 ends */
    uint8_t used, flags;
};

struct item { int32_t entry; int32_t count; };

struct bucket { int64_t sec; int32_t n; struct item *items; };

struct chant_top {
    int max;
    struct entry *e;
    int32_t *heads;
    uint32_t hmask;
    int32_t free_head;
    struct bucket ring[CHANT_WINDOW_S];
    int64_t cur_sec;
    int64_t seq;
    int64_t dropped;
};


struct chant_top *chant_top_new(int max_entries) {
    struct chant_top *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->max = max_entries;
    uint32_t hs = 16;
    while (hs < (uint32_t)max_entries * 2) hs <<= 1;
    t->hmask = hs - 1;
    t->e = calloc((size_t)max_entries, sizeof *t->e);
    t->heads = malloc(hs * sizeof *t->heads);
    int ok = t->e && t->heads;
    for (int i = 0; ok && i < CHANT_WINDOW_S; i++) {
        t->ring[i].items = malloc((size_t)max_entries * sizeof(struct item));
        t->ring[i].sec = -1;
        ok = t->ring[i].items != NULL;
    }
    if (!ok) { chant_top_free(t); return NULL; }
    for (uint32_t i = 0; i < hs; i++) t->heads[i] = -1;
    for (int i = 0; i < max_entries; i++) t->e[i].next = i + 1 < max_entries ? i + 1 : -1;
    t->free_head = max_entries > 0 ? 0 : -1;
    return t;
}

void chant_top_free(struct chant_top *t) {
    if (!t) return;
    for (int i = 0; t->e && i < t->max; i++)
        if (t->e[i].used) { free(t->e[i].key); free(t->e[i].disp); }
    for (int i = 0; i < CHANT_WINDOW_S; i++) free(t->ring[i].items);
    free(t->e);
    free(t->heads);
    free(t);
}

static void entry_remove(struct chant_top *t, int32_t idx) {
    struct entry *en = &t->e[idx];
    int32_t *pp = &t->heads[util_hash_str(en->key) & t->hmask];
    while (*pp != idx) pp = &t->e[*pp].next;
    *pp = en->next;
    free(en->key);
    free(en->disp);
    memset(en, 0, sizeof *en);
    en->next = t->free_head;
    t->free_head = idx;
}

/* Empty the bucket that is about to be reused for second `sec`. */
static void bucket_expire(struct chant_top *t, struct bucket *b, int64_t sec) {
    for (int32_t i = 0; i < b->n; i++) {
        struct entry *en = &t->e[b->items[i].entry];
        en->total -= b->items[i].count;
        if (en->total <= 0) entry_remove(t, b->items[i].entry);
    }
    b->n = 0;
    b->sec = sec;
}

void chant_advance(struct chant_top *t, int64_t sec) {
    if (sec <= t->cur_sec) return;
    int64_t from = t->cur_sec + 1;
    if (sec - t->cur_sec > CHANT_WINDOW_S) from = sec - CHANT_WINDOW_S + 1;
    for (int64_t s = from; s <= sec; s++)
        bucket_expire(t, &t->ring[s % CHANT_WINDOW_S], s);
    t->cur_sec = sec;
}

static int32_t find(const struct chant_top *t, const char *key) {
    int32_t idx = t->heads[util_hash_str(key) & t->hmask];
    while (idx >= 0 && strcmp(t->e[idx].key, key) != 0) idx = t->e[idx].next;
    return idx;
}

const char *chant_text(const struct chant_top *t, const char *key) {
    int32_t idx = find(t, key);
    return idx >= 0 ? t->e[idx].disp : NULL;
}

void chant_set_flags(struct chant_top *t, const char *key, uint8_t flags) {
    int32_t idx = find(t, key);
    if (idx >= 0) t->e[idx].flags = flags;
}

int chant_add(struct chant_top *t, const char *key, const char *disp, int64_t sec) {
    return chant_add_from(t, key, disp, sec, 0, sec * 1000, 0);
}

int chant_add_from(struct chant_top *t, const char *key, const char *disp, int64_t sec, int64_t device,
                   int64_t now_ms, uint8_t flags) {
    chant_advance(t, sec);
    uint32_t h = util_hash_str(key) & t->hmask;
    int32_t idx = find(t, key);
    if (idx < 0) {
        if (t->free_head < 0) { t->dropped++; return -1; }
        char *k = strdup(key), *d = strdup(disp);
        if (!k || !d) { free(k); free(d); t->dropped++; return -1; }
        idx = t->free_head;
        struct entry *en = &t->e[idx];
        t->free_head = en->next;
        en->key = k;
        en->disp = d;
        en->used = 1;
        en->total = 0;
        en->order = ++t->seq;
        en->sec = -1;
        en->device = device;
        en->first_ms = now_ms;
        en->flags = flags;
        en->next = t->heads[h];
        t->heads[h] = idx;
    }
    struct entry *en = &t->e[idx];
    struct bucket *b = &t->ring[t->cur_sec % CHANT_WINDOW_S];
    if (en->sec == t->cur_sec) {
        b->items[en->slot].count++;
    } else {
        en->sec = t->cur_sec;
        en->slot = b->n;
        b->items[b->n].entry = idx;
        b->items[b->n].count = 1;
        b->n++;
    }
    en->total++;
    return 0;
}

static int better(const struct entry *a, const struct entry *b) {
    return a->total > b->total || (a->total == b->total && a->order < b->order);
}

static void fill(struct chant_entry *out, const struct entry *en) {
    out->text = en->disp;
    out->key = en->key;
    out->count = en->total;
    out->device = en->device;
    out->first_ms = en->first_ms;
    out->flags = en->flags;
}

int chant_top_get(struct chant_top *t, struct chant_entry *out, int k) { return chant_top_select(t, out, k, 0, 0); }

static int newer(const struct entry *a, const struct entry *b) { return a->order > b->order; }

/* The k (<= 64) entries in the window whose flags hold all of need and none
 * of reject, ranked by first(a, b) ("a goes before b"), into out. */
static int select_ranked(struct chant_top *t, struct chant_entry *out, int k, uint8_t need, uint8_t reject,
                         int (*first)(const struct entry *, const struct entry *)) {
    const struct entry *best[64];
    if (k > 64) k = 64;
    int n = 0;
    for (int i = 0; i < t->max; i++) {
        const struct entry *en = &t->e[i];
        if (!en->used || en->total <= 0 || (en->flags & need) != need || (en->flags & reject)) continue;
        int pos = n < k ? n : k;
        while (pos > 0 && first(en, best[pos - 1])) pos--;
        if (pos >= k) continue;
        int last = n < k ? n : k - 1;
        for (int j = last; j > pos; j--) best[j] = best[j - 1];
        best[pos] = en;
        if (n < k) n++;
    }
    for (int i = 0; i < n; i++) fill(&out[i], best[i]);
    return n;
}

int chant_top_select(struct chant_top *t, struct chant_entry *out, int k, uint8_t need, uint8_t reject) {
    return select_ranked(t, out, k > 16 ? 16 : k, need, reject, better);
}

int chant_pending(struct chant_top *t, struct chant_entry *out, int k) {
    return select_ranked(t, out, k, 0, CHANT_APPROVED | CHANT_HIDDEN, newer);
}

int64_t chant_dropped(const struct chant_top *t) { return t->dropped; }
