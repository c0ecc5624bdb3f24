// analytics.test.mjs -- the crew dashboard's Analytics view against the real
// hub: two phones (real chorus.v1 WebSocket clients) join, vote (one changes
// its vote), react and chant; the crew opens /crew, switches to Analytics and
// reads the figures a person would check. The hub caches /api/report for 2 s,
// so the test presses "Refresh now" until the figures arrive. Errors: a key
// the hub refuses (403, from the real hub), a failed build (500) and a busy
// hub (503) are each shown in words.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { startHub, launch, desk, eventually, text, sleep, KEYS, ARTIFACTS } from './lib.mjs';
import { audience, crew, openPoll, newId } from '../integration/lib.mjs';

async function vote(c, poll, option) {
  const id = newId();
  c.send({ t: 'vote', id, poll, option });
  assert.equal((await c.ack(id)).ok, true, `vote ${option}`);
}

/** Press "Refresh now" (when it is not already loading) until check() passes. */
async function until(page, check, ms = 20000) {
  let pressed = 0;
  await eventually(async () => {
    try { await check(); } catch (e) {
      const btn = page.getByRole('button', { name: 'Refresh now' });
      if (Date.now() - pressed > 1200 && await btn.isEnabled()) { pressed = Date.now(); await btn.click(); }
      throw e;
    }
  }, ms, 200);
}

