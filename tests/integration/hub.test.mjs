// hub.test.mjs -- integration tests: the real chorus-hub on a free loopback
// port with a temporary SQLite database, driven by real WebSocket clients.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import WebSocket from 'ws';
import { encode } from '@msgpack/msgpack';
import {
  startHub, Client, audience, crew, openPoll, newId, sleep, KEYS, tempDir, eventFile, cleanup, HUB, DEMO, ROOT,
} from './lib.mjs';

const sql = (db, q) => execFileSync('sqlite3', ['-json', db, q]).toString().trim();
const rows = (db, q) => { const s = sql(db, q); return s ? JSON.parse(s) : []; };

describe('hello and roles', () => {
  let hub;
  before(async () => { hub = await startHub(); });
  after(async () => { await hub.stop(); cleanup(hub.dir); });

  test('each role with its key gets a welcome naming the role', async () => {
    for (const [role, key] of [['screen', KEYS.screen], ['performer', KEYS.performer], ['crew', KEYS.crew]]) {
      const c = await Client.connect(hub.url);
      const w = await c.hello({ role, key });
      assert.equal(w.t, 'welcome', JSON.stringify(w));
      assert.equal(w.role, role);
      assert.equal(w.event.code, 'DEMO');
      assert.deepEqual(w.event.reactions, ['heart', 'fire', 'clap', 'rock', 'laugh']);
      assert.equal(w.token, '');
      c.close();
    }
    const a = await audience(hub.url, { section: 'B' });
    assert.equal(a.welcome.role, 'audience');
    assert.ok(a.welcome.device >= 1);
    assert.match(a.welcome.token, /^\d+\.[0-9a-f]{32}$/);
    const snap = await a.wait((m) => m.t === 'snap', 3000);
    assert.ok(snap.audience >= 1);
    assert.ok(snap.sections.B >= 1);
    a.close();
  });

  test('a wrong or missing key is refused with bad_key and the connection stays usable', async () => {
    const c = await Client.connect(hub.url);
    let r = await c.hello({ role: 'crew', key: 'nope' });
    assert.equal(r.t, 'error');
    assert.equal(r.code, 'bad_key');
    c.msgs.length = 0;
    r = await c.hello({ role: 'screen' });
    assert.equal(r.code, 'bad_key');
    c.msgs.length = 0;
    r = await c.hello({ role: 'screen', key: KEYS.crew });
    assert.equal(r.code, 'bad_key', 'the crew key does not open the screen role');
    c.msgs.length = 0;
    r = await c.hello({ role: 'screen', key: KEYS.screen });
    assert.equal(r.t, 'welcome');
    c.close();
  });

  test('unknown event, bad role and bad section are named', async () => {
    const c = await Client.connect(hub.url);
    c.send({ t: 'hello', role: 'audience', event: 'OTHER' });
    let r = await c.wait((m) => m.t === 'error');
    assert.equal(r.code, 'unknown_event');
    c.msgs.length = 0;
    r = await c.hello({ role: 'king' });
    assert.equal(r.code, 'bad_field');
    assert.match(r.msg, /role/);
    c.msgs.length = 0;
    r = await c.hello({ role: 'audience', section: 'Z' });
    assert.equal(r.code, 'bad_field');
    assert.match(r.msg, /section/);
    c.msgs.length = 0;
    c.send({ t: 'hello', role: 'audience' });
    r = await c.wait((m) => m.t === 'welcome' || m.t === 'error');
    assert.equal(r.t, 'welcome', 'without an event code the hub means its own event');
    assert.equal(r.event.code, 'DEMO');
    c.close();
  });

  test('messages before hello, twice hello, and wrong roles get not_allowed', async () => {
    const c = await Client.connect(hub.url);
    c.send({ t: 'vote', id: 1, poll: 1, option: 0 });
    let r = await c.ack(1);
    assert.equal(r.ok, false);
    assert.equal(r.code, 'not_allowed');
    await c.hello({ role: 'audience' });
    c.send({ t: 'hello', role: 'audience', event: 'DEMO' });
    r = await c.wait((m) => m.t === 'error' && m.code === 'not_allowed');
    assert.match(r.msg, /already/);
    c.send({ t: 'poll.open', id: 2, question: 'x', options: ['a', 'b'] });
    r = await c.ack(2);
    assert.equal(r.code, 'not_allowed');
    const k = await crew(hub.url);
    k.send({ t: 'vote', id: 3, poll: 1, option: 0 });
    assert.equal((await k.ack(3)).code, 'not_allowed');
    c.close(); k.close();
  });

  test('ping answers pong with the server time', async () => {
    const c = await Client.connect(hub.url);
    const before = Date.now();
    c.send({ t: 'ping', c: 42 });
    const p = await c.wait((m) => m.t === 'pong');
    assert.equal(p.c, 42);
    assert.ok(Math.abs(p.now - before) < 2000);
    c.close();
  });

  test('the handshake needs subprotocol chorus.v1 on /ws', async () => {
    const port = hub.port;
    const noProto = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    const e1 = await new Promise((r) => { noProto.on('error', () => r('refused')); noProto.on('open', () => r('open')); });
    assert.equal(e1, 'refused');
    const badPath = new WebSocket(`ws://127.0.0.1:${port}/other`, 'chorus.v1');
    const e2 = await new Promise((r) => { badPath.on('error', () => r('refused')); badPath.on('open', () => r('open')); });
    assert.equal(e2, 'refused');
  });
});

