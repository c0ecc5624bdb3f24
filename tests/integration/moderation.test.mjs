// moderation.test.mjs -- chant moderation against the real hub: the filter,
// the three modes, hide/unhide, ban/unban across reconnects and restarts,
// bad input, the v1 -> v2 migration of an older database.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  startHub, Client, audience, crew, openPoll, newId, KEYS, tempDir, eventFile, cleanup, HUB,
} from './lib.mjs';

const sql = (db, q) => execFileSync('sqlite3', ['-json', db, q]).toString().trim();
const rows = (db, q) => { const s = sql(db, q); return s ? JSON.parse(s) : []; };
const LIMITS = { chants: { rate: 100, burst: 100 } };

// The next snapshot of client c (after this call) that satisfies pred.
const snapWhere = (c, pred, what = 'snapshot', ms = 3000) => c.next((m) => m.t === 'snap' && pred(m), ms, what);
const texts = (snap) => snap.chants.map((x) => x[0]);

async function screen(url) {
  const c = await Client.connect(url);
  const w = await c.hello({ role: 'screen', key: KEYS.screen });
  assert.equal(w.t, 'welcome');
  return c;
}

async function mod(k, fields) {
  const id = newId();
  k.send({ t: 'mod', id, ...fields });
  return k.ack(id);
}

async function chant(a, text) {
  const id = newId();
  a.send({ t: 'chant', id, text });
  return a.ack(id);
}

describe('filter and auto mode', () => {
  let dir, hub, a, s, k;
  before(async () => {
    dir = tempDir();
    hub = await startHub({ dir, event: eventFile(dir, { limits: LIMITS, moderation: { block: ['Rival FC'], allow: ['Scunthorpe'] } }) });
    a = await audience(hub.url);
    s = await screen(hub.url);
    k = await crew(hub.url);
  });
  after(async () => { await hub.stop(); cleanup(dir); });

  test('blocked texts are refused with their own code, in every disguise; clean ones show', async () => {
    for (const t of ['fuck', 'F.U.C.K', 'fuuuuck', 'sh1t', '傻逼', '傻 逼', 'dasar goblok', 'go home RIVAL fc']) {
      const r = await chant(a, t);
      assert.equal(r.ok, false, t);
      assert.equal(r.code, 'blocked', t);
    }
    for (const t of ['Encore!', 'Scunthorpe', 'class act']) assert.equal((await chant(a, t)).ok, true, t);
    const snap = await snapWhere(s, (m) => m.chants.length >= 3, 'three chants on the screen');
    assert.deepEqual(texts(snap).sort(), ['Encore!', 'Scunthorpe', 'class act'].sort());
    assert.equal(snap.chant_mode, 'auto');
    // The audit log has every refusal, not the chants table.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(rows(hub.db, "SELECT count(*) AS n FROM mod_log WHERE action = 'blocked'")[0].n, 8);
    assert.equal(rows(hub.db, "SELECT count(*) AS n FROM signals WHERE kind = 'chant'")[0].n, 3);
  });

  test('hide takes a text off every screen within a tick; unhide brings it back', async () => {
    await chant(a, 'hide me');
    await snapWhere(s, (m) => texts(m).includes('hide me'), 'the text on the screen');
    const r = await mod(k, { action: 'hide', text: 'HIDE   me' });   // any spelling of it
    assert.equal(r.ok, true);
    await snapWhere(s, (m) => !texts(m).includes('hide me'), 'the text gone', 500);
    const ks = await snapWhere(k, (m) => m.mod.hidden.some((h) => h.text === 'hide me'), 'hidden in the crew view');
    assert.ok(ks.chants.some((c) => c[0] === 'hide me' && c[2].hidden), 'the crew still sees it, marked hidden');
    await chant(a, 'hide me');                                      // sent again: still hidden
    await snapWhere(s, (m) => m.chants.length > 0 && !texts(m).includes('hide me'), 'still hidden');
    assert.equal((await mod(k, { action: 'unhide', text: 'hide me' })).ok, true);
    await snapWhere(s, (m) => texts(m).includes('hide me'), 'back on the screen', 500);
    const log = rows(hub.db, "SELECT action, key, session FROM mod_log WHERE action IN ('hide', 'unhide') ORDER BY id");
    assert.deepEqual(log.map((x) => x.action), ['hide', 'unhide']);
    assert.ok(log.every((x) => x.key === 'hide me' && x.session > 0), 'who did it is recorded');
  });

  test('an audience device can not moderate; bad mod messages name the field', async () => {
    const id = newId();
    a.send({ t: 'mod', id, action: 'hide', text: 'Encore!' });
    assert.equal((await a.ack(id)).code, 'not_allowed');
    for (const [fields, code, re] of [
      [{ action: 'nuke', text: 'x' }, 'bad_field', /action/],
      [{ action: 'hide' }, 'bad_field', /text/],
      [{ action: 'hide', text: 'x'.repeat(300) }, 'too_long', /text/],
      [{ action: 'ban' }, 'bad_field', /device/],
      [{ action: 'ban', device: 999999 }, 'unknown_device', /device/],
      [{ action: 'mode', mode: 'loud' }, 'bad_field', /mode/],
      [{ action: 'hide', text: '   ' }, 'bad_field', /text/],
    ]) {
      const r = await mod(k, fields);
      assert.equal(r.ok, false, JSON.stringify(fields));
      assert.equal(r.code, code, JSON.stringify(fields));
      assert.match(r.msg, re);
    }
  });
});

