// moderation.test.mjs -- chant moderation in the browser against the real
// hub: an event in approve mode; phones are told their chant waits for the
// crew; the crew approves one text from the keyboard and hides another with
// a button, and the venue screen shows exactly the approved one; hide and
// unhide of a live chant, a text hidden before anyone sends it; Off closes
// the chant box on every phone, with the reason; a banned phone stops
// reconnecting and says why, and an unban lets it back. Phones are 360x740,
// in English and Chinese; every phone state is checked for sideways
// overflow and clipped text. Screenshots: tests/artifacts/crew-moderation.png,
// screen-before-hide.png, screen-after-hide.png, phone-{held,off,banned}-{en,zh}.png.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startHub, launch, desk, eventually, text, joinPhone, tempDir, cleanup, sleep, KEYS, CODE, EVENT_FILE, ARTIFACTS } from './lib.mjs';

const ENCORE = 'Encore please', DRUMS = 'Louder drums', ZH = '再来一首';
const HELD = {
  en: 'Sent — it shows on the big screen once the crew approves it.',
  zh: '已发送 —— 工作人员审核通过后，就会显示在大屏幕上。',
};
const OFF = { en: /The crew has paused chants/, zh: /工作人员暂停了口号/ };
const BLOCKED = { en: /This phone was blocked.*The event crew blocked this device/, zh: /此手机已被屏蔽.*活动工作人员屏蔽了这台设备/ };

/** A phone at 360x740 in its own context; page.sockets counts the WebSockets it opened. */
async function phone(browser, url, locale = 'en-US') {
  const ctx = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale });
  ctx.setDefaultTimeout(8000);
  const page = await ctx.newPage();
  page.errors = [];
  page.sockets = 0;
  page.on('websocket', () => { page.sockets++; });
  page.on('pageerror', (e) => { page.errors.push(e); console.error(`# pageerror ${page.url()}: ${e.stack || e}`); });
  await page.goto(url);
  return page;
}

async function joinZh(page) {
  await page.getByRole('button', { name: '加入', exact: true }).click();
  await page.locator('#sections').getByRole('button', { name: '跳过' }).click();
  await page.locator('.pill.live').waitFor({ timeout: 5000 });
}

async function chant(page, words) {
  await page.locator('#chant').fill(words);
  await page.locator('.chantform button[type="submit"]').click();
}

async function snap(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.evaluate(() => { document.activeElement?.blur?.(); });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** Everything in root (default: the page) that sticks out sideways or clips its text. */
function overflow(page, root = 'body') {
  return page.evaluate((sel) => {
    const W = document.documentElement.clientWidth;
    const bad = [];
    if (document.documentElement.scrollWidth > W) bad.push(`the page scrolls sideways (${document.documentElement.scrollWidth} > ${W})`);
    for (const el of document.querySelectorAll(`${sel} *`)) {
      if (el.closest('.sr-only, select')) continue;
      const cs = getComputedStyle(el);
      if (cs.display === 'none' || cs.visibility === 'hidden') continue;
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height) continue;
      const name = `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${typeof el.className === 'string' && el.className.trim() ? `.${el.className.trim().split(/\s+/).join('.')}` : ''}`;
      if (r.right > W + 0.5 || r.left < -0.5) bad.push(`${name} spans ${Math.round(r.left)}..${Math.round(r.right)} of ${W}: "${el.textContent.slice(0, 40)}"`);
      if (cs.overflowX !== 'visible' && el.tagName !== 'INPUT' && el.scrollWidth > el.clientWidth + 1) bad.push(`${name} clips its content (${el.scrollWidth} > ${el.clientWidth}): "${el.textContent.slice(0, 40)}"`);
    }
    return bad;
  }, root);
}

async function fits(page, root) {
  assert.deepEqual(await overflow(page, root), [], 'nothing overflows at 360 px');
}

/** Switch the page's language with its own picker, as a person would. */
async function speak(page, label) {
  await page.locator('.lang select').selectOption({ label });
}

