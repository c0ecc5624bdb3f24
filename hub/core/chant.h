/* chant.h -- chant text normalization and the top chants of the last
 * CHANT_WINDOW_S seconds.
 *
 * Normalization (libunistring): the text must be valid UTF-8 without control
 * characters; it is trimmed and inner white space is folded to one space
 * (the display form, NFC); the grouping key is the display form case-folded
 * with NFKC, so "LET'S GO", " let's   go " and the full-width "ＬＥＴ'Ｓ ＧＯ"
 * count together. The display text shown for a group is the first one seen.
 *
 * The window is a ring of per-second buckets; each bucket lists how much each
 * entry gained in that second, and rotating a second subtracts the oldest
 * bucket. Memory is fixed at creation: at most max_entries distinct texts are
 * tracked at once; a new text beyond that is counted as dropped. */
#ifndef CHORUS_CHANT_H
#define CHORUS_CHANT_H

#include <stddef.h>
#include <stdint.h>

/* A chant is at most CHANT_MAX_CHARS characters as a reader counts them
 * (extended grapheme clusters of the NFC display form: "é", "好", "👍🏽" are
 * one each), the limit the phone's counter shows; CHANT_MAX_BYTES only
 * bounds the storage of texts made of long clusters. */
#define CHANT_MAX_CHARS 64
#define CHANT_MAX_BYTES 256
#define CHANT_KEY_MAX   (CHANT_MAX_BYTES * 4)
#define CHANT_WINDOW_S  30
#define CHANT_RAW_MAX   4096  /* raw input bytes at most (the frame limit) */

/* chant_normalize() errors. */
#define CHANT_BAD_TEXT (-1)   /* invalid UTF-8 or a control character */
#define CHANT_EMPTY    (-2)   /* nothing left after trimming */
#define CHANT_TOO_LONG (-3)   /* display form over CHANT_MAX_CHARS or CHANT_MAX_BYTES */

/* Normalize in[0..len). On success returns 0 and writes the display form to
 * disp (NUL-terminated, <= CHANT_MAX_BYTES) and the grouping key to key
 * (NUL-terminated, < CHANT_KEY_MAX). Returns CHANT_BAD_TEXT, CHANT_EMPTY
 * or CHANT_TOO_LONG otherwise. */
int chant_normalize(const char *in, size_t len, char *disp, char *key);

/* Characters (extended grapheme clusters) in the UTF-8 text s[0..n). */
size_t chant_chars(const char *s, size_t n);

struct chant_top;

/* Moderation flags of a text (set from the moderation table when a text
 * enters the window, and by chant_set_flags after a crew action). */
#define CHANT_APPROVED 1
#define CHANT_HIDDEN   2

struct chant_entry {
    const char *text;   /* display form, owned by the chant_top */
    const char *key;    /* grouping key, owned by the chant_top */
    int64_t count;
    int64_t device;     /* the first sender, 0 unknown */
    int64_t first_ms;   /* when it was first sent (entered the window) */
    uint8_t flags;      /* CHANT_* */
};

/* New window tracking at most max_entries texts. NULL on out-of-memory. */
struct chant_top *chant_top_new(int max_entries);
void chant_top_free(struct chant_top *t);

/* Count one chant at second sec (non-decreasing between calls; a smaller
 * value counts in the current second). Returns 0, or -1 when the table is
 * full and the text is new (dropped). */
int chant_add(struct chant_top *t, const char *key, const char *disp, int64_t sec);
/* The same, saying who sent it, when (ms) and, for a text new to the window,
 * its moderation flags. */
int chant_add_from(struct chant_top *t, const char *key, const char *disp, int64_t sec, int64_t device,
                   int64_t now_ms, uint8_t flags);
/* The display text of key's entry in the window, or NULL. */
const char *chant_text(const struct chant_top *t, const char *key);
/* Set the flags of key's entry if it is in the window. */
void chant_set_flags(struct chant_top *t, const char *key, uint8_t flags);

/* Advance the window to second sec, expiring what is older than
 * CHANT_WINDOW_S seconds. */
void chant_advance(struct chant_top *t, int64_t sec);

/* The k most frequent texts in the window (ties: the earliest seen first).
 * Returns how many were written to out (<= k). Pointers stay valid until
 * the next chant_add/chant_advance. */
int chant_top_get(struct chant_top *t, struct chant_entry *out, int k);
/* The same over the texts whose flags hold every bit of `need` and none of
 * `reject` (k <= 16). */
int chant_top_select(struct chant_top *t, struct chant_entry *out, int k, uint8_t need, uint8_t reject);
/* Texts in the window with neither flag (waiting for approval), newest
 * first; at most k (<= 64). */
int chant_pending(struct chant_top *t, struct chant_entry *out, int k);

/* Texts dropped because the table was full, since creation. */
int64_t chant_dropped(const struct chant_top *t);

#endif
