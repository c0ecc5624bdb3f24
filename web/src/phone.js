// phone.js -- the audience page (/ and /e/<code>): join, vote, react, chant.
//
// Promises kept to the person holding the phone:
// - a vote reads "counted" only after the hub's ack ok (the hub acks after
//   its SQLite commit); a refusal is shown in words; a vote made offline is
//   kept, sent on reconnect, and only then shown as counted;
// - taps give feedback at once and go out as one `react` per kind every
//   250 ms; taps made offline go out as one batch after reconnect;
// - the token in localStorage keeps the device (and its vote) across reloads
//   and hub restarts;
// - a chant reads "sent" only when it is live; one held for the crew's
//   approval says so (and says when it was approved); a refused text is
//   refused kindly, without repeating it; when the crew closes chants the
//   chant box gives way to the reason, and comes back when they reopen;
// - a device the crew banned (close 4003) stops reconnecting and says why;
// - offline is said within seconds (conn.js "stale"), never shown as LIVE; a
//   vote or chant made then is "saved, sent when you are back", kept in
//   localStorage with an id of its own (`cid`) and sent again with that id
//   until the hub answers, so a re-send never counts twice (the hub
//   remembers the ids); nothing invites the fan to send it again;
// - taps made offline keep the second they were made (`age`), so a backlog
//   is not a fake peak in the report;
// - a chant shows a live counter in characters (lib/chars.js, the hub's own
//   count) and is never cut.
import './css/base.css';
import './css/phone.css';
import { Conn, eventCode, rememberEvent } from './lib/conn.js';
import { h, $, fill, setText, store, toast } from './lib/dom.js';
import { t, num, langSelect, onLang, applyDom } from './lib/i18n.js';
import { iconSvg } from './lib/icons.js';
import { CHANT_MAX_CHARS, chantLength, chantText } from './lib/chars.js';

const FLUSH_MS = 250;
const MAX_N = 50;           // protocol: n is 1..50 per react
const MAX_PENDING_TAPS = 200; // all kinds: the hub's react_taps burst; more would be refused
const MAX_FRAMES = 2;         // per flush: 8 frames/s stays under the hub's react_msgs 10/s
const MAX_OUTBOX = 3;         // chants kept while offline: the hub's chants burst
const LATE_MS = 1000;         // taps older than this carry their age

// An id of this phone's own for a vote or chant (1..2^53), kept with it until
// the hub answered: a re-send with the same id counts once.
function newCid() {
  const [a, b] = crypto.getRandomValues(new Uint32Array(2));
  return (a % 2 ** 21) * 2 ** 32 + b + 1;
}

const S = {
  code: eventCode(),
  ev: null,            // welcome.event
  joined: false,
  poll: null,          // the poll as last told by the hub
  counts: [], voters: 0,
  vote: null,          // {poll, option, status: sending|counted|queued|failed|missed, changed, reason}
  taps: new Map(),     // "kind|second" -> {kind, at, n}: taps not yet sent, by the second they were made
  mine: {},            // kind -> taps made on this page
  chants: [], audience: 0, energy: 0,
  chantMode: 'auto',   // snapshot chant_mode: auto | approve | off
  chantNote: null,     // {kind: held|approved|blocked|saved|sending, key?}: the last chant's fate, under the form
  outbox: [],          // chants not yet answered by the hub: {cid, text, at} (localStorage chorus.outbox)
  everLive: false,
  banned: false,
  sectionSent: true,   // false: a section picked offline, sent after the next welcome
};

// ---------------------------------------------------------------- layout
const statusPill = h('div.pill', { role: 'status', 'aria-live': 'polite' });
const audienceEl = h('span.aud');
const sectionBtn = h('button.chip.section-chip', { type: 'button', hidden: true, onclick: () => showSections() });
const banner = h('div.banner', { hidden: true, role: 'status', 'aria-live': 'polite' });
const main = h('main.phone-main', { id: 'main' });

document.body.className = 'phone';
document.body.append(
  h('header.topbar', null,
    h('div.brand', null, h('span.logo', { 'aria-hidden': 'true' }, h('i'), h('i'), h('i')), h('span.evname', { id: 'evname' }, S.code || 'Chorus')),
    langSelect('lang compact')),
  banner,
  main,
);

const conn = new Conn({
  hello: () => ({
    t: 'hello', role: 'audience', event: S.code || undefined,
    token: store('chorus.token') || undefined,
    section: store('chorus.section') || undefined,
  }),
  onMessage,
  onState,
});

