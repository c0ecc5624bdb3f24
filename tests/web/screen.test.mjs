// screen.test.mjs -- the venue screen and the stage view against the real
// hub, driven by a crew and phones speaking the protocol (tests/integration's
// client), so the pages alone are under test:
//   - every option of a 12-option poll with the longest labels is on screen
//     (inside the window, not cut, not covered) at 1920x1080, 1280x720,
//     1024x768 and 1080x1920, open and closed with its winner, with and
//     without the song now playing and the chants;
//   - a reloaded screen or stage shows the hub's state (the last result, the
//     song now playing), the same as one that stayed on;
//   - hidden results (reveal on_close/manual) show the votes coming in, never
//     bars or percentages, until revealed;
//   - the chant band says something true once chants went quiet;
//   - the stage: no "poll open" tile without a poll, the question whole with
//     no votes, the leader's votes out of the total, the song now playing.
// Screenshots: tests/artifacts/web-screen-12-{open,closed}-<size>.png,
// web-screen-hidden*.png, web-stage-*.png.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, launch, desk, shot, eventually, text, call, KEYS, sleep } from './lib.mjs';
import { Client } from '../integration/lib.mjs';

const SIZES = [[1920, 1080], [1280, 720], [1024, 768], [1080, 1920]];

/** s cut or padded to exactly n UTF-8 bytes (ASCII padding). */
function bytes(s, n) {
  let out = '';
  for (const ch of s) {
    if (Buffer.byteLength(out + ch) > n) break;
    out += ch;
  }
  while (Buffer.byteLength(out) < n) out += '!';
  return out;
}
// Twelve options of 64 bytes: long words, a CJK title, an unbreakable run.
const LONG = [
  'Bohemian Rhapsody (Live at Wembley Stadium, 1986) — Remastered',
  'Wonderwall, Acoustic Version Featuring the Whole Audience Singing',
  'Smells Like Teen Spirit / Come As You Are / Lithium Medley Tonight',
  '月亮代表我的心（现场版）加长版本大合唱特别版本',
  'WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW',
  'Don’t Stop Me Now — Extended Singalong Mix With Extra Drum Solo',
  'Sweet Child O’ Mine (Including the Full Seven-Minute Guitar Solo)',
  'Hotel California: The Twelve-String Unplugged Version, Encore One',
  'Bring Me To Life / Going Under / My Immortal — The Evanescence Set',
  'Stairway to Heaven, Played Slowly With the Crowd Holding Lighters',
  'Mr. Brightside Again Because Everybody Always Wants It One More Ti',
  'Kopi Dangdut Remix Spesial Untuk Semua Penonton Malam Hari Ini Ya',
].map((s) => bytes(s, 64));
const LONG_Q = bytes('Which one of these twelve songs should the band play as the very last encore of tonight’s show, after the fireworks and the thank-yous, before the lights come up again?', 200);
const SONG = bytes('Encore Medley: Hometown, Neon Skies and Midnight Run (Extended!)', 64);
const CHANTS = ['One more song! One more song! One more song! One more song!!!!',
  'We love you Demo Night, we love you, we love you, we love you!!!!!',
  'Louder! Louder! Louder! Louder! Louder! Louder! Louder! Louder!!!',
  'Encore! Encore! Encore! Encore! Encore! Encore! Encore! Encore!!!',
  'Play Neon Skies again please, the whole thing from the start!!!!!'].map((s) => bytes(s, 64));

async function client(hub, hello) {
  const c = await Client.connect(`ws://127.0.0.1:${hub.port}/ws`);
  const w = await c.hello(hello);
  assert.equal(w.t, 'welcome', JSON.stringify(w));
  return c;
}

/**
 * What a person in the room can read of the poll: for every option, whether
 * its label is wholly inside the window and the poll's box, not cut by its
 * own box, not covered, and its type's size in real pixels; the same for the
 * figures (when shown) and the winner badge.
 */
