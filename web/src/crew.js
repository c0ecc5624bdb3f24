// crew.js -- the crew dashboard (/crew): open and close polls, watch the
// tallies, moderate the chants, set markers, see the audience and the hub's
// health. Every refusal from the hub (ack ok:false or error) is shown in a
// toast and kept in the "Messages from the hub" log: nothing is swallowed.
//
// Moderation follows the crew's snapshot (`mod` and the flagged `chants`,
// ten times a second): the page never guesses the hub's state, it shows what
// the last snapshot said and the ack of each action. Its lists keep their
// rows keyed by the chant's grouping key, so a button is never replaced under
// the pointer and the keyboard focus stays on its row between snapshots.
import './css/base.css';
import './css/crew.css';
import { joinUrl } from './lib/conn.js';
import { h, $, fill, setText, clock, toast } from './lib/dom.js';
import { t, num, langSelect, onLang, applyDom, extend } from './lib/i18n.js';
import { keyConn } from './lib/keypage.js';
import { iconSvg } from './lib/icons.js';
import { analyticsView } from './lib/analytics.js';
import { oscPanel } from './lib/oscpanel.js';
import { moderation as modEn, crewshow as showEn } from './i18n/en.js';
import { moderation as modZh, crewshow as showZh } from './i18n/zh.js';
import { moderation as modId, crewshow as showId } from './i18n/id.js';

extend({ en: { ...modEn, ...showEn }, zh: { ...modZh, ...showZh }, id: { ...modId, ...showId } });

const enc = new TextEncoder();
const bytes = (s) => enc.encode(s).length;
const S = {
  ev: null, poll: null, counts: [], voters: 0, last: null,
  snap: null, health: null, markers: [], errors: [],
  playing: null, // the song now playing (welcome.now_playing, then the markers)
  chosen: null,  // {poll, question, option, label, votes, voters}: the song now playing was the crowd's choice
  playBusy: false, changing: false, // the "Play it" box: a request in flight; "Change" opened
};

document.body.className = 'crew';
const pill = h('div.pill', { role: 'status', 'aria-live': 'polite' });
const printLink = h('a.btn.small', { href: '/join', target: '_blank', rel: 'noopener', 'data-t': 'crew.print' }, t('crew.print'));
const forget = h('button.btn.small.ghost', { type: 'button', onclick: () => conn.forgetKey(), 'data-t': 'key.forget' }, t('key.forget'));
const pollPanel = h('div.c-pollnow');
const form = buildForm();
const audPanel = h('div.c-aud');
const healthPanel = h('div.c-health');
// A cluster of hubs whose figures lack part of the event (snap.partial):
// said in the health card and, as a chip that leads there, in the header.
const partialNote = h('p.c-partial', { role: 'status', hidden: true });
const partialChip = h('button.c-partialchip', { type: 'button', hidden: true, onclick: () => { view('live'); $('#healthcard').scrollIntoView({ block: 'start' }); } });
const markerPanel = buildMarkers();
const markerLog = h('ol.c-log');
const errLog = h('ol.c-log.c-errs', { 'aria-live': 'polite' });
const livePanel = h('div.c-live');
const modPanel = buildModeration();
// Shown once the hub says the event sends OSC (its `osc` status message).
const osc = oscPanel({ request: (m) => conn.request(m), onError: (a) => logError(a) });
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
    tabs, pill, partialChip, h('div.c-headr', null, printLink, langSelect('lang'), forget)),
  h('main.c-grid', { id: 'view-live', role: 'tabpanel', 'aria-labelledby': 'tab-live' },
    h('div.c-main', null,
      h('section.c-card.c-pollcard', { 'aria-labelledby': 'ph' },
        h('h2', { id: 'ph', 'data-t': 'crew.poll' }, t('crew.poll')), pollPanel),
      modPanel.el,
      h('div.c-cards', null,
        h('section.c-card', { 'aria-labelledby': 'ah' },
          h('h2', { id: 'ah', 'data-t': 'crew.audience' }, t('crew.audience')), audPanel),
        h('section.c-card', { 'aria-labelledby': 'lh' },
          h('h2', { id: 'lh', 'data-t': 'crew.live' }, t('crew.live')), livePanel),
        h('section.c-card', { 'aria-labelledby': 'mh' },
          h('h2', { id: 'mh', 'data-t': 'crew.markers' }, t('crew.markers')), markerPanel.el, markerLog),
        h('section.c-card.c-healthcard', { 'aria-labelledby': 'hh', id: 'healthcard' },
          h('h2', { id: 'hh', 'data-t': 'crew.health' }, t('crew.health')), partialNote, healthPanel),
        osc.el)),
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
        // The hub's state, not only what this page saw live: a second crew
        // member (or a reload) sees the last result, the markers, the song.
        if (m.last_poll) setPoll(m.last_poll);
        if (m.poll) setPoll(m.poll);
        else if (S.poll) {
          if (S.last?.id !== S.poll.id) S.last = { ...S.poll, open: false, counts: S.counts, voters: S.voters };
          S.poll = null;
        }
        if (Array.isArray(m.markers)) S.markers = m.markers.slice().reverse();
        S.playing = m.now_playing || null;
        S.chosen = m.chosen || null;
        form.songs(S.ev.songs || []);
        markerPanel.songs(S.ev.songs || []);
        S.changing = false;
        renderPoll(true);
        renderMarkers();
        break;
      case 'snap': onSnap(m); break;
      case 'poll': setPoll(m.poll); renderPoll(true); renderMarkers(); break;
      case 'health': S.health = m; renderHealth(); renderAud(); break;
      case 'osc': osc.update(m); break;
      case 'marker': onMarker(m.marker, m.chosen); break;
      case 'markers': // a crew member corrected or deleted one: the hub's list
        S.markers = (m.markers || []).slice().reverse();
        S.playing = m.now_playing || null;
        S.chosen = m.chosen || null;
        renderMarkers();
        break;
      case 'error': logError(m); break;
      default: break;
    }
  },
  onState: renderPill,
});

