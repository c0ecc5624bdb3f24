// resilience.test.mjs -- the phone across a hub restart: the vote is kept
// (same database, same token), the page shows a calm "reconnecting" state,
// a vote and taps made while the hub is down are sent on reconnect, and a
// reload keeps the device and its vote.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, launch, phone, desk, shot, eventually, text, joinPhone, KEYS, CODE } from './lib.mjs';

async function openPoll(hub, browser, question, options) {
  const crew = await desk(browser, `${hub.base}/crew?key=${KEYS.crew}`);
  await eventually(async () => assert.match(await text(crew, '.pill'), /^Live$/i), 5000);
  await crew.getByLabel('Question').fill(question);
  await crew.getByLabel('Options').fill(options.join('\n'));
  await crew.getByRole('button', { name: 'Open poll' }).click();
  await eventually(async () => assert.match(await text(crew, '.c-pollnow'), new RegExp(question)));
  return crew;
}

describe('a hub restart', () => {
  let hub, browser;
  before(async () => { hub = await startHub(); browser = await launch(); });
  after(async () => { await browser?.close(); await hub?.stop(); });

  it('keeps the vote across a restart and a reload; an offline vote and offline taps are sent on reconnect', async () => {
    const crew = await openPoll(hub, browser, 'Encore?', ['Yes', 'No', 'Louder']);
    await crew.close();
    const a = await phone(browser, `${hub.base}/e/${CODE}`);
    const b = await phone(browser, `${hub.base}/e/${CODE}`);
    await joinPhone(a);
    await joinPhone(b, 'C');
    await a.getByRole('button', { name: /^Louder/ }).click();
    await eventually(async () => assert.match(await text(a, '.vstatus'), /is counted\./), 3000);

    const screen = await desk(browser, `${hub.base}/screen?key=${KEYS.screen}`);
    await eventually(async () => assert.match(await text(screen, '.s-row:nth-child(3)'), /Louder.*1\s*100%/), 3000);
    await hub.stop();
    await eventually(async () => assert.match(await text(screen, '.s-pill'), /Reconnecting…/i), 5000);
    for (const p of [a, b]) {
      await eventually(async () => assert.match(await text(p, '.banner'), /Connection lost — reconnecting\. What you tap, vote or chant now is saved and sent when you are back\./), 5000);
      assert.match(await text(p, '.pill'), /^Reconnecting…$/i);
    }
    // While the hub is down: b votes and taps.
    await b.getByRole('button', { name: /^Yes/ }).click();
    assert.match(await text(b, '.vstatus'), /Saved — it will be sent when you are back online\./);
    const heart = b.getByRole('button', { name: 'Send Love' });
    for (let i = 0; i < 7; i++) await heart.click();
    await shot(b, 'phone-reconnecting');

    hub = await startHub({ port: hub.port, db: hub.db });
    for (const p of [a, b]) await eventually(async () => assert.match(await text(p, '.pill'), /^Live$/i), 40000, 100);
    assert.match(await text(a, '.vstatus'), /Your vote for “Louder” is counted\./);
    await eventually(async () => assert.match(await text(b, '.vstatus'), /Your vote for “Yes” is counted\./), 3000);
    assert.equal(await b.locator('.banner').isVisible(), false);

    // The screen came back by itself and shows what happened meanwhile.
    await eventually(async () => assert.match(await text(screen, '.s-tot[title="Love"] b'), /^7$/), 40000, 100);
    assert.equal(await screen.locator('.s-pill').isVisible(), false);
    await eventually(async () => {
      assert.match(await text(screen, '.s-row:nth-child(1)'), /Yes.*1\s*50%/);
      assert.match(await text(screen, '.s-row:nth-child(3)'), /Louder.*1\s*50%/);
    }, 3000);

    await a.reload();
    await eventually(async () => assert.match(await text(a, '.vstatus'), /Your vote for “Louder” is counted\./), 5000);
    assert.equal(await a.getByRole('button', { name: /^Louder/ }).getAttribute('aria-pressed'), 'true');
    await b.reload();
    await eventually(async () => assert.match(await text(b, '.section-chip'), /Section C/), 5000);
    for (const p of [a, b, screen]) assert.deepEqual(p.errors, []);
  });
});
