// cluster.test.mjs -- several hubs serve one event, joined by a real
// nats-server with JetStream (issue 14, docs/cluster.md): every screen sees
// the merged figures whatever hub it is on; device ids never collide and a
// token from one hub is valid on every hub; hubs share one port; a hub
// killed -9 keeps its totals in the merge and loses only its crowd; with
// NATS gone the hubs keep serving and every page says the view is partial,
// until NATS is back.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startHub, freePort, Client, audience, KEYS, eventFile, tempDir, cleanup, sleep } from './lib.mjs';

async function startNats(dir, port) {
  port ??= await freePort();
  const mon = await freePort();
  mkdirSync(join(dir, 'js'), { recursive: true });
  const proc = spawn('nats-server', ['-js', '-sd', join(dir, 'js'), '-p', String(port), '-a', '127.0.0.1', '-m', String(mon)],
    { stdio: 'ignore' });
  const deadline = Date.now() + 10000;
  for (;;) {
    try { if ((await fetch(`http://127.0.0.1:${mon}/healthz`)).ok) break; } catch { /* not yet */ }
    if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error('nats-server did not start'); }
    await sleep(50);
  }
  const exited = new Promise((r) => proc.on('exit', r));
  return { port, url: `nats://127.0.0.1:${port}`, stop: async (sig = 'SIGTERM') => { proc.kill(sig); await exited; } };
}

async function screen(url) {
  const c = await Client.connect(url);
  const w = await c.hello({ role: 'screen', key: KEYS.screen });
  assert.equal(w.t, 'welcome');
  return c;
}

// The first snapshot (after now) that satisfies pred.
const snapWhere = (c, pred, ms = 5000, what = 'snapshot') => c.next((m) => m.t === 'snap' && pred(m), ms, what);