// The open poll keeps its live counts in S.counts/S.voters (from the
// snapshots); the last closed one carries its own final counts.
function setPoll(p) {
  if (!p) return;
  if (p.open || S.last?.id !== p.id || S.last.played?.option !== p.played?.option) S.changing = false;
  if (p.open) {
    if (S.last?.id === p.id) { // reopened: its votes are kept
      S.counts = S.last.counts || p.options.map(() => 0); S.voters = S.last.voters || 0; S.last = null;
    } else if (!S.poll || S.poll.id !== p.id) { S.counts = p.options.map(() => 0); S.voters = 0; }
    S.poll = p;
    return;
  }
  const was = S.poll?.id === p.id ? { counts: S.counts, voters: S.voters } : S.last?.id === p.id ? S.last : null;
  S.last = { ...p, counts: p.counts || was?.counts || p.options.map(() => 0), voters: p.voters ?? was?.voters ?? 0 };
  if (S.poll?.id === p.id) S.poll = null;
}

function onMarker(mk, chosen) {
  S.markers.unshift(mk);
  S.markers.length = Math.min(S.markers.length, 30);
  if (mk.kind === 'song_start') S.playing = mk.label;
  else if (mk.kind === 'song_end') S.playing = null;
  S.chosen = chosen || null;
  renderMarkers();
}

