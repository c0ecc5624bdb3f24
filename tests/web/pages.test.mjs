// pages.test.mjs -- languages and keys: the phone follows the browser's
// language and switches on the page (and remembers it); a wrong key gets a
// clear message on the screen, the stage and the crew dashboard.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from '@msgpack/msgpack';
import { startHub, launch, phone, desk, shot, eventually, text, KEYS, CODE } from './lib.mjs';

describe('pages', () => {
  let hub, browser;
  before(async () => { hub = await startHub(); browser = await launch(); });
  after(async () => { await browser?.close(); await hub?.stop(); });

  it('the phone speaks the browser\'s language and switches on the page', async () => {
    const p = await phone(browser, `${hub.base}/e/${CODE}`, { locale: 'zh-CN' });
    await eventually(async () => assert.equal(await text(p, '.joinbtn'), '加入'));
    assert.match(await text(p, 'main'), /与全场一起投票、互动、呐喊。/);
    await p.getByRole('button', { name: '加入' }).click();
    await p.locator('#sections').getByRole('button', { name: '跳过' }).click();
    await eventually(async () => assert.match(await text(p, '.pollcard'), /现在没有投票/));
    await shot(p, 'phone-zh');
    await p.getByLabel('语言').selectOption({ label: 'Bahasa Indonesia' });
    await eventually(async () => assert.match(await text(p, '.pollcard'), /Belum ada voting/));
    assert.match(await text(p, '.reactcard'), /Reaksi/i);
    assert.equal(await p.getAttribute('html', 'lang'), 'id');
    await p.reload();
    await eventually(async () => assert.match(await text(p, '.pollcard'), /Belum ada voting/), 5000);
    await p.getByLabel('Bahasa').selectOption({ label: 'English' });
    await eventually(async () => assert.match(await text(p, '.pollcard'), /No vote right now/));
    const id = await phone(browser, `${hub.base}/e/${CODE}`, { locale: 'id-ID' });
    await eventually(async () => assert.equal(await text(id, '.joinbtn'), 'Gabung'));
    assert.deepEqual(p.errors, []);
  });

  it('the plain address / joins the hub\'s event without a code', async () => {
    const p = await phone(browser, `${hub.base}/`);
    await p.getByRole('button', { name: 'Join', exact: true }).click();
    await eventually(async () => assert.match(await text(p, '.pill'), /^Live$/i), 5000);
    await eventually(async () => assert.match(await text(p, '#evname'), /Demo Night/));
    assert.match(await text(p, '.pollcard'), /No vote right now/);
    assert.match(await text(p, '#sections'), /Where are you\?/);
    await shot(p, 'phone-sections');
    assert.deepEqual(p.errors, []);
  });

  it('a wrong event code is explained and can be corrected on the phone', async () => {
    const p = await phone(browser, `${hub.base}/e/NOPE`);
    await p.getByRole('button', { name: 'Join', exact: true }).click();
    await eventually(async () => assert.match(await text(p, '[role="alert"]'), /No event with the code NOPE is running here\. Check the code on the screen\./));
    await p.getByLabel('Event code').fill('demo');
    await p.getByRole('button', { name: 'Continue' }).click();
    await eventually(async () => assert.match(await text(p, '.pill'), /^Live$/i), 5000);
    await eventually(async () => assert.match(await text(p, '#evname'), /Demo Night/));
    assert.deepEqual(p.errors, []);
  });

  it('the same phone in a second tab: the first tab steps aside instead of fighting', async () => {
    const first = await phone(browser, `${hub.base}/e/${CODE}`);
    await first.getByRole('button', { name: 'Join', exact: true }).click();
    await eventually(async () => assert.match(await text(first, '.pill'), /^Live$/i), 5000);
    const second = await first.context().newPage(); // same storage, same token
    await second.goto(`${hub.base}/e/${CODE}`);
    await eventually(async () => assert.match(await text(second, '.pill'), /^Live$/i), 5000);
    await eventually(async () => assert.match(await text(first, '.banner'), /Chorus is open in another tab or window\./), 5000);
    await first.waitForTimeout(1500);
    assert.match(await text(second, '.pill'), /^Live$/i); // no reconnect fight
    await first.getByRole('button', { name: 'Use it here' }).click();
    await eventually(async () => assert.match(await text(first, '.pill'), /^Live$/i), 5000);
    await eventually(async () => assert.match(await text(second, '.banner'), /Chorus is open in another tab or window\./), 5000);
  });

  it('a wrong key gets a clear message', async () => {
    const screen = await desk(browser, `${hub.base}/screen?key=not-the-key&event=${CODE}`);
    await eventually(async () => assert.match(await text(screen, '[role="alert"]'), /Wrong key This screen key was not accepted\. Check the \?key= in the address\./));
    await shot(screen, 'screen-wrong-key');
    const stage = await desk(browser, `${hub.base}/stage?key=${KEYS.screen}&event=${CODE}`);
    await eventually(async () => assert.match(await text(stage, '[role="alert"]'), /Wrong key This stage key was not accepted/));

    const crew = await desk(browser, `${hub.base}/crew?event=${CODE}`);
    await eventually(async () => assert.match(await text(crew, '.keygate h1'), /Enter the crew key/));
    await crew.getByLabel('Key', { exact: true }).fill('guess');
    await crew.getByRole('button', { name: 'Connect' }).click();
    await eventually(async () => assert.match(await text(crew, '.keygate [role="alert"]'), /Wrong key — this crew key was not accepted\. Check it and try again\./));
    await shot(crew, 'crew-wrong-key');
    await crew.getByLabel('Key', { exact: true }).fill(KEYS.crew);
    await crew.getByRole('button', { name: 'Connect' }).click();
    await eventually(async () => assert.match(await text(crew, '.pill'), /^Live$/i));
    // The key is remembered (and never shown in the address): a plain /crew opens the dashboard.
    await crew.goto(`${hub.base}/crew?event=${CODE}`);
    await eventually(async () => assert.match(await text(crew, '.pill'), /^Live$/i));
    for (const p of [screen, stage, crew]) assert.deepEqual(p.errors, []);
  });

  it('a refusal from the hub is shown on the crew dashboard, in words and in the log', async () => {
    // Crew A misses the message that another crew member closed the poll
    // (the route drops it), so A's Close button is stale; the hub refuses.
    const a = await desk(browser, null, { width: 1440, height: 1000 });
    let drop = false;
    await a.routeWebSocket(/\/ws$/, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((m) => {
        if (drop && typeof m !== 'string') {
          const msg = decode(m);
          if (msg.t === 'poll' && !msg.poll.open) return;
        }
        ws.send(m);
      });
    });
    await a.goto(`${hub.base}/crew?key=${KEYS.crew}`);
    await eventually(async () => assert.match(await text(a, '.pill'), /^Live$/i), 5000);
    await a.getByLabel('Question').fill('Stale?');
    await a.getByLabel('Options').fill('One\nTwo');
    await a.getByRole('button', { name: 'Open poll' }).click();
    await eventually(async () => assert.match(await text(a, '.c-pollnow'), /Stale\?.*Close poll/i));
    drop = true;
    const b = await desk(browser, `${hub.base}/crew?key=${KEYS.crew}`);
    await eventually(async () => assert.match(await text(b, '.c-pollnow'), /Stale\?.*Close poll/i), 5000);
    await b.locator('.c-pollnow').getByRole('button', { name: 'Close poll' }).click();
    await b.getByRole('dialog').getByRole('button', { name: 'Close poll' }).click(); // the confirmation
    await eventually(async () => assert.match(await text(b, '.c-pollnow'), /Last poll \(closed\)/i));
    await a.locator('.c-pollnow').getByRole('button', { name: 'Close poll' }).click();
    await a.getByRole('dialog').getByRole('button', { name: 'Close poll' }).click(); // the confirmation
    await eventually(async () => assert.match(await text(a, '#toasts'), /Voting has closed\./));
    assert.match(await text(a, '.c-errs'), /poll_closed Voting has closed\. \(that poll is already closed\)/);
    await eventually(async () => assert.match(await text(a, '.c-pollnow'), /Last poll \(closed\)/i));
    await a.evaluate(() => scrollTo(0, document.body.scrollHeight));
    await shot(a, 'crew-error');
    for (const p of [a, b]) assert.deepEqual(p.errors, []);
  });
});
