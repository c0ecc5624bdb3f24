// crew.js -- the crew dashboard (/crew): open and close polls, watch the
// tallies, set markers, see the audience and the hub's health. Every refusal
// from the hub (ack ok:false or error) is shown in a toast and kept in the
// "Messages from the hub" log: nothing is swallowed.
import './css/base.css';
import './css/crew.css';
import { joinUrl } from './lib/conn.js';
import { h, $, fill, setText, clock, toast } from './lib/dom.js';
import { t, num, langSelect, onLang, applyDom } from './lib/i18n.js';
import { keyConn } from './lib/keypage.js';
import { iconSvg } from './lib/icons.js';
import { analyticsView } from './lib/analytics.js';

const enc = new TextEncoder();
const bytes = (s) => enc.encode(s).length;
const S = {
  ev: null, poll: null, counts: [], voters: 0, last: null,
  snap: null, health: null, markers: [], errors: [],
};

document.body.className = 'crew';
const pill = h('div.pill', { role: 'status', 'aria-live': 'polite' });
const printLink = h('a.btn.small', { href: '/join', target: '_blank', rel: 'noopener', 'data-t': 'crew.print' }, t('crew.print'));
const forget = h('button.btn.small.ghost', { type: 'button', onclick: () => conn.forgetKey(), 'data-t': 'key.forget' }, t('key.forget'));
const pollPanel = h('div.c-pollnow');
const form = buildForm();
const audPanel = h('div.c-aud');
const healthPanel = h('div.c-health');
const markerPanel = buildMarkers();
const markerLog = h('ol.c-log');
const errLog = h('ol.c-log.c-errs', { 'aria-live': 'polite' });
const livePanel = h('div.c-live');
const analytics = analyticsView({
  key: () => conn.key(),
  forgetKey: () => conn.forgetKey(),
  onError: (e, text) => logError({ code: e.status ? `report_${e.status}` : 'report', msg: text }),
});
const tabLive = h('button.c-tab', { type: 'button', role: 'tab', id: 'tab-live', 'aria-controls': 'view-live', onclick: () => view('live'), 'data-t': 'crew.tab.live' }, t('crew.tab.live'));
const tabAn = h('button.c-tab', { type: 'button', role: 'tab', id: 'tab-analytics', 'aria-controls': 'view-analytics', onclick: () => view('analytics'), 'data-t': 'crew.tab.analytics' }, t('crew.tab.analytics'));
const tabs = h('div.c-tabs', { role: 'tablist', 'aria-label': t('crew.tabs'), 'data-t-aria': 'crew.tabs' }, tabLive, tabAn);
tabs.addEventListener('keydown', (e) => {
  // Arrow keys move between the two tabs (the tab pattern).
  if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
  const next = document.activeElement === tabLive ? tabAn : tabLive;
  next.focus();
  next.click();
});

const root = h('div.c-root', null,
  h('header.c-head', null,
    h('span.logo', { 'aria-hidden': 'true' }, h('i'), h('i'), h('i')),
    h('h1', null, h('span', { 'data-t': 'crew.title' }, t('crew.title')), h('span.c-ev', { id: 'evname' })),
    tabs, pill, h('div.c-headr', null, printLink, langSelect('lang'), forget)),
  h('main.c-grid', { id: 'view-live', role: 'tabpanel', 'aria-labelledby': 'tab-live' },
    h('div.c-main', null,
      h('section.c-card.c-pollcard', { 'aria-labelledby': 'ph' },
        h('h2', { id: 'ph', 'data-t': 'crew.poll' }, t('crew.poll')), pollPanel),
      h('div.c-cards', null,
        h('section.c-card', { 'aria-labelledby': 'ah' },
          h('h2', { id: 'ah', 'data-t': 'crew.audience' }, t('crew.audience')), audPanel),
        h('section.c-card', { 'aria-labelledby': 'lh' },
          h('h2', { id: 'lh', 'data-t': 'crew.live' }, t('crew.live')), livePanel),
        h('section.c-card', { 'aria-labelledby': 'mh' },
          h('h2', { id: 'mh', 'data-t': 'crew.markers' }, t('crew.markers')), markerPanel.el, markerLog),
        h('section.c-card', { 'aria-labelledby': 'hh' },
          h('h2', { id: 'hh', 'data-t': 'crew.health' }, t('crew.health')), healthPanel))),
    h('div.c-side', null,
      h('section.c-card.c-formcard', { 'aria-labelledby': 'fh' },
        h('h2', { id: 'fh', 'data-t': 'crew.poll.open' }, t('crew.poll.open')), form.el),
      h('section.c-card.c-errcard', { 'aria-labelledby': 'eh' },
        h('h2', { id: 'eh', 'data-t': 'crew.errors' }, t('crew.errors')), errLog))),
  h('main.c-anview', { id: 'view-analytics', role: 'tabpanel', 'aria-labelledby': 'tab-analytics', hidden: true }, analytics.el),
);
document.body.append(root);

