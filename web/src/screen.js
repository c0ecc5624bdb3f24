// screen.js -- the venue screen (/screen?key=…): nothing to click.
//
// Drawn on a fixed design canvas scaled to the window, so it reads the same
// on a 720p projector and a 4K LED wall. The canvas follows the window's
// shape: 1920x1080 for 16:9 (wider windows are letterboxed), 1080 high and
// down to 1440 wide for 4:3 ("narrow"), and 1080 wide and at least 1440 high
// when the window stands upright ("portrait"). Shows the join QR code and
// event code, the song now playing, the open poll (or the last result) as
// animated bars, reaction bursts whose density follows the live rate, an
// energy meter, the top chants and the audience.
//
// Every poll option stays on screen: the poll is fitted to the room it has
// (1, 2 or 3 columns, the largest type that fits, labels wrapped rather than
// cut), again whenever that room changes. A poll whose results are hidden
// (reveal on_close/manual) shows its options and how many votes came in,
// never bars or percentages, until the hub sends the counts.
//
// What it shows comes from the hub's state, not from what this page
// happened to see: the welcome's open poll, else its last closed poll, and
// its now_playing; a reloaded screen shows what a screen that stayed on
// shows. Reconnects by itself (conn.js); while away it keeps the last picture
// and shows a small, calm "reconnecting" pill. When the hub says its figures
// lack part of the event (a cluster of hubs, one silent), a small note in the
// bottom corner says so.
import './css/base.css';
import './css/screen.css';
import { joinUrl } from './lib/conn.js';
import { h, fill, setText } from './lib/dom.js';
import { t, num, onLang, applyDom } from './lib/i18n.js';
import { keyConn, Tween, kiosk } from './lib/keypage.js';
import { icon, iconSvg } from './lib/icons.js';
import { qrSvg } from './lib/qr.js';

const S = {
  ev: null, poll: null, counts: [], voters: 0, hidden: false,
  react: {}, prevReact: null, rate: {}, energy: 0, chants: [], audience: 0,
  nowPlaying: null, flash: null, sawChants: false, chantMode: 'auto',
  chosen: null, // the song now playing was the crowd's choice: {poll, question, option, label, votes, voters}
};

document.body.className = 'screen';
const root = h('div.s-root');
const canvas = h('canvas.fx', { width: 1920, height: 1080, 'aria-hidden': 'true' });
const pill = h('div.pill.s-pill', { role: 'status' });
const audN = h('b.s-audn', null, '0');
const audTween = new Tween(audN, num);
const qrBox = h('div.s-qr');
const codeEl = h('div.s-code');
const urlEl = h('div.s-url');
const pollBox = h('section.s-poll', { 'aria-live': 'off' });
const eNum = h('b.s-enum', null, '0');
const eFill = h('i');
const chantsBox = h('ol.s-chants');
const totalsBox = h('div.s-totrow');
const markerEl = h('div.s-marker', { hidden: true, role: 'status' });
// A cluster of hubs lacks part of the event (snap.partial): a small, calm
// note in the corner under the chants, over nothing.
const partialEl = h('div.s-partial', { hidden: true, role: 'status', 'data-t': 'live.partial' }, t('live.partial'));

root.append(
  canvas,
  h('header.s-head', null,
    h('div.s-brand', null, h('span.logo.s-logo', { 'aria-hidden': 'true' }, h('i'), h('i'), h('i')), h('h1.s-evname', { id: 'evname' }, 'Chorus')),
    markerEl,
    pill,
    h('div.s-aud', null, audN, h('span', { 'data-t': 'live.audience' }, t('live.audience')))),
  h('div.s-body', null,
    h('div.s-left', null, pollBox, h('div.s-totals', { role: 'group', 'aria-label': t('live.reactions') }, totalsBox)),
    h('aside.s-right', null,
      h('div.s-joincard', null,
        h('div.s-scan', { 'data-t': 'screen.scan' }, t('screen.scan')),
        qrBox,
        h('div.s-codelabel', { 'data-t': 'screen.code' }, t('screen.code')),
        codeEl, urlEl))),
  h('footer.s-foot', null,
    h('div.s-chantwrap', null, h('h2.s-flabel', { 'data-t': 'live.chants' }, t('live.chants')), chantsBox),
    h('div.s-energy', null,
      h('div.s-elabel', null, h('span', { 'data-t': 'live.energy' }, t('live.energy')), eNum),
      h('div.s-etrack', null, eFill))),
  partialEl,
);
document.body.append(root);

