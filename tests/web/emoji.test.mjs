// emoji.test.mjs -- issue 10, item 10: emoji in chants are drawn as emoji
// (in colour), not as empty boxes, on the venue screen and in the HTML
// report. What a person sees is the pixels: the test screenshots exactly the
// emoji's glyphs (their text range) and counts colourful pixels. A missing
// emoji font draws a box or nothing in the text's own colour: no colour.
// The same measure on the plain letters of the same chant must find none, so
// a colourful background could not pass the test by itself.
// Screenshots: tests/artifacts/web-emoji-screen.png, web-emoji-report.png.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startHub, launch, desk, shot, eventually, text, KEYS, ROOT, tempDir } from './lib.mjs';
import { Client } from '../integration/lib.mjs';

const EMOJI = '🎸🔥🇮🇩👍🏽';
const CHANT = `Encore ${EMOJI}`;

/**
 * The share of colourful pixels in the glyphs of `part` inside the first
 * element matching `selector` whose text contains it: a screenshot clipped
 * to the text range, decoded in a blank page (the hub's pages forbid data:
 * URLs by their Content-Security-Policy).
 */
let decoder;
async function colourIn(page, selector, part) {
  const rect = await page.evaluate(([sel, p]) => {
    for (const el of document.querySelectorAll(sel)) {
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const at = n.data.indexOf(p);
        if (at < 0) continue;
        const r = document.createRange();
        r.setStart(n, at);
        r.setEnd(n, at + p.length);
        const b = r.getBoundingClientRect();
        return { x: b.left, y: b.top, width: b.width, height: b.height };
      }
    }
    return null;
  }, [selector, part]);
  assert.ok(rect && rect.width > 4 && rect.height > 4, `"${part}" is laid out in ${selector}: ${JSON.stringify(rect)}`);
  const png = await page.screenshot({ clip: rect });
  decoder ||= await page.context().browser().newPage();
  return decoder.evaluate(async (b64) => {
    const bmp = await createImageBitmap(await (await fetch(`data:image/png;base64,${b64}`)).blob());
    const c = new OffscreenCanvas(bmp.width, bmp.height);
    const g = c.getContext('2d');
    g.drawImage(bmp, 0, 0);
    const d = g.getImageData(0, 0, bmp.width, bmp.height).data;
    let colourful = 0;
    for (let i = 0; i < d.length; i += 4) {
      const hi = Math.max(d[i], d[i + 1], d[i + 2]), lo = Math.min(d[i], d[i + 1], d[i + 2]);
      if (hi - lo > 90) colourful++;
    }
    return colourful / (d.length / 4);
  }, png.toString('base64'));
}

describe('emoji in chants', () => {
  let hub, browser, fan;

  before(async () => {
    hub = await startHub();
    browser = await launch();
  });
  after(async () => {
    fan?.ws.terminate();
    await browser?.close();
    await hub?.stop();
  });

  it('the venue screen draws a chant\'s emoji in colour, not as boxes', async () => {
    const screen = await desk(browser, `${hub.base}/screen?key=${KEYS.screen}`, { width: 1920, height: 1080 });
    fan = await Client.connect(`ws://127.0.0.1:${hub.port}/ws`);
    assert.equal((await fan.hello({ role: 'audience' })).t, 'welcome');
    fan.send({ t: 'chant', text: CHANT, id: 1 });
    assert.equal((await fan.ack(1, 5000)).ok, true);
    await eventually(async () => assert.match(await text(screen, '.s-chants'), /Encore/), 5000);
    await shot(screen, 'emoji-screen');
    const emoji = await colourIn(screen, '.s-chants li', EMOJI);
    const letters = await colourIn(screen, '.s-chants li', 'Encore');
    assert.ok(emoji > 0.15, `the emoji are drawn in colour: ${(emoji * 100).toFixed(1)}% colourful pixels`);
    assert.ok(letters < 0.05, `the letters beside them are not (the measure sees glyphs, not the background): ${(letters * 100).toFixed(1)}%`);
    await screen.context().close();
  });

  it('the HTML report draws the same chant\'s emoji in colour', async () => {
    // The hub's store commits within a second; the report reads the file.
    await hub.stop();
    const html = join(tempDir(), 'report.html');
    const r = spawnSync(join(ROOT, 'clients', 'chorus-report'), ['--db', hub.db, '--html', html], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const page = await desk(browser, pathToFileURL(html).href, { width: 1280, height: 900 });
    await page.locator('td', { hasText: 'Encore' }).first().scrollIntoViewIfNeeded();
    assert.match(await page.locator('section', { has: page.locator('h2', { hasText: 'Chants' }) }).locator('p.note').innerText(), /^1 chant, 1 text \(/);
    await shot(page, 'emoji-report');
    const emoji = await colourIn(page, 'td', EMOJI);
    const letters = await colourIn(page, 'td', 'Encore');
    assert.ok(emoji > 0.15, `the emoji are drawn in colour: ${(emoji * 100).toFixed(1)}% colourful pixels`);
    assert.ok(letters < 0.05, `the letters beside them are not: ${(letters * 100).toFixed(1)}%`);
    await page.context().close();
  });
});
