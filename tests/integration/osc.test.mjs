// osc.test.mjs -- OSC out and in against real OSC programs: liblo's
// `oscdump` receives what the hub sends (as a lighting desk would) and
// `oscsend` plays the desk's cues; a socket bound to another loopback
// address plays a machine that is not on the allow-list. What is checked is
// what a lighting operator would see: the energy fader rises when the crowd
// taps, the poll shares are the tally, the gate silences the stream, the
// desk's marker reaches the crew, a stranger's does not.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { startHub, audience, crew, eventFile, newId, tempDir, cleanup, sleep } from './lib.mjs';

function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.on('error', reject);
    s.bind(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

// oscdump's lines: "<timetag> <address> <types> <args...>", strings quoted.
function parseLine(line) {
  const m = line.match(/^([0-9a-f]+)\.([0-9a-f]+) (\S+) (\S*) ?(.*)$/);
  if (!m) return null;
  const [, sec, frac, address, types, rest] = m;
  const args = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  let a;
  while ((a = re.exec(rest))) args.push(a[1] !== undefined ? a[1] : a[2]);
  const values = [...types].map((t, i) => (t === 'f' || t === 'd' ? Number(args[i]) : t === 'i' || t === 'h' ? parseInt(args[i], 10) : args[i]));
  // tt: oscdump's receive time (NTP seconds): the cadence as sent, not as node got round to reading it.
  return { address, types, values, at: Date.now(), tt: parseInt(sec, 16) + parseInt(frac, 16) / 2 ** 32 };
}

// A real OSC receiver: oscdump on a UDP port, every message kept in order.
class Dump {
  constructor(port) {
    this.msgs = [];
    this.proc = spawn('oscdump', ['-L', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    this.proc.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const m = parseLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (m) this.msgs.push(m);
      }
    });
  }
  last(address) { for (let i = this.msgs.length - 1; i >= 0; i--) if (this.msgs[i].address === address) return this.msgs[i]; return null; }
  since(t, address) { return this.msgs.filter((m) => m.at >= t && (!address || m.address === address)); }
  async until(pred, ms, what) {
    const end = Date.now() + ms;
    for (;;) {
      const r = pred();
      if (r) return r;
      if (Date.now() > end) throw new Error(`timeout waiting for ${what}; last: ${JSON.stringify(this.msgs.slice(-4))}`);
      await sleep(40);
    }
  }
  stop() { this.proc.kill(); }
}

// A real OSC sender (a desk's cue).
const oscsend = (port, ...args) => execFileSync('oscsend', ['127.0.0.1', String(port), ...args]);

// One OSC message by hand (strings only), for the senders oscsend can't play.
function oscMessage(address, ...strings) {
  const pad = (s) => { const b = Buffer.from(`${s}\0`); return Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]); };
  return Buffer.concat([pad(address), pad(`,${'s'.repeat(strings.length)}`), ...strings.map(pad)]);
}
function sendFrom(fromAddr, port, bytes) {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.on('error', reject);
    s.bind(0, fromAddr, () => s.send(bytes, port, '127.0.0.1', (e) => { s.close(); if (e) reject(e); else resolve(); }));
  });
}