// ---------------------------------------------------------------- canvas
let W = 1920, H = 1080;
function fitCanvas() {
  const iw = innerWidth || 1920, ih = innerHeight || 1080;
  const a = iw / ih;
  let layout;
  if (a >= 1.3) {
    H = 1080; W = Math.round(Math.min(1920, Math.max(1440, 1080 * a)));
    layout = W < 1700 ? 'narrow' : 'wide';
  } else {
    W = 1080; H = Math.round(Math.max(1440, 1080 / a));
    layout = 'portrait';
  }
  root.style.setProperty('--W', `${W}px`);
  root.style.setProperty('--H', `${H}px`);
  root.style.setProperty('--s', String(Math.min(iw / W, ih / H)));
  root.classList.remove('wide', 'narrow', 'portrait');
  root.classList.add(layout);
  if (canvas.width !== W || canvas.height !== H) { canvas.width = W; canvas.height = H; drawn = true; }
}
addEventListener('resize', () => { fitCanvas(); fitMarker(); fitPoll(); fitChosen(); });

const conn = keyConn('screen', {
  root,
  onMessage(m) {
    if (m.t === 'welcome') onWelcome(m);
    else if (m.t === 'snap') onSnap(m);
    else if (m.t === 'poll') onPoll(m.poll);
    else if (m.t === 'marker') onMarker(m.marker, m.chosen);
    else if (m.t === 'markers') onMarkers(m);
  },
  onState: renderPill,
});

