// lib.mjs -- helpers for the browser tests: start the real hub on a free
// loopback port with a temporary database, drive Debian's chromium through
// playwright-core, and save screenshots in tests/artifacts/.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { decode } from '@msgpack/msgpack';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARTIFACTS = join(ROOT, 'tests', 'artifacts');
export const HUB = process.env.CHORUS_HUB ? join(ROOT, process.env.CHORUS_HUB) : join(ROOT, 'hub', 'chorus-hub');
export const EVENT_FILE = join(ROOT, 'examples', 'demo-event.json');
export const KEYS = { crew: 'crew-demo-key', screen: 'screen-demo-key', stage: 'stage-demo-key' };
export const CODE = 'DEMO';
export { sleep };

/**
 * A TCP port that was free a moment ago. Picked below the kernel's ephemeral
 * range (32768+), where the outgoing connections of other tests and load
 * generators on this machine would otherwise collide with the hub's bind.
 */
export async function freePort() {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const ok = await new Promise((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '0.0.0.0', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
}

/** A fresh temporary directory (removed by the caller's cleanup). */
export const tempDir = () => mkdtempSync(join(tmpdir(), 'chorus-web-'));

/**
 * Start hub/chorus-hub; resolves once it answers /healthz. opts: port, db
 * (reuse them to restart on the same data), extra args. Returns
 * {port, base, db, stop(signal)}; stop() sends SIGTERM (or the given
 * signal, e.g. 'SIGKILL') and waits for the exit.
 */
export async function startHub(opts = {}) {
  for (let tries = 0; ; tries++) {
    try {
      return await startHubOnce({ ...opts, port: opts.port || await freePort() });
    } catch (e) {
      // Another process may take the port between freePort() and the bind.
      if (opts.port || tries >= 4 || !/hub exited/.test(e.message)) throw e;
    }
  }
}

async function startHubOnce(opts) {
  const { port } = opts;
  const db = opts.db || join(tempDir(), 'chorus.db');
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--public-url', `http://127.0.0.1:${port}`,
    '--db', db, '--event-file', EVENT_FILE, '--web-root', join(ROOT, 'web', 'dist'), ...(opts.args || [])];
  // opts.wrap: a command the hub runs under, which execs its arguments
  // (e.g. unshare for another host name): the process is still the hub's.
  const proc = opts.wrap ? spawn(opts.wrap[0], [...opts.wrap.slice(1), HUB, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(HUB, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`hub exited (${proc.exitCode}): ${log}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error(`hub did not start: ${log}`); }
    await sleep(100);
  }
  return {
    port, base, db,
    log: () => log,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill(signal);
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

/** Debian's chromium, headless. */
export function launch() {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

/** A phone: 360x640, touch, in its own context (own localStorage). */
export async function phone(browser, url, { locale = 'en-US' } = {}) {
  const ctx = await browser.newContext({ viewport: { width: 360, height: 640 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale });
  ctx.setDefaultTimeout(8000);
  const page = await ctx.newPage();
  watch(page);
  if (url) await page.goto(url);
  return page;
}

/** A laptop-sized page (screen, stage, crew). */
export async function desk(browser, url, { width = 1280, height = 720, locale = 'en-US' } = {}) {
  const ctx = await browser.newContext({ viewport: { width, height }, locale });
  ctx.setDefaultTimeout(8000);
  const page = await ctx.newPage();
  watch(page);
  if (url) await page.goto(url);
  return page;
}

/**
 * Page errors fail loudly in the test log (uncaught exceptions in our code);
 * page.sent collects the decoded frames the page sent on its WebSockets.
 */
function watch(page) {
  page.errors = [];
  page.sent = [];
  page.on('websocket', (ws) => ws.on('framesent', (f) => {
    try { page.sent.push({ at: Date.now(), msg: decode(f.payload) }); } catch { /* not msgpack */ }
  }));
  page.on('pageerror', (e) => { page.errors.push(e); console.error(`# pageerror ${page.url()}: ${e.stack || e}`); });
}

/** Save a screenshot as tests/artifacts/web-<name>.png. */
export async function shot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `web-${name}.png`) });
}

