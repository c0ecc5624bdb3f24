/* filter.h -- the chant filter: is this text fit for a venue screen?
 *
 * Checks a chant's grouping key (chant.h: NFKC, case-folded) against word
 * lists: the ones built into the hub (LDNOOBW English and Chinese via the
 * npm package naughty-words, CC-BY-4.0; an Indonesian list of our own, see
 * lib/words/) plus the event file's `block` words, minus its `allow` words.
 *
 * Evasions it sees through, besides case and width (the key):
 *  - repeated letters: a token matches a word when it is the word with each
 *    letter repeated one or more times ("fuuuck", but "as" is not "ass");
 *  - separators: runs of one-letter tokens are joined ("f.u.c.k", "f u c k");
 *  - digits and signs for letters: 0→o 1→i 3→e 4→a 5→s 7→t @→a $→s, inside
 *    tokens that also hold a letter ("sh1t", "@ss");
 *  - Latin-script words match whole tokens (so "class" is fine); words in
 *    scripts written without spaces (Han, kana, Hangul, Thai) match as
 *    substrings of the text with its spaces and punctuation removed.
 * Multi-word entries ("blow job") match consecutive tokens.
 *
 * Cost: building sorts the words once (a few ms); a check is one pass over
 * the key plus a binary search per token and a substring scan per CJK word:
 * microseconds for a 64-byte chant. Immutable after building, so it can be
 * shared. */
#ifndef CHORUS_FILTER_H
#define CHORUS_FILTER_H

#include <stddef.h>

#define FILTER_WORD_MAX 64      /* bytes of one list entry */
#define FILTER_BLOCKED  (-1)    /* filter_check: the text is not allowed */

struct filter;

/* A filter over the built-in lists. NULL on out-of-memory. */
struct filter *filter_new(void);
void filter_free(struct filter *f);

/* Add one word (any spelling: it is normalized like a chant) to the block
 * or allow list. Returns 0, or -1 when the word is empty, too long, not
 * valid text, or on out-of-memory. Call filter_seal after the last one. */
int filter_block(struct filter *f, const char *word);
int filter_allow(struct filter *f, const char *word);
/* Ready the lists for checking. Returns 0, or -1 on out-of-memory. */
int filter_seal(struct filter *f);

/* Check a chant's grouping key. Returns 0 when it passes, FILTER_BLOCKED
 * when a listed word is in it. */
int filter_check(const struct filter *f, const char *key);

/* How many words are listed (built-in and added), for logs and tests. */
size_t filter_size(const struct filter *f);

#endif