describe('a cluster of hubs, one event', () => {
  let dir, nats, hubs = [];
  const hubArgs = () => ['--nats', nats.url];
  before(async () => {
    dir = tempDir();
    nats = await startNats(dir);
    for (let i = 0; i < 2; i++) hubs.push(await startHub({ dir, db: join(dir, `hub-${i}.db`), args: hubArgs() }));
  });
  after(async () => {
    for (const h of hubs) await h.stop('SIGKILL');
    await nats.stop();
    cleanup(dir);
  });

  test('every screen shows the merged crowd and taps; ids never collide; a token works on every hub', async () => {
    const a = await Promise.all([0, 1, 2].map(() => audience(hubs[0].url)));
    const b = await Promise.all([0, 1].map(() => audience(hubs[1].url)));
    const ids = [...a, ...b].map((p) => p.welcome.device);
    assert.equal(new Set(ids).size, 5, `unique device ids ${ids}`);
    for (const p of a) p.send({ t: 'react', kind: 'fire', n: 10 });
    for (const p of b) p.send({ t: 'react', kind: 'fire', n: 3 });
    const [s0, s1] = await Promise.all([screen(hubs[0].url), screen(hubs[1].url)]);
    const want = (m) => m.audience === 5 && m.react.fire === 36;
    const [m0, m1] = await Promise.all([snapWhere(s0, want, 5000, 'merged on hub 0'), snapWhere(s1, want, 5000, 'merged on hub 1')]);
    assert.equal(m0.partial, undefined);
    assert.equal(m1.sections[''], 5);
    // The crew's health view lists the hubs, their phones and whether each is live.
    const crewC = await Client.connect(hubs[1].url);
    await crewC.hello({ role: 'crew', key: KEYS.crew });
    const h = await crewC.next((m) => m.t === 'health' && m.hubs?.length === 2 && m.hubs.every((x) => x.live), 3000, 'health');
    assert.equal(h.hubs[0].self, true);
    assert.deepEqual(h.hubs.map((x) => x.audience).sort(), [2, 3]);
    // A device id nobody has shown is not banned into the tables (a typo).
    const typo = await new Promise((resolve) => { crewC.send({ t: 'mod', id: 424242, action: 'ban', device: 999999999 }); resolve(crewC.ack(424242, 5000)); });
    assert.equal(typo.code, 'unknown_device', JSON.stringify(typo));
    await crewC.close();
    // And /metrics says the link is up and parts flow.
    const metrics = await (await fetch(`http://127.0.0.1:${hubs[0].port}/metrics`, { headers: { Authorization: `Bearer ${KEYS.crew}` } })).text();
    assert.match(metrics, /^chorus_cluster_link_up 1$/m);
    assert.ok(Number(/^chorus_cluster_received_total (\d+)$/m.exec(metrics)?.[1]) > 0, 'parts received');
    // A phone of hub 0 comes back on hub 1 with its token: the same device.
    const token = a[0].welcome.token;
    await a[0].close();
    const moved = await audience(hubs[1].url, { token });
    assert.equal(moved.welcome.device, a[0].welcome.device);
    await snapWhere(s0, (m) => m.audience === 5 && m.react.fire === 36, 5000, 'still 5 phones, moved');
    for (const p of [...a.slice(1), ...b, moved]) await p.close();
    await Promise.all([s0.close(), s1.close()]);
  });

  test('two hubs listen on one port (SO_REUSEPORT) and both take phones', async () => {
    const port = await freePort();
    const shared = [];
    for (let i = 0; i < 2; i++)
      shared.push(await startHub({ dir, db: join(dir, `shared-${i}.db`), port, args: hubArgs() }));
    try {
      const phones = [];
      for (let i = 0; i < 24; i++) phones.push(await audience(shared[0].url));
      const residues = new Set(phones.map((p) => p.welcome.device % 16));
      assert.ok(residues.size >= 2, `the kernel spread 24 phones over both hubs (device id residues ${[...residues]}; ${shared[1].output().slice(-600)})`);
      const s = await screen(shared[0].url);
      await snapWhere(s, (m) => m.audience >= 24, 5000, 'all 24 phones on one screen');
      for (const p of phones) await p.close();
      await s.close();
    } finally {
      for (const h of shared) await h.stop('SIGKILL');
    }
  });

  test('kill -9 of a hub: its totals stay in the merge, its crowd goes, the view says partial', async () => {
    const extra = await startHub({ dir, db: join(dir, 'hub-extra.db'), args: hubArgs() });
    const p = await Promise.all([0, 1, 2, 3].map(() => audience(extra.url)));
    for (const x of p) x.send({ t: 'react', kind: 'clap', n: 25 });
    const s = await screen(hubs[0].url);
    // (The shared-port hubs of the test above were killed too: wait until
    // only these 4 phones are connected anywhere.)
    const before = await snapWhere(s, (m) => m.react.clap >= 100 && m.audience === 4, 6000, 'the extra hub counted');
    await extra.stop('SIGKILL');
    const afterKill = await snapWhere(s, (m) => m.partial === true && m.audience === 0, 6000, 'partial after the kill');
    assert.equal(afterKill.react.clap, before.react.clap, 'what its crowd did is kept');
    // A hub started after it died knows its totals too (kept in the bucket).
    const late = await startHub({ dir, db: join(dir, 'hub-late.db'), args: hubArgs() });
    const sl = await screen(late.url);
    const m = await snapWhere(sl, (x) => x.react.clap === before.react.clap, 5000, 'the dead hub\'s taps on a new hub');
    assert.equal(m.partial, undefined, 'gone, not missing');
    await sl.close();
    await late.stop('SIGKILL');
    // Its phones come back on another hub with their tokens.
    const back = await audience(hubs[1].url, { token: p[0].welcome.token });
    assert.equal(back.welcome.device, p[0].welcome.device);
    await back.close();
    await s.close();
  });

  test('NATS stops: hubs keep serving, every page says the view is partial; NATS back: whole again', async () => {
    const s = await screen(hubs[0].url);
    const port = nats.port;
    await nats.stop();
    await snapWhere(s, (m) => m.partial === true, 6000, 'partial without NATS');
    const phone = await audience(hubs[0].url);   // still serving
    phone.send({ t: 'react', kind: 'heart', n: 7 });
    const local = await snapWhere(s, (m) => m.react.heart >= 7, 5000, 'local taps still counted');
    assert.equal(local.partial, true);
    nats = await startNats(dir, port);
    // The hubs reconnect by themselves; the killed hub of the test above stays
    // silent, so the view is whole again only once it is forgotten: check the link.
    const s1 = await screen(hubs[1].url);
    await snapWhere(s1, (m) => m.react.heart >= 7, 8000, 'hub 1 sees hub 0 again after NATS came back');
    await phone.close();
    await Promise.all([s.close(), s1.close()]);
  });
});