describe('approve and off modes', () => {
  let dir, hub;
  before(async () => {
    dir = tempDir();
    hub = await startHub({ dir, event: eventFile(dir, { limits: LIMITS, moderation: { mode: 'approve' } }) });
  });
  after(async () => { await hub.stop(); cleanup(dir); });

  test('approve: counted at once, shown only once approved, every spelling', async () => {
    const a = await audience(hub.url), b = await audience(hub.url), s = await screen(hub.url), k = await crew(hub.url);
    const r = await chant(a, 'Encore');
    assert.equal(r.ok, true);
    assert.equal(r.held, true, 'the phone is told it waits for approval');
    await chant(b, '  ENCORE ');
    await chant(b, 'other');
    const ks = await snapWhere(k, (m) => m.mod.pending.length >= 2, 'the queue on the crew dashboard');
    assert.equal(ks.mod.mode, 'approve');
    assert.deepEqual(ks.mod.pending.map((p) => [p.text, p.count]), [['other', 1], ['Encore', 2]], 'newest first, counts');
    assert.equal(ks.mod.pending[1].device, a.welcome.device, 'the first sender, to ban');
    const s1 = await snapWhere(s, () => true);
    assert.deepEqual(s1.chants, [], 'nothing on the screen yet');
    assert.equal(s1.chant_mode, 'approve');
    assert.equal((await mod(k, { action: 'approve', text: 'encore' })).ok, true);
    const s2 = await snapWhere(s, (m) => m.chants.length > 0, 'the approved text', 500);
    assert.deepEqual(s2.chants, [['Encore', 2]], 'the real count, and only the approved text');
    assert.equal((await chant(a, 'ENCORE')).held, undefined, 'an approved text is not held');
  });

  test('off: chants are closed, phones see it, and it survives a restart', async () => {
    const k = await crew(hub.url);
    assert.equal((await mod(k, { action: 'mode', mode: 'off' })).ok, true);
    const a = await audience(hub.url);
    const r = await chant(a, 'anything');
    assert.equal(r.code, 'chants_off');
    assert.equal((await snapWhere(a, () => true, 'a phone snapshot', 3000)).chant_mode, 'off');
    await hub.stop();
    hub = await startHub({ dir: hub.dir, db: hub.db, event: hub.event });
    const a2 = await audience(hub.url);
    assert.equal((await chant(a2, 'anything')).code, 'chants_off', 'the crew\'s choice outlives a restart');
    const k2 = await crew(hub.url);
    assert.equal((await mod(k2, { action: 'mode', mode: 'auto' })).ok, true);
    assert.equal((await chant(a2, 'anything')).ok, true);
  });
});