// ---------------------------------------------------------------- join
let joinArgs = [];
function showJoin(errorText, askCode) {
  joinArgs = [errorText, askCode];
  const known = store('chorus.evname');
  const codeInput = h('input.field', { id: 'code', name: 'code', autocomplete: 'off', autocapitalize: 'characters', spellcheck: false, value: S.code || '', required: true, maxlength: 32 });
  const needCode = askCode;
  fill(main, h('section.join', { 'aria-labelledby': 'jt' },
    h('p.kicker', { 'data-t': 'join.welcome' }, t('join.welcome')),
    h('h1.jtitle', { id: 'jt' }, known || S.code || 'Chorus'),
    h('p.tagline', { 'data-t': 'join.tagline' }, t('join.tagline')),
    errorText ? h('p.alert', { role: 'alert' }, errorText) : null,
    needCode
      ? h('form.codeform', { onsubmit: (e) => { e.preventDefault(); S.code = codeInput.value.trim().toUpperCase(); if (S.code) join(); } },
          h('label', { for: 'code', 'data-t': 'join.code.label' }, t('join.code.label')),
          codeInput,
          h('p.hint', { 'data-t': 'join.code.hint' }, t('join.code.hint')),
          h('button.btn.primary.big', { type: 'submit', 'data-t': 'join.code.button' }, t('join.code.button')))
      : h('button.btn.primary.big.joinbtn', { type: 'button', onclick: join, 'data-t': 'join.button' }, t('join.button')),
    h('ul.features', null, [['clap', 'join.f1'], ['fire', 'join.f2'], ['laugh', 'join.f3']].map(([k, key]) => h('li', null,
      h('span.ficon', { html: iconSvg(k, 26) }), h('span', { 'data-t': key }, t(key))))),
  ));
}

function join() {
  S.joined = true;
  renderLive();
  conn.start();
}

// ---------------------------------------------------------------- hub messages
function onState(state, info) {
  if (state === 'banned' && !S.banned) {
    S.banned = true;
    showBanned();
  }
  renderStatus();
  if (state === 'live' && info?.recovered) sendQueued(); // the link came back without a reconnect
  if (state === 'refused') {
    S.joined = false;
    const code = info?.code;
    if (code === 'unknown_event' || code === 'bad_field') {
      const bad = S.code;
      S.code = undefined;
      store('chorus.event', null);
      showJoin(bad ? t('join.code.unknown', { code: bad }) : '', true);
    } else {
      showJoin(reason(info));
    }
  }
}

function onMessage(m) {
  switch (m.t) {
    case 'welcome': return onWelcome(m);
    case 'snap': return onSnap(m);
    case 'poll': return onPoll(m.poll);
    case 'error': return toast(reason(m), 'error');
    default: return undefined;
  }
}

function onWelcome(m) {
  S.ev = m.event || {};
  S.everLive = true;
  if (m.token) store('chorus.token', m.token);
  if (S.ev.code) { S.code = S.ev.code; rememberEvent(S.ev.code); }
  if (S.ev.name) store('chorus.evname', S.ev.name);
  setText($('#evname'), S.ev.name || S.code);
  document.title = `${S.ev.name || 'Chorus'} · Chorus`;

  const wp = m.poll;
  if (wp) {
    if (!S.poll || S.poll.id !== wp.id) { S.counts = wp.options.map(() => 0); S.voters = 0; }
    S.poll = wp;
    if (!S.vote || S.vote.poll !== wp.id) S.vote = queuedVote(wp.id) || S.vote;
    const v = S.vote;
    const waiting = v && v.poll === wp.id && (v.status === 'queued' || v.status === 'sending');
    if (typeof wp.voted === 'number') {
      if (waiting && v.option !== wp.voted && wp.allow_change) sendVote(v);
      else { S.vote = { poll: wp.id, option: wp.voted, status: 'counted', changed: v?.changed && v.option === wp.voted }; keepVote(S.vote); keepQueuedVote(null); }
    } else if (waiting) {
      sendVote(v);
    }
  } else {
    const v = S.vote;
    if (S.poll && S.poll.open) {
      S.poll = { ...S.poll, open: false };
      if (v && v.poll === S.poll.id && v.status !== 'counted') v.status = 'missed';
    }
    // The last closed poll with its result (after a reload too): the winner,
    // and this phone's pick as it was remembered when its vote was counted.
    const lp = m.last_poll;
    if (lp && (!S.poll || S.poll.id <= lp.id)) {
      const same = S.poll?.id === lp.id;
      S.counts = lp.counts || (same ? S.counts : lp.options.map(() => 0));
      S.voters = lp.voters || 0;
      S.poll = lp;
      // The hub says what this device voted (last_poll.voted), so the
      // crowd's-choice moment is the same after a reload or on a new tab.
      if (typeof lp.voted === 'number') {
        if (!S.vote || S.vote.poll !== lp.id || S.vote.option !== lp.voted || S.vote.status !== 'counted') {
          S.vote = { poll: lp.id, option: lp.voted, status: 'counted' };
          keepVote(S.vote);
        }
      } else if (!S.vote || S.vote.poll !== lp.id) S.vote = keptVote(lp.id);
    }
  }
  if (!S.joined) S.joined = true;
  renderLive();
  flushTaps(); // taps made while offline: one batch now
  sendOutbox();
  if (!S.sectionSent) sendSection(store('chorus.section') || '');
  if (S.ev.sections?.length && !store('chorus.section') && !store('chorus.section.skip')) showSections(false);
}

