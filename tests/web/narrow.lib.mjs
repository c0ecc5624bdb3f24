// narrow.lib.mjs -- issue 10 item 9 (run by narrow-en-id.test.mjs and
// narrow-zh.test.mjs): every page (phone, screen, stage,
// crew, join) in every language (en, zh, id) at 360 px, in every state a
// show goes through (connected with the longest poll, closed, played: the
// crowd's choice with the phone's own moment (issue 15), offline,
// reconnecting; wrong key and unknown code: narrow-refused.test.mjs): nothing sticks out
// sideways or clips its text (the overflow check of crewphone.lib.mjs).
// Screenshots: tests/artifacts/narrow-<page>-<state>-<lang>.png.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { encode, decode } from '@msgpack/msgpack';
import { startHub, launch, text, sleep, CODE, KEYS } from './lib.mjs';
import { phone, joinIn, overflow, snap, soon, vote, LANG } from './crewphone.lib.mjs';

export const QUESTION = 'Which song should close tonight’s show — vote now, the band is waiting backstage for the crowd to decide';
export const OPTIONS = ['Opening Anthem (extended live version with the horns)', 'Neon Skies — acoustic, just the two of us',
  'Encore Medley: all the old favourites in one', 'Supercalifragilistic Extra Long Song Title XX'];

export async function crewSocket(port) {
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

export async function narrow(browser, url, lang) {
  const ctx = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, locale: LANG[lang].locale });
  ctx.setDefaultTimeout(15000);
  const page = await ctx.newPage();
  page.lang = lang;
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  await page.goto(url);
  return page;
}

export async function fitsAt360(page, what) {
  await sleep(300); // layout after the last message
  const bad = await overflow(page);
  await snap(page, `narrow-${what}`);
  assert.deepEqual(bad, [], `${what}: nothing overflows at 360 px`);
}

/** The suite for the given languages (two files share it, so each stays within the runner's time limit). */
export function narrowSuite(LANGS) {
describe(`every page, every state at 360 px: ${LANGS.join(', ')}`, () => {
  let hub, browser, crew, poll;
  const pages = {};

  before(async () => {
    hub = await startHub();
    browser = await launch();
    crew = await crewSocket(hub.port);
    poll = (await crew.ask({ t: 'poll.open', question: QUESTION, options: OPTIONS })).poll;
    await crew.ask({ t: 'marker', label: 'Supercalifragilistic Extra Long Song Title XX', kind: 'song_start' });
    for (const lang of LANGS) {
      pages[lang] = {
        phone: await phone(browser, `${hub.base}/e/${CODE}?lang=${lang}`, lang),
        screen: await narrow(browser, `${hub.base}/screen?key=${KEYS.screen}&lang=${lang}`, lang),
        stage: await narrow(browser, `${hub.base}/stage?key=${KEYS.stage}&lang=${lang}`, lang),
        crew: await narrow(browser, `${hub.base}/crew?key=${KEYS.crew}&lang=${lang}`, lang),
      };
      await joinIn(pages[lang].phone);
    }
  });
  after(async () => {
    crew?.close();
    await browser?.close();
    await hub?.stop();
  });

  it('connected, with the longest question and options', async () => {
    for (const lang of LANGS) {
      const p = pages[lang];
      await soon(async () => assert.equal(await text(p.phone, '.question'), QUESTION));
      for (const [name, pg] of Object.entries(p)) await fitsAt360(pg, `${name}-connected-${lang}`);
      const join = await narrow(browser, `${hub.base}/join?url=${encodeURIComponent(`${hub.base}/e/${CODE}`)}&code=${CODE}&name=Demo%20Night&lang=${lang}`, lang);
      await fitsAt360(join, `join-${lang}`);
      await join.context().close();
    }
  });

  it('closed: the final result', async () => {
    assert.equal((await crew.ask({ t: 'poll.close', poll })).ok, true);
    for (const lang of LANGS) {
      await soon(async () => assert.match(await text(pages[lang].phone, '.vstatus'), new RegExp(LANG[lang].closed)));
      for (const [name, pg] of Object.entries(pages[lang])) await fitsAt360(pg, `${name}-closed-${lang}`);
    }
  });

  it('played: the crowd’s choice, and the phone’s own moment', async () => {
    const MOMENT = { en: 'Your vote chose ', zh: '你的一票选中了', id: 'Suaramu memilih ' };
    const again = (await crew.ask({ t: 'poll.open', question: QUESTION, options: OPTIONS })).poll;
    for (const lang of LANGS) {
      const p = pages[lang].phone;
      await soon(async () => assert.equal(await p.locator('.opt:not([disabled])').count(), OPTIONS.length));
      await vote(p, OPTIONS[1]);
    }
    assert.equal((await crew.ask({ t: 'poll.close', poll: again })).ok, true);
    assert.equal((await crew.ask({ t: 'poll.play', poll: again, option: 1 })).ok, true);
    for (const lang of LANGS) {
      await soon(async () => assert.ok((await text(pages[lang].phone, '.moment .mtext')).startsWith(MOMENT[lang] + OPTIONS[1])));
      for (const [name, pg] of Object.entries(pages[lang])) await fitsAt360(pg, `${name}-played-${lang}`);
    }
  });

  it('offline (the phone lost its network)', async () => {
    for (const lang of LANGS) {
      const p = pages[lang].phone;
      await p.context().setOffline(true);
      await soon(async () => assert.ok(!(await p.locator('.pill.live').count()), 'not LIVE'));
      await soon(async () => assert.ok((await text(p, '.banner')).length > 0, 'the banner says so'));
      await fitsAt360(p, `phone-offline-${lang}`);
      await p.context().setOffline(false);
    }
  });

  it('reconnecting (the hub is down)', async () => {
    await hub.stop();
    crew.close();
    try {
      for (const lang of LANGS) {
        for (const [name, pg] of Object.entries(pages[lang])) {
          await soon(async () => assert.match(await text(pg, '.pill'), /…|\.\.\./), 15000);
          await fitsAt360(pg, `${name}-reconnecting-${lang}`);
        }
      }
    } finally {
      hub = await startHub({ port: hub.port, db: hub.db });
    }
  });

});
}