function pollOnScreen(page) {
  return page.evaluate(() => {
    const vw = innerWidth, vh = innerHeight;
    const box = document.querySelector('.s-poll').getBoundingClientRect();
    const inside = (r) => r.width > 0 && r.height > 0 && r.left >= -0.5 && r.top >= -0.5 && r.right <= vw + 0.5 && r.bottom <= vh + 0.5
      && r.left >= box.left - 0.5 && r.right <= box.right + 0.5 && r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5;
    const seen = (el) => {
      if (!el) return false;
      const r = el.getBoundingClientRect();
      const cs = getComputedStyle(el);
      if (!inside(r) || cs.visibility !== 'visible' || Number(cs.opacity) === 0 || cs.display === 'none') return false;
      // Its text, line boxes and all, inside the window and the poll's box,
      // and not cut by its own box.
      const rg = document.createRange();
      rg.selectNodeContents(el);
      const tr = rg.getBoundingClientRect();
      const slack = parseFloat(cs.fontSize) * 0.3 * (r.height / (el.offsetHeight || r.height));
      if (!inside(tr) || tr.left < r.left - 2 || tr.right > r.right + 2 || tr.top < r.top - slack || tr.bottom > r.bottom + slack) return false;
      if (cs.overflow !== 'visible' && (el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1)) return false;
      if (cs.textOverflow === 'ellipsis' && el.scrollWidth > el.clientWidth + 1) return false;
      for (const [fx, fy] of [[0.1, 0.2], [0.5, 0.5], [0.9, 0.8]]) {
        const hit = document.elementFromPoint(r.left + r.width * fx, r.top + r.height * fy);
        if (!hit || !(el.contains(hit) || hit.contains(el) || hit.closest('.s-row') === el.closest('.s-row'))) return false;
      }
      return true;
    };
    const scale = box.width / document.querySelector('.s-poll').offsetWidth;
    const q = document.querySelector('.s-question');
    return {
      question: q ? { text: q.innerText, seen: seen(q) } : null,
      tag: document.querySelector('.s-tag')?.innerText || '',
      voters: document.querySelector('.s-voters')?.innerText || '',
      rows: [...document.querySelectorAll('.s-row')].map((row) => {
        const label = row.querySelector('.s-label');
        const fig = row.querySelector('.s-fig');
        const win = row.querySelector('.s-win');
        return {
          label: label.firstChild.textContent,
          seen: seen(label),
          px: parseFloat(getComputedStyle(label).fontSize) * scale,
          fig: fig ? { text: fig.innerText.replace(/\s+/g, ' ').trim(), seen: seen(row.querySelector('.s-pct')) } : null,
          bar: !!row.querySelector('.s-track'),
          win: win ? { text: win.innerText, seen: seen(win) } : null,
        };
      }),
      pctAnywhere: /\d%/.test(document.querySelector('.s-poll').innerText),
    };
  });
}

/** Assert every option (and its figures / the winner badge) is readable. */
function assertAllShown(info, what, { figures = true, winner = null, labels = LONG } = {}) {
  assert.ok(info.question?.seen, `${what}: the question is cut or off screen`);
  assert.equal(info.rows.length, labels.length, what);
  for (const [i, r] of info.rows.entries()) {
    assert.equal(r.label, labels[i], `${what}: option ${i + 1}`);
    assert.ok(r.seen, `${what}: option ${i + 1} “${r.label}” is cut, covered or off screen`);
    assert.ok(r.px >= 10.5, `${what}: option ${i + 1} is ${r.px.toFixed(1)} px high`);
    if (figures) assert.ok(r.fig?.seen, `${what}: the figures of option ${i + 1} are not visible`);
    if (winner !== null) {
      if (i === winner) assert.ok(r.win?.seen, `${what}: the winner badge is not visible`);
      else assert.equal(r.win, null, `${what}: option ${i + 1} is not the winner`);
    }
  }
}

