// measure.mjs -- what a phone on a slow venue link pays (not part of the suite).
//
//   node tests/web/measure.mjs [runs=5]
//
// Starts the hub with a temp db, opens a poll as crew (a plain WebSocket),
// then for each run opens a fresh phone (new context: empty cache and
// storage) with the network throttled through CDP to 400 kbit/s each way and
// 400 ms round trip, and measures:
//  - bytes: the gzipped bytes of everything the page loads over HTTP (bodies
//    as sent, and on the wire with headers);
//  - ready: navigation start -> the Join button can be tapped;
//  - vote: navigation start -> the poll's buttons can be tapped (Join tapped
//    at once when it appears);
//  - counted: navigation start -> "Counted" shown (vote acked by the hub).
// Prints every run and the medians.
import WebSocket from 'ws';
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

const median = (a) => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

const hub = await startHub();
const crew = await openPoll(hub.port);
const browser = await launch();
const rows = [];
try {
  for (let i = 0; i < runs; i++) {
    const ctx = await browser.newContext({ viewport: { width: 360, height: 640 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    const page = await ctx.newPage();
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false, latency: RTT, downloadThroughput: (KBIT * 1000) / 8, uploadThroughput: (KBIT * 1000) / 8,
    });
    let wire = 0;
    const bodies = [];
    cdp.on('Network.loadingFinished', (e) => { wire += e.encodedDataLength; });
    page.on('response', async (r) => {
      if (!r.url().startsWith('http')) return;
      const h = await r.allHeaders();
      bodies.push({ url: r.url().replace(hub.base, ''), enc: h['content-encoding'] || '', len: Number(h['content-length'] || 0) });
    });
    const t0 = Date.now();
    await page.goto(`${hub.base}/e/${CODE}`, { waitUntil: 'commit' });
    const join = page.getByRole('button', { name: 'Join', exact: true });
    await join.waitFor({ timeout: 60000 });
    const ready = Date.now() - t0;
    await join.click();
    const opt = page.getByRole('button', { name: /^Neon Skies/ });
    await opt.waitFor({ timeout: 60000 });
    const vote = Date.now() - t0;
    await opt.click();
    await page.getByText(/is counted\./).waitFor({ timeout: 60000 });
    const counted = Date.now() - t0;
    await page.waitForTimeout(300);
    const body = bodies.reduce((a, b) => a + b.len, 0);
    rows.push({ body, wire, ready, vote, counted });
    console.log(`run ${i + 1}: body ${(body / 1024).toFixed(1)} KB gz (${bodies.map((b) => `${b.url} ${b.len}${b.enc ? ' ' + b.enc : ''}`).join(', ')}), wire ${(wire / 1024).toFixed(1)} KB; join ready ${ready} ms, vote ready ${vote} ms, counted ${counted} ms`);
    await ctx.close();
  }
} finally {
  await browser.close();
  crew.close();
  await hub.stop();
}
const m = (k) => median(rows.map((r) => r[k]));
console.log(`median of ${runs} runs at ${KBIT} kbit/s, ${RTT} ms RTT: phone page ${(m('body') / 1024).toFixed(1)} KB gzipped bodies (${(m('wire') / 1024).toFixed(1)} KB on the wire with headers); Join tappable ${m('ready')} ms; first vote can be cast ${m('vote')} ms; vote counted ${m('counted')} ms`);
