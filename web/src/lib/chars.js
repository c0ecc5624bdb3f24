// chars.js -- how long a chant is, the way the person typing it counts:
// characters (extended grapheme clusters: "é", "好", "👍🏽", "🇮🇩" are one
// each), the same count the hub applies (hub/core/chant.c, chant_chars on
// the NFC text). The hub also bounds a chant's bytes (CHANT_MAX_BYTES), which
// only texts of long emoji sequences reach.
export const CHANT_MAX_CHARS = 64;
export const CHANT_MAX_BYTES = 256;

const seg = typeof Intl !== 'undefined' && Intl.Segmenter ? new Intl.Segmenter(undefined, { granularity: 'grapheme' }) : null;
const utf8 = new TextEncoder();

/** The display form the hub keeps: white space folded, trimmed, NFC. */
export function chantText(s) {
  return s.replace(/\s+/gu, ' ').trim().normalize('NFC');
}

/** Characters in s as a reader counts them. */
export function charCount(s) {
  if (seg) { let n = 0; for (const _ of seg.segment(s)) n++; return n; } // eslint-disable-line no-unused-vars
  return [...s].length;
}

/** {chars, over}: the length of a chant as typed, and whether the hub would refuse it. */
export function chantLength(raw) {
  const s = chantText(raw);
  const chars = charCount(s);
  return { chars, over: chars > CHANT_MAX_CHARS || utf8.encode(s).length > CHANT_MAX_BYTES };
}