function onWelcome(m) {
  S.ev = m.event || {};
  setText(document.getElementById('evname'), S.ev.name || S.ev.code || 'Chorus');
  document.title = `${S.ev.name || 'Chorus'} · Screen`;
  const url = joinUrl(S.ev);
  qrBox.innerHTML = qrSvg(url, { label: t('screen.scan') });
  setText(codeEl, S.ev.code || '');
  setText(urlEl, url.replace(/^https?:\/\//, ''));
  S.prevReact = null; // no burst for what happened while we were away
  // The hub's state, not what this page saw: the open poll, else the last
  // result; the song now playing; a marker set in the last 10 s still shows.
  S.nowPlaying = m.now_playing || null;
  S.chosen = m.chosen || null;
  S.flash = null;
  clearTimeout(flashTimer);
  const last = Array.isArray(m.markers) && m.markers.length ? m.markers[m.markers.length - 1] : null;
  const age = last && m.now ? m.now - last.ts : Infinity;
  if (last && last.kind !== 'song_start' && age >= 0 && age < FLASH_MS) flash(last, FLASH_MS - age);
  renderMarker();
  const p = m.poll || m.last_poll || null;
  pollKey = '';
  if (p) takePoll(p); else S.poll = null;
  renderPoll();
  buildTotals();
}

function onPoll(p) {
  if (!p) return;
  takePoll(p);
  renderPoll();
}

/** Adopt a poll object (welcome, last_poll or a `poll` message). */
function takePoll(p) {
  if (!S.poll || S.poll.id !== p.id) { S.counts = p.options.map(() => 0); S.voters = 0; }
  S.poll = p;
  S.hidden = !!p.hidden && !p.counts;
  if (p.counts) S.counts = p.counts;
  if (typeof p.voters === 'number') S.voters = p.voters;
}

function onSnap(m) {
  setPoll(m.poll);
  if (partialEl.hidden === !!m.partial) partialEl.hidden = !m.partial;
  S.audience = m.audience || 0;
  audTween.set(S.audience);
  S.energy = m.energy || 0;
  setText(eNum, S.energy);
  eFill.style.transform = `scaleX(${S.energy / 100})`;
  root.style.setProperty('--energy', String(S.energy / 100));
  S.rate = m.rate || {};
  const react = m.react || {};
  if (S.prevReact) for (const k of Object.keys(react)) spawn(k, (react[k] || 0) - (S.prevReact[k] || 0), S.rate[k] || 0);
  S.prevReact = react;
  S.react = react;
  renderTotals();
  S.chants = Array.isArray(m.chants) ? m.chants : [];
  if (S.chants.length) S.sawChants = true;
  S.chantMode = m.chant_mode || S.chantMode;
  renderChants();
}

function renderChants() {
  const chants = S.chants;
  // Nothing to show: say something true. A screen that saw chants knows
  // they went quiet in the last 30 s; a fresh or reloaded one can not tell
  // "never" from "not lately", so it says neither.
  const none = S.chantMode === 'off' ? t('screen.chants.off') : S.sawChants ? t('screen.chants.quiet.recent') : t('screen.chants.quiet');
  const key = JSON.stringify(chants) + (chants.length ? '' : none);
  if (key === S.chantsKey) return;
  S.chantsKey = key;
  fill(chantsBox, chants.length
    ? chants.slice(0, 5).map(([text, n], i) => h('li', { class: i === 0 ? 'top' : '' }, h('span.s-ctext', null, text), h('span.s-cn', null, `×${num(n)}`)))
    : h('li.none', null, none));
}

function setPoll(sp) {
  if (!sp || !S.poll || sp.id !== S.poll.id) return;
  const hidden = !!sp.hidden && !sp.counts;
  if (sp.counts) S.counts = sp.counts;
  S.voters = sp.voters || 0;
  if (hidden !== S.hidden) { S.hidden = hidden; renderPoll(); } else renderPollFigures();
}

// ---------------------------------------------------------------- poll
let pollKey = '';
let rows = [];
let rowsEl = null;
let votersEl = null;
let votersTween = null;
function renderPoll() {
  const p = S.poll;
  const played = p && !p.open && p.played && p.options[p.played.option] !== undefined ? p.played.option : null;
  const key = p ? `${p.id}:${p.open}:${S.hidden}:${played ?? ''}` : 'none';
  if (key !== pollKey) {
    pollKey = key;
    pollBox.classList.remove('closed', 'hidden-results', 'chosen');
    chosenEl = null;
    if (played !== null) { renderChosen(p, played); return; }
    if (!p) {
      rows = [];
      rowsEl = null;
      root.classList.remove('dense');
      fill(pollBox, h('div.s-idle', null,
        h('div.s-idle-icons', { html: (S.ev?.reactions || []).map((k) => iconSvg(k, 120)).join('') }),
        h('h2.s-idle-title', { 'data-t': 'screen.nopoll' }, t('screen.nopoll')),
        h('p.s-idle-hint', { 'data-t': 'screen.nopoll.hint' }, t('screen.nopoll.hint'))));
      return;
    }
    const hidden = S.hidden;
    const final = !p.open && !hidden;
    // The winner of a final result (several on a tie), known when the poll closed.
    const max = Math.max(0, ...S.counts);
    const winners = final && max > 0 ? S.counts.flatMap((n, i) => (n === max ? [i] : [])) : [];
    const badge = winners.length > 1 ? t('screen.tie') : t('screen.winner');
    votersEl = h('span.s-voters');
    votersTween = new Tween(votersEl, votersText);
    rows = p.options.map((label, i) => {
      const win = winners.includes(i);
      const r = { fill: h('i.s-fill'), pct: h('span.s-pct', null, '0%'), n: h('b.s-n', null, '0'), star: h('span.s-star', { 'aria-hidden': 'true' }, '★') };
      r.tw = new Tween(r.n, num);
      r.el = h('li.s-row', { class: win ? 'win' : '' },
        h('span.s-label', null, label, win ? h('span.s-win', null, badge) : null),
        hidden ? null : h('div.s-track', null, r.fill),
        hidden ? null : h('span.s-fig', null, r.star, r.n, r.pct));
      return r;
    });
    pollBox.classList.toggle('closed', !p.open);
    pollBox.classList.toggle('hidden-results', hidden);
    const tag = p.open ? t('poll.title') : hidden ? t('screen.closed.hidden') : t('screen.closed');
    rowsEl = h('ol.s-rows', null, rows.map((r) => r.el));
    rowsEl.style.setProperty('--n', String(rows.length));
    const top = h('div.s-polltop', null,
      h('span.s-tag', { class: p.open ? 'open' : 'closed' }, p.open ? h('span.s-dot') : null, tag),
      votersEl);
    fill(pollBox, top, h('h2.s-question', null, p.question), rowsEl);
    watchTop(top);
    renderPollFigures();
    fitPoll();
    return;
  }
  renderPollFigures();
}

// The crew played the closed poll: THE CROWD CHOSE / the option / its votes
// out of all (and the share), as large as the room allows.
let chosenEl = null;
function renderChosen(p, option) {
  rows = [];
  rowsEl = null;
  votersTween = null;
  root.classList.remove('dense');
  pollBox.classList.add('closed', 'chosen');
  pollBox.style.removeProperty('--fs');
  delete pollBox.dataset.fit;
  const fig = h('div.s-cfig');
  // Nobody voted (the crew picked it): "Up next", not "the crowd chose".
  const none = !S.voters && !S.counts.some((n) => n > 0);
  chosenEl = h('div.s-chosen', null,
    h('p.s-cq', null, p.question),
    h('div.s-ckick', null, h('span.s-cstar', { 'aria-hidden': 'true' }, '★'), h('span', null, t(none ? 'screen.upnext' : 'screen.chosen'))),
    h('h2.s-clabel', null, p.options[option]),
    fig);
  fill(pollBox, chosenEl);
  renderChosenFigures();
  fitChosen();
}
function renderChosenFigures() {
  const p = S.poll;
  const fig = chosenEl?.querySelector('.s-cfig');
  if (!fig || !p?.played) return;
  const votes = S.counts[p.played.option] || 0;
  const total = S.voters || S.counts.reduce((a, b) => a + b, 0);
  fig.hidden = !total;
  setText(fig, total === 1 && votes === 1 ? t('screen.chosen.votes.one')
    : t('screen.chosen.votes', { n: num(votes), total: num(total), pct: total ? Math.round((100 * votes) / total) : 0 }));
}
// The label's type: the largest (design px) at which the panel fits its box.
function fitChosen() {
  if (!chosenEl || !chosenEl.isConnected) return;
  const label = chosenEl.querySelector('.s-clabel');
  const fits = () => pollBox.scrollHeight <= pollBox.clientHeight + 1 && pollBox.scrollWidth <= pollBox.clientWidth + 1
    && label.scrollWidth <= label.clientWidth + 1;
  let lo = 28, hi = 220;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    chosenEl.style.setProperty('--cf', `${mid}px`);
    if (fits()) lo = mid; else hi = mid - 1;
  }
  chosenEl.style.setProperty('--cf', `${lo}px`);
  chosenEl.dataset.fit = String(lo);
}

function votersText(n) {
  const p = S.poll;
  if (!p) return '';
  const one = n === 1;
  if (S.hidden) {
    if (p.open) return one ? t('screen.hidden.open.one') : t('screen.hidden.open', { n: num(n) });
    return one ? t('screen.hidden.closed.one') : t('screen.hidden.closed', { n: num(n) });
  }
  return one ? t('screen.voters.one') : t('screen.voters', { n: num(n) });
}

function renderPollFigures() {
  if (chosenEl) { renderChosenFigures(); return; }
  if (!S.poll || !rows.length) return;
  const total = S.counts.reduce((a, b) => a + b, 0);
  const max = Math.max(0, ...S.counts);
  votersTween?.set(S.voters || total);
  if (S.hidden) return;
  rows.forEach((r, i) => {
    const n = S.counts[i] || 0;
    r.tw.set(n);
    setText(r.pct, total ? `${Math.round((100 * n) / total)}%` : '0%');
    r.fill.style.transform = `scaleX(${total ? n / total : 0})`;
    r.el.classList.toggle('lead', total > 0 && n === max);
  });
}

// Fit the poll to its room: for 1..3 columns, the largest label size (px on
// the design canvas) at which the question and every option fit without
// clipping; more columns only when they buy clearly (20%) larger type. When even
// that is small, the reaction totals make way. Depends only on the texts and
// the room (figures sit beside the bars in fixed-height rows), so live
// counts never re-flow it.
const FS_MAX = 60, FS_MIN = 16;
function fitPoll() {
  if (!rowsEl || !rowsEl.isConnected) return;
  const n = rows.length;
  const overflows = () => pollBox.scrollHeight > pollBox.clientHeight + 1 || pollBox.scrollWidth > pollBox.clientWidth + 1;
  const apply = (cols, fs) => {
    pollBox.style.setProperty('--fs', `${fs}px`);
    rowsEl.style.setProperty('--cols', String(cols));
    rowsEl.style.setProperty('--rows', String(Math.ceil(n / cols)));
  };
  const largest = (cols) => {
    apply(cols, FS_MIN);
    if (overflows()) return 0;
    let lo = FS_MIN, hi = FS_MAX;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      apply(cols, mid);
      if (overflows()) hi = mid - 1; else lo = mid;
    }
    return lo;
  };
  const width = pollBox.clientWidth;
  const maxCols = Math.max(1, Math.min(n <= 3 ? 1 : n <= 8 ? 2 : 3, Math.floor((width + 40) / 260)));
  let best = null;
  for (const dense of [false, true]) {
    root.classList.toggle('dense', dense);
    for (let cols = 1; cols <= maxCols; cols++) {
      const fs = largest(cols);
      if (fs && (!best || fs > best.fs * 1.2)) best = { cols, fs, dense };
    }
    if (best && best.fs >= 28) break;
  }
  best ||= { cols: maxCols, fs: FS_MIN, dense: true }; // nothing fits: the smallest, most compact
  root.classList.toggle('dense', best.dense);
  apply(best.cols, best.fs);
  pollBox.dataset.fit = `${best.cols}x${best.fs}${best.dense ? 'd' : ''}`;
}
// Refit when the poll's room changes (window, header with the song, the
// voters line wrapping); the fit itself ends in the same state, so it does
// not call itself again.
let fitRaf = 0;
const refit = () => { cancelAnimationFrame(fitRaf); fitRaf = requestAnimationFrame(() => { fitMarker(); fitPoll(); fitChosen(); }); };
const ro = typeof ResizeObserver === 'function' ? new ResizeObserver(refit) : null;
ro?.observe(pollBox);
ro?.observe(markerEl);
let watchedTop = null;
function watchTop(el) {
  if (watchedTop) ro?.unobserve(watchedTop);
  watchedTop = el;
  ro?.observe(el);
}
document.fonts?.ready?.then(refit);