describe('ban', () => {
  let dir, hub;
  before(async () => { dir = tempDir(); hub = await startHub({ dir, event: eventFile(dir, { limits: LIMITS }) }); });
  after(async () => { await hub.stop(); cleanup(dir); });

  test('a banned device is closed with 4003, leaves the tally, is refused after a reconnect and a restart', async () => {
    const k = await crew(hub.url);
    const poll = await openPoll(k, ['A', 'B']);
    const a = await audience(hub.url), b = await audience(hub.url);
    for (const c of [a, b]) {
      const id = newId();
      c.send({ t: 'vote', id, poll, option: 0 });
      assert.equal((await c.ack(id)).ok, true);
    }
    await snapWhere(k, (m) => m.poll && m.poll.counts[0] === 2, 'two votes');
    assert.equal((await mod(k, { action: 'ban', device: a.welcome.device })).ok, true);
    assert.equal((await a.closedP).code, 4003);
    const snap = await snapWhere(k, (m) => m.poll && m.poll.counts[0] === 1, 'the banned vote gone', 1000);
    assert.equal(snap.poll.voters, 1);
    assert.equal(snap.mod.banned, 1);
    // Its token is refused.
    const again = await Client.connect(hub.url);
    const e = await again.hello({ role: 'audience', token: a.welcome.token });
    assert.equal(e.t, 'error');
    assert.equal(e.code, 'banned');
    assert.equal((await again.closedP).code, 4003);
    assert.equal(rows(hub.db, `SELECT banned FROM devices WHERE id = ${a.welcome.device}`)[0].banned, 1);
    // A restart keeps the ban.
    await hub.stop();
    hub = await startHub({ dir: hub.dir, db: hub.db, event: hub.event });
    const after = await Client.connect(hub.url);
    assert.equal((await after.hello({ role: 'audience', token: a.welcome.token })).code, 'banned');
    const k2 = await crew(hub.url);
    assert.equal((await mod(k2, { action: 'unban', device: a.welcome.device })).ok, true);
    const back = await audience(hub.url, { token: a.welcome.token });
    assert.equal(back.welcome.device, a.welcome.device, 'unbanned: the same device again');
  });
});