function onSnap(m) {
  S.snap = m;
  if (m.poll && S.poll && m.poll.id === S.poll.id) {
    S.counts = m.poll.counts || S.counts;
    S.voters = m.poll.voters || 0;
    // Hidden from everybody else until revealed (the crew still gets counts).
    if (!!m.poll.hidden !== !!S.poll.hidden) S.poll = { ...S.poll, hidden: !!m.poll.hidden };
  }
  renderPoll(false);
  renderAud();
  renderLive();
  renderPartial();
  modPanel.render(m);
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
  // A closed poll whose results are still hidden, while a newer one is open.
  const lastHidden = S.poll && S.last?.hidden ? S.last : null;
  const key = p ? `${p.id}:${p.open}:${!!p.hidden}:${lastHidden?.id || ''}:${p.played?.option ?? ''}:${started(p.id)}:${S.changing}:${S.playBusy}:${document.documentElement.lang}` : 'none';
  if (rebuild || key !== pollKey) {
    pollKey = key;
    bars = [];
    if (!p) { fill(pollPanel, h('p.c-empty', null, t('crew.poll.none'))); form.openNote(false); return; }
    bars = p.options.map((label) => ({ el: null, fill: h('i'), n: h('b'), pct: h('span'), label }));
    fill(pollPanel,
      h('div.c-pollmeta', null,
        h('span.c-tag', { class: p.open ? 'open' : 'closed' }, p.open ? t('crew.poll.current') : t('crew.poll.last')),
        p.hidden ? h('span.c-tag.hidden', null, t('crew.poll.hidden')) : null,
        h('span.c-voters'), h('span.c-openfor')),
      p.hidden ? h('div.c-hiddenbox', null,
        h('p', null, t(p.open ? `crew.poll.hidden.${p.reveal === 'on_close' ? 'on_close' : 'manual'}` : 'crew.poll.hidden.closed')),
        revealButton(p)) : null,
      h('h3.c-q', null, p.question),
      h('ol.c-bars', null, bars.map((b) => (b.el = h('li', null,
        h('div.c-bartop', null, h('span.c-blabel', null, b.label), b.n, b.pct),
        h('div.c-track', null, b.fill))))),
      p.open ? null : playBox(p),
      p.open ? h('button.btn.danger.big.c-close', { type: 'button', onclick: () => closePoll(p.id) }, t('crew.poll.close'))
        // A choice already started can not be reopened (the screens said the crowd chose it).
        : started(p.id) ? null : h('div.c-reopenbox', null,
          h('button.btn.c-reopen', { type: 'button', onclick: (e) => reopenPoll(p.id, e.currentTarget) }, t('crew.poll.reopen')),
          h('span.c-hint', null, t('crew.poll.reopen.hint'))),
      lastHidden ? h('div.c-hiddenbox.c-lasthidden', null,
        h('p', null, t('crew.poll.hidden.last', { q: lastHidden.question })),
        revealButton(lastHidden)) : null);
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

// "Play it": the crew confirms which option of the closed poll is played
// (the winner; on a tie or with no votes, the option they pick). Phones, the
// screen and the stage show the crowd's choice once the hub has it; the
// dashboard says "confirmed" only after the hub's ack (after its commit).
function playBox(p) {
  const counts = p.counts || [];
  const max = Math.max(0, ...counts);
  const leaders = max > 0 ? counts.flatMap((n, i) => (n === max ? [i] : [])) : [];
  const btn = (i, cls = '') => h(`button.btn.c-playbtn${cls}`, {
    type: 'button', disabled: S.playBusy, 'data-option': i,
    'aria-label': t('crew.play.it.aria', { label: p.options[i] }),
    onclick: () => playPoll(p, i),
  }, t('crew.play.it', { label: p.options[i] }));
  const hint = h('p.c-hint', null, t('crew.play.hint'), p.hidden ? ` ${t('crew.play.hint.hidden')}` : '');
  const played = p.played && p.options[p.played.option] !== undefined ? p.played.option : null;
  if (played !== null) {
    const label = p.options[played];
    return h('div.c-playbox.done', { role: 'status' },
      h('p.c-playdone', null, h('span.c-playstar', { 'aria-hidden': 'true' }, '★'), ' ', t('crew.play.done', { label })),
      started(p.id) ? null : S.changing
        ? h('div.c-playalt', null,
          h('p.c-hint', null, t('crew.play.change.hint')),
          h('div.c-playbtns', null, p.options.map((_, i) => (i === played ? null : btn(i, '.small'))),
            h('button.btn.small.ghost', { type: 'button', onclick: () => { S.changing = false; renderPoll(true); } }, t('crew.play.keep', { label }))))
        : h('button.btn.small.ghost.c-playchange', { type: 'button', onclick: () => { S.changing = true; renderPoll(true); pollPanel.querySelector('.c-playbtn')?.focus(); } }, t('crew.play.change')));
  }
  const choices = leaders.length === 1 ? leaders : leaders.length ? leaders : p.options.map((_, i) => i);
  return h('div.c-playbox',  null,
    leaders.length === 1 ? null : h('p.c-playnote', null, t(leaders.length ? 'crew.play.tie' : 'crew.play.none')),
    h('div.c-playbtns', null, choices.map((i) => btn(i, leaders.length === 1 ? '.primary.big' : '.primary'))),
    S.playBusy ? h('p.c-hint', { role: 'status' }, t('crew.play.sending')) : hint);
}

async function playPoll(p, option) {
  if (S.playBusy) return;
  S.playBusy = true;
  renderPoll(true);
  const ack = await conn.request({ t: 'poll.play', poll: p.id, option });
  S.playBusy = false;
  if (ack.ok) {
    // The hub's poll event (to every role) carries `played` too; this is the
    // same fact, in case the ack comes first.
    if (S.last?.id === p.id) S.last = { ...S.last, hidden: false, played: { option, ts: S.last.played?.option === option ? S.last.played.ts : conn.now() } };
    S.changing = false;
    toast(t('crew.play.ok', { label: p.options[option] }), 'ok');
  } else logError(ack);
  renderPoll(true);
  renderMarkers();
}

function revealButton(p) {
  const btn = h('button.btn.c-revealbtn', { type: 'button', onclick: () => revealPoll(p.id, btn) }, t('crew.poll.reveal'));
  return btn;
}

// Show a hidden result to screens, stage and phones (the open poll or the
// last closed one). The hub answers with a poll event without `hidden`.
async function revealPoll(id, btn) {
  btn.disabled = true;
  const ack = await conn.request({ t: 'poll.reveal', poll: id });
  if (!ack.ok) { logError(ack); btn.disabled = false; return; }
  toast(t('crew.poll.revealed'), 'ok');
  if (S.poll?.id === id && S.poll.hidden) S.poll = { ...S.poll, hidden: false };
  if (S.last?.id === id && S.last.hidden) S.last = { ...S.last, hidden: false };
  renderPoll(true);
}

const votesText = (n) => (n === 1 ? t('crew.poll.votes.one') : t('crew.poll.votes', { n: num(n) }));

// Undo a close (a slip of the finger): the same poll opens again with its
// votes; screens, stage and phones follow; the report counts it once.
async function reopenPoll(id, btn) {
  btn.disabled = true;
  const ack = await conn.request({ t: 'poll.reopen', poll: id });
  if (ack.ok) toast(t('crew.poll.reopened'), 'ok');
  else { logError(ack); btn.disabled = false; }
}

async function closePoll(id) {
  // Closing ends the vote on every phone at once: ask first.
  const q = S.poll?.id === id ? S.poll.question : '';
  if (!await ask(t('crew.poll.close.title'), t('crew.poll.close.body', { q, votes: votesText(S.voters) }), t('crew.poll.close'))) return;
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
  // When the screens and phones see the results: live (default), at close, or when the crew says.
  const reveals = ['live', 'on_close', 'manual'].map((r) => h('input', { type: 'radio', name: 'reveal', value: r, id: `pr-${r}`, checked: r === 'live' }));
  const revealSet = h('fieldset.c-reveal', null,
    h('legend', { 'data-t': 'crew.poll.reveal.legend' }, t('crew.poll.reveal.legend')),
    reveals.map((r) => h('label.c-radio', { for: r.id }, r, h('span', { 'data-t': `crew.poll.reveal.${r.value}` }, t(`crew.poll.reveal.${r.value}`)))));
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
      if (submit.disabled) return undefined;
      submit.disabled = true;
      // A poll is live: opening this one closes it, with its votes. Ask first.
      if (S.poll && !await ask(t('crew.poll.replace.title'),
        t('crew.poll.replace.body', { q: S.poll.question, votes: votesText(S.voters) }), t('crew.poll.replace.ok'))) {
        submit.disabled = false;
        return undefined;
      }
      const reveal = reveals.find((r) => r.checked)?.value || 'live';
      const ack = await conn.request({ t: 'poll.open', question, options, allow_change: allow.checked, reveal });
      submit.disabled = false;
      if (ack.ok) {
        toast(t('crew.poll.opened'), 'ok');
        // Cleared, so a second click can't open a copy.
        q.value = ''; opts.value = ''; allow.checked = false;
        reveals.forEach((r) => { r.checked = r.value === 'live'; });
        syncChips();
      } else logError(ack);
      return undefined;
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
  revealSet,
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

// ---------------------------------------------------------------- moderation
// The mode switch, the approval queue (keyboard: Up/Down, A, H, B), the live
// top chants with their flags, hidden texts, bans. Rendered from every crew
// snapshot; every action waits for its ack, which is said in words.
function buildModeration() {
  const MODES = ['auto', 'approve', 'off'];
  const st = { mode: null, snap: null, busy: new Set(), bannedHere: [], hiddenKey: '', current: null };
  const ackLine = h('p.c-modack', { role: 'status', 'aria-live': 'polite' });
  const explain = h('p.c-modexplain');
  const modeBtns = MODES.map((mode) => h('button.c-segbtn', {
    type: 'button', role: 'radio', 'aria-checked': 'false', 'data-mode': mode, tabIndex: -1,
    onclick: () => setMode(mode),
  }, t(`crew.mod.mode.${mode}`)));
  const seg = h('div.c-seg', { role: 'radiogroup', 'aria-label': t('crew.mod.mode') }, modeBtns);
  seg.addEventListener('keydown', (e) => {
    if (!['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'].includes(e.key)) return;
    e.preventDefault();
    const i = modeBtns.indexOf(document.activeElement);
    const step = e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? -1 : 1;
    modeBtns[(i + step + MODES.length) % MODES.length].focus();
  });

  // The queue: one focusable row per waiting text, newest first.
  const qCount = h('span.c-count');
  const qList = h('ol.c-queue', { 'aria-labelledby': 'modqh' });
  const qEmpty = h('p.c-empty.c-qempty', { tabIndex: -1 });
  const qKeys = h('p.c-hint.c-keys');
  const qRows = keyedRows(qList, makeQueueRow, updateQueueRow, qEmpty);
  qList.addEventListener('keydown', onQueueKey);
  qList.addEventListener('focusin', (e) => {
    const li = e.target.closest('li');
    if (li) { st.current = li.dataset.key; rove(); }
  });

  // The live top five as the crew sees them: hidden and waiting ones marked.
  const topList = h('ol.c-modtop');
  const topEmpty = h('p.c-empty');
  const topRows = keyedRows(topList, makeTopRow, updateTopRow, topEmpty);

  const hiddenList = h('ul.c-hidden');
  const hideIn = h('input.field', { id: 'modhide', name: 'hide', maxlength: 64, autocomplete: 'off', placeholder: t('crew.mod.hidetext.ph') });
  const hideForm = h('form.c-inline', {
    onsubmit: (e) => {
      e.preventDefault();
      const text = hideIn.value.trim();
      if (!text) { hideIn.focus(); toast(t('crew.mod.needtext'), 'error'); return; }
      if (bytes(text) > 64) { toast(t('err.too_long'), 'error'); return; }
      act({ action: 'hide', text }, t('crew.mod.ok.hide', { text })).then((ok) => { if (ok) hideIn.value = ''; });
    },
  }, hideIn, h('button.btn', { type: 'submit' }, t('crew.mod.hide')));

  const bannedN = h('b.c-bannedn');
  const unbanIn = h('input.field', { id: 'modunban', name: 'device', inputmode: 'numeric', autocomplete: 'off', pattern: '[0-9]*' });
  const unbanForm = h('form.c-inline', {
    onsubmit: (e) => {
      e.preventDefault();
      const d = Number(unbanIn.value.trim().replace(/^#/, ''));
      if (!Number.isSafeInteger(d) || d <= 0) { unbanIn.focus(); toast(t('crew.mod.needdevice'), 'error'); return; }
      unban(d).then((ok) => { if (ok) unbanIn.value = ''; });
    },
  }, unbanIn, h('button.btn', { type: 'submit' }, t('crew.mod.unban')));
  const bannedHere = h('ul.c-hidden.c-bannedhere');

  const el = h('section.c-card.c-modcard', { 'aria-labelledby': 'modh' });
  build();

  function build() {
    seg.setAttribute('aria-label', t('crew.mod.mode'));
    modeBtns.forEach((b) => setText(b, t(`crew.mod.mode.${b.dataset.mode}`)));
    hideIn.placeholder = t('crew.mod.hidetext.ph');
    hideForm.querySelector('button').textContent = t('crew.mod.hide');
    unbanForm.querySelector('button').textContent = t('crew.mod.unban');
    setText(qKeys, t('crew.mod.queue.keys'));
    fill(el,
      h('div.c-modhead', null, h('h2', { id: 'modh' }, t('crew.mod')), seg),
      explain, ackLine,
      h('div.c-modgrid', null,
        h('div.c-modcol.c-modq', null,
          h('h3.c-sub', { id: 'modqh' }, t('crew.mod.queue'), ' ', qCount),
          qKeys, qList, qEmpty),
        h('div.c-modcol', null,
          h('h3.c-sub', null, t('crew.mod.top')), topList, topEmpty),
        h('div.c-modcol', null,
          h('h3.c-sub', null, t('crew.mod.hidden')), hiddenList,
          h('label', { for: 'modhide' }, t('crew.mod.hidetext')), hideForm),
        h('div.c-modcol', null,
          h('h3.c-sub', null, t('crew.mod.banned'), ' ', bannedN),
          bannedHere,
          h('label', { for: 'modunban' }, t('crew.mod.unban.label')), unbanForm)));
    if (!st.snap) { qList.hidden = true; topList.hidden = true; setText(qEmpty, t('crew.mod.waiting')); setText(topEmpty, t('crew.mod.waiting')); }
  }

  // ---- rendering (every crew snapshot)
  function render(snap) {
    const mod = snap?.mod;
    if (!mod) return;
    st.snap = snap;
    if (mod.mode !== st.mode) {
      st.mode = mod.mode;
      modeBtns.forEach((b) => {
        const on = b.dataset.mode === mod.mode;
        b.setAttribute('aria-checked', String(on));
        b.tabIndex = on ? 0 : -1;
      });
      setText(explain, t(`crew.mod.explain.${mod.mode}`));
      explain.className = `c-modexplain ${mod.mode}`;
    }
    const approve = mod.mode === 'approve';
    const pending = approve ? mod.pending || [] : [];
    qKeys.hidden = !approve || !pending.length;
    setText(qCount, approve ? t('crew.mod.queue.n', { n: num(pending.length) }) : '');
    setText(qEmpty, approve ? t('crew.mod.queue.empty') : t(`crew.mod.queue.${mod.mode}`));
    qRows.sync(pending, (p) => p.key);
    rove();

    const top = snap.chants || [];
    setText(topEmpty, t('crew.mod.top.none'));
    topRows.sync(top, (c) => c[2]?.key ?? c[0]);

    const hidden = mod.hidden || [];
    const hk = JSON.stringify(hidden);
    if (hk !== st.hiddenKey) {
      st.hiddenKey = hk;
      fill(hiddenList, hidden.length ? hidden.map((x) => h('li', null,
        h('span.c-ctext', null, x.text),
        h('button.btn.small', { type: 'button', 'aria-label': t('crew.mod.unhide.aria', { text: x.text }), onclick: (e) => busy(e.currentTarget, act({ action: 'unhide', text: x.text }, t('crew.mod.ok.unhide', { text: x.text }))) }, t('crew.mod.unhide'))))
        : h('li.c-empty', null, t('crew.mod.hidden.none')));
    }
    setText(bannedN, t('crew.mod.banned.n', { n: num(mod.banned || 0) }));
  }

  function makeQueueRow(p) {
    const row = {
      el: h('li.c-qrow', { tabIndex: -1, 'data-key': p.key }),
      text: h('span.c-ctext'), n: h('b.c-cn'), ago: h('span.c-ago'),
      item: p,
    };
    row.el.append(
      h('div.c-qmain', null, row.text, row.n, row.ago),
      h('div.c-qbtns', null,
        h('button.btn.small.c-ok', { type: 'button', tabIndex: -1, onclick: () => approve(row.item, row.el) }, t('crew.mod.approve')),
        h('button.btn.small', { type: 'button', tabIndex: -1, onclick: () => hide(row.item.text, row.el) }, t('crew.mod.hide')),
        h('button.btn.small.danger', { type: 'button', tabIndex: -1, onclick: () => ban(row.item.device, row.item.text, row.el) }, t('crew.mod.ban'))));
    return row;
  }

  function updateQueueRow(row, p) {
    row.item = p;
    setText(row.text, p.text);
    setText(row.n, `×${num(p.count)}`);
    setText(row.ago, agoText(p.first));
    row.el.setAttribute('aria-label', t('crew.mod.row.aria', { text: p.text, n: num(p.count) }));
    const [a, hd, b] = row.el.querySelectorAll('button');
    a.setAttribute('aria-label', t('crew.mod.approve.aria', { text: p.text }));
    hd.setAttribute('aria-label', t('crew.mod.hide.aria', { text: p.text }));
    b.setAttribute('aria-label', t('crew.mod.ban.aria', { text: p.text }));
  }

  function makeTopRow(c) {
    const row = {
      el: h('li.c-toprow'), text: h('span.c-ctext'), n: h('b.c-cn'), tag: h('span.c-mtag'), btns: h('div.c-qbtns'),
      item: c, btnKey: '',
    };
    row.el.append(h('div.c-qmain', null, row.text, row.n, row.tag), row.btns);
    return row;
  }

  function updateTopRow(row, c) {
    const [text, n, f = {}] = c;
    row.item = c;
    setText(row.text, text);
    setText(row.n, `×${num(n)}`);
    const state = f.hidden ? 'hidden' : f.pending ? 'pending' : 'shown';
    setText(row.tag, t(`crew.mod.tag.${state}`));
    row.tag.className = `c-mtag ${state}`;
    row.el.className = `c-toprow ${state}`;
    // The buttons change only with the row's state, not with its count.
    const key = `${state}:${f.device || 0}`;
    if (key === row.btnKey) return;
    row.btnKey = key;
    fill(row.btns,
      state === 'pending' ? h('button.btn.small.c-ok', { type: 'button', 'aria-label': t('crew.mod.approve.aria', { text }), onclick: (e) => busy(e.currentTarget, approve({ text })) }, t('crew.mod.approve')) : null,
      state === 'hidden'
        ? h('button.btn.small', { type: 'button', 'aria-label': t('crew.mod.unhide.aria', { text }), onclick: (e) => busy(e.currentTarget, act({ action: 'unhide', text }, t('crew.mod.ok.unhide', { text }))) }, t('crew.mod.unhide'))
        : h('button.btn.small', { type: 'button', 'aria-label': t('crew.mod.hide.aria', { text }), onclick: (e) => busy(e.currentTarget, hide(text)) }, t('crew.mod.hide')),
      f.device ? h('button.btn.small.danger', { type: 'button', 'aria-label': t('crew.mod.ban.aria', { text }), onclick: () => ban(f.device, text) }, t('crew.mod.ban')) : null);
  }

  // Only one queue row is in the Tab order (the current one); arrows move.
  function rove() {
    const rows = [...qList.children];
    if (!rows.length) return;
    if (!rows.some((r) => r.dataset.key === st.current)) st.current = rows[0].dataset.key;
    for (const r of rows) r.tabIndex = r.dataset.key === st.current ? 0 : -1;
  }

  function onQueueKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const li = e.target.closest('li');
    if (!li) return;
    const rows = [...qList.children];
    const i = rows.indexOf(li);
    const go = (j) => { const r = rows[Math.max(0, Math.min(rows.length - 1, j))]; if (r) r.focus(); };
    const row = qRows.get(li.dataset.key);
    switch (e.key) {
      case 'ArrowDown': go(i + 1); break;
      case 'ArrowUp': go(i - 1); break;
      case 'Home': go(0); break;
      case 'End': go(rows.length - 1); break;
      case 'a': case 'A': approve(row.item, li); break;
      case 'h': case 'H': hide(row.item.text, li); break;
      case 'b': case 'B': ban(row.item.device, row.item.text, li); break;
      default: return;
    }
    e.preventDefault();
  }

  // ---- actions: each waits for its ack and says how it went
  async function act(fields, okText) {
    const ack = await conn.request({ t: 'mod', ...fields });
    if (ack.ok) {
      setText(ackLine, `✓ ${okText}`);
      ackLine.className = 'c-modack ok';
      return true;
    }
    logError(ack);
    return false;
  }

  // A row waiting for its ack: dimmed, its buttons off; back to normal on a refusal.
  async function busy(target, promise) {
    const li = target?.closest?.('li') || target;
    if (li) { li.setAttribute('aria-busy', 'true'); li.querySelectorAll('button').forEach((b) => { b.disabled = true; }); }
    const ok = await promise;
    if (li && li.isConnected) { li.removeAttribute('aria-busy'); li.querySelectorAll('button').forEach((b) => { b.disabled = false; }); }
    return ok;
  }

  const isBusy = (li) => !!li?.getAttribute?.('aria-busy');

  function approve(item, li) {
    if (isBusy(li)) return Promise.resolve(false);
    return busy(li, act({ action: 'approve', text: item.text }, t('crew.mod.ok.approve', { text: item.text })));
  }

  function hide(text, li) {
    if (isBusy(li)) return Promise.resolve(false);
    return busy(li, act({ action: 'hide', text }, t('crew.mod.ok.hide', { text })));
  }

  async function ban(device, text, li) {
    if (!device || isBusy(li)) return false;
    const yes = await ask(t('crew.mod.ban.title', { d: device }), t('crew.mod.ban.body', { text }), t('crew.mod.ban.ok'));
    if (!yes) { if (li?.isConnected) li.focus(); return false; }
    const ok = await busy(li, act({ action: 'ban', device }, t('crew.mod.ok.ban', { d: device })));
    if (ok) {
      st.bannedHere = [{ device, text }, ...st.bannedHere.filter((b) => b.device !== device)].slice(0, 10);
      renderBannedHere();
    }
    return ok;
  }

  async function unban(device) {
    const ok = await act({ action: 'unban', device }, t('crew.mod.ok.unban', { d: device }));
    if (ok) { st.bannedHere = st.bannedHere.filter((b) => b.device !== device); renderBannedHere(); }
    return ok;
  }

  // Devices banned from this page, for a quick unban (the hub keeps only the count here).
  function renderBannedHere() {
    fill(bannedHere, st.bannedHere.map((b) => h('li', null,
      h('span.c-ctext', null, t('crew.mod.device', { d: b.device }), h('small', null, ` “${b.text}”`)),
      h('button.btn.small', { type: 'button', onclick: (e) => busy(e.currentTarget, unban(b.device)) }, t('crew.mod.unban')))));
  }

  async function setMode(mode) {
    if (mode === st.mode) return;
    if (mode === 'off' && !await ask(t('crew.mod.off.title'), t('crew.mod.off.body'), t('crew.mod.off.ok'))) return;
    const btn = modeBtns.find((b) => b.dataset.mode === mode);
    btn.setAttribute('aria-busy', 'true');
    await act({ action: 'mode', mode }, t('crew.mod.ok.mode', { mode: t(`crew.mod.mode.${mode}`) }));
    btn.removeAttribute('aria-busy');
  }

  function agoText(first) {
    const s = Math.max(0, Math.round((conn.now() - first) / 1000));
    const rtf = new Intl.RelativeTimeFormat(document.documentElement.lang, { numeric: 'auto', style: 'short' });
    return s < 60 ? rtf.format(-s, 'second') : s < 3600 ? rtf.format(-Math.floor(s / 60), 'minute') : rtf.format(-Math.floor(s / 3600), 'hour');
  }

  return {
    el,
    render,
    relang() {
      st.mode = null; st.hiddenKey = '';
      qRows.clear(); topRows.clear();
      build();
      renderBannedHere();
      if (st.snap) render(st.snap);
    },
  };
}

/**
 * Rows of list ul kept by key: make(item) -> {el, ...} once per key,
 * update(row, item) on every sync. Rows move only when the order changes, and
 * a removed row hands the keyboard focus to the row that takes its place.
 * empty: an element shown instead of the list when there are no items.
 */
function keyedRows(ul, make, update, empty) {
  const rows = new Map();
  return {
    get: (k) => rows.get(k),
    clear() { rows.clear(); ul.replaceChildren(); },
    sync(items, keyOf) {
      const keys = new Set(items.map(keyOf));
      const focused = ul.contains(document.activeElement) ? [...ul.children].findIndex((li) => li.contains(document.activeElement)) : -1;
      for (const [k, row] of rows) if (!keys.has(k)) { row.el.remove(); rows.delete(k); }
      items.forEach((it, i) => {
        const k = keyOf(it);
        let row = rows.get(k);
        if (!row) { row = make(it); rows.set(k, row); }
        update(row, it);
        if (ul.children[i] !== row.el) {
          const had = row.el.contains(document.activeElement) ? document.activeElement : null;
          ul.insertBefore(row.el, ul.children[i] || null);
          if (had && document.activeElement !== had) had.focus();
        }
      });
      ul.hidden = !items.length;
      empty.hidden = !!items.length;
      // The focused row went away (approved, hidden, banned): focus the next one.
      if (focused >= 0 && !ul.contains(document.activeElement) && (document.activeElement === document.body || !document.activeElement)) {
        const next = ul.children[Math.min(focused, ul.children.length - 1)];
        if (next) next.focus(); else if (empty.tabIndex >= 0 || empty.hasAttribute('tabindex')) empty.focus();
      }
    },
  };
}

// A modal yes/no question (Esc or Cancel says no); focus starts on Cancel.
function ask(title, body, okLabel) {
  return new Promise((resolve) => {
    const dlg = h('dialog.c-dialog', { 'aria-labelledby': 'dlgt', 'aria-describedby': 'dlgb' });
    let answer = false;
    const cancel = h('button.btn', { type: 'button', onclick: () => dlg.close() }, t('crew.mod.cancel'));
    dlg.append(
      h('h2', { id: 'dlgt' }, title),
      h('p', { id: 'dlgb' }, body),
      h('div.c-dlgbtns', null, cancel,
        h('button.btn.danger', { type: 'button', onclick: () => { answer = true; dlg.close(); } }, okLabel)));
    dlg.addEventListener('close', () => { dlg.remove(); resolve(answer); });
    document.body.append(dlg);
    dlg.showModal();
    cancel.focus();
  });
}

// ---------------------------------------------------------------- markers
function buildMarkers() {
  const label = h('input.field', { id: 'ml', name: 'label', maxlength: 64, list: 'songlist', autocomplete: 'off', placeholder: t('crew.marker.label.ph'), 'data-t-ph': 'crew.marker.label.ph' });
  const dl = h('datalist', { id: 'songlist' });
  const chips = h('div.c-chips.c-mchips');
  const playing = h('p.c-playing');
  let songList = [];
  let chipsKey = '';
  const syncChips = () => {
    const v = label.value.trim();
    chips.querySelectorAll('.c-chip').forEach((c) => c.setAttribute('aria-pressed', String(c.dataset.song === v)));
  };
  label.addEventListener('input', syncChips);
  const send = async (kind) => {
    // "Song end" with an empty field ends the song now playing.
    const text = label.value.trim() || (kind === 'song_end' && S.playing) || '';
    if (!text) { label.focus(); return toast(t('crew.marker.label'), 'error'); }
    if (bytes(text) > 64) return toast(t('err.too_long'), 'error');
    const ack = await conn.request({ t: 'marker', label: text, kind });
    if (ack.ok) {
      toast(t('crew.marker.set', { label: text }), 'ok');
      if (label.value.trim() === text) label.value = ''; // used: ready for the next one
      syncChips();
    } else logError(ack);
    return undefined;
  };
  const el = h('div.c-markers', null,
    playing,
    h('label', { for: 'ml', 'data-t': 'crew.marker.label' }, t('crew.marker.label')), label, dl, chips,
    h('div.c-mbtns', null,
      h('button.btn', { type: 'button', onclick: () => send('song_start'), 'data-t': 'crew.marker.song_start' }, t('crew.marker.song_start')),
      h('button.btn', { type: 'button', onclick: () => send('song_end'), 'data-t': 'crew.marker.song_end' }, t('crew.marker.song_end')),
      h('button.btn', { type: 'button', onclick: () => send('note'), 'data-t': 'crew.marker.note' }, t('crew.marker.note'))));
  return {
    el,
    songs(list) {
      // The crowd's choice (the last played poll's option) comes first,
      // marked, whether or not it is one of the event's songs.
      const chosen = chosenSong();
      const key = JSON.stringify([list, chosen, document.documentElement.lang]);
      if (key === chipsKey) return;
      chipsKey = key;
      const same = (a, b) => looseKey(a) === looseKey(b);
      songList = chosen ? [chosen, ...list.filter((s) => !same(s, chosen))] : list;
      fill(dl, songList.map((s) => h('option', { value: s })));
      // One tap puts a song in the field (then Song start / Song end / Note).
      fill(chips, songList.map((s) => {
        const crowd = chosen !== null && s === chosen;
        return h(`button.c-chip${crowd ? '.c-chosen' : ''}`, {
          type: 'button', 'data-song': s, 'aria-pressed': 'false',
          'aria-label': t(crowd ? 'crew.marker.chip.chosen' : 'crew.marker.chip', { song: s }),
          onclick: () => { label.value = s; syncChips(); },
        }, s, crowd ? h('span.c-chosentag', { 'aria-hidden': 'true' }, t('crew.marker.chosen')) : null);
      }));
      syncChips();
    },
    playing() {
      playing.className = `c-playing ${S.playing ? 'on' : ''}`;
      fill(playing, S.playing
        ? [h('span.c-plabel', null, t('crew.marker.playing')), ' ', h('b', null, S.playing),
          S.chosen ? h('span.c-pchosen', null, chosenNow(S.chosen)) : null]
        : h('span.c-plabel', null, t('crew.marker.playing.none')));
    },
  };
}

// The label of the last played poll's option (what the crew is about to start).
// Once a song_start marker started it (the hub linked the marker to the
// poll), the choice is done: the chip is an ordinary song again.
function chosenSong() {
  const p = S.last;
  const o = p?.played ? p.options?.[p.played.option] : undefined;
  return o === undefined || started(p.id) ? null : o;
}
const started = (poll) => S.markers.some((m) => m.poll === poll);
// The hub's grouping of labels (trimmed, case-folded, NFKC) for matching a song to the choice.
const looseKey = (s) => String(s).normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
const chosenNow = (c) => (c.votes === 1 ? t('chosen.now.one') : t('chosen.now', { n: num(c.votes || 0) }));

// Each marker can be corrected (label, kind) or deleted; the hub answers
// every page with the new list (`markers`), so this log redraws from it.
let editingTs = null;
function renderMarkers() {
  markerPanel.songs(S.ev?.songs || []);
  renderPoll(false);
  markerPanel.playing();
  if (!S.markers.length) { fill(markerLog, h('li.c-empty', null, t('crew.marker.none'))); return; }
  fill(markerLog, S.markers.map((m) => (m.ts === editingTs ? markerEditor(m) : h('li', { 'data-ts': m.ts },
    h('time', null, new Date(m.ts).toLocaleTimeString()),
    h('span.c-kind', { class: m.kind }, t(`crew.marker.${m.kind}`)),
    h('span.c-mlabel', null, m.label),
    m.poll ? h('span.c-mbadge', null, t('crew.marker.bypoll')) : null,
    h('span.c-macts', null,
      h('button.btn.small.ghost.c-medit', { type: 'button', 'aria-label': t('crew.marker.edit.aria', { label: m.label }), onclick: () => { editingTs = m.ts; renderMarkers(); markerLog.querySelector('.c-meditor input')?.focus(); } }, t('crew.marker.edit')),
      h('button.btn.small.ghost.c-mdel', { type: 'button', 'aria-label': t('crew.marker.delete.aria', { label: m.label }), onclick: () => deleteMarker(m) }, t('crew.marker.delete')))))));
}

function markerEditor(m) {
  const input = h('input.field', { value: m.label, 'aria-label': t('crew.marker.label'), list: 'songlist', autocomplete: 'off' });
  const kind = h('select.field', { 'aria-label': t('crew.marker.kind') },
    ['song_start', 'song_end', 'note'].map((k) => h('option', { value: k, selected: k === m.kind }, t(`crew.marker.${k}`))));
  const save = async (e) => {
    e.preventDefault();
    const label = input.value.trim();
    if (!label) { input.focus(); return toast(t('crew.marker.label'), 'error'); }
    if (bytes(label) > 64) return toast(t('err.too_long'), 'error');
    const msg = { t: 'marker.edit', at: m.ts };
    if (label !== m.label) msg.label = label;
    if (kind.value !== m.kind) msg.kind = kind.value;
    if (!msg.label && !msg.kind) { editingTs = null; renderMarkers(); return undefined; }
    const ack = await conn.request(msg);
    if (ack.ok) { editingTs = null; toast(t('crew.marker.fixed'), 'ok'); renderMarkers(); } else logError(ack);
    return undefined;
  };
  return h('li.c-meditor', { 'data-ts': m.ts }, h('form', { onsubmit: save },
    h('time', null, new Date(m.ts).toLocaleTimeString()), kind, input,
    h('button.btn.small.primary', { type: 'submit' }, t('crew.marker.save')),
    h('button.btn.small.ghost', { type: 'button', onclick: () => { editingTs = null; renderMarkers(); } }, t('crew.mod.cancel'))));
}

async function deleteMarker(m) {
  if (!await ask(t('crew.marker.delete.title'), t('crew.marker.delete.body', { label: m.label, kind: t(`crew.marker.${m.kind}`) }), t('crew.marker.delete'))) return;
  const ack = await conn.request({ t: 'marker.delete', at: m.ts });
  if (ack.ok) toast(t('crew.marker.deleted', { label: m.label }), 'ok');
  else logError(ack);
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
      h('small', null, `${num(sn.rate?.[k] || 0)}/s`), h('span.sr-only', null, k)))));
}

