// chosen.test.mjs -- "you chose this" (issue 15) in the browser, against the
// real hub: the crew closes a poll and confirms its result with "Play it";
// each phone shows its own moment (its vote chose the song, with how many
// others; where its pick came and what the crowd chose; or what the crowd
// chose), the venue screen says THE CROWD CHOSE with the votes, in words a
// person can read (on screen, not cut, not covered) at 360 px and at every
// screen size; a reload keeps it; the crew starts the song from the chip
// that marks the crowd's choice, and the screen, the stage and the crew say
// "Chosen by the crowd" (a tie and no votes: chosen-tie.test.mjs).
// Screenshots: tests/artifacts/chosen-*.png.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, launch, desk, text, sleep, KEYS, CODE } from './lib.mjs';
import { phone, crewPage, joinIn, vote, openPoll, closeAndConfirm, snap, shotOf, soon, sentOf, overflow, speak } from './crewphone.lib.mjs';
import { Client } from '../integration/lib.mjs';
import { readable, reads } from './chosen.lib.mjs';

const SIZES = [[1920, 1080], [1280, 720], [1024, 768], [1080, 1920]];

describe('you chose this: crew, phones, screen and stage', () => {
  let hub, browser, crew, screen, stage;
  const voters = [];

  before(async () => {
    hub = await startHub();
    browser = await launch();
    crew = await crewPage(browser, hub.base);
    screen = await desk(browser, `${hub.base}/screen?key=${KEYS.screen}`, { width: 1920, height: 1080 });
    stage = await desk(browser, `${hub.base}/stage?key=${KEYS.stage}`, { width: 1280, height: 720 });
  });
  after(async () => {
    for (const c of voters) c.ws.terminate();
    await browser?.close();
    await hub?.stop();
  });

  /** An audience device speaking the protocol (more votes than the phones here). */
  async function raw(poll, option) {
    const c = await Client.connect(`ws://127.0.0.1:${hub.port}/ws`);
    await c.hello({ role: 'audience' });
    voters.push(c);
    c.send({ t: 'vote', poll, option, id: 1 });
    assert.equal((await c.ack(1, 5000)).ok, true);
  }

  let a, b, c; // a votes for the winner (en), b for another option (zh), c does not vote (en)

  it('Play it: each phone shows its own moment, the screen THE CROWD CHOSE; both survive a reload', async () => {
    await openPoll(crew, 'Encore?', ['Neon Skies', 'Slow Burn', 'Ghost Town']);
    a = await phone(browser, `${hub.base}/e/${CODE}`, 'en');
    b = await phone(browser, `${hub.base}/e/${CODE}`, 'zh');
    c = await phone(browser, `${hub.base}/e/${CODE}`, 'en');
    for (const p of [a, b, c]) await joinIn(p);
    for (const p of [a, b, c]) await soon(async () => assert.equal(await text(p, '.question'), 'Encore?'));
    await vote(a, 'Neon Skies');
    await vote(b, 'Slow Burn');
    const pollId = a.sent.find((m) => m.t === 'vote').poll; // the poll's id, from the phone's own vote
    await raw(pollId, 0);
    await raw(pollId, 0);
    await soon(async () => assert.match(await text(crew, '.c-voters'), /^4 voters$/));
    await closeAndConfirm(crew);

    // The crew: one "Play it" with the winner; no moment anywhere before it.
    const play = crew.locator('.c-playbtn');
    await soon(async () => assert.equal(await play.count(), 1));
    assert.equal(await text(crew, '.c-playbtn'), 'Play it: Neon Skies');
    await shotOf(crew, '.c-pollnow', 'chosen-crew-playit');
    for (const p of [a, b, c]) assert.equal(await p.locator('.moment').isVisible(), false, 'nothing before the crew plays it');
    assert.equal(await screen.locator('.s-chosen').count(), 0);
    await crew.getByRole('button', { name: 'Play “Neon Skies”: confirm it as the crowd’s choice' }).click();
    await soon(async () => assert.match(await text(crew, '#toasts'), /Confirmed: the crowd’s choice is Neon Skies\./));
    await reads(crew, '.c-playdone', '★ Crowd’s choice: Neon Skies, confirmed', 'crew: confirmed');
    const sent = sentOf(crew, 'poll.play');
    assert.equal(sent.length, 1);
    assert.equal(sent[0].poll, pollId);
    assert.equal(sent[0].option, 0);
    assert.ok(sent[0].id > 0);
    await shotOf(crew, '.c-pollnow', 'chosen-crew-confirmed');

    // The phones, each its own moment, at 360 px.
    await reads(a, '.moment .mtext', 'Your vote chose Neon Skies, with 2 others', 'phone a (voted for it)');
    await reads(a, '.moment .mkick', /^✦ You chose this$/i, 'phone a: kicker');
    await reads(b, '.moment .mtext', '你投给了Slow Burn：1 票，3 个选项中排第 2。观众选择了Neon Skies。', 'phone b (voted for another, zh)');
    await reads(c, '.moment .mtext', 'The crowd chose Neon Skies: 3 of 4 votes.', 'phone c (did not vote)');
    for (const p of [a, b, c]) assert.deepEqual(await overflow(p), [], `phone ${p.lang}: nothing overflows at 360 px`);
    await snap(a, 'chosen-phone-won-en');
    await snap(b, 'chosen-phone-other-zh');
    await snap(c, 'chosen-phone-crowd-en');
    // The played option is marked on the phone too.
    assert.match(await text(a, '.opt.played'), /Neon Skies.*Crowd’s choice/);
    // The same moments in the other languages.
    await speak(b, 'English');
    await reads(b, '.moment .mtext', 'You voted for Slow Burn: 1 vote, 2nd of 3. The crowd chose Neon Skies.', 'phone b in English');
    await snap(b, 'chosen-phone-other-en');
    await speak(c, 'Bahasa Indonesia');
    await reads(c, '.moment .mtext', 'Penonton memilih Neon Skies: 3 dari 4 suara.', 'phone c in Indonesian');
    await speak(a, '简体中文');
    await reads(a, '.moment .mtext', '你的一票选中了Neon Skies，另有 2 人和你一起', 'phone a in Chinese');
    await snap(a, 'chosen-phone-won-zh');
    assert.deepEqual(await overflow(a), [], 'phone a in Chinese: nothing overflows');
    await speak(a, 'English');

    // The screen, at every size.
    for (const [w, hgt] of SIZES) {
      await screen.setViewportSize({ width: w, height: hgt });
      const what = `screen ${w}x${hgt}`;
      await reads(screen, '.s-ckick', '★ THE CROWD CHOSE', what);
      await reads(screen, '.s-clabel', 'Neon Skies', what);
      await reads(screen, '.s-cfig', '3 of 4 votes (75%)', what);
      const px = (await readable(screen, '.s-clabel')).px;
      assert.ok(px >= 40, `${what}: the choice is ${px.toFixed(0)} px high`);
      await snap(screen, `chosen-screen-${w}x${hgt}`);
    }
    await screen.setViewportSize({ width: 1920, height: 1080 });

    // A reload keeps the moment (the hub's last_poll.played and voted) and the screen's panel.
    for (const p of [a, b]) await p.reload();
    await reads(a, '.moment .mtext', 'Your vote chose Neon Skies, with 2 others', 'phone a after a reload');
    await reads(b, '.moment .mtext', 'You voted for Slow Burn: 1 vote, 2nd of 3. The crowd chose Neon Skies.', 'phone b after a reload');
    // A reload forgets the localStorage-kept vote too: the hub's `voted` alone says where it stood.
    await b.evaluate(() => localStorage.removeItem('chorus.vote'));
    await b.reload();
    await reads(b, '.moment .mtext', 'You voted for Slow Burn: 1 vote, 2nd of 3. The crowd chose Neon Skies.', 'phone b, from the hub’s own word');
    await screen.reload();
    await reads(screen, '.s-clabel', 'Neon Skies', 'screen after a reload');
    await reads(screen, '.s-cfig', '3 of 4 votes (75%)', 'screen after a reload');
    // A second crew member (or a reload) sees the confirmed choice.
    await crew.reload();
    await reads(crew, '.c-playdone', '★ Crowd’s choice: Neon Skies, confirmed', 'crew after a reload');
    for (const p of [a, b, c, screen, crew]) assert.deepEqual(p.errors, [], p.url());
  });

  it('the crew starts the song from the crowd’s-choice chip: screen, stage and crew say "Chosen by the crowd"', async () => {
    const chip = crew.locator('.c-mchips .c-chip').first();
    await soon(async () => assert.match(await chip.getAttribute('class'), /\bc-chosen\b/));
    assert.equal(await chip.getAttribute('data-song'), 'Neon Skies', 'the choice comes first');
    assert.match(await text(crew, '.c-mchips .c-chip.c-chosen .c-chosentag'), /^Crowd’s choice$/i);
    assert.equal(await crew.locator('.c-mchips .c-chip.c-chosen').count(), 1);
    assert.equal(await crew.locator('.c-mchips .c-chip[data-song="Neon Skies"]').count(), 1, 'not twice');
    await shotOf(crew, '.c-markers', 'chosen-crew-chips');
    await crew.getByRole('button', { name: 'Use “Neon Skies” for the marker: the crowd’s choice' }).click();
    assert.equal(await crew.locator('#ml').inputValue(), 'Neon Skies');
    await crew.locator('.c-mbtns').getByRole('button', { name: 'Song start' }).click();

    await reads(screen, '.s-marker .s-mchosen', 'Chosen by the crowd · 3 votes', 'screen: now playing');
    await reads(screen, '.s-marker .s-mlabel', 'Neon Skies', 'screen: now playing');
    await reads(screen, '.s-clabel', 'Neon Skies', 'screen: the choice still shows');
    await sleep(600); // the box's fade-in
    await snap(screen, 'chosen-screen-nowplaying-1920x1080');
    await reads(stage, '.st-songchosen', 'Chosen by the crowd · 3 votes', 'stage: under now playing');
    await reads(stage, '.st-song b', 'Neon Skies', 'stage: now playing');
    await reads(stage, '.st-lhead', /^The crowd chose$/i, 'stage: its big tile');
    await snap(stage, 'chosen-stage');
    await reads(crew, '.c-playing .c-pchosen', 'Chosen by the crowd · 3 votes', 'crew: now playing');
    // The log is the desk's last card, near the fold at 1000 px: the crew member scrolls to it.
    await crew.locator('.c-log .c-mbadge').first().evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await reads(crew, '.c-log .c-mbadge', /^Chosen by the crowd$/i, 'crew: the marker');
    // Started: the chip is an ordinary song again, and the poll can no longer be reopened.
    await soon(async () => assert.equal(await crew.locator('.c-mchips .c-chosen').count(), 0));
    assert.equal(await crew.locator('.c-reopen').count(), 0);
    await shotOf(crew, '.c-markers + .c-log', 'chosen-crew-marker');
    // A reload keeps "Chosen by the crowd" on the screen and the stage.
    await screen.reload();
    await reads(screen, '.s-marker .s-mchosen', 'Chosen by the crowd · 3 votes', 'screen after a reload');
    await stage.reload();
    await reads(stage, '.st-songchosen', 'Chosen by the crowd · 3 votes', 'stage after a reload');
    // Portrait and 4:3 too.
    for (const [w, hgt] of [[1024, 768], [1080, 1920], [1280, 720]]) {
      await screen.setViewportSize({ width: w, height: hgt });
      await reads(screen, '.s-marker .s-mchosen', 'Chosen by the crowd · 3 votes', `screen ${w}x${hgt}`);
      await reads(screen, '.s-clabel', 'Neon Skies', `screen ${w}x${hgt}`);
      await sleep(600);
      await snap(screen, `chosen-screen-nowplaying-${w}x${hgt}`);
    }
    await screen.setViewportSize({ width: 1920, height: 1080 });
    // The song ends: nothing claims the crowd chose what plays next.
    await crew.locator('#ml').fill('Hometown');
    await crew.locator('.c-mbtns').getByRole('button', { name: 'Song start' }).click();
    await soon(async () => assert.equal(await text(screen, '.s-marker .s-mlabel'), 'Hometown'));
    assert.equal(await screen.locator('.s-mchosen').count(), 0);
    await soon(async () => assert.equal(await stage.locator('.st-songchosen').isVisible(), false));
    for (const p of [screen, stage, crew]) assert.deepEqual(p.errors, [], p.url());
  });
});