describe('poll results hidden until revealed', () => {
  let dir, hub;
  before(async () => { dir = tempDir(); hub = await startHub({ dir }); });
  after(async () => { await hub.stop(); cleanup(dir); });

  const vote = async (c, poll, option) => {
    const id = newId();
    c.send({ t: 'vote', id, poll, option });
    assert.equal((await c.ack(id)).ok, true);
  };

  test('manual: screens and phones see votes coming in but no counts until the crew reveals', async () => {
    const k = await crew(hub.url), s = await screen(hub.url), a = await audience(hub.url);
    const poll = await openPoll(k, ['A', 'B'], { reveal: 'manual' });
    const pe = await s.wait((m) => m.t === 'poll' && m.poll.id === poll);
    assert.equal(pe.poll.reveal, 'manual');
    assert.equal(pe.poll.hidden, true);
    await vote(a, poll, 1);
    const ss = await snapWhere(s, (m) => m.poll && m.poll.voters === 1, 'one voter on the screen');
    assert.equal(ss.poll.counts, undefined, 'no counts for the screen');
    assert.equal(ss.poll.hidden, true);
    const ks = await snapWhere(k, (m) => m.poll && m.poll.voters === 1, 'the crew');
    assert.deepEqual(ks.poll.counts, [0, 1], 'the crew always sees the counts');
    const pa = await snapWhere(a, (m) => m.poll && m.poll.voters === 1, 'the phone', 3000);
    assert.equal(pa.poll.counts, undefined, 'no counts for the phones');
    // Closing does not reveal a manual poll.
    let id = newId();
    k.send({ t: 'poll.close', id, poll });
    assert.equal((await k.ack(id)).ok, true);
    const closed = await s.wait((m) => m.t === 'poll' && m.poll.id === poll && !m.poll.open);
    assert.equal(closed.poll.counts, undefined);
    assert.equal(closed.poll.voters, 1);
    id = newId();
    k.send({ t: 'poll.reveal', id, poll });
    assert.equal((await k.ack(id)).ok, true);
    const shown = await s.wait((m) => m.t === 'poll' && m.poll.id === poll && m.poll.counts);
    assert.deepEqual(shown.poll.counts, [0, 1]);
    assert.equal(shown.poll.hidden, undefined);
    assert.ok(rows(hub.db, `SELECT revealed_ms FROM polls WHERE id = ${poll}`)[0].revealed_ms > 0);
    id = newId();
    k.send({ t: 'poll.reveal', id, poll: 9999 });
    assert.equal((await k.ack(id)).code, 'unknown_poll');
    id = newId();
    k.send({ t: 'poll.open', id, question: 'Q', options: ['a', 'b'], reveal: 'later' });
    assert.equal((await k.ack(id)).code, 'bad_field');
  });

  test('on_close: hidden while open, shown with the final result', async () => {
    const k = await crew(hub.url), s = await screen(hub.url), a = await audience(hub.url);
    const poll = await openPoll(k, ['A', 'B'], { reveal: 'on_close' });
    await vote(a, poll, 0);
    const ss = await snapWhere(s, (m) => m.poll && m.poll.voters === 1, 'one voter');
    assert.equal(ss.poll.counts, undefined);
    const id = newId();
    k.send({ t: 'poll.close', id, poll });
    await k.ack(id);
    const closed = await s.wait((m) => m.t === 'poll' && m.poll.id === poll && !m.poll.open);
    assert.deepEqual(closed.poll.counts, [1, 0], 'the final result is shown at close');
  });
});