function onSnap(m) {
  S.audience = m.audience || 0;
  S.energy = m.energy || 0;
  S.chants = Array.isArray(m.chants) ? m.chants : [];
  if (typeof m.chant_mode === 'string' && m.chant_mode !== S.chantMode) {
    S.chantMode = m.chant_mode;
    renderChantMode();
  }
  if (m.poll && S.poll && m.poll.id === S.poll.id) {
    S.counts = m.poll.counts || S.counts;
    S.voters = m.poll.voters || 0;
    S.poll.hidden = !!m.poll.hidden; // results kept back until the crew reveals them
  }
  renderFigures();
  renderPollResults();
  renderChants();
  if (Date.now() - lastResend > 5000) sendQueued(); // an ack that never came (a slow hub): try again, same ids
}

// What waits for the hub goes again with its own ids (the hub counts it once).
let lastResend = 0;
function sendQueued() {
  if (!conn.live) return;
  lastResend = Date.now();
  const v = S.vote;
  if (v && v.status === 'queued' && S.poll?.id === v.poll && S.poll.open) sendVote(v);
  sendOutbox();
}

function onPoll(p) {
  if (!p) return;
  const fresh = !S.poll || S.poll.id !== p.id;
  const newlyPlayed = !p.open && p.played && (fresh || S.poll.played?.option !== p.played.option);
  S.poll = p;
  if (p.counts) { S.counts = p.counts; S.voters = p.voters || 0; } else if (fresh) { S.counts = p.options.map(() => 0); S.voters = 0; }
  const v = S.vote;
  if (!p.open && v && v.poll === p.id && v.status !== 'counted' && v.status !== 'failed') v.status = 'missed';
  if (p.open && v && v.poll === p.id && v.status === 'missed') { v.status = 'queued'; sendQueued(); } // reopened
  buildPoll();
  if (fresh && p.open && navigator.vibrate) navigator.vibrate(30);
  if (newlyPlayed) {
    pollCard.querySelector('.moment')?.classList.add('arrive'); // the celebration, live only (not after a reload)
    if (navigator.vibrate) navigator.vibrate([20, 60, 20]);
  }
}

// ---------------------------------------------------------------- voting
function castVote(option) {
  const p = S.poll;
  if (!p || !p.open) return;
  const v = S.vote && S.vote.poll === p.id ? S.vote : null;
  if (v && v.status === 'counted' && !p.allow_change) return;
  if (v && v.option === option && (v.status === 'counted' || v.status === 'sending')) return;
  const hadCounted = v && (v.status === 'counted' || v.hadCounted);
  S.vote = { poll: p.id, option, status: 'queued', hadCounted, cid: newCid(), at: Date.now() };
  keepQueuedVote(S.vote);
  if (conn.live) sendVote(S.vote); else renderVote();
  if (navigator.vibrate) navigator.vibrate(15);
}

async function sendVote(v) {
  if (v.inflight) return;
  v.inflight = true;
  v.status = 'sending';
  v.cid ||= newCid();
  renderVote();
  const age = Date.now() - (v.at || Date.now());
  const ack = await conn.request({ t: 'vote', poll: v.poll, option: v.option, cid: v.cid, age: age >= LATE_MS ? age : undefined });
  v.inflight = false;
  if (S.vote !== v) return; // a newer tap replaced this vote
  if (ack.ok) {
    v.status = 'counted';
    v.changed = !!ack.changed || !!v.hadCounted;
    keepVote(v);
    keepQueuedVote(null);
  } else if (ack.code === 'offline' || ack.code === 'timeout' || ack.code === 'store_failed') {
    // Maybe counted, maybe not (or the hub could not store it: overloaded, or
    // its cluster unreachable): kept and sent again with the same id (the hub
    // counts it once), after the welcome or within seconds.
    v.status = 'queued';
  } else {
    keepQueuedVote(null);
    v.status = 'failed';
    v.reason = reason(ack);
  }
  renderVote();
}

// The counted vote, remembered so that "Your pick" survives a reload after
// the poll closed (the welcome's last_poll does not say what this phone chose).
function keepVote(v) {
  store('chorus.vote', JSON.stringify({ ev: S.code || '', poll: v.poll, option: v.option }));
}

// A vote not yet acked survives a reload too (with its id).
function keepQueuedVote(v) {
  store('chorus.outvote', v ? JSON.stringify({ ev: S.code || '', poll: v.poll, option: v.option, cid: v.cid, at: v.at }) : null);
}

function queuedVote(poll) {
  try {
    const k = JSON.parse(store('chorus.outvote') || 'null');
    if (k && k.poll === poll && k.ev === (S.code || '')) return { poll, option: k.option, cid: k.cid, at: k.at, status: 'queued' };
  } catch { /* none */ }
  return null;
}

function keptVote(poll) {
  try {
    const k = JSON.parse(store('chorus.vote') || 'null');
    if (k && k.poll === poll && k.ev === (S.code || '')) return { poll, option: k.option, status: 'counted' };
  } catch { /* not remembered */ }
  return null;
}

// ---------------------------------------------------------------- reactions
function tap(kind, btn) {
  let pending = 0;
  for (const b of S.taps.values()) pending += b.n;
  if (pending < MAX_PENDING_TAPS) {
    const now = Date.now(), key = `${kind}|${Math.floor(now / 1000)}`;
    const b = S.taps.get(key);
    if (b) b.n++; else S.taps.set(key, { kind, at: now, n: 1 });
  }
  S.mine[kind] = (S.mine[kind] || 0) + 1;
  burst(btn, kind);
  const badge = btn.querySelector('.mine');
  setText(badge, num(S.mine[kind]));
  badge.title = t('react.yours', { n: num(S.mine[kind]) });
}

