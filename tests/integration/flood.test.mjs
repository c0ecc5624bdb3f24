// flood.test.mjs -- connections that never say hello: the per-address cap
// (--max-anon-per-ip) and the descriptor reserve (hub/io/net.c FD_RESERVE).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { startHub, Client, audience, sleep, cleanup, tempDir, HUB, DEMO, ROOT } from './lib.mjs';
import { join } from 'node:path';

test('an address may keep only N connections open before hello; joined phones do not count', async (t) => {
  const hub = await startHub({ args: ['--max-anon-per-ip', '5'] });
  t.after(async () => { await hub.stop('SIGKILL'); cleanup(hub.dir); });
  const joined = [];
  for (let i = 0; i < 8; i++) joined.push(await audience(hub.url));   // more than 5, all fine
  const silent = [];
  for (let i = 0; i < 5; i++) silent.push(await Client.connect(hub.url));
  const sixth = await Client.connect(hub.url);
  const err = await sixth.wait((m) => m.t === 'error');
  assert.equal(err.code, 'rate_limited');
  assert.match(err.msg, /too many connections from your address/);
  assert.equal((await sixth.closedP).code, 1008, 'closed with a policy code once told why');
  // One of the five says hello: room for one more.
  const w = await silent[0].hello({ role: 'audience' });
  assert.equal(w.t, 'welcome');
  const seventh = await Client.connect(hub.url);
  assert.equal((await seventh.hello({ role: 'audience' })).t, 'welcome', 'admitted once one had joined');
  // A silent one closing frees its place too.
  await silent[1].close();
  await sleep(100);
  const eighth = await Client.connect(hub.url);
  assert.equal((await eighth.hello({ role: 'audience' })).t, 'welcome');
  for (const c of [...joined, ...silent, sixth, seventh, eighth]) c.ws.terminate();
});

function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;   // utime + stime, in clock ticks of 1/100 s
}

test('at its descriptor limit the hub answers 503, does not spin or flood its log, and recovers', async (t) => {
  const dir = tempDir();
  const port = 20000 + Math.floor(Math.random() * 20000);
  // A hub limited to 400 descriptors (the reserve is 128).
  const proc = spawn('/usr/bin/prlimit', ['--nofile=400:400', HUB, '--port', String(port), '--bind', '127.0.0.1',
    '--db', join(dir, 'chorus.db'), '--event-file', DEMO, '--web-root', join(ROOT, 'web', 'dist'),
    '--max-anon-per-ip', '100000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  t.after(() => { proc.kill('SIGKILL'); cleanup(dir); });
  for (let i = 0; i < 100 && !log.includes('crew dashboard'); i++) await sleep(50);
  const socks = [];
  const answers = [];
  for (let i = 0; i < 600; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    let got = '';
    s.on('data', (d) => { got += d; });
    s.on('close', () => answers.push(got));
    socks.push(s);
  }
  await sleep(1500);
  const refused = answers.filter((a) => a.startsWith('HTTP/1.1 503')).length;
  assert.ok(refused >= 300, `connections beyond the limit get a 503 (${refused} of ${answers.length} closed)`);
  // Held at the limit for 2 s: the hub sleeps instead of retrying accept().
  const c0 = cpuSeconds(proc.pid);
  await sleep(2000);
  const used = cpuSeconds(proc.pid) - c0;
  assert.ok(used < 0.5, `the hub at its limit is idle, not spinning (${used} CPU s in 2 s)`);
  const lines = log.split('\n').filter((l) => /refused|accept|errno/.test(l));
  assert.ok(lines.length <= 3, `the log says it once, with a count (${lines.length} lines: ${lines.slice(0, 3)})`);
  assert.match(log, /msg="connections refused at the descriptor limit" count=\d+/);
  // They leave: a phone joins again.
  socks.forEach((s) => s.destroy());
  await sleep(500);
  const a = await audience(`ws://127.0.0.1:${port}/ws`);
  assert.ok(a.msgs.some((m) => m.t === 'welcome'), 'a phone joins once the flood has gone');
  a.close();
});