describe('votes and polls', () => {
  let hub, k;
  before(async () => { hub = await startHub(); k = await crew(hub.url); });
  after(async () => { await hub.stop(); cleanup(hub.dir); });

  test('vote -> ack after commit -> counted in the snapshot and the database', async () => {
    const poll = await openPoll(k, ['Red', 'Blue', 'Green']);
    const a = await audience(hub.url, { section: 'A' });
    const b = await audience(hub.url, { section: 'C' });
    const ia = newId(), ib = newId();
    a.send({ t: 'vote', id: ia, poll, option: 2 });
    b.send({ t: 'vote', id: ib, poll, option: 2 });
    const [ra, rb] = await Promise.all([a.ack(ia), b.ack(ib)]);
    assert.equal(ra.ok, true); assert.equal(rb.ok, true);
    assert.equal(ra.changed, false);
    // Acked means committed: it is in the file now.
    const v = rows(hub.db, `SELECT device, option FROM votes WHERE poll = ${poll} ORDER BY device`);
    assert.deepEqual(v.map((x) => x.option), [2, 2]);
    const snap = await k.next((m) => m.t === 'snap' && m.poll?.id === poll && m.poll.voters === 2, 2000);
    assert.deepEqual(snap.poll.counts, [0, 0, 2]);
    a.close(); b.close();
  });

  test('one vote per device: no change unless allowed, even from a new connection with the token', async () => {
    const poll = await openPoll(k, ['A', 'B']);
    const a = await audience(hub.url);
    let id = newId();
    a.send({ t: 'vote', id, poll, option: 0 });
    assert.equal((await a.ack(id)).ok, true);
    id = newId();
    a.send({ t: 'vote', id, poll, option: 1 });
    let r = await a.ack(id);
    assert.equal(r.ok, false);
    assert.equal(r.code, 'already_voted');
    // Same device from a second connection: replaced (4000), still one vote.
    const a2 = await audience(hub.url, { token: a.welcome.token });
    assert.equal(a2.welcome.device, a.welcome.device);
    assert.equal(a2.welcome.poll.voted, 0);
    const closed = await a.closedP;
    assert.equal(closed.code, 4000);
    id = newId();
    a2.send({ t: 'vote', id, poll, option: 1 });
    r = await a2.ack(id);
    assert.equal(r.code, 'already_voted');
    const snap = await k.next((m) => m.t === 'snap' && m.poll?.id === poll);
    assert.deepEqual(snap.poll.counts, [1, 0]);
    assert.equal(snap.poll.voters, 1);
    // A forged token never maps to that device.
    const forged = a.welcome.token.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    const f = await audience(hub.url, { token: forged });
    assert.notEqual(f.welcome.device, a.welcome.device);
    assert.equal(f.welcome.poll.voted, undefined);
    a2.close(); f.close();
  });

  test('a changed vote moves the count and is acked as changed', async () => {
    const poll = await openPoll(k, ['A', 'B', 'C'], { allow_change: true });
    const a = await audience(hub.url);
    for (const [opt, changed] of [[0, false], [2, true], [1, true], [1, false]]) {
      const id = newId();
      a.send({ t: 'vote', id, poll, option: opt });
      const r = await a.ack(id);
      assert.equal(r.ok, true);
      assert.equal(r.changed, changed, `option ${opt}`);
    }
    const snap = await k.next((m) => m.t === 'snap' && m.poll?.id === poll);
    assert.deepEqual(snap.poll.counts, [0, 1, 0]);
    assert.equal(snap.poll.voters, 1);
    const v = rows(hub.db, `SELECT option, changes FROM votes WHERE poll = ${poll}`);
    assert.deepEqual(v, [{ option: 1, changes: 2 }]);
    assert.equal(rows(hub.db, `SELECT count(*) AS n FROM signals WHERE kind = 'vote' AND poll = ${poll}`)[0].n, 4);
    a.close();
  });

  test('closed poll, unknown poll and bad option are refused and not counted', async () => {
    const a = await audience(hub.url);
    const poll = await openPoll(k, ['A', 'B']);
    let id = newId();
    a.send({ t: 'vote', id, poll, option: 5 });
    assert.equal((await a.ack(id)).code, 'bad_option');
    id = newId();
    a.send({ t: 'vote', id, poll, option: -1 });
    assert.equal((await a.ack(id)).code, 'bad_option');
    id = newId();
    a.send({ t: 'vote', id, poll: 9999, option: 0 });
    assert.equal((await a.ack(id)).code, 'unknown_poll');
    const cid = newId();
    const closing = a.next((m) => m.t === 'poll' && m.poll.id === poll && m.poll.open === false);
    k.send({ t: 'poll.close', id: cid, poll });
    assert.equal((await k.ack(cid)).ok, true);
    const pm = await closing;
    assert.deepEqual(pm.poll.counts, [0, 0]);
    id = newId();
    a.send({ t: 'vote', id, poll, option: 0 });
    assert.equal((await a.ack(id)).code, 'poll_closed');
    assert.equal(rows(hub.db, `SELECT count(*) AS n FROM votes WHERE poll = ${poll}`)[0].n, 0);
    const snap = await k.next((m) => m.t === 'snap');
    assert.equal(snap.poll, null);
    a.close();
  });

  test('opening a poll closes the open one; every role hears both', async () => {
    const s = await Client.connect(hub.url);
    await s.hello({ role: 'screen', key: KEYS.screen });
    const p1 = await openPoll(k, ['x', 'y']);
    const gotClose = s.next((m) => m.t === 'poll' && m.poll.id === p1 && !m.poll.open);
    const gotOpen = s.next((m) => m.t === 'poll' && m.poll.open && m.poll.id === p1 + 1);
    const p2 = await openPoll(k, ['u', 'v', 'w']);
    assert.equal(p2, p1 + 1);
    await gotClose; const o = await gotOpen;
    assert.deepEqual(o.poll.options, ['u', 'v', 'w']);
    const db = rows(hub.db, `SELECT id, closed_ms IS NOT NULL AS closed FROM polls WHERE id IN (${p1}, ${p2}) ORDER BY id`);
    assert.deepEqual(db.map((r) => r.closed), [1, 0]);
    s.close();
  });

  test('poll.open and marker fields are validated', async () => {
    const bad = [
      [{ question: 'q', options: ['only'] }, 'bad_field'],
      [{ question: 'q', options: Array.from({ length: 13 }, (_, i) => `o${i}`) }, 'bad_field'],
      [{ question: 'q', options: ['a', 'x'.repeat(65)] }, 'too_long'],
      [{ question: 'q'.repeat(201), options: ['a', 'b'] }, 'too_long'],
      [{ question: '', options: ['a', 'b'] }, 'bad_field'],
      [{ question: 'q', options: ['a', 7] }, 'bad_field'],
      [{ question: 'q', options: ['a', 'b'], allow_change: 'yes' }, 'bad_field'],
      [{ question: 'q', options: ['a', '  '] }, 'bad_field'],
      [{ question: 'q', options: ['a', 'b', 'a'] }, 'bad_field'],
      [{ question: '   ', options: ['a', 'b'] }, 'bad_field'],
    ];
    for (const [fields, code] of bad) {
      const id = newId();
      k.send({ t: 'poll.open', id, ...fields });
      const r = await k.ack(id);
      assert.equal(r.ok, false, JSON.stringify(fields));
      assert.equal(r.code, code, JSON.stringify(fields));
    }
    let id = newId();
    k.send({ t: 'marker', id, label: 'Song 3 starts', kind: 'song_start' });
    assert.equal((await k.ack(id)).ok, true);
    assert.deepEqual(rows(hub.db, `SELECT kind, label FROM markers ORDER BY id DESC LIMIT 1`), [{ kind: 'song_start', label: 'Song 3 starts' }]);
    id = newId();
    k.send({ t: 'marker', id, label: 'x', kind: 'party' });
    assert.equal((await k.ack(id)).code, 'bad_field');
    id = newId();
    k.send({ t: 'marker', id, label: '   ' });
    assert.equal((await k.ack(id)).code, 'bad_field');
  });
});