// One frame per kind per 250 ms, at most MAX_FRAMES frames per flush; kinds
// take turns so none starves. Taps wait here by the second they were made;
// those made offline go out right after the welcome, each batch with its
// age, so the hub files them under the seconds the fan tapped.
let turn = 0;
function flushTaps() {
  if (!conn.live) return;
  const kinds = [...new Set([...S.taps.values()].map((b) => b.kind))];
  for (let f = 0; f < MAX_FRAMES && kinds.length; f++) {
    const kind = kinds.splice(turn++ % kinds.length, 1)[0];
    const [key, b] = [...S.taps].find(([, x]) => x.kind === kind); // the oldest second first (insertion order)
    const n = Math.min(MAX_N, b.n);
    const age = Date.now() - b.at;
    conn.send({ t: 'react', kind, n, age: age >= LATE_MS ? age : undefined });
    if (b.n > n) b.n -= n; else S.taps.delete(key);
  }
}
setInterval(flushTaps, FLUSH_MS);

let flying = 0;
function burst(btn, kind) {
  btn.classList.remove('pop');
  void btn.offsetWidth; // restart the animation
  btn.classList.add('pop');
  if (flying > 14 || matchMedia('(prefers-reduced-motion: reduce)').matches) return;
  flying++;
  const p = h('span.fly', { html: iconSvg(kind, 28), 'aria-hidden': 'true' });
  p.style.setProperty('--dx', `${Math.round((Math.random() - 0.5) * 80)}px`);
  btn.append(p);
  setTimeout(() => { p.remove(); flying--; }, 900);
}

// ---------------------------------------------------------------- chants
// A chant goes to the outbox first (localStorage, with its own id) and leaves
// it when the hub answered. Offline, it waits there: "saved, sent when you
// are back"; the form is cleared so nothing invites a second copy.
function loadOutbox() {
  try {
    const o = JSON.parse(store('chorus.outbox') || '[]');
    return Array.isArray(o) ? o.filter((c) => c && c.ev === (S.code || '') && typeof c.text === 'string').slice(0, MAX_OUTBOX) : [];
  } catch { return []; }
}
function saveOutbox() { store('chorus.outbox', S.outbox.length ? JSON.stringify(S.outbox) : null); }

function sendChant(text, input) {
  text = chantText(text);
  if (!text) return;
  if (chantLength(text).over) { renderCounter(); input?.focus(); return; } // the counter says why; never cut
  S.outbox = loadOutbox();
  if (S.outbox.length >= MAX_OUTBOX) { setChantNote({ kind: 'full' }); return; }
  const item = { ev: S.code || '', cid: newCid(), text, at: Date.now() };
  S.outbox.push(item);
  saveOutbox();
  if (input) { input.value = ''; renderCounter(); }
  if (conn.live) deliver(item, input);
  else setChantNote({ kind: 'saved' });
}

let delivering = false;
async function sendOutbox() {
  if (delivering || !conn.live) return;
  delivering = true;
  try {
    for (const item of loadOutbox()) {
      if (!conn.live) break;
      if (!(await deliver(item))) break;
    }
  } finally { delivering = false; }
}

// Send one outbox chant; true when the hub answered (either way).
async function deliver(item, input) {
  setChantNote({ kind: 'sending' });
  const age = Date.now() - item.at;
  const ack = await conn.request({ t: 'chant', text: item.text, cid: item.cid, age: age >= LATE_MS ? age : undefined });
  if (S.banned) return true; // the page already says why; "offline" would mislead
  if (ack.code === 'offline' || ack.code === 'timeout') { setChantNote({ kind: 'saved' }); return false; }
  S.outbox = loadOutbox().filter((c) => c.cid !== item.cid);
  saveOutbox();
  if (ack.ok && ack.held) {
    // Counted, but on no screen until the crew approves it: say that, not "sent!".
    setChantNote({ kind: 'held', key: looseKey(item.text) });
  } else if (ack.ok) {
    setChantNote({ kind: 'sent.note' });
    toast(t('chant.sent'), 'ok', 2000);
  } else if (ack.code === 'blocked') {
    setChantNote({ kind: 'blocked' }); // never repeat the text back
  } else if (ack.code === 'chants_off') {
    setChantNote(null);
    S.chantMode = 'off';
    renderChantMode();
  } else {
    setChantNote(null);
    if (input && !input.value) { input.value = item.text; renderCounter(); } // refused: give the text back
    toast(reason(ack), 'error');
  }
  return true;
}

// The live counter under the chant box: characters as the hub counts them.
function renderCounter() {
  const el = $('#chantcount');
  if (!el || !chantInput) return;
  const { chars, over } = chantLength(chantInput.value);
  el.className = `ccounter ${over ? 'over' : chars > CHANT_MAX_CHARS - 8 ? 'near' : ''}`;
  setText(el, over ? t('chant.tooLong', { n: chars, max: CHANT_MAX_CHARS }) : t('chant.counter', { n: chars, max: CHANT_MAX_CHARS }));
  chantInput.setAttribute('aria-invalid', String(over));
  const btn = $('#chantsend');
  if (btn) btn.disabled = over;
}

