// narrow-refused.test.mjs -- issue 10 item 9, the refused states: screen,
// stage and crew with a wrong key, the phone with an unknown event code, in
// en, zh and id at 360 px; nothing sticks out sideways or clips its text.
// (narrow.test.mjs has the other states; split to stay within the runner's
// per-file time limit.) Screenshots: tests/artifacts/narrow-*-wrong*-<lang>.png.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { encode, decode } from '@msgpack/msgpack';
import { startHub, launch, text, sleep, CODE, KEYS } from './lib.mjs';
import { phone, joinIn, overflow, snap, soon, LANG } from './crewphone.lib.mjs';

const LANGS = ['en', 'zh', 'id'];
const QUESTION = 'Which song should close tonight’s show — vote now, the band is waiting backstage for the crowd to decide';
const OPTIONS = ['Opening Anthem (extended live version with the horns)', 'Neon Skies — acoustic, just the two of us',
  'Encore Medley: all the old favourites in one', 'Supercalifragilistic Extra Long Song Title XX'];

async function crewSocket(port) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, 'chorus.v1');
  await new Promise((r, j) => { ws.on('open', r); ws.on('error', j); });
  const inbox = [];
  ws.on('message', (d) => inbox.push(decode(d)));
  let id = 1;
  ws.ask = async (msg) => {
    const mine = id++;
    ws.send(encode({ ...msg, id: mine }));
    for (let i = 0; i < 200; i++) { const a = inbox.find((m) => m.t === 'ack' && m.id === mine); if (a) return a; await sleep(20); }
    throw new Error(`no ack for ${msg.t}`);
  };
  ws.send(encode({ t: 'hello', role: 'crew', key: KEYS.crew }));
  await sleep(200);
  return ws;
}

async function narrow(browser, url, lang) {
  const ctx = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, locale: LANG[lang].locale });
  ctx.setDefaultTimeout(15000);
  const page = await ctx.newPage();
  page.lang = lang;
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  await page.goto(url);
  return page;
}

async function fitsAt360(page, what) {
  await sleep(300); // layout after the last message
  const bad = await overflow(page);
  await snap(page, `narrow-${what}`);
  assert.deepEqual(bad, [], `${what}: nothing overflows at 360 px`);
}

describe('refused pages at 360 px, every language', () => {
  let hub, browser;
  before(async () => { hub = await startHub(); browser = await launch(); });
  after(async () => { await browser?.close(); await hub?.stop(); });

  it('wrong key, unknown event code', async () => {
    for (const lang of LANGS) {
      for (const role of ['screen', 'stage', 'crew']) {
        const pg = await narrow(browser, `${hub.base}/${role}?key=not-the-key&lang=${lang}`, lang);
        await soon(async () => assert.ok((await text(pg, 'body')).length > 20));
        await sleep(500);
        await fitsAt360(pg, `${role}-wrongkey-${lang}`);
        await pg.context().close();
      }
      const p = await phone(browser, `${hub.base}/e/NOSUCHEVENT?lang=${lang}`, lang);
      await p.getByRole('button', { name: LANG[lang].join, exact: true }).click();
      await soon(async () => assert.ok(await p.locator('.alert, #code').count(), 'the phone asks for the code'));
      await fitsAt360(p, `phone-wrongcode-${lang}`);
      await p.context().close();
    }
  });
});