describe('crew analytics', () => {
  let hub, browser, k, a, b;
  before(async () => {
    hub = await startHub();
    browser = await launch();
    const url = `ws://127.0.0.1:${hub.port}/ws`;
    k = await crew(url);
    a = await audience(url, { section: 'A' });
    b = await audience(url, { section: 'B' });
  });
  after(async () => {
    for (const c of [a, b, k]) c?.close();
    await browser?.close();
    await hub?.stop();
  });

  it('shows the live event\'s figures: reach, funnel, taps, polls, chants', async () => {
    k.send({ t: 'marker', id: newId(), label: 'Opening Anthem', kind: 'song_start' });
    const poll = await openPoll(k, ['Encore', 'Home', 'Maybe'], { question: 'Which song next?', allow_change: true });
    await vote(a, poll, 0);
    await vote(b, poll, 1);
    await vote(b, poll, 0); // b changes its mind: Encore 2, Home 0
    a.send({ t: 'react', kind: 'fire', n: 9 });
    b.send({ t: 'react', kind: 'clap', n: 3 });
    for (let i = 0; i < 2; i++) { a.send({ t: 'chant', id: newId(), text: 'one more song' }); await sleep(300); }

    const page = await desk(browser, `${hub.base}/crew?key=${KEYS.crew}`, { width: 1440, height: 1000 });
    await eventually(async () => assert.match(await text(page, '.pill'), /^Live$/i), 5000);
    const tab = page.getByRole('tab', { name: 'Analytics' });
    await tab.click();
    assert.equal(await tab.getAttribute('aria-selected'), 'true');
    assert.equal(await page.locator('#view-live').isHidden(), true);
    assert.match(page.url(), /#analytics$/);

    const kpi = (cls) => text(page, `.a-k-${cls} .a-kval`);
    await until(page, async () => {
      assert.equal(await kpi('devices'), '2');
      assert.equal(await kpi('taps'), '12');
      assert.match(await text(page, '.a-k-chant'), /“one more song” ×2 from 1 device\b/);
    });
    assert.match(await text(page, '.a-status'), /Updated .* refreshes every 10 s/);
    assert.equal(await kpi('peak'), '2');
    assert.match(await text(page, '.a-k-peak'), /at \+\d+:\d\d/);
    assert.match(await text(page, '.a-k-loud'), /Section A 9 taps per device/);

    // The funnel: counts and shares of the devices that joined.
    const step = (s) => text(page, `.a-step-${s}`);
    assert.match(await step('joined'), /Joined 2 100%/);
    assert.match(await step('reacted'), /Reacted 2 100%/);
    assert.match(await step('voted'), /Voted 2 100%/);
    assert.match(await step('chanted'), /Chanted 1 50%/);
    // The ladder: a did everything, b reacted and voted.
    assert.match(await text(page, '.a-levels'), /Did everything 50% 1 device .*Voted 50% 1 device/);

    // The poll: question, winner, votes per option, the changed vote.
    const p = page.locator(`.a-poll[data-poll="${poll}"]`);
    assert.match(await p.innerText(), /Which song next\?/);
    assert.match(await text(page, `.a-poll[data-poll="${poll}"] .a-win`), /Winner: Encore/);
    const row = (name) => p.getByRole('row', { name: new RegExp(`^${name}`) });
    assert.equal(await row('Encore').locator('.a-ovotes').innerText(), '2');
    assert.equal(await row('Encore').locator('.a-oshare').innerText(), '100%');
    assert.equal(await row('Home').locator('.a-ovotes').innerText(), '0');
    assert.equal(await row('Maybe').locator('.a-ovotes').innerText(), '0');
    assert.match(await text(page, `.a-poll[data-poll="${poll}"] .a-pstats`), /Voters 2 .*Changed vote 1 1 change\b/);

    // The timeline: drawn, described in words, with the marker.
    assert.equal(await page.locator('.a-chart svg').count(), 1);
    assert.match(await page.locator('.a-chart').getAttribute('aria-label'), /up to 2 connected, 1 markers/);
    assert.match(await page.locator('.a-chart svg').innerHTML(), /Opening Anthem/);
    assert.match(await text(page, '.a-chants'), /one more song ×2/);
    assert.match(await text(page, '.a-ret'), /\+0′/);

    // The live view is still there, still live.
    await page.getByRole('tab', { name: 'Live controls' }).click();
    await eventually(async () => assert.match(await text(page, '.c-pollnow'), /Which song next\?.*Encore.*2/));
    await page.getByRole('tab', { name: 'Analytics' }).click();
    await eventually(async () => assert.equal(await kpi('devices'), '2'));

    // A few more seconds of show for the picture: a second song and a wave of taps.
    k.send({ t: 'marker', id: newId(), label: 'Midnight Run', kind: 'song_start' });
    let sent = 12;
    for (let i = 0; i < 14; i++) {
      const n = [3, 8, 15, 24, 30, 22, 12, 6, 4, 9, 18, 26, 14, 5][i];
      (i % 2 ? a : b).send({ t: 'react', kind: i % 3 ? 'heart' : 'fire', n });
      sent += n;
      await sleep(300);
    }
    await until(page, async () => assert.equal(await kpi('taps'), String(sent)));
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'web-crew-analytics.png'), fullPage: true });

    // Another language: the same figures, every label switched.
    await page.getByLabel('Language').selectOption('zh');
    await eventually(async () => assert.equal(await text(page, '#an-h'), '互动数据分析'));
    assert.equal(await page.getByRole('tab', { name: '数据分析' }).getAttribute('aria-selected'), 'true');
    assert.match(await text(page, `.a-poll[data-poll="${poll}"] .a-win`), /胜出：Encore/);
    assert.match(await text(page, '.a-step-voted'), /投票 2 100%/);
    await page.getByLabel('语言').selectOption('en');
    assert.deepEqual(page.errors, []);
  });

  it('shows co-creation: the lift in words, each crowd choice and the song it started', async () => {
    // The hub's own report (lib/report.c) with the co-creation figures of
    // tests/report's "cocreation" database (expect.mjs): a played poll that
    // started Neon Skies, a played tie never started. The figures are
    // computed and asserted by tests/report; here: what the crew reads.
    const page = await desk(browser, null, { width: 1440, height: 1000 });
    let old = false;
    await page.route('**/api/report*', async (route) => {
      const res = await route.fetch();
      const R = await res.json();
      const T = R.event.start_ms;
      R.event.schema_version = old ? 2 : 3;
      R.cocreation = old ? {
        songs: [{ marker: 1, label: 'Warm Up', start_ms: T, end_ms: T + 60000, poll: null, seconds: 60, taps: 20, device_minutes: 4, taps_per_device_minute: 5 }],
        chosen: [], chosen_rate: null, other_rate: 5, lift: null, winning_side: null,
      } : {
        songs: [
          { marker: 1, label: 'Warm Up', start_ms: T + 60000, end_ms: T + 120000, poll: null, seconds: 60, taps: 20, device_minutes: 4, taps_per_device_minute: 5 },
          { marker: 4, label: 'Neon Skies', start_ms: T + 180500, end_ms: T + 300000, poll: 1, seconds: 119, taps: 100, device_minutes: 10.433333, taps_per_device_minute: 9.584665 },
          { marker: 5, label: 'Slow Song', start_ms: T + 300000, end_ms: T + 600000, poll: null, seconds: 300, taps: 72, device_minutes: 26.666667, taps_per_device_minute: 2.7 },
        ],
        chosen: [
          { poll: 1, question: 'What next?', option: 0, label: 'Neon Skies', votes: 3, voters: 4, share: 0.75, played_ms: T + 175000,
            marker: { id: 4, ts_ms: T + 180500, label: 'Neon Skies' } },
          { poll: 2, question: 'Last song?', option: 1, label: 'Rain', votes: 2, voters: 4, share: 0.5, played_ms: T + 460000, marker: null },
        ],
        chosen_rate: 9.584665, other_rate: 3, lift: 3.194888, winning_side: 0.625,
      };
      await route.fulfill({ response: res, json: R });
    });
    await page.goto(`${hub.base}/crew?key=${KEYS.crew}#analytics`);
    await eventually(async () => assert.match(await text(page, '.a-co'), /Co-creation/i), 8000);
    assert.equal(await text(page, '.a-cowords'), 'During the song the crowd chose, each phone tapped 9.6 times a minute; ' +
      'during the other 2 songs 3: 3.2× as much. 63% of voters were on the winning side.');
    const choice = (poll) => text(page, `.a-choice[data-poll="${poll}"]`);
    assert.match(await choice(1), /What next\? Neon Skies 3 of 4 votes · 75% confirmed \+2:55 · [^▶]+ ▶ Neon Skies · started \+3:00/);
    assert.match(await choice(2), /Last song\? Rain 2 of 4 votes · 50% confirmed \+7:40 · .+ not played/);
    assert.match(await text(page, '.a-cobars li.chosen'), /^Neon Skies crowd’s choice 9\.6$/);
    assert.equal(await page.locator('.a-cobars li').count(), 3);
    await page.locator('.a-co').screenshot({ path: join(ARTIFACTS, 'web-crew-analytics-cocreation.png') });

    await page.getByLabel('Language').selectOption('zh');
    await eventually(async () => assert.match(await text(page, '.a-cowords'), /在观众选出的那首歌期间，每台手机每分钟点击 9\.6 次；其他 2 首歌期间为 3 次：是后者的 3\.2 倍。/));
    assert.match(await choice(2), /未演出/);
    await page.getByLabel('语言').selectOption('id');
    await eventually(async () => assert.match(await text(page, '.a-cowords'), /Selama lagu pilihan penonton, tiap ponsel mengetuk 9,6 kali per menit/));
    await page.getByLabel('Bahasa').selectOption('en');

    // A database from before "Play it" (schema v2): said so, the songs still there.
    old = true;
    await page.getByRole('button', { name: 'Refresh now' }).click();
    await eventually(async () => assert.match(await text(page, '.a-co'), /Not recorded: the event’s database is from before “Play it” \(schema v2\)\./));
    assert.equal(await text(page, '.a-cowords'), 'No song was started from a crowd choice yet. During the song, each phone tapped 5 times a minute.');
    assert.deepEqual(page.errors, []);
  });

  it('says so in words when the hub refuses the key, fails or is busy', async () => {
    const page = await desk(browser, null, { width: 1280, height: 900 });
    // The page's WebSocket key is right; its report requests carry a stale one
    // (as after a key change), and the real hub answers 403.
    let mode = 'wrong-key';
    await page.route('**/api/report*', (route) => {
      if (mode === 'wrong-key') return route.continue({ headers: { ...route.request().headers(), authorization: 'Bearer not-the-crew-key' } });
      if (mode === '500') return route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":"database is locked"}' });
      if (mode === '503') return route.fulfill({ status: 503, contentType: 'application/json', body: '{"error":"too many waiting"}' });
      return route.continue();
    });
    await page.goto(`${hub.base}/crew?key=${KEYS.crew}#analytics`);
    await eventually(async () => assert.match(await text(page, '.pill'), /^Live$/i), 5000);
    assert.equal(await page.getByRole('tab', { name: 'Analytics' }).getAttribute('aria-selected'), 'true');
    const alert = '.a-alert';
    await eventually(async () => assert.match(await text(page, alert),
      /The hub refused the crew key for analytics \(403\)\. The key this page holds is not the crew key: forget it and enter it again\./), 8000);
    assert.match(await text(page, '.c-errs'), /report_403/);
    assert.equal(await page.getByRole('button', { name: 'Enter the key again' }).isVisible(), true);
    await page.screenshot({ path: join(ARTIFACTS, 'web-crew-analytics-403.png') });

    mode = 'ok';
    await page.getByRole('button', { name: 'Refresh now' }).click();
    await eventually(async () => assert.match(await text(page, '.a-k-devices'), /Devices joined 2/i), 8000);
    assert.equal(await page.locator(alert).isHidden(), true);

    mode = '500';
    await page.getByRole('button', { name: 'Refresh now' }).click();
    await eventually(async () => assert.match(await text(page, alert), /The hub could not build the report \(500\): database is locked The figures below are from/));
    assert.match(await text(page, '.a-k-devices'), /Devices joined 2/i, 'the last figures stay, marked stale');

    mode = '503';
    await page.getByRole('button', { name: 'Refresh now' }).click();
    await eventually(async () => assert.match(await text(page, alert), /The hub is busy: too many requests are waiting for the report \(503\)/));
    assert.deepEqual(page.errors, []);
  });
});