const conn = keyConn('crew', {
  root,
  askKey: true,
  onMessage(m) {
    switch (m.t) {
      case 'welcome':
        S.ev = m.event || {};
        setText($('#evname'), S.ev.name || S.ev.code || '');
        document.title = `${S.ev.name || 'Chorus'} · Crew`;
        printLink.href = `/join?${new URLSearchParams({ url: joinUrl(S.ev), code: S.ev.code || '', name: S.ev.name || '' })}`;
        if (m.poll) setPoll(m.poll); else if (S.poll?.open) { S.last = { ...S.poll, open: false }; S.poll = null; }
        form.songs(S.ev.songs || []);
        markerPanel.songs(S.ev.songs || []);
        renderPoll(true);
        break;
      case 'snap': onSnap(m); break;
      case 'poll': setPoll(m.poll); renderPoll(true); break;
      case 'health': S.health = m; renderHealth(); renderAud(); break;
      case 'marker': S.markers.unshift(m.marker); S.markers.length = Math.min(S.markers.length, 30); renderMarkers(); break;
      case 'error': logError(m); break;
      default: break;
    }
  },
  onState: renderPill,
});

function setPoll(p) {
  if (!p) return;
  if (!S.poll || S.poll.id !== p.id) { S.counts = p.options.map(() => 0); S.voters = 0; }
  if (p.counts) { S.counts = p.counts; S.voters = p.voters || 0; }
  if (p.open) { S.poll = p; } else { S.last = { ...p, counts: S.counts, voters: S.voters }; S.poll = null; }
}

function onSnap(m) {
  S.snap = m;
  if (m.poll && S.poll && m.poll.id === S.poll.id) { S.counts = m.poll.counts || S.counts; S.voters = m.poll.voters || 0; }
  renderPoll(false);
  renderAud();
  renderLive();
}

