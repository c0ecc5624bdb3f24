// crewphone.lib.mjs -- helpers shared by crewphone.test.mjs and
// crewcontrols.test.mjs: phones in three languages, the crew dashboard, the
// frames each page sent, the poll form, and a check that nothing sticks out
// sideways or out of its card at 360 px.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from '@msgpack/msgpack';
import { eventually, text, KEYS, ARTIFACTS } from './lib.mjs';

/** soon() with room for a loaded machine: at least 10 s. */
export const soon = (fn, ms = 10000) => eventually(fn, Math.max(ms, 10000));

export const LANG = {
  en: { locale: 'en-US', join: 'Join', skip: 'Skip', hiddenManual: 'Results when the crew reveals them', hiddenClose: 'Results after the vote', winner: 'Winner', pick: 'Your pick', closed: 'Voting is closed' },
  zh: { locale: 'zh-CN', join: '加入', skip: '跳过', hiddenManual: '工作人员公布后显示结果', hiddenClose: '投票结束后公布结果', winner: '胜出', pick: '你的选择', closed: '投票已结束' },
  id: { locale: 'id-ID', join: 'Gabung', skip: 'Lewati', hiddenManual: 'Hasil saat kru menampilkannya', hiddenClose: 'Hasil setelah voting', winner: 'Pemenang', pick: 'Pilihanmu', closed: 'Voting ditutup' },
};

/** Record the decoded frames a page sends (page.sent) and count its WebSockets (page.sockets). */
export function watch(page) {
  page.errors = [];
  page.sent = [];
  page.sockets = 0;
  page.on('websocket', (ws) => {
    page.sockets++;
    ws.on('framesent', (f) => { try { page.sent.push(decode(f.payload)); } catch { /* not msgpack */ } });
  });
  page.on('pageerror', (e) => { page.errors.push(e); console.error(`# pageerror ${page.url()}: ${e.stack || e}`); });
  return page;
}

/** A phone at 360x740 in its own context and language. */
export async function phone(browser, url, lang = 'en') {
  const ctx = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: LANG[lang].locale });
  ctx.setDefaultTimeout(15000);
  const page = watch(await ctx.newPage());
  page.lang = lang;
  await page.goto(url);
  return page;
}

/** The crew dashboard (a desk, or a crew member's phone). */
export async function crewPage(browser, base, { width = 1440, height = 1000, mobile = false } = {}) {
  const ctx = await browser.newContext(mobile
    ? { viewport: { width, height }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'en-US' }
    : { viewport: { width, height }, locale: 'en-US' });
  ctx.setDefaultTimeout(15000);
  const page = watch(await ctx.newPage());
  await page.goto(`${base}/crew?key=${KEYS.crew}`);
  await soon(async () => assert.match(await text(page, '.pill'), /^Live$/i), 5000);
  return page;
}

/** Join in the phone's language; pick a section or skip. */
export async function joinIn(page, section) {
  const L = LANG[page.lang];
  await page.getByRole('button', { name: L.join, exact: true }).click();
  const card = page.locator('#sections');
  await card.waitFor({ timeout: 5000 });
  if (section) await card.getByRole('button', { name: `Section ${section}` }).click();
  else await card.getByRole('button', { name: L.skip }).click();
  await page.locator('.pill.live').waitFor({ timeout: 5000 });
}

export const opt = (page, label) => page.locator('.opt', { has: page.locator('.olabel', { hasText: label }) });
export const sentOf = (page, type) => page.sent.filter((m) => m.t === type);

export async function vote(page, label) {
  await opt(page, label).click();
  await soon(async () => assert.match(await opt(page, label).getAttribute('class'), /\bcounted\b/), 4000);
}

/** Fill and open a poll from the crew form (reveal: the visible label of the choice). */
export async function openPoll(crew, question, options, reveal) {
  await crew.getByLabel('Question').fill(question);
  await crew.getByLabel('Options').fill(options.join('\n'));
  if (reveal) await crew.locator('.c-reveal').getByLabel(reveal, { exact: true }).check();
  await crew.locator('.c-form').getByRole('button', { name: 'Open poll' }).click();
}

export async function closeAndConfirm(crew) {
  await crew.locator('.c-pollnow').getByRole('button', { name: 'Close poll' }).click();
  await crew.getByRole('dialog').getByRole('button', { name: 'Close poll' }).click();
  await soon(async () => assert.match(await text(crew, '.c-pollnow'), /Last poll \(closed\)/i));
}

/** A screenshot of one element (its box on the full page; no wait for stillness: the crew's clocks tick). */
export async function shotOf(page, selector, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const clip = await page.locator(selector).first().evaluate((el) => {
    document.activeElement?.blur?.();
    const r = el.getBoundingClientRect();
    return { x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height };
  });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true, clip });
}

export async function snap(page, name, fullPage = false) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.evaluate(() => { document.activeElement?.blur?.(); scrollTo(0, 0); });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });
}

/** Everything in root that sticks out sideways or clips its text (as in moderation.test.mjs). */
export function overflow(page, root = 'body') {
  return page.evaluate((sel) => {
    const W = document.documentElement.clientWidth;
    const bad = [];
    if (document.documentElement.scrollWidth > W) bad.push(`the page scrolls sideways (${document.documentElement.scrollWidth} > ${W})`);
    for (const el of document.querySelectorAll(`${sel} *`)) {
      if (el.closest('.sr-only, select')) continue;
      const cs = getComputedStyle(el);
      if (cs.display === 'none' || cs.visibility === 'hidden') continue;
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height) continue;
      const name = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${typeof el.className === 'string' && el.className.trim() ? `.${el.className.trim().split(/\s+/).join('.')}` : ''}`;
      if (r.right > W + 0.5 || r.left < -0.5) bad.push(`${name} spans ${Math.round(r.left)}..${Math.round(r.right)} of ${W}: "${el.textContent.slice(0, 40)}"`);
      // Nor out of its card (the crew's cards, the phone's cards and options).
      const card = el.parentElement?.closest('.c-card, .card, .opt, dialog');
      if (card) {
        const c = card.getBoundingClientRect();
        if (r.right > c.right + 0.5 || r.left < c.left - 0.5) bad.push(`${name} sticks out of its ${card.tagName.toLowerCase()}.${card.className.split(' ')[0]}: "${el.textContent.slice(0, 40)}"`);
      }
      if (cs.overflowX !== 'visible' && el.tagName !== 'INPUT' && el.tagName !== 'TEXTAREA' && el.scrollWidth > el.clientWidth + 1) bad.push(`${name} clips its content (${el.scrollWidth} > ${el.clientWidth}): "${el.textContent.slice(0, 40)}"`);
    }
    return bad;
  }, root);
}

export async function fits(page, root) {
  assert.deepEqual(await overflow(page, root), [], `nothing overflows at 360 px (${page.lang || 'crew'} ${root || 'body'})`);
}

export const speak = (page, label) => page.locator('.lang select').selectOption({ label });

export function sqlite(db, sql) {
  return execFileSync('sqlite3', [db, sql]).toString().trim();
}