describe('reactions and chants', () => {
  let hub, dir;
  before(async () => {
    dir = tempDir();
    const ev = eventFile(dir, { limits: { react_msgs: { rate: 1000, burst: 1000 }, react_taps: { rate: 5000, burst: 5000 }, chants: { rate: 100, burst: 100 } } });
    hub = await startHub({ dir, event: ev });
  });
  after(async () => { await hub.stop(); cleanup(dir); });

  test('10,000 reactions from 100 clients are counted exactly (snapshot and database)', async () => {
    const k = await crew(hub.url);
    const clients = await Promise.all(Array.from({ length: 100 }, () => audience(hub.url)));
    const kinds = ['heart', 'fire', 'clap', 'rock', 'laugh'];
    clients.forEach((c, i) => { for (let j = 0; j < 100; j++) c.send({ t: 'react', kind: kinds[(i + j) % 5], n: 1 }); });
    const snap = await k.next((m) => m.t === 'snap' && Object.values(m.react).reduce((a, b) => a + b, 0) >= 10000, 10000);
    assert.deepEqual(snap.react, { heart: 2000, fire: 2000, clap: 2000, rock: 2000, laugh: 2000 });
    assert.ok(clients.every((c) => !c.msgs.some((m) => m.t === 'error')), 'no reaction was refused');
    // The tick that coalesces them, then the store's commits: a sanitized
    // hub on a busy machine takes seconds, so wait for them (up to 20 s).
    const want = ['clap', 'fire', 'heart', 'laugh', 'rock'].map((r) => ({ reaction: r, n: 2000 }));
    const q = `SELECT reaction, sum(n) AS n FROM signals WHERE kind = 'react' GROUP BY reaction ORDER BY reaction`;
    let db = rows(hub.db, q);
    for (let i = 0; i < 200 && JSON.stringify(db) !== JSON.stringify(want); i++) { await sleep(100); db = rows(hub.db, q); }
    assert.deepEqual(db, want);
    clients.forEach((c) => c.close());
    k.close();
  });

  test('react fields are checked: unknown kind, n out of 1..50', async () => {
    const a = await audience(hub.url);
    a.send({ t: 'react', kind: 'boo', n: 1 });
    let e = await a.wait((m) => m.t === 'error');
    assert.equal(e.code, 'bad_field'); assert.match(e.msg, /kind/);
    a.msgs.length = 0;
    a.send({ t: 'react', kind: 'heart', n: 51 });
    e = await a.wait((m) => m.t === 'error');
    assert.match(e.msg, /'n'/);
    a.msgs.length = 0;
    a.send({ t: 'react', kind: 'heart', n: 0 });
    e = await a.wait((m) => m.t === 'error');
    assert.match(e.msg, /'n'/);
    a.close();
  });

  test('top chants group spellings and rank by count over the window', async () => {
    const k = await crew(hub.url);
    const a = await audience(hub.url);
    const texts = ['Encore!', '  encore!  ', 'ENCORE!', 'Ｅｎｃｏｒｅ!', 'one more song', 'One   More Song', 'hey'];
    for (const text of texts) {
      const id = newId();
      a.send({ t: 'chant', id, text });
      assert.equal((await a.ack(id)).ok, true, text);
    }
    const snap = await k.next((m) => m.t === 'snap' && m.chants.length >= 3);
    // The crew's view adds a third element (moderation flags, docs/protocol.md).
    assert.deepEqual(snap.chants.map(([t, n]) => [t, n]), [['Encore!', 4], ['one more song', 2], ['hey', 1]]);
    assert.deepEqual(snap.chants.map((c) => c[2].key), ['encore!', 'one more song', 'hey']);
    let id = newId();
    a.send({ t: 'chant', id, text: 'x'.repeat(65) });
    assert.equal((await a.ack(id)).code, 'too_long');
    id = newId();
    a.send({ t: 'chant', id, text: `  ${'y'.repeat(64)}   ` });
    assert.equal((await a.ack(id)).ok, true, '64 bytes after trimming is fine');
    id = newId();
    a.send({ t: 'chant', id, text: '   ' });
    assert.equal((await a.ack(id)).code, 'bad_field');
    id = newId();
    a.send({ t: 'chant', id, text: 'bell\u0007' });
    assert.equal((await a.ack(id)).code, 'bad_field');
    a.close(); k.close();
  });
});