// Close enough to the hub's grouping key (NFKC, case-folded, spaces
// collapsed) to notice that a held chant now shows among the top chants.
const looseKey = (s) => s.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();

function setChantNote(note) {
  S.chantNote = note;
  renderChantNote();
}

function renderChantNote() {
  const el = $('#chantnote');
  if (!el) return;
  const n = S.chantNote;
  if (n?.kind === 'held' && S.chants.some(([text]) => looseKey(text) === n.key)) n.kind = 'approved';
  el.className = `cstatus ${n ? { held: 'pending', approved: 'ok', blocked: 'error', saved: 'pending', sending: 'pending', full: 'error', 'sent.note': 'ok' }[n.kind] : ''}`;
  setText(el, n ? t(`chant.${n.kind}`) : '');
}

// ---------------------------------------------------------------- sections
// Optional and never in the way: an inline card above the poll, not a modal,
// so a brand-new phone can vote at once.
function showSections() {
  const secs = S.ev?.sections || [];
  if (!secs.length || !S.joined) return;
  $('#sections')?.remove();
  const close = () => card.remove();
  const pick = (s) => {
    store('chorus.section', s || null);
    close();
    renderSectionChip();
    sendSection(s); // on the same connection: no reconnect, no new session
  };
  const cur = store('chorus.section');
  const card = h('section.card.seccard', { id: 'sections', 'aria-labelledby': 'sect' },
    h('div.sec-h', null,
      h('h2', { id: 'sect' }, t('join.section.title')),
      h('button.btn.small.ghost', { type: 'button', onclick: () => { store('chorus.section.skip', '1'); close(); } }, t('join.section.skip'))),
    h('p.hint', null, t('join.section.hint')),
    h('div.secgrid', null, secs.map((s) => h('button.btn.sec', {
      type: 'button', onclick: () => pick(s), 'aria-pressed': String(cur === s),
      'aria-label': t('join.section.name', { section: s }),
    }, s))),
    cur ? h('button.btn.small.ghost.nosec', { type: 'button', onclick: () => pick('') }, t('join.section.clear')) : null);
  pollCard.before(card);
}

// The `section` message changes the section of this device on the live
// connection. Offline, the choice waits: the next hello carries it, and the
// message follows the welcome (a "no section" can't ride in a hello).
async function sendSection(s) {
  S.sectionSent = false;
  if (!conn.live) return;
  const ack = await conn.request({ t: 'section', section: s });
  if (ack.ok) { S.sectionSent = (store('chorus.section') || '') === s || S.sectionSent; return; }
  if (ack.code === 'offline' || ack.code === 'timeout') return;
  S.sectionSent = true;
  toast(reason(ack), 'error');
}

function renderSectionChip() {
  const s = store('chorus.section');
  sectionBtn.hidden = !(S.ev?.sections?.length);
  setText(sectionBtn, s ? t('join.section.change', { section: s }) : t('join.section.none'));
}

// ---------------------------------------------------------------- rendering
let pollKey = '';
const pollCard = h('section.card.pollcard', { 'aria-labelledby': 'pollq' });
const reactCard = h('section.dock.reactcard', { 'aria-labelledby': 'reacth' });
const chantCard = h('section.card.chantcard', { 'aria-labelledby': 'chanth' });
const figures = h('div.figures');

function renderLive() {
  if (!S.joined) return;
  if (S.banned) { showBanned(); return; }
  if (!main.querySelector('.pollcard')) { fill(main, h('div.subbar', null, sectionBtn, statusPill, figures), pollCard, chantCard); document.body.append(reactCard); document.body.classList.add('docked'); }
  renderSectionChip();
  buildPoll();
  buildReactions();
  buildChants();
  renderFigures();
}

function buildPoll() {
  const p = S.poll;
  const key = p ? `${p.id}:${p.open}:${p.options.length}` : 'none';
  if (key !== pollKey) {
    pollKey = key;
    if (!p) {
      fill(pollCard,
        h('div.card-h', null, h('h2', { id: 'pollq', 'data-t': 'poll.title' }, t('poll.title'))),
        h('div.empty', null,
          h('div.pulse-dot', { 'aria-hidden': 'true' }),
          h('p.big', { 'data-t': 'poll.none' }, t('poll.none')),
          h('p.hint', { 'data-t': 'poll.none.hint' }, t('poll.none.hint'))));
      return;
    }
    const opts = p.options.map((label, i) => h('button.opt', {
      type: 'button', 'data-i': i, onclick: () => castVote(i),
    }, h('span.fill', { 'aria-hidden': 'true' }), h('span.olabel', null, label), h('span.opct'),
    h('span.otags', null, h('span.owin'), h('span.otag'))));
    fill(pollCard,
      h('div.card-h', null,
        h('span.tag', { class: p.open ? 'open' : 'closed' }, p.open ? t('poll.title') : t('poll.closed')),
        h('span.votes')),
      h('div.moment', { role: 'status', hidden: true }),
      h('h2.question', { id: 'pollq' }, p.question),
      h('p.rnote', { hidden: true }),
      h('div.opts', { role: 'group', 'aria-labelledby': 'pollq' }, opts),
      h('p.vstatus', { role: 'status', 'aria-live': 'polite' }),
    );
  }
  renderPollResults();
  renderVote();
  renderMoment();
}

