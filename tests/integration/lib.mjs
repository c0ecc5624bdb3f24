// lib.mjs -- helpers for integration tests: start the real chorus-hub on a
// free loopback port with a temporary database, and real WebSocket clients
// speaking chorus.v1 (binary msgpack frames).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { encode, decode } from '@msgpack/msgpack';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const HUB = process.env.CHORUS_HUB ? resolve(join(dirname(fileURLToPath(import.meta.url)), '..', '..'), process.env.CHORUS_HUB) : join(ROOT, 'hub', 'chorus-hub');
export const DEMO = join(ROOT, 'examples', 'demo-event.json');
export const KEYS = { crew: 'crew-demo-key', screen: 'screen-demo-key', performer: 'stage-demo-key' };

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

export function tempDir() { return mkdtempSync(join(tmpdir(), 'chorus-')); }

export function eventFile(dir, patch = {}) {
  const ev = {
    code: 'DEMO', name: 'Demo Night', reactions: ['heart', 'fire', 'clap', 'rock', 'laugh'],
    sections: ['A', 'B', 'C'], keys: { ...KEYS }, songs: ['One', 'Two', 'Three'], ...patch,
  };
  const f = join(dir, 'event.json');
  writeFileSync(f, JSON.stringify(ev));
  return f;
}

// Start the hub; resolves when it accepts connections.
export async function startHub({ dir, db, event, port, args = [] } = {}) {
  dir ??= tempDir();
  db ??= join(dir, 'chorus.db');
  event ??= DEMO;
  port ??= await freePort();
  const proc = spawn(HUB, ['--port', String(port), '--bind', '127.0.0.1', '--db', db, '--event-file', event,
    '--web-root', join(ROOT, 'web', 'dist'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
  const deadline = Date.now() + 10000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`hub exited early: ${out}`);
    // Its banner too: with hubs sharing a port (a cluster) the probe may be
    // answered by another one.
    try { await probe(port); if (out.includes('chorus-hub: event ')) break; } catch { /* not yet */ }
    if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error(`hub did not start: ${out}`); }
    await sleep(50);
  }
  return {
    proc, port, db, dir, event, exited, url: `ws://127.0.0.1:${port}/ws`, output: () => out,
    async stop(sig = 'SIGTERM') { if (proc.exitCode === null && proc.signalCode === null) proc.kill(sig); return exited; },
  };
}

function probe(port) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, 'chorus.v1');
    ws.on('open', () => { ws.close(); resolve(); });
    ws.on('error', reject);
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A chorus.v1 client that records every message and lets tests wait for one.
export class Client {
  constructor(url, protocol = 'chorus.v1') {
    this.msgs = [];
    this.waiters = [];
    this.closed = null;
    this.ws = new WebSocket(url, protocol);
    this.ws.binaryType = 'nodebuffer';
    this.opened = new Promise((resolve, reject) => {
      this.ws.on('open', resolve);
      this.ws.on('error', reject);
    });
    this.closedP = new Promise((resolve) => this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      resolve(this.closed);
    }));
    this.ws.on('message', (data, isBinary) => {
      const m = isBinary ? decode(data) : { t: 'text', data: data.toString() };
      this.msgs.push(m);
      this.waiters = this.waiters.filter((w) => { if (w.pred(m)) { w.resolve(m); return false; } return true; });
    });
  }
  static async connect(url, protocol) { const c = new Client(url, protocol); await c.opened; return c; }
  send(obj) { this.ws.send(encode(obj)); }
  sendRaw(buf) { this.ws.send(buf); }
  // Wait for the first message (already received or future) matching pred.
  wait(pred, ms = 3000, what = 'message') {
    const have = this.msgs.find(pred);
    if (have) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve };
      this.waiters.push(w);
      setTimeout(() => reject(new Error(`timeout waiting for ${what}; got ${JSON.stringify(this.msgs.slice(-5))}`)), ms);
    });
  }
  // Wait for a message arriving after this call.
  next(pred, ms = 3000, what = 'message') {
    return new Promise((resolve, reject) => {
      this.waiters.push({ pred, resolve });
      setTimeout(() => reject(new Error(`timeout waiting for ${what}`)), ms);
    });
  }
  ack(id, ms = 3000) { return this.wait((m) => m.t === 'ack' && m.id === id, ms, `ack ${id}`); }
  async hello(fields) {
    this.send({ t: 'hello', event: 'DEMO', ...fields });
    return this.wait((m) => m.t === 'welcome' || m.t === 'error', 3000, 'welcome');
  }
  close() { this.ws.close(); return this.closedP; }
}

