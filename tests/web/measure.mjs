// measure.mjs -- what a phone on a slow venue link pays (not part of the suite).
//
//   node tests/web/measure.mjs [runs=5]
//
// Starts the hub with a temp db, opens a poll as crew (a plain WebSocket),
// then for each run opens a fresh phone (new context: empty cache and
// storage) on a link of 400 kbit/s each way and 400 ms round trip, two ways:
//  - cdp:   Chrome's own throttling (Network.emulateNetworkConditions). It
//           delays HTTP requests but not WebSocket frames, so it is kind to
//           the join and the vote;
//  - proxy: the phone talks to a local TCP proxy in front of the hub that
//           delays every byte by 200 ms each way, serializes each direction
//           at 400 kbit/s, and charges one round trip per new connection
//           (the TCP handshake): the WebSocket pays too.
// For each it measures
//  - bytes: the gzipped bodies of everything the page loads over HTTP;
//  - ready: navigation start -> the Join button can be tapped;
//  - vote: navigation start -> the poll's buttons can be tapped (Join is
//    tapped as soon as it appears);
//  - counted: navigation start -> "… is counted." shown (the hub's ack).
// Prints every run and the medians.
import WebSocket from 'ws';
import { createServer, connect } from 'node:net';
import { encode, decode } from '@msgpack/msgpack';
import { startHub, launch, KEYS, CODE } from './lib.mjs';

const runs = Number(process.argv[2] || 5);
const KBIT = 400, RTT = 400;

async function openPoll(port) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, 'chorus.v1');
  const next = () => new Promise((resolve) => ws.once('message', (d) => resolve(decode(d))));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.send(encode({ t: 'hello', role: 'crew', event: CODE, key: KEYS.crew }));
  for (;;) { const m = await next(); if (m.t === 'welcome') break; if (m.t === 'error') throw new Error(m.msg); }
  ws.send(encode({ t: 'poll.open', id: 1, question: 'Which song next?', options: ['Midnight Run', 'Neon Skies', 'Hometown'] }));
  for (;;) { const m = await next(); if (m.t === 'ack') { if (!m.ok) throw new Error(m.msg); break; } }
  return ws;
}

/** A slow link in front of 127.0.0.1:target; resolves with {port, close}. */
function slowLink(target) {
  const bytesPerMs = (KBIT * 1000) / 8 / 1000;
  const free = { up: 0, down: 0 }; // when each direction's wire is next free
  const pipe = (from, to, dir) => from.on('data', (chunk) => {
    const now = Date.now();
    const start = Math.max(now, free[dir]);
    free[dir] = start + chunk.length / bytesPerMs;
    setTimeout(() => { if (!to.destroyed) to.write(chunk); }, free[dir] - now + RTT / 2);
  });
  const server = createServer((client) => {
    client.setNoDelay(true);
    client.pause();
    setTimeout(() => { // the TCP handshake: one round trip before any byte
      const up = connect(target, '127.0.0.1', () => { up.setNoDelay(true); pipe(client, up, 'up'); pipe(up, client, 'down'); client.resume(); });
      const end = () => { client.destroy(); up.destroy(); };
      up.on('error', end); client.on('error', end); up.on('close', end); client.on('close', end);
    }, RTT);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: server.address().port, close: () => server.close() })));
}

const median = (a) => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

async function once(browser, base, via) {
  const ctx = await browser.newContext({ viewport: { width: 360, height: 640 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  if (via === 'cdp') {
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: RTT, downloadThroughput: (KBIT * 1000) / 8, uploadThroughput: (KBIT * 1000) / 8,
    });
  }
  const bodies = [];
  page.on('response', async (r) => {
    if (!r.url().startsWith('http')) return;
    const h = await r.allHeaders();
    bodies.push({ url: r.url().replace(base, ''), enc: h['content-encoding'] || '', len: Number(h['content-length'] || 0) });
  });
  const t0 = Date.now();
  if (process.env.TRACE) page.on('websocket', (ws) => {
    console.log(`  ws created +${Date.now() - t0}`);
    ws.on('framesent', (f) => console.log(`  sent ${decode(f.payload).t} +${Date.now() - t0}`));
    ws.on('framereceived', (f) => console.log(`  recv ${decode(f.payload).t} +${Date.now() - t0}`));
  });
  await page.goto(`${base}/e/${CODE}`, { waitUntil: 'commit', timeout: 60000 });
  // Checked on every animation frame inside the page, so the figures are not
  // rounded up to Playwright's polling intervals.
  const seen = (fn) => page.waitForFunction(fn, null, { polling: 'raf', timeout: 60000 });
  await seen(() => !!document.querySelector('.joinbtn'));
  const ready = Date.now() - t0;
  await page.locator('.joinbtn').click();
  await seen(() => [...document.querySelectorAll('.opt')].some((b) => b.textContent.includes('Neon Skies') && !b.disabled));
  const vote = Date.now() - t0;
  await page.locator('.opt', { hasText: 'Neon Skies' }).click();
  await seen(() => /is counted\./.test(document.querySelector('.vstatus')?.textContent || ''));
  const counted = Date.now() - t0;
  await page.waitForTimeout(200);
  await ctx.close();
  const body = bodies.reduce((a, b) => a + b.len, 0);
  return { body, ready, vote, counted, files: bodies.map((b) => `${b.url} ${b.len}${b.enc ? ` ${b.enc}` : ''}`).join(', ') };
}

const hub = await startHub();
const crew = await openPoll(hub.port);
const link = await slowLink(hub.port);
const browser = await launch();
const results = { cdp: [], proxy: [] };
try {
  for (let i = 0; i < runs; i++) {
    for (const via of ['cdp', 'proxy']) {
      const base = via === 'cdp' ? hub.base : `http://127.0.0.1:${link.port}`;
      const r = await once(browser, base, via);
      results[via].push(r);
      console.log(`run ${i + 1} ${via}: ${(r.body / 1024).toFixed(1)} KB gz (${r.files}); Join tappable ${r.ready} ms, vote can be cast ${r.vote} ms, counted ${r.counted} ms`);
    }
  }
} finally {
  await browser.close();
  crew.close();
  link.close();
  await hub.stop();
}
for (const via of ['cdp', 'proxy']) {
  const m = (k) => median(results[via].map((r) => r[k]));
  console.log(`median of ${runs} (${via}, ${KBIT} kbit/s, ${RTT} ms RTT): phone page ${(m('body') / 1024).toFixed(1)} KB gzipped; Join tappable ${m('ready')} ms; first vote can be cast ${m('vote')} ms; vote counted ${m('counted')} ms`);
}