describe('event file and older databases', () => {
  test('a bad moderation section is refused at start, naming the field', () => {
    const dir = tempDir();
    for (const [moderation, re] of [
      [{ mode: 'strict' }, /moderation\.mode/],
      [{ block: 'word' }, /moderation\.block/],
      [{ block: ['ok', ''] }, /moderation\.block\[1\]/],
      [{ allow: ['x'.repeat(80)] }, /moderation\.allow\[0\]/],
      [{ block: [7] }, /moderation\.block\[0\]/],
    ]) {
      const f = eventFile(dir, { moderation });
      const r = spawnSync(HUB, ['--port', '1', '--db', join(dir, 'x.db'), '--event-file', f], { encoding: 'utf8', timeout: 5000 });
      assert.equal(r.status, 1, JSON.stringify(moderation));
      assert.match(r.stderr, re);
    }
    cleanup(dir);
  });

  test('a v1 database is migrated: old chants get their grouping key, nothing is lost', async () => {
    const dir = tempDir();
    const db = join(dir, 'old.db');
    // The v1 schema exactly as chorus-hub a5b4119 wrote it.
    execFileSync('sqlite3', [db, `
      CREATE TABLE chorus_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE event(id INTEGER PRIMARY KEY CHECK (id = 1), code TEXT NOT NULL, name TEXT NOT NULL, config TEXT NOT NULL, created_ms INTEGER NOT NULL);
      CREATE TABLE reactions(name TEXT PRIMARY KEY, total INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE devices(id INTEGER PRIMARY KEY, created_ms INTEGER NOT NULL, section TEXT NOT NULL DEFAULT '');
      CREATE TABLE sessions(id INTEGER PRIMARY KEY, device INTEGER NOT NULL DEFAULT 0, role TEXT NOT NULL, section TEXT NOT NULL DEFAULT '', start_ms INTEGER NOT NULL, end_ms INTEGER);
      CREATE INDEX sessions_device ON sessions(device);
      CREATE TABLE polls(id INTEGER PRIMARY KEY, question TEXT NOT NULL, allow_change INTEGER NOT NULL, opened_ms INTEGER NOT NULL, closed_ms INTEGER, audience_at_open INTEGER NOT NULL);
      CREATE TABLE poll_options(poll INTEGER NOT NULL REFERENCES polls(id), idx INTEGER NOT NULL, label TEXT NOT NULL, PRIMARY KEY (poll, idx)) WITHOUT ROWID;
      CREATE TABLE votes(poll INTEGER NOT NULL REFERENCES polls(id), device INTEGER NOT NULL, option INTEGER NOT NULL, ts_ms INTEGER NOT NULL, changes INTEGER NOT NULL DEFAULT 0, UNIQUE (poll, device));
      CREATE TABLE signals(id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, device INTEGER NOT NULL, section TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL CHECK (kind IN ('vote','react','chant')), poll INTEGER, option INTEGER, reaction TEXT, n INTEGER, text TEXT);
      CREATE INDEX signals_ts ON signals(ts_ms);
      CREATE INDEX signals_device ON signals(device, kind);
      CREATE TABLE seconds(sec INTEGER PRIMARY KEY, audience INTEGER NOT NULL, taps INTEGER NOT NULL, votes INTEGER NOT NULL, chants INTEGER NOT NULL);
      CREATE TABLE second_reacts(sec INTEGER NOT NULL, reaction TEXT NOT NULL, taps INTEGER NOT NULL, PRIMARY KEY (sec, reaction)) WITHOUT ROWID;
      CREATE TABLE markers(id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, kind TEXT NOT NULL, label TEXT NOT NULL);
      INSERT INTO polls VALUES(1, 'Old poll?', 0, 1500, NULL, 2);
      INSERT INTO poll_options VALUES(1, 0, 'Yes'), (1, 1, 'No');
      INSERT INTO votes VALUES(1, 1, 1, 1600, 0);
      INSERT INTO event VALUES(1, 'DEMO', 'Old', '{}', 1000);
      INSERT INTO devices VALUES(1, 1000, ''), (2, 1000, '');
      INSERT INTO signals(ts_ms, device, kind, text) VALUES(2000, 1, 'chant', 'Encore'), (2001, 2, 'chant', 'encore'),
        (2002, 1, 'chant', 'ＥＮＣＯＲＥ'), (2003, 2, 'chant', 'one more');
      PRAGMA user_version = 1;`]);
    const hub = await startHub({ dir, db });
    const keys = rows(db, "SELECT text, chant_key FROM signals WHERE kind = 'chant' ORDER BY id");
    assert.deepEqual(keys.map((x) => x.chant_key), ['encore', 'encore', 'encore', 'one more']);
    assert.equal(rows(db, 'PRAGMA user_version')[0].user_version, 3, 'v1 -> v2 -> v3');
    const a = await audience(hub.url, { token: undefined });
    assert.equal(a.welcome.device, 3, 'device ids continue');
    assert.equal(a.welcome.poll.id, 1, 'the open poll of the old database is open');
    assert.equal(a.welcome.poll.reveal, 'live');
    assert.deepEqual(rows(db, 'SELECT reveal, revealed_ms FROM polls'), [{ reveal: 'live', revealed_ms: 1500 }]);
    assert.deepEqual(rows(db, 'SELECT played_ms, played_option FROM polls'), [{ played_ms: null, played_option: null }],
      'v3: no poll of an old event was played');
    assert.ok(rows(db, 'PRAGMA table_info(markers)').some((c) => c.name === 'poll'), 'v3: markers.poll');
    await hub.stop();
    cleanup(dir);
  });
});