describe('venue screen and stage', () => {
  let hub, browser, crew, phones, screen;

  before(async () => {
    hub = await startHub();
    browser = await launch();
    crew = await client(hub, { role: 'crew', key: KEYS.crew });
    phones = [];
    for (let i = 0; i < 12; i++) phones.push(await client(hub, { role: 'audience' }));
  });
  after(async () => {
    for (const c of [crew, ...(phones || [])]) c?.ws.terminate();
    await browser?.close();
    await hub?.stop();
  });

  const openPoll = async (question, options, extra = {}) => (await call(crew, { t: 'poll.open', question, options, ...extra })).poll;
  // picks[i]: the option phone from+i votes for.
  const vote = async (poll, picks, from = 0) => { for (const [i, option] of picks.entries()) await call(phones[from + i], { t: 'vote', poll, option }); };
  let poll12 = 0;
  const marker = (label, kind) => call(crew, { t: 'marker', label, kind });

  async function everySize(page, name, opts) {
    for (const [w, hgt] of SIZES) {
      await page.setViewportSize({ width: w, height: hgt });
      const what = `${name} at ${w}x${hgt}`;
      // The fit runs on the next frame after a resize.
      await eventually(async () => assertAllShown(await pollOnScreen(page), what, opts), 3000, 100);
      if (opts.shot) await shot(page, `${opts.shot}-${w}x${hgt}`);
    }
  }

  it('before any poll or chant: the screen invites, and says nothing untrue about chants', async () => {
    screen = await desk(browser, `${hub.base}/screen?key=${KEYS.screen}`, { width: 1920, height: 1080 });
    await eventually(async () => assert.match(await text(screen, '.s-idle'), /Tap along on your phone/));
    await eventually(async () => assert.equal(await text(screen, '.s-chants'), 'Quiet right now — send a chant from your phone'));
    const stage = await desk(browser, `${hub.base}/stage?key=${KEYS.stage}`);
    await eventually(async () => assert.match(await text(stage, '.st-head'), /Demo Night/));
    // No poll: no "POLL OPEN —" tile.
    assert.equal(await stage.locator('.st-timertile').isVisible(), false);
    assert.doesNotMatch(await stage.locator('main').innerText(), /Poll open/i);
    await shot(stage, 'stage-nopoll');
    // No poll, a song: the stage's big tile names it; its end clears it.
    await marker('Opening Anthem', 'song_start');
    await eventually(async () => assert.match(await text(stage, '.st-leadtile'), /^Now playing Opening Anthem$/i), 3000);
    assert.equal(await stage.locator('.st-timertile').isVisible(), false);
    await shot(stage, 'stage-nopoll-song');
    await marker('Opening Anthem', 'song_end');
    await eventually(async () => assert.match(await text(stage, '.st-leadtile'), /^No poll$/), 3000);
    await eventually(async () => assert.match(await text(screen, '.s-marker'), /Thank you! Opening Anthem/i), 3000);
    assert.deepEqual(stage.errors, []);
    await stage.context().close();
    // The thank-you shows for 10 s, then the header is the event's again.
    await eventually(async () => assert.equal(await screen.locator('.s-marker').isVisible(), false), 12000, 200);
  });

  it('a 12-option poll with 64-byte labels: every option on screen at every size, open', async () => {
    poll12 = await openPoll(LONG_Q, LONG);
    await vote(poll12, [1, 1, 1, 4, 7, 11]);
    await eventually(async () => assert.match(await text(screen, '.s-polltop'), /6 voters/), 3000);
    await everySize(screen, 'open, no song, no chants', { figures: true, shot: 'screen-12-open' });
    // With the song now playing (64 bytes) and five 64-byte chants.
    await marker(SONG, 'song_start');
    for (const [i, c] of CHANTS.entries()) await call(phones[i], { t: 'chant', text: c });
    await eventually(async () => assert.match(await text(screen, '.s-marker'), /Now playing/i), 3000);
    await eventually(async () => assert.match(await text(screen, '.s-chants'), /×1/), 3000);
    await everySize(screen, 'open, song and chants', { figures: true, shot: 'screen-12-open-song' });
    // The song's name is whole too.
    const m = await screen.locator('.s-mlabel').evaluate((el) => ({ text: el.innerText, cut: el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1 }));
    assert.equal(m.text, SONG);
    assert.equal(m.cut, false);
  });

  it('closed: the winner, marked, with every option, at every size', async () => {
    await call(crew, { t: 'poll.close', poll: poll12 });
    await eventually(async () => assert.match(await text(screen, '.s-polltop'), /Final result/i), 3000);
    await everySize(screen, 'closed, song and chants', { figures: true, winner: 1, shot: 'screen-12-closed' });
  });

  it('a reloaded screen and a new one show the last result and the song, like the one that stayed on', async () => {
    const picture = async (p) => ({
      top: await text(p, '.s-polltop'), q: await text(p, '.s-question'),
      rows: await p.locator('.s-row').evaluateAll((els) => els.map((e) => e.innerText.replace(/\s+/g, ' ').trim())),
      marker: await text(p, '.s-marker'),
    });
    await screen.setViewportSize({ width: 1920, height: 1080 });
    const stayed = await picture(screen);
    assert.match(stayed.top, /Final result.*6 voters/i);
    assert.match(stayed.marker, /Now playing/i);
    const fresh = await desk(browser, `${hub.base}/screen?key=${KEYS.screen}`, { width: 1920, height: 1080 });
    await eventually(async () => assert.deepEqual(await picture(fresh), stayed), 5000);
    assertAllShown(await pollOnScreen(fresh), 'a new screen', { winner: 1 });
    await fresh.reload();
    await eventually(async () => assert.deepEqual(await picture(fresh), stayed), 5000);
    await shot(fresh, 'screen-reloaded');
    // The stage too: the last result and the song.
    const stage = await desk(browser, `${hub.base}/stage?key=${KEYS.stage}`);
    await eventually(async () => assert.match(await text(stage, '.st-leadtile'), /Poll closed.*Wonderwall, Acoustic.*50% 3 of 6 votes/i), 5000);
    await eventually(async () => assert.match(await text(stage, '.st-song'), /Now playing Encore Medley/i));
    // song_end clears "now playing" everywhere, live and after a reload.
    await marker(SONG, 'song_end');
    await eventually(async () => assert.equal(await stage.locator('.st-song').isVisible(), false), 3000);
    await eventually(async () => assert.match(await text(screen, '.s-marker'), /Thank you!/i), 3000);
    await fresh.reload();
    await eventually(async () => assert.match(await text(fresh, '.s-polltop'), /Final result/i), 5000);
    // The song's end is 0 s old: the fresh screen says thank you like the others, and no song plays.
    await eventually(async () => assert.match(await text(fresh, '.s-marker'), /Thank you!/i), 3000);
    await marker('Slow Burn', 'song_start');
    await eventually(async () => assert.match(await text(screen, '.s-marker'), /Now playing Slow Burn/i), 3000);
    await eventually(async () => assert.match(await text(fresh, '.s-marker'), /Now playing Slow Burn/i), 3000);
    await eventually(async () => assert.match(await text(stage, '.st-song'), /Now playing Slow Burn/i), 3000);
    for (const p of [fresh, stage]) { assert.deepEqual(p.errors, []); await p.context().close(); }
  });

  it('hidden results (on_close): options and votes coming in, no bars or percentages, until the close', async () => {
    const stage = await desk(browser, `${hub.base}/stage?key=${KEYS.stage}`);
    const poll = await openPoll('Which song next?', ['Midnight Run', 'Neon Skies', 'Hometown', 'Slow Burn'], { reveal: 'on_close' });
    await vote(poll, [2, 2, 0]);
    await eventually(async () => assert.match(await text(screen, '.s-polltop'), /3 votes so far — results after the vote/), 3000);
    const info = await pollOnScreen(screen);
    assert.equal(info.pctAnywhere, false, 'no percentage while hidden');
    assert.deepEqual(info.rows.map((r) => [r.label, r.seen, r.fig, r.bar]),
      ['Midnight Run', 'Neon Skies', 'Hometown', 'Slow Burn'].map((l) => [l, true, null, false]));
    await eventually(async () => assert.match(await text(stage, '.st-leadtile'), /Results hidden Which song next\? 3 votes so far/i), 3000);
    assert.doesNotMatch(await text(stage, '.st-leadtile'), /%|Hometown/);
    await shot(screen, 'screen-hidden-open');
    await shot(stage, 'stage-hidden');
    await call(crew, { t: 'poll.close', poll });
    await eventually(async () => assert.match(await text(screen, '.s-polltop'), /Final result.*3 voters/i), 3000);
    await eventually(async () => assert.match(await text(screen, '.s-row:nth-child(3)'), /Hometown.*Winner.*2\s*67%/i), 3000);
    await eventually(async () => assert.match(await text(stage, '.st-leadtile'), /Poll closed Which song next\? Hometown 67% 2 of 3 votes/i), 3000);
    assert.deepEqual(stage.errors, []);
    await stage.context().close();
  });

  it('hidden results (manual): still hidden after the close and after a reload, shown on reveal', async () => {
    const poll = await openPoll('Best solo tonight?', ['Guitar', 'Drums', 'Keys'], { reveal: 'manual' });
    await vote(poll, [1]);
    await eventually(async () => assert.match(await text(screen, '.s-polltop'), /1 vote so far — results after the vote/), 3000);
    await call(crew, { t: 'poll.close', poll });
    await eventually(async () => assert.match(await text(screen, '.s-polltop'), /Voting closed 1 vote — results coming soon/i), 3000);
    assert.equal((await pollOnScreen(screen)).pctAnywhere, false);
    const fresh = await desk(browser, `${hub.base}/screen?key=${KEYS.screen}`, { width: 1280, height: 720 });
    await eventually(async () => assert.match(await text(fresh, '.s-polltop'), /Voting closed 1 vote — results coming soon/i), 5000);
    assert.equal((await pollOnScreen(fresh)).pctAnywhere, false);
    await shot(fresh, 'screen-hidden-closed');
    await call(crew, { t: 'poll.reveal', poll });
    for (const p of [screen, fresh]) {
      await eventually(async () => assert.match(await text(p, '.s-polltop'), /Final result.*1 voter/i), 3000);
      await eventually(async () => assert.match(await text(p, '.s-row:nth-child(2)'), /Drums.*Winner.*1\s*100%/i), 3000);
    }
    // Revealed while open: the bars come with the next snapshot.
    const p2 = await openPoll('Louder?', ['Yes', 'No'], { reveal: 'manual' });
    await vote(p2, [0, 0, 1]);
    await eventually(async () => assert.match(await text(fresh, '.s-polltop'), /3 votes so far/), 3000);
    assert.equal((await pollOnScreen(fresh)).pctAnywhere, false);
    await call(crew, { t: 'poll.reveal', poll: p2 });
    await eventually(async () => assert.match(await text(fresh, '.s-row:nth-child(1)'), /Yes.*2\s*67%/), 3000);
    await eventually(async () => assert.match(await text(fresh, '.s-polltop'), /Vote 3 voters/i), 3000);
    await call(crew, { t: 'poll.close', poll: p2 });
    assert.deepEqual(fresh.errors, []);
    await fresh.context().close();
  });

  it('the stage: the question whole with no votes, the leader\'s votes out of the total, the song', async () => {
    const stage = await desk(browser, `${hub.base}/stage?key=${KEYS.stage}`);
    const poll = await openPoll(LONG_Q, ['Midnight Run', 'Neon Skies', 'Hometown']);
    // The text (its line boxes) wholly inside its tile and the window.
    const whole = (sel) => stage.locator(sel).evaluate((el) => {
      const rg = document.createRange();
      rg.selectNodeContents(el);
      const r = rg.getBoundingClientRect();
      const tile = el.closest('.st-tile').getBoundingClientRect();
      return el.innerText.length > 0 && r.height > 0 && r.top >= tile.top && r.bottom <= tile.bottom && r.left >= tile.left && r.right <= tile.right
        && r.bottom <= innerHeight && r.right <= innerWidth && getComputedStyle(el).display !== 'none'
        // not cut by its own box (a line clamp, an ellipsis)
        && (getComputedStyle(el).overflow === 'visible' || (el.scrollHeight <= el.clientHeight + 2 && el.scrollWidth <= el.clientWidth + 1));
    });
    await eventually(async () => assert.match(await text(stage, '.st-leadtile'), /No votes yet/), 3000);
    assert.equal(await text(stage, '.st-q'), LONG_Q);
    assert.ok(await whole('.st-q'), 'the question is cut');
    assert.equal(await stage.locator('.st-timertile').isVisible(), true);
    await shot(stage, 'stage-novotes');
    await vote(poll, [1, 1, 1, 0, 0, 2]);
    await eventually(async () => assert.match(await text(stage, '.st-leadtile'), /Leading .* Neon Skies 50% 3 of 6 votes/i), 3000);
    assert.ok(await whole('.st-q'), 'the question is cut');
    assert.ok(await whole('.st-lead'), 'the leader is cut');
    assert.doesNotMatch(await text(stage, '.st-leadtile'), /50% 6 votes/);
    await vote(poll, [0], 6); // a tie: 3 and 3
    await eventually(async () => assert.match(await text(stage, '.st-leadtile'), /Tied .* Midnight Run = Neon Skies 43% 3 of 7 votes each/i), 3000);
    await marker('Neon Skies', 'song_start');
    await eventually(async () => assert.match(await text(stage, '.st-song'), /Now playing Neon Skies/i), 3000);
    await stage.setViewportSize({ width: 1920, height: 1080 });
    await sleep(300);
    assert.ok(await whole('.st-q'), 'the question is cut at 1920x1080');
    await shot(stage, 'stage-leading');
    await call(crew, { t: 'poll.close', poll });
    assert.deepEqual(stage.errors, []);
    await stage.context().close();
  });

  it('four songs at 1920x1080 and every other size: all four on screen, open and with the winner (the fourth)', async () => {
    const labels = ['Midnight Run', 'Neon Skies', 'Hometown', 'Encore Medley'];
    const poll = await openPoll('Which song next?', labels);
    await vote(poll, [3, 3, 0, 1, 3]);
    await eventually(async () => assert.match(await text(screen, '.s-row:nth-child(4)'), /Encore Medley.*3\s*60%/), 3000);
    await everySize(screen, 'four songs, open', { labels });
    await call(crew, { t: 'poll.close', poll });
    await eventually(async () => assert.match(await text(screen, '.s-polltop'), /Final result/i), 3000);
    await everySize(screen, 'four songs, closed', { labels, winner: 3, shot: 'screen-4-closed' });
    await screen.setViewportSize({ width: 1920, height: 1080 });
  });

  it('chants that aged out of the 30 s window: the screen says so truthfully', async () => {
    // The five chants of the second test were sent more than 30 s ago by now,
    // or soon will be: the screen that saw them says they went quiet lately.
    await eventually(async () => assert.equal(await text(screen, '.s-chants'), 'No chants in the last 30 seconds — send one from your phone'), 45000, 200);
    assert.doesNotMatch(await text(screen, '.s-chants'), /No chants yet/);
    // A reloaded screen can not tell "never" from "not lately": it says neither.
    await screen.reload();
    await eventually(async () => assert.equal(await text(screen, '.s-chants'), 'Quiet right now — send a chant from your phone'), 5000);
    const box = await screen.locator('.s-chants li.none').boundingBox();
    assert.ok(box && box.y + box.height <= 1080 && box.x + box.width <= 1920, 'the line is on screen');
    // Chants closed by the crew: no invitation to send one.
    await call(crew, { t: 'mod', action: 'mode', mode: 'off' });
    await eventually(async () => assert.equal(await text(screen, '.s-chants'), 'Chants are paused'), 3000);
    await call(crew, { t: 'mod', action: 'mode', mode: 'auto' });
    await eventually(async () => assert.equal(await text(screen, '.s-chants'), 'Quiet right now — send a chant from your phone'), 3000);
    assert.deepEqual(screen.errors, []);
  });
});
