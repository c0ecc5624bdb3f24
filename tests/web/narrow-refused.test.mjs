// narrow-refused.test.mjs -- issue 10 item 9, the refused states: screen,
// stage and crew with a wrong key, the phone with an unknown event code, in
// en, zh and id at 360 px; nothing sticks out sideways or clips its text.
// (narrow.test.mjs has the other states; split to stay within the runner's
// per-file time limit.) Screenshots: tests/artifacts/narrow-*-wrong*-<lang>.png.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, launch, text, sleep } from './lib.mjs';
import { phone, soon, LANG } from './crewphone.lib.mjs';
import { narrow, fitsAt360 } from './narrow.lib.mjs';

const LANGS = ['en', 'zh', 'id'];

describe('refused pages at 360 px, every language', () => {
  let hub, browser;
  before(async () => { hub = await startHub(); browser = await launch(); });
  after(async () => { await browser?.close(); await hub?.stop(); });

  it('wrong key, unknown event code', async () => {
    for (const lang of LANGS) {
      for (const role of ['screen', 'stage', 'crew']) {
        const pg = await narrow(browser, `${hub.base}/${role}?key=not-the-key&lang=${lang}`, lang);
        await soon(async () => assert.ok((await text(pg, 'body')).length > 20));
        await sleep(500);
        await fitsAt360(pg, `${role}-wrongkey-${lang}`);
        await pg.context().close();
      }
      const p = await phone(browser, `${hub.base}/e/NOSUCHEVENT?lang=${lang}`, lang);
      await p.getByRole('button', { name: LANG[lang].join, exact: true }).click();
      await soon(async () => assert.ok(await p.locator('.alert, #code').count(), 'the phone asks for the code'));
      await fitsAt360(p, `phone-wrongcode-${lang}`);
      await p.context().close();
    }
  });
});