describe('limits and malformed input', () => {
  let hub;
  before(async () => { hub = await startHub(); });
  after(async () => { await hub.stop(); cleanup(hub.dir); });

  test('malformed frames each get a clear error and the connection keeps working', async () => {
    const a = await audience(hub.url);
    const cases = [
      [Buffer.from([0xc1]), 'bad_frame'],                               // never-used byte
      [Buffer.from([0x82, 0xa1, 0x74]), 'bad_frame'],                   // truncated map
      [encode([1, 2, 3]), 'bad_frame'],                                 // not a map
      [encode({ x: 1 }), 'bad_frame'],                                  // no t
      [encode({ t: 7 }), 'bad_frame'],                                  // t not a string
      [encode({ t: 'dance' }), 'bad_type'],                             // unknown type
      [Buffer.concat([encode({ t: 'ping', c: 1 }), Buffer.from([0])]), 'bad_frame'], // trailing bytes
      [Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]), 'bad_frame'],       // array claiming 4G entries
      [encode({ t: 'react', kind: 3, n: 1 }), 'bad_field'],             // wrong type
      [encode({ t: 'react', kind: 'heart', n: 'many' }), 'bad_field'],
      [encode({ t: 'chant', text: Buffer.from([0xff, 0xfe]).toString('latin1') }), null], // valid UTF-8 as sent by JS
      [encode({ t: 'chant', text: 'x' }).fill(0xff, 10), 'bad_frame'],
    ];
    for (const [buf, code] of cases) {
      if (code === null) continue;
      a.msgs.length = 0;
      a.sendRaw(buf);
      const e = await a.wait((m) => m.t === 'error', 2000, `error for ${buf.toString('hex')}`);
      assert.equal(e.code, code, buf.toString('hex'));
      assert.ok(e.msg.length > 0);
      await sleep(30);
    }
    // Invalid UTF-8 inside a msgpack string.
    a.msgs.length = 0;
    a.sendRaw(Buffer.from([0x82, 0xa1, 0x74, 0xa5, 0x63, 0x68, 0x61, 0x6e, 0x74, 0xa4, 0x74, 0x65, 0x78, 0x74]).length ? Buffer.concat([
      Buffer.from([0x82, 0xa1, 0x74, 0xa5]), Buffer.from('chant'), Buffer.from([0xa4]), Buffer.from('text'), Buffer.from([0xa2, 0xff, 0xfe])]) : null);
    let e = await a.wait((m) => m.t === 'error');
    assert.equal(e.code, 'bad_field'); assert.match(e.msg, /UTF-8/);
    // A text frame.
    a.msgs.length = 0;
    a.ws.send('{"t":"ping"}');
    e = await a.wait((m) => m.t === 'error');
    assert.equal(e.code, 'bad_frame');
    // Still serving this connection.
    a.send({ t: 'ping', c: 5 });
    assert.equal((await a.wait((m) => m.t === 'pong')).c, 5);
    a.close();
  });

  test('random bytes never crash the hub', async () => {
    const a = await audience(hub.url);
    let seed = 12345;
    const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
    for (let i = 0; i < 15; i++) {
      const len = 1 + (rnd() % 300);
      const buf = Buffer.alloc(len);
      for (let j = 0; j < len; j++) buf[j] = rnd() & 0xff;
      a.sendRaw(buf);
    }
    await sleep(300);
    const b = await audience(hub.url);
    b.send({ t: 'ping', c: 1 });
    await b.wait((m) => m.t === 'pong');
    b.close(); a.close();
  });

  test('a 5 KiB frame closes the connection with 1009; others keep working', async () => {
    const a = await audience(hub.url);
    a.sendRaw(encode({ t: 'chant', text: 'x'.repeat(5 * 1024) }));
    const c = await a.closedP;
    assert.equal(c.code, 1009);
    const b = await audience(hub.url);
    b.send({ t: 'ping', c: 2 });
    assert.equal((await b.wait((m) => m.t === 'pong')).c, 2);
    b.close();
  });

  test('a client that keeps sending garbage is closed with 1008', async () => {
    const a = await audience(hub.url);
    for (let i = 0; i < 20; i++) a.sendRaw(Buffer.from([0xc1]));
    const c = await a.closedP;
    assert.equal(c.code, 1008);
    assert.equal(a.msgs.filter((m) => m.t === 'error').length, 20);
  });

  test('a client that stops reading is dropped after 10 s and counted in health', async () => {
    const h2 = await startHub({ args: ['--tick-ms', '10'] });
    const k = await crew(h2.url);
    const py = spawn('/usr/bin/python3', [join(ROOT, 'tests', 'integration', 'stall_client.py'), String(h2.port), KEYS.screen, '20']);  // > buffer fill (~5 s) + 10 s stall
    let out = '';
    py.stdout.on('data', (d) => { out += d; });
    await new Promise((r) => py.on('exit', r));
    assert.match(out, /closed/, `the stalled screen was dropped (${out.trim()})`);
    const health = await k.next((m) => m.t === 'health', 3000);
    assert.equal(health.dropped_slow, 1);
    assert.equal(health.conns.screen, 0);
    k.send({ t: 'ping', c: 3 });
    assert.equal((await k.wait((m) => m.t === 'pong')).c, 3, 'others are served meanwhile');
    await h2.stop();
    cleanup(h2.dir);
  });

  test('rate limits answer rate_limited and do not count the excess', async () => {
    const k = await crew(hub.url);
    const a = await audience(hub.url);
    for (let i = 0; i < 8; i++) a.send({ t: 'chant', id: 1000 + i, text: `chant ${i}` });
    const acks = await Promise.all(Array.from({ length: 8 }, (_, i) => a.ack(1000 + i)));
    const ok = acks.filter((r) => r.ok).length;
    assert.equal(ok, 3, 'burst of 3 chants');
    assert.ok(acks.filter((r) => r.code === 'rate_limited').length === 5);
    const b = await audience(hub.url);
    for (let i = 0; i < 6; i++) b.send({ t: 'react', kind: 'rock', n: 50 });
    await b.wait((m) => m.t === 'error' && m.code === 'rate_limited');
    const snap = await k.next((m) => m.t === 'snap' && m.react.rock > 0);
    assert.equal(snap.react.rock, 200, 'a burst of 200 taps, the rest refused');
    a.close(); b.close(); k.close();
  });
});

