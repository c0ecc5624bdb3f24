// conn.js -- one WebSocket to the hub speaking chorus.v1 (binary msgpack maps).
//
// States: "connecting" (socket or hello under way), "live" (welcome received,
// and the hub heard from recently), "stale" (live, but the hub has been silent
// for longer than its own cadence allows: the page must not say LIVE, and
// sends wait as if offline), "reconnecting" (waiting out a backoff), "refused" (the hub rejected our
// hello: bad_key, unknown_event...; we stop until the page says otherwise),
// "replaced" (close 4000: the same device connected elsewhere; we stop so two
// tabs don't fight), "banned" (close 4003, or `error banned` to our hello: the
// crew banned this device; retrying would only be refused again), "stopped".
//
// Reconnects use exponential backoff with full jitter: the n-th retry waits a
// random time in [250 ms, 250 ms + min(30 s, 1 s * 2^n)], so thousands of
// phones dropped by one hub restart spread their returns instead of arriving
// in lockstep. The attempt counter resets only after 10 s of a healthy
// connection, so a hub that accepts and drops at once is not hammered.
//
// A silent network cut (no close frame) is found by liveness. The hub talks
// at a known cadence (phones: a snapshot every 1/--audience-hz s, 1 s by
// default; the other roles 10/s), so every message counts and the expected
// gap is learnt from the last ones: after max(1.5 s, 2 gaps) of silence we
// ping (the hub answers at once), after max(3 s, 3 gaps) the page stops
// saying LIVE ("stale", within 3-4 s of the cut), after max(10 s, 6 gaps) we
// drop the socket and reconnect. A message in between makes it live again.
import { Encoder, Decoder } from '@msgpack/msgpack';

const enc = new Encoder({ ignoreUndefined: true });
const dec = new Decoder();
const BASE_MS = 1000, CAP_MS = 30000, FLOOR_MS = 250, HEALTHY_MS = 10000;
const PING_AFTER_MS = 1500, STALE_AFTER_MS = 3000, DEAD_AFTER_MS = 10000, ACK_TIMEOUT_MS = 15000;
const WATCH_MS = 500;
const STOP_CODES = new Set(['bad_key', 'unknown_event', 'bad_field']);
// Close codes of docs/protocol.md (named in hub/core/wire.h).
const CLOSE_REPLACED = 4000, CLOSE_BANNED = 4003;