// While the results are hidden (the poll's reveal is on_close or manual and
// the crew has not revealed them) the phone says when they come instead of
// showing percentages. A closed poll with its result marks the winner (all
// tied options on a tie), apart from this phone's own pick.
function renderPollResults() {
  const p = S.poll;
  if (!p) return;
  const hidden = !!p.hidden;
  const counts = hidden ? [] : S.counts;
  const total = counts.reduce((a, b) => a + b, 0);
  const max = Math.max(0, ...counts);
  const final = !p.open && total > 0;
  const played = !p.open && p.played && !hidden ? p.played.option : null; // the crew's "Play it": the crowd's choice
  const votesEl = pollCard.querySelector('.votes');
  if (votesEl) setText(votesEl, S.voters === 1 ? t('poll.votes.one') : t('poll.votes', { n: num(S.voters || total) }));
  const note = pollCard.querySelector('.rnote');
  if (note) {
    note.hidden = !hidden;
    setText(note, hidden ? t(p.open && p.reveal === 'on_close' ? 'poll.hidden.on_close' : 'poll.hidden.manual') : '');
  }
  pollCard.querySelectorAll('.opt').forEach((b, i) => {
    const n = counts[i] || 0;
    const pct = total ? Math.round((100 * n) / total) : 0;
    const win = played !== null ? i === played : final && n === max;
    b.querySelector('.fill').style.transform = `scaleX(${total ? n / total : 0})`;
    setText(b.querySelector('.opct'), total ? `${pct}%` : '');
    b.classList.toggle('lead', total > 0 && n === max && p.open);
    b.classList.toggle('win', win);
    b.classList.toggle('played', played === i);
    setText(b.querySelector('.owin'), win ? t(played !== null ? 'poll.tag.chosen' : 'poll.tag.winner') : '');
    b.setAttribute('aria-label', hidden ? t('poll.option.aria.hidden', { option: p.options[i] })
      : t(played === i ? 'poll.option.aria.chosen' : win ? 'poll.option.aria.winner' : 'poll.option.aria', { option: p.options[i], pct, n }));
  });
}

// "You chose this": once the crew plays the closed poll (its `played`), this
// phone's own moment: its vote chose the song (with how many others), or
// where its pick came and what the crowd chose, or what the crowd chose.
let momentKey = '';
function renderMoment() {
  const el = pollCard.querySelector('.moment');
  if (!el) return;
  const p = S.poll;
  const played = p && !p.open && p.played ? p.played.option : null;
  const option = played === null ? undefined : p.options[played];
  if (option === undefined) { momentKey = ''; el.hidden = true; el.className = 'moment'; el.replaceChildren(); return; }
  const counts = S.counts || [];
  const total = S.voters || counts.reduce((a, b) => a + b, 0);
  const votes = counts[played] || 0;
  const v = S.vote && S.vote.poll === p.id && S.vote.status === 'counted' ? S.vote.option : null;
  const key = JSON.stringify([p.id, played, v, counts, total, document.documentElement.lang]);
  if (key === momentKey) return;
  momentKey = key;
  let kind, kicker, text;
  if (v === played) {
    const others = Math.max(0, votes - 1);
    kind = 'won'; kicker = t('moment.kicker.won');
    text = rich(others === 0 ? 'moment.chose.alone' : others === 1 ? 'moment.chose.one' : 'moment.chose', { option, n: num(others) });
  } else if (v !== null && p.options[v] !== undefined) {
    const mine = counts[v] || 0;
    const rank = 1 + counts.filter((n) => n > mine).length;
    const tied = counts.some((n, i) => i !== v && n === mine);
    kind = 'other'; kicker = t('moment.kicker');
    text = rich(tied ? 'moment.other.tied' : 'moment.other', {
      mine: p.options[v], option, total: num(p.options.length),
      votes: mine === 1 ? t('moment.votes.one') : t('moment.votes', { n: num(mine) }),
      rank: ordinal(rank),
    }, ['mine', 'option']);
  } else if (total > 0) {
    kind = 'crowd'; kicker = t('moment.kicker');
    text = rich(total === 1 && votes === 1 ? 'moment.crowd.one' : 'moment.crowd', { option, n: num(votes), total: num(total) });
  } else { // nobody voted: the crew picked it, the crowd did not
    kind = 'crowd'; kicker = '';
    text = rich('moment.upnext', { option });
  }
  el.className = `moment ${kind}${el.classList.contains('arrive') ? ' arrive' : ''}`;
  fill(el,
    kicker ? h('p.mkick', null, h('span.mspark', { 'aria-hidden': 'true' }, '✦'), ' ', kicker) : null,
    h('p.mtext', null, text));
  el.hidden = false;
}