/** Retry fn until it stops throwing, or rethrow its last error after ms. */
export async function eventually(fn, ms = 5000, every = 50) {
  const deadline = Date.now() + ms;
  for (;;) {
    try { return await fn(); } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(every);
    }
  }
}

/** The visible text of the first element matching selector ('' if none). */
export async function text(page, selector) {
  const el = page.locator(selector).first();
  return (await el.count()) ? (await el.innerText()).replace(/\s+/g, ' ').trim() : '';
}

/** Join on a phone already at /e/CODE: tap Join, then pick or skip a section. */
export async function joinPhone(page, section) {
  await page.getByRole('button', { name: 'Join', exact: true }).click();
  const card = page.locator('#sections');
  await card.waitFor({ timeout: 5000 });
  if (section) await card.getByRole('button', { name: `Section ${section}` }).click();
  else await card.getByRole('button', { name: 'Skip' }).click();
  await page.locator('.pill.live').waitFor({ timeout: 5000 });
}

let nextCallId = 1;
/** A request over a protocol client (integration lib's Client): resolves its
 * ack, which must be ok (the message names the request and the answer). */
export async function call(c, msg, ms = 8000) {
  const id = nextCallId++;
  c.send({ ...msg, id });
  const a = await c.ack(id, ms);
  if (a.ok !== true) throw new Error(`${msg.t}: ${JSON.stringify(a)}`);
  return a;
}

export function cleanup(dir) { try { rmSync(dir, { recursive: true, force: true }); } catch { /* fine */ } }

/**
 * A TCP proxy in front of the hub that can go silent the way a venue's Wi-Fi
 * does: cut({up, down}) stops forwarding in one or both directions without
 * closing anything (no FIN, no RST: the page sees nothing but silence);
 * heal() resets the cut connections (the network came back; the page's
 * socket was dead) and forwards new ones again. Returns {port, base, cut,
 * heal, close, target}. target (the hub's port) may be set later: start the
 * proxy first and pass `--public-url proxy.base` to the hub, so the hub lets
 * pages from the proxy's origin connect.
 */
export async function silentProxy(target) {
  const { createServer: tcp, connect } = await import('node:net');
  const pairs = new Set();
  let cutting = null;
  const server = tcp((client) => {
    const hub = connect(proxy.target, '127.0.0.1');
    const pair = { client, hub };
    pairs.add(pair);
    // The page's Origin is the proxy's; a reverse proxy in front of a hub
    // presents the hub's own (its origin check is not what is tested here).
    client.on('data', (d) => {
      if (pair.cut?.up) return;
      if (!pair.started) {
        pair.started = true;
        d = Buffer.from(d.toString('latin1').replace(/^(Origin: https?:\/\/127\.0\.0\.1:)\d+/im, `$1${proxy.target}`), 'latin1');
      }
      hub.write(d);
    });
    hub.on('data', (d) => { if (!(pair.cut?.down)) client.write(d); });
    const end = () => { pairs.delete(pair); client.destroy(); hub.destroy(); };
    client.on('close', end); hub.on('close', end);
    client.on('error', end); hub.on('error', end);
    if (cutting) pair.cut = cutting;
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  const proxy = {
    target,
    port,
    base: `http://127.0.0.1:${port}`,
    cut({ up = true, down = true } = {}) { cutting = { up, down }; for (const p of pairs) p.cut = cutting; },
    heal() {
      cutting = null;
      for (const p of [...pairs]) if (p.cut) { p.client.resetAndDestroy?.() ?? p.client.destroy(); p.hub.destroy(); pairs.delete(p); }
    },
    close() { for (const p of pairs) { p.client.destroy(); p.hub.destroy(); } return new Promise((r) => server.close(r)); },
  };
  return proxy;
}
