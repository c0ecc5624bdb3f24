// tls.test.mjs -- HTTPS and WSS with --tls-cert/--tls-key: a certificate
// the test makes with openssl (its own CA, so the clients verify the chain
// instead of turning verification off), the URLs and the join URL in
// https, /metrics over TLS, and SIGHUP loading a renewed certificate
// without a restart (a broken renewal leaves the working one in place).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { request } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';
import { encode, decode } from '@msgpack/msgpack';
import { HUB, DEMO, ROOT, KEYS, freePort, tempDir, cleanup, sleep, httpRequest } from './lib.mjs';

// A CA, and certificates for localhost/127.0.0.1 it signs.
function makeCa(dir) {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'), '-days', '2', '-subj', '/CN=Chorus test CA'],
  { stdio: 'ignore' });
  return readFileSync(join(dir, 'ca.pem'));
}
function makeCert(dir, name) {
  const key = join(dir, `${name}.key`), csr = join(dir, `${name}.csr`), crt = join(dir, `${name}.pem`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key,
    '-out', csr, '-subj', `/CN=localhost ${name}`], { stdio: 'ignore' });
  execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', join(dir, 'ca.pem'), '-CAkey', join(dir, 'ca.key'),
    '-CAcreateserial', '-out', crt, '-days', '1', '-extfile', ext], { stdio: 'ignore' });
  return { key, crt };
}

// Put a certificate pair where the hub reads it, each file replaced whole
// (as a deploy hook should: write aside, then rename).
function install(pair, dst) {
  writeFileSync(`${dst.crt}.tmp`, readFileSync(pair.crt));
  writeFileSync(`${dst.key}.tmp`, readFileSync(pair.key), { mode: 0o600 });
  renameSync(`${dst.crt}.tmp`, dst.crt);
  renameSync(`${dst.key}.tmp`, dst.key);
}

// The fingerprint of the certificate the hub presents to a new connection
// (verified against ca).
function peerCert(port, ca) {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      const c = s.getPeerCertificate();
      s.end();
      resolve(c);
    });
    s.on('error', reject);
  });
}

function get(port, path, ca, headers = {}) {
  return httpRequest(request, { host: '127.0.0.1', port, path, ca, headers });
}

