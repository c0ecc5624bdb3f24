// cluster-analytics.test.mjs -- the crew's Analytics tab in a cluster (issue
// 14, docs/cluster.md "One analysis"), against a REAL nats-server and real
// hubs: the tab shows the event's figures, read from every hub's database on
// the crew's machine, not only its own hub's, and it says which hubs it
// covers. A hub on another machine (here: a hub started in its own UTS
// namespace, so its host name is another) can not be read: the tab says so,
// names the machine, and says how to get the whole event. A hub killed -9
// still counts: what its crowd did is in its file. The figures are checked
// against chorus-report given the same files. Screenshots:
// tests/artifacts/cluster-analytics-*.png (LOOK at them).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { startHub, launch, eventually, text, sleep, tempDir, ROOT } from './lib.mjs';
import { crewPage, shotOf, overflow, speak } from './crewphone.lib.mjs';
import { audience, newId } from '../integration/lib.mjs';
import { startNats, haveNats } from '../cluster/nats.mjs';

const FAR_HOST = 'far-stage';
// The hub "on another machine": the same binary under another host name.
const FAR = ['unshare', '-u', 'sh', '-c', `hostname ${FAR_HOST} && exec "$@"`, 'sh'];
const canUnshare = () => spawnSync('unshare', ['-u', 'true']).status === 0;

/** Press "Refresh now" (when it is not already loading) until check() passes. */
async function until(page, check, ms = 30000) {
  let pressed = 0;
  await eventually(async () => {
    try { await check(); } catch (e) {
      const btn = page.locator('.a-refresh');
      if (Date.now() - pressed > 1200 && await btn.isEnabled()) { pressed = Date.now(); await btn.click(); }
      throw e;
    }
  }, ms, 200);
}

/** chorus-report over these files, as JSON. */
function report(dbs) {
  const out = join(tempDir(), 'r.json');
  execFileSync(join(ROOT, 'clients', 'chorus-report'), [...dbs.flatMap((d) => ['--db', d]), '--json', out]);
  return JSON.parse(readFileSync(out, 'utf8'));
}

const skip = (!haveNats() && 'nats-server is not installed') || (!canUnshare() && 'unshare -u is not allowed here');