// "2nd", "第 2", "ke-2": the language's ordinal of n.
function ordinal(n) {
  let form = 'other';
  try { form = new Intl.PluralRules(document.documentElement.lang, { type: 'ordinal' }).select(n); } catch { /* other */ }
  const s = t(`moment.rank.${form}`, { n: num(n) });
  return s === `moment.rank.${form}` ? t('moment.rank.other', { n: num(n) }) : s;
}

// A sentence from the catalogue with some of its values in bold (the labels).
function rich(key, vars, strong = ['option']) {
  const raw = t(key);
  const out = [];
  let last = 0;
  raw.replace(/\{(\w+)\}/g, (m, k, at) => {
    out.push(raw.slice(last, at));
    const val = k in vars ? String(vars[k]) : m;
    out.push(strong.includes(k) ? h('b.mopt', null, val) : val);
    last = at + m.length;
    return m;
  });
  out.push(raw.slice(last));
  return out.filter((x) => x !== '');
}

function renderVote() {
  const p = S.poll;
  const st = pollCard.querySelector('.vstatus');
  if (!p || !st) return;
  const v = S.vote && S.vote.poll === p.id ? S.vote : null;
  const locked = !p.open || (v && v.status === 'counted' && !p.allow_change);
  pollCard.querySelectorAll('.opt').forEach((b, i) => {
    const mine = v && v.option === i && v.status !== 'failed';
    b.setAttribute('aria-pressed', String(!!mine));
    b.classList.toggle('mine', !!mine);
    b.classList.toggle('counted', !!(mine && v.status === 'counted'));
    b.disabled = !!locked && !mine;
    b.setAttribute('aria-disabled', String(!!locked));
    const tag = b.querySelector('.otag');
    // Closed: "Your pick" (the winner has its own tag, see renderPollResults).
    const pick = mine && !p.open && v.status === 'counted';
    tag.className = `otag ${pick ? 'pick' : mine ? v.status : ''}`;
    setText(tag, pick ? t('poll.tag.pick') : mine ? t(`poll.tag.${v.status === 'counted' ? 'counted' : v.status === 'queued' || v.status === 'missed' ? 'queued' : 'sending'}`) : '');
  });
  let text = '', cls = '';
  if (!p.open) {
    text = v && v.status === 'missed' ? t('poll.closed.missed') : `${t('poll.closed')} · ${t(p.hidden ? 'poll.hidden.manual' : 'poll.closed.final')}`;
    cls = 'closed';
  } else if (!v) {
    text = p.allow_change ? t('poll.canchange') : '';
  } else if (v.status === 'sending') {
    text = t('poll.sending'); cls = 'pending';
  } else if (v.status === 'queued') {
    text = t('poll.queued'); cls = 'pending';
  } else if (v.status === 'counted') {
    const opt = p.options[v.option];
    text = v.changed ? t('poll.changed.long', { option: opt }) : t('poll.counted.long', { option: opt });
    if (!p.allow_change) text += ` ${t('poll.final')}`;
    cls = 'ok';
  } else if (v.status === 'failed') {
    text = v.reason; cls = 'error';
  }
  st.className = `vstatus ${cls}`;
  setText(st, text);
}

let reactKey = '';
function buildReactions() {
  const kinds = S.ev?.reactions || [];
  const key = kinds.join(',');
  if (key === reactKey) return;
  reactKey = key;
  fill(reactCard,
    h('h2.sr-only', { id: 'reacth', 'data-t': 'react.title' }, t('react.title')),
    h('div.energy', { 'aria-hidden': 'true' }, h('span.elabel', { 'data-t': 'live.energy' }, t('live.energy')), h('span.ebar', null, h('i')), h('b.enum')),
    h('div.pad', null, kinds.map((k) => {
      const b = h('button.rbtn', { type: 'button', 'data-kind': k },
        h('span.ricon', { html: iconSvg(k, 34) }),
        h('span.rname', null, reactName(k)),
        h('span.mine', null, ''));
      b.setAttribute('aria-label', t('react.tap.aria', { name: reactName(k) }));
      b.addEventListener('click', () => tap(k, b));
      return b;
    })),
  );
}

function reactName(k) {
  const s = t(`react.${k}`);
  return s === `react.${k}` ? k : s;
}

let chantInput;
function buildChants() {
  if (chantCard.firstChild) return;
  // No maxlength: it counts UTF-16 units and cuts silently; the counter says instead.
  chantInput = h('input.field', { id: 'chant', name: 'chant', autocomplete: 'off', enterkeyhint: 'send', placeholder: t('chant.placeholder'), 'data-t-ph': 'chant.placeholder', 'aria-describedby': 'chantcount', oninput: () => renderCounter() });
  fill(chantCard,
    h('div.card-h', null, h('h2', { id: 'chanth', 'data-t': 'chant.title' }, t('chant.title'))),
    h('div.chantbox', { id: 'chantbox' },
      h('p.hint.approvehint', { id: 'approvehint', hidden: true }, t('chant.approve.hint')),
      h('form.chantform', { onsubmit: (e) => { e.preventDefault(); sendChant(chantInput.value, chantInput); } },
        h('label.sr-only', { for: 'chant', 'data-t': 'chant.label' }, t('chant.label')),
        chantInput,
        h('button.btn.primary', { type: 'submit', id: 'chantsend', 'data-t': 'chant.send' }, t('chant.send'))),
      h('p.ccounter', { id: 'chantcount', 'aria-live': 'polite' }),
      h('p.cstatus', { id: 'chantnote', role: 'status', 'aria-live': 'polite' }),
      h('h3.sub', { 'data-t': 'chant.top' }, t('chant.top')),
      h('ul.chants', { id: 'chants' })),
    // Chants closed by the crew: the reason takes the box's place.
    h('div.empty.chantoff', { id: 'chantoff', role: 'status', hidden: true },
      h('p.big', null, t('chant.off.title')),
      h('p.hint', null, t('chant.off.hint'))));
  renderChants();
  renderChantNote();
  renderChantMode();
  renderCounter();
}

