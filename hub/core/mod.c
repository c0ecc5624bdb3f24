/* mod.c -- moderation state (see mod.h).
 * The table is an array of texts plus an open-addressing index of twice
 * MOD_TEXTS_MAX slots (load factor <= 1/2), so probes stay short. */
#include <stdlib.h>
#include <string.h>
#include "chant.h"
#include "mod.h"
#include "util.h"

#define INDEX_SLOTS (2 * MOD_TEXTS_MAX)

struct mod {
    enum mod_mode mode;
    struct mod_text *v;
    size_t n;
    int32_t index[INDEX_SLOTS];     /* -1 empty, else index into v */
};

struct mod *mod_new(enum mod_mode mode) {
    struct mod *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    if (!(m->v = calloc(MOD_TEXTS_MAX, sizeof *m->v))) { free(m); return NULL; }
    m->mode = mode;
    for (size_t i = 0; i < INDEX_SLOTS; i++) m->index[i] = -1;
    return m;
}

void mod_free(struct mod *m) {
    if (!m) return;
    for (size_t i = 0; i < m->n; i++) { free(m->v[i].key); free(m->v[i].text); }
    free(m->v);
    free(m);
}

enum mod_mode mod_mode(const struct mod *m) { return m->mode; }
void mod_set_mode(struct mod *m, enum mod_mode mode) { m->mode = mode; }

/* The index slot holding key, or the empty slot where it would go. */
static size_t slot_of(const struct mod *m, const char *key) {
    size_t i = util_hash_str(key) % INDEX_SLOTS;
    while (m->index[i] >= 0 && strcmp(m->v[m->index[i]].key, key) != 0) i = (i + 1) % INDEX_SLOTS;
    return i;
}

uint8_t mod_flags(const struct mod *m, const char *key) {
    int32_t at = m->index[slot_of(m, key)];
    return at >= 0 ? m->v[at].flags : 0;
}

int mod_set(struct mod *m, const char *key, const char *text, uint8_t flags, int64_t ts) {
    size_t i = slot_of(m, key);
    if (m->index[i] < 0) {
        if (m->n == MOD_TEXTS_MAX) return MOD_FULL;
        char *k = strdup(key), *t = strdup(text);
        if (!k || !t) { free(k); free(t); return MOD_NOMEM; }
        m->v[m->n] = (struct mod_text){.key = k, .text = t};
        m->index[i] = (int32_t)m->n++;
    }
    struct mod_text *x = &m->v[m->index[i]];
    x->flags = flags;
    x->ts = ts;
    return 0;
}

int mod_hidden(const struct mod *m, const struct mod_text **out, int k) {
    int n = 0;
    for (size_t i = 0; i < m->n; i++) {
        const struct mod_text *x = &m->v[i];
        if (!(x->flags & CHANT_HIDDEN)) continue;
        int pos = n < k ? n : k;
        while (pos > 0 && x->ts > out[pos - 1]->ts) pos--;
        if (pos >= k) continue;
        int last = n < k ? n : k - 1;
        for (int j = last; j > pos; j--) out[j] = out[j - 1];
        out[pos] = x;
        if (n < k) n++;
    }
    return n;
}

void mod_public_view(const struct mod *m, uint8_t *need, uint8_t *reject) {
    *need = m->mode == MOD_APPROVE ? CHANT_APPROVED : 0;
    *reject = CHANT_HIDDEN;
}