describe('the crew’s Analytics tab in a cluster', { skip }, () => {
  let nats, browser, crew;
  const hubs = [], socks = [];
  const kpi = (cls) => text(crew, `.a-k-${cls} .a-kval`);
  const note = () => text(crew, '.a-hubs');
  /** The report the tab showed last (the page's own fetch). */
  const shown = () => crew.evaluate(async () => (await fetch('/api/report', { headers: { Authorization: 'Bearer crew-demo-key' } })).json());

  async function tap(hub, kind, n, chant) {
    const c = await audience(`ws://127.0.0.1:${hub.port}/ws`);
    socks.push(c);
    c.send({ t: 'react', kind, n });
    if (chant) {
      const id = newId();
      c.send({ t: 'chant', id, text: chant });
      assert.equal((await c.ack(id)).ok, true, 'chant acked');
    }
    return c;
  }

  before(async () => {
    nats = await startNats();
    // Started one after the other, so their ids are 0 and 1.
    hubs.push(await startHub({ args: ['--nats', nats.url] }));
    hubs.push(await startHub({ args: ['--nats', nats.url] }));
    await tap(hubs[0], 'fire', 7, 'one more song');
    await tap(hubs[1], 'clap', 5, 'one more song');
    browser = await launch();
    crew = await crewPage(browser, hubs[1].base);
    await crew.locator('.c-tab', { hasText: 'Analytics' }).click();
  });
  after(async () => {
    for (const c of socks) c.ws.terminate();
    await browser?.close();
    for (const h of hubs) await h.stop('SIGKILL');
    await nats?.destroy();
  });

  it('two hubs on this machine: the tab shows both hubs’ taps, chants and devices, and says it is the whole event', async () => {
    await until(crew, async () => {
      assert.equal(await kpi('taps'), '12', 'hub 0’s 7 taps and hub 1’s 5');
      assert.equal(await kpi('devices'), '2');
      assert.match(await text(crew, '.a-k-chant'), /“one more song” ×2 from 2 devices/);
      assert.equal(await note(), 'The whole event: 2 hubs (0 and 1).');
    });
    // The same figures as chorus-report with both files.
    const r = report([hubs[1].db, hubs[0].db]), j = await shown();
    assert.equal(j.totals.taps, r.totals.taps);
    assert.equal(j.reach.devices, r.reach.devices);
    assert.deepEqual(j.chants.top, r.chants.top);
    assert.deepEqual(j.event.hub_ids, [1, 0]);
    assert.deepEqual(j.event.missing, []);
    assert.equal(j.event.hubs, 2);
    await shotOf(crew, '.a-root', 'cluster-analytics-whole');
  });

  it('a hub on another machine joins: its taps are not in the tab, which says it is missing, where it runs, and how to get the whole event', async () => {
    hubs.push(await startHub({ args: ['--nats', nats.url], wrap: FAR }));
    await tap(hubs[2], 'heart', 11);
    await until(crew, async () => {
      const t = await note();
      assert.match(t, /^Not the whole event: these figures come from hubs 0 and 1 of the event’s 3\. Missing: Hub 2: runs on another machine \(far-stage\), whose database this hub cannot read\. For the whole event, run chorus-report with every hub’s database \(--db once per hub\)\.$/, t);
    });
    assert.equal(await kpi('taps'), '12', 'only the files it could read');
    const j = await shown();
    assert.deepEqual(j.event.missing.map((m) => [m.hub, m.why, m.live]), [[2, 'other_host', true]]);
    assert.ok(j.event.missing[0].where.startsWith(`${FAR_HOST}:/`), j.event.missing[0].where);
    // What chorus-report says with every file: the far hub's 11 taps too.
    assert.equal(report([hubs[1].db, hubs[0].db, hubs[2].db]).totals.taps, 23);
    // Seen at a desk: the note is on the screen, above the figures.
    const box = await crew.locator('.a-hubs').boundingBox();
    const kpis = await crew.locator('.a-kpis').boundingBox();
    assert.ok(box && box.height > 40 && box.y + box.height <= kpis.y, 'the note is shown above the headline figures');
    await shotOf(crew, '.a-root', 'cluster-analytics-missing');
  });

  it('a hub on this machine killed -9: what its crowd did still counts', async () => {
    await hubs[0].stop('SIGKILL');
    await sleep(3500);   // silent long enough to be not live
    await until(crew, async () => {
      const j = await shown();
      const zero = j.event.hub_ids.includes(0);
      assert.ok(zero, `hub 0’s file is still read: ${JSON.stringify(j.event)}`);
    });
    await until(crew, async () => assert.equal(await kpi('taps'), '12'));
  });

  it('a hub’s database moved away, or not a database: the tab says which and why, and still shows this hub’s figures', async () => {
    const db = hubs[0].db;
    // The database and its WAL (the hub was killed: what it wrote last is there).
    const files = [db, `${db}-wal`, `${db}-shm`].filter((f) => existsSync(f));
    for (const f of files) renameSync(f, `${f}.aside`);
    try {
      await until(crew, async () => {
        assert.match(await note(), new RegExp(`Missing: Hub 0: its database ${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be read here\\. Hub 2: runs on another machine`));
        assert.equal(await kpi('taps'), '5', 'hub 1’s own taps');
      });
      writeFileSync(db, 'not a database, but a file of the same name\n'.repeat(200));
      await until(crew, async () => {
        assert.match(await note(), /^Not the whole event: these figures come from hub 1 alone, of the event’s 3\. Missing: Hub 0: its database could not be read with this one \(\S+chorus\.db: not a Chorus database \(not an SQLite file\)\)\. Hub 2:/);
        assert.equal(await kpi('taps'), '5', 'hub 1’s own taps: one bad file does not take them away');
      });
      await shotOf(crew, '.a-hubs', 'cluster-analytics-bad-file');
      // A FIFO at that path (the path comes from the network): never opened
      // for reading, which would hold the report worker forever.
      rmSync(db);
      execFileSync('mkfifo', [db]);
      await until(crew, async () => {
        assert.match(await note(), /Missing: Hub 0: its database \S+chorus\.db cannot be read here\./);
        assert.equal(await kpi('taps'), '5');
      });
      rmSync(db);
    } finally {
      for (const f of files) renameSync(`${f}.aside`, f);
    }
    await until(crew, async () => {
      assert.equal(await kpi('taps'), '12', 'back');
      assert.match(await note(), /^Not the whole event: these figures come from hubs 0 and 1 of the event’s 3\. Missing: Hub 2:/);
    });
  });

  it('on a crew member’s phone, in every language: the note is on the screen and fits', async () => {
    const ph = await crewPage(browser, hubs[1].base, { width: 360, height: 740, mobile: true });
    await ph.locator('.c-tab', { hasText: 'Analytics' }).click();
    await until(ph, async () => assert.match(await text(ph, '.a-hubs'), /Hub 2: runs on another machine \(far-stage\)/));
    for (const [label, lang, re] of [
      ['English', 'en', /Hub 2: runs on another machine \(far-stage\)/],
      ['简体中文', 'zh', /服务器 2： 运行在另一台机器（far-stage）上/],
      ['Bahasa Indonesia', 'id', /Hub 2: berjalan di mesin lain \(far-stage\)/]]) {
      await speak(ph, label);
      await eventually(async () => assert.match(await text(ph, '.a-hubs'), re), 5000);
      assert.deepEqual(await overflow(ph, '.a-hubs'), [], `${label}: nothing clipped`);
      const r = await ph.locator('.a-hubs').boundingBox();
      assert.ok(r.x >= 0 && r.x + r.width <= 360, `${label}: within the screen`);
      await ph.locator('.a-hubs').evaluate((el) => el.scrollIntoView({ block: 'start' }));
      await shotOf(ph, '.a-hubs', `cluster-analytics-360-${lang}`);
    }
    await ph.context().close();
  });
});