// ---------------------------------------------------------------- reactions
let totalsKey = '';
const totals = {};
function buildTotals() {
  const kinds = S.ev?.reactions || [];
  if (kinds.join() === totalsKey) return;
  totalsKey = kinds.join();
  fill(totalsBox, kinds.map((k) => {
    const n = h('b', null, '0');
    totals[k] = new Tween(n, num);
    const name = t(`react.${k}`) === `react.${k}` ? k : t(`react.${k}`);
    return h('div.s-tot', { title: name }, h('span', { html: iconSvg(k, 44) }), h('span.s-totn', null, n, h('small', null, name)));
  }));
  renderTotals();
}
function renderTotals() {
  for (const [k, tw] of Object.entries(totals)) tw.set(S.react[k] || 0);
}

// Particles: each new tap (delta between snaps) becomes a glyph rising from
// the bottom; a fast rate makes them bigger and quicker. Capped for old GPUs.
const ctx = canvas.getContext('2d');
const paths = {};
const parts = [];
const queue = [];
const MAX_PARTS = 260;
let drawn = false;
function spawn(kind, delta, rate) {
  if (delta <= 0) return;
  const n = Math.min(delta, 40);
  for (let i = 0; i < n; i++) queue.push({ kind, rate, at: performance.now() + Math.random() * 100 });
}
function frame(now) {
  requestAnimationFrame(frame);
  while (queue.length && queue[0].at <= now && parts.length < MAX_PARTS) {
    const q = queue.shift();
    const ic = icon(q.kind);
    paths[q.kind] ||= new Path2D(ic.d);
    const boost = Math.min(1, q.rate / 60);
    parts.push({
      p: paths[q.kind], c: ic.c, x: 80 + Math.random() * (W * 0.56), y: H + 20,
      vx: (Math.random() - 0.5) * 60, vy: -(260 + Math.random() * 240 + boost * 380) * (H / 1080),
      s: 1.6 + Math.random() * 1.2 + boost * 2.2, r: (Math.random() - 0.5) * 0.8, born: now, life: 2600 + Math.random() * 1200,
    });
  }
  if (queue.length > 400) queue.splice(0, queue.length - 400);
  if (!parts.length && !drawn) return; // idle: leave the cleared canvas alone
  drawn = parts.length > 0;
  ctx.clearRect(0, 0, W, H);
  for (let i = parts.length - 1; i >= 0; i--) {
    const q = parts[i];
    const age = now - q.born;
    if (age > q.life) { parts.splice(i, 1); continue; }
    const k = age / 1000;
    const x = q.x + q.vx * k + Math.sin(k * 3 + q.r * 10) * 24;
    const y = q.y + q.vy * k + 60 * k * k;
    ctx.globalAlpha = Math.max(0, Math.min(1, 2 * (1 - age / q.life)));
    ctx.setTransform(q.s, 0, 0, q.s, x, y);
    ctx.rotate(q.r * k);
    ctx.translate(-12, -12);
    ctx.fillStyle = q.c;
    ctx.fill(q.p, 'evenodd');
  }
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.globalAlpha = 1;
}
requestAnimationFrame(frame);

