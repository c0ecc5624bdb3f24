// crewcontrols.test.mjs -- the crew's clicks that could hurt the show, and
// what a page is told on connect, against the real hub: Open poll over a live
// poll asks first ("This closes the running poll … with N votes") and the
// form clears after a successful open, so a second click can't open a copy;
// the marker field clears after use and offers the event's songs as one-tap
// chips; a second crew member sees the markers, the last closed poll with its
// result and the song now playing (welcome.markers, last_poll, now_playing);
// a phone changes its section on the same WebSocket (the `section` message:
// no reconnect, no new row in the sessions table); the poll, form and marker
// controls fit a crew member's phone at 360 px in English, Chinese and
// Indonesian. Screenshots: tests/artifacts/crew-second-member.png,
// crew-360-{en,zh,id}.png, crew-360-form-id.png, crew-360-markers-id.png.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, launch, text, sleep, CODE } from './lib.mjs';
import { phone, crewPage, joinIn, sentOf, vote, openPoll, closeAndConfirm, snap, shotOf, fits, speak, sqlite, soon } from './crewphone.lib.mjs';

describe('crew controls and the state on connect', () => {
  let hub, browser, crew, pEn, pZh;

  before(async () => {
    hub = await startHub();
    browser = await launch();
    crew = await crewPage(browser, hub.base);
    pEn = await phone(browser, `${hub.base}/e/${CODE}`, 'en');
    pZh = await phone(browser, `${hub.base}/e/${CODE}`, 'zh');
    for (const p of [pEn, pZh]) await joinIn(p);
  });
  after(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('Open poll over a live poll asks first; the form clears, so a second click can not open a copy', async () => {
    await openPoll(crew, 'First?', ['One', 'Two']);
    await soon(async () => assert.match(await text(crew, '.c-pollnow'), /First\?/));
    await vote(pEn, 'Two');
    await soon(async () => assert.match(await text(crew, '.c-voters'), /^1 voters$/), 3000);
    const opened = sentOf(crew, 'poll.open').length;

    await openPoll(crew, 'Second?', ['Three', 'Four']);
    const dlg = crew.getByRole('dialog', { name: 'Open a new poll?' });
    await dlg.waitFor();
    assert.match(await text(crew, 'dialog'), /This closes the running poll “First\?” with 1 vote\./);
    await dlg.getByRole('button', { name: 'Cancel' }).click();
    await sleep(400);
    assert.equal(sentOf(crew, 'poll.open').length, opened, 'Cancel sends nothing');
    assert.match(await text(crew, '.c-pollnow'), /First\?/);
    assert.equal(await crew.getByLabel('Question').inputValue(), 'Second?', 'the form is kept on Cancel');

    await crew.locator('.c-form').getByRole('button', { name: 'Open poll' }).click();
    await dlg.getByRole('button', { name: 'Close it and open the new poll' }).click();
    await soon(async () => assert.match(await text(crew, '.c-pollnow'), /Open poll.*Second\?/i));
    await soon(async () => assert.equal(await text(pEn, '.question'), 'Second?'), 4000);
    await soon(async () => { // cleared once the hub acked the open
      assert.equal(await crew.getByLabel('Question').inputValue(), '');
      assert.equal(await crew.getByLabel('Options').inputValue(), '');
    });
    // A second click: nothing to open (the empty question is refused by the form).
    await crew.locator('.c-form').getByRole('button', { name: 'Open poll' }).click();
    await sleep(400);
    assert.equal(await crew.getByLabel('Question').evaluate((el) => el.validity.valueMissing), true);
    assert.match(await text(crew, '.c-pollnow'), /Open poll.*Second\?/i);
    assert.equal(await crew.getByRole('dialog').count(), 0);
    assert.equal(sentOf(crew, 'poll.open').length, opened + 1);
    await closeAndConfirm(crew);
  });

  it('a second crew member sees the markers, the last result and the song now playing', async () => {
    await openPoll(crew, 'Which encore?', ['Midnight Run', 'Hometown']);
    await soon(async () => assert.match(await text(crew, '.c-pollnow'), /Which encore\?/));
    await vote(pEn, 'Midnight Run');
    await vote(pZh, 'Midnight Run');
    await soon(async () => assert.match(await text(crew, '.c-voters'), /^2 voters$/), 3000);
    await closeAndConfirm(crew);

    // Markers: a song in one tap, the field clears after use.
    assert.match(await text(crew, '.c-playing'), /No song playing/i);
    await crew.getByRole('button', { name: 'Use “Neon Skies” for the marker' }).click();
    assert.equal(await crew.getByLabel('Label').inputValue(), 'Neon Skies');
    await crew.getByRole('button', { name: 'Song start' }).click();
    await soon(async () => assert.match(await text(crew, '.c-playing'), /Now playing Neon Skies/i));
    await soon(async () => assert.equal(await crew.getByLabel('Label').inputValue(), '', 'cleared once the hub acked'));
    await crew.getByLabel('Label').fill('Guitar solo');
    await crew.getByRole('button', { name: 'Note' }).click();
    await soon(async () => assert.equal(await crew.getByLabel('Label').inputValue(), ''));
    await crew.getByRole('button', { name: 'Use “Midnight Run” for the marker' }).click();
    await crew.getByRole('button', { name: 'Song start' }).click();
    await soon(async () => assert.match(await text(crew, '.c-playing'), /Now playing Midnight Run/i));

    const b = await crewPage(browser, hub.base, { width: 1280, height: 1000 });
    const state = async () => {
      assert.match(await text(b, '.c-pollnow'), /Last poll \(closed\).*Which encore\?.*Midnight Run\s*2\s*100%.*Hometown\s*0\s*0%/i);
      assert.match(await text(b, '.c-voters'), /^2 voters$/);
      assert.match(await text(b, '.c-playing'), /Now playing Midnight Run/i);
      const log = await text(b, '.c-markers + .c-log');
      assert.match(log, /Song start Midnight Run.*Note Guitar solo.*Song start Neon Skies/i);
      assert.doesNotMatch(log, /No markers yet/i);
      assert.doesNotMatch(await text(b, '.c-pollnow'), /No poll is open/i);
    };
    await soon(state, 4000);
    await b.reload();
    await soon(async () => assert.match(await text(b, '.pill'), /^Live$/i), 5000);
    await soon(state, 4000);
    await snap(b, 'crew-second-member', true);

    // "Song end" with an empty field ends the song now playing, for both.
    await crew.getByRole('button', { name: 'Song end' }).click();
    for (const c of [crew, b]) await soon(async () => assert.match(await text(c, '.c-playing'), /No song playing/i), 3000);
    assert.equal(sentOf(crew, 'marker').at(-1).label, 'Midnight Run');
    for (const p of [crew, b]) assert.deepEqual(p.errors, []);
  });

  it('a phone changes its section on the same connection: no reconnect, no new session', async () => {
    const p = await phone(browser, `${hub.base}/e/${CODE}`, 'en');
    await joinIn(p, 'A');
    await soon(async () => assert.match(await text(p, '.section-chip'), /^Section A$/));
    await soon(async () => assert.match(await text(crew, '.c-secs'), /Section A 1/), 4000);
    await sleep(600); // the session row of the connection is stored
    const sockets = p.sockets;
    const sessions = sqlite(hub.db, 'SELECT count(*) FROM sessions');
    assert.equal(sentOf(p, 'section').length, 1, 'the first pick is a section message too');

    await p.getByRole('button', { name: 'Section A' }).click();
    await p.locator('#sections').getByRole('button', { name: 'Section C' }).click();
    await soon(async () => assert.match(await text(p, '.section-chip'), /^Section C$/));
    assert.equal(sentOf(p, 'section').at(-1).section, 'C');
    await soon(async () => {
      const secs = await text(crew, '.c-secs');
      assert.match(secs, /Section A 0/);
      assert.match(secs, /Section C 1/);
    }, 4000);
    // "No section" is offered once a section is set.
    await p.getByRole('button', { name: 'Section C' }).click();
    await p.locator('#sections').getByRole('button', { name: 'No section' }).click();
    await soon(async () => assert.match(await text(p, '.section-chip'), /^Pick section$/));
    assert.equal(sentOf(p, 'section').at(-1).section, '');
    await soon(async () => assert.match(await text(crew, '.c-secs'), /Section C 0/), 4000);
    await sleep(600);
    assert.equal(p.sockets, sockets, 'the same WebSocket');
    assert.match(await text(p, '.pill'), /^Live$/i);
    assert.equal(sqlite(hub.db, 'SELECT count(*) FROM sessions'), sessions, 'no new session row');
    assert.equal(sentOf(p, 'hello').length, 1, 'one hello');
    assert.deepEqual(p.errors, []);
    await p.context().close();
  });

  it('the poll, form and marker controls fit a crew member\'s phone in every language', async () => {
    await openPoll(crew, 'Last one tonight?', ['Encore Medley', 'Opening Anthem'], 'When I reveal them');
    await soon(async () => assert.match(await text(crew, '.c-pollnow'), /Last one tonight\?/));
    await vote(pEn, 'Encore Medley');
    const m = await crewPage(browser, hub.base, { width: 360, height: 740, mobile: true });
    m.lang = 'en';
    const check = async (lang, re) => {
      await soon(async () => assert.match(await text(m, '.c-pollnow'), re));
      await fits(m); // the whole page: nothing sideways, nothing out of its card
    };
    await check('en', /Hidden from screens and phones.*Reveal results.*Encore Medley\s*1\s*100%/i);
    assert.match(await text(m, '.c-reveal'), /Live After the vote closes When I reveal them/);
    await shotOf(m, '.c-pollcard', 'crew-360-en');
    for (const [lang, label, re] of [['zh', '简体中文', /对屏幕和手机隐藏.*公布结果/], ['id', 'Bahasa Indonesia', /Disembunyikan dari layar dan ponsel.*Tampilkan hasil/i]]) {
      await speak(m, label);
      m.lang = lang;
      await check(lang, re);
      await shotOf(m, '.c-pollcard', `crew-360-${lang}`);
    }
    await shotOf(m, '.c-formcard', 'crew-360-form-id');
    await shotOf(m, '.c-card:has(.c-markers)', 'crew-360-markers-id');
    // The confirmation fits too (Indonesian, the longest).
    await m.locator('.c-pollnow').getByRole('button', { name: 'Tutup voting' }).click();
    await m.getByRole('dialog').waitFor();
    assert.match(await text(m, 'dialog'), /Voting untuk “Last one tonight\?” berhenti di semua ponsel, dengan 1 suara\./);
    await fits(m, 'dialog');
    await m.getByRole('dialog').getByRole('button', { name: 'Batal' }).click();
    assert.deepEqual(m.errors, []);
  });
});