/**
 * The chants a person in the room can read on the venue screen: rendered,
 * inside the 1920x1080 window and not covered by anything else.
 */
function screenChants(page) {
  return page.evaluate(() => [...document.querySelectorAll('.s-chants li:not(.none)')].filter((li) => {
    const r = li.getBoundingClientRect();
    const cs = getComputedStyle(li);
    if (!r.width || !r.height || cs.visibility === 'hidden' || Number(cs.opacity) === 0) return false;
    if (r.top < 0 || r.left < 0 || r.bottom > innerHeight || r.left > innerWidth) return false;
    const hit = document.elementFromPoint(r.left + Math.min(r.width / 2, 40), r.top + r.height / 2);
    return !!hit && li.contains(hit);
  }).map((li) => `${li.querySelector('.s-ctext').innerText} ${li.querySelector('.s-cn').innerText}`));
}

const queueText = (crew) => text(crew, '.c-modq');

describe('chant moderation', () => {
  let dir, hub, browser, crew, screen, pA, pB, pZ;

  before(async () => {
    dir = tempDir();
    const ev = JSON.parse(readFileSync(EVENT_FILE, 'utf8'));
    ev.moderation = { mode: 'approve' };
    ev.limits = { chants: { rate: 50, burst: 50 } };
    const file = join(dir, 'event.json');
    writeFileSync(file, JSON.stringify(ev));
    hub = await startHub({ args: ['--event-file', file] });
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await hub?.stop();
    cleanup(dir);
  });

  it('approve mode: the crew approves one chant from the keyboard and hides the other; the screen shows exactly the approved one', async () => {
    crew = await desk(browser, `${hub.base}/crew?key=${KEYS.crew}`, { width: 1440, height: 1000 });
    screen = await desk(browser, `${hub.base}/screen?key=${KEYS.screen}`, { width: 1920, height: 1080 });
    await eventually(async () => assert.match(await text(crew, '.c-modcard'), /Approve: chants wait in the queue/));
    assert.equal(await crew.getByRole('radio', { name: 'Approve' }).getAttribute('aria-checked'), 'true');
    assert.match(await queueText(crew), /Nothing waiting — new chants appear here\./);

    pA = await phone(browser, `${hub.base}/e/${CODE}`);
    pB = await phone(browser, `${hub.base}/e/${CODE}`);
    await joinPhone(pA);
    await joinPhone(pB);
    // The first snapshot tells the phones that chants are checked first.
    for (const p of [pA, pB]) await eventually(async () => assert.match(await text(p, '#approvehint'), /The crew checks each chant/), 5000);

    await chant(pA, ENCORE);
    await eventually(async () => assert.equal(await text(pA, '#chantnote'), HELD.en), 5000);
    assert.equal(await pA.locator('#chant').inputValue(), '', 'the box is cleared: it was sent');
    assert.doesNotMatch(await text(pA, '#toasts'), /Chant sent!/, 'not "sent" as if it were live');
    await chant(pB, DRUMS);
    await eventually(async () => assert.equal(await text(pB, '#chantnote'), HELD.en), 5000);
    await snap(pA, 'phone-held-en');
    await fits(pA);
    await speak(pA, 'Bahasa Indonesia');
    await eventually(async () => assert.match(await text(pA, '#chantnote'), /Terkirim — sorakanmu tampil di layar besar setelah disetujui kru\./));
    await fits(pA);
    await speak(pA, 'English');
    await eventually(async () => assert.equal(await text(pA, '#chantnote'), HELD.en));

    // The queue, newest first, with how long ago each text came in.
    await eventually(async () => assert.match(await queueText(crew), new RegExp(`${DRUMS} ×1 (now|\\d+ sec\\. ago).*${ENCORE} ×1 (now|\\d+ sec\\. ago)`)), 5000);
    assert.match(await queueText(crew), /Waiting for approval \(2\)/i);
    await sleep(400);
    assert.deepEqual(await screenChants(screen), [], 'nothing on the screen before approval');

    // Keyboard: focus the row, press A.
    await crew.locator('.c-qrow', { hasText: ENCORE }).focus();
    await crew.keyboard.press('a');
    await eventually(async () => assert.deepEqual(await screenChants(screen), [`${ENCORE} ×1`]), 2000);
    await eventually(async () => assert.match(await text(crew, '.c-modack'), /Approved “Encore please” — it shows on the screens\./));
    // The focus moved on to the row that is left, ready for the next key.
    await eventually(async () => assert.equal(await crew.evaluate(() => document.activeElement.closest('.c-qrow')?.dataset.key), 'louder drums'));
    await eventually(async () => assert.match(await text(pA, '#chantnote'), /Approved — your chant is on the big screen!/), 5000);
    await snap(screen, 'screen-before-hide');

    // The other one: the Hide button.
    await crew.locator('.c-queue').getByRole('button', { name: `Hide “${DRUMS}”` }).click();
    await eventually(async () => assert.match(await text(crew, '.c-hidden'), new RegExp(`${DRUMS} Unhide`)));
    await eventually(async () => assert.match(await queueText(crew), /Nothing waiting — new chants appear here\./));
    await eventually(async () => assert.match(await text(crew, '.c-modack'), /Hidden “Louder drums” from every screen\./));
    await sleep(1200);
    assert.deepEqual(await screenChants(screen), [`${ENCORE} ×1`], 'exactly the approved chant');
    await snap(screen, 'screen-after-hide');
    // The crew still sees both, marked.
    assert.match(await text(crew, '.c-modtop'), new RegExp(`${ENCORE} ×1 On screens.*${DRUMS} ×1 Hidden`, 'i'));
    assert.doesNotMatch(await text(pB, '#chants'), new RegExp(DRUMS));

    // A Chinese phone: the same promise, in its language.
    pZ = await phone(browser, `${hub.base}/e/${CODE}`, 'zh-CN');
    await joinZh(pZ);
    await eventually(async () => assert.match(await text(pZ, '#approvehint'), /每条口号都会先经过工作人员审核/), 5000);
    await chant(pZ, ZH);
    await eventually(async () => assert.equal(await text(pZ, '#chantnote'), HELD.zh), 5000);
    await snap(pZ, 'phone-held-zh');
    await fits(pZ);

    await eventually(async () => assert.match(await queueText(crew), new RegExp(`${ZH} ×1`)), 5000);
    await crew.locator('.c-qrow', { hasText: ZH }).focus();
    await crew.evaluate(() => scrollTo(0, 0));
    await crew.screenshot({ path: join(ARTIFACTS, 'crew-moderation.png') });
    for (const p of [crew, screen, pA, pB, pZ]) assert.deepEqual(p.errors, []);
  });

  it('a refused word is refused kindly, without repeating it', async () => {
    await chant(pA, 'you f.u.c.k');
    await eventually(async () => assert.equal(await text(pA, '#chantnote'), 'Sorry, that text isn’t allowed here. Try different words.'), 5000);
    assert.doesNotMatch(await text(pA, 'main'), /f\.u\.c\.k/, 'the word is not echoed');
    assert.doesNotMatch(await queueText(crew), /f\.u\.c\.k/i, 'never offered to the crew');
    await fits(pA);
  });

  it('a live chant hidden and brought back; a text hidden before anyone sends it never reaches the queue', async () => {
    await crew.locator('.c-modtop').getByRole('button', { name: `Hide “${ENCORE}”` }).click();
    await eventually(async () => assert.deepEqual(await screenChants(screen), []), 2000);
    await eventually(async () => assert.match(await text(crew, '.c-modtop'), new RegExp(`${ENCORE} ×1 Hidden`, 'i')));
    await crew.locator('.c-hidden').getByRole('button', { name: `Unhide “${ENCORE}”` }).click();
    await eventually(async () => assert.deepEqual(await screenChants(screen), [`${ENCORE} ×1`]), 2000);
    await eventually(async () => assert.match(await text(crew, '.c-modack'), /“Encore please” can show again\./));

    await crew.getByLabel('Hide a text before anyone sends it').fill('Boring band');
    await crew.locator('.c-modcard form', { has: crew.locator('#modhide') }).getByRole('button', { name: 'Hide' }).click();
    await eventually(async () => assert.match(await text(crew, '.c-hidden'), /Boring band Unhide/));
    // The field clears when the hub acks (after the store commit), which may
    // come just after the hidden list updated.
    await eventually(async () => assert.equal(await crew.getByLabel('Hide a text before anyone sends it').inputValue(), ''));
    await chant(pB, 'BORING   band');   // another spelling
    await eventually(async () => assert.match(await text(crew, '.c-modtop'), /BORING band ×1 Hidden/i), 5000);
    assert.doesNotMatch(await queueText(crew), /boring/i, 'a hidden text is not offered for approval');
    assert.doesNotMatch((await screenChants(screen)).join(), /boring/i);
  });

  it('Off closes chants on every phone, with the reason, after a confirmation; they come back', async () => {
    await crew.getByRole('radio', { name: 'Off' }).click();
    const dlg = crew.getByRole('dialog', { name: 'Close chants for the whole crowd?' });
    await dlg.waitFor();
    await dlg.getByRole('button', { name: 'Cancel' }).click();
    await sleep(300);
    assert.equal(await crew.getByRole('radio', { name: 'Approve' }).getAttribute('aria-checked'), 'true', 'cancel changes nothing');

    await crew.getByRole('radio', { name: 'Off' }).click();
    await dlg.getByRole('button', { name: 'Close chants' }).click();
    await eventually(async () => assert.equal(await crew.getByRole('radio', { name: 'Off' }).getAttribute('aria-checked'), 'true'));
    await eventually(async () => assert.match(await text(crew, '.c-modack'), /Chant mode: Off\./));
    assert.match(await queueText(crew), /Chants are closed, so nothing is waiting\./);
    for (const [p, l] of [[pA, 'en'], [pZ, 'zh']]) {
      await eventually(async () => {
        assert.equal(await p.locator('#chantbox').isVisible(), false);
        assert.match(await text(p, '#chantoff'), OFF[l]);
        assert.equal(await p.locator('#chantoff').isVisible(), true);
      }, 5000);
    }
    await snap(pA, 'phone-off-en');
    await snap(pZ, 'phone-off-zh');
    await fits(pA);
    await fits(pZ);
    await speak(pA, 'Bahasa Indonesia');
    await eventually(async () => assert.match(await text(pA, '#chantoff'), /Kru sedang menjeda sorakan/));
    assert.equal(await pA.locator('#chantbox').isVisible(), false, 'still closed after a language switch');
    await fits(pA);
    await speak(pA, 'English');

    await crew.getByRole('radio', { name: 'Approve' }).click();
    for (const p of [pA, pZ]) await eventually(async () => assert.equal(await p.locator('#chant').isVisible(), true), 5000);
    assert.equal(await pA.locator('#chantoff').isVisible(), false);
  });

  it('a banned phone stops reconnecting and says why; an unban lets it back', async () => {
    // pB, banned from the queue with the keyboard (B, then confirm).
    await chant(pB, 'Ban me maybe');
    await eventually(async () => assert.match(await queueText(crew), /Ban me maybe ×1/), 5000);
    await crew.locator('.c-qrow', { hasText: 'Ban me maybe' }).focus();
    await crew.keyboard.press('b');
    const dlg = crew.getByRole('dialog');
    await dlg.waitFor();
    const title = await text(crew, 'dialog h2');
    const device = Number(title.match(/^Ban device (\d+)\?$/)?.[1]);
    assert.ok(device > 0, title);
    assert.match(await text(crew, 'dialog'), /It sent “Ban me maybe”\./);
    await dlg.getByRole('button', { name: 'Ban device' }).click();
    await eventually(async () => assert.match(await text(pB, 'main'), BLOCKED.en), 5000);
    await eventually(async () => assert.match(await text(crew, '.c-modcard'), /Banned devices 1 banned/i));
    await eventually(async () => assert.match(await text(crew, '.c-modack'), new RegExp(`Device ${device} banned\\.`)));
    await eventually(async () => assert.match(await text(crew, '.c-bannedhere'), new RegExp(`Device ${device} “Ban me maybe” Unban`)));
    const sockets = pB.sockets;
    await sleep(3000);
    assert.equal(pB.sockets, sockets, 'no reconnect after 4003');
    assert.equal(await pB.locator('.reactcard').count(), 0, 'no controls the hub would refuse');
    await snap(pB, 'phone-banned-en');
    await fits(pB);
    await speak(pB, 'Bahasa Indonesia');
    await eventually(async () => assert.match(await text(pB, 'main'), /Ponsel ini diblokir/));
    await fits(pB);
    await speak(pB, 'English');
    // A reload: the token is refused (error banned), the page says so and stays put.
    await pB.reload();
    await eventually(async () => assert.match(await text(pB, 'main'), BLOCKED.en), 5000);
    const again = pB.sockets;
    await sleep(2500);
    assert.equal(pB.sockets, again, 'no reconnect after a refused hello');

    // pZ, banned with the queue row's button.
    await chant(pZ, `${ZH}!`);
    await eventually(async () => assert.match(await queueText(crew), new RegExp(`${ZH}! ×1`)), 5000);
    await crew.locator('.c-queue').getByRole('button', { name: `Ban the sender of “${ZH}!”` }).click();
    await crew.getByRole('dialog').getByRole('button', { name: 'Ban device' }).click();
    await eventually(async () => assert.match(await text(pZ, 'main'), BLOCKED.zh), 5000);
    await eventually(async () => assert.match(await text(crew, '.c-modcard'), /2 banned/i));
    await snap(pZ, 'phone-banned-zh');
    await fits(pZ);

    // Unban by number: a wrong number is refused in words; the right one lets pB back.
    await crew.getByLabel('Unban a device by number').fill('999999');
    await crew.locator('.c-modcard form', { has: crew.locator('#modunban') }).getByRole('button', { name: 'Unban' }).click();
    await eventually(async () => assert.match(await text(crew, '#toasts'), /No device with that number has joined this event\./));
    assert.match(await text(crew, '.c-errs'), /unknown_device No device with that number has joined this event\./);
    await crew.getByLabel('Unban a device by number').fill(String(device));
    await crew.locator('.c-modcard form', { has: crew.locator('#modunban') }).getByRole('button', { name: 'Unban' }).click();
    await eventually(async () => assert.match(await text(crew, '.c-modack'), new RegExp(`Device ${device} unbanned\\.`)));
    await eventually(async () => assert.match(await text(crew, '.c-modcard'), /1 banned/i));
    assert.doesNotMatch(await text(crew, '.c-bannedhere'), new RegExp(`Device ${device} `));
    await pB.reload();
    await eventually(async () => assert.match(await text(pB, '.pill'), /^Live$/i), 5000);
    assert.equal(await pB.locator('#chant').isVisible(), true);
    for (const p of [crew, screen, pA, pB, pZ]) assert.deepEqual(p.errors, []);
  });

  it('the moderation panel fits a crew member\'s phone in every language', async () => {
    const ctx = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e));
    await page.goto(`${hub.base}/crew?key=${KEYS.crew}`);
    await chant(pA, 'One more song');
    await eventually(async () => assert.match(await text(page, '.c-queue'), /One more song ×1/), 5000);
    await fits(page, '.c-modcard');
    for (const [label, re] of [['简体中文', /等待审核/], ['Bahasa Indonesia', /Menunggu persetujuan/i]]) {
      await speak(page, label);
      await eventually(async () => assert.match(await text(page, '.c-modcard'), re));
      assert.match(await text(page, '.c-queue'), /One more song ×1/, 'the queue is rebuilt in the new language');
      await fits(page, '.c-modcard');
    }
    await page.locator('.c-modcard').screenshot({ path: join(ARTIFACTS, 'crew-moderation-360-id.png') });
    await ctx.close();
    assert.deepEqual(errors, []);
  });
});