describe('a cluster of hubs: the crew and the votes', () => {
  let dir, nats, hubs = [];
  let nextId = 900000;
  const req = async (c, msg) => { const id = nextId++; c.send({ ...msg, id }); return c.ack(id, 5000); };
  before(async () => {
    dir = tempDir();
    nats = await startNats(dir);
    for (let i = 0; i < 3; i++) hubs.push(await startHub({ dir, db: join(dir, `hub-${i}.db`), args: ['--nats', nats.url] }));
  });
  after(async () => {
    for (const h of hubs) await h.stop('SIGKILL');
    await nats.stop();
    cleanup(dir);
  });

  test('a poll opened on one hub is open on every hub; the tally is one, whatever hub a phone votes on', async () => {
    const crew0 = await Client.connect(hubs[0].url);
    await crew0.hello({ role: 'crew', key: KEYS.crew });
    const screens = await Promise.all(hubs.map((h) => screen(h.url)));
    const opened = await req(crew0, { t: 'poll.open', question: 'Encore?', options: ['Neon Skies', 'Slow Burn'], allow_change: true });
    assert.equal(opened.ok, true, JSON.stringify(opened));
    const poll = opened.poll;
    for (const s of screens) await s.wait((m) => m.t === 'poll' && m.poll.id === poll && m.poll.open, 5000, 'poll on every hub');
    const phones = [];
    for (const [i, h] of hubs.entries()) for (let k = 0; k < 2; k++) phones.push({ hub: i, c: await audience(h.url) });
    for (const [j, p] of phones.entries()) {
      const a = await req(p.c, { t: 'vote', poll, option: j % 3 === 0 ? 1 : 0 });
      assert.equal(a.ok, true, `vote on hub ${p.hub}: ${JSON.stringify(a)}`);
    }
    for (const s of screens)
      await snapWhere(s, (m) => m.poll?.id === poll && m.poll.voters === 6 && m.poll.counts[0] === 4 && m.poll.counts[1] === 2,
        5000, 'the same tally on every hub');
    // A phone moves from hub 0 to hub 2 and changes its vote: the tally moves once.
    const mover = phones[1];
    await mover.c.close();
    const back = await audience(hubs[2].url, { token: mover.c.welcome.token });
    assert.equal(back.welcome.poll.voted, 0, 'its vote follows it');
    const changed = await req(back, { t: 'vote', poll, option: 1 });
    assert.equal(changed.ok, true);
    for (const s of screens)
      await snapWhere(s, (m) => m.poll?.voters === 6 && m.poll.counts[0] === 3 && m.poll.counts[1] === 3, 5000, 'moved once');
    // Closing on another hub than the one that opened it.
    const crew1 = await Client.connect(hubs[1].url);
    await crew1.hello({ role: 'crew', key: KEYS.crew });
    assert.equal((await req(crew1, { t: 'poll.close', poll })).ok, true);
    for (const s of screens) {
      const c = await s.wait((m) => m.t === 'poll' && m.poll.id === poll && !m.poll.open, 5000, 'closed everywhere');
      assert.deepEqual(c.poll.counts, [3, 3]);
    }
    for (const p of phones) await p.c.close().catch(() => {});
    await back.close();
    await Promise.all([...screens, crew0, crew1].map((c) => c.close()));
  });

  test('a poll without changes refuses the second vote on another hub; a re-send counts once', async () => {
    const crew = await Client.connect(hubs[2].url);
    await crew.hello({ role: 'crew', key: KEYS.crew });
    const poll = (await req(crew, { t: 'poll.open', question: 'Once?', options: ['Yes', 'No'] })).poll;
    const s0 = await screen(hubs[0].url);
    await s0.wait((m) => m.t === 'snap' && m.poll?.id === poll, 5000, 'the poll on hub 0');
    const p = await audience(hubs[0].url);
    assert.equal((await req(p, { t: 'vote', poll, option: 0 })).ok, true);
    await p.close();
    const there = await audience(hubs[1].url, { token: p.welcome.token });
    await snapWhere(s0, (m) => m.poll?.id === poll && m.poll.voters === 1, 5000, 'counted');
    const again = await req(there, { t: 'vote', poll, option: 1 });
    assert.equal(again.code, 'already_voted', JSON.stringify(again));
    const same = await req(there, { t: 'vote', poll, option: 0 });
    assert.equal(same.ok, true, 'the same choice again is a re-send');
    await sleep(300);
    const last = await snapWhere(s0, () => true, 3000);
    assert.deepEqual(last.poll.counts, [1, 0]);
    await req(crew, { t: 'poll.close', poll });
    await Promise.all([there, s0, crew].map((c) => c.close()));
  });

  test('a ban takes the device\'s vote out of every tally, also of a hub restarted while the poll is open', async () => {
    const crew = await Client.connect(hubs[0].url);
    await crew.hello({ role: 'crew', key: KEYS.crew });
    const poll = (await req(crew, { t: 'poll.open', question: 'Ban?', options: ['Keep', 'Drop'], allow_change: true })).poll;
    const s2 = await screen(hubs[2].url);
    await s2.wait((m) => m.t === 'snap' && m.poll?.id === poll, 5000, 'the poll on hub 2');
    const good = await audience(hubs[1].url), bad = await audience(hubs[1].url);
    assert.equal((await req(good, { t: 'vote', poll, option: 0 })).ok, true);
    assert.equal((await req(bad, { t: 'vote', poll, option: 1 })).ok, true);
    await snapWhere(s2, (m) => m.poll?.id === poll && m.poll.voters === 2, 5000, 'both counted');
    const banned = await req(crew, { t: 'mod', action: 'ban', device: bad.welcome.device });
    assert.equal(banned.ok, true, JSON.stringify(banned));
    await snapWhere(s2, (m) => m.poll?.id === poll && m.poll.voters === 1 && m.poll.counts[1] === 0, 5000, 'the banned vote gone');
    // Hub 2 restarts while the poll is open: it reads the vote stream again,
    // which still holds the banned device's vote.
    await s2.close();
    await hubs[2].stop('SIGKILL');
    hubs[2] = await startHub({ dir, db: hubs[2].db, port: hubs[2].port, args: ['--nats', nats.url] });
    const again = await screen(hubs[2].url);
    await snapWhere(again, (m) => m.poll?.id === poll && m.poll.voters >= 1, 8000, 'the tally back after the restart');
    await sleep(1000);   // every vote of the stream read
    const last = await snapWhere(again, () => true, 3000);
    assert.deepEqual([last.poll.voters, ...last.poll.counts], [1, 1, 0], 'the banned vote stays out');
    await req(crew, { t: 'poll.close', poll });
    await Promise.all([good, bad, again, crew].map((c) => c.close().catch(() => {})));
  });

  test('moderation through the control stream: a chant hidden on one hub leaves every screen; approve mode set on one hub holds on all', async () => {
    const texts = (m) => m.chants.map((x) => x[0]);
    const crew1 = await Client.connect(hubs[1].url);
    await crew1.hello({ role: 'crew', key: KEYS.crew });
    const crew2 = await Client.connect(hubs[2].url);
    await crew2.hello({ role: 'crew', key: KEYS.crew });
    const [s0, s2] = [await screen(hubs[0].url), await screen(hubs[2].url)];
    const fan = await audience(hubs[0].url);
    assert.equal((await req(fan, { t: 'chant', text: 'Rude words here' })).ok, true);
    await snapWhere(s2, (m) => texts(m).includes('Rude words here'), 5000, 'hub 0’s chant on hub 2’s screen');
    // The crew on hub 1 hides it: gone from hub 0's own screen and from hub 2's.
    assert.equal((await req(crew1, { t: 'mod', action: 'hide', text: 'rude WORDS here' })).ok, true);
    for (const s of [s0, s2]) await snapWhere(s, (m) => !texts(m).includes('Rude words here'), 5000, 'hidden on every screen');
    // Approve mode, set on hub 1: a new chant on hub 0 waits on every screen ...
    assert.equal((await req(crew1, { t: 'mod', action: 'mode', mode: 'approve' })).ok, true);
    await sleep(300);
    assert.equal((await req(fan, { t: 'chant', text: 'We want more' })).ok, true);
    await sleep(1500);
    for (const s of [s0, s2]) {
      const m = await snapWhere(s, () => true, 3000, 'a snapshot');
      assert.ok(!texts(m).includes('We want more'), `held for approval: ${JSON.stringify(m.chants)}`);
    }
    // ... until a crew member on hub 2 approves it.
    assert.equal((await req(crew2, { t: 'mod', action: 'approve', text: 'We want more' })).ok, true);
    for (const s of [s0, s2]) await snapWhere(s, (m) => texts(m).includes('We want more'), 5000, 'approved: on every screen');
    assert.equal((await req(crew1, { t: 'mod', action: 'mode', mode: 'auto' })).ok, true);
    await Promise.all([crew1, crew2, s0, s2, fan].map((c) => c.close().catch(() => {})));
  });

  test('a marker set on one hub shows on every screen with the same time; a hub restarted catches up', async () => {
    const crew = await Client.connect(hubs[1].url);
    await crew.hello({ role: 'crew', key: KEYS.crew });
    await hubs[0].stop('SIGKILL');   // down while the crew works
    assert.equal((await req(crew, { t: 'marker', label: 'Neon Skies', kind: 'song_start' })).ok, true);
    const s2 = await screen(hubs[2].url);
    assert.equal(s2.msgs.find((m) => m.t === 'welcome').now_playing, 'Neon Skies');
    hubs[0] = await startHub({ dir, db: hubs[0].db, port: hubs[0].port, args: ['--nats', nats.url] });
    const s0 = await screen(hubs[0].url);
    const w0 = s0.msgs.find((m) => m.t === 'welcome');
    // The restarted hub applies what it missed from the control stream.
    const caught = w0.now_playing === 'Neon Skies' ? w0
      : await s0.wait((m) => m.t === 'marker' && m.marker.label === 'Neon Skies', 5000, 'caught up');
    assert.ok(caught);
    const ts2 = s2.msgs.find((m) => m.t === 'welcome').markers.at(-1).ts;
    const s0b = await screen(hubs[0].url);
    assert.equal(s0b.msgs.find((m) => m.t === 'welcome').markers.at(-1).ts, ts2, 'one marker, one time, on every hub');
    await Promise.all([crew, s2, s0, s0b].map((c) => c.close()));
  });
});