describe('durability', () => {
  test('a restart keeps the open poll, its votes, the totals and device identity', async () => {
    const dir = tempDir();
    let hub = await startHub({ dir });
    let k = await crew(hub.url);
    const poll = await openPoll(k, ['Stay', 'Go']);
    const a = await audience(hub.url, { section: 'C' });
    const id = newId();
    a.send({ t: 'vote', id, poll, option: 1 });
    assert.equal((await a.ack(id)).ok, true);
    a.send({ t: 'react', kind: 'heart', n: 7 });
    await k.next((m) => m.t === 'snap' && m.react.heart === 7);
    const r = await hub.stop();
    assert.equal(r.code, 0);
    assert.equal(a.closed?.code ?? (await a.closedP).code, 1001);

    hub = await startHub({ dir, port: hub.port });
    k = await crew(hub.url);
    const snap = await k.wait((m) => m.t === 'snap');
    assert.equal(snap.poll.id, poll);
    assert.deepEqual(snap.poll.counts, [0, 1]);
    assert.equal(snap.react.heart, 7);
    const back = await audience(hub.url, { token: a.welcome.token });
    assert.equal(back.welcome.device, a.welcome.device);
    assert.equal(back.welcome.poll.voted, 1);
    const s = await back.wait((m) => m.t === 'snap', 3000);
    assert.equal(s.sections.C, 1, 'the device keeps its section');
    const id2 = newId();
    back.send({ t: 'vote', id: id2, poll, option: 0 });
    assert.equal((await back.ack(id2)).code, 'already_voted');
    await hub.stop();
    cleanup(dir);
  });

  test('SIGTERM closes every client with 1001 and exits 0', async () => {
    const hub = await startHub();
    const cs = await Promise.all([audience(hub.url), crew(hub.url), audience(hub.url)]);
    const r = await hub.stop('SIGTERM');
    assert.equal(r.code, 0);
    for (const c of cs) assert.equal((await c.closedP).code, 1001);
    const open = rows(hub.db, 'SELECT count(*) AS n FROM sessions WHERE end_ms IS NULL')[0].n;
    assert.equal(open, 0, 'every session end is recorded');
    cleanup(hub.dir);
  });

  test('kill -9 while 50 clients vote: every vote acked ok is in the database', async () => {
    const dir = tempDir();
    const hub = await startHub({ dir, event: eventFile(dir, { limits: { votes: { rate: 1000, burst: 1000 } } }) });
    const k = await crew(hub.url);
    const poll = await openPoll(k, ['a', 'b', 'c', 'd'], { allow_change: true });
    const clients = await Promise.all(Array.from({ length: 50 }, () => audience(hub.url)));
    const acked = new Map();  // device -> last option acked ok
    let stop = false;
    const loops = clients.map(async (c, i) => {
      let n = 0;
      c.ws.on('message', () => {});
      while (!stop && c.closed === null) {
        const id = newId();
        const option = (i + n++) % 4;
        c.send({ t: 'vote', id, poll, option });
        try {
          const r = await c.ack(id, 1500);
          if (r.ok) acked.set(c.welcome.device, { option, id });
        } catch { break; }
      }
    });
    await sleep(700);
    hub.proc.kill('SIGKILL');
    stop = true;
    await hub.exited;
    await Promise.all(loops);
    assert.ok(acked.size >= 40, `votes were acked before the kill (${acked.size})`);
    const db = new Map(rows(hub.db, `SELECT device, option FROM votes WHERE poll = ${poll}`).map((r) => [r.device, r.option]));
    // Each device's last acked vote is there (a later, unacked one may have committed too).
    let missing = 0;
    for (const [dev] of acked) if (!db.has(dev)) missing++;
    assert.equal(missing, 0);
    const h2 = await startHub({ dir, event: hub.event });
    const k2 = await crew(h2.url);
    const snap = await k2.wait((m) => m.t === 'snap');
    assert.equal(snap.poll.voters, db.size, 'the restarted hub counts what the database holds');
    await h2.stop();
    cleanup(dir);
  });

  test('a failed commit (disk full) acks store_failed, counts nothing and the hub keeps serving', async () => {
    const dir = tempDir();
    const hub = await startHub({ dir, args: ['--db-max-pages', '22'] });
    const k = await crew(hub.url);
    const poll = await openPoll(k, ['a', 'b']);
    const clients = await Promise.all(Array.from({ length: 5 }, () => audience(hub.url)));
    // Fill the database with chants until commits start failing.
    let failed = null;
    for (let round = 0; round < 200 && !failed; round++) {
      const c = await audience(hub.url);
      c.send({ t: 'chant', text: `filler ${round} ${'z'.repeat(50)}` });
      const id = newId();
      c.send({ t: 'vote', id, poll, option: 0 });
      const r = await c.ack(id);
      if (!r.ok) failed = r;
      c.close();
    }
    assert.ok(failed, 'commits failed once the database was full');
    assert.equal(failed.code, 'store_failed');
    const p = clients[0];
    p.send({ t: 'ping', c: 9 });
    assert.equal((await p.wait((m) => m.t === 'pong')).c, 9);
    const snap = await k.next((m) => m.t === 'snap');
    const stored = rows(hub.db, `SELECT count(*) AS n FROM votes WHERE poll = ${poll}`)[0].n;
    assert.equal(snap.poll.voters, stored, 'the tally holds only what the database holds');
    await hub.stop('SIGKILL');
    cleanup(dir);
  });
});