describe('OSC', () => {
  let dir, hub, dump, outPort, inPort, k;
  before(async () => {
    dir = tempDir();
    outPort = await freeUdpPort();
    inPort = await freeUdpPort();
    dump = new Dump(outPort);
    const event = eventFile(dir, {
      osc: {
        targets: [{ name: 'lights', host: '127.0.0.1', port: outPort, rate: 25, smooth: 0.1,
          map: { 'taps/fire': { address: '/gma3/Page1/Fader202', in: [0, 100], out: [0, 100] } } }],
        listen: { host: '127.0.0.1', port: inPort, allow: ['127.0.0.1'], rate: 50, burst: 50 },
      },
      polls: [{ name: 'encore', question: 'Which encore?', options: ['Neon Skies', 'Low Tide', 'Glass'] }],
    });
    hub = await startHub({ dir, event });
    k = await crew(hub.url);
    await dump.until(() => dump.last('/chorus/energy'), 5000, 'the first frame');
  });
  after(async () => { dump.stop(); await hub.stop(); cleanup(dir); });

  test('the stream: every value at 25 frames a second, the energy a float 0..1, a heartbeat every second', async () => {
    const t0 = Date.now();
    await sleep(2000);
    const energy = dump.since(t0, '/chorus/energy');
    const hz = (energy.length - 1) / (energy.at(-1).tt - energy[0].tt);
    assert.ok(hz > 21 && hz < 29, `25 frames a second: got ${hz.toFixed(1)}/s (${energy.length} in ~2 s)`);
    assert.ok(energy.every((m) => m.types === 'f' && m.values[0] >= 0 && m.values[0] <= 1), JSON.stringify(energy.slice(0, 3)));
    assert.ok(energy.at(-1).values[0] < 0.05, 'a quiet room is 0');
    const beats = dump.since(t0, '/chorus/heartbeat');
    assert.ok(beats.length >= 1 && beats.length <= 3, `heartbeats in 2 s: ${beats.length}`);
    assert.equal(dump.last('/chorus/audience').types, 'i');
    assert.equal(dump.last('/chorus/taps/heart').types, 'f');
  });

  test('energy and taps rise when the crowd taps (per kind, per section, through a mapping)', async () => {
    const phones = await Promise.all([0, 1, 2, 3].map(() => audience(hub.url, { section: 'A' })));
    await dump.until(() => dump.last('/chorus/audience')?.values[0] === 4, 3000, 'audience 4');
    assert.equal(dump.last('/chorus/section/A/audience').values[0], 4);
    const timer = setInterval(() => { for (const p of phones) p.send({ t: 'react', kind: 'fire', n: 3 }); }, 100);
    try {
      await dump.until(() => dump.last('/chorus/energy').values[0] > 0.5, 5000, 'energy over 0.5');
      await dump.until(() => dump.last('/chorus/taps').values[0] > 60, 3000, 'taps/s of all kinds');
      assert.equal(dump.last('/chorus/taps/fire'), null, 'a mapped value goes to its own address only');
      await dump.until(() => dump.last('/chorus/section/A/taps').values[0] > 60, 3000, 'section A taps/s');
      assert.ok(dump.last('/chorus/section/B/taps').values[0] === 0, 'section B did not tap');
      assert.ok(dump.last('/chorus/taps/heart').values[0] === 0, 'nobody tapped heart');
      const mapped = dump.last('/gma3/Page1/Fader202');
      assert.ok(mapped && mapped.types === 'f' && mapped.values[0] > 60 && mapped.values[0] <= 100, JSON.stringify(mapped));
    } finally { clearInterval(timer); }
    await Promise.all(phones.map((p) => p.close()));
  });

  test('a desk opens a prepared poll; the shares are the tally; closing sends the winner', async () => {
    oscsend(inPort, '/chorus/poll/open', 's', 'encore');
    const open = await k.wait((m) => m.t === 'poll' && m.poll.open && m.poll.question === 'Which encore?', 3000, 'poll opened by the desk');
    const poll = open.poll.id;
    assert.deepEqual(open.poll.options, ['Neon Skies', 'Low Tide', 'Glass']);
    const phones = await Promise.all([0, 1, 2, 3].map(() => audience(hub.url)));
    for (const [i, p] of phones.entries()) {
      const id = newId();
      p.send({ t: 'vote', id, poll, option: i === 3 ? 2 : 0 });
      assert.equal((await p.ack(id)).ok, true);
    }
    const snap = await k.next((m) => m.t === 'snap' && m.poll?.voters === 4, 3000, 'the tally');
    const sum = snap.poll.counts.reduce((a, b) => a + b, 0);
    await dump.until(() => snap.poll.counts.every((c, i) => Math.abs((dump.last(`/chorus/poll/share/${i}`)?.values[0] ?? -1) - c / sum) < 0.005),
      3000, `shares ${snap.poll.counts}`);
    assert.equal(dump.last('/chorus/poll/open').values[0] >= 0, true);

    oscsend(inPort, '/chorus/poll/open', 'i', '0');   // the same cue fired twice: the poll and its votes stay
    await sleep(300);
    assert.equal(k.msgs.filter((m) => m.t === 'poll' && m.poll.id > poll).length, 0, 'no second poll');

    const t0 = Date.now();
    oscsend(inPort, '/chorus/poll/close');
    await k.wait((m) => m.t === 'poll' && m.poll.id === poll && !m.poll.open, 3000, 'poll closed by the desk');
    const winner = await dump.until(() => dump.since(t0, '/chorus/poll/winner')[0], 2000, 'the winner');
    assert.deepEqual([winner.types, winner.values[0]], ['i', 0]);
    assert.equal(dump.since(t0, '/chorus/poll/winner/votes')[0].values[0], 3);
    assert.equal(dump.since(t0, '/chorus/poll/played')[0].values[0], -1, 'not confirmed yet');
    // The crew confirms the result ("Play it"): the desk gets the cue at once.
    const t1 = Date.now();
    const pid = newId();
    k.send({ t: 'poll.play', id: pid, poll });
    assert.equal((await k.ack(pid)).ok, true);
    const played = await dump.until(() => dump.since(t1, '/chorus/poll/played')[0], 2000, 'the played option');
    assert.equal(played.values[0], 0);
    assert.ok(played.at - t1 < 900, `sent at once, not with the next refresh (${played.at - t1} ms)`);
    await Promise.all(phones.map((p) => p.close()));
  });

  test('the master gate and a target gate stop the stream; a second crew member sees the gates', async () => {
    let id = newId();
    k.send({ t: 'osc.gate', id, on: false });
    assert.equal((await k.ack(id)).ok, true);
    const st = await k.wait((m) => m.t === 'osc' && m.on === false, 2000, 'osc status, gate closed');
    assert.equal(st.targets[0].name, 'lights');
    await dump.until(() => dump.last('/chorus/gate')?.values[0] === 0, 2000, 'gate 0');
    await sleep(100);
    const t0 = Date.now();
    await sleep(800);
    assert.deepEqual(dump.since(t0).map((m) => m.address), [], 'nothing after the gate closed');

    const k2 = await crew(hub.url);
    const seen = await k2.wait((m) => m.t === 'osc', 2000, 'osc status on connect');
    assert.equal(seen.on, false);
    assert.equal(seen.targets[0].on, true);

    id = newId();
    k.send({ t: 'osc.gate', id, on: true });
    assert.equal((await k.ack(id)).ok, true);
    await dump.until(() => dump.last('/chorus/gate')?.values[0] === 1 && dump.since(Date.now() - 200, '/chorus/energy').length > 0, 2000, 'stream again');

    id = newId();
    k.send({ t: 'osc.gate', id, on: false, target: 0 });
    assert.equal((await k.ack(id)).ok, true);
    await k2.wait((m) => m.t === 'osc' && m.on === true && m.targets[0].on === false, 2000, 'target gate closed, seen by the other crew member');
    await dump.until(() => dump.last('/chorus/gate')?.values[0] === 0, 2000, 'gate 0 (target)');
    await sleep(100);
    const t1 = Date.now();
    await sleep(600);
    assert.equal(dump.since(t1).length, 0, 'nothing after the target gate closed');

    id = newId();
    k.send({ t: 'osc.gate', id, on: true, target: 5 });
    const bad = await k.ack(id);
    assert.deepEqual([bad.ok, bad.code], [false, 'bad_field']);
    id = newId();
    k.send({ t: 'osc.gate', id, on: true, target: 0 });
    assert.equal((await k.ack(id)).ok, true);
    await dump.until(() => dump.since(Date.now() - 200, '/chorus/energy').length > 0, 2000, 'stream again');
    await k2.close();
  });

  test('a marker from an allowed desk reaches the crew and the OSC stream', async () => {
    const t0 = Date.now();
    oscsend(inPort, '/chorus/marker', 'ss', 'Neon Skies', 'song_start');
    const m = await k.wait((x) => x.t === 'marker' && x.marker.label === 'Neon Skies', 3000, 'the desk marker');
    assert.equal(m.marker.kind, 'song_start');
    const out = await dump.until(() => dump.since(t0, '/chorus/marker')[0], 2000, 'marker out');
    assert.deepEqual(out.values, ['Neon Skies', 'song_start']);
    const k2 = await crew(hub.url);
    const w = k2.msgs.find((x) => x.t === 'welcome');
    assert.ok(w.markers.some((x) => x.label === 'Neon Skies'), 'a crew member who connects later sees it');
    await k2.close();
  });

  test('the top chant goes out only once the moderation lets the screens show it', async () => {
    let id = newId();
    k.send({ t: 'mod', id, action: 'mode', mode: 'approve' });
    assert.equal((await k.ack(id)).ok, true);
    const p = await audience(hub.url);
    id = newId();
    p.send({ t: 'chant', id, text: 'Play Neon Skies' });
    assert.equal((await p.ack(id)).held, true);
    await sleep(1300);   // longer than the 1 s refresh of state values
    assert.equal(dump.msgs.filter((m) => m.address === '/chorus/chant' && m.values[0] === 'Play Neon Skies').length, 0, 'held: not sent');
    id = newId();
    k.send({ t: 'mod', id, action: 'approve', text: 'Play Neon Skies' });
    assert.equal((await k.ack(id)).ok, true);
    await dump.until(() => dump.last('/chorus/chant')?.values[0] === 'Play Neon Skies', 2000, 'approved chant');
    id = newId();
    k.send({ t: 'mod', id, action: 'hide', text: 'Play Neon Skies' });
    assert.equal((await k.ack(id)).ok, true);
    await dump.until(() => dump.last('/chorus/chant')?.values[0] === '', 2000, 'hidden chant withdrawn');
    await p.close();
  });

  test('a source not on the allow-list is refused, and so are malformed packets and unknown addresses', async () => {
    const before = await k.next((m) => m.t === 'osc', 2000, 'osc status');
    await sendFrom('127.0.0.2', inPort, oscMessage('/chorus/marker', 'Stranger'));
    await sendFrom('127.0.0.1', inPort, Buffer.from('not osc at all\0\0'));
    await sendFrom('127.0.0.1', inPort, Buffer.from([0x2f, 0x63, 0, 0, 0x2c, 0x69, 0, 0, 1]));   // a truncated int
    oscsend(inPort, '/chorus/lights/off');
    const after = await k.next((m) => m.t === 'osc' && m.listen.refused >= before.listen.refused + 4, 3000, 'refusals counted');
    assert.ok(after.listen.refused >= before.listen.refused + 4, JSON.stringify(after.listen));
    await sleep(300);
    assert.equal(k.msgs.filter((m) => m.t === 'marker' && m.marker.label === 'Stranger').length, 0, 'the stranger set no marker');
    assert.match(hub.output(), /msg="osc in: refused" why="a source that is not on osc\.listen\.allow" from=127\.0\.0\.2/);
    // A bundle (as some desks send) is opened.
    const inner = oscMessage('/chorus/marker', 'Bundled');
    const size = Buffer.alloc(4); size.writeUInt32BE(inner.length);
    await sendFrom('127.0.0.1', inPort, Buffer.concat([Buffer.from('#bundle\0'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]), size, inner]));
    await k.wait((m) => m.t === 'marker' && m.marker.label === 'Bundled', 3000, 'marker from a bundle');
    // Still serving: an allowed cue works after the garbage.
    oscsend(inPort, '/chorus/marker', 's', 'After garbage');
    await k.wait((m) => m.t === 'marker' && m.marker.label === 'After garbage', 3000, 'marker after garbage');
    assert.equal(hub.proc.exitCode, null);
  });
});

