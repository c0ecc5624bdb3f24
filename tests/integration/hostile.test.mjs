// hostile.test.mjs -- the hub under a hostile night (issue 12, items 3-9):
// a phone that reconnects to refill its limits, two addresses that share a
// join-table slot, key guessing, a crew burst, HTTP oddities (oversized,
// pipelined, wrong methods, security headers), WebSockets from foreign
// pages, and the report key. Loopback only: extra client addresses are
// 127.0.x.y, which Linux routes to the hub bound on 127.0.0.1.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tcpConnect } from 'node:net';
import WebSocket from 'ws';
import { encode, decode } from '@msgpack/msgpack';
import { startHub, Client, audience, crew, openPoll, newId, KEYS, tempDir, cleanup, eventFile, sleep } from './lib.mjs';

// A chorus.v1 client from a chosen local address and/or with an Origin.
function rawWs(url, { localAddress, origin } = {}) {
  const ws = new WebSocket(url, 'chorus.v1', { localAddress, origin });
  ws.binaryType = 'nodebuffer';
  const msgs = [];
  const waiters = [];
  ws.on('message', (d) => {
    const m = decode(d);
    msgs.push(m);
    for (const w of waiters.splice(0)) if (!w(m)) waiters.push(w);
  });
  const closed = new Promise((r) => ws.on('close', (code) => r(code)));
  const opened = new Promise((resolve, reject) => {
    ws.on('open', resolve);
    ws.on('unexpected-response', (req, res) => reject(Object.assign(new Error(`http ${res.statusCode}`), { status: res.statusCode })));
    ws.on('error', reject);
  });
  const next = (pred, ms = 3000) => new Promise((resolve, reject) => {
    const have = msgs.find(pred);
    if (have) return resolve(have);
    const t = setTimeout(() => reject(new Error(`timeout; got ${JSON.stringify(msgs.slice(-3))}`)), ms);
    waiters.push((m) => { if (pred(m)) { clearTimeout(t); resolve(m); return true; } return false; });
  });
  return { ws, msgs, opened, closed, next, send: (o) => ws.send(encode(o)) };
}

// Raw HTTP: send bytes, collect everything until the hub closes or goes quiet.
function rawHttp(port, bytes, quietMs = 700) {
  return new Promise((resolve) => {
    const s = tcpConnect(port, '127.0.0.1');
    let buf = Buffer.alloc(0), timer, closed = false;
    const done = () => { clearTimeout(timer); s.destroy(); resolve({ text: buf.toString('latin1'), closed }); };
    const arm = () => { clearTimeout(timer); timer = setTimeout(done, quietMs); };
    s.on('connect', () => { s.write(bytes); arm(); });
    s.on('data', (d) => { buf = Buffer.concat([buf, d]); arm(); });
    s.on('close', () => { closed = true; done(); });
    s.on('error', () => done());
  });
}
const statuses = (text) => [...text.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));