function renderHealth() {
  const m = S.health;
  renderPartial();
  if (!m) { fill(healthPanel, h('p.c-empty', null, t('crew.health.waiting'))); return; }
  const st = m.store || {};
  const warn = (cond) => (cond ? 'warn' : '');
  // In a cluster: every hub of the event, then this hub's own figures.
  const hubs = Array.isArray(m.hubs) && m.hubs.length ? m.hubs : null;
  fill(healthPanel, hubs ? hubList(hubs) : null, hubs ? h('h3.c-sub', null, t('crew.hubs.own')) : null, h('div.c-stats.c-hstats', null,
    stat(t('crew.health.signals'), num(m.signals_per_s || 0)),
    stat(t('crew.health.votes'), num(m.votes_per_s || 0)),
    stat(t('crew.health.dropped'), num(m.dropped_slow || 0), warn(m.dropped_slow > 0)),
    stat(t('crew.health.queue'), `${num(st.queue || 0)} / ${compact(st.queue_max || 0)}`, warn(st.queue_max && st.queue > st.queue_max / 2)),
    stat(t('crew.health.commits'), num(st.commits || 0)),
    stat(t('crew.health.failed'), num(st.failed || 0), warn(st.failed > 0)),
    stat(t('crew.health.lastcommit'), `${num(st.last_commit_ms || 0)} ms`, warn(st.last_commit_ms > 200)),
    stat(t('crew.health.storedropped'), num(st.dropped || 0), warn(st.dropped > 0)),
    // Someone guessing the crew, screen or stage key (refused: its address is locked out for now).
    stat(t('crew.health.keyswrong'), num(m.keys?.wrong || 0), warn(m.keys?.wrong > 0)),
    stat(t('crew.health.keysrefused'), num(m.keys?.refused || 0), warn(m.keys?.refused > 0)),
    stat(t('crew.health.uptime'), clock((m.uptime_s || 0) * 1000))));
}

