// crewphone.test.mjs -- a poll whose results are hidden until the crew
// reveals them, against the real hub: the crew sees the counts, a "Hidden
// from screens and phones" tag and a Reveal button (for the open poll and the
// last closed one); phones in English, Chinese and Indonesian say when the
// results come instead of showing percentages; closing asks first; after the
// reveal the phone marks the winner (every tied option on a tie) apart from
// its own pick, also after a reload; on_close polls show at the close.
// The crew's other controls are in crewcontrols.test.mjs.
// Screenshots: tests/artifacts/crew-hidden-results.png, phone-hidden-en.png,
// phone-winner-{en,zh,id}.png.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, launch, text, sleep, CODE } from './lib.mjs';
import { LANG, phone, crewPage, joinIn, opt, sentOf, vote, openPoll, closeAndConfirm, snap, fits, soon } from './crewphone.lib.mjs';

describe('crew and phones around a poll', () => {
  let hub, browser, crew, pEn, pZh, pId;

  before(async () => {
    hub = await startHub();
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('results hidden until the crew reveals them: the crew sees the counts, a tag and Reveal; phones say when results come', async () => {
    crew = await crewPage(browser, hub.base);
    pEn = await phone(browser, `${hub.base}/e/${CODE}`, 'en');
    pZh = await phone(browser, `${hub.base}/e/${CODE}`, 'zh');
    pId = await phone(browser, `${hub.base}/e/${CODE}`, 'id');
    for (const p of [pEn, pZh, pId]) await joinIn(p);

    // The three choices, Live by default.
    assert.match(await text(crew, '.c-reveal'), /Show the results Live After the vote closes When I reveal them/);
    assert.equal(await crew.locator('#pr-live').isChecked(), true);
    await openPoll(crew, 'Encore song?', ['Neon Skies', 'Hometown', 'Slow Burn'], 'When I reveal them');
    await soon(async () => assert.match(await text(crew, '.c-pollnow'), /Open poll Hidden from screens and phones.*Encore song\?/i));
    assert.equal(sentOf(crew, 'poll.open').at(-1).reveal, 'manual');
    assert.match(await text(crew, '.c-hiddenbox'), /Screens and phones only see how many voted, until you reveal the results\. Reveal results/);
    assert.equal(await crew.locator('.c-pollnow').getByRole('button', { name: 'Reveal results' }).isVisible(), true);
    // The form is cleared after a successful open, back to Live.
    await soon(async () => { // cleared once the hub acked the open
      assert.equal(await crew.getByLabel('Question').inputValue(), '');
      assert.equal(await crew.getByLabel('Options').inputValue(), '');
      assert.equal(await crew.locator('#pr-live').isChecked(), true);
    });

    for (const p of [pEn, pZh, pId]) {
      await soon(async () => assert.equal(await text(p, '.question'), 'Encore song?'), 4000);
      await soon(async () => assert.equal(await text(p, '.rnote'), LANG[p.lang].hiddenManual), 4000);
    }
    await vote(pEn, 'Neon Skies');
    await vote(pZh, 'Neon Skies');
    await vote(pId, 'Hometown');
    // The crew sees the counts; the phones see that votes came in, no percentages.
    await soon(async () => {
      assert.match(await text(crew, '.c-bars li:nth-child(1)'), /Neon Skies\s*2\s*67%/);
      assert.match(await text(crew, '.c-bars li:nth-child(2)'), /Hometown\s*1\s*33%/);
    }, 3000);
    await soon(async () => assert.match(await text(pEn, '.votes'), /^3 votes$/), 4000);
    for (const p of [pEn, pZh, pId]) {
      assert.doesNotMatch(await text(p, '.opts'), /%/, `${p.lang}: no percentages while hidden`);
      assert.equal(await text(p, '.rnote'), LANG[p.lang].hiddenManual);
      await fits(p);
    }
    await snap(pEn, 'phone-hidden-en');
    await snap(crew, 'crew-hidden-results');
  });

  it('closing asks first; a manual poll stays hidden until Reveal; then phones mark the winner apart from their pick, also after a reload', async () => {

    // Close asks first; Cancel changes nothing.
    await crew.locator('.c-pollnow').getByRole('button', { name: 'Close poll' }).click();
    const dlg = crew.getByRole('dialog', { name: 'Close the poll?' });
    await dlg.waitFor();
    assert.match(await text(crew, 'dialog'), /Voting on “Encore song\?” stops on every phone, with 3 votes\. This can’t be undone\./);
    await dlg.getByRole('button', { name: 'Cancel' }).click();
    await sleep(400);
    assert.equal(sentOf(crew, 'poll.close').length, 0, 'nothing sent on Cancel');
    assert.match(await text(crew, '.c-pollnow'), /Open poll.*Close poll/i);
    await closeAndConfirm(crew);
    // Closed, still hidden (manual): the crew can reveal the last closed poll.
    assert.match(await text(crew, '.c-pollnow'), /Last poll \(closed\) Hidden from screens and phones/i);
    assert.match(await text(crew, '.c-hiddenbox'), /The poll is closed, but screens and phones don’t see the result until you reveal it\./);
    for (const p of [pEn, pZh, pId]) {
      await soon(async () => assert.match(await text(p, '.vstatus'), new RegExp(`${LANG[p.lang].closed} · ${LANG[p.lang].hiddenManual}`)), 4000);
      assert.equal(await p.locator('.opt.win').count(), 0, 'no winner before the reveal');
    }

    await crew.locator('.c-pollnow').getByRole('button', { name: 'Reveal results' }).click();
    await soon(async () => assert.doesNotMatch(await text(crew, '.c-pollnow'), /Hidden from screens and phones|Reveal results/i));
    const poll = sentOf(crew, 'poll.reveal').at(-1)?.poll;
    assert.ok(poll > 0, 'poll.reveal names the poll');
    assert.match(await text(crew, '.c-pollnow'), /Last poll \(closed\).*Neon Skies\s*2\s*67%/i);

    // Phones: the winner, apart from their own pick.
    for (const p of [pEn, pZh, pId]) {
      const L = LANG[p.lang];
      await soon(async () => assert.match(await text(p, '.opt.win'), new RegExp(`Neon Skies\\s*67%\\s*${L.winner}`)), 4000);
      assert.equal(await p.locator('.opt.win').count(), 1);
      assert.equal(await p.locator('.rnote').isVisible(), false);
    }
    assert.match(await text(pEn, '.opt.win'), /Winner\s*Your pick/);
    assert.match(await text(pZh, '.opt.win'), /胜出\s*你的选择/);
    assert.match(await text(pId, '.opt.mine'), /Hometown\s*33%\s*Pilihanmu/);
    assert.doesNotMatch(await text(pId, '.opt.mine'), /Pemenang/, 'its pick is not the winner');
    assert.doesNotMatch(await text(pId, '.opt.win'), /Pilihanmu/);
    // Winner and pick look different: gold vs green.
    const look = await pId.evaluate(() => ['.opt.win .owin', '.opt.mine .otag'].map((s) => getComputedStyle(document.querySelector(s)).backgroundColor));
    assert.notEqual(look[0], look[1]);
    for (const p of [pEn, pZh, pId]) {
      await fits(p);
      await snap(p, `phone-winner-${p.lang}`);
    }

    // After a reload: the same, from the welcome's last_poll.
    for (const p of [pEn, pId]) {
      await p.reload();
      await soon(async () => assert.match(await text(p, '.opt.win'), new RegExp(`Neon Skies\\s*67%\\s*${LANG[p.lang].winner}`)), 5000);
      assert.match(await text(p, '.opt.mine'), new RegExp(LANG[p.lang].pick));
      assert.match(await text(p, '.vstatus'), new RegExp(LANG[p.lang].closed));
    }
    for (const p of [crew, pEn, pZh, pId]) assert.deepEqual(p.errors, []);
  });

  it('results shown at close (on_close); a tie makes every tied option a winner', async () => {
    await openPoll(crew, 'Tie?', ['Left', 'Right', 'Middle'], 'After the vote closes');
    assert.equal(sentOf(crew, 'poll.open').at(-1).reveal, 'on_close');
    await soon(async () => assert.match(await text(crew, '.c-hiddenbox'), /The results show when you close the poll/));
    for (const p of [pEn, pId]) await soon(async () => assert.equal(await text(p, '.rnote'), LANG[p.lang].hiddenClose), 4000);
    await vote(pEn, 'Left');
    await vote(pId, 'Right');
    await closeAndConfirm(crew);
    assert.doesNotMatch(await text(crew, '.c-pollnow'), /Hidden from screens and phones/i);
    for (const p of [pEn, pId]) {
      await soon(async () => assert.equal(await p.locator('.opt.win').count(), 2), 4000);
      assert.match(await text(p, '.opts'), new RegExp(`Left\\s*50%\\s*${LANG[p.lang].winner}.*Right\\s*50%\\s*${LANG[p.lang].winner}`));
      assert.doesNotMatch(await text(p, '.opt:nth-child(3)'), new RegExp(LANG[p.lang].winner));
    }
    assert.match(await text(pEn, '.opt:nth-child(1)'), /Winner\s*Your pick/);
    assert.match(await text(pId, '.opt:nth-child(2)'), /Pemenang\s*Pilihanmu/);
  });
});
