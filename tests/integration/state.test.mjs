// state.test.mjs -- what a page is told when it connects: the open poll,
// the last closed poll with its result, the newest markers and the song
// now playing, so a second crew member or a reloaded screen shows what the
// others show, before and after a hub restart.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startHub, Client, audience, crew, openPoll, newId, KEYS, tempDir, cleanup } from './lib.mjs';

async function hello(url, role, key) {
  const c = await Client.connect(url);
  const w = await c.hello({ role, key });
  assert.equal(w.t, 'welcome', JSON.stringify(w));
  return w;
}

async function marker(k, label, kind) {
  const id = newId();
  k.send({ t: 'marker', id, label, kind });
  assert.equal((await k.ack(id)).ok, true);
}

describe('state on connect', () => {
  let dir, hub;
  before(async () => { dir = tempDir(); hub = await startHub({ dir }); });
  after(async () => { await hub.stop(); cleanup(dir); });

  test('a fresh page gets the last result, the markers and the song now playing, also after a restart', async () => {
    const k = await crew(hub.url);
    const poll = await openPoll(k, ['Anthem', 'Ballad', 'Rocker', 'Encore Medley']);
    const phones = await Promise.all([0, 1, 2].map(() => audience(hub.url)));
    for (const [i, p] of phones.entries()) {
      const id = newId();
      p.send({ t: 'vote', id, poll, option: i === 2 ? 1 : 3 });
      assert.equal((await p.ack(id)).ok, true);
    }
    let id = newId();
    k.send({ t: 'poll.close', id, poll });
    await k.ack(id);
    await marker(k, 'Opening Anthem', 'song_start');
    await marker(k, 'Opening Anthem', 'song_end');
    await marker(k, 'Encore Medley', 'song_start');

    const check = (w, role) => {
      assert.equal(w.poll, null, role);
      assert.equal(w.last_poll.id, poll, role);
      assert.equal(w.last_poll.open, false, role);
      assert.deepEqual(w.last_poll.counts, [0, 1, 0, 2], role);
      assert.equal(w.last_poll.voters, 3, role);
      assert.equal(w.now_playing, 'Encore Medley', role);
    };
    for (const [role, key] of [['crew', KEYS.crew], ['screen', KEYS.screen], ['performer', KEYS.performer]]) {
      const w = await hello(hub.url, role, key);
      check(w, role);
      assert.deepEqual(w.markers.map((m) => [m.label, m.kind]),
        [['Opening Anthem', 'song_start'], ['Opening Anthem', 'song_end'], ['Encore Medley', 'song_start']], role);
    }
    const ph = await audience(hub.url);
    check(ph.welcome, 'audience');
    assert.equal(ph.welcome.markers, undefined, 'phones do not get the marker list');

    await hub.stop();
    hub = await startHub({ dir: hub.dir, db: hub.db, event: hub.event });
    const w = await hello(hub.url, 'screen', KEYS.screen);
    check(w, 'screen after a restart');
    assert.equal(w.markers.length, 3);
    // A song_end clears "now playing".
    const k2 = await crew(hub.url);
    await marker(k2, 'Encore Medley', 'song_end');
    assert.equal((await hello(hub.url, 'screen', KEYS.screen)).now_playing, null);
  });

  test('only the newest 20 markers are sent', async () => {
    const k = await crew(hub.url);
    for (let i = 0; i < 25; i++) await marker(k, `note ${i}`, 'note');
    const w = await hello(hub.url, 'crew', KEYS.crew);
    assert.equal(w.markers.length, 20);
    assert.equal(w.markers[19].label, 'note 24');
    assert.equal(w.markers[0].label, 'note 5');
  });
});

describe('section change', () => {
  let dir, hub;
  before(async () => { dir = tempDir(); hub = await startHub({ dir }); });
  after(async () => { await hub.stop(); cleanup(dir); });

  test('a phone changes its section with a message: same session, counted once, remembered', async () => {
    const k = await crew(hub.url);
    const a = await audience(hub.url);
    let id = newId();
    a.send({ t: 'section', id, section: 'B' });
    assert.equal((await a.ack(id)).ok, true);
    const snap = await k.next((m) => m.t === 'snap' && m.sections.B === 1, 3000, 'section B');
    assert.equal(snap.sections[''], 0);
    assert.equal(snap.audience, 1);
    id = newId();
    a.send({ t: 'section', id, section: 'Z' });
    assert.equal((await a.ack(id)).code, 'bad_field');
    id = newId();
    a.send({ t: 'section', id, section: '' });
    assert.equal((await a.ack(id)).ok, true);
    await k.next((m) => m.t === 'snap' && m.sections.B === 0 && m.sections[''] === 1, 3000, 'no section');
    a.send({ t: 'section', id: newId(), section: 'C' });
    await k.next((m) => m.t === 'snap' && m.sections.C === 1, 3000, 'section C');
    a.close();
    await new Promise((r) => setTimeout(r, 300));
    const again = await audience(hub.url, { token: a.welcome.token });
    assert.equal(again.welcome.device, a.welcome.device);
    await k.next((m) => m.t === 'snap' && m.sections.C === 1, 3000, 'the section is remembered');
    const { execFileSync } = await import('node:child_process');
    const n = execFileSync('sqlite3', [hub.db, `SELECT count(*) FROM sessions WHERE device = ${a.welcome.device}`]).toString().trim();
    assert.equal(n, '2', 'one session per connection, not per section change');
  });
});