describe('command line', () => {
  const run = (args) => spawnSync(HUB, args, { encoding: 'utf8', timeout: 5000 });

  test('--help lists every flag', () => {
    const r = run(['--help']);
    assert.equal(r.status, 0);
    for (const f of ['--port', '--db', '--event-file', '--tick-ms', '--audience-hz', '--web-root']) assert.ok(r.stdout.includes(f), f);
  });

  test('without built pages, a page says what to do (503), an asset is 404, /healthz is 200', async () => {
    const hub = await startHub({ args: ['--web-root', join(tempDir(), 'nothing-here')] });
    try {
      const base = `http://127.0.0.1:${hub.port}`;
      for (const page of ['/', '/e/DEMO', '/screen', '/crew']) {
        const r = await fetch(base + page);
        assert.equal(r.status, 503, page);
        assert.match(await r.text(), /web pages are missing: run 'make'/, page);
      }
      assert.equal((await fetch(`${base}/assets/app-123.js`)).status, 404);
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
    } finally { await hub.stop(); }
  });

  test('--new-event prints an event file with fresh keys that the hub accepts; demo keys are warned about', async () => {
    const r1 = run(['--new-event', 'ROCK24', 'Rock Night']), r2 = run(['--new-event', 'ROCK24', 'Rock Night']);
    assert.equal(r1.status, 0, r1.stderr);
    const ev1 = JSON.parse(r1.stdout), ev2 = JSON.parse(r2.stdout);
    assert.equal(ev1.code, 'ROCK24');
    for (const k of ['crew', 'screen', 'performer']) {
      assert.match(ev1.keys[k], /^[0-9a-f]{32}$/);
      assert.notEqual(ev1.keys[k], ev2.keys[k], 'fresh every time');
    }
    assert.equal(new Set(Object.values(ev1.keys)).size, 3);
    assert.equal(run(['--new-event', 'bad code', 'x']).status, 2);
    assert.equal(run(['--new-event', 'X']).status, 2);
    const dir = tempDir();
    const f = join(dir, 'ev.json');
    writeFileSync(f, r1.stdout);
    const hub = await startHub({ dir, event: f });
    await hub.stop();
    assert.match(hub.output(), /crew dashboard: +http:\/\/[^ ]+\/crew\?key=[0-9a-f]{32}/);
    assert.doesNotMatch(hub.output(), /public demo keys/);
    // The demo keys on loopback only: no warning; reachable from the network: a loud one.
    const demo = await startHub({ dir: tempDir() });
    await demo.stop();
    assert.doesNotMatch(demo.output(), /public demo keys/);
    // (a database that can not be opened: the hub stops before it listens)
    const open = spawnSync(HUB, ['--port', '1', '--db', '/', '--event-file', DEMO], { encoding: 'utf8', timeout: 3000 });
    assert.equal(open.status, 1);
    assert.match(open.stderr, /level=warn msg="this event uses the public demo keys/);
  });

  test('bad flags exit non-zero with a one-line reason', () => {
    for (const args of [['--bogus'], ['--port', 'x', '--db', 'a', '--event-file', DEMO], ['--db', 'a'],
      ['--tick-ms', '5', '--db', 'a', '--event-file', DEMO], ['--port'],
      ['--sndbuf', '100', '--db', 'a', '--event-file', DEMO], ['--nats', 'http://x', '--db', 'a', '--event-file', DEMO],
      ['--no-io-uring=yes', '--db', 'a', '--event-file', DEMO]]) {
      const r = run(args);
      assert.equal(r.status, 2, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.match(run(['--nats', 'localhost:4222', '--db', 'a', '--event-file', DEMO]).stderr, /--nats must be nats:\/\//);
  });

  test('an invalid event file is refused naming the field', () => {
    const dir = tempDir();
    const cases = [
      [{ code: 'X', name: 'n', reactions: [], keys: KEYS }, /reactions/],
      [{ code: 'has space', name: 'n', reactions: ['a'], keys: KEYS }, /code/],
      [{ code: 'X', name: 'n', reactions: ['a'], keys: { crew: 'c', screen: 's' } }, /keys\.performer/],
      [{ code: 'X', name: 'n', reactions: ['a'], keys: KEYS, limits: { warp: { rate: 1, burst: 1 } } }, /limits\.warp/],
    ];
    for (const [ev, re] of cases) {
      const f = join(dir, 'ev.json');
      writeFileSync(f, JSON.stringify(ev));
      const r = run(['--port', '1', '--db', join(dir, 'x.db'), '--event-file', f]);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, re);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
    writeFileSync(join(dir, 'broken.json'), '{"code": ');
    let r = run(['--db', join(dir, 'x.db'), '--event-file', join(dir, 'broken.json')]);
    assert.notEqual(r.status, 0); assert.match(r.stderr, /broken\.json/);
    r = run(['--db', join(dir, 'x.db'), '--event-file', join(dir, 'missing.json')]);
    assert.notEqual(r.status, 0); assert.match(r.stderr, /missing\.json/);
    cleanup(dir);
  });

  test('a database that cannot be opened, or is not Chorus, is refused', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'adir'));
    let r = run(['--db', join(dir, 'adir'), '--event-file', DEMO]);
    assert.notEqual(r.status, 0); assert.match(r.stderr, /database/);
    r = run(['--db', join(dir, 'nodir', 'x.db'), '--event-file', DEMO]);
    assert.notEqual(r.status, 0); assert.match(r.stderr, /database/);
    execFileSync('sqlite3', [join(dir, 'other.db'), 'CREATE TABLE t(x);']);
    r = run(['--db', join(dir, 'other.db'), '--event-file', DEMO]);
    assert.notEqual(r.status, 0); assert.match(r.stderr, /not a Chorus database/);
    execFileSync('sqlite3', [join(dir, 'new.db'), 'CREATE TABLE chorus_meta(key, value); PRAGMA user_version = 99;']);
    r = run(['--db', join(dir, 'new.db'), '--event-file', DEMO]);
    assert.notEqual(r.status, 0); assert.match(r.stderr, /newer/);
    cleanup(dir);
  });

  test('a database of another event is refused', async () => {
    const dir = tempDir();
    const hub = await startHub({ dir });
    await hub.stop();
    const r = run(['--db', hub.db, '--event-file', eventFile(dir, { code: 'OTHER' })]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /DEMO/);
    cleanup(dir);
  });
});

describe('live analytics', () => {
  test('GET /api/report needs the crew key and returns the figures of the live event', async () => {
    const hub = await startHub();
    const base = `http://127.0.0.1:${hub.port}/api/report`;
    let r = await fetch(base);
    assert.equal(r.status, 403);
    r = await fetch(`${base}?key=${KEYS.screen}`);
    assert.equal(r.status, 403, 'the screen key is not enough');
    const k = await crew(hub.url);
    const poll = await openPoll(k, ['Yes', 'No']);
    const a = await audience(hub.url, { section: 'A' });
    const b = await audience(hub.url, { section: 'B' });
    for (const [c, opt] of [[a, 0], [b, 0]]) {
      const id = newId();
      c.send({ t: 'vote', id, poll, option: opt });
      assert.equal((await c.ack(id)).ok, true);
    }
    a.send({ t: 'react', kind: 'fire', n: 9 });
    await sleep(1300);  // the coalescing tick and its commit
    let rep;
    for (let i = 0; i < 20; i++) {   // the cache lives 2 s: poll until it holds the taps
      r = await fetch(base, { headers: { Authorization: `Bearer ${KEYS.crew}` } });
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type'), /application\/json/);
      rep = await r.json();
      if (rep.totals.taps === 9) break;
      await sleep(300);
    }
    assert.equal(rep.reach.devices, 2);
    assert.equal(rep.totals.taps, 9);
    const p = rep.polls.find((x) => x.id === poll);
    assert.equal(p.voters, 2);
    assert.deepEqual(p.options.map((o) => o.votes), [2, 0]);
    assert.deepEqual(rep.funnel.map((f) => f.devices), [2, 1, 2, 0]);
    a.close(); b.close(); k.close();
    await hub.stop();
    cleanup(hub.dir);
  });
});