// health.hubs: [{hub, self, live, audience, conns, seen_ms}], this hub first.
// Live or offline in words (and a mark), not colour alone; an offline hub
// says how long it has been silent, its figures dimmed: they are as last heard.
function hubList(hubs) {
  const off = hubs.some((x) => !x.live && !x.self);
  return [
    h('h3.c-sub', null, t('crew.hubs')),
    h('ul.c-hubs', { 'aria-label': t('crew.hubs') }, hubs.map((x) => {
      const state = x.live ? t('crew.hubs.live') : x.self ? t('crew.hubs.cut') : `${t('crew.hubs.offline')} · ${silentFor(x.seen_ms || 0)}`;
      return h('li.c-hub', { class: x.live ? 'live' : x.self ? 'cut' : 'off', 'data-hub': String(x.hub) },
        h('div.c-hubid', null, h('b', null, t('crew.hubs.name', { n: x.hub })), x.self ? h('span.c-hubself', null, t('crew.hubs.self')) : null),
        h('div.c-hubstate', null, h('span.c-hubmark', { 'aria-hidden': 'true' }, x.live ? '●' : '○'), ' ', h('span', null, state)),
        h('div.c-hubfig', null,
          h('span', null, h('b', null, num(x.audience || 0)), ' ', h('small', null, t('crew.hubs.audience'))),
          h('span', null, h('b', null, num(x.conns || 0)), ' ', h('small', null, t('crew.hubs.conns')))));
    })),
    off ? h('p.c-hint.c-hubhint', null, t('crew.hubs.stale')) : null,
  ];
}

