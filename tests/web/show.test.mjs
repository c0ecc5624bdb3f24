// show.test.mjs -- a whole show in the browser: crew opens a poll, two phones
// vote, the screen and the stage follow, reactions raise the screen's
// totals, crew closes the poll and the phones say so. Screenshots of every
// page go to tests/artifacts/web-*.png.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, launch, phone, desk, shot, eventually, text, joinPhone, KEYS, CODE, sleep } from './lib.mjs';

const QUESTION = 'Which song next?';

describe('a show', () => {
  let hub, browser, crew, screen, stage, p1, p2;

  before(async () => {
    hub = await startHub();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('crew, screen and stage connect with their keys', async () => {
    crew = await desk(browser, `${hub.base}/crew?key=${KEYS.crew}`, { width: 1440, height: 1000 });
    screen = await desk(browser, `${hub.base}/screen?key=${KEYS.screen}`);
    stage = await desk(browser, `${hub.base}/stage?key=${KEYS.stage}`);
    await eventually(async () => assert.match(await text(crew, 'header'), /Demo Night/));
    assert.equal(new URL(crew.url()).searchParams.get('key'), null); // taken out of the address bar once remembered
    await eventually(async () => assert.match(await text(screen, '.s-head'), /Demo Night/));
    await eventually(async () => assert.equal(await text(screen, '.s-code'), CODE));
    // The QR code and the address under it point at the hub's public URL.
    assert.equal(await text(screen, '.s-url'), `127.0.0.1:${hub.port}/e/${CODE}`);
    assert.equal(await screen.getByRole('img', { name: 'Scan to join' }).count(), 1);
    await eventually(async () => assert.match(await text(stage, '.st-head'), /Demo Night/));
    assert.match(await text(screen, '.s-idle'), /Tap along on your phone/);
    await shot(screen, 'screen-idle');
  });

  it('two phones join (one picks a section)', async () => {
    p1 = await phone(browser, `${hub.base}/e/${CODE}`);
    p2 = await phone(browser, `${hub.base}/e/${CODE}`);
    assert.match(await text(p1, 'main'), /Welcome to/i);
    await shot(p1, 'phone-join');
    await joinPhone(p1, 'B');
    await joinPhone(p2);
    await eventually(async () => assert.match(await text(p1, '.section-chip'), /Section B/));
    await eventually(async () => assert.match(await text(screen, '.s-aud'), /^2 /), 4000);
    await eventually(async () => assert.match(await text(p1, '.pollcard'), /No vote right now/));
    await eventually(async () => assert.match(await text(crew, '.c-secs'), /Section B 1/), 4000);
  });

  it('crew opens a poll from the songs and the phones show it', async () => {
    await crew.getByLabel('Question').fill(QUESTION);
    for (const s of ['Midnight Run', 'Neon Skies', 'Hometown']) await crew.getByRole('button', { name: s, exact: true }).click();
    assert.equal(await crew.getByLabel('Options').inputValue(), 'Midnight Run\nNeon Skies\nHometown');
    await crew.getByRole('button', { name: 'Open poll' }).click();
    await eventually(async () => assert.match(await text(crew, '.c-pollnow'), /Open poll.*Which song next\?.*Close poll/i));
    for (const p of [p1, p2]) await eventually(async () => assert.equal(await text(p, '.question'), QUESTION), 3000);
    await eventually(async () => assert.equal(await text(screen, '.s-question'), QUESTION));
    await eventually(async () => assert.match(await text(stage, '.st-leadtile'), /Leading.*Which song next\?/i));
  });

  it('two phones vote; "counted" only after the ack; the screen shows the counts within 1 s', async () => {
    await p1.getByRole('button', { name: /^Neon Skies/ }).click();
    await p2.getByRole('button', { name: /^Neon Skies/ }).click();
    for (const p of [p1, p2]) {
      await eventually(async () => assert.match(await text(p, '.vstatus'), /Your vote for “Neon Skies” is counted\./), 3000);
      assert.equal(await p.getByRole('button', { name: /^Neon Skies/ }).getAttribute('aria-pressed'), 'true');
    }
    const counted = Date.now();
    await eventually(async () => {
      const row = await text(screen, '.s-row:nth-child(2)');
      assert.match(row, /Neon Skies.*2\s*100%/);
    }, 1000, 20);
    const took = Date.now() - counted;
    assert.ok(took <= 1000, `screen took ${took} ms`);
    assert.match(await text(screen, '.s-row:nth-child(1)'), /Midnight Run.*0\s*0%/);
    await eventually(async () => assert.match(await text(screen, '.s-polltop'), /2 voters/), 1000);
    await eventually(async () => assert.match(await text(stage, '.st-leadtile'), /Leading Which song next\? Neon Skies 100%/i), 2000);
    // The poll does not allow a change: the other options are disabled.
    assert.equal(await p1.getByRole('button', { name: /^Hometown/ }).isDisabled(), true);
    assert.match(await text(p1, '.vstatus'), /You can’t change this vote\./);
  });

  it('reactions tapped on a phone raise the screen\'s totals', async () => {
    const before = await screenTotal(screen, 'Fire');
    const fire = p1.getByRole('button', { name: 'Send Fire' });
    const t0 = Date.now();
    for (let i = 0; i < 12; i++) await fire.click();
    const tapping = Date.now() - t0;
    // Batched: at most one react frame per 250 ms, all 12 taps accounted for.
    await eventually(async () => {
      const reacts = p1.sent.filter((f) => f.at >= t0 && f.msg.t === 'react');
      assert.equal(reacts.reduce((a, f) => a + f.msg.n, 0), 12);
      assert.ok(reacts.length <= Math.ceil(tapping / 250) + 1, `${reacts.length} frames in ${tapping} ms`);
      assert.ok(reacts.every((f) => f.msg.kind === 'fire'));
    }, 2000);
    assert.equal(await text(p1, '[data-kind="fire"] .mine'), '12');
    await eventually(async () => assert.equal(await screenTotal(screen, 'Fire'), before + 12), 3000);
    const heart = p2.getByRole('button', { name: 'Send Love' });
    for (let i = 0; i < 30; i++) await heart.click();
    await eventually(async () => assert.equal(await screenTotal(screen, 'Love'), 30), 3000);
  });

  it('a chant sent from one phone shows on the other phone, the screen and the stage', async () => {
    await p2.getByLabel('Your chant').fill('One more song!');
    await p2.getByRole('button', { name: 'Send', exact: true }).click();
    await eventually(async () => assert.match(await text(screen, '.s-chants'), /One more song! ×1/), 3000);
    await eventually(async () => assert.match(await text(p1, '#chants'), /One more song!/), 3000);
    await p1.getByRole('button', { name: 'Join the chant “One more song!”' }).click();
    await eventually(async () => assert.match(await text(stage, '.st-chanttile'), /One more song! ×2/), 3000);
    // The hub allows a burst of 3 chants per device: the 4th is refused, in words.
    for (const c of ['Louder!', 'Encore!', 'We want more!', 'Again!', 'Yes!', 'More!']) {
      await p2.getByLabel('Your chant').fill(c);
      await p2.getByRole('button', { name: 'Send', exact: true }).click();
    }
    await eventually(async () => assert.match(await text(p2, '#toasts'), /Too fast — wait a moment and try again\./), 3000);
  });

  it('screenshots of every page, mid-show', async () => {
    await crew.getByLabel('Label').fill('Neon Skies');
    await crew.getByRole('button', { name: 'Song start' }).click();
    await eventually(async () => assert.match(await text(screen, '.s-marker'), /Now playing Neon Skies/i), 3000);
    await eventually(async () => assert.match(await text(crew, '.c-health'), /Signals/i), 3000);
    for (const p of [p1, crew]) await p.evaluate(() => { document.activeElement?.blur(); scrollTo(0, 0); });
    // Taps from both phones, so the screen is shot mid-burst.
    const taps = [p1.getByRole('button', { name: 'Send Fire' }), p2.getByRole('button', { name: 'Send Love' }), p2.getByRole('button', { name: 'Send Clap' })];
    for (let i = 0; i < 8; i++) for (const b of taps) await b.click();
    await sleep(450);
    await shot(screen, 'screen');
    await shot(p1, 'phone');
    await shot(stage, 'stage');
    await shot(crew, 'crew');
  });

  it('crew closes the poll and the phones follow', async () => {
    await crew.locator('.c-pollnow').getByRole('button', { name: 'Close poll' }).click();
    await crew.getByRole('dialog').getByRole('button', { name: 'Close poll' }).click(); // the confirmation
    for (const p of [p1, p2]) await eventually(async () => assert.match(await text(p, '.vstatus'), /Voting is closed · Final results/), 3000);
    assert.equal(await p1.getByRole('button', { name: /^Neon Skies/ }).getAttribute('aria-pressed'), 'true');
    await eventually(async () => assert.match(await text(screen, '.s-polltop'), /Final result/i));
    await eventually(async () => assert.match(await text(stage, '.st-leadtile'), /Poll closed Which song next\? Neon Skies 100%/i));
    await eventually(async () => assert.match(await text(crew, '.c-pollnow'), /Last poll \(closed\)/i));
    await p2.evaluate(() => { document.activeElement?.blur(); scrollTo(0, 0); });
    await shot(p2, 'phone-closed');
    await shot(screen, 'screen-closed');
  });

  it('a poll that allows a change: the phone shows the change as changed', async () => {
    await crew.getByLabel('Question').fill('Best solo tonight?');
    await crew.getByLabel('Options').fill('Guitar\nDrums\nKeys');
    await crew.getByText('Allow changing votes').click();
    await crew.getByRole('button', { name: 'Open poll' }).click();
    await eventually(async () => assert.equal(await text(p1, '.question'), 'Best solo tonight?'), 3000);
    assert.match(await text(p1, '.vstatus'), /You can change your vote while the poll is open\./);
    await p1.getByRole('button', { name: /^Guitar/ }).click();
    await eventually(async () => assert.match(await text(p1, '.vstatus'), /Your vote for “Guitar” is counted\./), 3000);
    await p1.getByRole('button', { name: /^Keys/ }).click();
    await eventually(async () => assert.match(await text(p1, '.vstatus'), /Vote changed to “Keys” — counted\./), 3000);
    await eventually(async () => {
      assert.match(await text(screen, '.s-row:nth-child(1)'), /Guitar.*0\s*0%/);
      assert.match(await text(screen, '.s-row:nth-child(3)'), /Keys.*1\s*100%/);
    }, 2000);
    await shot(p1, 'phone-changed');
    for (const p of [crew, screen, stage, p1, p2]) assert.deepEqual(p.errors, []);
  });

  it('the printable join page shows the QR code and the event code', async () => {
    const [join] = await Promise.all([crew.context().waitForEvent('page'), crew.getByRole('link', { name: 'Printable join page' }).click()]);
    await join.waitForLoadState();
    await eventually(async () => assert.match(await text(join, 'main'), /Demo Night.*DEMO.*\/e\/DEMO.*Join the show.*加入演出.*Gabung ke pertunjukan/));
    assert.equal(await join.getByRole('img').count(), 1);
    await shot(join, 'join');
  });
});

async function screenTotal(page, name) {
  const s = await text(page, `.s-tot[title="${name}"] b`);
  return Number(s.replace(/[^\d]/g, '')) || 0;
}
