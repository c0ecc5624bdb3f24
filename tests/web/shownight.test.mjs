// shownight.test.mjs -- issue 10 items 5 (rest), 6 and 8 in the browser,
// against the real hub:
// - offline honesty: the venue Wi-Fi goes silent (a proxy stops forwarding,
//   nothing is closed); the phone stops saying LIVE within a few seconds; a
//   vote and a chant made then say "Saved … sent when you are back" (never
//   "try again"); the hub got them but its answers were lost, so the phone
//   sends them again on its own when the network is back, and each counts
//   once (the phone's ids); taps made offline are stored in the seconds
//   they were made;
// - chants: a live counter in characters in English, Chinese and
//   Indonesian; a text over 64 is never cut and never sent; the phone's
//   count and the hub's limit agree on the same texts (emoji included);
// - the crew undoes an accidental close (Reopen: the same poll with its
//   votes, on the screen and the phones; the report counts one poll) and
//   corrects and deletes markers (screen, stage and report follow).
// Screenshots: tests/artifacts/phone-offline-{live,stale,saved,back}-en.png,
// phone-counter-{en,zh,id}.png, crew-reopen.png, screen-reopened.png,
// crew-marker-fix.png.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode, decode } from '@msgpack/msgpack';
import { startHub, launch, text, sleep, CODE, KEYS, silentProxy, desk, EVENT_FILE, tempDir } from './lib.mjs';
import { phone, crewPage, joinIn, vote, openPoll, closeAndConfirm, snap, shotOf, sqlite, soon, opt, sentOf, fits } from './crewphone.lib.mjs';
import { charCount, chantText, CHANT_MAX_CHARS } from '../../web/src/lib/chars.js';