function silentFor(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return t('crew.hubs.silent.s', { n: num(s) });
  if (s < 7200) return t('crew.hubs.silent.min', { n: num(Math.floor(s / 60)) });
  return t('crew.hubs.silent.h', { n: num(Math.floor(s / 3600)) });
}

// The snapshot says the figures lack part of the event: this hub lost its
// link (its own entry in health.hubs is not live), or another hub is silent.
let partialKey = '';
function renderPartial() {
  const on = !!S.snap?.partial;
  const self = on && S.health?.hubs?.[0]?.self && S.health.hubs[0].live === false;
  const key = on ? `${self ? 'self' : 'peer'}:${document.documentElement.lang}` : '';
  if (key === partialKey) return;
  partialKey = key;
  partialNote.hidden = !on;
  partialChip.hidden = !on;
  setText(partialNote, on ? t(self ? 'crew.partial.self' : 'crew.partial') : '');
  setText(partialChip, on ? t('crew.partial.chip') : '');
  partialChip.title = on ? partialNote.textContent : '';
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
  setText(pill, s === 'live' ? t('conn.live') : s === 'reconnecting' || s === 'stale' ? t('conn.reconnecting') : s === 'connecting' ? t('conn.connecting') : '');
  pill.hidden = !pill.textContent;
}

onLang(() => { osc.render(); analytics.relang(); modPanel.relang(); markerPanel.songs(S.ev?.songs || []); renderPoll(true); renderAud(); renderLive(); partialKey = ''; renderHealth(); renderMarkers(); renderErrors(); renderPill(conn.state); });
applyDom();
renderPoll(true); renderAud(); renderHealth(); renderMarkers(); renderErrors();
view(location.hash === '#analytics' ? 'analytics' : 'live');