// ---------------------------------------------------------------- markers
// "Now playing" is state (the hub's now_playing: set by song_start, cleared
// by song_end) and stays up; a note or a song's end shows for 10 s, then the
// song now playing (if any) comes back.
const FLASH_MS = 10000;
let flashTimer = 0;
function onMarker(mk, chosen) {
  if (!mk || !mk.label) return;
  S.chosen = chosen || null;
  if (mk.kind === 'song_start') { S.nowPlaying = mk.label; S.flash = null; clearTimeout(flashTimer); }
  else {
    if (mk.kind === 'song_end') S.nowPlaying = null;
    flash(mk, FLASH_MS);
  }
  renderMarker();
}
// The crew corrected or deleted a marker: the song now playing is the hub's
// again, and a flashed marker that is gone (or changed) stops showing.
function onMarkers(m) {
  S.nowPlaying = m.now_playing || null;
  S.chosen = m.chosen || null;
  if (S.flash && !(m.markers || []).some((x) => x.ts === S.flash.ts && x.label === S.flash.label && x.kind === S.flash.kind)) {
    S.flash = null;
    clearTimeout(flashTimer);
  }
  renderMarker();
}
function flash(mk, ms) {
  S.flash = mk;
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => { S.flash = null; renderMarker(); }, ms);
}
let markerKey = '';
function renderMarker() {
  const mk = S.flash || (S.nowPlaying ? { kind: 'song_start', label: S.nowPlaying, chosen: S.chosen } : null);
  const key = mk ? `${mk.kind}:${mk.label}:${mk.chosen ? mk.chosen.votes : ''}:${document.documentElement.lang}` : '';
  if (key === markerKey) return;
  markerKey = key;
  if (!mk) { markerEl.hidden = true; fill(markerEl); return; }
  const head = t(`screen.marker.${mk.kind}`);
  markerEl.className = `s-marker ${mk.kind}${mk.chosen ? ' chosen' : ''}`;
  // "Chosen by the crowd · 8,215 votes": the song now playing was the crowd's choice.
  const chosen = mk.chosen ? h('span.s-mchosen', null, mk.chosen.votes === 1 ? t('chosen.now.one') : t('chosen.now', { n: num(mk.chosen.votes || 0) })) : null;
  fill(markerEl, h(`div.s-mbox${chosen ? '.chosen' : ''}`, null, head ? h('span.s-mhead', null, head) : null, h('span.s-mlabel', null, mk.label), chosen));
  markerEl.hidden = false;
  fitMarker();
}
// The song's name in full: up to two lines, the type shrinking to fit.
function fitMarker() {
  const label = markerEl.querySelector('.s-mlabel');
  if (!label || markerEl.hidden) return;
  for (let fs = 44; fs >= 24; fs -= 2) {
    label.style.fontSize = `${fs}px`;
    if (label.scrollHeight <= fs * 1.1 * 2 + 2 && label.scrollWidth <= label.clientWidth + 1) break;
  }
}

function renderPill(state) {
  const st = state || conn?.state;
  pill.className = `pill s-pill ${st}`;
  pill.hidden = st === 'live';
  setText(pill, st === 'reconnecting' || st === 'stale' ? t('conn.reconnecting') : st === 'connecting' ? t('conn.connecting') : '');
}

onLang(() => {
  pollKey = ''; totalsKey = ''; markerKey = ''; S.chantsKey = '';
  renderPoll(); buildTotals(); renderPill(); renderMarker(); renderChants();
});
fitCanvas();
applyDom();
kiosk();
renderPoll();
renderChants();