describe('hostile night', () => {
  let dir, hub;
  before(async () => {
    dir = tempDir();
    const event = eventFile(dir, {
      limits: { joins_per_ip: { rate: 0.01, burst: 5 } },
      origins: ['https://chorus.example.com'],
      screen_frame_ancestors: ['https://obs.example.com'],
    });
    hub = await startHub({ dir, event });
  });
  after(async () => { await hub.stop(); cleanup(dir); });

  test('item 3: a phone reconnecting 40 times gets no more chants or votes through than one connection', async () => {
    const k = await crew(hub.url);
    const poll = await openPoll(k, ['A', 'B'], { allow_change: true });
    const first = await audience(hub.url, {});
    const token = first.welcome.token;
    await first.close();
    let chants = 0, votes = 0;
    let prev = null;
    for (let i = 0; i < 40; i++) {
      // Half close first, half are replaced by the next connection (4000).
      const c = await Client.connect(hub.url);
      const w = await c.hello({ role: 'audience', token });
      assert.equal(w.t, 'welcome');
      const ids = [];
      for (let j = 0; j < 3; j++) {
        const a = newId(), b = newId();
        ids.push(a, b);
        c.send({ t: 'chant', id: a, text: 'encore please' });
        c.send({ t: 'vote', id: b, poll, option: (i + j) % 2 });
      }
      for (const id of ids) {
        const ack = await c.ack(id);
        if (ack.ok && ack.poll) votes++;
        else if (ack.ok) chants++;
        else assert.equal(ack.code, 'rate_limited', JSON.stringify(ack));
      }
      if (prev) await prev.close();
      if (i % 2) { await c.close(); prev = null; } else prev = c;
    }
    if (prev) await prev.close();
    // One connection: chants burst 3 (+0.5/s), votes burst 10 (+2/s); the
    // loop takes a few seconds, so allow the refill of 10 s.
    assert.ok(chants <= 3 + 5, `chants accepted: ${chants}`);
    assert.ok(votes <= 10 + 20, `votes accepted: ${votes}`);
    assert.ok(chants >= 3 && votes >= 10, `the first burst still passes: ${chants} chants, ${votes} votes`);
    await k.close();
  });

  test('item 4: two addresses in one join-table slot do not reset each other (127.0.50.1, 127.0.157.45)', async () => {
    let ok = 0, limited = 0;
    for (let i = 0; i < 12; i++) {
      for (const ip of ['127.0.50.1', '127.0.157.45']) {
        const c = rawWs(hub.url, { localAddress: ip });
        await c.opened;
        c.send({ t: 'hello', role: 'audience' });
        const m = await c.next((x) => x.t === 'welcome' || x.t === 'error');
        if (m.t === 'welcome') ok++;
        else { assert.equal(m.code, 'rate_limited'); limited++; }
        c.ws.close();
        await c.closed;
      }
    }
    assert.equal(ok, 10, `new devices: ${ok} (burst 5 per address)`);
    assert.equal(limited, 14);
  });

  test('item 5: wrong keys are slowed down per address, logged once per burst, counted for the crew', async () => {
    const ip = '127.0.5.5';
    const codes = [];
    for (let i = 0; i < 14; i++) {
      const c = rawWs(hub.url, { localAddress: ip });
      await c.opened;
      c.send({ t: 'hello', event: 'DEMO', role: i % 2 ? 'screen' : 'crew', key: `guess-${i}` });
      const m = await c.next((x) => x.t === 'error');
      codes.push(m.code);
      if (m.code === 'key_locked') assert.equal(await c.closed, 1008);
      else c.ws.close();
    }
    assert.deepEqual(codes.slice(0, 10), Array(10).fill('bad_key'));
    assert.deepEqual(codes.slice(10), Array(4).fill('key_locked'));
    // Wrong keys from that address are locked out, but the right key still
    // gets in (the crew may share the venue NAT with the guesser)...
    const right = rawWs(hub.url, { localAddress: ip });
    await right.opened;
    right.send({ t: 'hello', role: 'crew', key: KEYS.crew });
    assert.equal((await right.next((x) => x.t === 'error' || x.t === 'welcome')).t, 'welcome');
    right.ws.close();
    // ...and another address gets in too, and its health view counts them.
    const k = rawWs(hub.url, { localAddress: '127.0.5.6' });
    await k.opened;
    k.send({ t: 'hello', role: 'crew', key: KEYS.crew });
    assert.equal((await k.next((x) => x.t === 'welcome' || x.t === 'error')).t, 'welcome');
    const h = await k.next((x) => x.t === 'health' && x.keys && x.keys.refused >= 4, 4000);
    assert.equal(h.keys.wrong, 10);
    k.ws.close();
    const lines = hub.output().split('\n').filter((l) => l.includes('wrong or refused role keys'));
    assert.equal(lines.length, 1, lines.join('\n'));
  });

  test('item 6: 50 poll.open in one write keep the crew connected and every one is answered', async () => {
    const k = await crew(hub.url);
    const screen = await Client.connect(hub.url);
    assert.equal((await screen.hello({ role: 'screen', key: KEYS.screen })).t, 'welcome');
    const ids = [];
    k.ws._socket.cork();
    for (let i = 0; i < 50; i++) {
      const id = newId();
      ids.push(id);
      k.send({ t: 'poll.open', id, question: `Burst ${i}?`, options: ['Yes', 'No'] });
    }
    // and 100 messages without id (answered with errors, not a close)
    for (let i = 0; i < 100; i++) k.send({ t: 'marker', label: '' });
    k.ws._socket.uncork();
    let ok = 0, limited = 0;
    for (const id of ids) {
      const a = await k.ack(id, 5000);
      if (a.ok) ok++; else { assert.equal(a.code, 'rate_limited'); limited++; }
    }
    assert.ok(ok >= 10 && ok + limited === 50, `${ok} opened, ${limited} limited`);
    k.send({ t: 'ping', c: 7 });
    await k.wait((m) => m.t === 'pong' && m.c === 7, 3000, 'pong');
    await sleep(300);
    assert.equal(k.closed, null, 'the crew is still connected');
    assert.equal(screen.closed, null, 'the screen is still connected');
    assert.ok(k.msgs.filter((m) => m.t === 'error').length >= 50);
    await k.close();
    await screen.close();
  });

  test('item 7: oversized requests get 414/431, pipelined requests are all answered, other methods 405', async () => {
    const big = 'a'.repeat(5000);
    assert.deepEqual(statuses((await rawHttp(hub.port, `GET /${big} HTTP/1.1\r\nHost: x\r\n\r\n`)).text), [414]);
    assert.deepEqual(statuses((await rawHttp(hub.port, `GET / HTTP/1.1\r\nHost: x\r\nCookie: ${big}\r\n\r\n`)).text), [431]);
    assert.deepEqual(statuses((await rawHttp(hub.port, `GET /screen?key=${big} HTTP/1.1\r\nHost: x\r\n\r\n`)).text), [414]);
    for (const path of ['/', '/healthz', '/crew']) {
      const r = await rawHttp(hub.port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(50));
      assert.equal(statuses(r.text).length, 50, `${path}: ${statuses(r.text).length} of 50 answered`);
    }
    for (const [method, path] of [['DELETE', '/crew'], ['PUT', '/'], ['POST', '/screen'], ['PATCH', '/api/report']]) {
      const r = await rawHttp(hub.port, `${method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`);
      assert.deepEqual(statuses(r.text), [405], `${method} ${path}`);
      assert.match(r.text, /allow: GET, HEAD/i);
    }
    const body = 'x=1&'.repeat(100);
    const r = await rawHttp(hub.port, `POST /api/report HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    assert.deepEqual(statuses(r.text), [405]);
  });

  test('item 7: every response carries CSP, referrer-policy and nosniff; only the screen may be framed, where the event file says', async () => {
    const base = `http://127.0.0.1:${hub.port}`;
    for (const path of ['/', '/crew', '/stage', '/join', '/nothing', '/healthz', '/api/report', '/assets/none.js']) {
      const res = await fetch(base + path);
      const csp = res.headers.get('content-security-policy') || '';
      assert.match(csp, /default-src 'self'/, path);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer', path);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
    }
    const s = await fetch(`${base}/screen`);
    const csp = s.headers.get('content-security-policy');
    assert.match(csp, /frame-ancestors https:\/\/obs\.example\.com/);
    assert.doesNotMatch(csp, /frame-ancestors 'none'/);
  });

  test("item 8: a WebSocket from a foreign page is refused with 403; the hub's own origins and native clients are not", async () => {
    const foreign = rawWs(hub.url, { origin: 'http://evil.example' });
    await assert.rejects(foreign.opened, (e) => e.status === 403);
    const rebound = rawWs(hub.url, { origin: `http://attacker.example:${hub.port}` });
    await assert.rejects(rebound.opened, (e) => e.status === 403);
    for (const origin of [`http://127.0.0.1:${hub.port}`, `http://localhost:${hub.port}`, 'https://chorus.example.com', undefined]) {
      const c = rawWs(hub.url, { origin });
      await c.opened;
      c.send({ t: 'hello', role: 'screen', key: KEYS.screen });
      assert.equal((await c.next((x) => x.t === 'welcome' || x.t === 'error')).t, 'welcome', String(origin));
      c.ws.close();
    }
  });

  test('item 9: a wrong ?key= does not override a right Authorization header (and the reverse)', async () => {
    const base = `http://127.0.0.1:${hub.port}/api/report`;
    const h = { authorization: `Bearer ${KEYS.crew}` };
    assert.equal((await fetch(`${base}?key=wrong`, { headers: h })).status, 200);
    assert.equal((await fetch(`${base}?key=${KEYS.crew}`, { headers: { authorization: 'Bearer wrong' } })).status, 200);
    assert.equal((await fetch(`${base}?key=wrong`, { headers: { authorization: 'Bearer wrong' } })).status, 403);
    assert.equal((await fetch(base)).status, 403);
  });
});
