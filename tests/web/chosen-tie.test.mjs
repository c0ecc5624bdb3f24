// chosen-tie.test.mjs -- "you chose this" (issue 15) when the votes do not
// decide, against the real hub: on a tie the crew gets one "Play it" per
// tied option and picks; it may change its mind before the song starts (the
// phones and the screen follow); reopening the poll undoes the choice; with
// no votes at all the crew picks any option and nobody is told the crowd
// chose it ("Up next"). Screenshots: tests/artifacts/chosen-*-tie*.png.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, launch, desk, text, KEYS, CODE } from './lib.mjs';
import { phone, crewPage, joinIn, vote, openPoll, closeAndConfirm, snap, shotOf, soon } from './crewphone.lib.mjs';
import { reads } from './chosen.lib.mjs';

describe('you chose this: a tie, a change of mind, no votes', () => {
  let hub, browser, crew, screen, a, b, c;

  before(async () => {
    hub = await startHub();
    browser = await launch();
    crew = await crewPage(browser, hub.base);
    screen = await desk(browser, `${hub.base}/screen?key=${KEYS.screen}`, { width: 1280, height: 720 });
    a = await phone(browser, `${hub.base}/e/${CODE}`, 'en');
    b = await phone(browser, `${hub.base}/e/${CODE}`, 'en');
    c = await phone(browser, `${hub.base}/e/${CODE}`, 'id');
    for (const p of [a, b, c]) await joinIn(p);
  });
  after(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('a tie: one button per tied option; the crew picks, then changes its mind; the phones follow', async () => {
    await openPoll(crew, 'Which one?', ['Midnight Run', 'Slow Burn']);
    for (const p of [a, b]) await soon(async () => assert.equal(await text(p, '.question'), 'Which one?'));
    await vote(a, 'Midnight Run');
    await vote(b, 'Slow Burn');
    await soon(async () => assert.match(await text(crew, '.c-voters'), /^2 voters$/));
    await closeAndConfirm(crew);
    await soon(async () => assert.equal(await crew.locator('.c-playbtn').count(), 2));
    assert.deepEqual(await crew.locator('.c-playbtn').allInnerTexts(), ['Play it: Midnight Run', 'Play it: Slow Burn']);
    assert.match(await text(crew, '.c-playbox'), /A tie: pick the option to play\./);
    await crew.evaluate(() => scrollTo(0, 0));
    await shotOf(crew, '.c-pollnow', 'chosen-crew-tie');
    await crew.getByRole('button', { name: 'Play “Slow Burn”: confirm it as the crowd’s choice' }).click();
    await reads(crew, '.c-playdone', '★ Crowd’s choice: Slow Burn, confirmed', 'crew: the tie decided');
    await reads(b, '.moment .mtext', 'Your vote chose Slow Burn', 'phone b: alone');
    await reads(a, '.moment .mtext', 'You voted for Midnight Run: 1 vote, tied 1st of 2. The crowd chose Slow Burn.', 'phone a: tied');
    await reads(c, '.moment .mtext', 'Penonton memilih Slow Burn: 1 dari 2 suara.', 'phone c (id)');
    await reads(screen, '.s-cfig', '1 of 2 votes (50%)', 'screen: the tie');
    // Changed its mind (the song has not started yet).
    await crew.locator('.c-playchange').click();
    await crew.getByRole('button', { name: 'Play “Midnight Run”: confirm it as the crowd’s choice' }).click();
    await reads(crew, '.c-playdone', '★ Crowd’s choice: Midnight Run, confirmed', 'crew: changed');
    await reads(a, '.moment .mtext', 'Your vote chose Midnight Run', 'phone a: now its vote chose it');
    await reads(b, '.moment .mtext', 'You voted for Slow Burn: 1 vote, tied 1st of 2. The crowd chose Midnight Run.', 'phone b');
    await reads(screen, '.s-clabel', 'Midnight Run', 'screen: changed');
    await snap(a, 'chosen-phone-tie-en');
    // Reopening undoes the choice: the moment goes.
    await crew.getByRole('button', { name: 'Reopen this poll' }).click();
    await soon(async () => assert.equal(await a.locator('.moment').isVisible(), false));
    await soon(async () => assert.equal(await screen.locator('.s-chosen').count(), 0));
    await closeAndConfirm(crew);
    await soon(async () => assert.equal(await crew.locator('.c-playbtn').count(), 2), 'not played any more');
    // No votes at all: the crew picks; nobody is told the crowd chose it.
    await openPoll(crew, 'Nobody votes?', ['Slow Burn', 'Hometown']);
    await soon(async () => assert.equal(await text(a, '.question'), 'Nobody votes?'));
    await closeAndConfirm(crew);
    await soon(async () => assert.match(await text(crew, '.c-playbox'), /No votes: pick the option to play\./));
    assert.deepEqual(await crew.locator('.c-playbtn').allInnerTexts(), ['Play it: Slow Burn', 'Play it: Hometown']);
    await crew.getByRole('button', { name: 'Play “Hometown”: confirm it as the crowd’s choice' }).click();
    await reads(crew, '.c-playdone', '★ Crowd’s choice: Hometown, confirmed', 'crew: no votes');
    await reads(a, '.moment .mtext', 'Up next: Hometown', 'phone a: no votes');
    await reads(screen, '.s-ckick', '★ UP NEXT', 'screen: no votes');
    await reads(screen, '.s-clabel', 'Hometown', 'screen: no votes');
    assert.equal(await screen.locator('.s-cfig').isVisible(), false, 'no "0 of 0 votes"');
    for (const p of [a, b, c, screen, crew]) assert.deepEqual(p.errors, [], p.url());
  });
});