function wss(port, ca) {
  const ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, 'chorus.v1', { ca });
  ws.binaryType = 'nodebuffer';
  const msgs = [];
  const waiters = [];
  ws.on('message', (d) => {
    const m = decode(d);
    msgs.push(m);
    for (const w of waiters.splice(0)) if (!w(m)) waiters.push(w);
  });
  const opened = new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
  const next = (pred, ms = 3000) => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout; got ${JSON.stringify(msgs.slice(-3))}`)), ms);
    waiters.push((m) => { if (pred(m)) { clearTimeout(t); resolve(m); return true; } return false; });
  });
  return { ws, msgs, opened, next, send: (o) => ws.send(encode(o)) };
}

async function startTlsHub(dir, tls, ca) {
  const port = await freePort();
  const proc = spawn(HUB, ['--port', String(port), '--bind', '127.0.0.1', '--db', join(dir, 'chorus.db'),
    '--event-file', DEMO, '--web-root', join(ROOT, 'web', 'dist'), '--tls-cert', tls.crt, '--tls-key', tls.key],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  const deadline = Date.now() + 10000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`hub exited early: ${out}`);
    try { if ((await get(port, '/healthz', ca)).status === 200) break; } catch { /* not yet */ }
    if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error(`hub did not start: ${out}`); }
    await sleep(50);
  }
  return { proc, port, exited, output: () => out, stop: async () => { if (proc.exitCode === null) proc.kill('SIGTERM'); return exited; } };
}

describe('TLS', () => {
  let dir, ca, certs, live, hub;
  before(async () => {
    dir = tempDir();
    ca = makeCa(dir);
    certs = { a: makeCert(dir, 'a'), b: makeCert(dir, 'b'), c: makeCert(dir, 'c') };
    live = { crt: join(dir, 'live.pem'), key: join(dir, 'live.key') };
    install(certs.a, live);
    hub = await startTlsHub(dir, live, ca);
  });
  after(async () => { if (hub) await hub.stop(); cleanup(dir); });

  test('pages over https, the WebSocket over wss, URLs and the join URL in https', async () => {
    const page = await get(hub.port, '/healthz', ca);
    assert.equal(page.status, 200);
    assert.equal(page.body, 'ok');
    const out = hub.output();
    assert.match(out, /audience \(QR code\): https:\/\/[^ ]+\/e\/DEMO/);
    assert.match(out, /crew dashboard: +https:\/\//);
    assert.match(out, /on this machine: +https:\/\/localhost:\d+\//);
    assert.doesNotMatch(out, /http:\/\//, 'no plain http URL is printed');
    const c = wss(hub.port, ca);
    await c.opened;
    c.send({ t: 'hello', role: 'audience' });
    const w = await c.next((m) => m.t === 'welcome' || m.t === 'error');
    assert.equal(w.t, 'welcome', JSON.stringify(w));
    assert.match(JSON.stringify(w), /"https:\/\/[^"]+\/e\/DEMO"/, 'the join URL (QR code) is https');
    const snap = await c.next((m) => m.t === 'snap', 3000);
    assert.ok(snap.seq > 0);
    c.ws.close();
    // The metrics know the certificate's expiry.
    const m = await get(hub.port, '/metrics', ca, { Authorization: `Bearer ${KEYS.crew}` });
    assert.equal(m.status, 200);
    const notAfter = Math.floor(new Date((await peerCert(hub.port, ca)).valid_to).getTime() / 1000);
    assert.match(m.body, new RegExp(`^chorus_tls_cert_not_after_seconds ${notAfter}$`, 'm'));
  });

  test('plain HTTP on the TLS port gets no page', async () => {
    const reply = await new Promise((resolve) => {
      const s = tcpConnect(hub.port, '127.0.0.1', () => s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
      let got = '';
      s.on('data', (d) => { got += d; });
      s.on('close', () => resolve(got));
      s.on('error', () => resolve(got));
      setTimeout(() => { s.destroy(); resolve(got); }, 2000);
    });
    assert.doesNotMatch(reply, /200 OK/);
  });

  test('SIGHUP loads a renewed certificate without a restart; a broken one is refused', async () => {
    const fa = (await peerCert(hub.port, ca)).fingerprint256;
    const open = wss(hub.port, ca);   // a phone connected before the renewal
    await open.opened;
    open.send({ t: 'hello', role: 'audience' });
    assert.equal((await open.next((m) => m.t === 'welcome')).t, 'welcome');

    install(certs.b, live);
    hub.proc.kill('SIGHUP');
    let fb = fa;
    for (let i = 0; i < 40 && fb === fa; i++) { await sleep(50); fb = (await peerCert(hub.port, ca)).fingerprint256; }
    assert.notEqual(fb, fa, 'new connections get the renewed certificate');
    assert.equal(fb, (await peerCert(hub.port, ca)).fingerprint256);
    // The phone that was connected before is still served.
    open.send({ t: 'ping', c: 7 });
    assert.equal((await open.next((m) => m.t === 'pong')).c, 7);
    assert.equal(hub.proc.exitCode, null, 'no restart');

    // A renewal gone wrong: c's certificate with b's key. Refused, b stays.
    writeFileSync(live.crt, readFileSync(certs.c.crt));
    hub.proc.kill('SIGHUP');
    await sleep(300);
    assert.equal((await peerCert(hub.port, ca)).fingerprint256, fb);
    assert.match(hub.output(), /level=error msg="SIGHUP: certificate not reloaded, the one in use stays" reason="TLS: the key [^"]+ is not the key of the certificate/);
    const page = await get(hub.port, '/healthz', ca);
    assert.equal(page.status, 200);
    const m = await get(hub.port, '/metrics', ca, { Authorization: `Bearer ${KEYS.crew}` });
    assert.match(m.body, /^chorus_tls_reloads_total 1$/m);
    assert.match(m.body, /^chorus_tls_reload_failures_total 1$/m);
    // Fixed on the next try.
    install(certs.c, live);
    hub.proc.kill('SIGHUP');
    let fc = fb;
    for (let i = 0; i < 40 && fc === fb; i++) { await sleep(50); fc = (await peerCert(hub.port, ca)).fingerprint256; }
    assert.notEqual(fc, fb);
    open.ws.close();
    const ex = await hub.stop();
    assert.equal(ex.code, 0);
    hub = null;
  });

  test('a certificate that does not check out stops the hub at start, naming the file', () => {
    const run = (args) => spawnSync(HUB, ['--port', '1', '--bind', '127.0.0.1', '--db', join(dir, 'x.db'),
      '--event-file', DEMO, ...args], { encoding: 'utf8', timeout: 5000 });
    let r = run(['--tls-cert', join(dir, 'missing.pem'), '--tls-key', certs.a.key]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /missing\.pem/);
    r = run(['--tls-cert', certs.a.crt, '--tls-key', certs.b.key]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /is not the key of the certificate/);
    r = run(['--tls-cert', certs.a.crt]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--tls-cert and --tls-key go together/);
  });
});