export class Conn {
  /**
   * opts.hello(): the hello map to send (called at each connect, so it can
   * read the latest token); opts.onMessage(msg); opts.onState(state, info).
   */
  constructor(opts) {
    this.opts = opts;
    this.state = 'stopped';
    this.ws = null;
    this.attempt = 0;
    this.nextId = 1;
    this.pending = new Map(); // id -> {resolve, timer}
    this.timer = null;
    this.liveSince = 0;
    this.lastRx = 0;
    this.welcome = null;
    this.warm = null;     // a socket opened by preconnect(), not yet used
    this.clockOffset = 0; // server now - Date.now()
    this.gap = 1000;      // the hub's usual silence between messages (learnt)
    this.pinged = 0;
    setInterval(() => this.#watch(), WATCH_MS);
    addEventListener('online', () => { if (this.state === 'reconnecting') this.#schedule(200 + Math.random() * 1500); });
    // The phone knows it lost the network: not LIVE from this moment.
    addEventListener('offline', () => { if (this.state === 'live') { this.#set('stale'); this.#failPending(); } });
  }

  /** Connect (again) now, resetting the backoff. */
  start() {
    this.attempt = 0;
    this.#open();
  }

  /**
   * Open the socket ahead of start() without saying hello (no device is
   * created): on a slow link the handshake's round trips then happen while
   * the person reads the join screen. Dropped unused after 8 s, before the
   * hub's 10 s hello deadline.
   */
  preconnect() {
    if (this.ws || this.warm || this.state !== 'stopped') return;
    let ws = globalThis.__chorusWarm; // opened by the page's html, before this bundle arrived
    let age = Date.now() - (globalThis.__chorusWarmAt || Date.now());
    globalThis.__chorusWarm = null;
    if (!ws || ws.readyState > WebSocket.OPEN || age > 7000) {
      try { ws = new WebSocket(this.#url(), 'chorus.v1'); } catch { return; }
      age = 0;
    }
    ws.binaryType = 'arraybuffer';
    this.warm = ws;
    ws.onclose = () => { if (this.warm === ws) this.warm = null; };
    setTimeout(() => {
      if (this.warm !== ws) return;
      this.warm = null;
      ws.onclose = null;
      try { ws.close(1000); } catch { /* closing */ }
    }, 8000 - age);
  }

  /** Close and stay closed. */
  stop() {
    clearTimeout(this.timer);
    this.#drop();
    this.#set('stopped');
  }

  /** Close and reconnect at once (used after a section or key change). */
  restart() {
    this.#drop();
    this.start();
  }

  /** Server time now (ms since the epoch), from the last welcome/snap clock. */
  now() { return Date.now() + this.clockOffset; }

  get live() { return this.state === 'live'; }

  /** Send msg if live; returns false (and sends nothing) otherwise. */
  send(msg) {
    if (!this.live) return false;
    this.ws.send(enc.encode(msg));
    return true;
  }

  /**
   * Send msg with a fresh id; resolves with the ack map, or with
   * {ok:false, code:"offline"|"timeout"} if the socket drops or no ack comes.
   */
  request(msg) {
    const id = this.nextId++;
    if (!this.send({ ...msg, id })) return Promise.resolve({ ok: false, code: 'offline' });
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.pending.delete(id); resolve({ ok: false, code: 'timeout' }); }, ACK_TIMEOUT_MS);
      this.pending.set(id, { resolve, timer });
    });
  }

  #set(state, info) {
    const old = this.state;
    this.state = state;
    if (old !== state || info) this.opts.onState?.(state, info);
  }

  #url() {
    const u = new URL('/ws', location.href);
    u.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return u.href;
  }

  #open() {
    clearTimeout(this.timer);
    this.#drop();
    this.#set(this.attempt ? 'reconnecting' : 'connecting');
    let ws = this.warm;
    this.warm = null;
    if (!ws || ws.readyState > WebSocket.OPEN) {
      try {
        ws = new WebSocket(this.#url(), 'chorus.v1');
      } catch {
        this.#retry();
        return;
      }
      ws.binaryType = 'arraybuffer';
    }
    this.ws = ws;
    this.welcome = null;
    this.lastRx = Date.now();
    const hello = () => {
      this.lastRx = Date.now();
      ws.send(enc.encode(this.opts.hello()));
    };
    if (ws.readyState === WebSocket.OPEN) hello(); else ws.onopen = hello;
    ws.onmessage = (ev) => {
      const now = Date.now();
      // Learn the cadence from snapshots (a slow average, capped so one long
      // quiet spell can not make a dead link look normal).
      if (this.welcome) this.gap = Math.min(10000, 0.8 * this.gap + 0.2 * (now - this.lastRx));
      this.lastRx = now;
      this.pinged = 0;
      if (this.state === 'stale') this.#set('live', { recovered: true });
      if (typeof ev.data === 'string') return;
      let msg;
      try { msg = dec.decode(new Uint8Array(ev.data)); } catch { return; }
      if (!msg || typeof msg.t !== 'string') return;
      this.#handle(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.#failPending();
      if (ev.code === CLOSE_REPLACED) { this.#set('replaced'); return; }
      if (ev.code === CLOSE_BANNED) { this.#set('banned'); return; }
      if (this.state === 'refused' || this.state === 'stopped') return;
      this.#retry(ev.code === 1001);
    };
  }

  #handle(msg) {
    if (typeof msg.now === 'number') this.clockOffset = msg.now - Date.now();
    if (msg.t === 'welcome') {
      this.welcome = msg;
      this.gap = 1000;
      this.liveSince = Date.now();
      this.#set('live');
    } else if (msg.t === 'ack') {
      const p = this.pending.get(msg.id);
      if (p) { this.pending.delete(msg.id); clearTimeout(p.timer); p.resolve(msg); }
      return; // the request() caller handles it
    } else if (msg.t === 'error' && !this.welcome) {
      // The hello was refused. A wrong key or event won't fix itself: stop
      // and let the page ask; anything else (rate_limited...) is retried.
      this.#drop();
      if (msg.code === 'banned') this.#set('banned', msg);
      else if (STOP_CODES.has(msg.code)) this.#set('refused', msg);
      else this.#retry();
      return;
    }
    this.opts.onMessage(msg);
  }

  #retry(hubRestarting) {
    // A hub going down on purpose needs a moment; start a step further out.
    if (hubRestarting && this.attempt < 1) this.attempt = 1;
    const delay = retryDelay(this.attempt);
    this.attempt++;
    this.#set('reconnecting');
    this.#schedule(delay);
  }

  #schedule(ms) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.#open(), ms);
  }

  #drop() {
    const ws = this.ws;
    this.ws = null;
    this.welcome = null;
    this.#failPending();
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      try { ws.close(1000); } catch { /* already closing */ }
    }
  }

  #failPending() {
    for (const [, p] of this.pending) { clearTimeout(p.timer); p.resolve({ ok: false, code: 'offline' }); }
    this.pending.clear();
  }

  #watch() {
    if (this.state === 'live' && Date.now() - this.liveSince > HEALTHY_MS) this.attempt = 0;
    if (!this.ws || this.state === 'refused') return;
    const now = Date.now(), quiet = now - this.lastRx, gap = Math.max(this.gap, 300);
    if (quiet > Math.max(DEAD_AFTER_MS, 6 * gap)) {
      this.#drop();
      this.#retry();
      return;
    }
    if (!this.welcome) return;
    if (quiet > Math.max(STALE_AFTER_MS, 3 * gap) && this.state === 'live') {
      this.#set('stale');
      this.#failPending();  // an ack will not come on this socket; the page keeps what it sent
    }
    if (quiet > Math.max(PING_AFTER_MS, 2 * gap) && now - this.pinged > PING_AFTER_MS) {
      this.pinged = now;
      try { this.ws.send(enc.encode({ t: 'ping', c: now % 1e9 })); } catch { /* closing */ }
    }
  }
}

/**
 * How long to wait before reconnect attempt n (0-based): full jitter over an
 * exponentially growing window, 250 ms + random() * min(30 s, 1 s * 2^n).
 */
export function retryDelay(n, random = Math.random) {
  return FLOOR_MS + random() * Math.min(CAP_MS, BASE_MS * 2 ** n);
}

/** The event code this page should use: /e/<code>, ?event=, or remembered. */
export function eventCode() {
  const m = location.pathname.match(/^\/e\/([^/?#]+)/);
  if (m) return decodeURIComponent(m[1]);
  const q = new URLSearchParams(location.search);
  const c = q.get('event') || q.get('e');
  if (c) return c;
  try { return localStorage.getItem('chorus.event') || undefined; } catch { return undefined; }
}

/** Remember the event code that worked. */
export function rememberEvent(code) {
  try { if (code) localStorage.setItem('chorus.event', code); } catch { /* fine */ }
}

/** The URL phones should open: the hub's join_url, else this origin's /e/<code>. */
export function joinUrl(ev) {
  return ev?.join_url || `${location.origin}/e/${encodeURIComponent(ev?.code || '')}`;
}