describe('OSC event file', () => {
  test('a bad osc section stops the hub at start, naming the field', async () => {
    const dir = tempDir();
    try {
      const event = eventFile(dir, { osc: { targets: [{ host: '127.0.0.1', port: 9000, map: { 'taps/nope': { out: [0, 100] } } }] } });
      await assert.rejects(startHub({ dir, event }), /osc\.targets\[0\]\.map' has 'taps\/nope'/);
      const ev2 = eventFile(dir, { osc: { listen: { host: '127.0.0.1', port: 9001 } } });
      await assert.rejects(startHub({ dir, event: ev2 }), /osc\.listen\.allow/);
    } finally { cleanup(dir); }
  });
});

describe('OSC gates are kept', () => {
  let dir, event, hub, lights, video;
  const ports = {};
  before(async () => {
    dir = tempDir();
    ports.lights = await freeUdpPort();
    ports.video = await freeUdpPort();
    lights = new Dump(ports.lights);
    video = new Dump(ports.video);
    event = eventFile(dir, {
      osc: { targets: [{ name: 'lights', host: '127.0.0.1', port: ports.lights, rate: 25 },
        { name: 'video', host: '127.0.0.1', port: ports.video, rate: 25 }] },
    });
    hub = await startHub({ dir, event });
  });
  after(async () => { lights.stop(); video.stop(); await hub?.stop(); cleanup(dir); });

  /** The crew switches a gate; returns once the hub acked. */
  async function gate(on, target) {
    const k = await crew(hub.url);
    const id = newId();
    k.send({ t: 'osc.gate', id, on, ...(target === undefined ? {} : { target }) });
    assert.equal((await k.ack(id)).ok, true);
    await k.close();
  }
  /** What a crew member who connects now is told about the gates. */
  async function status() {
    const k = await crew(hub.url);
    const st = await k.wait((m) => m.t === 'osc', 3000, 'osc status on connect');
    await k.close();
    return { on: st.on, targets: Object.fromEntries(st.targets.map((t) => [t.name, t.on])) };
  }
  /** Nothing but the gate's own message on dump for ms, while the other streams. */
  async function silent(dump, other, ms) {
    const t0 = Date.now();
    await sleep(ms);
    assert.deepEqual(dump.since(t0).map((m) => m.address).filter((a) => a !== '/chorus/gate'), [], 'the closed target hears nothing');
    assert.ok(other.since(t0, '/chorus/energy').length > ms / 80, 'the open one streams');
  }

  test('a target the crew cut stays cut after kill -9 and a restart; reopened, it stays open after the next', async () => {
    await video.until(() => video.last('/chorus/energy'), 5000, 'video streams at first');
    await gate(false, 1);
    await video.until(() => video.last('/chorus/gate')?.values[0] === 0, 2000, 'video gate 0');
    await sleep(300);   // the store commits within milliseconds; a crash right after the click is not this test
    await hub.stop('SIGKILL');

    hub = await startHub({ dir, event });
    assert.match(hub.output(), /osc out: +video -> 127\.0\.0\.1:\d+ \/chorus \(25\/s\) \(gate closed\)/, 'the start-up lines say so');
    assert.doesNotMatch(hub.output(), /lights -> [^\n]*gate closed/);
    assert.match(hub.output(), /OSC gates as the crew left them, not as the event file says" closed=video\n/);
    assert.deepEqual(await status(), { on: true, targets: { lights: true, video: false } });
    await lights.until(() => lights.since(Date.now() - 300, '/chorus/energy').length > 0, 3000, 'lights stream after the restart');
    await silent(video, lights, 1200);

    await gate(true, 1);
    await gate(false);     // the master gate: everything off
    await sleep(300);
    await hub.stop();      // a clean stop this time
    hub = await startHub({ dir, event });
    assert.deepEqual(await status(), { on: false, targets: { lights: true, video: true } });
    assert.match(hub.output(), /OSC gates as the crew left them[^\n]* closed=master\n/);
    const t0 = Date.now();
    await sleep(1000);
    for (const d of [lights, video]) assert.deepEqual(d.since(t0).map((m) => m.address).filter((a) => a !== '/chorus/gate'), [], 'the master gate is still closed');
    await gate(true);
    await video.until(() => video.since(Date.now() - 300, '/chorus/energy').length > 0, 3000, 'video streams again');
    await lights.until(() => lights.since(Date.now() - 300, '/chorus/energy').length > 0, 3000, 'lights stream again');
  });

  test('an operator who edits the event file since is obeyed: the file’s new value holds over the crew’s stored choice', async () => {
    await gate(true, 1);   // the crew opened video (stored, with the file saying enabled)
    await sleep(300);
    await hub.stop();
    event = eventFile(dir, {
      osc: { targets: [{ name: 'lights', host: '127.0.0.1', port: ports.lights, rate: 25 },
        { name: 'video', host: '127.0.0.1', port: ports.video, rate: 25, enabled: false }] },
    });
    hub = await startHub({ dir, event });
    assert.match(hub.output(), /the event file changed this OSC gate since the crew switched it: the file holds" gate=video on=0/);
    assert.deepEqual(await status(), { on: true, targets: { lights: true, video: false } });
    await silent(video, lights, 1000);
  });
});
