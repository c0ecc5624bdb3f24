// fanout.test.mjs -- the hub's write path (hub/io/net.c): a message goes out
// at once when nothing waits for its connection, in part when the socket is
// nearly full (lws buffers the rest), or queued when it is full; the stream
// a client reads stays whole through all three. The tick's snapshots to
// phones take the same three ways, gathered in an io_uring (txring.c), or
// one send() each with --no-io-uring.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startHub, audience, crew, newId, KEYS, ROOT, cleanup, sleep } from './lib.mjs';

const written = (out) => {
  const m = /msg="messages written" at_once=(\d+) partly=(\d+) queued=(\d+) batched=(\d+) batched_partly=(\d+) flushes=(\d+)/.exec(out);
  assert.ok(m, `the hub reports how it wrote (${out.slice(-300)})`);
  return { direct: +m[1], partly: +m[2], queued: +m[3], batched: +m[4], batchedPartly: +m[5], flushes: +m[6] };
};

// Eight phones, each with a 64-byte chant acked: the top chants make every
// snapshot large.
async function chantingPhones(hub) {
  const phones = [];
  for (let i = 0; i < 8; i++) {
    const a = await audience(hub.url);
    const id = newId();
    a.send({ t: 'chant', id, text: `Chorus ${i}: sing it louder for the whole stadium tonight, all of you!`.slice(0, 64) });
    const ack = await a.ack(id);
    assert.equal(ack.ok, true, JSON.stringify(ack));
    phones.push(a);
  }
  return phones;
}

test('a screen that reads in fits and starts gets every frame whole and in order', async (t) => {
  // 100 snapshots/s, made large by top chants, to a screen that stops
  // reading for 3 s at a time: its socket fills, so writes go out whole,
  // in part (the rest buffered) and queued (the snapshot replaced).
  // A 16 KB send buffer (--sndbuf; 64 KB by default) and the longest chants:
  // a busy machine makes fewer snapshots, and 3 s of them must still fill
  // the socket (the kernel takes a write whole or in part, by its own
  // buffer units: much smaller buffers only ever refuse).
  const hub = await startHub({ args: ['--tick-ms', '10', '--sndbuf', '16384'] });
  t.after(async () => { await hub.stop('SIGKILL'); cleanup(hub.dir); });
  const phones = await chantingPhones(hub);
  const k = await crew(hub.url);
  await k.next((m) => m.t === 'snap' && (m.chants || []).length >= 5, 5000);
  const py = spawn('/usr/bin/python3', [join(ROOT, 'tests', 'integration', 'slow_reader.py'), String(hub.port), KEYS.screen, '9']);
  let out = '';
  py.stdout.on('data', (d) => { out += d; });
  await new Promise((r) => py.on('exit', r));
  const r = JSON.parse(out.trim().split('\n').pop());
  assert.equal(r.alive, true, 'a reader that catches up within 10 s is kept');
  assert.equal(r.bad, 0, `every frame decodes whole (first bad: ${r.first_bad})`);
  assert.equal(r.seq_increasing, true, 'snapshots arrive in order');
  assert.ok(r.snaps > 150, `snapshots kept coming (${r.snaps})`);
  phones.forEach((a) => a.close());
  k.close();
  await hub.stop();
  const w = written(hub.output());
  t.diagnostic(`writes ${JSON.stringify(w)}, reader ${JSON.stringify(r)}`);
  assert.ok(w.direct > 200 && w.direct > 20 * (w.partly + w.queued), `most went out at once (${JSON.stringify(w)})`);
  assert.ok(w.partly > 0, `some went out in part, the rest buffered (${JSON.stringify(w)})`);
  assert.ok(w.queued > 0, `some waited for the socket (${JSON.stringify(w)})`);
});

// The same for a phone: its snapshots (10 a second, large with top chants)
// go through the io_uring batch, or one send() each with --no-io-uring.
for (const ring of [true, false]) {
  test(`a phone that reads in fits and starts gets every snapshot whole and in order (${ring ? 'io_uring' : '--no-io-uring'})`, async (t) => {
    const hub = await startHub({ args: ['--audience-hz', '10', '--sndbuf', '8192', ...(ring ? [] : ['--no-io-uring'])] });
    t.after(async () => { await hub.stop('SIGKILL'); cleanup(hub.dir); });
    const phones = await chantingPhones(hub);
    await phones[0].next((m) => m.t === 'snap' && (m.chants || []).length >= 5, 5000);
    const py = spawn('/usr/bin/python3', [join(ROOT, 'tests', 'integration', 'slow_reader.py'), String(hub.port), '-', '14', '6']);
    let out = '';
    py.stdout.on('data', (d) => { out += d; });
    const exited = new Promise((r) => py.on('exit', r));
    // A poll opens meanwhile: each phone gets it in a tick, written at once
    // while other phones' snapshots of that tick wait in the batch.
    await sleep(2000);
    const k = await crew(hub.url);
    const id = newId();
    k.send({ t: 'poll.open', id, question: 'Encore?', options: ['Yes', 'No'] });
    assert.equal((await k.ack(id)).ok, true);
    for (const a of phones) await a.wait((m) => m.t === 'poll' && m.poll.open, 5000, 'the poll on every phone');
    await exited;
    k.close();
    const r = JSON.parse(out.trim().split('\n').pop());
    assert.equal(r.alive, true, 'a phone that catches up within 10 s is kept');
    assert.equal(r.bad, 0, `every frame decodes whole (first bad: ${r.first_bad})`);
    assert.equal(r.seq_increasing, true, 'snapshots arrive in order');
    assert.ok(r.snaps > 40, `snapshots kept coming (${r.snaps})`);
    phones.forEach((a) => a.close());
    await hub.stop();
    const w = written(hub.output());
    t.diagnostic(`writes ${JSON.stringify(w)}, reader ${JSON.stringify(r)}`);
    assert.match(hub.output(), ring ? /snapshots to phones go out through io_uring/ : /snapshots to phones go out one send\(\) each.*no-io-uring/);
    if (ring) {
      assert.ok(w.batched > 500 && w.flushes > 100, `the phones' snapshots went through the ring (${JSON.stringify(w)})`);
      assert.ok(w.batchedPartly > 0, `some went out in part, the rest buffered (${JSON.stringify(w)})`);
    } else {
      assert.equal(w.batched + w.flushes, 0, `nothing went through a ring (${JSON.stringify(w)})`);
      assert.ok(w.partly > 0, `some went out in part (${JSON.stringify(w)})`);
    }
    assert.ok(w.queued > 0, `some waited for the socket (${JSON.stringify(w)})`);
  });
}