export async function audience(url, fields = {}) {
  const c = await Client.connect(url);
  const w = await c.hello({ role: 'audience', ...fields });
  if (w.t !== 'welcome') throw new Error(`hello failed: ${JSON.stringify(w)}`);
  c.welcome = w;
  return c;
}

export async function crew(url) {
  const c = await Client.connect(url);
  const w = await c.hello({ role: 'crew', key: KEYS.crew });
  if (w.t !== 'welcome') throw new Error(`crew hello failed: ${JSON.stringify(w)}`);
  return c;
}

let nextId = 1;
export const newId = () => nextId++;

export async function openPoll(crewClient, options = ['Yes', 'No'], extra = {}) {
  const id = newId();
  crewClient.send({ t: 'poll.open', id, question: 'Encore?', options, ...extra });
  const a = await crewClient.ack(id);
  if (!a.ok) throw new Error(`poll.open failed: ${JSON.stringify(a)}`);
  return a.poll;
}

/** The poll `poll` as a crew member connecting to the hub at url sees it. */
export async function tally(url, poll) {
  const s = await Client.connect(url);
  try {
    await s.hello({ role: 'crew', key: KEYS.crew });
    return (await s.wait((x) => x.t === 'snap' && x.poll?.id === poll, 8000, 'a snapshot of the poll')).poll;
  } finally { await s.close(); }
}
/** tally(), once `voters` devices voted (or as it is after `tries` looks, 250 ms apart). */
export async function tallyOf(url, poll, voters, tries) {
  let t;
  for (let k = 0; k < tries; k++) { t = await tally(url, poll); if (t.voters === voters) break; await sleep(250); }
  return t;
}

/** One SQLite query on a hub's database file (the sqlite3 shell), its output trimmed. */
export const sql = (db, q) => execFileSync('sqlite3', [db, q]).toString().trim();

export function cleanup(dir) { try { rmSync(dir, { recursive: true, force: true }); } catch { /* ignore */ } }

// A cluster for one test: a scratch folder, a NATS started by
// startNats(folder) (anything with a url, and destroy() or stop()), and n
// hubs on it, <dir>/hub-<i>.db. The test adds its sockets to rig.socks,
// further hubs to rig.hubs and anything else to close to rig.closers; the
// cleanup pushed on cleanups (first, so a failed start is cleaned too)
// closes all of it, kills the hubs, stops NATS and removes the folder.
export async function clusterRig(cleanups, startNats, { n = 2 } = {}) {
  const dir = tempDir();
  const rig = { dir, nats: null, hubs: [], socks: [], closers: [] };
  cleanups.push(async () => {
    for (const c of rig.closers) c();
    for (const c of rig.socks) c.ws.terminate();
    for (const h of rig.hubs) await h.stop('SIGKILL');
    if (rig.nats) await (rig.nats.destroy ? rig.nats.destroy() : rig.nats.stop());
    cleanup(dir);
  });
  rig.nats = await startNats(join(dir, 'nats'));
  for (let i = 0; i < n; i++) rig.hubs.push(await startHub({ dir, db: join(dir, `hub-${i}.db`), args: ['--nats', rig.nats.url] }));
  return rig;
}

// One HTTP(S) request with node's http.request or https.request; resolves
// {status, headers, body}.
export function httpRequest(request, options) {
  return new Promise((resolve, reject) => {
    const req = request(options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
