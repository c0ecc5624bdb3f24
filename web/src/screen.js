// screen.js -- the venue screen (/screen?key=…): 16:9, nothing to click.
//
// Designed on a fixed 1920x1080 canvas scaled to the window, so it reads the
// same on a 720p projector and a 4K LED wall. Shows the join QR code and
// event code, the open poll as animated bars, reaction bursts whose density
// follows the live rate, an energy meter, the top chants and the audience.
// Reconnects by itself (conn.js); while away it keeps the last picture and
// shows a small, calm "reconnecting" pill.
import './css/base.css';
import './css/screen.css';
import { joinUrl } from './lib/conn.js';
import { h, fill, setText } from './lib/dom.js';
import { t, num, onLang, applyDom } from './lib/i18n.js';
import { keyConn, fitStage, Tween, kiosk } from './lib/keypage.js';
import { icon, iconSvg } from './lib/icons.js';
import { qrSvg } from './lib/qr.js';

const S = { ev: null, poll: null, counts: [], voters: 0, react: {}, prevReact: null, rate: {}, energy: 0, chants: [], audience: 0 };

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
);
document.body.append(root);
fitStage(root, 1920, 1080);

const conn = keyConn('screen', {
  root,
  onMessage(m) {
    if (m.t === 'welcome') onWelcome(m);
    else if (m.t === 'snap') onSnap(m);
    else if (m.t === 'poll') onPoll(m.poll);
    else if (m.t === 'marker') onMarker(m.marker);
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
  pollKey = '';
  if (m.poll) onPoll(m.poll); else if (S.poll?.open) { S.poll = null; renderPoll(); }
  else renderPoll();
  buildTotals();
}

function onPoll(p) {
  if (!p) return;
  if (!S.poll || S.poll.id !== p.id) { S.counts = p.options.map(() => 0); S.voters = 0; pollKey = ''; }
  S.poll = p;
  if (p.counts) { S.counts = p.counts; S.voters = p.voters || 0; }
  renderPoll();
}

function onSnap(m) {
  setPoll(m.poll);
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
  const chants = Array.isArray(m.chants) ? m.chants : [];
  const key = JSON.stringify(chants);
  if (key !== S.chantsKey) {
    S.chantsKey = key;
    fill(chantsBox, chants.length
      ? chants.slice(0, 5).map(([text, n], i) => h('li', { class: i === 0 ? 'top' : '' }, h('span.s-ctext', null, text), h('span.s-cn', null, `×${num(n)}`)))
      : h('li.none', null, t('chant.none')));
  }
}

function setPoll(sp) {
  if (!sp || !S.poll || sp.id !== S.poll.id) return;
  S.counts = sp.counts || S.counts;
  S.voters = sp.voters || 0;
  renderPollFigures();
}

// ---------------------------------------------------------------- poll
let pollKey = '';
let rows = [];
let votersTween = null;
function renderPoll() {
  const p = S.poll;
  const key = p ? `${p.id}:${p.open}` : 'none';
  if (key !== pollKey) {
    pollKey = key;
    if (!p) {
      rows = [];
      pollBox.classList.remove('closed');
      fill(pollBox, h('div.s-idle', null,
        h('div.s-idle-icons', { html: (S.ev?.reactions || []).map((k) => iconSvg(k, 120)).join('') }),
        h('h2.s-idle-title', { 'data-t': 'screen.nopoll' }, t('screen.nopoll')),
        h('p.s-idle-hint', { 'data-t': 'screen.nopoll.hint' }, t('screen.nopoll.hint'))));
      return;
    }
    const votersEl = h('span.s-voters');
    votersTween = new Tween(votersEl, (n) => t('screen.voters', { n: num(n) }));
    rows = p.options.map((label) => {
      const n = h('b.s-n', null, '0');
      const r = {
        el: null, fill: h('i.s-fill'), pct: h('span.s-pct', null, '0%'), n, tw: new Tween(n, num),
      };
      r.el = h('li.s-row', null,
        h('div.s-rowtop', null, h('span.s-label', null, label, h('span.s-win', null, t('screen.winner'))), h('span.s-fig', null, r.n, r.pct)),
        h('div.s-track', null, r.fill));
      return r;
    });
    pollBox.classList.toggle('closed', !p.open);
    fill(pollBox,
      h('div.s-polltop', null,
        h('span.s-tag', { class: p.open ? 'open' : 'closed' }, p.open ? h('span.s-dot') : null, p.open ? t('poll.title') : t('screen.closed')),
        votersEl),
      h('h2.s-question', { class: p.question.length > 60 ? 'long' : '' }, p.question),
      h('ol.s-rows', { class: `n${Math.min(p.options.length, 12)}` }, rows.map((r) => r.el)));
  }
  renderPollFigures();
}

function renderPollFigures() {
  if (!S.poll || !rows.length) return;
  const total = S.counts.reduce((a, b) => a + b, 0);
  const max = Math.max(0, ...S.counts);
  votersTween?.set(S.voters || total);
  rows.forEach((r, i) => {
    const n = S.counts[i] || 0;
    r.tw.set(n);
    setText(r.pct, total ? `${Math.round((100 * n) / total)}%` : '0%');
    r.fill.style.transform = `scaleX(${total ? n / total : 0})`;
    r.el.classList.toggle('lead', total > 0 && n === max);
  });
}

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
      p: paths[q.kind], c: ic.c, x: 80 + Math.random() * 1080, y: 1100,
      vx: (Math.random() - 0.5) * 60, vy: -(260 + Math.random() * 240 + boost * 380),
      s: 1.6 + Math.random() * 1.2 + boost * 2.2, r: (Math.random() - 0.5) * 0.8, born: now, life: 2600 + Math.random() * 1200,
    });
  }
  if (queue.length > 400) queue.splice(0, queue.length - 400);
  if (!parts.length && !drawn) return; // idle: leave the cleared canvas alone
  drawn = parts.length > 0;
  ctx.clearRect(0, 0, 1920, 1080);
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
let markerTimer = 0;
function onMarker(mk) {
  if (!mk || mk.kind === 'song_end' && !mk.label) return;
  const head = t(`screen.marker.${mk.kind}`);
  fill(markerEl, head ? h('span.s-mhead', null, head) : null, h('span.s-mlabel', null, mk.label));
  markerEl.hidden = false;
  clearTimeout(markerTimer);
  markerTimer = setTimeout(() => { markerEl.hidden = true; }, 10000);
}

function renderPill(state) {
  const st = state || conn?.state;
  pill.className = `pill s-pill ${st}`;
  pill.hidden = st === 'live';
  setText(pill, st === 'reconnecting' ? t('conn.reconnecting') : st === 'connecting' ? t('conn.connecting') : '');
}

onLang(() => { pollKey = ''; totalsKey = ''; renderPoll(); buildTotals(); renderPill(); S.chantsKey = ''; });
applyDom();
kiosk();
renderPoll();
