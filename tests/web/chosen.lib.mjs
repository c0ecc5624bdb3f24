// chosen.lib.mjs -- helpers of chosen.test.mjs and chosen-tie.test.mjs:
// what a person can read of an element (on screen, not cut, not covered).
import assert from 'node:assert/strict';
import { soon } from './crewphone.lib.mjs';

/**
 * What a person can read of the element: its text, and every reason it can
 * not be read (not visible, outside the window, its text outside its box or
 * cut by it, or covered by something else, such as the phone's reaction dock).
 */
export function readable(page, selector) {
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    if (!el) return { text: '', problems: [`${sel}: not on the page`] };
    const problems = [];
    const vw = innerWidth, vh = innerHeight;
    const cs = getComputedStyle(el);
    const r = el.getBoundingClientRect();
    const inside = (b) => b.width > 0 && b.height > 0 && b.left >= -0.5 && b.top >= -0.5 && b.right <= vw + 0.5 && b.bottom <= vh + 0.5;
    if (el.closest('[hidden]') || cs.display === 'none' || cs.visibility !== 'visible' || Number(cs.opacity) === 0) problems.push('not visible');
    if (!inside(r)) problems.push(`outside the window: ${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}x${Math.round(r.height)} in ${vw}x${vh}`);
    const rg = document.createRange();
    rg.selectNodeContents(el);
    const tr = rg.getBoundingClientRect();
    if (!inside(tr)) problems.push('its text is outside the window');
    if (tr.left < r.left - 2 || tr.right > r.right + 2) problems.push('its text sticks out of its box');
    if (el.scrollWidth > el.clientWidth + 1 || (cs.overflowY !== 'visible' && el.scrollHeight > el.clientHeight + 1)) problems.push('its box cuts its text');
    // Every ancestor that clips (overflow) holds the element whole.
    for (let a = el.parentElement; a; a = a.parentElement) {
      const acs = getComputedStyle(a);
      if (acs.overflowX === 'visible' && acs.overflowY === 'visible') continue;
      const ar = a.getBoundingClientRect();
      if (r.left < ar.left - 1 || r.right > ar.right + 1 || r.top < ar.top - 1 || r.bottom > ar.bottom + 1) problems.push(`cut by ${a.tagName.toLowerCase()}.${a.className}`);
    }
    for (const [fx, fy] of [[0.1, 0.2], [0.5, 0.5], [0.9, 0.8]]) {
      const hit = document.elementFromPoint(r.left + r.width * fx, r.top + r.height * fy);
      if (!hit || !(el.contains(hit) || hit.contains(el))) problems.push(`covered at ${fx},${fy} by ${hit ? `${hit.tagName.toLowerCase()}.${hit.className}` : 'nothing'}`);
    }
    return { text: el.innerText.replace(/\s+/g, ' ').trim(), problems, px: parseFloat(cs.fontSize) * (r.height / (el.offsetHeight || r.height)) };
  }, selector);
}

/** The element reads exactly `expected` (a string or a RegExp) and can be read. */
export async function reads(page, selector, expected, what) {
  await soon(async () => {
    const got = await readable(page, selector);
    if (expected instanceof RegExp) assert.match(got.text, expected, what);
    else assert.equal(got.text, expected, what);
    assert.deepEqual(got.problems, [], `${what}: “${got.text}” can not be read`);
  });
}

