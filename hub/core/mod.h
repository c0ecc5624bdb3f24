/* mod.h -- chant moderation state: the mode (auto, approve, off) and the
 * texts the crew approved or hid, by grouping key (chant.h), so approval
 * and hiding cover every spelling of a text and outlast the 30 s window.
 *
 * Bounded: at most MOD_TEXTS_MAX texts; beyond that an action on a new text
 * is refused (MOD_FULL) and the crew is told. A text is never removed, only
 * its flags change (unhide keeps it as a row with no flags). Lookup is one
 * hash probe sequence. Pure: no I/O; the store persists the same rows. */
#ifndef CHORUS_MOD_H
#define CHORUS_MOD_H

#include <stddef.h>
#include <stdint.h>
#include "wire.h"

#define MOD_TEXTS_MAX 4096
#define MOD_FULL  (-1)
#define MOD_NOMEM (-2)

struct mod_text {
    char *key, *text;           /* grouping key, a display form */
    int64_t ts;                 /* when the flags were last set (ms) */
    uint8_t flags;              /* CHANT_APPROVED | CHANT_HIDDEN */
};

struct mod;

/* NULL on out-of-memory. */
struct mod *mod_new(enum mod_mode mode);
void mod_free(struct mod *m);

enum mod_mode mod_mode(const struct mod *m);
void mod_set_mode(struct mod *m, enum mod_mode mode);

/* The flags of key (0 when the crew never acted on it). */
uint8_t mod_flags(const struct mod *m, const char *key);
/* Set key's flags (text: a display form, kept the first time). Returns 0,
 * MOD_FULL when key is new and the table is full, or MOD_NOMEM. */
int mod_set(struct mod *m, const char *key, const char *text, uint8_t flags, int64_t ts);
/* Up to k hidden texts, most recently hidden first. */
int mod_hidden(const struct mod *m, const struct mod_text **out, int k);

/* What screens, stage and phones may see of the chants: the flags a text
 * needs (CHANT_APPROVED in approve mode) and those it must not have. */
void mod_public_view(const struct mod *m, uint8_t *need, uint8_t *reject);

#endif