// ---------------------------------------------------------------- views
// Live controls or Analytics; the WebSocket (and its toasts) runs under both.
// The choice rides in the address (#analytics), so a reload keeps it.
function view(name) {
  const an = name === 'analytics';
  tabLive.setAttribute('aria-selected', String(!an)); tabAn.setAttribute('aria-selected', String(an));
  tabLive.tabIndex = an ? -1 : 0; tabAn.tabIndex = an ? 0 : -1;
  $('#view-live').hidden = an; $('#view-analytics').hidden = !an;
  const u = new URL(location.href);
  u.hash = an ? 'analytics' : '';
  history.replaceState(null, '', u.hash ? u : u.href.replace(/#$/, ''));
  if (an) analytics.show(); else analytics.hide();
}

// ---------------------------------------------------------------- poll now
let pollKey = '';
let bars = [];
function renderPoll(rebuild) {
  const p = S.poll || S.last;
  const key = p ? `${p.id}:${p.open}:${document.documentElement.lang}` : 'none';
  if (rebuild || key !== pollKey) {
    pollKey = key;
    bars = [];
    if (!p) { fill(pollPanel, h('p.c-empty', null, t('crew.poll.none'))); form.openNote(false); return; }
    bars = p.options.map((label) => ({ el: null, fill: h('i'), n: h('b'), pct: h('span'), label }));
    fill(pollPanel,
      h('div.c-pollmeta', null,
        h('span.c-tag', { class: p.open ? 'open' : 'closed' }, p.open ? t('crew.poll.current') : t('crew.poll.last')),
        h('span.c-voters'), h('span.c-openfor')),
      h('h3.c-q', null, p.question),
      h('ol.c-bars', null, bars.map((b) => (b.el = h('li', null,
        h('div.c-bartop', null, h('span.c-blabel', null, b.label), b.n, b.pct),
        h('div.c-track', null, b.fill))))),
      p.open ? h('button.btn.danger.big.c-close', { type: 'button', onclick: () => closePoll(p.id) }, t('crew.poll.close')) : null);
    form.openNote(!!S.poll);
  }
  if (!p) return;
  const counts = p === S.poll ? S.counts : (p.counts || []);
  const total = counts.reduce((a, b) => a + b, 0);
  const max = Math.max(0, ...counts);
  bars.forEach((b, i) => {
    const n = counts[i] || 0;
    setText(b.n, num(n));
    setText(b.pct, total ? `${Math.round((100 * n) / total)}%` : '0%');
    b.fill.style.transform = `scaleX(${total ? n / total : 0})`;
    b.el.classList.toggle('lead', total > 0 && n === max);
  });
  setText(pollPanel.querySelector('.c-voters'), t('crew.poll.voters', { n: num(p === S.poll ? S.voters : p.voters || total) }));
  const end = p.open ? conn.now() : (p.closed || conn.now());
  setText(pollPanel.querySelector('.c-openfor'), t('crew.poll.openfor', { t: clock(end - p.opened) }));
}
setInterval(() => { if (S.poll) renderPoll(false); }, 1000);

async function closePoll(id) {
  const btn = pollPanel.querySelector('.c-close');
  if (btn) btn.disabled = true;
  const ack = await conn.request({ t: 'poll.close', poll: id });
  if (ack.ok) toast(t('crew.poll.closed'), 'ok');
  else {
    logError(ack);
    if (btn) btn.disabled = false;
    // Closed (or gone) already: our picture was stale, so stop offering Close.
    if ((ack.code === 'poll_closed' || ack.code === 'unknown_poll') && S.poll?.id === id) {
      S.last = { ...S.poll, open: false, counts: S.counts, voters: S.voters, closed: conn.now() };
      S.poll = null;
      renderPoll(true);
    }
  }
}

// ---------------------------------------------------------------- open form
function buildForm() {
  const q = h('input.field', { id: 'pq', name: 'question', maxlength: 200, required: true, placeholder: t('crew.poll.question.ph'), 'data-t-ph': 'crew.poll.question.ph' });
  const opts = h('textarea.field.c-opts', { id: 'po', name: 'options', rows: 6 });
  const allow = h('input', { type: 'checkbox', id: 'pa', name: 'allow_change' });
  const chips = h('div.c-chips');
  const note = h('p.c-note', { hidden: true, 'data-t': 'crew.poll.replace' }, t('crew.poll.replace'));
  const submit = h('button.btn.primary.big', { type: 'submit', 'data-t': 'crew.poll.openbtn' }, t('crew.poll.openbtn'));
  let songList = [];
  const lines = () => opts.value.split('\n').map((s) => s.trim()).filter(Boolean);
  const syncChips = () => {
    const have = new Set(lines());
    chips.querySelectorAll('.c-chip').forEach((c) => c.setAttribute('aria-pressed', String(have.has(c.dataset.song))));
  };
  const toggleSong = (song) => {
    const l = lines();
    const i = l.indexOf(song);
    if (i >= 0) l.splice(i, 1); else l.push(song);
    opts.value = l.join('\n');
    if (!q.value.trim()) q.value = t('crew.poll.question.ph');
    syncChips();
  };
  opts.addEventListener('input', syncChips);
  const el = h('form.c-form', {
    onsubmit: async (e) => {
      e.preventDefault();
      const question = q.value.trim();
      const options = lines();
      if (!question) return toast(t('crew.poll.needq'), 'error');
      if (options.length < 2 || options.length > 12) return toast(t('crew.poll.needopts'), 'error');
      if (bytes(question) > 200 || options.some((o) => bytes(o) > 64)) return toast(t('err.too_long'), 'error');
      submit.disabled = true;
      const ack = await conn.request({ t: 'poll.open', question, options, allow_change: allow.checked });
      submit.disabled = false;
      if (ack.ok) toast(t('crew.poll.opened'), 'ok');
      else logError(ack);
    },
  },
  h('label', { for: 'pq', 'data-t': 'crew.poll.question' }, t('crew.poll.question')), q,
  h('div.c-songs', null,
    h('span.c-sublabel', { 'data-t': 'crew.poll.songs' }, t('crew.poll.songs')),
    h('button.btn.small.ghost', { type: 'button', onclick: () => { opts.value = songList.slice(0, 12).join('\n'); if (!q.value.trim()) q.value = t('crew.poll.question.ph'); syncChips(); }, 'data-t': 'crew.poll.songs.all' }, t('crew.poll.songs.all'))),
  chips,
  h('label', { for: 'po', 'data-t': 'crew.poll.options' }, t('crew.poll.options')),
  h('p.c-hint', { 'data-t': 'crew.poll.options.hint' }, t('crew.poll.options.hint')),
  opts,
  h('label.c-switch', { for: 'pa' }, allow, h('span.c-knob', { 'aria-hidden': 'true' }), h('span', { 'data-t': 'crew.poll.allowchange' }, t('crew.poll.allowchange'))),
  note, submit);
  return {
    el,
    songs(list) {
      songList = list;
      fill(chips, list.map((s) => h('button.c-chip', { type: 'button', 'data-song': s, 'aria-pressed': 'false', onclick: () => toggleSong(s) }, s)));
      syncChips();
    },
    openNote(on) { note.hidden = !on; },
  };
}

// ---------------------------------------------------------------- markers
function buildMarkers() {
  const label = h('input.field', { id: 'ml', name: 'label', maxlength: 64, list: 'songlist', placeholder: t('crew.marker.label.ph'), 'data-t-ph': 'crew.marker.label.ph' });
  const dl = h('datalist', { id: 'songlist' });
  const send = async (kind) => {
    const text = label.value.trim();
    if (!text) { label.focus(); return toast(t('crew.marker.label'), 'error'); }
    if (bytes(text) > 64) return toast(t('err.too_long'), 'error');
    const ack = await conn.request({ t: 'marker', label: text, kind });
    if (ack.ok) toast(t('crew.marker.set', { label: text }), 'ok');
    else logError(ack);
    return undefined;
  };
  const el = h('div.c-markers', null,
    h('label', { for: 'ml', 'data-t': 'crew.marker.label' }, t('crew.marker.label')), label, dl,
    h('div.c-mbtns', null,
      h('button.btn', { type: 'button', onclick: () => send('song_start'), 'data-t': 'crew.marker.song_start' }, t('crew.marker.song_start')),
      h('button.btn', { type: 'button', onclick: () => send('song_end'), 'data-t': 'crew.marker.song_end' }, t('crew.marker.song_end')),
      h('button.btn', { type: 'button', onclick: () => send('note'), 'data-t': 'crew.marker.note' }, t('crew.marker.note'))));
  return { el, songs(list) { fill(dl, list.map((s) => h('option', { value: s }))); } };
}

function renderMarkers() {
  if (!S.markers.length) { fill(markerLog, h('li.c-empty', null, t('crew.marker.none'))); return; }
  fill(markerLog, S.markers.map((m) => h('li', null,
    h('time', null, new Date(m.ts).toLocaleTimeString()),
    h('span.c-kind', { class: m.kind }, t(`crew.marker.${m.kind}`)),
    h('span', null, m.label))));
}

// ---------------------------------------------------------------- audience, live, health
function stat(label, value, cls = '') {
  return h('div.c-stat', { class: cls }, h('b', null, value), h('span', null, label));
}

function renderAud() {
  const sn = S.snap, hl = S.health;
  const roles = hl?.conns ? ['audience', 'screen', 'performer', 'crew', 'pending'].map((r) => stat(t(`crew.role.${r}`), num(hl.conns[r] || 0), r === 'audience' ? 'hero' : '')) : [stat(t('crew.role.audience'), num(sn?.audience || 0), 'hero')];
  const secs = sn?.sections || hl?.sections || {};
  const total = Object.values(secs).reduce((a, b) => a + b, 0) || 1;
  const secRows = Object.entries(secs).sort((a, b) => String(a[0]).localeCompare(String(b[0]))).map(([s, n]) => h('li', null,
    h('span.c-sec', null, s === '' ? t('crew.nosection') : t('join.section.name', { section: s })),
    h('span.c-sbar', null, h('i', { style: { transform: `scaleX(${n / total})` } })),
    h('b', null, num(n))));
  fill(audPanel,
    h('h3.c-sub', null, t('crew.byrole')), h('div.c-stats', null, roles),
    h('h3.c-sub', null, t('crew.bysection')), h('ul.c-secs', null, secRows.length ? secRows : h('li.c-empty', null, '—')));
}

function renderLive() {
  const sn = S.snap;
  if (!sn) return;
  const kinds = S.ev?.reactions || Object.keys(sn.react || {});
  fill(livePanel,
    h('div.c-stats', null,
      stat(t('live.energy'), String(sn.energy || 0), 'hero'),
      stat(t('live.audience'), num(sn.audience || 0))),
    h('h3.c-sub', null, t('crew.reactions')),
    h('div.c-reacts', null, kinds.map((k) => h('div.c-react', null,
      h('span', { html: iconSvg(k, 22) }), h('b', null, num(sn.react?.[k] || 0)),
      h('small', null, `${num(sn.rate?.[k] || 0)}/s`), h('span.sr-only', null, k)))),
    h('h3.c-sub', null, t('live.chants')),
    h('ol.c-chants', null, (sn.chants || []).length ? sn.chants.map(([text, n]) => h('li', null, h('span', null, text), h('b', null, `×${num(n)}`))) : h('li.c-empty', null, t('chant.none'))));
}

function renderHealth() {
  const m = S.health;
  if (!m) { fill(healthPanel, h('p.c-empty', null, t('crew.health.waiting'))); return; }
  const st = m.store || {};
  const warn = (cond) => (cond ? 'warn' : '');
  fill(healthPanel, h('div.c-stats.c-hstats', null,
    stat(t('crew.health.signals'), num(m.signals_per_s || 0)),
    stat(t('crew.health.votes'), num(m.votes_per_s || 0)),
    stat(t('crew.health.dropped'), num(m.dropped_slow || 0), warn(m.dropped_slow > 0)),
    stat(t('crew.health.queue'), `${num(st.queue || 0)} / ${compact(st.queue_max || 0)}`, warn(st.queue_max && st.queue > st.queue_max / 2)),
    stat(t('crew.health.commits'), num(st.commits || 0)),
    stat(t('crew.health.failed'), num(st.failed || 0), warn(st.failed > 0)),
    stat(t('crew.health.lastcommit'), `${num(st.last_commit_ms || 0)} ms`, warn(st.last_commit_ms > 200)),
    stat(t('crew.health.storedropped'), num(st.dropped || 0), warn(st.dropped > 0)),
    stat(t('crew.health.uptime'), clock((m.uptime_s || 0) * 1000))));
}

const compact = (n) => new Intl.NumberFormat(document.documentElement.lang, { notation: 'compact' }).format(n);

// ---------------------------------------------------------------- errors
function logError(m) {
  const code = m.code || 'error';
  const known = t(`err.${code}`, { msg: m.msg || '' });
  const text = known === `err.${code}` ? t('err.other', { msg: m.msg || code }) : known;
  S.errors.unshift({ at: new Date(), code, text, msg: m.msg || '' });
  S.errors.length = Math.min(S.errors.length, 50);
  toast(text, 'error', 6000);
  renderErrors();
}

function renderErrors() {
  if (!S.errors.length) { fill(errLog, h('li.c-empty', null, t('crew.errors.none'))); return; }
  fill(errLog, S.errors.map((e) => h('li', null,
    h('time', null, e.at.toLocaleTimeString()), h('code', null, e.code), h('span', null, e.text, e.msg && !e.text.includes(e.msg) ? ` (${e.msg})` : ''))));
}

function renderPill(s) {
  pill.className = `pill ${s}`;
  setText(pill, s === 'live' ? t('conn.live') : s === 'reconnecting' ? t('conn.reconnecting') : s === 'connecting' ? t('conn.connecting') : '');
  pill.hidden = !pill.textContent;
}

onLang(() => { analytics.relang(); renderPoll(true); renderAud(); renderLive(); renderHealth(); renderMarkers(); renderErrors(); renderPill(conn.state); });
applyDom();
renderPoll(true); renderAud(); renderHealth(); renderMarkers(); renderErrors();
view(location.hash === '#analytics' ? 'analytics' : 'live');