describe('show night: offline honesty, chant length, undo', () => {
  let hub, proxy, browser, crew;

  before(async () => {
    // The phone reaches the hub through the proxy: the proxy's origin must be
    // one the hub accepts (the event file's "origins").
    proxy = await silentProxy();
    const ev = JSON.parse(readFileSync(EVENT_FILE, 'utf8'));
    const evFile = join(tempDir(), 'event.json');
    writeFileSync(evFile, JSON.stringify({ ...ev, origins: [proxy.base] }));
    hub = await startHub({ args: ['--event-file', evFile] });
    proxy.target = hub.port;
    browser = await launch();
    crew = await crewPage(browser, hub.base);
  });
  after(async () => {
    await browser?.close();
    await proxy?.close();
    await hub?.stop();
  });

  it('a silent network cut: not LIVE within 4 s, "saved" for the vote and the chant, each counted once when back', async () => {
    await openPoll(crew, 'Encore song?', ['Anthem', 'Ballad']);
    const p = await phone(browser, `${proxy.base}/e/${CODE}`, 'en');
    await joinIn(p);
    await soon(async () => assert.equal(await text(p, '.question'), 'Encore song?'));
    await snap(p, 'phone-offline-live-en');

    // The hub still hears the phone, but nothing comes back (the worst case:
    // what the phone sends counts, and it can not know). The fan votes and
    // chants at once, while the phone can not know yet.
    // The page notes when its pill stops saying LIVE (the page's own clock:
    // the same machine's), so the test's own clicks do not count in it.
    await p.evaluate(() => {
      const pill = document.querySelector('.pill');
      new MutationObserver(() => { if (!pill.classList.contains('live') && !window.__notLive) window.__notLive = Date.now(); })
        .observe(pill, { attributes: true, attributeFilter: ['class'] });
    });
    proxy.cut({ up: false, down: true });
    const cutAt = Date.now();
    await opt(p, 'Ballad').click();
    await p.locator('#chant').fill('We want more');
    await p.locator('#chantsend').click();
    await p.locator('.pill.live').waitFor({ state: 'detached', timeout: 8000 });
    const noticed = (await p.evaluate(() => window.__notLive)) - cutAt;
    assert.ok(noticed <= 4500, `the phone stopped saying LIVE after ${noticed} ms`);
    assert.match(await text(p, '.pill'), /Reconnecting/i);
    assert.match(await text(p, '.banner'), /saved and sent when you are back/);
    await soon(async () => assert.equal(await text(p, '.vstatus'), 'Saved — it will be sent when you are back online.'));
    assert.match(await text(p, '#chantnote'), /^Saved — your chant will be sent when you are back online\. No need to send it again\.$/);
    assert.equal(await p.locator('#chant').inputValue(), '', 'the form is cleared: nothing invites a second copy');
    await snap(p, 'phone-offline-stale-en');
    // A chant made now stays on the phone until the link is back.
    await p.locator('#chant').fill('Still here');
    await p.locator('#chantsend').click();
    await soon(async () => assert.match(await text(p, '#chantnote'), /^Saved/));
    assert.doesNotMatch(await text(p, 'body'), /try again|not sent/i);
    await snap(p, 'phone-offline-saved-en');
    // The hub heard the first two while the phone could not know.
    await soon(async () => assert.equal(sqlite(hub.db, "SELECT count(*) FROM signals WHERE kind='chant' AND text='We want more'"), '1'));
    await soon(async () => assert.equal(sqlite(hub.db, "SELECT count(*) FROM signals WHERE kind='vote'"), '1'));
    assert.equal(sqlite(hub.db, "SELECT count(*) FROM signals WHERE kind='chant' AND text='Still here'"), '0');
    const sentBefore = sentOf(p, 'chant').length;

    // Taps while the link is fully dead: kept on the phone, with their time.
    proxy.cut({ up: true, down: true });
    await sleep(300);
    const tappedAt = Date.now();
    for (let i = 0; i < 5; i++) await p.locator('.rbtn[data-kind="fire"]').click();
    await sleep(2500);

    proxy.heal();
    const healedAt = Date.now();
    await p.locator('.pill.live').waitFor({ timeout: 15000 });
    await soon(async () => assert.match(await text(p, '.vstatus'), /Your vote for “Ballad” is counted/));
    await soon(async () => assert.doesNotMatch(await text(p, '#chantnote'), /Saved/));
    await snap(p, 'phone-offline-back-en');
    assert.ok(sentOf(p, 'chant').length > sentBefore, 'the chant was sent again by itself');
    const resent = sentOf(p, 'chant').filter((m) => m.text === 'We want more');
    assert.equal(new Set(resent.map((m) => m.cid)).size, 1, 'with the same id each time');
    await sleep(1500);
    assert.equal(sqlite(hub.db, "SELECT count(*) FROM signals WHERE kind='chant' AND text='We want more'"), '1', 'counted once');
    assert.equal(sqlite(hub.db, "SELECT count(*) FROM signals WHERE kind='chant' AND text='Still here'"), '1', 'the saved one is sent');
    assert.equal(sqlite(hub.db, "SELECT count(*) FROM signals WHERE kind='vote'"), '1', 'counted once');
    assert.equal(sqlite(hub.db, "SELECT count(*) FROM votes WHERE option=1"), '1');
    await soon(async () => assert.equal(sqlite(hub.db, "SELECT coalesce(sum(n), 0) FROM signals WHERE kind='react' AND reaction='fire'"), '5'));
    const fireAt = Number(sqlite(hub.db, "SELECT min(ts_ms) FROM signals WHERE kind='react' AND reaction='fire'"));
    assert.ok(fireAt < healedAt - 1500 && fireAt >= tappedAt - 1000, `offline taps filed at the time they were made (${healedAt - fireAt} ms before they arrived)`);
    assert.deepEqual(p.errors, []);
    await p.context().close();
  });

  it('the chant counter counts characters in English, Chinese and Indonesian and never cuts', async () => {
    const texts = { en: 'Let’s go '.repeat(8), zh: '加油'.repeat(35), id: 'Ayo semangat terus! '.repeat(4) };
    for (const lang of ['en', 'zh', 'id']) {
      const p = await phone(browser, `${hub.base}/e/${CODE}?lang=${lang}`, lang);
      await joinIn(p);
      const box = p.locator('#chant');
      await box.fill('Ayo 🇮🇩👍🏽');
      await soon(async () => assert.match(await text(p, '#chantcount'), /^6\/64/));
      await box.fill(texts[lang]);
      const n = charCount(chantText(texts[lang]));
      assert.ok(n > 64, `${lang}: the sample is over the limit (${n})`);
      await soon(async () => assert.match(await text(p, '#chantcount'), new RegExp(`${n}/64`)));
      assert.equal(await box.inputValue(), texts[lang], `${lang}: never cut`);
      assert.equal(await p.locator('#chantsend').isDisabled(), true, `${lang}: not sent while too long`);
      await fits(p, '.chantcard');
      await shotOf(p, '.chantcard', `phone-counter-${lang}`);
      const sent = sentOf(p, 'chant').length;
      await box.press('Enter');
      await sleep(300);
      assert.equal(sentOf(p, 'chant').length, sent, `${lang}: Enter sends nothing`);
      await box.fill([...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(texts[lang].trim())].slice(0, 63).map((s) => s.segment).join('') + '!');
      await soon(async () => assert.match(await text(p, '#chantcount'), /^64\/64/));
      await p.locator('#chantsend').click();
      await soon(async () => assert.match(await text(p, '#chantnote'), /sent|已发送|terkirim/i));
      assert.deepEqual(p.errors, []);
      await p.context().close();
    }
  });

  it('the phone and the hub count the same characters (64 is accepted, 65 refused)', async () => {
    const samples = ['a', '加', 'é', 'e\u0301', '👍🏽', '🇮🇩', '👨‍👩‍👧', 'Ayo', '🎸'];
    const ws = new WebSocket(`ws://127.0.0.1:${hub.port}/ws`, 'chorus.v1');
    await new Promise((r) => ws.on('open', r));
    const inbox = [];
    ws.on('message', (d) => inbox.push(decode(d)));
    let id = 1;
    const ask = async (msg) => {
      const mine = id++;
      ws.send(encode({ ...msg, id: mine }));
      for (let i = 0; i < 100; i++) { const a = inbox.find((m) => m.t === 'ack' && m.id === mine); if (a) return a; await sleep(20); }
      throw new Error('no ack');
    };
    ws.send(encode({ t: 'hello', role: 'audience' }));
    await sleep(200);
    for (const s of samples) {
      const unit = charCount(s);
      const times = Math.floor(CHANT_MAX_CHARS / unit);
      const at64 = s.repeat(times);
      const counted = charCount(chantText(at64));
      const bytes = Buffer.byteLength(chantText(at64));
      const ok = await ask({ t: 'chant', text: at64 });
      if (bytes <= 256) assert.equal(ok.ok, true, `${JSON.stringify(s)} x${times} (${counted} characters) is accepted: ${JSON.stringify(ok)}`);
      else assert.equal(ok.code, 'too_long', `${JSON.stringify(s)}: over the byte bound`);
      const over = await ask({ t: 'chant', text: at64 + s });
      assert.equal(over.code, 'too_long', `${JSON.stringify(s)} x${times + 1} (${charCount(chantText(at64 + s))} characters) is refused`);
      await sleep(2100); // the chants rate limit
    }
    ws.close();
  });

  it('an accidental close is undone from the dashboard: the same poll with its votes, everywhere; the report counts it once', async () => {
    const screen = await desk(browser, `${hub.base}/screen?key=${KEYS.screen}`, { width: 1280, height: 720 });
    await openPoll(crew, 'Which song next?', ['Rocker', 'Lullaby']);
    const dlg = crew.getByRole('dialog');
    if (await dlg.isVisible().catch(() => false)) await dlg.getByRole('button', { name: 'Close it and open the new poll' }).click();
    const phones = [];
    for (const lang of ['en', 'zh']) {
      const p = await phone(browser, `${hub.base}/e/${CODE}`, lang);
      await joinIn(p);
      phones.push(p);
    }
    await soon(async () => assert.equal(await text(phones[0], '.question'), 'Which song next?'));
    await vote(phones[0], 'Rocker');
    await vote(phones[1], 'Rocker');
    await closeAndConfirm(crew);
    await soon(async () => assert.match(await text(screen, 'body'), /Final result/i));
    const reopen = crew.getByRole('button', { name: 'Reopen this poll' });
    await reopen.waitFor();
    await shotOf(crew, '.c-pollnow', 'crew-reopen-before');
    await reopen.click();
    await soon(async () => assert.match(await text(crew, '.c-pollnow'), /Open poll.*Which song next\?/i));
    await soon(async () => assert.match(await text(crew, '.c-voters'), /^2 voters$/));
    await soon(async () => assert.doesNotMatch(await text(screen, 'body'), /Final result/i));
    await soon(async () => assert.match(await text(screen, 'body'), /Which song next\?/));
    await soon(async () => assert.match(await text(screen, 'body'), /100%/));
    await snap(screen, 'screen-reopened');
    await shotOf(crew, '.c-pollnow', 'crew-reopen');
    // The phones can vote again (the one that voted keeps its counted vote).
    await soon(async () => assert.equal(await opt(phones[0], 'Lullaby').isDisabled(), true, 'a vote that can not change stays'));
    const third = await phone(browser, `${hub.base}/e/${CODE}`, 'id');
    await joinIn(third);
    await vote(third, 'Lullaby');
    await closeAndConfirm(crew);
    const r = await (await fetch(`${hub.base}/api/report?key=${KEYS.crew}`)).json();
    const polls = r.polls.filter((x) => x.question === 'Which song next?');
    assert.equal(polls.length, 1, 'one poll in the report');
    assert.equal(polls[0].voters, 3);
    for (const p of [...phones, third]) await p.context().close();
    await screen.context().close();
  });

  it('markers are corrected and deleted from the dashboard; screen and stage follow', async () => {
    const screen = await desk(browser, `${hub.base}/screen?key=${KEYS.screen}`, { width: 1280, height: 720 });
    const stage = await desk(browser, `${hub.base}/stage?key=${KEYS.stage}`, { width: 1280, height: 720 });
    const field = crew.locator('#ml');
    await field.fill('Wrong Song');
    await crew.locator('.c-mbtns').getByRole('button', { name: 'Song start' }).click();
    await soon(async () => assert.match(await text(screen, '.s-marker'), /Wrong Song/));
    await field.fill('Tpyo in a note');
    await crew.locator('.c-mbtns').getByRole('button', { name: 'Note' }).click();
    await soon(async () => assert.match(await text(crew, '.c-log'), /Tpyo in a note/));
    await crew.getByRole('button', { name: 'Correct the marker “Wrong Song”' }).click();
    const editor = crew.locator('.c-meditor');
    await editor.locator('input').fill('Right Song');
    await shotOf(crew, '.c-markers + .c-log', 'crew-marker-fix');
    await editor.getByRole('button', { name: 'Save' }).click();
    await soon(async () => assert.match(await text(crew, '.c-playing'), /Right Song/));
    await soon(async () => assert.match(await text(stage, 'body'), /Right Song/));
    await sleep(10500); // the note's flash on the screen is over: now playing shows
    await soon(async () => assert.match(await text(screen, '.s-marker'), /Right Song/));
    await crew.getByRole('button', { name: 'Delete the marker “Tpyo in a note”' }).click();
    await crew.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await soon(async () => assert.doesNotMatch(await text(crew, '.c-log'), /Tpyo/));
    const r = await (await fetch(`${hub.base}/api/report?key=${KEYS.crew}`)).json();
    const labels = JSON.stringify(r.markers || r.timeline?.markers || r);
    assert.match(labels, /Right Song/);
    assert.doesNotMatch(labels, /Wrong Song|Tpyo/);
    // A second crew member sees the corrected list.
    const other = await crewPage(browser, hub.base);
    assert.match(await text(other, '.c-log'), /Right Song/);
    assert.doesNotMatch(await text(other, '.c-log'), /Wrong Song|Tpyo/);
    assert.deepEqual([...screen.errors, ...stage.errors, ...crew.errors], []);
    for (const pg of [screen, stage, other]) await pg.context().close();
  });
});