describe('a cluster of hubs and one lighting desk (OSC)', () => {
  let dir, nats, hubs = [], desk, outPort, inPort;
  const udpPort = () => new Promise((resolve) => { const u = createSocket('udp4'); u.bind(0, '127.0.0.1', () => { const p = u.address().port; u.close(() => resolve(p)); }); });
  before(async () => {
    dir = tempDir();
    nats = await startNats(dir);
    outPort = await udpPort();
    inPort = await udpPort();
    // The desk: every OSC message to outPort, with the sender's port.
    desk = { msgs: [], sock: createSocket('udp4') };
    desk.sock.on('message', (b, r) => {
      const end = b.indexOf(0);
      desk.msgs.push({ address: b.subarray(0, end).toString(), from: r.port, at: Date.now(), raw: b });
    });
    await new Promise((r) => desk.sock.bind(outPort, '127.0.0.1', r));
    const event = eventFile(dir, {
      osc: { targets: [{ name: 'lights', host: '127.0.0.1', port: outPort, rate: 25 }],
        listen: { host: '127.0.0.1', port: inPort, allow: ['127.0.0.1'] } },
    });
    // Both on one machine: one listens for the desk, both could send.
    for (let i = 0; i < 2; i++) hubs.push(await startHub({ dir, event, db: join(dir, `osc-${i}.db`), args: ['--nats', nats.url] }));
  });
  after(async () => {
    for (const h of hubs) await h.stop('SIGKILL');
    desk.sock.close();
    await nats.stop();
    cleanup(dir);
  });

  test('one hub sends, with the merged audience; a desk cue reaches every hub; the next hub takes over', async () => {
    const phones = [];
    for (const h of hubs) for (let i = 0; i < 3; i++) phones.push(await audience(h.url));
    await sleep(1500);
    const t0 = Date.now();
    await sleep(1200);
    const recent = desk.msgs.filter((m) => m.at >= t0);
    const senders = new Set(recent.filter((m) => m.address === '/chorus/heartbeat').map((m) => m.from));
    assert.equal(senders.size, 1, `one hub sends (${[...senders]})`);
    const aud = recent.filter((m) => m.address === '/chorus/audience').at(-1);
    assert.ok(aud, 'audience sent');
    assert.equal(aud.raw.readInt32BE(aud.raw.length - 4), 6, 'the merged audience (3 phones on each hub)');
    // A desk cue (sent to the one listening hub) sets the marker on every hub.
    execFileSync('oscsend', ['127.0.0.1', String(inPort), '/chorus/marker', 's', 'Desk cue']);
    for (const h of hubs) {
      const s = await screen(h.url);
      const w = s.msgs.find((m) => m.t === 'welcome');
      if (!w.markers.some((m) => m.label === 'Desk cue'))
        await s.wait((m) => m.t === 'marker' && m.marker.label === 'Desk cue', 5000, `the cue on hub ${hubs.indexOf(h)}`);
      await s.close();
    }
    // The crew on the hub that does not send cuts OSC (the master gate):
    // the sending hub obeys; nothing but "gate 0" reaches the desk until
    // the gate opens again.
    const crew1 = await Client.connect(hubs[1].url);
    await crew1.hello({ role: 'crew', key: KEYS.crew });
    crew1.send({ t: 'osc.gate', id: 7701, on: false });
    assert.equal((await crew1.ack(7701, 5000)).ok, true);
    await sleep(700);
    const tc = Date.now();
    await sleep(1500);
    const whileClosed = desk.msgs.filter((m) => m.at >= tc).map((m) => m.address);
    assert.deepEqual(whileClosed, [], 'the sending hub sends nothing while the crew\'s cut is on');
    crew1.send({ t: 'osc.gate', id: 7702, on: true });
    assert.equal((await crew1.ack(7702, 5000)).ok, true);
    const to = Date.now();
    await sleep(1500);
    assert.ok(desk.msgs.some((m) => m.at >= to && m.address === '/chorus/heartbeat'), 'OSC again once the gate opens');
    await crew1.close();
    // The sender goes: the other takes over within a few seconds.
    const [sender] = senders;
    const lowest = hubs[0];   // hub ids follow start order here: hub 0 sends first
    await lowest.stop('SIGKILL');
    const t1 = Date.now();
    await sleep(4500);
    const after = new Set(desk.msgs.filter((m) => m.at >= t1 + 3500 && m.address === '/chorus/heartbeat').map((m) => m.from));
    assert.equal(after.size, 1, 'one sender again');
    assert.notEqual([...after][0], sender, 'another hub sends now');
    for (const p of phones) await p.close().catch(() => {});
  });
});