function renderChantMode() {
  const box = $('#chantbox'), off = $('#chantoff');
  if (!box) return;
  const closed = S.chantMode === 'off';
  box.hidden = closed;
  off.hidden = !closed;
  $('#approvehint').hidden = S.chantMode !== 'approve';
  if (closed && S.chantNote?.kind !== 'approved') setChantNote(null);
}

// Rows are keyed by text and reused, so a "Join" button is never replaced
// under a finger when the counts move (they do, every second).
let chantsKey = null;
const chantRows = new Map(); // text -> {li, count}
function renderChants() {
  const ul = $('#chants');
  if (!ul) return;
  const key = JSON.stringify(S.chants) + document.documentElement.lang;
  if (key === chantsKey) return;
  chantsKey = key;
  renderChantNote();
  if (!S.chants.length) { chantRows.clear(); fill(ul, h('li.none', null, t('chant.none'))); return; }
  ul.querySelector('.none')?.remove();
  const keep = new Set();
  S.chants.forEach(([text, n], i) => {
    keep.add(text);
    let row = chantRows.get(text);
    if (!row) {
      const count = h('span.ccount');
      row = { count, li: h('li', null, h('span.ctext', null, text), count,
        h('button.btn.small', { type: 'button', onclick: () => sendChant(text), 'aria-label': t('chant.join.aria', { text }) }, t('chant.join'))) };
      chantRows.set(text, row);
    }
    setText(row.count, t('chant.count', { n: num(n) }));
    if (ul.children[i] !== row.li) ul.insertBefore(row.li, ul.children[i] || null);
  });
  for (const [text, row] of chantRows) if (!keep.has(text)) { row.li.remove(); chantRows.delete(text); }
}

function renderFigures() {
  fill(figures, h('span.aud', null, h('b', null, num(S.audience)), ` ${t('live.audience')}`));
  const e = reactCard.querySelector('.energy');
  if (e) {
    e.querySelector('i').style.transform = `scaleX(${S.energy / 100})`;
    setText(e.querySelector('.enum'), S.energy);
  }
}

// Banned by the crew: nothing on this page works any more, so say so
// instead of showing controls the hub will refuse.
function showBanned() {
  reactCard.remove();
  document.body.classList.remove('docked');
  fill(main, h('section.card.blocked', { role: 'alert', 'aria-labelledby': 'bant' },
    h('div.refusal-mark', { 'aria-hidden': 'true' }, '!'),
    h('h1', { id: 'bant' }, t('banned.title')),
    h('p', null, t('banned.text')),
    h('p.hint', null, t('banned.hint'))));
}

function renderStatus() {
  const st = conn.state;
  const label = st === 'live' ? t('conn.live') : st === 'reconnecting' || st === 'stale' ? t('conn.reconnecting') : st === 'connecting' ? t('conn.connecting') : st === 'banned' ? t('conn.banned') : '';
  statusPill.className = `pill ${st}`;
  statusPill.hidden = !label;
  setText(statusPill, label);
  if ((st === 'reconnecting' || st === 'stale') && S.everLive) {
    banner.hidden = false;
    fill(banner, navigator.onLine === false ? t('conn.offline') : t('conn.reconnecting.calm'));
  } else if (st === 'replaced') {
    banner.hidden = false;
    fill(banner, t('conn.replaced'), ' ', h('button.btn.small', { type: 'button', onclick: () => conn.start() }, t('conn.replaced.action')));
  } else {
    banner.hidden = true;
  }
  if (st !== 'live') {
    const v = S.vote;
    if (v && v.status === 'sending') { v.status = 'queued'; renderVote(); }
  }
}

/** A hub refusal (ack ok:false or error) in the reader's words. */
function reason(m) {
  const code = m?.code;
  const s = t(`err.${code}`, { msg: m?.msg || '' });
  return s === `err.${code}` ? t('err.other', { msg: m?.msg || code || '?' }) : s;
}

onLang(() => {
  pollKey = ''; reactKey = ''; chantsKey = null; chantRows.clear();
  if (S.banned) { showBanned(); renderStatus(); return; }
  chantCard.replaceChildren();
  renderLive();
  renderStatus();
  if (!S.joined) showJoin(...joinArgs);
  if ($('#sections')) showSections();
});

// ---------------------------------------------------------------- start
applyDom();
S.outbox = loadOutbox();
renderStatus();
conn.preconnect();
if (store('chorus.token') && S.code) join(); // returning device: straight in
else showJoin();
